package io.keycloaksentinel.authenticators.mfa;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.common.util.Time;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.sessions.RootAuthenticationSessionModel;

@DisplayName("The email link's key: this browser's session, unexpired, once")
class EmailLinkFollowTest {

    /** An authentication session of root {@code rootId} with only its notes. */
    private static AuthenticationSessionModel session(String rootId, Map<String, String> notes) {
        RootAuthenticationSessionModel root = (RootAuthenticationSessionModel) Proxy.newProxyInstance(
                EmailLinkFollowTest.class.getClassLoader(), new Class<?>[] {RootAuthenticationSessionModel.class},
                (p, m, a) -> "getId".equals(m.getName()) ? rootId : null);
        return (AuthenticationSessionModel) Proxy.newProxyInstance(EmailLinkFollowTest.class.getClassLoader(),
                new Class<?>[] {AuthenticationSessionModel.class}, (p, m, a) -> switch (m.getName()) {
                    case "getParentSession" -> root;
                    case "getAuthNote" -> notes.get((String) a[0]);
                    case "setAuthNote" -> notes.put((String) a[0], (String) a[1]);
                    case "removeAuthNote" -> notes.remove((String) a[0]);
                    default -> null;
                });
    }

    /** What {@link EmailLinkStepUp#start} keeps, for key {@code key}, made in a session of root {@code rootId}. */
    private static Map<String, String> issued(String rootId, String key) throws Exception {
        Map<String, String> notes = new HashMap<>();
        AuthenticationSessionModel auth = session(rootId, notes);
        java.lang.reflect.Method hash = EmailLinkStepUp.class.getDeclaredMethod("hash", AuthenticationSessionModel.class, String.class);
        hash.setAccessible(true);
        notes.put(EmailLinkStepUp.HASH, (String) hash.invoke(null, auth, key));
        notes.put(EmailLinkStepUp.USER, "user-1");
        notes.put(EmailLinkStepUp.EXPIRES, Long.toString(Time.currentTimeMillis() + EmailLinkStepUp.LIFETIME.toMillis()));
        return notes;
    }

    @AfterEach
    void resetClock() {
        Time.setOffset(0);
    }

    @Test
    @DisplayName("The right key in the same session proves the user, once")
    void once() throws Exception {
        Map<String, String> notes = issued("root-a", "key-1");
        AuthenticationSessionModel auth = session("root-a", notes);
        assertThat(EmailLinkStepUp.follow(auth, "key-1")).isTrue();
        assertThat(EmailLinkStepUp.provedUser(auth)).contains("user-1");
        notes.remove(EmailLinkStepUp.PROVED);
        assertThat(EmailLinkStepUp.follow(auth, "key-1")).as("used").isFalse();
        assertThat(EmailLinkStepUp.provedUser(auth)).isEmpty();
    }

    @Test
    @DisplayName("Another browser's session, a wrong key, an oversize key: nothing, and the link still works")
    void elsewhere() throws Exception {
        Map<String, String> notes = issued("root-a", "key-1");
        assertThat(EmailLinkStepUp.follow(session("root-b", new HashMap<>(notes)), "key-1")).isFalse();
        AuthenticationSessionModel auth = session("root-a", notes);
        assertThat(EmailLinkStepUp.follow(auth, "key-2")).isFalse();
        assertThat(EmailLinkStepUp.follow(auth, "k".repeat(101))).isFalse();
        assertThat(EmailLinkStepUp.follow(auth, null)).isFalse();
        assertThat(EmailLinkStepUp.provedUser(auth)).isEmpty();
        assertThat(EmailLinkStepUp.follow(auth, "key-1")).isTrue();
    }

    @Test
    @DisplayName("After five minutes the key is refused and used up")
    void expires() throws Exception {
        Map<String, String> notes = issued("root-a", "key-1");
        AuthenticationSessionModel auth = session("root-a", notes);
        Time.setOffset((int) EmailLinkStepUp.LIFETIME.toSeconds() + 1);
        assertThat(EmailLinkStepUp.follow(auth, "key-1")).isFalse();
        assertThat(EmailLinkStepUp.provedUser(auth)).isEmpty();
        Time.setOffset(0);
        assertThat(EmailLinkStepUp.follow(auth, "key-1")).as("used up by the late try").isFalse();
    }
}
