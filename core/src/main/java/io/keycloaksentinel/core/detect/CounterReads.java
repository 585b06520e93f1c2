package io.keycloaksentinel.core.detect;

import static io.keycloaksentinel.core.detect.SourceKeys.ipCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.networkCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.realmCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.unknownSourceCounter;
import static io.keycloaksentinel.core.detect.SourceKeys.usernameCounter;

import io.keycloaksentinel.core.counters.CounterStore;
import io.keycloaksentinel.core.counters.CounterStore.Scope;
import io.keycloaksentinel.core.counters.Window;
import io.keycloaksentinel.core.net.IpAddresses;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.RiskDecider;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * What the {@link AttackDetector} reads: the inputs of a risk decision (one batched read of the
 * counters plus the realm's recent state, and a subject's known networks only when asked), and
 * the counts the admin views and the account steps show. Every read sums over the cluster.
 */
final class CounterReads {

    private final CounterStore store;
    private final LongSupplier clock;
    private final SourceKeys sources;
    private final RealmKeys keys;
    private final RealmStates states;
    private final KnownSources known;

    CounterReads(CounterStore store, LongSupplier clock, SourceKeys sources, RealmKeys keys, RealmStates states,
                 KnownSources known) {
        this.store = store;
        this.clock = clock;
        this.sources = sources;
        this.keys = keys;
        this.states = states;
        this.known = known;
    }

    /** What the decision needs about a source and (optionally) a subject: one batched counter read and the realm's state. */
    RiskDecider.Inputs inputs(String realmId, String ip, String subject) {
        SourceKeys.Source source = sources.sourceOf(ip);
        String ipCounter = ipCounter(realmId, source.address());
        String networkCounter = networkCounter(realmId, source.network());
        Window w15 = Window.FIFTEEN_MINUTES;
        List<String> counters = new ArrayList<>(List.of(ipCounter, networkCounter, "d" + networkCounter,
                "a" + ipCounter + "|registration", "a" + ipCounter + "|reset",
                subject == null ? ipCounter : unknownSourceCounter(realmId, subject)));
        List<Window> windows = new ArrayList<>(List.of(Window.ONE_DAY, w15, w15, w15, w15, w15));
        for (String wide : source.wide()) {
            counters.add(networkCounter(realmId, wide));
            counters.add("d" + networkCounter(realmId, wide));
            windows.add(w15);
            windows.add(w15);
        }
        long[] sums = store.sumAll(Scope.SUBJECT, counters, windows, clock.getAsLong());
        long networkFailures = sums[1];
        long networkUsernames = sums[2];
        for (int i = 6, w = 0; i + 1 < sums.length; i += 2, w++) {
            // a wider network counts at a multiple of the thresholds; whichever network crosses first counts
            long scale = sources.wideScale(w);
            networkFailures = Math.max(networkFailures, sums[i] / scale);
            networkUsernames = Math.max(networkUsernames, sums[i + 1] / scale);
        }
        AttackState state = states.recentState(realmId);
        return new RiskDecider.Inputs(state, sums[0], networkFailures, networkUsernames, sums[3] + sums[4], subject != null,
                subject == null ? 0 : sums[5]);
    }

    /** The same source's inputs for another subject: one read of that subject's counter. */
    RiskDecider.Inputs withSubject(String realmId, RiskDecider.Inputs source, String subject) {
        if (subject == null) {
            return source.withSubject(false, 0);
        }
        return source.withSubject(true, unknownSourceFailures15m(realmId, subject));
    }

    /**
     * Whether the network of {@code ip} is known for {@code subject}, or under one of
     * {@code alsoKnownUnder}; read only when the decider asks.
     */
    BooleanSupplier knownHere(String realmId, String ip, String subject, List<String> alsoKnownUnder) {
        SourceKeys.Source source = sources.sourceOf(ip);
        return () -> {
            if (subject == null || !source.parsed()) {
                return false;
            }
            if (known.knownNetworks(realmId, subject).contains(source.network())) {
                return true;
            }
            for (String alias : alsoKnownUnder) {
                if (alias != null && known.knownNetworks(realmId, alias).contains(source.network())) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Each account activity in the realm: last minute and last day. */
    Map<AccountActivity, long[]> activity(String realmId) {
        AccountActivity[] all = AccountActivity.values();
        List<String> counters = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        for (AccountActivity a : all) {
            counters.add(realmCounter(realmId, "a-" + a.key()));
            windows.add(Window.ONE_MINUTE);
            counters.add(realmCounter(realmId, "a-" + a.key()));
            windows.add(Window.ONE_DAY);
        }
        long[] sums = store.sumAll(Scope.REALM, counters, windows, clock.getAsLong());
        Map<AccountActivity, long[]> result = new EnumMap<>(AccountActivity.class);
        for (int i = 0; i < all.length; i++) {
            result.put(all[i], new long[] {sums[2 * i], sums[2 * i + 1]});
        }
        return result;
    }

    Optional<AttackDetector.SourceCounts> source(String realmId, String ip) {
        return IpAddresses.parse(ip).map(a -> {
            long now = clock.getAsLong();
            String ipCounter = sources.ipCounter(realmId, a);
            String networkCounter = sources.networkCounter(realmId, a);
            Window w15 = Window.FIFTEEN_MINUTES;
            long[] sums = store.sumAll(Scope.SUBJECT,
                    List.of(ipCounter, ipCounter, networkCounter, "d" + ipCounter, "d" + networkCounter,
                            "a" + ipCounter + "|registration", "a" + ipCounter + "|reset"),
                    List.of(w15, Window.ONE_DAY, w15, w15, w15, w15, w15), now);
            return new AttackDetector.SourceCounts(IpAddresses.canonical(a), sources.network(a), sums[0], sums[1], sums[2],
                    sums[3], sums[4], sums[5], sums[6]);
        });
    }

    /** Sign-ups or resets from the address and from its network, 15 minutes: {@code [address, network]}. */
    long[] accountRequests15m(String realmId, String ip, AccountActivity.Kind kind) {
        Optional<InetAddress> address = IpAddresses.parse(ip);
        if (address.isEmpty() || kind == null) {
            return new long[2];
        }
        String suffix = "|" + kind.name().toLowerCase(Locale.ROOT);
        return store.sumAll(Scope.SUBJECT,
                List.of("a" + sources.ipCounter(realmId, address.get()) + suffix, "a" + sources.networkCounter(realmId, address.get()) + suffix),
                List.of(Window.FIFTEEN_MINUTES, Window.FIFTEEN_MINUTES), clock.getAsLong());
    }

    /** Failed logins for one username in the last 15 minutes (counted under its keyed hash). */
    long usernameFailures15m(String realmId, String username) {
        return store.sum(Scope.SUBJECT, usernameCounter(realmId, keys.typedSubject(realmId, username)), Window.FIFTEEN_MINUTES,
                clock.getAsLong());
    }

    /** Failed logins of a subject from networks it never signed in from, 15 minutes. */
    long unknownSourceFailures15m(String realmId, String subject) {
        return store.sum(Scope.SUBJECT, unknownSourceCounter(realmId, subject), Window.FIFTEEN_MINUTES, clock.getAsLong());
    }
}
