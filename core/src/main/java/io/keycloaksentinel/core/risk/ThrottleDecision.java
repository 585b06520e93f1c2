package io.keycloaksentinel.core.risk;

import java.time.Duration;

/** Whether a login post must be refused before any password is checked, why, and for how long. */
public record ThrottleDecision(boolean throttled, long retryAfterSeconds, String reason, RefusalReason why) {
    public static final ThrottleDecision ALLOW = new ThrottleDecision(false, 0, "", null);

    public static ThrottleDecision refuse(RefusalReason why, Duration retryAfter, String reason) {
        return new ThrottleDecision(true, retryAfter.toSeconds(), reason, why);
    }
}
