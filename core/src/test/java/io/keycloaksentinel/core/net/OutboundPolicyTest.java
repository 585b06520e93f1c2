package io.keycloaksentinel.core.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Outbound calls reach public addresses only, unless the server option allows a range")
class OutboundPolicyTest {

    @AfterEach
    void reset() {
        OutboundPolicy.allow(List.of());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"http://127.0.0.1:8080/hook", "http://127.0.0.2/", "http://[::1]/", "http://localhost/",
            "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://10.1.2.3/", "http://172.16.0.9/",
            "http://192.168.1.1/", "http://100.64.0.1/", "http://0.0.0.0/", "http://[::]/", "http://[fd00::1]/",
            "http://[::ffff:169.254.169.254]/", "http://224.0.0.1/", "http://2130706433/"})
    @DisplayName("Non-public addresses, by literal or by name, are refused")
    void nonPublicRefused(String url) {
        assertThat(OutboundPolicy.refusal(url, 2000)).as(url).isPresent();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ftp://93.184.216.34/", "http://user:pw@93.184.216.34/", "not a url", "http:///path",
            "http://no-such-host.invalid/"})
    @DisplayName("Not an http(s) URL with a host, user info, or a host that does not resolve: refused")
    void malformedRefused(String url) {
        assertThat(OutboundPolicy.refusal(url, 2000)).as(url).isPresent();
    }

    @Test
    @DisplayName("A public literal address is allowed; the option lets a chosen range through and nothing else")
    void allowedRanges() {
        assertThat(OutboundPolicy.refusal("https://93.184.216.34/siteverify", 2000)).isEmpty();
        OutboundPolicy.allow(OutboundPolicy.parse("127.0.0.1/32, 10.0.0.0/8"));
        assertThat(OutboundPolicy.refusal("http://127.0.0.1:9000/", 2000)).isEmpty();
        assertThat(OutboundPolicy.refusal("http://10.9.8.7/", 2000)).isEmpty();
        assertThat(OutboundPolicy.refusal("http://127.0.0.2/", 2000)).isPresent();
        assertThat(OutboundPolicy.refusal("http://169.254.169.254/", 2000)).isPresent();
    }

    @Test
    @DisplayName("A bad option value names the option and the value")
    void badOption() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OutboundPolicy.parse("10.0.0.0/8,nonsense"))
                .hasMessageContaining(OutboundPolicy.OPTION).hasMessageContaining("nonsense");
        assertThat(OutboundPolicy.parse("")).isEmpty();
    }
}
