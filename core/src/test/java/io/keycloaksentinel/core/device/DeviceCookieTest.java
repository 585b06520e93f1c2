package io.keycloaksentinel.core.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceCookieTest {

    private static final byte[] KEY = "realm-device-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER_KEY = "another-server-key-0123456789abcd".getBytes(StandardCharsets.UTF_8);
    private final DeviceCookie cookies = new DeviceCookie(KEY, "realm-a");

    /** Replaces the character at {@code index} with a different one of the same alphabet. */
    private static String flip(String s, int index) {
        char c = s.charAt(index);
        return s.substring(0, index) + (c == 'A' ? 'B' : 'A') + s.substring(index + 1);
    }

    @Test
    @DisplayName("A new id is 22 URL-safe characters and different every time")
    void newIds() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String id = DeviceCookie.newId();
            assertThat(id).matches("[A-Za-z0-9_-]{22}");
            ids.add(id);
        }
        assertThat(ids).hasSize(200);
    }

    @Test
    @DisplayName("A cookie value verifies back to its device id")
    void roundTrip() {
        String id = DeviceCookie.newId();
        String value = cookies.value(id);
        assertThat(value).startsWith("v1." + id + ".").hasSizeLessThanOrEqualTo(DeviceCookie.MAX_LENGTH);
        assertThat(cookies.verify(value)).contains(id);
        assertThat(new DeviceCookie(KEY.clone(), "realm-a").verify(value)).as("another instance with the same key").contains(id);
    }

    @Test
    @DisplayName("A tampered id or signature does not verify")
    void tampered() {
        String id = DeviceCookie.newId();
        String value = cookies.value(id);
        int idStart = 3;
        int macStart = value.lastIndexOf('.') + 1;
        assertThat(cookies.verify(flip(value, idStart))).as("id changed").isEmpty();
        assertThat(cookies.verify(flip(value, idStart + 21))).as("last id character changed").isEmpty();
        assertThat(cookies.verify(flip(value, macStart))).as("signature changed").isEmpty();
        assertThat(cookies.verify(flip(value, value.length() - 1))).as("last signature character changed").isEmpty();
        // another valid id with this id's signature
        String other = DeviceCookie.newId();
        assertThat(cookies.verify("v1." + other + value.substring(macStart - 1))).isEmpty();
    }

    @Test
    @DisplayName("A cookie of another realm or made with another key does not verify")
    void otherRealmOrKey() {
        String id = DeviceCookie.newId();
        String value = cookies.value(id);
        assertThat(new DeviceCookie(KEY, "realm-b").verify(value)).as("other realm").isEmpty();
        assertThat(new DeviceCookie(OTHER_KEY, "realm-a").verify(value)).as("other key").isEmpty();
        assertThat(cookies.verify(new DeviceCookie(OTHER_KEY, "realm-a").value(id))).as("signed with another key").isEmpty();
        assertThat(cookies.verify(new DeviceCookie(KEY, "realm-b").value(id))).as("signed for another realm").isEmpty();
    }

    @Test
    @DisplayName("The key is copied: changing the caller's array afterwards changes nothing")
    void keyCopied() {
        byte[] key = KEY.clone();
        DeviceCookie c = new DeviceCookie(key, "realm-a");
        String id = DeviceCookie.newId();
        String value = c.value(id);
        key[0] ^= 0x55;
        assertThat(c.verify(value)).contains(id);
    }

    @Test
    @DisplayName("An oversize value is no cookie, even when it starts like a valid one")
    void oversize() {
        String value = cookies.value(DeviceCookie.newId());
        assertThat(cookies.verify(value + "x".repeat(DeviceCookie.MAX_LENGTH))).isEmpty();
        assertThat(cookies.verify("v1." + "A".repeat(10_000) + ".x")).isEmpty();
        assertThat(cookies.verify(".".repeat(100_000))).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", " ", "v1", "v1.", "v1..", "..", "v1.AAAAAAAAAAAAAAAAAAAAAA", "v1.AAAAAAAAAAAAAAAAAAAAAA.",
            "v1.AAAAAAAAAAAAAAAAAAAAAA.AAAA", "v1.short.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1.AAAAAAAAAAAAAAAAAAAA+/.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\u0000\u0001\u0002", "v1.ÄÖÜ.ß"})
    @DisplayName("A malformed value is no cookie")
    void malformed(String value) {
        assertThat(cookies.verify(value)).isEmpty();
    }

    @Test
    @DisplayName("Null, another version, a missing part or an extra part is no cookie")
    void structure() {
        String id = DeviceCookie.newId();
        String value = cookies.value(id);
        String mac = value.substring(value.lastIndexOf('.') + 1);
        assertThat(cookies.verify(null)).isEmpty();
        assertThat(cookies.verify("v2." + id + "." + mac)).as("other version").isEmpty();
        assertThat(cookies.verify(id + "." + mac)).as("no version").isEmpty();
        assertThat(cookies.verify(value + ".extra")).as("extra part").isEmpty();
        assertThat(cookies.verify(value + ".")).as("trailing dot").isEmpty();
        assertThat(cookies.verify(" " + value)).as("leading space").isEmpty();
        assertThat(cookies.verify("v1." + id + "." + mac + "=")).as("padded signature").isEmpty();
        assertThat(cookies.verify(value)).as("the original still verifies").contains(id);
    }

    @Test
    @DisplayName("The stored id is neither the device id nor the cookie value, is stable, and differs per realm and key")
    void storedId() {
        String id = DeviceCookie.newId();
        String stored = cookies.storedId(id);
        String value = cookies.value(id);
        assertThat(stored).matches("[A-Za-z0-9_-]{22}").isNotEqualTo(id);
        assertThat(value).doesNotContain(stored);
        assertThat(stored).as("not the start of the cookie's signature")
                .isNotEqualTo(value.substring(value.lastIndexOf('.') + 1, value.lastIndexOf('.') + 23));
        assertThat(cookies.storedId(id)).as("stable").isEqualTo(stored);
        assertThat(new DeviceCookie(KEY, "realm-a").storedId(id)).as("stable across instances").isEqualTo(stored);
        assertThat(cookies.storedId(DeviceCookie.newId())).as("another device").isNotEqualTo(stored);
        assertThat(new DeviceCookie(KEY, "realm-b").storedId(id)).as("other realm").isNotEqualTo(stored);
        assertThat(new DeviceCookie(OTHER_KEY, "realm-a").storedId(id)).as("other key").isNotEqualTo(stored);
    }

    @Test
    void afterARotationTheOldCookieVerifiesDuringTheGraceAndIsSignedAnew() {
        String id = DeviceCookie.newId();
        String old = new DeviceCookie(KEY, "realm-a").value(id);
        String stored = new DeviceCookie(KEY, "realm-a").storedId(id);
        DeviceCookie rotated = new DeviceCookie(OTHER_KEY, KEY, KEY, "realm-a");
        assertThat(rotated.verify(old)).as("signed with the previous key").contains(id);
        assertThat(rotated.signedWithPreviousKey(old)).isTrue();
        String renewed = rotated.value(id);
        assertThat(renewed).isNotEqualTo(old);
        assertThat(rotated.verify(renewed)).contains(id);
        assertThat(rotated.signedWithPreviousKey(renewed)).isFalse();
        assertThat(rotated.storedId(id)).as("the stored id does not change with the key").isEqualTo(stored);

        DeviceCookie graceOver = new DeviceCookie(OTHER_KEY, null, KEY, "realm-a");
        assertThat(graceOver.verify(old)).isEmpty();
        assertThat(graceOver.signedWithPreviousKey(old)).isFalse();
        assertThat(graceOver.verify(renewed)).contains(id);
    }

    @Test
    void wellFormedWhateverTheKey() {
        String id = DeviceCookie.newId();
        assertThat(DeviceCookie.wellFormed(new DeviceCookie(OTHER_KEY, "realm-b").value(id))).isTrue();
        assertThat(DeviceCookie.wellFormed(null)).isFalse();
        assertThat(DeviceCookie.wellFormed("v1." + id + ".")).isFalse();
        assertThat(DeviceCookie.wellFormed("v2." + id + ".mac")).isFalse();
        assertThat(DeviceCookie.wellFormed("v1.short.mac")).isFalse();
        assertThat(DeviceCookie.wellFormed("v1." + id + "." + "m".repeat(200))).isFalse();
    }
}
