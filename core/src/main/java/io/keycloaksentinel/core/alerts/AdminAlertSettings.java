package io.keycloaksentinel.core.alerts;

import io.keycloaksentinel.core.SettingsValues;
import io.keycloaksentinel.core.settings.Setting;
import io.keycloaksentinel.core.settings.SettingsTable;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
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
    public static final String EMAILS = "emails", WEBHOOK_URL = "webhookUrl", WEBHOOK_SECRET = "webhookSecret",
            WEBHOOK_FORMAT = "webhookFormat", UPDATE_MINUTES = "updateMinutes", MIN_STATE = "minState";
    public static final String MASK = Setting.MASK;
    public static final int MAX_EMAILS = 20;
    private static final Pattern EMAIL = Pattern.compile("[^@\\s,#]{1,64}@[^@\\s,#]{1,255}");

    /** The declarations this record is read, shown, checked and written from ({@link SettingsTable#write} stores an update). */
    public static final SettingsTable<AdminAlertSettings> TABLE = SettingsTable.of(AdminAlertSettings.class, PREFIX,
            Setting.of(EMAILS, List.class, List.<String>of(), AdminAlertSettings::parseEmails, AdminAlertSettings::checkEmails, l -> l),
            Setting.text(WEBHOOK_URL, null).secret(),
            Setting.text(WEBHOOK_SECRET, null).secret().checkedAlso(s -> {
                if (s.length() < 16 || s.length() > 512) {
                    throw new IllegalArgumentException("must be 16 to 512 characters (or a ${vault.key} reference)");
                }
                return s;
            }),
            Setting.oneOf(WEBHOOK_FORMAT, "json", "json", "slack"),
            Setting.integer(UPDATE_MINUTES, 15, 1, 1440),
            Setting.oneOf(MIN_STATE, "under_attack", "elevated", "under_attack"));
    public static final List<String> KEYS = TABLE.keys();
    public static final AdminAlertSettings DEFAULTS = TABLE.defaults();

    public boolean anyChannel() {
        return !emails.isEmpty() || webhookUrl != null;
    }

    public static AdminAlertSettings read(Function<String, String> attribute) {
        return TABLE.read(TABLE.attributes(attribute));
    }

    public Map<String, Object> toMap() {
        return TABLE.toMap(this);
    }

    /**
     * Validates a partial update (null removes a value); {@code serverHostPort} is this server's
     * own {@code host:port}, which a webhook may not point at.
     */
    public static Map<String, String> validateUpdate(Map<String, Object> update, String serverHostPort) {
        return TABLE.validateUpdate(update, Map.of(WEBHOOK_URL, url -> webhookUrl(url, serverHostPort)));
    }

    @Override
    public String toString() {
        return "AdminAlertSettings" + toMap();
    }

    /** Stored: addresses joined by {@code ##}; one that is not an address is skipped. */
    private static List<String> parseEmails(String stored) {
        return Arrays.stream(stored.split("##")).map(String::strip).filter(e -> EMAIL.matcher(e).matches())
                .limit(MAX_EMAILS).toList();
    }

    /** From the admin: a list of at most {@value #MAX_EMAILS} addresses; none stores nothing. */
    private static String checkEmails(Object json) {
        if (!(json instanceof List<?> l) || l.size() > MAX_EMAILS) {
            throw new IllegalArgumentException("must be a list of at most " + MAX_EMAILS + " addresses");
        }
        List<String> emails = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof String s) || !EMAIL.matcher(s.strip()).matches()) {
                throw new IllegalArgumentException("'" + SettingsValues.shorten(String.valueOf(o)) + "' is not an email address");
            }
            emails.add(s.strip());
        }
        return emails.isEmpty() ? null : String.join("##", emails);
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
        // checked again at every call: a host may resolve elsewhere later
        io.keycloaksentinel.core.net.OutboundPolicy.refusalWhenSaved(v, 2000).ifPresent(why -> {
            throw new IllegalArgumentException(WEBHOOK_URL + " cannot be called: " + why);
        });
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
}
