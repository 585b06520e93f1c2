package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.SettingsValues;
import java.util.ArrayList;
import java.util.List;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * The email-first sign-up step's own settings (its authenticator config, beside the CAPTCHA's):
 * the keys, their defaults, the typed values (a missing or damaged value is its default) and the
 * list the admin console shows.
 */
record SignupConfig(int perIp, int perNetwork, int mailsPerAddress) {

    static final String PER_IP = "signupPerIpPer15m";
    static final String PER_NETWORK = "signupPerNetworkPer15m";
    static final String MAILS_PER_ADDRESS = "signupMailsPerAddressPerHour";
    static final int DEFAULT_PER_IP = 10;
    static final int DEFAULT_PER_NETWORK = 30;
    static final int DEFAULT_MAILS_PER_ADDRESS = 3;

    static SignupConfig of(AuthenticatorConfigModel config) {
        return new SignupConfig(setting(config, PER_IP, DEFAULT_PER_IP), setting(config, PER_NETWORK, DEFAULT_PER_NETWORK),
                setting(config, MAILS_PER_ADDRESS, DEFAULT_MAILS_PER_ADDRESS));
    }

    private static int setting(AuthenticatorConfigModel config, String key, int fallback) {
        String v = config == null || config.getConfig() == null ? null : config.getConfig().get(key);
        return (int) SettingsValues.stored(v, 0, Integer.MAX_VALUE, fallback);
    }

    /** The step's config properties: its limits, then the CAPTCHA's. */
    static List<ProviderConfigProperty> properties() {
        List<ProviderConfigProperty> all = new ArrayList<>(ProviderConfigurationBuilder.create()
                .property().name(PER_IP).label("Sign-ups per address (15 min)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_PER_IP))
                .helpText("Sign-up requests one IP address may make in 15 minutes, on the whole cluster; then 429. 0: no limit.")
                .add()
                .property().name(PER_NETWORK).label("Sign-ups per network (15 min)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_PER_NETWORK))
                .helpText("Sign-up requests one network (/24, /64) may make in 15 minutes; then 429. 0: no limit.")
                .add()
                .property().name(MAILS_PER_ADDRESS).label("Mails per address (hour)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_MAILS_PER_ADDRESS))
                .helpText("Sign-up mails (codes or notices) one email address may receive per hour; the page is the same "
                        + "when no mail is sent. 0: no limit.")
                .add()
                .build());
        all.addAll(CaptchaConfigProperties.list());
        return all;
    }
}
