package io.keycloaksentinel.authenticators.breach.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BundledBreachListTest {

    @Test
    @DisplayName("The JAR's list (nbvcxz's 100,000 common passwords) is there and finds the classics")
    void bundled() {
        BundledBreachList list = BundledBreachList.get();
        assertThat(list.size()).as("distinct entries").isBetween(99_000, 100_100);
        assertThat(list.contains("123456")).isTrue();
        assertThat(list.contains("password")).isTrue();
        assertThat(list.contains("qwerty")).isTrue();
        assertThat(list.contains("Password")).as("lower-case form").isTrue();
        assertThat(list.contains("QWERTY")).isTrue();
        assertThat(list.contains("correct-horse-battery-staple-4e1d")).isFalse();
        assertThat(list.contains("")).isFalse();
    }

    @Test
    @DisplayName("A decomposed (NFD) password matches its composed (NFC) entry; 10,000 characters are just hashed")
    void unicodeAndLength() throws Exception {
        BundledBreachList list = BundledBreachList.read(new ByteArrayInputStream(
                "caf\u00e9\r\nstra\u00dfe\n\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(list.size()).isEqualTo(2);
        assertThat(list.contains("cafe\u0301")).isTrue();
        assertThat(list.contains("caf\u00e9")).isTrue();
        assertThat(list.contains("strasse")).as("no transliteration: a different password").isFalse();
        assertThat(list.contains("x".repeat(10_000))).isFalse();
    }
}
