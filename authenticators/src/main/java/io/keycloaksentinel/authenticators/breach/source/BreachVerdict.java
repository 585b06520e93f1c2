package io.keycloaksentinel.authenticators.breach.source;

import io.keycloaksentinel.core.breach.BreachSettings.Source;

/**
 * What the breach check found for one password.
 *
 * @param outcome BREACHED: a source lists it; CLEAN: every enabled source answered and none lists
 *                it; UNKNOWN: none lists it but an enabled source could not answer
 * @param source  the source that listed it (BREACHED), the one that failed (UNKNOWN), else null
 * @param count   how often the source saw it, when it says (the API); -1 when it does not say
 * @param detail  for the log: why a source could not answer (never the password or its hash)
 */
public record BreachVerdict(Outcome outcome, Source source, long count, String detail) {

    public enum Outcome { BREACHED, CLEAN, UNKNOWN }

    static BreachVerdict breached(Source source, long count) {
        return new BreachVerdict(Outcome.BREACHED, source, count, null);
    }

    static final BreachVerdict CLEAN = new BreachVerdict(Outcome.CLEAN, null, 0, null);

    static BreachVerdict unknown(Source source, String detail) {
        return new BreachVerdict(Outcome.UNKNOWN, source, -1, detail);
    }

    public boolean breached() {
        return outcome == Outcome.BREACHED;
    }
}
