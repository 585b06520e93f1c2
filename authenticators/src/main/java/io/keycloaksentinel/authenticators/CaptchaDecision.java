package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict;
import io.keycloaksentinel.core.captcha.CaptchaMode;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What {@link CaptchaGate} decides, without Keycloak: which settings a form follows, whether a
 * request is asked for a CAPTCHA (the mode, the request's one risk decision, the realm's
 * emergency, the allowlist) and what a checked answer leads to (the realm failing open or closed
 * when the answer cannot be checked). The gate gathers the inputs and carries the outcome out.
 */
final class CaptchaDecision {

    static final String MISSING_MESSAGE = "sentinelCaptchaMissing";
    static final String FAILED_MESSAGE = "sentinelCaptchaFailed";
    static final String EXPIRED_MESSAGE = "sentinelCaptchaExpired";
    static final String UNAVAILABLE_MESSAGE = "sentinelCaptchaUnavailable";

    /** Whether a request answers a CAPTCHA. */
    enum Ask {
        /** No widget, nothing checked. */
        NOT_ASKED,
        /** The widget is shown and the answer checked. */
        ASKED,
        /** Monitoring only: the request would have been asked; it is counted and logged, never refused. */
        MONITORED
    }

    /**
     * The decision for one request.
     *
     * @param risk the request's risk, or null when the decision did not need it (mode "never", an
     *             allowlisted address): the gate then makes no counter read for it
     */
    record Asking(Ask ask, RiskLevel risk) {

        boolean asked() {
            return ask == Ask.ASKED;
        }
    }

    private CaptchaDecision() {
    }

    /**
     * The settings of a form: each key of the step's config ({@code step}, null when the execution
     * has none) when set and not blank, otherwise the realm's ({@code realmWide}, short key to
     * stored value), otherwise the default.
     */
    static CaptchaSettings settings(Map<String, String> step, Function<String, String> realmWide) {
        Map<String, String> own = step == null ? Map.of() : step;
        return CaptchaSettings.TABLE.read(key -> {
            String v = own.get(key);
            return v == null || v.isBlank() ? realmWide.apply(key) : v;
        });
    }

    /**
     * Whether a request is asked. {@code risk} is the request's one risk decision, read only when
     * the answer depends on it. An admin's emergency asks every request, whatever the mode (the
     * work still follows the risk); an allowlisted address is never asked; mode "monitor" decides
     * as "risky" does and only records it.
     */
    static Asking ask(CaptchaSettings settings, boolean emergency, boolean allowlisted, Supplier<RiskLevel> risk) {
        if ((settings.mode() == CaptchaMode.NEVER && !emergency) || allowlisted) {
            return new Asking(Ask.NOT_ASKED, null);
        }
        RiskLevel level = risk.get();
        if (emergency) {
            return new Asking(Ask.ASKED, level);
        }
        if (!settings.requires(level)) {
            return new Asking(Ask.NOT_ASKED, level);
        }
        return new Asking(settings.mode() == CaptchaMode.MONITOR ? Ask.MONITORED : Ask.ASKED, level);
    }

    /**
     * What a checked answer leads to: empty when the request may go on, otherwise the message key
     * to show. An answer the server could not check (vendor down, no key) follows the realm's
     * fail policy; every other failure is refused, whatever the policy.
     */
    /** The detail of an UNAVAILABLE verdict when the node's outbound calls were all busy: fails closed, whatever the policy. */
    static final String BUSY_DETAIL = "vendor busy";

    static Optional<String> refusal(CaptchaVerdict.Outcome outcome, boolean failOpen) {
        return switch (outcome) {
            case PASSED -> Optional.empty();
            case MISSING -> Optional.of(MISSING_MESSAGE);
            case EXPIRED -> Optional.of(EXPIRED_MESSAGE);
            case UNAVAILABLE -> unavailable(failOpen);
            default -> Optional.of(FAILED_MESSAGE);
        };
    }

    /** The realm's CAPTCHA provider is not installed or cannot check answers: the fail policy decides. */
    static Optional<String> unavailable(boolean failOpen) {
        return failOpen ? Optional.empty() : Optional.of(UNAVAILABLE_MESSAGE);
    }

    /** Whether a refused answer counts as a CAPTCHA failure of its source (not when nothing could be checked). */
    static boolean countsAsFailure(CaptchaVerdict.Outcome outcome) {
        return outcome != CaptchaVerdict.Outcome.PASSED && outcome != CaptchaVerdict.Outcome.UNAVAILABLE;
    }

    /**
     * The risk whose work a built-in challenge must carry to be accepted: the login form's rating
     * counts the typed name, which the widget never knows, so a raised login rating is replaced by
     * the source's own ({@code sourceOnly}, read only then); other forms rate the source alone.
     */
    static RiskLevel workRisk(RiskLevel level, boolean loginForm, Supplier<RiskLevel> sourceOnly) {
        return level == RiskLevel.LOW || !loginForm ? level : sourceOnly.get();
    }
}
