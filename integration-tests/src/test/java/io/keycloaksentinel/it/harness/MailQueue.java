package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * Sentinel's mail queue on one server, as an admin sees it in {@code /admin/serverinfo}
 * ({@code mailsPending} of core's {@code sentinel-mail-queue} provider): mails queued at
 * a request's commit and not yet sent. A test's sync point: once a request has answered, every
 * mail it queued has been handed to the SMTP server when the queue is empty again.
 */
public final class MailQueue {

    private static final String POINTER = "/providers/sentinel-mail/providers/sentinel-mail-queue/operationalInfo/mailsPending";

    private MailQueue() {
    }

    /** Mails waiting or being retried on {@code server} now. */
    public static int pending(KeycloakServer server) {
        JsonNode pending = server.admin().serverInfo().at(POINTER);
        if (pending.isMissingNode()) {
            throw new AssertionError("No " + POINTER + " in /admin/serverinfo of " + server.describe());
        }
        return Integer.parseInt(pending.asText());
    }

    /** Waits (bounded) until {@code server} has no mail waiting. */
    public static void awaitDrained(KeycloakServer server, Duration within) {
        Poll.until("an empty mail queue on " + server.describe(), within, () -> pending(server) == 0 ? Boolean.TRUE : null);
    }
}
