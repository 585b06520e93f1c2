package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
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
            if (p.length != 3) {
                continue;
            }
            long at;
            try {
                at = Long.parseLong(p[2]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (at < fromMillis || at > toMillis) {
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

    private static String flagKey(String realmId) {
        return "flags|" + realmId;
    }

    private static String suspectKey(String realmId) {
        return "suspects|" + realmId;
    }
}
