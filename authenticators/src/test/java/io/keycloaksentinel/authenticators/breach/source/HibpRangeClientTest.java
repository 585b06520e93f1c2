package io.keycloaksentinel.authenticators.breach.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The range API client against a local server that speaks the documented protocol. */
class HibpRangeClientTest {

    private FakeRangeApi api;
    private final Map<String, byte[]> cached = new HashMap<>();
    private final HibpRangeClient.RangeCache cache = new HibpRangeClient.RangeCache() {
        @Override
        public byte[] get(String prefix) {
            return cached.get(prefix);
        }

        @Override
        public void put(String prefix, byte[] range) {
            cached.put(prefix, range);
        }
    };
    private HibpRangeClient client;

    @BeforeEach
    void start() throws IOException {
        api = new FakeRangeApi().breached("P@ssw0rd", 52_256_179).breached("correct horse", 3);
        client = new HibpRangeClient(cache);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private long count(String password) throws HibpRangeClient.Unavailable {
        return client.count(PasswordDigest.sha1(password), api.baseUrl(), 2000);
    }

    @Test
    @DisplayName("A listed password's count comes back; only five hex digits of its hash leave the server, with padding asked")
    void countAndKAnonymity() throws Exception {
        assertThat(count("P@ssw0rd")).isEqualTo(52_256_179);
        assertThat(api.requests).hasSize(1);
        FakeRangeApi.Request r = api.requests.get(0);
        String hex = PasswordDigest.hex(PasswordDigest.sha1("P@ssw0rd"));
        assertThat(r.path()).isEqualTo("/range/" + hex.substring(0, 5));
        assertThat(r.path()).doesNotContain(hex.substring(5, 10));
        assertThat(r.headers().get("Add-padding")).containsExactly("true");
        assertThat(r.headers().get("User-agent")).containsExactly("keycloak-sentinel");
    }

    @Test
    @DisplayName("An unlisted password counts 0; a padding entry (count 0) is not a breach")
    void unlistedAndPadding() throws Exception {
        assertThat(count("a passphrase nobody leaked 7f3a")).isZero();
        api.padded("padded-only");
        assertThat(count("padded-only")).isZero();
    }

    @Test
    @DisplayName("A range is fetched once and then served from the cache, keyed by the service and its five hex digits only")
    void cached() throws Exception {
        assertThat(count("correct horse")).isEqualTo(3);
        assertThat(count("correct horse")).isEqualTo(3);
        assertThat(api.requests).hasSize(1);
        assertThat(cached.keySet()).allMatch(k -> k.matches("[0-9a-f]{16}:[0-9A-F]{5}"));
        // another service (a realm's own mirror) has ranges of its own
        try (FakeRangeApi other = new FakeRangeApi()) {
            assertThat(client.count(PasswordDigest.sha1("correct horse"), other.baseUrl(), 2000)).isZero();
            assertThat(other.requests).hasSize(1);
        }
    }

    @Test
    @DisplayName("A slow service is given up at the deadline, as unavailable")
    void slow() {
        api.delayMillis = 5_000;
        assertThatThrownBy(() -> client.count(PasswordDigest.sha1("P@ssw0rd"), api.baseUrl(), 300))
                .isInstanceOf(HibpRangeClient.Unavailable.class).hasMessageContaining("timeout");
        assertThat(cached).isEmpty();
    }

    @Test
    @DisplayName("A dead service (nothing listening) is unavailable, not an exception")
    void dead() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> client.count(PasswordDigest.sha1("x"), "http://127.0.0.1:" + port, 1000))
                .isInstanceOf(HibpRangeClient.Unavailable.class).hasMessageContaining("unreachable");
    }

    @ParameterizedTest
    @ValueSource(strings = {"html", "bad-line", "no-colon", "negative", "empty", "huge", "status-500", "status-429"})
    @DisplayName("Garbage, an error status or an oversize reply is unavailable and nothing is cached")
    void garbage(String kind) {
        api.override = path -> switch (kind) {
            case "html" -> new Object[] {200, "<html><body>Cloudflare</body></html>"};
            case "bad-line" -> new Object[] {200, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\nnot a line\r\n"};
            case "no-colon" -> new Object[] {200, "0018A45C4D1DEF81644B54AB7F969B88D65 1\r\n"};
            case "negative" -> new Object[] {200, "0018A45C4D1DEF81644B54AB7F969B88D65:-4\r\n"};
            case "empty" -> new Object[] {200, ""};
            case "huge" -> new Object[] {200, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n".repeat(40_000)};
            case "status-500" -> new Object[] {500, "oops"};
            default -> new Object[] {429, "Rate limit exceeded"};
        };
        assertThatThrownBy(() -> count("P@ssw0rd")).isInstanceOf(HibpRangeClient.Unavailable.class);
        assertThat(cached).isEmpty();
    }

    @Test
    @DisplayName("LF line ends and lower-case hex parse like the documented CRLF and upper case")
    void lenientLineEnds() throws Exception {
        String hex = PasswordDigest.hex(PasswordDigest.sha1("lf-only"));
        api.override = path -> new Object[] {200, hex.substring(5).toLowerCase() + ":17\n"};
        assertThat(count("lf-only")).isEqualTo(17);
    }

    @Test
    @DisplayName("A base URL that is not a URL is unavailable, not an exception")
    void badBase() {
        assertThatThrownBy(() -> client.count(PasswordDigest.sha1("x"), "http://[not a url", 1000))
                .isInstanceOf(HibpRangeClient.Unavailable.class);
    }
}
