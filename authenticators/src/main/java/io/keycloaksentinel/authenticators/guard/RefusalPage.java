package io.keycloaksentinel.authenticators.guard;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.common.Version;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.theme.Theme;
import org.keycloak.theme.freemarker.FreeMarkerProvider;

/**
 * The page a refused sign-in post gets (a throttled source, a full hash bulkhead, a post without
 * the CAPTCHA answer), at about the cost of Keycloak's cheapest answer: the realm's message in the
 * visitor's language, in the login theme's styles, with a link back to the sign-in. Re-rendering
 * the whole login form for every refused bot post costs 3-4 times what Keycloak's floor does; this
 * page is rendered once per realm, theme, language and message ({@code sentinel-refused.ftl}) and
 * then served as it is, with only the link back put in. It holds nothing of the session it was
 * first rendered for.
 *
 * <p>Bounded: at most {@value #MAX_PAGES} pages per node (all dropped when full; the keys are the
 * realms' themes, supported languages and a handful of messages, nothing a visitor chooses freely),
 * each kept {@value #TTL_MILLIS} ms so that an admin's change of theme or texts shows within a minute.
 */
public final class RefusalPage {

    static final String TEMPLATE = "sentinel-refused.ftl";
    static final String RETRY_MESSAGE = "sentinelRefusedRetry";
    private static final String RETRY_MARK = "sentinel-retry-url-5e1c0a";
    static final int MAX_PAGES = 512;
    static final long TTL_MILLIS = 60_000;
    private static final Logger LOG = Logger.getLogger(RefusalPage.class);

    private static final Map<Key, Page> PAGES = new ConcurrentHashMap<>();

    private record Key(String realmId, String theme, String locale, String message) {
    }

    /** The rendered page around the link back, and when it must be rendered again. */
    private record Page(String before, String after, long expiresAt) {

        String with(String retryUrl) {
            return after == null ? before : before + escape(retryUrl) + after;
        }
    }

    private RefusalPage() {
    }

    /**
     * The refusal page for {@code messageKey} with {@code status} and, when above 0,
     * {@code Retry-After}; falls back to the login form with the message if the page cannot be
     * rendered (a theme without the template's properties, say).
     */
    public static Response of(AuthenticationFlowContext context, String messageKey, int status, long retryAfterSeconds) {
        Response.ResponseBuilder answer;
        try {
            String html = page(context.getSession(), context.getRealm(), messageKey)
                    .with(context.getRefreshExecutionUrl().toString());
            answer = Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("utf-8")).entity(html)
                    .header("Cache-Control", "no-store, must-revalidate, max-age=0");
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the refusal page could not be rendered (%s); answering with the login form",
                    e.getClass().getSimpleName());
            Response form = context.form().setError(messageKey).createLoginUsernamePassword();
            answer = Response.fromResponse(form).status(status);
        }
        if (retryAfterSeconds > 0) {
            answer.header("Retry-After", String.valueOf(retryAfterSeconds));
        }
        return answer.build();
    }

    private static Page page(KeycloakSession session, RealmModel realm, String messageKey) {
        Theme theme;
        try {
            theme = session.theme().getTheme(Theme.Type.LOGIN);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Locale locale = session.getContext().resolveLocale(null);
        Key key = new Key(realm.getId(), theme.getName(), locale.toLanguageTag(), messageKey);
        long now = System.currentTimeMillis();
        Page page = PAGES.get(key);
        if (page != null && page.expiresAt() > now) {
            return page;
        }
        page = render(session, realm, theme, locale, messageKey, now + TTL_MILLIS);
        if (PAGES.size() >= MAX_PAGES) {
            PAGES.clear();
        }
        PAGES.put(key, page);
        return page;
    }

    private static Page render(KeycloakSession session, RealmModel realm, Theme theme, Locale locale, String messageKey,
                               long expiresAt) {
        try {
            Properties messages = theme.getEnhancedMessages(realm, locale);
            Properties properties = theme.getProperties();
            String base = session.getContext().getUri().getBaseUri().getPath();
            String themeRoot = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/resources/"
                    + Version.RESOURCES_VERSION;
            String name = realm.getDisplayName() == null || realm.getDisplayName().isBlank()
                    ? realm.getName() : realm.getDisplayName();
            Map<String, Object> data = new HashMap<>();
            data.put("lang", locale.toLanguageTag());
            data.put("title", name);
            data.put("realmName", name);
            data.put("message", messages.getProperty(messageKey, messageKey));
            data.put("retryLabel", messages.getProperty(RETRY_MESSAGE, "Back to sign-in"));
            data.put("retryUrl", RETRY_MARK);
            data.put("properties", properties);
            data.put("resourcesPath", themeRoot + "/" + Theme.Type.LOGIN.name().toLowerCase(Locale.ROOT) + "/" + theme.getName());
            data.put("resourcesCommonPath", themeRoot + "/" + properties.getProperty("import", "common/keycloak"));
            data.put("styles", words(properties.getProperty("styles")));
            data.put("stylesCommon", words(properties.getProperty("stylesCommon")));
            String html = session.getProvider(FreeMarkerProvider.class).processTemplate(data, TEMPLATE, theme);
            int at = html.indexOf(RETRY_MARK);
            return at < 0 ? new Page(html, null, expiresAt)
                    : new Page(html.substring(0, at), html.substring(at + RETRY_MARK.length()), expiresAt);
        } catch (java.io.IOException | org.keycloak.theme.FreeMarkerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> words(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            for (String w : value.trim().split("\\s+")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /** The link back, for an HTML attribute. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
