package io.keycloaksentinel.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    private static InetAddress ip(String s) {
        return IpAddresses.parse(s).orElseThrow();
    }

    @ParameterizedTest(name = "{0} is in network {1}")
    @CsvSource({
            "203.0.113.77, 203.0.113.0/24",
            "127.4.5.6, 127.4.5.0/24",
            "::ffff:198.51.100.9, 198.51.100.0/24",
            "2001:db8:1:2:3:4:5:6, 2001:db8:1:2::/64",
            "[2001:db8::1], 2001:db8::/64",
            "::1, ::/64",
    })
    @DisplayName("Addresses group into /24 (IPv4) and /64 (IPv6) networks; IPv4-mapped IPv6 counts as IPv4")
    void networks(String address, String network) {
        assertThat(IpAddresses.network(ip(address), 24, 64)).isEqualTo(network);
    }

    @Test
    @DisplayName("Network sizes are configurable")
    void configurablePrefixes() {
        assertThat(IpAddresses.network(ip("10.20.30.40"), 16, 48)).isEqualTo("10.20.0.0/16");
        assertThat(IpAddresses.network(ip("2001:db8:aaaa:bbbb::1"), 16, 48)).isEqualTo("2001:db8:aaaa::/48");
    }

    @Test
    @DisplayName("A mapped address and its IPv4 form are the same client")
    void mappedIsSameClient() {
        assertThat(IpAddresses.canonical(ip("::ffff:10.1.2.3"))).isEqualTo("10.1.2.3");
        assertThat(IpAddresses.canonical(ip("2001:0db8:0000:0000:0000:0000:0000:0001"))).isEqualTo("2001:db8::1");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"localhost", "example.com", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "zz::1",
            "10.0.0.1, 10.0.0.2", "1111111111111111111111111111111111111111111111111111111111111111111111111"})
    @DisplayName("Anything that is not an IP literal is refused, without a DNS lookup")
    void junk(String text) {
        if ("1.2.3.4 ".equals(text)) {
            // surrounding whitespace is tolerated
            assertThat(IpAddresses.parse(text)).isPresent();
            return;
        }
        assertThat(IpAddresses.parse(text)).isEmpty();
    }

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8, 10.200.1.1, true",
            "10.0.0.0/8, 11.0.0.1, false",
            "192.168.1.7, 192.168.1.7, true",
            "192.168.1.7/32, 192.168.1.8, false",
            "10.0.0.0/8, ::ffff:10.9.9.9, true",
            "2001:db8::/32, 2001:db8:ffff::1, true",
            "2001:db8::/32, 2001:db9::1, false",
            "0.0.0.0/0, 8.8.8.8, true",
            "10.0.0.0/8, 2001:db8::1, false",
    })
    @DisplayName("CIDR allowlist entries match the addresses they cover, and only those")
    void cidr(String range, String address, boolean expected) {
        assertThat(CidrRange.parse(range).contains(ip(address))).isEqualTo(expected);
    }

    @Test
    @DisplayName("CIDR ranges print as their network; bad ranges give an admin-readable error")
    void cidrParsing() {
        assertThat(CidrRange.parse("10.1.2.3/8")).hasToString("10.0.0.0/8");
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.0/33")).hasMessageContaining("invalid prefix length (0-32)");
        assertThatThrownBy(() -> CidrRange.parse("office")).hasMessageContaining("is not an IP address or CIDR range");
        assertThatThrownBy(() -> CidrRange.parse("10.0.0.0/-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CidrRange.parse(" ")).hasMessage("empty CIDR range");
    }
}
