package io.keycloaksentinel.admin;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a containment request ({@code POST /incident/contain}) asks, validated: which accounts
 * (at most {@value #MAX_USERS} ids), and which actions (sign out and require a new password unless
 * turned off; remove the password and notify the owner when asked), for real or as a dry run.
 */
record Containment(List<String> userIds, boolean signOut, boolean requirePasswordReset, boolean disablePassword,
                   boolean notifyUsers, boolean dryRun) {

    static final int MAX_USERS = 1000;
    static final List<String> KEYS = List.of("userIds", "signOut", "requirePasswordReset", "disablePassword", "notify",
            "dryRun");

    /**
     * The request body, validated.
     *
     * @throws IllegalArgumentException with the message the 400 answers
     */
    static Containment parse(Map<String, Object> body) {
        if (body == null || body.isEmpty()) {
            throw new IllegalArgumentException("the body must be a JSON object with userIds and the actions to take");
        }
        for (String key : body.keySet()) {
            if (!KEYS.contains(key)) {
                String shown = key.length() > 40 ? key.substring(0, 40) + "..." : key;
                throw new IllegalArgumentException("unknown field '" + shown + "'; known: " + KEYS);
            }
        }
        if (!(body.get("userIds") instanceof List<?> ids) || ids.isEmpty()) {
            throw new IllegalArgumentException("userIds must be a non-empty list of user ids");
        }
        if (ids.size() > MAX_USERS) {
            throw new IllegalArgumentException("userIds may hold at most " + MAX_USERS + " ids; split the list");
        }
        Set<String> unique = new LinkedHashSet<>();
        for (Object id : ids) {
            if (!(id instanceof String s) || s.isBlank() || s.length() > 64) {
                throw new IllegalArgumentException("userIds must hold user ids (strings of at most 64 characters)");
            }
            unique.add(s);
        }
        boolean signOut = flag(body, "signOut", true);
        boolean reset = flag(body, "requirePasswordReset", true);
        boolean disable = flag(body, "disablePassword", false);
        if (!signOut && !reset && !disable) {
            throw new IllegalArgumentException("no action: set signOut, requirePasswordReset or disablePassword");
        }
        return new Containment(List.copyOf(unique), signOut, reset, disable, flag(body, "notify", false),
                flag(body, "dryRun", false));
    }

    private static boolean flag(Map<String, Object> body, String key, boolean fallback) {
        Object v = body.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(key + " must be true or false");
        }
        return b;
    }
}
