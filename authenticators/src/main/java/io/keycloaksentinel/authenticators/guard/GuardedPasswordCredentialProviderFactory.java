package io.keycloaksentinel.authenticators.guard;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Meter;
import java.lang.reflect.Field;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.credential.CredentialInput;
import org.keycloak.credential.PasswordCredentialProvider;
import org.keycloak.credential.PasswordCredentialProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelException;
import io.keycloaksentinel.core.detect.HashBulkhead;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.PasswordCredentialModel;

/**
 * Replaces Keycloak's password credential provider ({@code keycloak-password}: same id, higher
 * order, as {@code LastFactorGuard} does for second factors) with a subclass that asks the
 * {@link PasswordGuard} before hashing. Every path on which Keycloak validates a password for a
 * login goes through this provider's {@code isValid}, so every one is guarded without the admin
 * binding anything: Keycloak's and Sentinel's forms, the password grant of every client
 * ({@code admin-cli} included), identity-first password pages, re-authentication. Everything else
 * (hashing, storage, policies, metrics) is Keycloak's own code.
 *
 * <p>Keycloak's factory keeps its hashing-metric settings in private fields; they are read once
 * after its own {@code init} so the subclass counts hashes exactly as Keycloak does. If a future
 * Keycloak renames them, the factory logs an error and hands out Keycloak's own, unguarded
 * provider (the integration tests catch that on upgrade).
 */
public final class GuardedPasswordCredentialProviderFactory extends PasswordCredentialProviderFactory {

    /** The message key of a new password refused because it is being sprayed (login theme messages). */
    static final String SPRAYED_MESSAGE = "sentinelSprayedPasswordMessage";
    /** Above Keycloak's own factory (order 0), so this one wins the id. */
    static final int ORDER = 100;
    private static final Logger LOG = Logger.getLogger(GuardedPasswordCredentialProviderFactory.class);

    private record MeterSettings(Meter.MeterProvider<Counter> meterProvider, boolean metricsEnabled, boolean realm,
                                 boolean algorithm, boolean hashingStrength, boolean outcome) {
    }

    private MeterSettings meters;

    @Override
    public void init(Config.Scope config) {
        super.init(config);
        try {
            @SuppressWarnings("unchecked")
            Meter.MeterProvider<Counter> provider = (Meter.MeterProvider<Counter>) field("meterProvider");
            meters = new MeterSettings(provider, (Boolean) field("metricsEnabled"), (Boolean) field("withRealmInMetric"),
                    (Boolean) field("withAlgorithmInMetric"), (Boolean) field("withHashingStrengthInMetric"),
                    (Boolean) field("withOutcomeInMetric"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            meters = null;
            LOG.errorf("Sentinel: cannot read Keycloak's password provider settings (%s); password checks are NOT guarded",
                    e.toString());
        }
        // an operator can alert on 0: the guard is off after a Keycloak upgrade changed the provider
        Gauge.builder("sentinel.password.guard.active", this, f -> f.meters == null ? 0 : 1)
                .description("1 when Sentinel guards Keycloak's password checks on this node, 0 when it could not install")
                .strongReference(true).register(Metrics.globalRegistry);
    }

    private Object field(String name) throws ReflectiveOperationException {
        Field f = PasswordCredentialProviderFactory.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(this);
    }

    @Override
    public PasswordCredentialProvider create(KeycloakSession session) {
        MeterSettings m = meters;
        if (m == null) {
            return super.create(session);
        }
        return new Guarded(session, m);
    }

    @Override
    public int order() {
        return ORDER;
    }

    /** Keycloak's password provider with the guard in front of the hash. */
    static final class Guarded extends PasswordCredentialProvider {

        Guarded(KeycloakSession session, MeterSettings m) {
            super(session, m.meterProvider(), m.metricsEnabled(), m.realm(), m.algorithm(), m.hashingStrength(), m.outcome());
        }

        @Override
        public boolean isValid(RealmModel realm, UserModel user, CredentialInput input) {
            boolean password = input != null && PasswordCredentialModel.TYPE.equals(input.getType());
            PasswordGuard.Verdict verdict = password
                    ? PasswordGuard.beforePasswordCheck(session, realm, user, input.getChallengeResponse())
                    : PasswordGuard.Verdict.CHECK;
            if (verdict == PasswordGuard.Verdict.REFUSE) {
                return false; // exactly what a wrong password answers, without the hash
            }
            if (!password) {
                return super.isValid(realm, user, input);
            }
            boolean answerable = PasswordGuard.busyAnswerable(session);
            // a step that cannot answer "busy" (identity-first, re-authentication pages of Keycloak's own, the
            // account console) checks as before: a refusal there would read as a wrong password and count against
            // the account
            HashBulkhead.Turn given = answerable ? PasswordGuard.turnForHash(session, realm, user) : HashBulkhead.FREE;
            if (given == null) {
                throw new PasswordGuard.BulkheadFull(); // no room: nothing checked, right and wrong alike; the step answers 429
            }
            HashBulkhead.Turn turn = given;
            try (turn) {
                if (verdict == PasswordGuard.Verdict.REFUSE_AFTER_HASH) {
                    super.isValid(realm, user, input); // the hash a wrong password costs; its answer is not used
                    return false;
                }
                boolean valid = super.isValid(realm, user, input);
                if (valid) {
                    PasswordGuard.afterRightPassword(session, realm, user);
                }
                return valid;
            }
        }

        /** Every new password (the user's form, a reset, the admin API) is refused while it is sprayed in the realm. */
        @Override
        public boolean createCredential(RealmModel realm, UserModel user, String password) {
            if (PasswordGuard.sprayed(session, realm, password)) {
                throw new ModelException(SPRAYED_MESSAGE);
            }
            return super.createCredential(realm, user, password);
        }
    }
}
