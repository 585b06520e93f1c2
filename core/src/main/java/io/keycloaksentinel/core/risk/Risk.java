package io.keycloaksentinel.core.risk;

import java.util.List;

/**
 * The one risk decision of a request: made once (per request and subject) by
 * {@code detect.RequestRisk} from one batched read of the counters, and read by everything that needs
 * risk: the login form's throttle, the CAPTCHA gate, the password guard, the step-up, the
 * breached-password check.
 *
 * @param level       HIGH: the realm is under attack or the request is throttled; MEDIUM: the realm
 *                    is elevated, or a subject reached half of a threshold; LOW otherwise
 * @param throttle    whether a password post from here must be refused before any check, why, for how long
 * @param knownSource whether the subject's user signed in from this network recently (false when not asked)
 * @param reasons     what raised the level, for logs and the admin API (no usernames, no secrets)
 * @param allowlisted the address is on the realm's allowlist: never throttled, never refused
 * @param monitorOnly the realm only watches: refusals are logged and counted, not applied
 */
public record Risk(RiskLevel level, ThrottleDecision throttle, boolean knownSource, List<String> reasons,
                   boolean allowlisted, boolean monitorOnly) {

    /** An allowlisted address: nothing refused, no counters read. */
    public static Risk allowlistedSource() {
        return new Risk(RiskLevel.LOW, ThrottleDecision.ALLOW, false, List.of("allowlisted"), true, false);
    }

    /** What a request is worth when nothing could be read and the realm fails open. */
    public static Risk unknown() {
        return new Risk(RiskLevel.LOW, ThrottleDecision.ALLOW, false, List.of("detector unavailable"), false, false);
    }

    /** Whether a password post must be refused now, before the user is looked up or any password hashed. */
    public boolean throttled() {
        return throttle.throttled() && !monitorOnly;
    }

    /** Whether the realm only watches and this request would have been throttled. */
    public boolean wouldThrottle() {
        return throttle.throttled() && monitorOnly;
    }

    /**
     * Whether a password must not be checked on a path that has no CAPTCHA and no second proof (the
     * password grant; Keycloak's own forms when Sentinel's gate did not run): throttled, or HIGH from
     * a network the account never signed in from. No hash is spent on such a request, and it gets
     * the same answer whatever the password.
     */
    public boolean refusesUnprovenPassword() {
        if (allowlisted || monitorOnly) {
            return false;
        }
        return throttle.throttled() || (level == RiskLevel.HIGH && !knownSource);
    }

    /** Whether the realm only watches and {@link #refusesUnprovenPassword()} would have refused. */
    public boolean wouldRefuseUnprovenPassword() {
        return monitorOnly && !allowlisted && (throttle.throttled() || (level == RiskLevel.HIGH && !knownSource));
    }

    public Risk withPolicy(boolean monitor) {
        return new Risk(level, throttle, knownSource, reasons, allowlisted, monitor);
    }
}
