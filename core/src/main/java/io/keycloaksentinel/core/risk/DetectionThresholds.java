package io.keycloaksentinel.core.risk;

import java.time.Duration;

/**
 * When a realm counts as under attack, and when it is calm again.
 *
 * @param attackFailuresPerMinute the realm-wide failure rate (per minute) that always means an attack,
 *                                whatever the baseline; half of it means ELEVATED
 * @param baselineMultiplier      a failure rate this many times the realm's own 24-hour average is an
 *                                attack (once above {@code minFailuresPerMinute})
 * @param minFailuresPerMinute    below this rate nothing is an attack, however quiet the realm usually is
 * @param unknownUserShare        a minute with at least {@code minFailuresPerMinute} failures, most of them
 *                                (this share) for usernames that do not exist, is an attack: the botnet signature
 * @param cooldown                how long the signals must stay below half their entry level before the
 *                                state steps down (hysteresis: no flapping around a threshold)
 * @param ipFailuresPerDay        failed logins from one IP in 24 hours after which its login posts are
 *                                throttled (Auth0's suspicious-IP default: 100)
 * @param networkFailuresPer15m   failed logins from one network in 15 minutes after which its login posts
 *                                are throttled
 * @param networkUsernamesPer15m  distinct usernames that failed from one network in 15 minutes after which
 *                                its login posts are throttled: one network trying many accounts
 * @param unknownSourceFailuresPer15m smart lockout: failed logins for one username from networks where
 *                                that user never signed in, in 15 minutes, after which further attempts
 *                                for that username from such networks are refused before the password is
 *                                checked (the user's known networks keep working); 0 turns it off
 * @param ipAccountRequestsPer15m sign-ups plus password-reset requests from one address in 15 minutes
 *                                that make further requests from it risky (MEDIUM)
 * @param burstFailures           the burst rule: failed logins in 10 seconds, most with the botnet's
 *                                signature (see {@code burstSignatureShare}) and for many distinct
 *                                usernames, that make the realm UNDER_ATTACK (half of it: ELEVATED), before
 *                                the one-minute rules could; 0 turns the rule off, otherwise at least
 *                                {@value #MIN_BURST_FAILURES}
 * @param burstSignatureShare     the share of those failures that must be for usernames that do not exist
 *                                or refused posts (a CAPTCHA failed, a refusal before the password)
 * @param sprayAccountsPerHour    password spraying: a password tried on this many distinct accounts, each
 *                                from a network new to that account, within an hour is "sprayed" (see
 *                                {@code detect.PasswordSprays}); 0 turns it off, otherwise at least
 *                                {@value #MIN_SPRAY_ACCOUNTS}
 * @param newNetworkAccountsPerHour the low-and-slow rule: distinct existing accounts that failed to sign in
 *                                from a network new to the account within the last hour that make the realm
 *                                ELEVATED (never UNDER_ATTACK) when the realm's own hourly baseline of the
 *                                same does not explain them ({@code baselineMultiplier} times it); needs
 *                                smart lockout on (it reads the networks); 0 turns it off
 */
public record DetectionThresholds(long attackFailuresPerMinute, double baselineMultiplier, long minFailuresPerMinute,
                                  double unknownUserShare, Duration cooldown, long ipFailuresPerDay,
                                  long networkFailuresPer15m, long networkUsernamesPer15m,
                                  long unknownSourceFailuresPer15m, long ipAccountRequestsPer15m,
                                  long burstFailures, double burstSignatureShare, long sprayAccountsPerHour,
                                  long newNetworkAccountsPerHour) {

    public static final long DEFAULT_IP_FAILURES_PER_DAY = 100;
    public static final long DEFAULT_NETWORK_FAILURES_PER_15M = 500;
    public static final long DEFAULT_NETWORK_USERNAMES_PER_15M = 50;
    public static final long DEFAULT_UNKNOWN_SOURCE_FAILURES_PER_15M = 10;
    public static final long DEFAULT_IP_ACCOUNT_REQUESTS_PER_15M = 10;
    public static final long DEFAULT_BURST_FAILURES = 16;
    public static final double DEFAULT_BURST_SIGNATURE_SHARE = 0.6;
    public static final long DEFAULT_SPRAY_ACCOUNTS_PER_HOUR = 10;
    public static final long DEFAULT_NEW_NETWORK_ACCOUNTS_PER_HOUR = 30;
    /** The smallest spray a realm may set: two accounts sharing a password and a trip are ordinary. */
    public static final long MIN_SPRAY_ACCOUNTS = 3;
    /** The smallest burst a realm may set: the rule's stay level for UNDER_ATTACK is a quarter of it. */
    public static final long MIN_BURST_FAILURES = 4;

    public static final DetectionThresholds DEFAULTS =
            new DetectionThresholds(300, 10.0, 30, 0.6, Duration.ofMinutes(5));

    /** Realm-state thresholds with the default throttle thresholds. */
    public DetectionThresholds(long attackFailuresPerMinute, double baselineMultiplier, long minFailuresPerMinute,
                               double unknownUserShare, Duration cooldown) {
        this(attackFailuresPerMinute, baselineMultiplier, minFailuresPerMinute, unknownUserShare, cooldown,
                DEFAULT_IP_FAILURES_PER_DAY, DEFAULT_NETWORK_FAILURES_PER_15M, DEFAULT_NETWORK_USERNAMES_PER_15M,
                DEFAULT_UNKNOWN_SOURCE_FAILURES_PER_15M, DEFAULT_IP_ACCOUNT_REQUESTS_PER_15M);
    }

    /** All but the burst rule, which takes its defaults. */
    public DetectionThresholds(long attackFailuresPerMinute, double baselineMultiplier, long minFailuresPerMinute,
                               double unknownUserShare, Duration cooldown, long ipFailuresPerDay,
                               long networkFailuresPer15m, long networkUsernamesPer15m,
                               long unknownSourceFailuresPer15m, long ipAccountRequestsPer15m) {
        this(attackFailuresPerMinute, baselineMultiplier, minFailuresPerMinute, unknownUserShare, cooldown,
                ipFailuresPerDay, networkFailuresPer15m, networkUsernamesPer15m, unknownSourceFailuresPer15m,
                ipAccountRequestsPer15m, DEFAULT_BURST_FAILURES, DEFAULT_BURST_SIGNATURE_SHARE);
    }

    /** All but the spray rule, which takes its default. */
    public DetectionThresholds(long attackFailuresPerMinute, double baselineMultiplier, long minFailuresPerMinute,
                               double unknownUserShare, Duration cooldown, long ipFailuresPerDay,
                               long networkFailuresPer15m, long networkUsernamesPer15m,
                               long unknownSourceFailuresPer15m, long ipAccountRequestsPer15m,
                               long burstFailures, double burstSignatureShare) {
        this(attackFailuresPerMinute, baselineMultiplier, minFailuresPerMinute, unknownUserShare, cooldown,
                ipFailuresPerDay, networkFailuresPer15m, networkUsernamesPer15m, unknownSourceFailuresPer15m,
                ipAccountRequestsPer15m, burstFailures, burstSignatureShare, DEFAULT_SPRAY_ACCOUNTS_PER_HOUR,
                DEFAULT_NEW_NETWORK_ACCOUNTS_PER_HOUR);
    }

    /** Whether the low-and-slow rule (accounts failing from networks new to them, per hour) is on. */
    public boolean newNetworkRule() {
        return newNetworkAccountsPerHour > 0 && smartLockout();
    }

    /** Whether the spray rule (one password across many accounts) is on. */
    public boolean sprayRule() {
        return sprayAccountsPerHour > 0;
    }

    /** Whether the burst rule (a realm's last 10 seconds) is on. */
    public boolean burstRule() {
        return burstFailures > 0;
    }

    /** Whether smart lockout (per-username refusals from unknown networks) is on. */
    public boolean smartLockout() {
        return unknownSourceFailuresPer15m > 0;
    }

    public DetectionThresholds {
        if (ipFailuresPerDay < 1 || networkFailuresPer15m < 1) {
            throw new IllegalArgumentException("ipFailuresPerDay and networkFailuresPer15m must be at least 1");
        }
        if (networkUsernamesPer15m < 1 || unknownSourceFailuresPer15m < 0 || ipAccountRequestsPer15m < 1) {
            throw new IllegalArgumentException("networkUsernamesPer15m and ipAccountRequestsPer15m must be at least 1,"
                    + " unknownSourceFailuresPer15m at least 0");
        }
        if (attackFailuresPerMinute < 2 || minFailuresPerMinute < 1 || minFailuresPerMinute > attackFailuresPerMinute) {
            throw new IllegalArgumentException("need 1 <= minFailuresPerMinute <= attackFailuresPerMinute, and attackFailuresPerMinute >= 2");
        }
        if (!(baselineMultiplier >= 1.0) || !(unknownUserShare > 0.0 && unknownUserShare <= 1.0)) {
            throw new IllegalArgumentException("baselineMultiplier must be >= 1 and unknownUserShare in (0, 1]");
        }
        if (burstFailures != 0 && burstFailures < MIN_BURST_FAILURES || burstFailures < 0) {
            throw new IllegalArgumentException("burstFailures must be 0 (off) or at least " + MIN_BURST_FAILURES);
        }
        if (!(burstSignatureShare > 0.0 && burstSignatureShare <= 1.0)) {
            throw new IllegalArgumentException("burstSignatureShare must be in (0, 1]");
        }
        if (sprayAccountsPerHour != 0 && sprayAccountsPerHour < MIN_SPRAY_ACCOUNTS || sprayAccountsPerHour < 0) {
            throw new IllegalArgumentException("sprayAccountsPerHour must be 0 (off) or at least " + MIN_SPRAY_ACCOUNTS);
        }
        if (newNetworkAccountsPerHour < 0) {
            throw new IllegalArgumentException("newNetworkAccountsPerHour must be 0 (off) or more");
        }
        if (cooldown.isNegative()) {
            throw new IllegalArgumentException("cooldown must not be negative");
        }
    }
}
