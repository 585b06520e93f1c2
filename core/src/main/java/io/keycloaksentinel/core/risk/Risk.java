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
 * @param sprayed     the typed password was sprayed across the realm's accounts ({@code detect.PasswordSprays}):
 *                    known only once the password is typed, and then HIGH
 */
public record Risk(RiskLevel level, ThrottleDecision throttle, boolean knownSource, List<String> reasons,
                   boolean allowlisted, boolean monitorOnly, boolean sprayed) {

    public Risk(RiskLevel level, ThrottleDecision throttle, boolean knownSource, List<String> reasons, boolean allowlisted,
                boolean monitorOnly) {
        this(level, throttle, knownSource, reasons, allowlisted, monitorOnly, false);
    }

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

    /**
     * Whether a sprayed password must be answered as a wrong one without any check, on every path
     * (the browser form included: its CAPTCHA is solved by the bots that spray, and a second-proof
     * page would tell them the password was right): it was typed from a network the account never
     * signed in from. The owner's known networks keep signing in with it (and are asked to change it).
     */
    public boolean refusesSprayedPassword() {
        return sprayed && !knownSource && !allowlisted && !monitorOnly;
    }

    /** Whether the realm only watches and {@link #refusesSprayedPassword()} would have refused. */
    public boolean wouldRefuseSprayedPassword() {
        return sprayed && !knownSource && !allowlisted && monitorOnly;
    }

    public Risk withPolicy(boolean monitor) {
        return new Risk(level, throttle, knownSource, reasons, allowlisted, monitor, sprayed);
    }

    /**
     * This risk once the typed password is known: a sprayed password makes it HIGH (said first in the
     * reasons), with {@code known}: whether the account signed in from this network. Unchanged otherwise.
     */
    public Risk withPassword(boolean isSprayed, boolean known) {
        if (!isSprayed) {
            return this;
        }
        List<String> r = new java.util.ArrayList<>();
        r.add("password sprayed across many accounts");
        r.addAll(reasons);
        return new Risk(RiskLevel.HIGH, throttle, known, List.copyOf(r), allowlisted, monitorOnly, true);
    }
}
