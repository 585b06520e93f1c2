package io.keycloaksentinel.core.risk;

import io.keycloaksentinel.core.counters.Window;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Turns what was read about a request into its {@link Risk}: the one place thresholds become a
 * refusal or a level. Pure: no store, no clock, no Keycloak; the thresholds are an input.
 */
public final class RiskDecider {

    /**
     * What one batched read found for a request.
     *
     * @param state                   the realm's attack state
     * @param ipFailures24h           failed logins from the source address in 24 h
     * @param networkFailures15m      failed logins from its network in 15 min (the widest of its networks)
     * @param networkUsernames15m     distinct usernames that failed from its network in 15 min
     * @param ipAccountRequests15m    sign-ups and reset requests from the address in 15 min
     * @param subject                 whether a username or account was given
     * @param unknownSourceFailures15m failed logins for that subject from networks its user never used, 15 min
     */
    public record Inputs(AttackState state, long ipFailures24h, long networkFailures15m, long networkUsernames15m,
                         long ipAccountRequests15m, boolean subject, long unknownSourceFailures15m) {

        /** The same source's counts for another subject. */
        public Inputs withSubject(boolean given, long unknownSourceFailures) {
            return new Inputs(state, ipFailures24h, networkFailures15m, networkUsernames15m, ipAccountRequests15m, given,
                    unknownSourceFailures);
        }
    }

    private RiskDecider() {
    }

    /**
     * @param knownSource asked (a cluster read) only when the answer matters: smart lockout would
     *                    refuse, the subject has unknown-source failures, or the level is HIGH; or
     *                    always with {@code resolveKnown}
     */
    public static Risk decide(DetectionThresholds t, Inputs in, BooleanSupplier knownSource, boolean resolveKnown) {
        List<String> high = new ArrayList<>();
        List<String> medium = new ArrayList<>();
        if (in.state() == AttackState.UNDER_ATTACK) {
            high.add("realm under attack");
        } else if (in.state() == AttackState.ELEVATED) {
            medium.add("realm elevated");
        }
        boolean lockoutMatters = in.subject() && t.smartLockout()
                && in.unknownSourceFailures15m() * 2 >= t.unknownSourceFailuresPer15m();
        Boolean known = null;
        if (in.subject() && (resolveKnown || lockoutMatters)) {
            known = knownSource.getAsBoolean();
        }
        ThrottleDecision throttle = throttle(t, in, known);
        if (throttle.throttled()) {
            high.add(throttle.reason());
        }
        if (in.ipFailures24h() * 2 >= t.ipFailuresPerDay()) {
            medium.add(in.ipFailures24h() + " failed logins from this address in 24 h");
        }
        if (in.networkFailures15m() * 2 >= t.networkFailuresPer15m()) {
            medium.add(in.networkFailures15m() + " failed logins from this network in 15 min");
        }
        if (in.networkUsernames15m() * 2 >= t.networkUsernamesPer15m()) {
            medium.add(in.networkUsernames15m() + " distinct usernames failed from this network in 15 min");
        }
        if (in.ipAccountRequests15m() >= t.ipAccountRequestsPer15m()) {
            medium.add(in.ipAccountRequests15m() + " sign-ups and password-reset requests from this address in 15 min");
        }
        if (lockoutMatters && !Boolean.TRUE.equals(known)) {
            medium.add(in.unknownSourceFailures15m() + " failed logins for this username from unknown networks in 15 min");
        }
        RiskLevel level = !high.isEmpty() ? RiskLevel.HIGH : !medium.isEmpty() ? RiskLevel.MEDIUM : RiskLevel.LOW;
        if (level == RiskLevel.HIGH && known == null && in.subject()) {
            known = knownSource.getAsBoolean(); // the password guard asks it of every HIGH request
        }
        List<String> reasons = new ArrayList<>(high);
        reasons.addAll(medium);
        return new Risk(level, throttle, Boolean.TRUE.equals(known), List.copyOf(reasons), false, false);
    }

    /**
     * Refuses an address over its per-day threshold, a network over its failure or
     * distinct-username threshold, and, with smart lockout, a subject over its unknown-source
     * threshold when this request comes from a network its user never signed in from.
     */
    static ThrottleDecision throttle(DetectionThresholds t, Inputs in, Boolean known) {
        if (in.ipFailures24h() >= t.ipFailuresPerDay()) {
            return ThrottleDecision.refuse(RefusalReason.ADDRESS, Window.ONE_DAY.bucket(),
                    in.ipFailures24h() + " failed logins from this address in 24 h");
        }
        if (in.networkFailures15m() >= t.networkFailuresPer15m()) {
            return ThrottleDecision.refuse(RefusalReason.NETWORK, Window.FIFTEEN_MINUTES.length(),
                    in.networkFailures15m() + " failed logins from this network in 15 min");
        }
        if (in.networkUsernames15m() >= t.networkUsernamesPer15m()) {
            return ThrottleDecision.refuse(RefusalReason.NETWORK_USERNAMES, Window.FIFTEEN_MINUTES.length(),
                    in.networkUsernames15m() + " distinct usernames failed from this network in 15 min");
        }
        if (in.subject() && t.smartLockout() && in.unknownSourceFailures15m() >= t.unknownSourceFailuresPer15m()
                && !Boolean.TRUE.equals(known)) {
            return ThrottleDecision.refuse(RefusalReason.UNKNOWN_SOURCE, Window.FIFTEEN_MINUTES.length(),
                    in.unknownSourceFailures15m() + " failed logins for this username from unknown networks in 15 min");
        }
        return ThrottleDecision.ALLOW;
    }
}
