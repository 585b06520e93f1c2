package io.keycloaksentinel.authenticators;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.CaptchaDecision.Ask;
import io.keycloaksentinel.authenticators.CaptchaDecision.Asking;
import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict.Outcome;
import io.keycloaksentinel.core.captcha.CaptchaMode;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("What the CAPTCHA gate decides")
class CaptchaDecisionTest {

    /** The realm's defaults with {@code mode} (minimum risk MEDIUM, failing closed). */
    private static CaptchaSettings settings(CaptchaMode mode) {
        return CaptchaDecision.settings(Map.of(CaptchaSettings.MODE, mode.value()), key -> null);
    }

    private static CaptchaSettings settings(CaptchaMode mode, RiskLevel minRisk) {
        return CaptchaDecision.settings(Map.of(CaptchaSettings.MODE, mode.value(),
                CaptchaSettings.MIN_RISK, minRisk.name().toLowerCase()), key -> null);
    }

    /** A risk decision that counts how often it was asked for. */
    private static final class Rated implements Supplier<RiskLevel> {
        final RiskLevel level;
        final AtomicInteger reads = new AtomicInteger();

        Rated(RiskLevel level) {
            this.level = level;
        }

        @Override
        public RiskLevel get() {
            reads.incrementAndGet();
            return level;
        }
    }

    private static Asking ask(CaptchaMode mode, RiskLevel risk) {
        return CaptchaDecision.ask(settings(mode), false, false, new Rated(risk));
    }

    @Nested
    @DisplayName("Mode never")
    class Never {

        @ParameterizedTest(name = "risk {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("Given mode never, no request is asked and the risk is not even read")
        void neverAsks(RiskLevel level) {
            Rated risk = new Rated(level);
            assertThat(CaptchaDecision.ask(settings(CaptchaMode.NEVER), false, false, risk))
                    .isEqualTo(new Asking(Ask.NOT_ASKED, null));
            assertThat(risk.reads).hasValue(0);
        }

        @ParameterizedTest(name = "risk {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("Given an emergency, mode never asks every request, with the request's risk for the work")
        void emergencyAsks(RiskLevel level) {
            assertThat(CaptchaDecision.ask(settings(CaptchaMode.NEVER), true, false, new Rated(level)))
                    .isEqualTo(new Asking(Ask.ASKED, level));
        }
    }

    @Nested
    @DisplayName("Mode risky (the default)")
    class Risky {

        @ParameterizedTest(name = "risk {0} -> {1}")
        @CsvSource({"LOW, NOT_ASKED", "MEDIUM, ASKED", "HIGH, ASKED"})
        @DisplayName("Given the default minimum risk (medium), a request is asked from medium risk up")
        void defaultMinimum(RiskLevel level, Ask expected) {
            assertThat(ask(CaptchaMode.RISKY, level)).isEqualTo(new Asking(expected, level));
        }

        @ParameterizedTest(name = "risk {0} -> {1}")
        @CsvSource({"LOW, NOT_ASKED", "MEDIUM, NOT_ASKED", "HIGH, ASKED"})
        @DisplayName("Given a minimum risk of high, only a high-risk request is asked")
        void highMinimum(RiskLevel level, Ask expected) {
            assertThat(CaptchaDecision.ask(settings(CaptchaMode.RISKY, RiskLevel.HIGH), false, false, new Rated(level)).ask())
                    .isEqualTo(expected);
        }

        @Test
        @DisplayName("An unset mode is risky")
        void defaultMode() {
            assertThat(CaptchaDecision.settings(null, key -> null).mode()).isEqualTo(CaptchaMode.RISKY);
        }

        @ParameterizedTest(name = "risk {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("Given an emergency, every request is asked")
        void emergencyAsks(RiskLevel level) {
            assertThat(CaptchaDecision.ask(settings(CaptchaMode.RISKY), true, false, new Rated(level)))
                    .isEqualTo(new Asking(Ask.ASKED, level));
        }
    }

    @Nested
    @DisplayName("Mode always")
    class Always {

        @ParameterizedTest(name = "risk {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("Given mode always, every request is asked, whatever its risk")
        void alwaysAsks(RiskLevel level) {
            assertThat(ask(CaptchaMode.ALWAYS, level)).isEqualTo(new Asking(Ask.ASKED, level));
        }
    }

    @Nested
    @DisplayName("Mode monitor (monitoring only)")
    class Monitor {

        @ParameterizedTest(name = "risk {0} -> {1}")
        @CsvSource({"LOW, NOT_ASKED", "MEDIUM, MONITORED", "HIGH, MONITORED"})
        @DisplayName("Given monitoring only, a request risky mode would ask is only recorded, never asked")
        void decidesAsRiskyAndRecords(RiskLevel level, Ask expected) {
            Asking asking = ask(CaptchaMode.MONITOR, level);
            assertThat(asking).isEqualTo(new Asking(expected, level));
            assertThat(asking.asked()).isFalse();
        }

        @ParameterizedTest(name = "risk {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("Given an emergency, a monitoring-only realm asks every request")
        void emergencyAsks(RiskLevel level) {
            assertThat(CaptchaDecision.ask(settings(CaptchaMode.MONITOR), true, false, new Rated(level)).asked()).isTrue();
        }
    }

    @Nested
    @DisplayName("An allowlisted address")
    class Allowlisted {

        @ParameterizedTest(name = "mode {0}")
        @EnumSource(CaptchaMode.class)
        @DisplayName("Given an allowlisted address, no mode asks it, even in an emergency, and the risk is not read")
        void neverAsked(CaptchaMode mode) {
            for (boolean emergency : new boolean[] {false, true}) {
                Rated risk = new Rated(RiskLevel.HIGH);
                assertThat(CaptchaDecision.ask(settings(mode), emergency, true, risk)).isEqualTo(new Asking(Ask.NOT_ASKED, null));
                assertThat(risk.reads).hasValue(0);
            }
        }
    }

    @Nested
    @DisplayName("Which settings a form follows")
    class Settings {

        @Test
        @DisplayName("The step's config overrides the realm's setting, key by key; a blank value does not")
        void stepOverridesRealm() {
            Map<String, String> realm = Map.of(CaptchaSettings.MODE, "always", CaptchaSettings.PROVIDER, "hcaptcha",
                    CaptchaSettings.FAIL_OPEN, "true");
            Map<String, String> step = new HashMap<>();
            step.put(CaptchaSettings.MODE, "never");
            step.put(CaptchaSettings.PROVIDER, " ");
            CaptchaSettings s = CaptchaDecision.settings(step, realm::get);
            assertThat(s.mode()).isEqualTo(CaptchaMode.NEVER);
            assertThat(s.provider()).isEqualTo("hcaptcha");
            assertThat(s.failOpen()).isTrue();
        }

        @Test
        @DisplayName("Without a step config the realm's settings apply, and the defaults where the realm has none")
        void realmThenDefaults() {
            CaptchaSettings s = CaptchaDecision.settings(null, Map.of(CaptchaSettings.MODE, "monitor")::get);
            assertThat(s.mode()).isEqualTo(CaptchaMode.MONITOR);
            assertThat(s.minRisk()).isEqualTo(RiskLevel.MEDIUM);
            assertThat(s.provider()).isEqualTo(CaptchaSettings.DEFAULT_PROVIDER);
            assertThat(s.failOpen()).isFalse();
        }

        @Test
        @DisplayName("A damaged mode in the step's config reads as the default, never breaking a login")
        void damagedValue() {
            assertThat(CaptchaDecision.settings(Map.of(CaptchaSettings.MODE, "sometimes"), key -> null).mode())
                    .isEqualTo(CaptchaMode.RISKY);
        }
    }

    @Nested
    @DisplayName("What a checked answer leads to")
    class Answers {

        @ParameterizedTest(name = "{0}, fail open {1} -> {2}")
        @CsvSource(nullValues = "none", value = {
                "PASSED, false, none", "PASSED, true, none",
                "MISSING, false, sentinelCaptchaMissing", "MISSING, true, sentinelCaptchaMissing",
                "EXPIRED, false, sentinelCaptchaExpired", "EXPIRED, true, sentinelCaptchaExpired",
                "INVALID, false, sentinelCaptchaFailed", "INVALID, true, sentinelCaptchaFailed",
                "REPLAYED, false, sentinelCaptchaFailed", "REPLAYED, true, sentinelCaptchaFailed",
                "LOW_SCORE, false, sentinelCaptchaFailed", "LOW_SCORE, true, sentinelCaptchaFailed",
                "UNAVAILABLE, false, sentinelCaptchaUnavailable", "UNAVAILABLE, true, none"})
        @DisplayName("Only an answer nobody could check follows the fail policy; every other failure is refused")
        void refusal(Outcome outcome, boolean failOpen, String message) {
            assertThat(CaptchaDecision.refusal(outcome, failOpen).orElse(null)).isEqualTo(message);
        }

        @ParameterizedTest(name = "fail open {0}")
        @CsvSource(nullValues = "none", value = {"false, sentinelCaptchaUnavailable", "true, none"})
        @DisplayName("Given the realm's provider is not installed, a realm failing closed refuses and one failing open lets through")
        void providerMissing(boolean failOpen, String message) {
            assertThat(CaptchaDecision.unavailable(failOpen).orElse(null)).isEqualTo(message);
        }

        @ParameterizedTest(name = "{0}")
        @EnumSource(Outcome.class)
        @DisplayName("A refused answer counts against its source, unless nothing could be checked")
        void countsAsFailure(Outcome outcome) {
            assertThat(CaptchaDecision.countsAsFailure(outcome))
                    .isEqualTo(outcome != Outcome.PASSED && outcome != Outcome.UNAVAILABLE);
        }
    }

    @Nested
    @DisplayName("The work a built-in challenge must carry")
    class Work {

        @ParameterizedTest(name = "login rating {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("On the login form a raised rating is re-rated for the source alone (the widget never knows the name)")
        void loginForm(RiskLevel level) {
            Rated source = new Rated(RiskLevel.MEDIUM);
            RiskLevel expected = level == RiskLevel.LOW ? RiskLevel.LOW : RiskLevel.MEDIUM;
            assertThat(CaptchaDecision.workRisk(level, true, source)).isEqualTo(expected);
            assertThat(source.reads).hasValue(level == RiskLevel.LOW ? 0 : 1);
        }

        @ParameterizedTest(name = "rating {0}")
        @EnumSource(RiskLevel.class)
        @DisplayName("On the registration and reset forms the source's rating is the work's, as it is")
        void otherForms(RiskLevel level) {
            Rated source = new Rated(RiskLevel.HIGH);
            assertThat(CaptchaDecision.workRisk(level, false, source)).isEqualTo(level);
            assertThat(source.reads).hasValue(0);
        }
    }
}
