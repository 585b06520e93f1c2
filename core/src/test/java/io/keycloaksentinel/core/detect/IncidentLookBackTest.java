package io.keycloaksentinel.core.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.counters.InMemoryCounterStore;
import io.keycloaksentinel.core.risk.AttackState;
import io.keycloaksentinel.core.risk.DetectionThresholds;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The look-back of an attack: new sign-ins, attacks, likely break-ins")
class IncidentLookBackTest {

    private static final Duration TWO_MINUTES = Duration.ofMinutes(2);
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final InMemoryCounterStore store = new InMemoryCounterStore();
    private final AttackDetector detector = new AttackDetector(store, DetectionThresholds.DEFAULTS, now::get, 24, 64);
    private final IncidentLedger ledger = detector.incidents();

    private void success(String ip) {
        detector.record("r1", "realm", LoginOutcome.SUCCESS, ip, "someone");
    }

    private void declare(long elevatedAt, long underAttackAt) {
        RealmAttackStatus elevated = new RealmAttackStatus(AttackState.ELEVATED, elevatedAt, 0, 1, "burst");
        ledger.attackStateChanged("r1", RealmAttackStatus.INITIAL, elevated);
        ledger.attackStateChanged("r1", elevated, new RealmAttackStatus(AttackState.UNDER_ATTACK, underAttackAt, 0, 1, "burst"));
    }

    @Test
    @DisplayName("A sign-in from a network with no history is remembered; one from a network others sign in from is not")
    void history() {
        success("203.0.113.5");
        assertThat(ledger.rememberNewSignIn("r1", "u1", "203.0.113.5")).isTrue();
        success("198.51.100.1");
        success("198.51.100.2");
        assertThat(ledger.rememberNewSignIn("r1", "u2", "198.51.100.9")).isFalse();
        assertThat(ledger.rememberNewSignIn("r1", "u,3", "192.0.2.1")).isFalse();
        assertThat(ledger.rememberNewSignIn("r1", "u4", "not an address")).isFalse();
    }

    @Test
    @DisplayName("Without an attack nothing is a likely break-in; with one, the look-back before it and the attack itself")
    void lookBack() {
        long t0 = now.get();
        ledger.rememberNewSignIn("r1", "early", "203.0.113.5"); // 5 minutes before the attack
        now.addAndGet(Duration.ofMinutes(4).toMillis());
        ledger.rememberNewSignIn("r1", "rise", "203.0.114.5"); // 1 minute before
        store.flush();
        assertThat(ledger.likelyBreakIns("r1", t0 - 1, now.get() + 1, TWO_MINUTES)).isEmpty();

        now.addAndGet(60_000);
        declare(now.get(), now.get() + 1_000);
        now.addAndGet(2_000);
        ledger.rememberNewSignIn("r1", "during", "203.0.115.5");
        store.flush();
        List<IncidentLedger.BreakIn> found = ledger.likelyBreakIns("r1", t0 - 1, now.get() + 1, TWO_MINUTES);
        assertThat(found).extracting(b -> b.signIn().userId()).containsExactly("during", "rise");
        assertThat(found.get(0).signIn().reasons(found.get(0).attack()))
                .containsExactly("new-device", "new-network", "no-history", "during-attack");
        assertThat(found.get(1).signIn().reasons(found.get(1).attack()))
                .containsExactly("new-device", "new-network", "no-history", "before-attack");
        assertThat(found.get(0).attack().ongoing()).isTrue();
    }

    @Test
    @DisplayName("An attack that ended keeps its period: a sign-in after its end is not a break-in of it")
    void ended() {
        declare(now.get(), now.get() + 500);
        now.addAndGet(60_000);
        ledger.attackStateChanged("r1", new RealmAttackStatus(AttackState.UNDER_ATTACK, now.get() - 59_500, 0, 1, "x"),
                new RealmAttackStatus(AttackState.ELEVATED, now.get(), 0, 1, "x"));
        now.addAndGet(1_000);
        ledger.rememberNewSignIn("r1", "after", "203.0.113.5");
        store.flush();
        assertThat(ledger.attacks("r1")).singleElement().satisfies(a -> assertThat(a.ongoing()).isFalse());
        assertThat(ledger.likelyBreakIns("r1", 0, Long.MAX_VALUE, TWO_MINUTES)).isEmpty();
    }

    @Test
    @DisplayName("A realm kept ELEVATED for days does not reach back days: an attack begins at most 10 minutes before UNDER_ATTACK")
    void riseCapped() {
        long t = now.get();
        RealmAttackStatus elevated = new RealmAttackStatus(AttackState.ELEVATED, t - Duration.ofDays(3).toMillis(), 0, 1, "x");
        RealmAttackStatus under = new RealmAttackStatus(AttackState.UNDER_ATTACK, t, 0, 1, "x");
        assertThat(IncidentLedger.attackStart(elevated, under)).isEqualTo(t - IncidentLedger.MAX_RISE.toMillis());
        RealmAttackStatus recent = new RealmAttackStatus(AttackState.ELEVATED, t - 3_000, 0, 1, "x");
        assertThat(IncidentLedger.attackStart(recent, under)).isEqualTo(t - 3_000);
        assertThat(IncidentLedger.attackStart(RealmAttackStatus.INITIAL, under)).isEqualTo(t);
    }

    @Test
    @DisplayName("Starts and ends pair by time, whatever order the nodes flushed them in; a lost end closes at the next start")
    void periodsByTime() {
        store.remember("attacks|r1", "e 300", 50, Duration.ofDays(1));
        store.remember("attacks|r1", "s 100", 50, Duration.ofDays(1));
        store.remember("attacks|r1", "s 500", 50, Duration.ofDays(1)); // its end was lost
        store.remember("attacks|r1", "s 900", 50, Duration.ofDays(1));
        store.remember("attacks|r1", "garbage", 50, Duration.ofDays(1));
        store.flush();
        assertThat(ledger.attacks("r1")).containsExactly(new IncidentLedger.AttackPeriod(900, Long.MAX_VALUE),
                new IncidentLedger.AttackPeriod(500, 900), new IncidentLedger.AttackPeriod(100, 300));
    }

    @Test
    @DisplayName("What the containment policy did is kept per realm, newest first")
    void contained() {
        ledger.rememberContained("r1", "u1", now.get() - 5, "contain");
        now.addAndGet(10);
        ledger.rememberContained("r1", "u2", now.get() - 5, "notify");
        store.flush();
        assertThat(ledger.contained("r1", 0)).extracting(IncidentLedger.ContainedAccount::userId).containsExactly("u2", "u1");
        assertThat(ledger.contained("r1", now.get())).extracting(IncidentLedger.ContainedAccount::how).containsExactly("notify");
        assertThat(ledger.contained("r2", 0)).isEmpty();
    }
}
