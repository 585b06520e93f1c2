package io.keycloaksentinel.authenticators.breach;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.breach.BreachDecision.Answer;
import io.keycloaksentinel.authenticators.breach.source.BreachVerdict.Outcome;
import io.keycloaksentinel.core.breach.BreachSettings.LoginAction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("What the breached-password check decides at login")
class BreachDecisionTest {

    @Nested
    @DisplayName("Whether a password is checked, and which verdicts are acted on")
    class Checked {

        @ParameterizedTest(name = "[{index}] {0}")
        @EnumSource(value = LoginAction.class, names = "OFF", mode = EnumSource.Mode.EXCLUDE)
        @DisplayName("Given the check is on, a user's non-empty password is checked")
        void on(LoginAction action) {
            assertThat(BreachDecision.checks(action, true, "hunter2")).isTrue();
            assertThat(BreachDecision.checks(action, false, "hunter2")).as("no user").isFalse();
            assertThat(BreachDecision.checks(action, true, "")).as("empty password").isFalse();
            assertThat(BreachDecision.checks(action, true, null)).as("no password").isFalse();
        }

        @Test
        @DisplayName("Given the check is off, nothing is checked")
        void off() {
            assertThat(BreachDecision.checks(LoginAction.OFF, true, "hunter2")).isFalse();
        }

        @ParameterizedTest(name = "[{index}] {0} -> {1}")
        @CsvSource({"BREACHED, true", "CLEAN, false", "UNKNOWN, false"})
        @DisplayName("Given a verdict, only a breached password is acted on (an unknown one never fails a login)")
        void verdicts(Outcome outcome, boolean acts) {
            assertThat(BreachDecision.actsOn(outcome)).isEqualTo(acts);
        }
    }

    @Nested
    @DisplayName("Browser login, per action")
    class Browser {

        @ParameterizedTest(name = "[{index}] {0} otp={1} email={2} -> {3}")
        @CsvSource({
                "MONITOR, true, true, GO_ON",
                "MONITOR, false, false, GO_ON",
                "FORCE_CHANGE, false, false, NEW_PASSWORD",
                "FORCE_CHANGE, true, true, NEW_PASSWORD",
                "EMAIL_RESET, true, true, REFUSE_AND_MAIL",
                "EMAIL_RESET, false, false, REFUSE_AND_MAIL",
                "SECOND_PROOF, true, true, PROOF_OTP",
                "SECOND_PROOF, true, false, PROOF_OTP",
                "SECOND_PROOF, false, true, PROOF_EMAIL",
                "SECOND_PROOF, false, false, REFUSE_NO_PROOF",
        })
        @DisplayName("Given a breached password, the realm's action and the user's means of proof decide what follows")
        void answers(LoginAction action, boolean hasOtp, boolean emailPossible, Answer answer) {
            assertThat(BreachDecision.browser(action, hasOtp, emailPossible)).isEqualTo(answer);
        }
    }

    @Nested
    @DisplayName("Password grant (no pages), per action")
    class DirectGrant {

        @ParameterizedTest(name = "[{index}] {0} -> {1}")
        @CsvSource({
                "MONITOR, GO_ON",
                "EMAIL_RESET, REFUSE_AND_MAIL",
                "FORCE_CHANGE, REFUSE_NO_PROOF",
                "SECOND_PROOF, REFUSE_NO_PROOF",
        })
        @DisplayName("Given a breached password, only monitor lets the grant on; email-reset also mails the owner")
        void answers(LoginAction action, Answer answer) {
            assertThat(BreachDecision.directGrant(action)).isEqualTo(answer);
        }
    }

    @Nested
    @DisplayName("Remembered clean verdicts")
    class Memo {

        private static final long TODAY = 20_000;

        @ParameterizedTest(name = "[{index}] {0} -> {1}")
        @CsvSource({
                "abc:20000, true",
                "abc:19971, true",
                "abc:19970, false",
                "abd:20000, false",
                "abc, false",
                "abc:, false",
                "abc:x, false",
        })
        @DisplayName("Given a stored verdict, it stands only for the same password credential and within recheckDays (30)")
        void stands(String stored, boolean clean) {
            assertThat(BreachDecision.rememberedClean(stored, "abc", 30, TODAY)).isEqualTo(clean);
        }

        @Test
        @DisplayName("Given no stored verdict, the password is checked")
        void none() {
            assertThat(BreachDecision.rememberedClean(null, "abc", 30, TODAY)).isFalse();
        }
    }

    @Nested
    @DisplayName("email-reset mails")
    class ResetMail {

        @Test
        @DisplayName("Given a link was mailed less than 15 minutes ago, no other goes out")
        void interval() {
            long now = 1_800_000_000_000L;
            assertThat(BreachDecision.mayMailReset(0, now)).isTrue();
            assertThat(BreachDecision.mayMailReset(now - 15 * 60_000, now)).isTrue();
            assertThat(BreachDecision.mayMailReset(now - 15 * 60_000 + 1, now)).isFalse();
        }
    }
}
