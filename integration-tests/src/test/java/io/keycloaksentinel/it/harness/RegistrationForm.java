package io.keycloaksentinel.it.harness;

import java.util.LinkedHashMap;
import java.util.Map;

/** The fields a person fills in on Keycloak's registration form (a mutable copy: tests add or remove fields). */
public final class RegistrationForm {

    public static final String PASSWORD = "Brand-new-pass-7";

    private RegistrationForm() {
    }

    /** Username (left out when null, as on a realm that uses the email as username), email, names, password twice. */
    public static Map<String, String> fields(String username, String email) {
        Map<String, String> f = new LinkedHashMap<>();
        if (username != null) {
            f.put("username", username);
        }
        f.put("email", email);
        f.put("firstName", "New");
        f.put("lastName", "User");
        f.put("password", PASSWORD);
        f.put("password-confirm", PASSWORD);
        return f;
    }
}
