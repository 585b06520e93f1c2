package io.keycloaksentinel.it.harness;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * A fresh realm for one test, built in code: a public OIDC client with the standard flow and
 * PKCE, and the users the test asks for. {@link #close()} deletes it, so tests never see each
 * other's state.
 */
public final class TestRealm implements AutoCloseable {

    public static final String CLIENT_ID = "test-app";
    public static final String REDIRECT_URI = "http://127.0.0.1:1/callback";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final KeycloakServer server;
    private final String name;

    private TestRealm(KeycloakServer server, String name) {
        this.server = server;
        this.name = name;
    }

    public static Builder builder(String prefix) {
        return new Builder(prefix);
    }

    public String name() {
        return name;
    }

    public KeycloakServer server() {
        return server;
    }

    public LoginClient.Result login(String username, String password) {
        return new LoginClient(server.baseUrl()).login(name, CLIENT_ID, REDIRECT_URI, username, password);
    }

    @Override
    public void close() {
        server.admin().deleteRealm(name);
    }

    public static final class Builder {
        private final String prefix;
        private final List<UserRepresentation> users = new ArrayList<>();
        private final List<Consumer<RealmRepresentation>> customizers = new ArrayList<>();
        private RealmRepresentation base = new RealmRepresentation();

        private Builder(String prefix) {
            this.prefix = prefix;
        }

        public Builder user(String username, String password) {
            UserRepresentation user = new UserRepresentation();
            user.setUsername(username);
            user.setEmail(username + "@example.test");
            user.setEmailVerified(true);
            user.setFirstName(username.substring(0, 1).toUpperCase(Locale.ROOT) + username.substring(1));
            user.setLastName("Test");
            user.setEnabled(true);
            CredentialRepresentation credential = new CredentialRepresentation();
            credential.setType(CredentialRepresentation.PASSWORD);
            credential.setValue(password);
            credential.setTemporary(false);
            user.setCredentials(List.of(credential));
            users.add(user);
            return this;
        }

        /** Starts from a realm representation (e.g. a JSON fixture) instead of an empty realm. */
        public Builder from(RealmRepresentation representation) {
            this.base = representation;
            return this;
        }

        public Builder customize(Consumer<RealmRepresentation> customizer) {
            customizers.add(customizer);
            return this;
        }

        public TestRealm create(KeycloakServer server) {
            String name = prefix + "-" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
            RealmRepresentation realm = base;
            realm.setRealm(name);
            realm.setEnabled(true);
            ClientRepresentation client = new ClientRepresentation();
            client.setClientId(CLIENT_ID);
            client.setPublicClient(true);
            client.setStandardFlowEnabled(true);
            client.setDirectAccessGrantsEnabled(false);
            client.setRedirectUris(List.of(REDIRECT_URI));
            client.setAttributes(new java.util.HashMap<>(java.util.Map.of("pkce.code.challenge.method", "S256")));
            List<ClientRepresentation> clients = new ArrayList<>();
            if (realm.getClients() != null) {
                clients.addAll(realm.getClients());
            }
            clients.add(client);
            realm.setClients(clients);
            List<UserRepresentation> allUsers = new ArrayList<>();
            if (realm.getUsers() != null) {
                allUsers.addAll(realm.getUsers());
            }
            allUsers.addAll(users);
            realm.setUsers(allUsers);
            customizers.forEach(c -> c.accept(realm));
            server.admin().createRealm(realm);
            return new TestRealm(server, name);
        }
    }
}
