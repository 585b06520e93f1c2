package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.breach.source.BreachChecker;
import io.keycloaksentinel.authenticators.breach.source.BreachVerdict;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.util.Locale;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.policy.PasswordPolicyConfigException;
import org.keycloak.policy.PasswordPolicyProvider;
import org.keycloak.policy.PolicyError;

/**
 * Refuses a password that a breach corpus lists, wherever Keycloak sets one: registration, reset,
 * the account console's change (the update-password action) and the admin's set. The message
 * never repeats the password; the log names the realm and the source, never the password or its
 * hash.
 */
public final class BreachedPasswordPolicy implements PasswordPolicyProvider {

    public static final String MESSAGE = "sentinelBreachedPasswordMessage";
    public static final String UNCHECKED_MESSAGE = "sentinelBreachedPasswordUncheckedMessage";
    static final int MAX_MIN_COUNT = 1_000_000_000;
    private static final Logger LOG = Logger.getLogger(BreachedPasswordPolicy.class);

    private final KeycloakSession session;
    private final BreachChecker checker;

    BreachedPasswordPolicy(KeycloakSession session, BreachChecker checker) {
        this.session = session;
        this.checker = checker;
    }

    @Override
    public PolicyError validate(RealmModel realm, UserModel user, String password) {
        if (password == null || password.isEmpty() || realm == null) {
            return null; // nothing to check; Keycloak's own policies speak about empty passwords
        }
        BreachSettings settings = BreachedPasswordPolicyFactory.settings(realm);
        BreachVerdict verdict = checker.check(password, settings, BreachedPasswordPolicyFactory.minCount(realm));
        count(realm, "policy", verdict);
        return switch (verdict.outcome()) {
            case BREACHED -> new PolicyError(MESSAGE);
            case CLEAN -> null;
            case UNKNOWN -> {
                LOG.warnf("Sentinel: a new password in realm '%s' could not be checked against breaches (%s); %s",
                        realm.getName(), verdict.detail(), settings.failOpen() ? "accepted (fail open)" : "refused (fail closed)");
                yield settings.failOpen() ? null : new PolicyError(UNCHECKED_MESSAGE);
            }
        };
    }

    @Override
    public PolicyError validate(String user, String password) {
        return validate(session.getContext().getRealm(), null, password);
    }

    @Override
    public Object parseConfig(String value) {
        long n;
        try {
            n = Long.parseLong(value == null || value.isBlank() ? "1" : value.strip());
        } catch (NumberFormatException e) {
            throw new PasswordPolicyConfigException("Not a breached password: the value is the smallest breach count that refuses a password, a whole number of at least 1");
        }
        if (n < 1 || n > MAX_MIN_COUNT) {
            throw new PasswordPolicyConfigException("Not a breached password: the smallest breach count must be from 1 to " + MAX_MIN_COUNT);
        }
        return (int) n;
    }

    /** Metric {@code sentinel_breached_password_total{realm,check,outcome,source}}. */
    static void count(RealmModel realm, String check, BreachVerdict verdict) {
        Counter.builder("sentinel_breached_password_total")
                .description("Passwords checked against breach corpora, by where (policy: a new password; login) and outcome")
                .tag("realm", realm.getName()).tag("check", check)
                .tag("outcome", verdict.outcome().name().toLowerCase(Locale.ROOT))
                .tag("source", verdict.source() == null ? "none" : verdict.source().value())
                .register(Metrics.globalRegistry).increment();
    }

    @Override
    public void close() {
    }
}
