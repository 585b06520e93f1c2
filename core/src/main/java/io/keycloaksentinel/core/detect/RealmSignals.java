package io.keycloaksentinel.core.detect;

/**
 * What the realm-wide counters say at one moment, summed over the whole cluster.
 *
 * @param failuresLastMinute    failed logins (any username, known or not) in the last minute
 * @param unknownUserFailuresLastMinute of which for usernames that do not exist
 * @param failuresLastDay       failed logins in the last 24 hours, the realm's own baseline
 */
public record RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay) {

    public RealmSignals {
        if (failuresLastMinute < 0 || unknownUserFailuresLastMinute < 0 || failuresLastDay < 0) {
            throw new IllegalArgumentException("counts are never negative");
        }
    }

    /** The average failures per minute over the last day. */
    public double baselinePerMinute() {
        return failuresLastDay / (24.0 * 60.0);
    }

    /** The share of last minute's failures that named a username that does not exist (0 when none failed). */
    public double unknownUserShare() {
        return failuresLastMinute == 0 ? 0.0 : Math.min(1.0, (double) unknownUserFailuresLastMinute / failuresLastMinute);
    }
}
