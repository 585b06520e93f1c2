package io.keycloaksentinel.core.detect;

/**
 * What the realm-wide counters say at one moment, summed over the whole cluster.
 *
 * @param failuresLastMinute    failed logins (any username, known or not) in the last minute
 * @param unknownUserFailuresLastMinute of which for usernames that do not exist
 * @param failuresLastDay       failed logins in the last 24 hours, the realm's own baseline
 * @param successesLastMinute   successful logins in the last minute
 * @param burst                 the last ten seconds (the burst rule)
 * @param newNetworkAccountsLastHour distinct existing accounts that failed from a network new to them in the last hour
 * @param newNetworkAccountsLastDay  the same over the last day, the low-and-slow rule's baseline
 */
public record RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay,
                           long successesLastMinute, Burst burst, long newNetworkAccountsLastHour,
                           long newNetworkAccountsLastDay) {

    /** Signals without the low-and-slow counts. */
    public RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay,
                        long successesLastMinute, Burst burst) {
        this(failuresLastMinute, unknownUserFailuresLastMinute, failuresLastDay, successesLastMinute, burst, 0, 0);
    }

    /**
     * The realm's hourly baseline of accounts failing from new networks: the day's distinct accounts
     * outside the last hour, per hour (an account counted in both is counted once, in the day).
     */
    public double newNetworkBaselinePerHour() {
        return Math.max(0, newNetworkAccountsLastDay - newNetworkAccountsLastHour) / 23.0;
    }

    /**
     * A realm's last ten seconds, for the burst rule.
     *
     * @param failures          failed logins of any kind (CAPTCHA failures and refusals included)
     * @param signature         of which with the botnet's signature: for a username that does not exist,
     *                          a CAPTCHA failed, or a post refused before the password
     * @param successes         successful logins
     * @param distinctUsernames distinct typed usernames among the failures (each counted once in the
     *                          window, under its keyed hash)
     */
    public record Burst(long failures, long signature, long successes, long distinctUsernames) {

        public static final Burst NONE = new Burst(0, 0, 0, 0);

        public Burst {
            if (failures < 0 || signature < 0 || successes < 0 || distinctUsernames < 0) {
                throw new IllegalArgumentException("counts are never negative");
            }
        }

        /** The share of the failures with the signature (0 when none failed). */
        public double signatureShare() {
            return failures == 0 ? 0.0 : Math.min(1.0, (double) signature / failures);
        }

        /** The share of the attempts that failed (0 when there were none). */
        public double failureShare() {
            long attempts = failures + successes;
            return attempts == 0 ? 0.0 : (double) failures / attempts;
        }

        /** Distinct usernames per failure (0 when none failed): near 1 for one attempt per account. */
        public double distinctShare() {
            return failures == 0 ? 0.0 : Math.min(1.0, (double) distinctUsernames / failures);
        }
    }

    public RealmSignals {
        if (failuresLastMinute < 0 || unknownUserFailuresLastMinute < 0 || failuresLastDay < 0 || successesLastMinute < 0
                || newNetworkAccountsLastHour < 0 || newNetworkAccountsLastDay < 0) {
            throw new IllegalArgumentException("counts are never negative");
        }
        burst = burst == null ? Burst.NONE : burst;
    }

    /** Signals without a burst (the last ten seconds quiet). */
    public RealmSignals(long failuresLastMinute, long unknownUserFailuresLastMinute, long failuresLastDay,
                        long successesLastMinute) {
        this(failuresLastMinute, unknownUserFailuresLastMinute, failuresLastDay, successesLastMinute, Burst.NONE);
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
