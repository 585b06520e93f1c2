package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.captcha.CaptchaSettings;
import java.util.List;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * The CAPTCHA settings as authenticator config (admin console). Every field may stay empty: an
 * empty field takes the realm-wide value set through the Sentinel admin REST, then the default.
 */
final class CaptchaConfigProperties {

    private CaptchaConfigProperties() {
    }

    static List<ProviderConfigProperty> list() {
        return ProviderConfigurationBuilder.create()
                .property().name(CaptchaSettings.MODE).label("CAPTCHA mode").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "risky", "always", "never", "monitor")
                .helpText("risky (default): only while the attack detector rates the request risky; always; never; "
                        + "monitor: count and log what would be asked, show nothing. Empty: the realm-wide setting.")
                .add()
                .property().name(CaptchaSettings.MIN_RISK).label("Minimum risk").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "medium", "high")
                .helpText("In 'risky' mode, the lowest risk that asks for a CAPTCHA: medium (default: the realm is "
                        + "elevated or a source is half-way to a threshold) or high (under attack, or over a threshold).")
                .add()
                .property().name(CaptchaSettings.PROVIDER).label("Provider").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "altcha", "recaptcha", "recaptcha-v3", "hcaptcha", "turnstile")
                .helpText("altcha (default): built-in proof-of-work, no third party. The others need a site key and secret.")
                .add()
                .property().name(CaptchaSettings.SITE_KEY).label("Site key").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Third-party providers: the public site key.").add()
                .property().name(CaptchaSettings.SECRET).label("Secret").type(ProviderConfigProperty.PASSWORD)
                .secret(true).helpText("Third-party providers: the secret key; a vault reference such as ${vault.captcha} works.")
                .add()
                .property().name(CaptchaSettings.VERIFY_URL).label("Verify URL").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Third-party providers: the siteverify URL (empty: the vendor's; set it for a proxy).").add()
                .property().name(CaptchaSettings.TIMEOUT_MILLIS).label("Timeout (ms)").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Third-party providers: how long to wait for siteverify (default 3000).").add()
                .property().name(CaptchaSettings.FAIL_OPEN).label("Fail open").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "false", "true")
                .helpText("When the provider cannot be asked: false (default) refuses the request; true lets it through without a CAPTCHA.")
                .add()
                .property().name(CaptchaSettings.MIN_SCORE).label("Minimum score").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("reCAPTCHA v3: the lowest score accepted, 0.0 to 1.0 (default 0.5).").add()
                .build();
    }
}
