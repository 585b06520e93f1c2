package io.keycloaksentinel.authenticators.captcha;

import java.util.List;
import java.util.Map;

/**
 * What the browser needs to show a CAPTCHA: scripts to load, then one element to insert in the
 * form before its buttons. Sentinel's page script ({@code sentinel/captcha.js}) renders it in
 * any login theme derived from Keycloak's, so no template is overridden.
 *
 * @param scripts    script URLs to load, in order (the built-in provider's is served by Keycloak itself)
 * @param element    the tag name of the element to insert ({@code altcha-widget}, {@code div})
 * @param attributes the element's attributes (class, data-sitekey, challenge, ...)
 * @param invisible  true when the widget has no visible part and runs on submit (reCAPTCHA v3)
 */
public record CaptchaWidget(List<String> scripts, String element, Map<String, String> attributes, boolean invisible) {

    public CaptchaWidget {
        scripts = List.copyOf(scripts);
        attributes = Map.copyOf(attributes);
    }
}
