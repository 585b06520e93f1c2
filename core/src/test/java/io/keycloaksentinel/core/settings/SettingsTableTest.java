package io.keycloaksentinel.core.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsTableTest {

    enum Colour { RED, DARK_BLUE }

    /** A record of one setting of each kind. */
    record Sample(boolean on, int perHour, long work, double score, String name, String secret, Colour colour,
                  String format, List<String> tags, Long since) {
    }

    static final SettingsTable<Sample> TABLE = SettingsTable.of(Sample.class, "sentinel.sample.",
            Setting.flag("on", false),
            Setting.integer("perHour", 3, 1, 100),
            Setting.whole("work", 10_000, 1_000, 20_000_000),
            Setting.decimal("score", 0.5, 0.0, 1.0),
            Setting.text("name", "altcha"),
            Setting.text("secret", null).secret(),
            Setting.oneOf("colour", Colour.RED, c -> c.name().toLowerCase().replace('_', '-'), Colour.RED),
            Setting.oneOf("format", "json", "json", "slack"),
            Setting.list("tags", List.of("a"), 3, entries -> List.copyOf(entries), (String t) -> t, "must name a tag"),
            Setting.instant("since"));

    /** A stored value of {@code key} alone, read as the table reads realm attributes. */
    private static Sample stored(String key, String value) {
        return TABLE.read(TABLE.attributes(Map.of("sentinel.sample." + key, value)::get));
    }

    private static String toStore(String key, Object value) {
        Map<String, Object> update = new HashMap<>();
        update.put(key, value);
        return TABLE.validateUpdate(update).get(key);
    }

    private static void refused(String key, Object value, String message) {
        Map<String, Object> update = new HashMap<>();
        update.put(key, value);
        assertThatThrownBy(() -> TABLE.validateUpdate(update)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Nested
    @DisplayName("The table")
    class Table {

        @Test
        @DisplayName("Nothing stored reads as the declared defaults; the keys are the record's, in order")
        void defaults() {
            assertThat(TABLE.read(key -> null)).isEqualTo(TABLE.defaults())
                    .isEqualTo(new Sample(false, 3, 10_000, 0.5, "altcha", null, Colour.RED, "json", List.of("a"), null));
            assertThat(TABLE.keys()).containsExactly("on", "perHour", "work", "score", "name", "secret", "colour", "format",
                    "tags", "since");
            assertThat(TABLE.toMap(TABLE.defaults())).containsOnlyKeys(TABLE.keys());
        }

        @Test
        @DisplayName("Every damaged stored value falls back to its own default, the others are read; problems name them")
        void damagedFallBack() {
            Map<String, String> stored = Map.of("on", "yes", "perHour", "7", "work", "10", "score", "NaN", "name", " ",
                    "colour", "dark-blue", "format", "SLACK", "tags", "", "since", "soon");
            Sample s = TABLE.read(stored::get);
            assertThat(s).isEqualTo(new Sample(false, 7, 10_000, 0.5, "altcha", null, Colour.DARK_BLUE, "slack", List.of("a"), null));
            assertThat(TABLE.problems(stored::get)).hasSize(6).allMatch(p -> p.endsWith("(the default is used)"))
                    .anyMatch(p -> p.startsWith("work: must be a whole number from 1000 to 20000000"))
                    .anyMatch(p -> p.startsWith("tags: must name a tag"));
        }

        @Test
        @DisplayName("A partial update gives the strings to store; null removes one (the default again); write stores them under the prefix")
        void nullRestoresDefault() {
            Map<String, Object> update = new LinkedHashMap<>();
            update.put("perHour", 9);
            update.put("name", null);
            Map<String, String> out = TABLE.validateUpdate(update);
            assertThat(out).containsEntry("perHour", "9").containsEntry("name", null).hasSize(2);
            Map<String, String> realm = new HashMap<>(Map.of("sentinel.sample.name", "hcaptcha"));
            TABLE.write(out, realm::put, realm::remove);
            assertThat(realm).containsOnly(Map.entry("sentinel.sample.perHour", "9"));
            assertThat(TABLE.read(TABLE.attributes(realm::get)).name()).isEqualTo("altcha");
        }

        @Test
        @DisplayName("An unknown key, an empty update or none at all is refused, naming the known keys")
        void unknownKey() {
            assertThatThrownBy(() -> TABLE.validateUpdate(Map.of("colour", "red", "color", "red")))
                    .hasMessageStartingWith("unknown setting 'color'; known: [on, perHour");
            assertThatThrownBy(() -> TABLE.validateUpdate(Map.of("x".repeat(100), 1)))
                    .hasMessageStartingWith("unknown setting '" + "x".repeat(40) + "...'");
            assertThatThrownBy(() -> TABLE.validateUpdate(Map.of())).hasMessageContaining("at least one of [on, perHour");
            assertThatThrownBy(() -> TABLE.validateUpdate(null)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        @DisplayName("A server check runs on the string to store after the setting's own, and its message names the key")
        void serverChecks() {
            Map<String, java.util.function.UnaryOperator<String>> installed = Map.of("name", n -> {
                if (!n.equals("altcha")) {
                    throw new IllegalArgumentException("must be one of [altcha]");
                }
                return n;
            });
            assertThat(TABLE.validateUpdate(Map.of("name", " altcha "), installed)).containsEntry("name", "altcha");
            assertThatThrownBy(() -> TABLE.validateUpdate(Map.of("name", "acme"), installed))
                    .hasMessage("name must be one of [altcha]");
            assertThatThrownBy(() -> TABLE.validateUpdate(Map.of("name", 5), installed))
                    .as("the setting's own check first").hasMessage("name must be a non-empty string");
        }

        @Test
        @DisplayName("A table whose settings do not match the record's components, by name, order or type, is refused at once")
        void mismatchRefused() {
            assertThatThrownBy(() -> SettingsTable.of(Pair.class, "p.", Setting.flag("on", false)))
                    .hasMessageContaining("2 components");
            assertThatThrownBy(() -> SettingsTable.of(Pair.class, "p.", Setting.integer("perHour", 1, 0, 9),
                    Setting.flag("on", false))).hasMessageContaining("Pair.on");
            assertThatThrownBy(() -> SettingsTable.of(Pair.class, "p.", Setting.flag("on", false),
                    Setting.text("perHour", "3"))).hasMessageContaining("does not match the setting perHour (String)");
        }
    }

    record Pair(boolean on, int perHour) {
    }

    @Nested
    @DisplayName("Secrets")
    class Secrets {

        @Test
        @DisplayName("A set secret is shown as the mask, an unset one as null; the mask sent back leaves it as it is")
        void masked() {
            Sample s = stored("secret", "s3cret-value");
            assertThat(s.secret()).isEqualTo("s3cret-value");
            assertThat(TABLE.toMap(s)).containsEntry("secret", Setting.MASK);
            assertThat(TABLE.toMap(s).toString()).doesNotContain("s3cret-value");
            assertThat(TABLE.toMap(TABLE.defaults())).containsEntry("secret", null);
            assertThat(TABLE.validateUpdate(Map.of("secret", " " + Setting.MASK + " "))).isEmpty();
            assertThat(toStore("secret", "new-secret")).isEqualTo("new-secret");
            assertThat(toStore("secret", null)).isNull();
        }
    }

    @Nested
    @DisplayName("Rules between settings")
    class Rules {

        record Range(int low, int high) {
        }

        final SettingsTable<Range> ranges = SettingsTable.of(Range.class, "r.", Setting.integer("low", 1, 0, 100),
                Setting.integer("high", 10, 0, 100)).rule(r -> {
                    if (r.low() > r.high()) {
                        throw new IllegalArgumentException("low must not be above high");
                    }
                });

        @Test
        @DisplayName("A whole update takes defaults for what it leaves out, then the rules; their message is the admin's")
        void replace() {
            assertThat(ranges.replace(Map.of("high", 50))).isEqualTo(new Range(1, 50));
            assertThat(ranges.replace(Map.of())).isEqualTo(ranges.defaults());
            assertThatThrownBy(() -> ranges.replace(Map.of("low", 20))).hasMessage("low must not be above high");
            assertThatThrownBy(() -> ranges.replace(Map.of("low", -1))).hasMessage("low must be a whole number from 0 to 100");
            assertThatThrownBy(() -> ranges.replace(null)).hasMessage("expected a JSON object");
        }

        @Test
        @DisplayName("Stored values that break a rule read as the defaults, all of them")
        void inconsistentStored() {
            assertThat(ranges.read(Map.of("low", "20", "high", "15")::get)).isEqualTo(new Range(1, 10));
            assertThat(ranges.read(Map.of("low", "5", "high", "15")::get)).isEqualTo(new Range(5, 15));
        }
    }

    @Nested
    @DisplayName("Flags")
    class Flags {

        @ParameterizedTest
        @ValueSource(strings = {"yes", "1", "TRUE", "true ", ""})
        @DisplayName("Only true or false is read; anything else is the default")
        void damaged(String stored) {
            assertThat(stored("on", stored).on()).isFalse();
            assertThat(stored("on", "true").on()).isTrue();
        }

        @Test
        @DisplayName("An update must be a JSON boolean")
        void update() {
            assertThat(toStore("on", true)).isEqualTo("true");
            refused("on", "true", "on must be true or false");
            refused("on", 1, "on must be true or false");
        }
    }

    @Nested
    @DisplayName("Numbers")
    class Numbers {

        @ParameterizedTest
        @ValueSource(strings = {"0", "101", "2.5", "forever", "99999999999999999999"})
        @DisplayName("A stored number out of range or not whole is the default; surrounding blanks are tolerated")
        void damaged(String stored) {
            assertThat(stored("perHour", stored).perHour()).isEqualTo(3);
            assertThat(stored("perHour", " 12 ").perHour()).isEqualTo(12);
        }

        @Test
        @DisplayName("An update must be a whole JSON number in range; the message gives the range")
        void update() {
            assertThat(toStore("perHour", 100)).isEqualTo("100");
            assertThat(toStore("perHour", 50.0)).as("a whole double").isEqualTo("50");
            assertThat(toStore("work", 20_000_000L)).isEqualTo("20000000");
            refused("perHour", 0, "perHour must be a whole number from 1 to 100");
            refused("perHour", 2.5, "perHour must be a whole number from 1 to 100");
            refused("perHour", "3", "perHour must be a whole number from 1 to 100");
            refused("work", 999, "work must be a whole number from 1000 to 20000000");
        }

        @Test
        @DisplayName("A decimal in range, stored as Java writes it")
        void decimal() {
            assertThat(toStore("score", 0.7)).isEqualTo("0.7");
            assertThat(toStore("score", 1)).isEqualTo("1.0");
            assertThat(stored("score", "0.25").score()).isEqualTo(0.25);
            assertThat(stored("score", "2.5").score()).isEqualTo(0.5);
            refused("score", 1.5, "score must be a number from 0.0 to 1.0");
            refused("score", "high", "score must be a number from 0.0 to 1.0");
        }
    }

    @Nested
    @DisplayName("Texts")
    class Texts {

        @Test
        @DisplayName("Stored without surrounding blanks; a blank or over-long stored text is the default")
        void stored() {
            assertThat(SettingsTableTest.stored("name", " turnstile ").name()).isEqualTo("turnstile");
            assertThat(SettingsTableTest.stored("name", "  ").name()).isEqualTo("altcha");
            assertThat(SettingsTableTest.stored("name", "x".repeat(Setting.MAX_TEXT + 1)).name()).isEqualTo("altcha");
        }

        @Test
        @DisplayName("An update must be a non-empty string of at most 2048 characters")
        void update() {
            assertThat(toStore("name", " hcaptcha ")).isEqualTo("hcaptcha");
            refused("name", " ", "name must be a non-empty string");
            refused("name", 5, "name must be a non-empty string");
            refused("name", "x".repeat(3000), "name is longer than 2048 characters");
        }

        @Test
        @DisplayName("A refined text checks what is read and what is set; checkedAlso only what is set")
        void refined() {
            Setting<String> https = Setting.text("url", null).refined(u -> {
                if (!u.strip().startsWith("https://")) {
                    throw new IllegalArgumentException("must be an https URL");
                }
                return u;
            });
            assertThat(https.read("http://x")).isNull();
            assertThat(https.read(" https://x ")).isEqualTo("https://x");
            assertThatThrownBy(() -> https.check("http://x")).hasMessage("url must be an https URL");
            Setting<String> setOnly = Setting.text("url", null).checkedAlso(u -> {
                throw new IllegalArgumentException("'" + u + "' is not allowed");
            });
            assertThat(setOnly.read("http://x")).isEqualTo("http://x");
            assertThatThrownBy(() -> setOnly.check("http://x")).hasMessage("url: 'http://x' is not allowed");
        }
    }

    @Nested
    @DisplayName("Choices")
    class Choices {

        @Test
        @DisplayName("Read and set whatever the case; stored as written; the message lists what may be set")
        void choices() {
            assertThat(stored("colour", "DARK-BLUE").colour()).as("any value may be read").isEqualTo(Colour.DARK_BLUE);
            assertThat(stored("colour", "green").colour()).isEqualTo(Colour.RED);
            assertThat(toStore("colour", " Red ")).isEqualTo("red");
            refused("colour", "dark-blue", "colour must be one of red");
            assertThat(toStore("format", "SLACK")).isEqualTo("slack");
            refused("format", "xml", "format must be json or slack");
            refused("format", 3, "format must be json or slack");
            assertThat(TABLE.toMap(stored("colour", "dark-blue"))).containsEntry("colour", "dark-blue");
        }
    }

    @Nested
    @DisplayName("Lists")
    class Lists {

        @Test
        @DisplayName("Stored joined by ## (new lines read too), set as a JSON list or a joined string, shown as a list")
        void lists() {
            assertThat(stored("tags", "x##y\nz").tags()).containsExactly("x", "y", "z");
            assertThat(toStore("tags", List.of(" x ", "y"))).isEqualTo("x##y");
            assertThat(toStore("tags", "x##y")).isEqualTo("x##y");
            assertThat(TABLE.toMap(stored("tags", "x##y"))).containsEntry("tags", List.of("x", "y"));
        }

        @ParameterizedTest
        @CsvSource(delimiter = '|', value = {
                "empty|tags must name a tag",
                "blank|tags must be a list of non-empty strings",
                "number|tags must be a list of non-empty strings",
                "four|tags must hold at most 3 entries"})
        @DisplayName("Refused: none when one is needed, blank or non-string entries, too many")
        void refusedLists(String kind, String message) {
            Object value = switch (kind) {
                case "empty" -> List.of();
                case "blank" -> List.of("a", " ");
                case "number" -> List.of(1);
                default -> List.of("a", "b", "c", "d");
            };
            refused("tags", value, message);
        }
    }

    @Nested
    @DisplayName("Moments")
    class Moments {

        @Test
        @DisplayName("A date (UTC midnight) or an instant, shown and stored as an instant")
        void moments() {
            long midnight = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
            assertThat(stored("since", "2026-11-01").since()).isEqualTo(midnight);
            assertThat(toStore("since", "2026-11-01")).isEqualTo("2026-11-01T00:00:00Z");
            assertThat(toStore("since", "2026-11-01T08:00:00Z")).isEqualTo("2026-11-01T08:00:00Z");
            assertThat(TABLE.toMap(stored("since", "2026-11-01"))).containsEntry("since", "2026-11-01T00:00:00Z");
            assertThat(stored("since", "soon").since()).isNull();
            refused("since", "soon", "since must be a date (2026-11-01) or an instant (2026-11-01T08:00:00Z)");
            refused("since", 5, "since must be a date (2026-11-01) or an instant (2026-11-01T08:00:00Z)");
        }

        @ParameterizedTest
        @NullSource
        @DisplayName("null restores the default (none)")
        void none(Object value) {
            assertThat(toStore("since", value)).isNull();
        }
    }
}
