package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Scope;
import java.util.List;

/**
 * Where one user stands with a realm's MFA policy, worked out from facts the caller gathered
 * (which scopes and exemptions match, the user's factors, when the grace began, the skips used).
 * Pure: the same facts give the same answer on every node.
 *
 * <p>The grace of a user in several scopes is the strictest of them: the fewest days and the fewest
 * logins (a scope with {@code graceLogins} 0 does not limit logins). The grace ends at whichever
 * comes first: {@code graceDays} after it began, or when the user has skipped enrollment
 * {@code graceLogins} times. {@code graceDays} 0 means no grace at all.
 */
public record MfaStatus(State state, List<Scope> scopes, long graceEndsAt, int loginsLeft, long daysLeft) {

    public enum State {
        /** The policy is off, or names no scope this user is in. */
        NOT_COVERED,
        /** In a scope, but exempt. */
        EXEMPT,
        /** In a scope and has an allowed second factor. */
        ENROLLED,
        /** In a scope without a factor, and may still skip. */
        IN_GRACE,
        /** In a scope without a factor, and must enroll before signing in. */
        OVERDUE
    }

    private static final long DAY = 24L * 3600 * 1000;

    public boolean covered() {
        return state == State.ENROLLED || state == State.IN_GRACE || state == State.OVERDUE;
    }

    /**
     * @param matched     the policy's scopes this user is in (empty: not covered)
     * @param exempt      whether an exemption matches
     * @param hasFactor   whether the user has a factor the policy allows
     * @param graceBegan  when the grace began for this user (epoch ms): the latest of the policy's
     *                    start, the account's creation and the moment the user came into a scope
     * @param skips       how many times the user has skipped enrollment during this grace
     */
    public static MfaStatus of(MfaSettings policy, List<Scope> matched, boolean exempt, boolean hasFactor, long graceBegan,
                               int skips, long now) {
        if (!policy.active() || matched.isEmpty()) {
            return new MfaStatus(State.NOT_COVERED, List.of(), 0, 0, 0);
        }
        if (exempt) {
            return new MfaStatus(State.EXEMPT, matched, 0, 0, 0);
        }
        int days = Integer.MAX_VALUE;
        int logins = 0;
        for (Scope s : matched) {
            days = Math.min(days, s.days(policy));
            int l = s.logins(policy);
            if (l > 0) {
                logins = logins == 0 ? l : Math.min(logins, l);
            }
        }
        long endsAt = days == 0 ? graceBegan : graceBegan + days * DAY;
        int loginsLeft = logins == 0 ? Integer.MAX_VALUE : Math.max(0, logins - skips);
        long daysLeft = Math.max(0, (endsAt - now + DAY - 1) / DAY);
        if (hasFactor) {
            return new MfaStatus(State.ENROLLED, matched, endsAt, loginsLeft, daysLeft);
        }
        boolean inGrace = days > 0 && now < endsAt && loginsLeft > 0;
        return new MfaStatus(inGrace ? State.IN_GRACE : State.OVERDUE, matched, endsAt, loginsLeft, daysLeft);
    }

    /** Whether the grace is limited by logins (then {@link #loginsLeft} is what remains). */
    public boolean loginLimited() {
        return loginsLeft != Integer.MAX_VALUE;
    }
}
