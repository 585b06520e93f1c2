package io.keycloaksentinel.authenticators.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import io.keycloaksentinel.authenticators.mfa.MfaDecision.Login;
import io.keycloaksentinel.authenticators.mfa.MfaDecision.Outcome;
import io.keycloaksentinel.authenticators.mfa.MfaDecision.Skip;
import io.keycloaksentinel.authenticators.mfa.MfaStatus.State;
import io.keycloaksentinel.core.mfa.MfaSettings.EnrollmentProof;
import io.keycloaksentinel.core.mfa.MfaSettings.Mode;
import io.keycloaksentinel.core.mfa.MfaSettings.StepUpAction;
import io.keycloaksentinel.core.risk.RiskLevel;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("What the MFA step decides for a login")
class MfaDecisionTest {

    /** A plain browser login under {@code mode}: no step-up, not the reset flow, no factor, one enrollable. */
    private static Login login(Mode mode, State state) {
        return new Login(mode, StepUpAction.ALLOW, false, state, false, false, false, true);
    }

    private static Login with(Login l, StepUpAction stepUp, boolean hasAnyFactor, boolean anyUsed, boolean allowedUsed) {
        return new Login(l.mode(), stepUp, l.resetFlow(), l.state(), hasAnyFactor, anyUsed, allowedUsed, l.canEnroll());
    }

    @Nested
    @DisplayName("Policy enforced")
    class Enforce {

        @Test
        @DisplayName("Given an enrolled user, the login goes on only when the flow checked an allowed factor")
        void enrolled() {
            Login l = login(Mode.ENFORCE, State.ENROLLED);
            assertThat(MfaDecision.browser(with(l, StepUpAction.ALLOW, true, true, true))).isEqualTo(Outcome.SECOND_FACTOR);
            assertThat(MfaDecision.browser(with(l, StepUpAction.ALLOW, true, true, false)))
                    .as("a factor the policy does not allow").isEqualTo(Outcome.FLOW_INCOMPLETE);
            assertThat(MfaDecision.browser(with(l, StepUpAction.ALLOW, true, false, false))).isEqualTo(Outcome.FLOW_INCOMPLETE);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @EnumSource(value = State.class, names = {"IN_GRACE", "OVERDUE"})
        @DisplayName("Given a user without a factor, in the grace or past it, the choice page is shown")
        void choose(State state) {
            assertThat(MfaDecision.browser(login(Mode.ENFORCE, state))).isEqualTo(Outcome.CHOOSE);
        }

        @Test
        @DisplayName("Given no allowed factor can be enrolled, an overdue user is refused and one in grace still sees the page")
        void cannotEnroll() {
            Login overdue = new Login(Mode.ENFORCE, StepUpAction.ALLOW, false, State.OVERDUE, false, false, false, false);
            Login grace = new Login(Mode.ENFORCE, StepUpAction.ALLOW, false, State.IN_GRACE, false, false, false, false);
            assertThat(MfaDecision.browser(overdue)).isEqualTo(Outcome.CANNOT_ENROLL);
            assertThat(MfaDecision.browser(grace)).isEqualTo(Outcome.CHOOSE);
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @EnumSource(value = State.class, names = {"EXEMPT", "NOT_COVERED"})
        @DisplayName("Given an exempt or uncovered user, nothing is asked")
        void notAsked(State state) {
            assertThat(MfaDecision.browser(login(Mode.ENFORCE, state))).isEqualTo(Outcome.PASS);
        }

        @Test
        @DisplayName("Given the reset-credentials flow did not ask the user's factor, the reset is refused")
        void reset() {
            Login reset = new Login(Mode.ENFORCE, StepUpAction.ALLOW, true, State.NOT_COVERED, true, false, false, true);
            assertThat(MfaDecision.browser(reset)).isEqualTo(Outcome.FLOW_INCOMPLETE);
            Login asked = new Login(Mode.ENFORCE, StepUpAction.ALLOW, true, State.NOT_COVERED, true, true, true, true);
            assertThat(MfaDecision.browser(asked)).isEqualTo(Outcome.PASS);
        }
    }

    @Nested
    @DisplayName("Policy monitored or off")
    class MonitorOrOff {

        @ParameterizedTest(name = "[{index}] {0} / {1}")
        @CsvSource({"MONITOR, OVERDUE", "MONITOR, IN_GRACE", "MONITOR, ENROLLED", "OFF, NOT_COVERED"})
        @DisplayName("Given no step-up, nothing is asked whatever the user's standing")
        void passes(Mode mode, State state) {
            assertThat(MfaDecision.browser(login(mode, state))).isEqualTo(Outcome.PASS);
        }
    }

    @Nested
    @DisplayName("Step-up")
    class StepUp {

        @ParameterizedTest(name = "[{index}] {0}")
        @EnumSource(Mode.class)
        @DisplayName("Given the step-up refuses, the login is refused under any policy")
        void refuse(Mode mode) {
            assertThat(MfaDecision.browser(with(login(mode, null), StepUpAction.REFUSE, true, true, true)))
                    .isEqualTo(Outcome.STEP_UP_REFUSED);
        }

        @Test
        @DisplayName("Given a second proof is asked of a user without a factor, the emailed code is asked")
        void emailCode() {
            assertThat(MfaDecision.browser(with(login(Mode.OFF, State.NOT_COVERED), StepUpAction.SECOND_PROOF, false, false, false)))
                    .isEqualTo(Outcome.EMAIL_STEP_UP);
        }

        @Test
        @DisplayName("Given a second proof is asked of a user with a factor, the flow must have asked it")
        void factor() {
            Login l = login(Mode.OFF, State.NOT_COVERED);
            assertThat(MfaDecision.browser(with(l, StepUpAction.SECOND_PROOF, true, false, false))).isEqualTo(Outcome.FLOW_INCOMPLETE);
            assertThat(MfaDecision.browser(with(l, StepUpAction.SECOND_PROOF, true, true, false))).isEqualTo(Outcome.PASS);
        }
    }

    @Nested
    @DisplayName("Password grant (no pages)")
    class DirectGrant {

        @ParameterizedTest(name = "[{index}] {0} {1} {2} any={3} allowed={4} -> {5}")
        @CsvSource({
                "ENFORCE, ENROLLED, ALLOW, true, true, ''",
                "ENFORCE, ENROLLED, ALLOW, true, false, sentinel_mfa_second_factor_required",
                "ENFORCE, OVERDUE, ALLOW, false, false, sentinel_mfa_enrollment_required",
                "ENFORCE, IN_GRACE, ALLOW, false, false, ''",
                "MONITOR, OVERDUE, ALLOW, false, false, ''",
                "OFF, NOT_COVERED, REFUSE, true, true, sentinel_step_up_refused",
                "OFF, NOT_COVERED, SECOND_PROOF, false, false, sentinel_step_up_needs_browser",
                "OFF, NOT_COVERED, SECOND_PROOF, true, false, ''",
        })
        @DisplayName("Given the grant's facts, it is refused with the event error, or goes on")
        void refusal(Mode mode, State state, StepUpAction stepUp, boolean anyUsed, boolean allowedUsed, String error) {
            Login l = new Login(mode, stepUp, false, state, anyUsed, anyUsed, allowedUsed, true);
            assertThat(MfaDecision.directGrantRefusal(l).orElse("")).isEqualTo(error);
        }

        @Test
        @DisplayName("Given a grace limited by logins, a grant that goes on uses a skip; otherwise not")
        void skip() {
            assertThat(MfaDecision.directGrantUsesSkip(login(Mode.ENFORCE, State.IN_GRACE), true)).isTrue();
            assertThat(MfaDecision.directGrantUsesSkip(login(Mode.ENFORCE, State.IN_GRACE), false)).isFalse();
            assertThat(MfaDecision.directGrantUsesSkip(login(Mode.MONITOR, State.IN_GRACE), true)).isFalse();
            assertThat(MfaDecision.directGrantUsesSkip(login(Mode.ENFORCE, State.ENROLLED), true)).isFalse();
        }
    }

    @Nested
    @DisplayName("Enrollment and \"Not now\"")
    class Enrollment {

        @ParameterizedTest(name = "[{index}] {0} cookie={1} {2} breached={3} -> {4}")
        @CsvSource({
                "ALWAYS, true, LOW, false, true",
                "NEVER, false, HIGH, true, false",
                "RISKY, true, LOW, false, false",
                "RISKY, false, LOW, false, true",
                "RISKY, true, MEDIUM, false, true",
                "RISKY, true, LOW, true, true",
        })
        @DisplayName("Given the enrollment proof setting and the login, the email code comes first or not")
        void emailFirst(EnrollmentProof proof, boolean cookie, RiskLevel level, boolean breached, boolean first) {
            assertThat(MfaDecision.emailFirst(proof, StepUpAction.ALLOW, cookie, level, breached)).isEqualTo(first);
            assertThat(MfaDecision.emailFirst(proof, StepUpAction.SECOND_PROOF, cookie, level, breached))
                    .as("a step-up's second proof always asks the code first").isTrue();
        }

        @ParameterizedTest(name = "[{index}] {0} emailFirst={1} possible={2} -> {3}")
        @CsvSource({
                "IN_GRACE, false, false, SKIPPED",
                "IN_GRACE, true, true, EMAIL_FIRST",
                "IN_GRACE, true, false, NO_EMAIL",
                "OVERDUE, false, true, GRACE_OVER",
                "ENROLLED, false, true, GRACE_OVER",
        })
        @DisplayName("Given \"Not now\", it is taken only during the grace, after the email code on a risky login")
        void skip(State state, boolean emailFirst, boolean possible, Skip answer) {
            assertThat(MfaDecision.skip(state, emailFirst, possible)).isEqualTo(answer);
        }
    }
}
