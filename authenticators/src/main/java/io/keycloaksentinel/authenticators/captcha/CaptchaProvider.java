package io.keycloaksentinel.authenticators.captcha;

import org.keycloak.provider.Provider;

/**
 * A CAPTCHA vendor: what to put on the page, and whether an answer posted with the form is
 * good. Implementations must never throw for bad input: a malformed, oversize, expired or
 * replayed answer is a {@link CaptchaVerdict} like any other, and a vendor that is down or
 * slow is {@link CaptchaVerdict.Outcome#UNAVAILABLE} (the realm decides whether that fails open).
 */
public interface CaptchaProvider extends Provider {

    /** The form field the widget fills with its answer (for example {@code altcha}, {@code cf-turnstile-response}). */
    String responseField();

    /** The widget for a page that needs a CAPTCHA now. */
    CaptchaWidget widget(CaptchaRequest request);

    /**
     * Verifies {@code answer} (the posted value of {@link #responseField()}, possibly oversize;
     * never null or blank: the gate answers MISSING for those without calling a provider). Called
     * before the username is looked up or any password is hashed.
     */
    CaptchaVerdict verify(CaptchaRequest request, String answer);

    @Override
    default void close() {
    }
}
