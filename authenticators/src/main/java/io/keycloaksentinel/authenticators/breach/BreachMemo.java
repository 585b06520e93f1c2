package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;
import org.keycloak.credential.CredentialModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.PasswordCredentialModel;

/**
 * The check runs at most once per password: a clean verdict is remembered as a user attribute
 * holding a keyed hash (HMAC with a cluster-held realm key) of the password credential's id,
 * creation time and salt, never the password or its hash; a new password, a new key or
 * {@code recheckDays} make it run again.
 */
final class BreachMemo {

    static final String ATTR_VERDICT = "sentinel.breach.verdict";
    private static final Logger LOG = Logger.getLogger(BreachMemo.class);

    private BreachMemo() {
    }

    /**
     * The memo of the user's current password credential: an HMAC (realm key of the detector) of
     * its id, creation time and salt. Empty when there is no key or no stored password.
     */
    static Optional<String> of(KeycloakSession session, RealmModel realm, UserModel user) {
        try {
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null) {
                return Optional.empty();
            }
            Optional<CredentialModel> stored = user.credentialManager()
                    .getStoredCredentialsByTypeStream(PasswordCredentialModel.TYPE).findFirst();
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            CredentialModel c = stored.get();
            byte[] salt = PasswordCredentialModel.createFromCredentialModel(c).getPasswordSecretData().getSalt();
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(detection.detector().keys().derivedKey(realm.getId(), "breach-verdict"),
                    "HmacSHA256"));
            mac.update((c.getId() + ":" + c.getCreatedDate() + ":").getBytes(StandardCharsets.UTF_8));
            mac.update(salt == null ? new byte[0] : salt);
            return Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(mac.doFinal(), 16)));
        } catch (GeneralSecurityException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether the user's stored clean verdict is for this memo and recent enough. */
    static boolean clean(UserModel user, String memo, int recheckDays) {
        return BreachDecision.rememberedClean(user.getFirstAttribute(ATTR_VERDICT), memo, recheckDays, today());
    }

    /** Remembers a clean verdict for this memo, today (not at all on a read-only user store). */
    static void rememberClean(UserModel user, String memo) {
        try {
            user.setSingleAttribute(ATTR_VERDICT, memo + ":" + today());
        } catch (RuntimeException e) {
            LOG.debugf("Sentinel: could not remember a clean verdict for user %s: %s", user.getId(), e.toString());
        }
    }

    private static long today() {
        return LocalDate.now(ZoneOffset.UTC).toEpochDay();
    }
}
