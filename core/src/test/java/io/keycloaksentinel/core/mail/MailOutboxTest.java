package io.keycloaksentinel.core.mail;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

@DisplayName("The mail queue: a flood of visitor-asked mails in one realm leaves the other realms their share")
class MailOutboxTest {

    /** A visitor-asked mail that waits an hour before its first attempt: it stays pending for the whole test. */
    private record Waiting(String realmId) implements MailOutbox.Delivery {
        @Override
        public String kind() {
            return "password_reset";
        }

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) {
            throw new AssertionError("not sent in this test");
        }

        @Override
        public boolean onRequest() {
            return true;
        }

        @Override
        public Duration delay() {
            return Duration.ofHours(1);
        }
    }

    @Test
    @DisplayName("One realm's flood fills its share only; another realm's reset and sign-up mails are still queued")
    void perRealmShare() {
        MailOutbox outbox = new MailOutbox(null);
        try {
            for (int i = 0; i < 3 * MailOutbox.MAX_PENDING_ON_REQUEST; i++) {
                outbox.offer(new Waiting("flooded"));
            }
            assertThat(outbox.pendingOnRequest("flooded")).isEqualTo(MailOutbox.MAX_PENDING_ON_REQUEST_PER_REALM);
            for (int i = 0; i < 10; i++) {
                outbox.offer(new Waiting("quiet"));
            }
            assertThat(outbox.pendingOnRequest("quiet")).isEqualTo(10);
            assertThat(outbox.pending()).isEqualTo(MailOutbox.MAX_PENDING_ON_REQUEST_PER_REALM + 10);
        } finally {
            outbox.close();
        }
    }

    @Test
    @DisplayName("Many flooded realms together still stop at the visitors' half of the queue, leaving room for alerts")
    void visitorsHalf() {
        MailOutbox outbox = new MailOutbox(null);
        try {
            for (int realm = 0; realm < 10; realm++) {
                for (int i = 0; i < MailOutbox.MAX_PENDING_ON_REQUEST_PER_REALM + 5; i++) {
                    outbox.offer(new Waiting("realm-" + realm));
                }
            }
            assertThat(outbox.pending()).isEqualTo(MailOutbox.MAX_PENDING_ON_REQUEST);
            int sum = 0;
            for (int realm = 0; realm < 10; realm++) {
                sum += outbox.pendingOnRequest("realm-" + realm);
            }
            assertThat(sum).isEqualTo(MailOutbox.MAX_PENDING_ON_REQUEST);
        } finally {
            outbox.close();
        }
    }
}
