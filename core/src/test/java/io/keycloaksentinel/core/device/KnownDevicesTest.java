package io.keycloaksentinel.core.device;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.core.device.KnownDevices.Device;
import io.keycloaksentinel.core.device.KnownDevices.Match;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class KnownDevicesTest {

    private static final long NOW = 1_750_000_000_000L;
    private static final long DAY = 24L * 3600 * 1000;
    private static final long TTL = 90 * DAY;
    private static final String NET = "203.0.113.0/24";

    /** A stored id (22 URL-safe characters) derived from {@code n}. */
    private static String id(int n) {
        String digits = Integer.toString(n);
        return "A".repeat(22 - digits.length()) + digits;
    }

    private static Device device(int n, long lastSeen) {
        return new Device(id(n), "Chrome", "Windows", NET, lastSeen - DAY, lastSeen, false);
    }

    private static KnownDevices empty() {
        return KnownDevices.decodeAll(null, NOW, TTL);
    }

    private static List<String> ids(KnownDevices known) {
        return known.devices().stream().map(Device::id).toList();
    }

    @Test
    @DisplayName("At most max devices are kept, the most recently seen; a device seen again is refreshed, not duplicated")
    void bounded() {
        KnownDevices known = empty();
        for (int i = 1; i <= 5; i++) {
            known = known.seen(device(i, NOW - (10 - i) * DAY), 3);
        }
        assertThat(ids(known)).containsExactly(id(5), id(4), id(3));

        // device 3 seen again now: still three devices, 3 first
        known = known.seen(device(3, NOW), 3);
        assertThat(ids(known)).containsExactly(id(3), id(5), id(4));

        // an older device than every kept one does not push out a newer one
        assertThat(ids(known.seen(device(9, NOW - 50 * DAY), 3))).containsExactly(id(3), id(5), id(4));
        // a max below one still keeps the device just seen
        assertThat(ids(known.seen(device(7, NOW + 1), 0))).containsExactly(id(7));
    }

    @Test
    @DisplayName("Only the devices first seen before a time are kept (what a contained break-in added goes)")
    void firstSeenBefore() {
        KnownDevices known = empty().seen(device(1, NOW - 5 * DAY), 5).seen(device(2, NOW), 5).seen(device(3, NOW + DAY), 5);
        // first seen a day before their last sighting: 1 at NOW - 6 days, 2 at NOW - 1 day, 3 at NOW
        assertThat(ids(known.firstSeenBefore(NOW - DAY))).containsExactly(id(1));
        assertThat(ids(known.firstSeenBefore(NOW - DAY + 1))).containsExactlyInAnyOrder(id(1), id(2));
        assertThat(known.firstSeenBefore(NOW - 7 * DAY).isEmpty()).isTrue();
        assertThat(known.devices()).hasSize(3);
    }

    @Test
    @DisplayName("A device not seen within the time to live is forgotten when read")
    void expiry() {
        KnownDevices known = empty()
                .seen(device(1, NOW - TTL - 1), 10)
                .seen(device(2, NOW - TTL), 10)
                .seen(device(3, NOW - TTL + 1), 10)
                .seen(device(4, NOW), 10);
        assertThat(known.devices()).hasSize(4);
        KnownDevices read = KnownDevices.decodeAll(known.encodeAll(), NOW, TTL);
        assertThat(ids(read)).containsExactly(id(4), id(3));
        assertThat(ids(KnownDevices.decode(known.encode(), NOW, TTL))).containsExactly(id(4), id(3));
        assertThat(KnownDevices.decodeAll(known.encodeAll(), NOW + TTL, TTL).isEmpty()).isTrue();
    }

    @Test
    @DisplayName("A login matches by its cookie's stored id, else (no cookie) by the same browser, OS and network, else it is unknown")
    void match() {
        KnownDevices known = empty().seen(device(1, NOW), 10);
        assertThat(known.match(id(1), "Firefox", "Linux", "198.51.100.0/24")).as("cookie wins over other signals").isEqualTo(Match.COOKIE);
        assertThat(known.match(null, "Chrome", "Windows", NET)).isEqualTo(Match.SIGNALS);
        assertThat(known.match(null, "chrome", "WINDOWS", NET)).as("families compared ignoring case").isEqualTo(Match.SIGNALS);
        assertThat(known.lookingLike("Chrome", "Windows", NET)).map(Device::id).contains(id(1));
        assertThat(known.match(null, "Chrome", "Windows", "198.51.100.0/24")).as("another network").isEqualTo(Match.UNKNOWN);
        assertThat(known.match(null, "Firefox", "Windows", NET)).as("another browser").isEqualTo(Match.UNKNOWN);
        assertThat(known.match(null, "Chrome", "Linux", NET)).as("another OS").isEqualTo(Match.UNKNOWN);
        assertThat(empty().match(null, "Chrome", "Windows", NET)).as("no devices").isEqualTo(Match.UNKNOWN);
    }

    @Test
    @DisplayName("A cookie whose stored id is unknown is UNKNOWN, not SIGNALS, even from a known browser on a known network")
    void unknownCookieIsNotSignals() {
        KnownDevices known = empty().seen(device(1, NOW), 10);
        assertThat(known.match(id(2), "Chrome", "Windows", NET)).isEqualTo(Match.UNKNOWN);
    }

    @Test
    @DisplayName("A device without a network never matches by signals alone")
    void emptyNetwork() {
        KnownDevices known = empty().seen(new Device(id(1), "Chrome", "Windows", null, NOW, NOW, false), 10);
        assertThat(known.devices().get(0).network()).isEmpty();
        assertThat(known.match(null, "Chrome", "Windows", "")).isEqualTo(Match.UNKNOWN);
        assertThat(known.match(id(1), "Chrome", "Windows", "")).isEqualTo(Match.COOKIE);
    }

    @Test
    @DisplayName("The most recently seen device is the one the signals point to")
    void lookingLikeNewest() {
        KnownDevices known = empty().seen(device(1, NOW - 5 * DAY), 10).seen(device(2, NOW - DAY), 10)
                .seen(device(3, NOW - 3 * DAY), 10);
        assertThat(known.lookingLike("Chrome", "Windows", NET)).map(Device::id).contains(id(2));
        assertThat(known.lookingLike("Safari", "macOS", NET)).isEmpty();
    }

    @Test
    @DisplayName("forget and trust change one device and return a new list; the original is unchanged")
    void changes() {
        KnownDevices known = empty().seen(device(1, NOW - DAY), 10).seen(device(2, NOW), 10);

        KnownDevices forgotten = known.forget(id(1));
        assertThat(ids(forgotten)).containsExactly(id(2));
        assertThat(ids(known.forget(id(9)))).as("forgetting an unknown id").containsExactly(id(2), id(1));

        KnownDevices trusted = known.trust(id(1));
        assertThat(trusted.byId(id(1))).map(Device::trusted).contains(true);
        assertThat(trusted.byId(id(2))).map(Device::trusted).contains(false);
        assertThat(ids(trusted)).containsExactly(id(2), id(1));

        assertThat(ids(known)).as("the original").containsExactly(id(2), id(1));
        assertThat(known.byId(id(1))).map(Device::trusted).contains(false);
    }

    @Test
    @DisplayName("encodeAll and decodeAll give back the same devices, in one value separated by '~'")
    void roundTrip() {
        KnownDevices known = empty()
                .seen(new Device(id(1), "Chrome", "Windows", NET, NOW - 3 * DAY, NOW - DAY, true), 10)
                .seen(new Device(id(2), "Firefox", "Linux", "2001:db8:1:2::/64", NOW - DAY, NOW, false), 10)
                .seen(new Device(id(3), null, " ", "", NOW, NOW, false), 10);
        String value = known.encodeAll();
        assertThat(value.split("~")).hasSize(3);
        KnownDevices read = KnownDevices.decodeAll(value, NOW, TTL);
        assertThat(read.devices()).containsExactlyElementsOf(known.devices());
        assertThat(read.byId(id(3))).map(Device::browser).contains("Unknown");
        assertThat(read.byId(id(1))).map(Device::trusted).contains(true);
        assertThat(KnownDevices.decodeAll(empty().encodeAll(), NOW, TTL).isEmpty()).isTrue();
    }

    @Test
    @DisplayName("Damaged entries are dropped, the rest kept; an empty, missing or oversize value is no devices")
    void damaged() {
        String good = empty().seen(device(1, NOW), 10).encodeAll();
        String good2 = empty().seen(device(2, NOW - DAY), 10).encodeAll();
        List<String> damaged = List.of(
                "garbage",
                "",
                id(3) + "|Chrome|Windows|" + NET + "|1|2",                      // six fields
                id(3) + "|Chrome|Windows|" + NET + "|1|" + NOW + "|0|extra",   // eight fields
                "short|Chrome|Windows|" + NET + "|1|" + NOW + "|0",             // id not 22 characters
                "AAAAAAAAAAAAAAAAAAAA+/|Chrome|Windows|" + NET + "|1|" + NOW + "|0", // id not URL-safe
                id(3) + "|Chrome|Windows|" + NET + "|one|" + NOW + "|0",       // not a number
                id(3) + "|Chrome|Windows|" + NET + "|1|" + NOW + "x|0",
                id(3) + "|" + "C".repeat(300) + "|Windows|" + NET + "|1|" + NOW + "|0"); // entry over 255 characters
        String value = good + "~" + String.join("~", damaged) + "~" + good2;
        KnownDevices read = KnownDevices.decodeAll(value, NOW, TTL);
        assertThat(ids(read)).containsExactly(id(1), id(2));

        assertThat(KnownDevices.decode(List.of("garbage", good), NOW, TTL).devices()).hasSize(1);
        assertThat(KnownDevices.decode(null, NOW, TTL).isEmpty()).isTrue();
        assertThat(KnownDevices.decodeAll(null, NOW, TTL).isEmpty()).isTrue();
        assertThat(KnownDevices.decodeAll("", NOW, TTL).isEmpty()).isTrue();
        assertThat(KnownDevices.decodeAll("~~~", NOW, TTL).isEmpty()).isTrue();
        String oversize = (good + "~").repeat(64 * 256 / good.length() + 2);
        assertThat(oversize.length()).isGreaterThan(64 * 256);
        assertThat(KnownDevices.decodeAll(oversize, NOW, TTL).isEmpty()).as("an oversize value").isTrue();
    }

    @Test
    @DisplayName("'|', '~' and control characters in the browser or OS are cleaned, so one device stays one entry")
    void separatorsCleaned() {
        Device d = new Device(id(1), "Evil|Browser~x\n\u0000", "Win\tdows|~", NET, NOW, NOW, false);
        assertThat(d.browser()).isEqualTo("Evil Browser x");
        assertThat(d.os()).isEqualTo("Win dows");
        KnownDevices known = empty().seen(d, 10).seen(device(2, NOW - 1), 10);
        String value = known.encodeAll();
        assertThat(value.split("~")).hasSize(2);
        assertThat(value).doesNotContain("\n").doesNotContain("\u0000").doesNotContain("\t");
        KnownDevices read = KnownDevices.decodeAll(value, NOW, TTL);
        assertThat(read.devices()).containsExactlyElementsOf(known.devices());
        assertThat(read.match(null, "Evil|Browser~x\n", "Win\tdows", NET)).as("compared after cleaning").isEqualTo(Match.SIGNALS);
    }

    @Test
    @DisplayName("The browser and OS are cut to 40 characters, the network to 50; blank ones become 'Unknown'")
    void truncation() {
        Device d = new Device(id(1), "B".repeat(41), "  " + "O".repeat(100), "N".repeat(60), NOW, NOW, false);
        assertThat(d.browser()).isEqualTo("B".repeat(40));
        assertThat(d.os()).isEqualTo("O".repeat(40));
        assertThat(d.network()).hasSize(50);
        assertThat(new Device(id(1), "B".repeat(40), "x", NET, NOW, NOW, false).browser()).isEqualTo("B".repeat(40));
        assertThat(new Device(id(1), null, "   ", NET, NOW, NOW, false)).extracting(Device::browser, Device::os)
                .containsExactly("Unknown", "Unknown");
        // a long family still matches a login reporting the same long family
        KnownDevices known = empty().seen(new Device(id(1), "B".repeat(45), "Windows", NET, NOW, NOW, false), 10);
        assertThat(known.match(null, "B".repeat(45), "Windows", NET)).isEqualTo(Match.SIGNALS);
        assertThat(KnownDevices.decodeAll(known.encodeAll(), NOW, TTL).devices()).containsExactlyElementsOf(known.devices());
    }

    @Test
    @DisplayName("A browser recognised by its signals only gets an untrusted entry of its own, first seen now; the trusted device it resembles keeps its id, trust and dates")
    void seenBySignalsAddsUntrusted() {
        Device trustedHome = new Device(id(1), "Chrome", "Windows", NET, NOW - 5 * DAY, NOW - DAY, true);
        KnownDevices known = empty().seen(trustedHome, 10);
        assertThat(known.match(null, "Chrome", "Windows", NET)).isEqualTo(Match.SIGNALS);

        KnownDevices after = known.seenBySignals(id(7), "Chrome", "Windows", NET, NOW, 10, false);
        assertThat(ids(after)).containsExactly(id(7), id(1));
        Device added = after.byId(id(7)).orElseThrow();
        assertThat(added.trusted()).as("signals never inherit trust").isFalse();
        assertThat(added.firstSeen()).isEqualTo(NOW);
        assertThat(added.lastSeen()).isEqualTo(NOW);
        assertThat(after.byId(id(1))).as("the resembled device, unchanged").contains(trustedHome);
        assertThat(after.match(id(7), "Chrome", "Windows", NET)).as("a look-alike's cookie is not a known device")
                .isEqualTo(Match.UNPROVEN);
        // bounded like any other sighting
        assertThat(ids(known.seenBySignals(id(7), "Chrome", "Windows", NET, NOW, 1, false))).containsExactly(id(7));
    }

    @Test
    @DisplayName("A look-alike entry stays unproven from anywhere, through storage, until a second proof proves it (or it is trusted); a proven sign-in by signals makes a known device at once")
    void lookAlikeUntilProven() {
        KnownDevices known = empty().seen(new Device(id(1), "Chrome", "Windows", NET, NOW - DAY, NOW - DAY, false), 10)
                .seenBySignals(id(7), "Chrome", "Windows", NET, NOW, 10, false);
        assertThat(known.match(id(7), "Chrome", "Windows", "198.51.100.0/24")).as("the cookie from another network")
                .isEqualTo(Match.UNPROVEN);
        KnownDevices stored = KnownDevices.decodeAll(known.encodeAll(), NOW, TTL);
        assertThat(stored.byId(id(7)).orElseThrow().lookAlike()).as("stored and read back").isTrue();
        assertThat(stored.match(id(7), "Chrome", "Windows", NET)).isEqualTo(Match.UNPROVEN);

        assertThat(stored.seen(new Device(id(7), "Chrome", "Windows", NET, NOW, NOW, false, false), 10)
                .match(id(7), "Chrome", "Windows", "198.51.100.0/24")).as("proven by a second proof").isEqualTo(Match.COOKIE);
        assertThat(stored.trust(id(7)).match(id(7), "Chrome", "Windows", NET)).as("the owner's yes").isEqualTo(Match.COOKIE);
        assertThat(stored.trust(id(7)).byId(id(7)).orElseThrow().lookAlike()).isFalse();
        assertThat(empty().seenBySignals(id(8), "Chrome", "Windows", NET, NOW, 10, true).match(id(8), "Chrome", "Windows", NET))
                .as("signals with a completed second proof").isEqualTo(Match.COOKIE);
        // a list stored before look-alikes were marked reads as it did
        assertThat(KnownDevices.decodeAll(id(1) + "|Chrome|Windows|" + NET + "|1|" + NOW + "|0", NOW, TTL)
                .match(id(1), "Chrome", "Windows", NET)).isEqualTo(Match.COOKIE);
    }

    @Test
    @DisplayName("The first device is one with no known device and no device ever remembered: an account whose devices expired or were forgotten is not new")
    void firstDevice() {
        assertThat(empty().isFirstDevice(false)).as("a new account").isTrue();
        assertThat(empty().isFirstDevice(true)).as("a dormant account whose devices expired").isFalse();
        KnownDevices expired = KnownDevices.decodeAll(empty().seen(device(1, NOW - TTL - 1), 10).encodeAll(), NOW, TTL);
        assertThat(expired.isEmpty()).isTrue();
        assertThat(expired.isFirstDevice(true)).isFalse();
        assertThat(empty().seen(device(1, NOW), 10).isFirstDevice(false)).as("a known device (an account from before the marker)")
                .isFalse();
    }
}
