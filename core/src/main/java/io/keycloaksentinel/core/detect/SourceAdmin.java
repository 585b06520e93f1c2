package io.keycloaksentinel.core.detect;

import static io.keycloaksentinel.core.detect.SourceKeys.ipPrefix;
import static io.keycloaksentinel.core.detect.SourceKeys.networkCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.networkPrefix;
import static io.keycloaksentinel.core.detect.SourceKeys.unknownSourceCounter;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What an admin sees of and does to the counted sources: the realm's top offenders, and lifting
 * the throttle of an address or network or the smart lockout of a username or account. Admin
 * requests only, never the login path.
 */
public final class SourceAdmin {

    private final CounterStore store;
    private final LongSupplier clock;
    private final SourceKeys sources;
    private final RealmKeys keys;
    /** The thresholds this node applies to a realm ({@link RealmStates#thresholds}). */
    private final Function<String, DetectionThresholds> thresholds;

    SourceAdmin(CounterStore store, LongSupplier clock, SourceKeys sources, RealmKeys keys,
                Function<String, DetectionThresholds> thresholds) {
        this.store = store;
        this.clock = clock;
        this.sources = sources;
        this.keys = keys;
        this.thresholds = thresholds;
    }

    /** One source in the admin's offender list. */
    public record Offender(String source, long failures, long distinctUsernames, boolean throttled) {
    }

    /**
     * @param addresses by failed logins in 24 h, most first
     * @param networks  by failed logins in 15 min, most first
     */
    public record Offenders(List<Offender> addresses, List<Offender> networks) {
    }

    /**
     * The realm's top offending addresses and networks, over the whole cluster. Scans the counter
     * cache: an admin request, never the login path. {@code onlyThrottled} lists exactly the
     * sources whose login posts are refused now.
     */
    public Offenders offenders(String realmId, int limit, boolean onlyThrottled) {
        long now = clock.getAsLong();
        DetectionThresholds t = thresholds.apply(realmId);
        String ipPrefix = ipPrefix(realmId);
        String networkPrefix = networkPrefix(realmId);
        Map<String, Long> ipDistinct = store.sumByPrefix(Scope.SUBJECT, "d" + ipPrefix, Window.FIFTEEN_MINUTES, now);
        Map<String, Long> networkDistinct = store.sumByPrefix(Scope.SUBJECT, "d" + networkPrefix, Window.FIFTEEN_MINUTES, now);
        List<Offender> addresses = new ArrayList<>();
        store.sumByPrefix(Scope.SUBJECT, ipPrefix, Window.ONE_DAY, now).forEach((counter, failures) -> addresses.add(
                new Offender(counter.substring(ipPrefix.length()), failures, ipDistinct.getOrDefault("d" + counter, 0L),
                        failures >= t.ipFailuresPerDay())));
        Map<String, Long> networkFailures = new java.util.HashMap<>(
                store.sumByPrefix(Scope.SUBJECT, networkPrefix, Window.FIFTEEN_MINUTES, now));
        networkDistinct.keySet().forEach(d -> networkFailures.putIfAbsent(d.substring(1), 0L));
        List<Offender> networks = new ArrayList<>();
        networkFailures.forEach((counter, failures) -> {
            long distinct = networkDistinct.getOrDefault("d" + counter, 0L);
            networks.add(new Offender(counter.substring(networkPrefix.length()), failures, distinct,
                    failures >= t.networkFailuresPer15m() || distinct >= t.networkUsernamesPer15m()));
        });
        return new Offenders(top(addresses, limit, onlyThrottled), top(networks, limit, onlyThrottled));
    }

    private static List<Offender> top(List<Offender> all, int limit, boolean onlyThrottled) {
        return all.stream().filter(o -> !onlyThrottled || o.throttled())
                .sorted(Comparator.comparingLong(Offender::failures).thenComparingLong(Offender::distinctUsernames)
                        .reversed().thenComparing(Offender::source))
                .limit(limit).toList();
    }

    /**
     * Lifts the throttle of an address, a network (given as its CIDR, e.g. {@code 192.0.2.0/24},
     * or any address in it with {@code network=true}) by forgetting their failure counts on the
     * whole cluster; the realm-wide aggregates are untouched. Returns the canonical source lifted.
     *
     * @throws IllegalArgumentException for anything that is not an address or a network of the configured size
     */
    public String lift(String realmId, String source) {
        if (source == null || source.length() > 64) {
            throw new IllegalArgumentException("expected an IP address or a network in CIDR notation");
        }
        long now = clock.getAsLong();
        int slash = source.indexOf('/');
        if (slash < 0) {
            InetAddress a = IpAddresses.parse(source)
                    .orElseThrow(() -> new IllegalArgumentException("not an IPv4 or IPv6 address"));
            String ipCounter = sources.ipCounter(realmId, a);
            store.clear(Scope.SUBJECT, ipCounter, Window.ONE_DAY, now);
            store.clear(Scope.SUBJECT, ipCounter, Window.FIFTEEN_MINUTES, now);
            store.clear(Scope.SUBJECT, "d" + ipCounter, Window.FIFTEEN_MINUTES, now);
            return ipCounter.substring(ipCounter.lastIndexOf('|') + 1);
        }
        InetAddress a = IpAddresses.parse(source.substring(0, slash))
                .orElseThrow(() -> new IllegalArgumentException("not a network in CIDR notation"));
        SourceKeys.Source counted = sources.sourceOf(IpAddresses.canonical(a));
        List<String> networks = new ArrayList<>(List.of(counted.network()));
        networks.addAll(counted.wide());
        String network = networks.stream().filter(n -> n.equals(source.strip())).findFirst().orElseThrow(() ->
                new IllegalArgumentException("networks are counted as /" + sources.ipv4Prefix() + " (IPv4) and /"
                        + sources.ipv6Prefix() + (sources.ipv6WidePrefixes().isEmpty() ? "" : ", "
                        + sources.ipv6WidePrefixes().stream().map(p -> "/" + p)
                                .collect(java.util.stream.Collectors.joining(", "))) + " (IPv6); did you mean "
                        + counted.network() + "?"));
        String counter = networkCounter(realmId, network);
        store.clear(Scope.SUBJECT, counter, Window.FIFTEEN_MINUTES, now);
        store.clear(Scope.SUBJECT, "d" + counter, Window.FIFTEEN_MINUTES, now);
        return network;
    }

    /** Lifts a smart lockout: forgets a username's failures from unknown networks. */
    public void liftUsername(String realmId, String username) {
        if (username == null || username.isBlank()) {
            throw new IllegalArgumentException("expected a username");
        }
        store.clear(Scope.SUBJECT, unknownSourceCounter(realmId, keys.typedSubject(realmId, username)),
                Window.FIFTEEN_MINUTES, clock.getAsLong());
    }

    /** Lifts a smart lockout of an account: forgets its failures from unknown networks, whatever name they were typed as. */
    public void liftAccount(String realmId, String userId) {
        String account = keys.accountSubject(realmId, userId);
        if (account == null) {
            throw new IllegalArgumentException("expected a user id");
        }
        store.clear(Scope.SUBJECT, unknownSourceCounter(realmId, account), Window.FIFTEEN_MINUTES, clock.getAsLong());
    }
}
