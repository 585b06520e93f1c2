package io.keycloaksentinel.authenticators.captcha;

/**
 * The result of checking one CAPTCHA answer.
 *
 * @param outcome what happened
 * @param detail  a short reason for logs and metrics: never the answer, a secret or a username
 */
public record CaptchaVerdict(Outcome outcome, String detail) {

    public enum Outcome {
        /** The answer is good and has now been used. */
        PASSED,
        /** No answer was posted (a bot, or a browser without JavaScript). */
        MISSING,
        /**
         * Malformed, oversize, tampered, for another realm, form or challenge, a challenge with less
         * work than the risk now asks, or rejected by the vendor. Counted as a CAPTCHA failure; never
         * let through by a fail-open realm.
         */
        INVALID,
        /** A good answer to a challenge that has expired. */
        EXPIRED,
        /** A good answer that was already used once. */
        REPLAYED,
        /** The vendor scored the request below the realm's threshold (reCAPTCHA v3). */
        LOW_SCORE,
        /**
         * The vendor could not be reached or asked (down, slow, 5xx, garbage reply, the realm's secret
         * refused) or the replay cache is unavailable: nothing the client's answer can cause.
         */
        UNAVAILABLE
    }

    public static CaptchaVerdict passed() {
        return new CaptchaVerdict(Outcome.PASSED, "ok");
    }

    public static CaptchaVerdict of(Outcome outcome, String detail) {
        return new CaptchaVerdict(outcome, detail);
    }

    public boolean passedCheck() {
        return outcome == Outcome.PASSED;
    }

    /** The metric / log label of the outcome. */
    public String label() {
        return outcome.name().toLowerCase(java.util.Locale.ROOT);
    }
}
