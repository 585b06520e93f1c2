package io.keycloaksentinel.core.detect;

import io.keycloaksentinel.core.risk.AttackState;
import java.util.Optional;

/**
 * A realm's attack state as the cluster stores it: the state, since when, since when the signals
 * have been calm (0 while they are not), the baseline frozen when the state left NORMAL (so an
 * attack cannot raise its own baseline and end itself), and why.
 */
public record RealmAttackStatus(AttackState state, long sinceMillis, long calmSinceMillis, double frozenBaselinePerMinute,
                                String reason) {

    public static final RealmAttackStatus INITIAL = new RealmAttackStatus(AttackState.NORMAL, 0, 0, -1, "no signal");

    private static final int MAX_REASON = 300;

    public RealmAttackStatus {
        reason = reason == null ? "" : reason.replace('|', '/');
        if (reason.length() > MAX_REASON) {
            reason = reason.substring(0, MAX_REASON);
        }
    }

    /** A compact string, the form stored in the cluster cache (a String needs no marshaller schema). */
    public String encode() {
        return state.name() + "|" + sinceMillis + "|" + calmSinceMillis + "|"
                + Double.toString(frozenBaselinePerMinute) + "|" + reason;
    }

    /** Reads {@link #encode()}'s form; anything else (an older or damaged entry) reads as empty. */
    public static Optional<RealmAttackStatus> decode(String s) {
        if (s == null) {
            return Optional.empty();
        }
        String[] parts = s.split("\\|", 5);
        if (parts.length != 5) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RealmAttackStatus(AttackState.valueOf(parts[0]), Long.parseLong(parts[1]),
                    Long.parseLong(parts[2]), Double.parseDouble(parts[3]), parts[4]));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
