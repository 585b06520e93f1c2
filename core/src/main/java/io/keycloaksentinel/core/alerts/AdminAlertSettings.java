package io.keycloaksentinel.core.alerts;

import io.keycloaksentinel.core.SettingsValues;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Where a realm's attack alerts go: the admins' email addresses and a webhook (JSON, or Slack's
 * {@code {"text": ...}}), signed with an HMAC of a secret the admin set; how often an attack in
 * progress is updated; from which state on an attack counts. Stored as realm attributes
 * {@code sentinel.adminAlerts.<key>}; the secret may be a vault reference ({@code ${vault.key}}),
 * is write-only in the admin API and never logged.
 */
public record AdminAlertSettings(List<String> emails, String webhookUrl, String webhookSecret, String webhookFormat,
                                 int updateMinutes, String minState) {

    public static final String PREFIX = "sentinel.adminAlerts.";
    public static final String EMAILS = "emails";
    public static final String WEBHOOK_URL = "webhookUrl";
    public static final String WEBHOOK_SECRET = "webhookSecret";
    public static final String WEBHOOK_FORMAT = "webhookFormat";
    public static final String UPDATE_MINUTES = "updateMinutes";
    public static final String MIN_STATE = "minState";
    public static final List<String> KEYS = List.of(EMAILS, WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_FORMAT, UPDATE_MINUTES,
            MIN_STATE);
    public static final String MASK = "**********";
    public static final int MAX_EMAILS = 20;
    private static final Pattern EMAIL = Pattern.compile("[^@\\s,#]{1,64}@[^@\\s,#]{1,255}");

    public static final AdminAlertSettings DEFAULTS = new AdminAlertSettings(List.of(), null, null, "json", 15, "under_attack");

    public boolean anyChannel() {
        return !emails.isEmpty() || webhookUrl != null;
    }

    public static AdminAlertSettings read(Function<String, String> attribute) {
        Function<String, String> v = key -> attribute.apply(PREFIX + key);
        String emails = v.apply(EMAILS);
        List<String> list = new ArrayList<>();
        if (emails != null) {
            for (String e : emails.split("##")) {
                if (EMAIL.matcher(e.strip()).matches() && list.size() < MAX_EMAILS) {
                    list.add(e.strip());
                }
            }
        }
        String url = v.apply(WEBHOOK_URL);
        String format = v.apply(WEBHOOK_FORMAT);
        String min = v.apply(MIN_STATE);
        return new AdminAlertSettings(List.copyOf(list), url == null || url.isBlank() ? null : url.strip(),
                v.apply(WEBHOOK_SECRET), "slack".equals(format) ? "slack" : "json",
                (int) SettingsValues.stored(v.apply(UPDATE_MINUTES), 1, 1440, DEFAULTS.updateMinutes()),
                "elevated".equals(min) ? "elevated" : "under_attack");
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(EMAILS, emails);
        m.put(WEBHOOK_URL, webhookUrl);
        m.put(WEBHOOK_SECRET, webhookSecret == null ? null : MASK);
        m.put(WEBHOOK_FORMAT, webhookFormat);
        m.put(UPDATE_MINUTES, updateMinutes);
        m.put(MIN_STATE, minState);
        return m;
    }

    /**
     * Validates a partial update (null removes a value); {@code serverHostPort} is this server's
     * own {@code host:port}, which a webhook may not point at.
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update, String serverHostPort) {
        SettingsValues.checkKeys(update, KEYS);
        Map<String, String> out = new LinkedHashMap<>();
        update.forEach((key, value) -> {
            if (value == null) {
                out.put(key, null);
                return;
            }
            switch (key) {
                case EMAILS -> {
                    if (!(value instanceof List<?> l) || l.size() > MAX_EMAILS) {
                        throw new IllegalArgumentException(EMAILS + " must be a list of at most " + MAX_EMAILS + " addresses");
                    }
                    List<String> emails = new ArrayList<>();
                    for (Object o : l) {
                        if (!(o instanceof String s) || !EMAIL.matcher(s.strip()).matches()) {
                            throw new IllegalArgumentException(EMAILS + ": '" + shorten(String.valueOf(o)) + "' is not an email address");
                        }
                        emails.add(s.strip());
                    }
                    out.put(key, emails.isEmpty() ? null : String.join("##", emails));
                }
                case WEBHOOK_URL -> out.put(key, webhookUrl(text(key, value), serverHostPort));
                case WEBHOOK_SECRET -> {
                    String s = text(key, value);
                    if (s.equals(MASK)) {
                        return; // the masked value read back: unchanged
                    }
                    if (s.length() < 16 || s.length() > 512) {
                        throw new IllegalArgumentException(WEBHOOK_SECRET + " must be 16 to 512 characters (or a ${vault.key} reference)");
                    }
                    out.put(key, s);
                }
                case WEBHOOK_FORMAT -> {
                    String f = text(key, value).toLowerCase(Locale.ROOT);
                    if (!f.equals("json") && !f.equals("slack")) {
                        throw new IllegalArgumentException(WEBHOOK_FORMAT + " must be json or slack");
                    }
                    out.put(key, f);
                }
                case UPDATE_MINUTES -> out.put(key, Long.toString(SettingsValues.integer(key, value, 1, 1440)));
                case MIN_STATE -> {
                    String s = text(key, value).toLowerCase(Locale.ROOT);
                    if (!s.equals("elevated") && !s.equals("under_attack")) {
                        throw new IllegalArgumentException(MIN_STATE + " must be elevated or under_attack");
                    }
                    out.put(key, s);
                }
                default -> throw new IllegalStateException(key);
            }
        });
        return out;
    }

    /** An http(s) URL with a host, no user info, not this server itself. */
    static String webhookUrl(String v, String serverHostPort) {
        URI uri;
        try {
            uri = URI.create(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(WEBHOOK_URL + " is not a URL");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getUserInfo() != null || v.length() > 2048) {
            throw new IllegalArgumentException(WEBHOOK_URL + " must be an http or https URL with a host (no user info)");
        }
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        String target = uri.getHost().toLowerCase(Locale.ROOT) + ":" + port;
        if (serverHostPort != null && isSelf(target, serverHostPort.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(WEBHOOK_URL + " points at this Keycloak server itself");
        }
        return v;
    }

    private static boolean isSelf(String target, String server) {
        if (target.equals(server)) {
            return true;
        }
        List<String> loopback = Arrays.asList("localhost", "127.0.0.1", "[::1]", "::1");
        String[] t = target.split(":(?=[0-9]+$)");
        String[] s = server.split(":(?=[0-9]+$)");
        return t.length == 2 && s.length == 2 && t[1].equals(s[1]) && loopback.contains(t[0]) && loopback.contains(s[0]);
    }

    private static String text(String key, Object value) {
        if (!(value instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(key + " must be a non-empty string");
        }
        return s.strip();
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
