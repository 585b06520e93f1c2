package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.authenticators.captcha.AltchaCaptchaProvider;
import io.keycloaksentinel.authenticators.captcha.CaptchaProvider;
import io.keycloaksentinel.authenticators.captcha.CaptchaWidget;
import io.keycloaksentinel.core.captcha.CaptchaMode;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resource.RealmResourceProvider;

/**
 * {@code /realms/{realm}/sentinel-captcha}: what Sentinel's page script asks for when a form
 * needs a CAPTCHA. {@code GET widget?form=} describes the realm's widget (for the built-in
 * provider, with a fresh signed challenge bound to that form, whose work matches the caller's
 * risk); {@code GET challenge?form=} hands the built-in widget a new challenge when the old one
 * expired (the widget's refresh URL names its form). An unknown or missing form is the login
 * form: its challenges answer nowhere else. Nothing here is secret, nothing is stored, and every
 * answer is {@code no-store}.
 */
public final class CaptchaResource implements RealmResourceProvider {

    private static final Logger LOG = Logger.getLogger(CaptchaResource.class);
    private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}");
    private final KeycloakSession session;

    CaptchaResource(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public Object getResource() {
        return this;
    }

    @GET
    @Path("widget")
    @Produces(MediaType.APPLICATION_JSON)
    public Response widget(@QueryParam("form") String form, @QueryParam("lang") String lang) {
        RealmModel realm = session.getContext().getRealm();
        CaptchaGate gate = CaptchaGate.of(session, realm, null, formOf(form));
        if (gate.settings().mode() == CaptchaMode.NEVER || gate.settings().mode() == CaptchaMode.MONITOR) {
            return error(404, "no CAPTCHA in this realm");
        }
        CaptchaProvider provider = gate.provider();
        if (provider == null) {
            return error(503, "CAPTCHA provider unavailable");
        }
        try {
            gate.required(null);
            String language = lang != null && lang.length() <= 20 && LANGUAGE.matcher(lang).matches() ? lang : null;
            CaptchaWidget w = provider.widget(gate.request(language));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("provider", gate.settings().provider());
            body.put("field", provider.responseField());
            body.put("scripts", w.scripts());
            body.put("element", w.element());
            body.put("attributes", w.attributes());
            body.put("invisible", w.invisible());
            body.put("labels", labels(realm));
            return Response.ok(body).cacheControl(noStore()).build();
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: cannot describe the CAPTCHA widget of realm '%s': %s", realm.getName(), e.toString());
            return error(503, "CAPTCHA unavailable");
        }
    }

    @GET
    @Path("challenge")
    @Produces(MediaType.APPLICATION_JSON)
    public Response challenge(@QueryParam("form") String form) {
        RealmModel realm = session.getContext().getRealm();
        CaptchaGate gate = CaptchaGate.of(session, realm, null, formOf(form));
        if (!(gate.provider() instanceof AltchaCaptchaProvider altcha)
                || gate.settings().mode() == CaptchaMode.NEVER || gate.settings().mode() == CaptchaMode.MONITOR) {
            return error(404, "no proof-of-work CAPTCHA in this realm");
        }
        try {
            gate.required(null);
            return Response.ok(altcha.challengeJson(gate.request(null)), MediaType.APPLICATION_JSON_TYPE)
                    .cacheControl(noStore()).build();
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: cannot create a CAPTCHA challenge in realm '%s': %s", realm.getName(), e.toString());
            return error(503, "CAPTCHA unavailable");
        }
    }

    /** The page script's own texts, in the page's language (the realm's login theme messages). */
    private Map<String, String> labels(RealmModel realm) {
        Map<String, String> labels = new LinkedHashMap<>();
        try {
            java.util.Locale locale = session.getContext().resolveLocale(null);
            java.util.Properties messages = session.theme().getTheme(org.keycloak.theme.Theme.Type.LOGIN).getMessages(locale);
            labels.put("label", messages.getProperty("sentinelCaptchaLabel", "Security check"));
            labels.put("loadFailed", messages.getProperty("sentinelCaptchaLoadFailed",
                    "The security check could not be loaded. Please reload this page."));
        } catch (Exception e) {
            labels.put("label", "Security check");
        }
        return labels;
    }

    private static CaptchaGate.Form formOf(String form) {
        if ("registration".equals(form)) {
            return CaptchaGate.Form.REGISTRATION;
        }
        return "reset".equals(form) ? CaptchaGate.Form.RESET : CaptchaGate.Form.LOGIN;
    }

    private static CacheControl noStore() {
        CacheControl cc = new CacheControl();
        cc.setNoStore(true);
        cc.setNoCache(true);
        return cc;
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).cacheControl(noStore())
                .entity(Map.of("error", message)).build();
    }

    @Override
    public void close() {
    }
}
