package io.keycloaksentinel.authenticators.captcha;

import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.risk.RiskLevel;
import java.util.function.LongSupplier;

/**
 * Everything a {@link CaptchaProvider} may use for one page or one answer, with no Keycloak
 * session in it (so providers are tested as plain classes).
 *
 * @param realmId      the realm's id (challenges are bound to it)
 * @param clientIp     the client address from Keycloak's connection (proxy headers only as the server trusts them)
 * @param risk         the attack detector's rating of this request: the built-in provider asks more work for more risk
 * @param settings     the realm's CAPTCHA settings (secrets resolved from the vault)
 * @param resourcesUrl the login theme's resource root, where Sentinel's scripts are served
 * @param realmUrl     the realm's public base URL ({@code .../realms/{name}})
 * @param language     the page's language tag, for the widget's labels
 * @param signingKey   the realm's CAPTCHA signing key (random per realm, shared by the cluster)
 * @param replay       the cluster's single-use register
 * @param clock        milliseconds since the epoch
 * @param form         the form the page or the answer belongs to ({@code login}, {@code registration},
 *                     {@code reset}): the built-in provider's challenges are bound to it
 * @param minWork      the least work (ALTCHA {@code maxnumber}) an answered built-in challenge must have
 *                     been issued with: what the risk of this request asks now (0 accepts any)
 * @param previousSigningKey the signing key from before the realm's last key rotation while its grace
 *                     period lasts (challenges issued with it still verify), or null
 */
public record CaptchaRequest(String realmId, String clientIp, RiskLevel risk, CaptchaSettings settings,
                             String resourcesUrl, String realmUrl, String language, byte[] signingKey,
                             ReplayGuard replay, LongSupplier clock, String form, long minWork, byte[] previousSigningKey) {

    public CaptchaRequest {
        java.util.Objects.requireNonNull(form, "form");
    }

    /** A request with no previous signing key (none was rotated out, or its grace is over). */
    public CaptchaRequest(String realmId, String clientIp, RiskLevel risk, CaptchaSettings settings, String resourcesUrl,
                          String realmUrl, String language, byte[] signingKey, ReplayGuard replay, LongSupplier clock,
                          String form, long minWork) {
        this(realmId, clientIp, risk, settings, resourcesUrl, realmUrl, language, signingKey, replay, clock, form, minWork,
                null);
    }
}
