package io.keycloaksentinel.core.captcha;

import java.util.Locale;
import java.util.Optional;

/** When a realm's forms ask for a CAPTCHA (Auth0's "Never / When risky / Always", plus monitoring-only). */
public enum CaptchaMode {
    /** Never shown, never checked. */
    NEVER,
    /** Shown and checked while the attack detector rates the request at or above the realm's minimum risk (default). */
    RISKY,
    /** Shown and checked on every login, registration and reset request. */
    ALWAYS,
    /** Decided as for RISKY, but only counted and logged: no widget, nothing refused. */
    MONITOR;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<CaptchaMode> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        for (CaptchaMode m : values()) {
            if (m.value().equals(value.strip().toLowerCase(Locale.ROOT))) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
