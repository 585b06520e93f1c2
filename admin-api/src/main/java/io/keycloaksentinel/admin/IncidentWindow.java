package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.detect.IncidentLedger;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The time window {@code GET /incident/compromised} looks at: {@code from} and {@code to} (ISO
 * instants; default the last 24 hours up to now), or {@code attack=current}: from the start of the
 * realm's current attack state. At most what Sentinel keeps ({@link IncidentLedger#INCIDENT_RETENTION}),
 * not in the future.
 */
record IncidentWindow(long fromMillis, long toMillis) {

    static final Duration DEFAULT = Duration.ofHours(24);
    /** How far {@code to} may lie ahead of this server's clock (another node's clock may run ahead). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

    /**
     * @param attackSince when the realm's current attack state began; empty when the realm is not
     *                    under attack (asked only for {@code attack=current})
     * @throws IllegalArgumentException with the message the 400 answers
     */
    static IncidentWindow parse(String from, String to, String attack, Supplier<OptionalLong> attackSince, long now) {
        long fromMillis;
        long toMillis;
        try {
            toMillis = to == null ? now : Instant.parse(to).toEpochMilli();
            if ("current".equals(attack)) {
                fromMillis = attackSince.get().orElseThrow(() ->
                        new IllegalArgumentException("the realm is not under attack now; give from and to"));
            } else if (attack != null) {
                throw new IllegalArgumentException("attack must be 'current'");
            } else {
                fromMillis = from == null ? toMillis - DEFAULT.toMillis() : Instant.parse(from).toEpochMilli();
            }
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("from and to must be ISO instants such as 2026-11-23T08:00:00Z", e);
        }
        if (toMillis > now + CLOCK_SKEW.toMillis()) {
            throw new IllegalArgumentException("to is in the future");
        }
        if (fromMillis >= toMillis) {
            throw new IllegalArgumentException("from must be before to");
        }
        if (toMillis - fromMillis > IncidentLedger.INCIDENT_RETENTION.toMillis()) {
            throw new IllegalArgumentException("the window may be at most " + IncidentLedger.INCIDENT_RETENTION.toDays()
                    + " days (what Sentinel keeps)");
        }
        return new IncidentWindow(fromMillis, toMillis);
    }
}
