package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("The window of GET /incident/compromised")
class IncidentWindowTest {

    private static final long NOW = Instant.parse("2026-12-02T09:00:00Z").toEpochMilli();
    private static final Supplier<OptionalLong> NOT_ASKED = () -> {
        throw new AssertionError("the attack state is read only for attack=current");
    };

    private static long millis(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @Nested
    @DisplayName("Given from and to")
    class Explicit {

        @Test
        @DisplayName("Without either, the last 24 hours up to now")
        void defaults() {
            assertThat(IncidentWindow.parse(null, null, null, NOT_ASKED, NOW))
                    .isEqualTo(new IncidentWindow(millis("2026-12-01T09:00:00Z"), NOW));
        }

        @Test
        @DisplayName("Only to: the 24 hours before it")
        void onlyTo() {
            assertThat(IncidentWindow.parse(null, "2026-12-02T08:00:00Z", null, NOT_ASKED, NOW))
                    .isEqualTo(new IncidentWindow(millis("2026-12-01T08:00:00Z"), millis("2026-12-02T08:00:00Z")));
        }

        @Test
        @DisplayName("A to up to a minute ahead of this server's clock is accepted (another node's clock)")
        void clockSkew() {
            assertThat(IncidentWindow.parse("2026-12-02T08:00:00Z", "2026-12-02T09:01:00Z", null, NOT_ASKED, NOW).toMillis())
                    .isEqualTo(millis("2026-12-02T09:01:00Z"));
        }

        @Test
        @DisplayName("Exactly the 7 days Sentinel keeps is accepted")
        void retention() {
            assertThat(IncidentWindow.parse("2026-11-25T09:00:00Z", null, null, NOT_ASKED, NOW).fromMillis())
                    .isEqualTo(millis("2026-11-25T09:00:00Z"));
        }

        @ParameterizedTest(name = "from={0} to={1}: {2}")
        @CsvSource(delimiter = '|', nullValues = "-", value = {
                "yesterday            | -                    | from and to must be ISO instants such as 2026-11-23T08:00:00Z",
                "-                    | 2026-12-02           | from and to must be ISO instants such as 2026-11-23T08:00:00Z",
                "-                    | 2026-12-02T09:01:01Z | to is in the future",
                "2026-12-02T09:00:00Z | 2026-12-02T09:00:00Z | from must be before to",
                "2026-12-02T08:00:00Z | 2026-12-02T07:00:00Z | from must be before to",
                "2026-11-25T08:59:59Z | -                    | the window may be at most 7 days (what Sentinel keeps)",
        })
        @DisplayName("A bad window is refused with the message the 400 answers")
        void refused(String from, String to, String message) {
            assertThatThrownBy(() -> IncidentWindow.parse(from, to, null, NOT_ASKED, NOW))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
        }
    }

    @Nested
    @DisplayName("Given attack=current")
    class CurrentAttack {

        @Test
        @DisplayName("From the start of the realm's attack state, up to now (from is ignored)")
        void sinceTheAttackBegan() {
            long since = millis("2026-12-02T07:30:00Z");
            assertThat(IncidentWindow.parse("2026-12-01T00:00:00Z", null, "current", () -> OptionalLong.of(since), NOW))
                    .isEqualTo(new IncidentWindow(since, NOW));
        }

        @Test
        @DisplayName("A realm not under attack is refused: there is no start to count from")
        void notUnderAttack() {
            assertThatThrownBy(() -> IncidentWindow.parse(null, null, "current", OptionalLong::empty, NOW))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the realm is not under attack now; give from and to");
        }

        @Test
        @DisplayName("Any other value of attack is refused")
        void otherValues() {
            assertThatThrownBy(() -> IncidentWindow.parse(null, null, "last", NOT_ASKED, NOW))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("attack must be 'current'");
        }

        @Test
        @DisplayName("A bad to is reported before the attack is looked at")
        void badToFirst() {
            assertThatThrownBy(() -> IncidentWindow.parse(null, "soon", "current", NOT_ASKED, NOW))
                    .hasMessage("from and to must be ISO instants such as 2026-11-23T08:00:00Z");
        }
    }
}
