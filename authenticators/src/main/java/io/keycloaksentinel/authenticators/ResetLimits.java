package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.detect.AccountActivity;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * The password-reset steps' limits, so that "Forgot password" cannot be turned into a mail cannon
 * against one person or into a way to fill the mail queue: reset requests per address and per
 * network in 15 minutes (cluster-wide, decided before the name is looked up: the same 429 for a
 * registered and an unknown name), on Sentinel's Choose User step; and reset mails per recipient
 * address per hour (cluster-wide, under a keyed hash of the address), and only to a verified
 * address, on Sentinel's Send Reset Email step, whose page says "sent" either way.
 */
record ResetLimits(int perIp, int perNetwork, int mailsPerAddress, boolean verifiedOnly) {

    static final String PER_IP = "resetPerIpPer15m";
    static final String PER_NETWORK = "resetPerNetworkPer15m";
    static final String MAILS_PER_ADDRESS = "resetMailsPerAddressPerHour";
    static final String VERIFIED_ONLY = "resetOnlyVerifiedAddresses";
    static final int DEFAULT_PER_IP = 10;
    static final int DEFAULT_PER_NETWORK = 30;
    static final int DEFAULT_MAILS_PER_ADDRESS = 3;
    /** Seconds a refused reset request is told to wait: the counting window. */
    static final long RETRY_AFTER_SECONDS = 900;
    private static final Logger LOG = Logger.getLogger(ResetLimits.class);

    static ResetLimits of(AuthenticatorConfigModel config) {
        String verified = config == null || config.getConfig() == null ? null : config.getConfig().get(VERIFIED_ONLY);
        return new ResetLimits(setting(config, PER_IP, DEFAULT_PER_IP), setting(config, PER_NETWORK, DEFAULT_PER_NETWORK),
                setting(config, MAILS_PER_ADDRESS, DEFAULT_MAILS_PER_ADDRESS), !"false".equalsIgnoreCase(
                        verified == null ? "" : verified.trim()));
    }

    private static int setting(AuthenticatorConfigModel config, String key, int fallback) {
        String v = config == null || config.getConfig() == null ? null : config.getConfig().get(key);
        return (int) SettingsValues.stored(v, 0, Integer.MAX_VALUE, fallback);
    }

    /**
     * Why this reset request is refused (its address's or network's reset requests in 15 minutes,
     * over the cluster), or empty; an allowlisted source and a detector that cannot answer are let through.
     */
    Optional<String> throttle(AuthenticationFlowContext context, String ip) {
        AttackDetector detector = detector(context);
        if (detector == null || (perIp == 0 && perNetwork == 0)
                || RealmDetectionConfig.allowlisted(context.getRealm()::getAttribute, ip)) {
            return Optional.empty();
        }
        try {
            long[] counts = detector.accountRequests15m(context.getRealm().getId(), ip, AccountActivity.Kind.RESET);
            if (perIp > 0 && counts[0] >= perIp) {
                return Optional.of("address over " + perIp + " reset requests in 15 min");
            }
            if (perNetwork > 0 && counts[1] >= perNetwork) {
                return Optional.of("network over " + perNetwork + " reset requests in 15 min");
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: reset throttle unavailable, letting the request through: %s", e.toString());
            return Optional.empty();
        }
    }

    /**
     * One of the few reset mails an address may get per hour ({@code perHour}, 0: no limit), claimed
     * on the whole cluster under a keyed hash of the address; on the mail thread, in its session.
     */
    static boolean mailSlot(org.keycloak.models.KeycloakSession session, org.keycloak.models.RealmModel realm, String email,
                            int perHour) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection == null || perHour == 0) {
            return true;
        }
        try {
            boolean granted = detection.detector().keys().claimHourlySlot(realm.getId(), "reset-mail",
                    email.toLowerCase(Locale.ROOT), perHour);
            if (!granted) {
                io.micrometer.core.instrument.Metrics.counter("sentinel_mail_total", "kind", "password_reset",
                        "outcome", "over_budget").increment();
            }
            return granted;
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: reset mail budget unavailable, sending: %s", e.toString());
            return true;
        }
    }

    private static AttackDetector detector(AuthenticationFlowContext context) {
        AttackDetectionProvider detection = context.getSession().getProvider(AttackDetectionProvider.class);
        return detection == null ? null : detection.detector();
    }

    /** The Choose User step's limits (then the CAPTCHA's settings). */
    static List<ProviderConfigProperty> requestProperties() {
        List<ProviderConfigProperty> all = new ArrayList<>(ProviderConfigurationBuilder.create()
                .property().name(PER_IP).label("Reset requests per address (15 min)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_PER_IP))
                .helpText("Password-reset requests one IP address may make in 15 minutes, on the whole cluster; then 429,"
                        + " whatever name is typed. 0: no limit.")
                .add()
                .property().name(PER_NETWORK).label("Reset requests per network (15 min)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_PER_NETWORK))
                .helpText("Password-reset requests one network (/24, /64) may make in 15 minutes; then 429. 0: no limit.")
                .add()
                .build());
        all.addAll(CaptchaConfigProperties.list());
        return all;
    }

    /** The Send Reset Email step's limit. */
    static List<ProviderConfigProperty> mailProperties() {
        return ProviderConfigurationBuilder.create()
                .property().name(MAILS_PER_ADDRESS).label("Reset mails per address (hour)").type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(Integer.toString(DEFAULT_MAILS_PER_ADDRESS))
                .helpText("Password-reset mails one email address may receive per hour, on the whole cluster; the page says"
                        + " the same when no mail is sent. 0: no limit.")
                .add()
                .property().name(VERIFIED_ONLY).label("Only verified addresses").type(ProviderConfigProperty.BOOLEAN_TYPE)
                .defaultValue("true")
                .helpText("Send the reset link only to an address the user verified (an address someone else set, unverified,"
                        + " gets nothing; the page says the same). Off: Keycloak's behaviour, any address on the account.")
                .add()
                .build();
    }
}
