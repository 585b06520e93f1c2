package io.keycloaksentinel.authenticators.mfa;

import org.jboss.logging.Logger;
import org.keycloak.common.util.Time;
import org.keycloak.models.UserModel;

/**
 * The user's standing under the policy and the per-user grace state the step keeps (user
 * attributes): a user's own grace, the mark of a login outside every scope, the skips used.
 */
final class MfaGrace {

    private static final Logger LOG = Logger.getLogger(MfaGrace.class);

    private MfaGrace() {
    }

    /**
     * The user's status; a user who was seen outside every scope after the policy began and is now
     * in one gets a grace of their own from this login.
     */
    static MfaStatus status(MfaPolicyEvaluator policy, UserModel user) {
        MfaStatus status = policy.status(user);
        if (status.covered() && status.state() != MfaStatus.State.ENROLLED
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_GRACE_FROM) == null
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE) != null) {
            try {
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_GRACE_FROM, Long.toString(Time.currentTimeMillis()));
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, "0");
                status = policy.status(user);
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not start an MFA grace for user %s: %s", user.getId(), e.toString());
            }
        }
        return status;
    }

    /** Remembers that the user signed in outside every scope while the policy was on (see above). */
    static void markOutside(MfaPolicyEvaluator policy, UserModel user, MfaStatus status) {
        if (policy.policy().active() && status.state() == MfaStatus.State.NOT_COVERED
                && user.getFirstAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE) == null
                && Time.currentTimeMillis() >= policy.policyStart()) {
            try {
                user.setSingleAttribute(MfaPolicyEvaluator.ATTR_OUTSIDE, Long.toString(Time.currentTimeMillis()));
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not mark user %s: %s", user.getId(), e.toString());
            }
        }
    }

    /** One of the grace's skips used ("Not now", or a password grant in a login-limited grace). */
    static void useSkip(UserModel user) {
        user.setSingleAttribute(MfaPolicyEvaluator.ATTR_SKIPS, Integer.toString(MfaPolicyEvaluator.skips(user) + 1));
    }
}
