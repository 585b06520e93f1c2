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
    // the per-request values, put in where the template holds these marks (no realm text can hold them: see render)
    private static final String RETRY_MARK = "sentinel-retry-url-5e1c0a";
    private static final String ACTION_MARK = "sentinel-action-url-5e1c0a";
    private static final String ROOT_MARK = "/sentinel-base-path-5e1c0a";
    static final int MAX_PAGES = 2048;
    static final long TTL_MILLIS = 60_000;
    private static final Logger LOG = Logger.getLogger(RefusalPage.class);

    private static final Map<Key, Page> PAGES = new ConcurrentHashMap<>();

    private record Key(String realmId, String theme, String locale, String message, boolean form) {
    }

    /** The rendered page with its marks (null when the template failed), and when it must be rendered again. */
    private record Page(String html, String language, long expiresAt) {

        String with(String retryUrl, String actionUrl, String basePath) {
            String out = html.replace(RETRY_MARK, escape(retryUrl)).replace(ROOT_MARK, escape(basePath));
            return actionUrl == null ? out : out.replace(ACTION_MARK, escape(actionUrl));
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
        return of(context, messageKey, status, retryAfterSeconds, false);
    }

    /**
     * {@link #of(AuthenticationFlowContext, String, int, long)}; with {@code form}, the page also
     * holds a plain username and password form that posts to this step again (a fresh action code),
     * so a user can try again once the wait is over without loading the whole login page.
     */
    public static Response of(AuthenticationFlowContext context, String messageKey, int status, long retryAfterSeconds,
                              boolean form) {
        Response.ResponseBuilder answer;
        Page page;
        try {
            page = page(context.getSession(), context.getRealm(), messageKey, form);
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: no login theme for the refusal page (%s); the login form answers instead",
                    e.getClass().getSimpleName());
            page = new Page(null, null, 0);
        }
        if (page.html() != null) {
            String basePath = context.getSession().getContext().getUri().getBaseUri().getPath();
            String html = page.with(context.getRefreshExecutionUrl().toString(),
                    form ? context.getActionUrl(context.generateAccessCode()).toString() : null,
                    basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath);
            answer = Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("utf-8")).entity(html)
                    .header("Cache-Control", "no-store, must-revalidate, max-age=0")
                    .header("Content-Language", page.language());
        } else {
            Response full = context.form().setError(messageKey).createLoginUsernamePassword();
            answer = Response.fromResponse(full).status(status);
        }
        if (retryAfterSeconds > 0) {
            answer.header("Retry-After", String.valueOf(retryAfterSeconds));
        }
        return answer.build();
    }

    private static Page page(KeycloakSession session, RealmModel realm, String messageKey, boolean form) {
        Theme theme;
        try {
            theme = session.theme().getTheme(Theme.Type.LOGIN);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Locale locale = session.getContext().resolveLocale(null);
        Key key = new Key(realm.getId(), theme.getName(), locale.toLanguageTag(), messageKey, form);
        long now = System.currentTimeMillis();
        Page page = PAGES.get(key);
        if (page != null && page.expiresAt() > now) {
            return page;
        }
        try {
            page = render(session, realm, theme, locale, messageKey, form, now + TTL_MILLIS);
        } catch (RuntimeException e) {
            // remembered for the TTL: a broken override is logged once a minute, not on every refused post
            LOG.warnf("Sentinel: the refusal page %s of realm %s could not be rendered (%s); the login form answers instead",
                    TEMPLATE, realm.getName(), e.getClass().getSimpleName());
            page = new Page(null, locale.toLanguageTag(), now + TTL_MILLIS);
        }
        while (PAGES.size() >= MAX_PAGES) {
            // one page out, not all: realms, themes, languages and four messages are all a key can hold
            java.util.Iterator<Key> any = PAGES.keySet().iterator(); // not the oldest: any one
            if (!any.hasNext()) {
                break;
            }
            PAGES.remove(any.next());
        }
        PAGES.put(key, page);
        return page;
    }

    private static Page render(KeycloakSession session, RealmModel realm, Theme theme, Locale locale, String messageKey,
                               boolean form, long expiresAt) {
        try {
            Properties messages = theme.getEnhancedMessages(realm, locale);
            Properties properties = theme.getProperties();
            // the server's base path differs by request behind some proxies: put in per request, never cached
            String themeRoot = ROOT_MARK + "/resources/" + Version.RESOURCES_VERSION;
            String name = realm.getDisplayName() == null || realm.getDisplayName().isBlank()
                    ? realm.getName() : realm.getDisplayName();
            Map<String, Object> data = new HashMap<>();
            data.put("lang", locale.toLanguageTag());
            name = name.replace(RETRY_MARK, "").replace(ACTION_MARK, "").replace(ROOT_MARK, "");
            data.put("title", name);
            data.put("realmName", name);
            data.put("message", text(messages, messageKey, messageKey, locale));
            data.put("retryLabel", text(messages, RETRY_MESSAGE, "Back to sign-in", locale));
            data.put("retryUrl", RETRY_MARK);
            if (form) {
                data.put("actionUrl", ACTION_MARK);
                data.put("usernameLabel", text(messages, realm.isLoginWithEmailAllowed()
                        ? (realm.isRegistrationEmailAsUsername() ? "email" : "usernameOrEmail") : "username", "Username", locale));
                data.put("passwordLabel", text(messages, "password", "Password", locale));
                data.put("submitLabel", text(messages, "doLogIn", "Sign In", locale));
            }
            data.put("properties", properties);
            data.put("resourcesPath", themeRoot + "/" + Theme.Type.LOGIN.name().toLowerCase(Locale.ROOT) + "/" + theme.getName());
            data.put("resourcesCommonPath", themeRoot + "/" + properties.getProperty("import", "common/keycloak"));
            data.put("styles", words(properties.getProperty("styles")));
            data.put("stylesCommon", words(properties.getProperty("stylesCommon")));
            String html = session.getProvider(FreeMarkerProvider.class).processTemplate(data, TEMPLATE, theme);
            return new Page(html, locale.toLanguageTag(), expiresAt);
        } catch (java.io.IOException | org.keycloak.theme.FreeMarkerException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A message as Keycloak's pages show it (its MessageFormat quoting undone), with the marks taken
     * out: a realm's own texts can never hold a place where a per-request value goes.
     */
    private static String text(Properties messages, String key, String fallback, Locale locale) {
        String raw = messages.getProperty(key, fallback);
        String out;
        try {
            out = new java.text.MessageFormat(raw, locale).format(new Object[0]);
        } catch (IllegalArgumentException damaged) {
            out = raw;
        }
        return out.replace(RETRY_MARK, "").replace(ACTION_MARK, "").replace(ROOT_MARK, "");
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
