package io.keycloaksentinel.authenticators.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.mfa.MfaStatus.State;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Scope;
import io.keycloaksentinel.core.mfa.MfaSettings.ScopeKind;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class MfaStatusTest {

    private static final long DAY = 24L * 3600 * 1000;
    private static final long NOW = 1_800_000_000_000L;
    private static final MfaSettings ON = MfaSettings.read(name -> name.equals(MfaSettings.PREFIX + "mode") ? "enforce" : null);
    private static final Scope REALM = new Scope(ScopeKind.REALM, null, null, null);

    @Test
    @DisplayName("Off, or in no scope: not covered; exempt beats every scope")
    void coverage() {
        assertThat(MfaStatus.of(MfaSettings.DEFAULTS, List.of(REALM), false, false, NOW, 0, NOW).state()).isEqualTo(State.NOT_COVERED);
        assertThat(MfaStatus.of(ON, List.of(), false, false, NOW, 0, NOW).state()).isEqualTo(State.NOT_COVERED);
        assertThat(MfaStatus.of(ON, List.of(REALM), true, false, NOW, 0, NOW).state()).isEqualTo(State.EXEMPT);
        assertThat(MfaStatus.of(ON, List.of(REALM), false, true, NOW - 400 * DAY, 0, NOW).state()).isEqualTo(State.ENROLLED);
    }

    @Test
    @DisplayName("Grace by days: 14 days from its start, counted in whole days left, over at the deadline")
    void days() {
        MfaStatus fresh = MfaStatus.of(ON, List.of(REALM), false, false, NOW, 0, NOW);
        assertThat(fresh.state()).isEqualTo(State.IN_GRACE);
        assertThat(fresh.daysLeft()).isEqualTo(14);
        assertThat(fresh.loginLimited()).isFalse();
        assertThat(MfaStatus.of(ON, List.of(REALM), false, false, NOW - 13 * DAY - 1, 0, NOW).daysLeft()).isEqualTo(1);
        assertThat(MfaStatus.of(ON, List.of(REALM), false, false, NOW - 14 * DAY, 0, NOW).state()).isEqualTo(State.OVERDUE);
        assertThat(MfaStatus.of(ON, List.of(new Scope(ScopeKind.GROUP, "/a", 0, null)), false, false, NOW, 0, NOW).state())
                .as("graceDays 0: no grace at all").isEqualTo(State.OVERDUE);
    }

    @Test
    @DisplayName("A start in the future (a policy announced ahead, or a clock ahead on another node): the grace runs from that start")
    void futureStart() {
        MfaStatus s = MfaStatus.of(ON, List.of(REALM), false, false, NOW + 10 * DAY, 0, NOW);
        assertThat(s.state()).isEqualTo(State.IN_GRACE);
        assertThat(s.daysLeft()).isEqualTo(24);
    }

    @Test
    @DisplayName("Grace by logins: over after the last skip, whatever the days left")
    void logins() {
        Scope three = new Scope(ScopeKind.REALM, null, 365, 3);
        assertThat(MfaStatus.of(ON, List.of(three), false, false, NOW, 2, NOW).loginsLeft()).isEqualTo(1);
        assertThat(MfaStatus.of(ON, List.of(three), false, false, NOW, 3, NOW).state()).isEqualTo(State.OVERDUE);
    }

    @Test
    @DisplayName("Two scopes: the strictest grace wins, the fewest days and the fewest logins (0 logins = not limited)")
    void strictest() {
        Scope org = new Scope(ScopeKind.ORGANIZATION, "acme", 30, 0);
        Scope group = new Scope(ScopeKind.GROUP, "/admins", 7, 5);
        MfaStatus s = MfaStatus.of(ON, List.of(org, group), false, false, NOW, 1, NOW);
        assertThat(s.daysLeft()).isEqualTo(7);
        assertThat(s.loginsLeft()).isEqualTo(4);
        assertThat(MfaStatus.of(ON, List.of(org, group), false, false, NOW - 8 * DAY, 0, NOW).state())
                .as("past the group's 7 days, within the organization's 30").isEqualTo(State.OVERDUE);
    }
}
