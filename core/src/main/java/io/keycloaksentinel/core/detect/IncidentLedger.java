package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The realm's incident ledger: the sources flagged during an attack and the successful logins
 * from suspect sources, kept in the cluster store so a later search can tell which accounts were
 * entered from sources flagged during an attack.
 */
public final class IncidentLedger {

    private final CounterStore store;
    private final LongSupplier clock;
    private final SourceKeys sources;
    /** The thresholds this node applies to a realm ({@link RealmStates#thresholds}). */
    private final Function<String, DetectionThresholds> thresholds;

    IncidentLedger(CounterStore store, LongSupplier clock, SourceKeys sources,
                   Function<String, DetectionThresholds> thresholds) {
        this.store = store;
        this.clock = clock;
        this.sources = sources;
        this.thresholds = thresholds;
    }

    /** How many flagged sources and suspect logins a realm keeps (most recent first), and for how long. */
    public static final int MAX_FLAGGED = 2_000;
    public static final int MAX_SUSPECT_LOGINS = 5_000;
    public static final Duration INCIDENT_RETENTION = Duration.ofDays(7);

    /**
     * After a failed login: flags its address when it reached half of {@code ipFailuresPerDay},
     * and its network when it reached half of {@code networkFailuresPer15m} or of
     * {@code networkUsernamesPer15m} (the botnet that tries each account once). Flagged sources
     * are kept {@link #INCIDENT_RETENTION} (the most recent {@value #MAX_FLAGGED}) for the
     * compromised-account search.
     */
    public void flagIfSuspicious(String realmId, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (realmId == null || address.isEmpty()) {
            return;
        }
        InetAddress a = address.get();
        String networkCounter = sources.networkCounter(realmId, a);
        // only the three counters the flags need, in one read
        long[] sums = store.sumAll(Scope.SUBJECT, List.of(sources.ipCounter(realmId, a), networkCounter, "d" + networkCounter),
                List.of(Window.ONE_DAY, Window.FIFTEEN_MINUTES, Window.FIFTEEN_MINUTES), clock.getAsLong());
        DetectionThresholds t = thresholds.apply(realmId);
        if (sums[0] * 2 >= t.ipFailuresPerDay()) {
            store.remember(flagKey(realmId), "ip " + IpAddresses.canonical(a), MAX_FLAGGED, INCIDENT_RETENTION);
        }
        if (sums[1] * 2 >= t.networkFailuresPer15m() || sums[2] * 2 >= t.networkUsernamesPer15m()) {
            store.remember(flagKey(realmId), "net " + sources.network(a), MAX_FLAGGED, INCIDENT_RETENTION);
        }
    }

    /**
     * After a successful login: remembered as a suspect login (user, address, time) when its
     * address or network had failed logins (24 h / 15 min), so that a later search can tell which
     * accounts were entered from sources flagged during an attack. Nothing is kept for a login from
     * a clean source. One read of two counters.
     */
    public void rememberIfSuspect(String realmId, String userId, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (realmId == null || userId == null || userId.indexOf(',') >= 0 || userId.indexOf(' ') >= 0 || address.isEmpty()) {
            return;
        }
        InetAddress a = address.get();
        long now = clock.getAsLong();
        long[] sums = store.sumAll(Scope.SUBJECT, List.of(sources.ipCounter(realmId, a), sources.networkCounter(realmId, a)),
                List.of(Window.ONE_DAY, Window.FIFTEEN_MINUTES), now);
        if (sums[0] == 0 && sums[1] == 0) {
            return;
        }
        store.remember(suspectKey(realmId), userId + " " + IpAddresses.canonical(a) + " " + now, MAX_SUSPECT_LOGINS,
                INCIDENT_RETENTION);
    }

    /** A successful login from a source flagged by this node's cluster, for the incident search. */
    public record FlaggedLogin(String userId, String ip, String network, long atMillis, String flaggedAs) {
    }

    /**
     * The remembered suspect logins between {@code fromMillis} and {@code toMillis} whose address
     * or network is flagged, most recent first.
     */
    public List<FlaggedLogin> flaggedLogins(String realmId, long fromMillis, long toMillis) {
        Set<String> flagged = new java.util.HashSet<>(store.recent(flagKey(realmId)));
        List<FlaggedLogin> out = new ArrayList<>();
        for (String entry : store.recent(suspectKey(realmId))) {
            String[] p = entry.split(" ");
            long at = p.length == 3 ? timeOf(p[2]) : -1;
            if (at < 0 || at < fromMillis || at > toMillis) {
                continue;
            }
            Optional<InetAddress> address = IpAddresses.parse(p[1]);
            if (address.isEmpty()) {
                continue;
            }
            String network = sources.network(address.get());
            String as = flagged.contains("ip " + p[1]) ? "ip" : flagged.contains("net " + network) ? "network" : null;
            if (as != null) {
                out.add(new FlaggedLogin(p[0], p[1], network, at, as));
            }
        }
        return out;
    }

    /** How many sources are flagged in the realm now. */
    public int flaggedSources(String realmId) {
        return store.recent(flagKey(realmId)).size();
    }

    /** How many new sign-ins (new device, new network, no history) a realm keeps, most recent first. */
    public static final int MAX_NEW_SIGN_INS = 2_000;
    /** How many attack starts and ends, and contained accounts, a realm keeps. */
    public static final int MAX_ATTACKS = 50, MAX_CONTAINED = 2_000;

    /**
     * After a successful sign-in from a device new to the account and a network new to the
     * account: remembered, with its time, when its network has no
     * history in the realm (at most this one successful sign-in in 24 h), so that when an attack is
     * declared the sign-ins of the minutes before it can be found ({@link #likelyBreakIns}). One
     * read of one counter; kept {@link #INCIDENT_RETENTION}, the most recent {@value #MAX_NEW_SIGN_INS}.
     *
     * @return whether it was remembered
     */
    public boolean rememberNewSignIn(String realmId, String userId, String ip) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (realmId == null || userId == null || userId.indexOf(',') >= 0 || userId.indexOf(' ') >= 0 || address.isEmpty()) {
            return false;
        }
        long now = clock.getAsLong();
        String network = sources.network(address.get());
        // this sign-in may be counted already (another listener of the same event): one is "no history"
        if (store.sum(Scope.SUBJECT, AttemptCounting.successCounter(realmId, network), Window.ONE_DAY, now) > 1) {
            return false;
        }
        store.remember(signInKey(realmId), userId + " " + IpAddresses.canonical(address.get()) + " " + now + " d",
                MAX_NEW_SIGN_INS, INCIDENT_RETENTION);
        return true;
    }

    /** A sign-in from a new device, a network new to the account and a source with no history in the realm. */
    public record NewSignIn(String userId, String ip, String network, long atMillis) {

        /** Why it is a likely break-in, for the admin. */
        public List<String> reasons(AttackPeriod during) {
            List<String> r = new ArrayList<>();
            r.add("new-device");
            r.add("new-network");
            r.add("no-history");
            r.add(atMillis < during.startMillis() ? "before-attack" : "during-attack");
            return r;
        }
    }

    /** An attack: from when the realm left NORMAL on its way to UNDER_ATTACK to when it left UNDER_ATTACK (or not yet). */
    public record AttackPeriod(long startMillis, long endMillis) {

        public boolean ongoing() {
            return endMillis == Long.MAX_VALUE;
        }
    }

    /**
     * Records the attacks of the realm, on the node whose compare-and-set recorded the change: a
     * start when UNDER_ATTACK is entered (from when the realm was ELEVATED, if it was), an end when it is left.
     */
    public void attackStateChanged(String realmId, RealmAttackStatus from, RealmAttackStatus to) {
        boolean was = from.state() == AttackState.UNDER_ATTACK;
        boolean is = to.state() == AttackState.UNDER_ATTACK;
        if (!was && is) {
            store.remember(attackKey(realmId), "s " + attackStart(from, to), MAX_ATTACKS, INCIDENT_RETENTION);
        } else if (was && !is) {
            store.remember(attackKey(realmId), "e " + to.sinceMillis(), MAX_ATTACKS, INCIDENT_RETENTION);
        }
    }

    /** How long before UNDER_ATTACK an attack's rise may begin: a realm kept ELEVATED for days must not reach back days. */
    public static final Duration MAX_RISE = Duration.ofMinutes(10);

    /**
     * When an attack entering UNDER_ATTACK began: when the realm left NORMAL on its way (it was
     * ELEVATED), at most {@link #MAX_RISE} before UNDER_ATTACK.
     */
    public static long attackStart(RealmAttackStatus from, RealmAttackStatus to) {
        long start = from.state() == AttackState.ELEVATED && from.sinceMillis() > 0 ? from.sinceMillis() : to.sinceMillis();
        return Math.max(start, to.sinceMillis() - MAX_RISE.toMillis());
    }

    /** The realm's attacks of the last {@link #INCIDENT_RETENTION}, most recent first (nodes flush in any order: sorted by time). */
    public List<AttackPeriod> attacks(String realmId) {
        List<long[]> marks = new ArrayList<>(); // {time, 1 = start / 0 = end}
        for (String entry : store.recent(attackKey(realmId))) {
            String[] p = entry.split(" ");
            if (p.length != 2 || !("s".equals(p[0]) || "e".equals(p[0]))) {
                continue;
            }
            try {
                marks.add(new long[] {Long.parseLong(p[1]), "s".equals(p[0]) ? 1 : 0});
            } catch (NumberFormatException e) {
                // a damaged entry is skipped
            }
        }
        marks.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(b[1], a[1]));
        List<AttackPeriod> out = new ArrayList<>();
        long start = -1;
        for (long[] m : marks) {
            if (m[1] == 1) {
                if (start >= 0) {
                    out.add(0, new AttackPeriod(start, m[0])); // its end was lost: it ended by the next start at the latest
                }
                start = m[0];
            } else if (start >= 0) {
                out.add(0, new AttackPeriod(start, m[0]));
                start = -1;
            }
        }
        if (start >= 0) {
            out.add(0, new AttackPeriod(start, Long.MAX_VALUE));
        }
        return out;
    }

    /** A likely break-in and the attack it belongs to. */
    public record BreakIn(NewSignIn signIn, AttackPeriod attack) {
    }

    /**
     * The new sign-ins between {@code fromMillis} and {@code toMillis} that fall within an attack or
     * the {@code lookBack} before it, most recent first: what the finder lists and containment acts on.
     */
    public List<BreakIn> likelyBreakIns(String realmId, long fromMillis, long toMillis, Duration lookBack) {
        return likelyBreakIns(realmId, fromMillis, toMillis, lookBack, attacks(realmId));
    }

    /** The same, for the given attacks only. */
    public List<BreakIn> likelyBreakIns(String realmId, long fromMillis, long toMillis, Duration lookBack,
                                        List<AttackPeriod> attacks) {
        List<BreakIn> out = new ArrayList<>();
        if (attacks.isEmpty()) {
            return out;
        }
        for (String entry : store.recent(signInKey(realmId))) {
            String[] p = entry.split(" ");
            long at = p.length == 4 ? timeOf(p[2]) : -1;
            Optional<InetAddress> address = at < 0 ? Optional.empty() : IpAddresses.parse(p[1]);
            if (at < fromMillis || at > toMillis || address.isEmpty()) {
                continue;
            }
            for (AttackPeriod a : attacks) {
                if (at >= a.startMillis() - lookBack.toMillis() && at <= a.endMillis()) {
                    out.add(new BreakIn(new NewSignIn(p[0], p[1], sources.network(address.get()), at), a));
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Records what the containment policy did to an account ({@code how}: contain, signed-out when it
     * could not be asked a second proof, notify), for the admin alerts.
     */
    public void rememberContained(String realmId, String userId, long signInMillis, String how) {
        store.remember(containedKey(realmId), userId + " " + signInMillis + " " + clock.getAsLong() + " " + how, MAX_CONTAINED,
                INCIDENT_RETENTION);
    }

    /** An account acted on by the realm's containment policy: whose, which sign-in, when, how. */
    public record ContainedAccount(String userId, long signInMillis, long atMillis, String how) {
    }

    /** The accounts the containment policy acted on since {@code fromMillis}, most recent first. */
    public List<ContainedAccount> contained(String realmId, long fromMillis) {
        List<ContainedAccount> out = new ArrayList<>();
        for (String entry : store.recent(containedKey(realmId))) {
            String[] p = entry.split(" ");
            long signIn = p.length == 4 ? timeOf(p[1]) : -1;
            long at = p.length == 4 ? timeOf(p[2]) : -1;
            if (signIn >= 0 && at >= 0 && at >= fromMillis) {
                out.add(new ContainedAccount(p[0], signIn, at, p[3]));
            }
        }
        return out;
    }

    /** How many sprayed passwords and sign-ins made with them a realm keeps. */
    public static final int MAX_SPRAYS = 50, MAX_SPRAYED_SIGN_INS = 2_000;

    /** A password flagged as sprayed ({@link PasswordSprays}): when, and on how many accounts it had been tried. */
    public record Spray(long atMillis, long accounts) {
    }

    /** Records a sprayed password (never the password or its fingerprint: when and how wide). */
    void rememberSpray(String realmId, PasswordSprays.Flag flag) {
        store.remember(sprayKey(realmId), flag.atMillis() + " " + flag.accounts(), MAX_SPRAYS, INCIDENT_RETENTION);
    }

    /** The realm's sprayed passwords since {@code fromMillis}, most recent first. */
    public List<Spray> sprays(String realmId, long fromMillis) {
        List<Spray> out = new ArrayList<>();
        for (String entry : store.recent(sprayKey(realmId))) {
            String[] p = entry.split(" ");
            long at = p.length == 2 ? timeOf(p[0]) : -1;
            long accounts = p.length == 2 ? timeOf(p[1]) : -1;
            if (at >= fromMillis && accounts >= 0) {
                out.add(new Spray(at, accounts));
            }
        }
        return out;
    }

    /**
     * Records a sign-in made with a sprayed password from a network new to its account (the spray
     * that worked), for the finder and the containment policy. The same sign-in recorded twice is kept once.
     */
    public void rememberSprayedSignIn(String realmId, PasswordSprays.Entered in) {
        store.remember(sprayedSignInKey(realmId), in.userId() + " " + in.ip() + " " + in.atMillis(), MAX_SPRAYED_SIGN_INS,
                INCIDENT_RETENTION);
    }

    /** A sign-in made with a sprayed password from a network new to its account. */
    public record SprayedSignIn(String userId, String ip, String network, long atMillis) {

        /** Why it is a likely break-in, for the admin. */
        public List<String> reasons() {
            return List.of("sprayed-password", "new-network");
        }
    }

    /** The sign-ins made with sprayed passwords between {@code fromMillis} and {@code toMillis}, most recent first. */
    public List<SprayedSignIn> sprayedSignIns(String realmId, long fromMillis, long toMillis) {
        List<SprayedSignIn> out = new ArrayList<>();
        for (String entry : store.recent(sprayedSignInKey(realmId))) {
            String[] p = entry.split(" ");
            long at = p.length == 3 ? timeOf(p[2]) : -1;
            Optional<InetAddress> address = at < 0 ? Optional.empty() : IpAddresses.parse(p[1]);
            if (at >= fromMillis && at <= toMillis && address.isPresent()) {
                out.add(new SprayedSignIn(p[0], p[1], sources.network(address.get()), at));
            }
        }
        return out;
    }

    /** A time this ledger wrote (epoch millis); -1 for a damaged entry. */
    static long timeOf(String s) {
        try {
            long t = Long.parseLong(s);
            return t < 0 ? -1 : t;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String signInKey(String realmId) {
        return "signins|" + realmId;
    }

    private static String attackKey(String realmId) {
        return "attacks|" + realmId;
    }

    private static String containedKey(String realmId) {
        return "contained|" + realmId;
    }

    private static String sprayKey(String realmId) {
        return "sprays|" + realmId;
    }

    private static String sprayedSignInKey(String realmId) {
        return "sprayins|" + realmId;
    }

    private static String flagKey(String realmId) {
        return "flags|" + realmId;
    }

    private static String suspectKey(String realmId) {
        return "suspects|" + realmId;
    }
}
