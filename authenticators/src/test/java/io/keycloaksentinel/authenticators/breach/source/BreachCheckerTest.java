package io.keycloaksentinel.authenticators.breach.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.breach.source.BreachVerdict.Outcome;
import io.keycloaksentinel.core.breach.BreachSettings;
import io.keycloaksentinel.core.breach.BreachSettings.Source;
import java.io.IOException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class BreachCheckerTest {

    private FakeRangeApi api;
    private final byte[] indexed = PasswordDigest.sha1("only-in-the-index-91");
    private volatile boolean indexBroken;

    @BeforeEach
    void start() throws IOException {
        api = new FakeRangeApi().breached("only-at-the-api-77", 12).breached("rarely-seen-3", 2);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private BreachChecker checker(boolean withIndex) {
        BreachChecker.IndexSource index = sha1 -> indexBroken ? null : Arrays.equals(sha1, indexed);
        return new BreachChecker(BundledBreachList.get(), withIndex ? index : null,
                new HibpRangeClient(HibpRangeClient.RangeCache.NONE));
    }

    private BreachSettings settings(Set<Source> sources, boolean failOpen) {
        return new BreachSettings(sources, api.baseUrl(), 5000, failOpen, BreachSettings.LoginAction.SECOND_PROOF, 30, null);
    }

    @Test
    @DisplayName("Each source finds what it holds; the first that lists a password answers and the API is not asked")
    void sources() {
        BreachSettings all = settings(EnumSet.allOf(Source.class), true);
        BreachChecker c = checker(true);
        assertThat(c.check("password1", all, 1)).isEqualTo(BreachVerdict.breached(Source.BUNDLED, -1));
        assertThat(c.check("only-in-the-index-91", all, 1)).isEqualTo(BreachVerdict.breached(Source.INDEX, -1));
        assertThat(api.requests).isEmpty();
        assertThat(c.check("only-at-the-api-77", all, 1)).isEqualTo(BreachVerdict.breached(Source.API, 12));
        assertThat(c.check("nobody-has-this-one-5c1", all, 1).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    @DisplayName("A disabled source is not consulted")
    void disabled() {
        BreachChecker c = checker(true);
        assertThat(c.check("password1", settings(EnumSet.of(Source.API), true), 1).outcome())
                .as("the API stand-in does not list it").isEqualTo(Outcome.CLEAN);
        assertThat(c.check("only-at-the-api-77", settings(EnumSet.of(Source.BUNDLED, Source.INDEX), true), 1).outcome())
                .isEqualTo(Outcome.CLEAN);
        assertThat(api.requests).hasSize(1);
    }

    @Test
    @DisplayName("The minimum count applies to the API's counts")
    void minimumCount() {
        BreachSettings api = settings(EnumSet.of(Source.API), true);
        assertThat(checker(false).check("rarely-seen-3", api, 1).outcome()).isEqualTo(Outcome.BREACHED);
        assertThat(checker(false).check("rarely-seen-3", api, 10).outcome()).isEqualTo(Outcome.CLEAN);
    }

    @Test
    @DisplayName("A source that cannot answer makes the verdict UNKNOWN (the caller applies fail-open), never CLEAN")
    void unavailable() {
        api.override = path -> new Object[] {503, "down"};
        BreachVerdict v = checker(false).check("nobody-has-this-one-5c1", settings(EnumSet.allOf(Source.class), true), 1);
        assertThat(v.outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(v.source()).isEqualTo(Source.API);
        assertThat(v.detail()).contains("status 503").doesNotContain("nobody");
        indexBroken = true;
        api.override = null;
        BreachVerdict broken = checker(true).check("nobody-has-this-one-5c1", settings(EnumSet.of(Source.INDEX), true), 1);
        assertThat(broken.outcome()).isEqualTo(Outcome.UNKNOWN);
        assertThat(broken.source()).isEqualTo(Source.INDEX);
        assertThat(checker(false).check("nobody-has-this-one-5c1", settings(EnumSet.of(Source.INDEX), true), 1).outcome())
                .as("no index configured on the server: skipped, not failed").isEqualTo(Outcome.CLEAN);
    }
}
