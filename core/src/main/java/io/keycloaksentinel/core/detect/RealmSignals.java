package io.keycloaksentinel.core.detect;

/**
 * What the realm-wide counters say at one moment, summed over the whole cluster.
 *
 * @param failuresLastMinute    failed logins (any username, known or not) in the last minute
 * @param unknownUserFailuresLastMinute of which for usernames that do not exist
 * @param failuresLastDay       failed logins in the last 24 hours, the realm's own baseline
 * @param successesLastMinute   successful logins in the last minute
 */
public record RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay,
                           long successesLastMinute) {

    public RealmSignals {
        if (failuresLastMinute < 0 || unknownUserFailuresLastMinute < 0 || failuresLastDay < 0 || successesLastMinute < 0) {
            throw new IllegalArgumentException("counts are never negative");
        }
    }

    /** Signals of a minute with no successful login. */
    public RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay) {
        this(failuresLastMinute, unknownUserFailuresLastMinute, failuresLastDay, 0);
    }

    /** The share of last minute's attempts that failed (0 when there were none). */
    public double failureShare() {
        long attempts = failuresLastMinute + successesLastMinute;
        return attempts == 0 ? 0.0 : (double) failuresLastMinute / attempts;
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
