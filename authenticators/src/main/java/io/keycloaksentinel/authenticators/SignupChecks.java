package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.detect.AccountActivity;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelDuplicateException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserProvider;

/**
 * What the email-first sign-up checks before it answers: the cluster-wide limits of sign-up
 * requests per address and network, whether an account already uses the address (at the same cost
 * either way), and the hourly budget of sign-up mails per address.
 */
final class SignupChecks {

    private static final String USER_STORAGE = SentinelResetCredentialChooseUser.USER_STORAGE;
    private static final Logger LOG = Logger.getLogger(SignupChecks.class);

    private SignupChecks() {
    }

    /**
     * Whether an account already uses this address (also as its username when emails are
     * usernames). Counted in the database itself (exact match), so no account is loaded: Keycloak's
     * user cache answers a user it holds from memory and loads one it does not with several
     * queries, and even loading the database's own entity costs a registered address a little
     * time an unknown one would not spend. Every count runs whatever the others found. Federated
     * users (LDAP, Kerberos) are looked up through Keycloak's usual path, only when the realm has a
     * user-storage provider (that path is not timing-neutral: see docs/sign-up.md). A count that fails
     * counts as "no account": the registration form's own check still stops a duplicate.
     */
    static boolean registered(KeycloakSession session, RealmModel realm, String email) {
        UserProvider database = session.getProvider(UserProvider.class);
        boolean byEmail = counted(() -> database.getUsersCount(realm,
                Map.of(UserModel.EMAIL, email, UserModel.EXACT, Boolean.TRUE.toString())));
        boolean byUsername = realm.isRegistrationEmailAsUsername() && counted(() -> database.getUsersCount(realm,
                Map.of(UserModel.USERNAME, email, UserModel.EXACT, Boolean.TRUE.toString())));
        boolean federated = realm.getComponentsStream(realm.getId(), USER_STORAGE).findAny().isPresent()
                && counted(() -> session.users().getUserByEmail(realm, email) != null ? 1 : 0);
        return byEmail || byUsername || federated;
    }

    private static boolean counted(java.util.function.IntSupplier query) {
        try {
            return query.getAsInt() > 0;
        } catch (ModelDuplicateException e) {
            return true; // several accounts share the address (duplicate emails allowed): it is taken
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: sign-up lookup failed, answering as for a new address: %s", e.toString());
            return false;
        }
    }

    /**
     * Why the sign-up limits refuse this request (the address's or the network's sign-up requests
     * in 15 minutes, cluster-wide), or empty; an allowlisted source and a detector that cannot
     * answer are let through.
     */
    static Optional<String> throttle(AuthenticationFlowContext context, AttackDetector detector, String ip) {
        if (detector == null || RealmDetectionConfig.allowlisted(context.getRealm()::getAttribute, ip)) {
            return Optional.empty();
        }
        try {
            long[] counts = detector.accountRequests15m(context.getRealm().getId(), ip, AccountActivity.Kind.REGISTRATION);
            SignupConfig config = SignupConfig.of(context.getAuthenticatorConfig());
            int perIp = config.perIp();
            int perNetwork = config.perNetwork();
            if (perIp > 0 && counts[0] >= perIp) {
                return Optional.of("address over " + perIp + " sign-up requests in 15 min");
            }
            if (perNetwork > 0 && counts[1] >= perNetwork) {
                return Optional.of("network over " + perNetwork + " sign-up requests in 15 min");
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: sign-up throttle unavailable, letting the request through: %s", e.toString());
            return Optional.empty();
        }
    }

    /**
     * One of the few mails an address may get per hour from sign-up (new code or notice alike),
     * claimed on the whole cluster (the detector keeps only a keyed hash of the address).
     */
    static boolean mailSlot(AuthenticationFlowContext context, AttackDetector detector, String email) {
        if (detector == null) {
            return true;
        }
        int max = SignupConfig.of(context.getAuthenticatorConfig()).mailsPerAddress();
        if (max == 0) {
            return true; // 0: no limit, as for the other limits
        }
        return detector.keys().claimHourlySlot(context.getRealm().getId(), "signup-mail", email, max);
    }

    static AttackDetector detector(KeycloakSession session) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        return detection == null ? null : detection.detector();
    }
}
