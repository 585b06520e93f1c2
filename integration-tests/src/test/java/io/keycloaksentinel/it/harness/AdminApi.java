package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.keycloak.representations.idm.RealmRepresentation;

/**
 * A small client for Keycloak's admin REST API, authenticated as the master realm admin.
 * Plain {@link HttpClient} and Jackson with Keycloak's own representation classes: no
 * Keycloak client library between the tests and what the server answers.
 */
public final class AdminApi {

    public static final ObjectMapper JSON = new ObjectMapper()
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A response as the caller saw it: status and body. */
    public record Response(int status, String body) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("Not JSON (status " + status + "): " + body, e);
            }
        }

        public Response expect(int expected) {
            if (status != expected) {
                throw new AssertionError("Expected HTTP " + expected + " but got " + status + ": " + body);
            }
            return this;
        }
    }

    private final URI baseUrl;
    private final String username;
    private final String password;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String token;
    private Instant tokenExpires = Instant.EPOCH;

    public AdminApi(URI baseUrl, String username, String password) {
        this.baseUrl = baseUrl;
        this.username = username;
        this.password = password;
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /** A fresh admin access token (cached while it has more than 20 seconds left). */
    public synchronized String accessToken() {
        if (token == null || Instant.now().isAfter(tokenExpires.minusSeconds(20))) {
            String form = "grant_type=password&client_id=admin-cli&username=" + enc(username) + "&password="
                    + enc(password);
            Response r = send(HttpRequest.newBuilder(baseUrl.resolve("/realms/master/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build());
            r.expect(200);
            JsonNode json = r.json();
            token = json.get("access_token").asText();
            tokenExpires = Instant.now().plusSeconds(json.get("expires_in").asLong());
        }
        return token;
    }

    public Response get(String path) {
        return send(authorized(path).GET().build());
    }

    /** GET without any credentials: what an anonymous caller sees. */
    public Response getAnonymous(String path) {
        return send(HttpRequest.newBuilder(baseUrl.resolve(path)).GET().build());
    }

    public Response post(String path, Object body) {
        return send(authorized(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(toJson(body))).build());
    }

    public Response put(String path, Object body) {
        return send(authorized(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(toJson(body))).build());
    }

    public Response delete(String path) {
        return send(authorized(path).DELETE().build());
    }

    public JsonNode serverInfo() {
        return get("/admin/serverinfo").expect(200).json();
    }

    public void createRealm(RealmRepresentation realm) {
        post("/admin/realms", realm).expect(201);
    }

    public void deleteRealm(String realm) {
        Response r = delete("/admin/realms/" + enc(realm));
        if (r.status() != 204 && r.status() != 404) {
            throw new AssertionError("Cannot delete realm " + realm + ": HTTP " + r.status() + " " + r.body());
        }
    }

    /** The id of a user of {@code realm}, looked up by exact username. */
    public String userId(String realm, String username) {
        JsonNode users = get("/admin/realms/" + enc(realm) + "/users?exact=true&username=" + enc(username))
                .expect(200).json();
        if (users.size() != 1) {
            throw new AssertionError("Expected one user " + username + " in " + realm + ", got " + users);
        }
        return users.get(0).get("id").asText();
    }

    private HttpRequest.Builder authorized(String path) {
        return HttpRequest.newBuilder(baseUrl.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + accessToken())
                .header("Accept", "application/json");
    }

    private Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static String toJson(Object body) {
        try {
            return body instanceof String s ? s : JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A user's known devices as Sentinel's admin API lists them, each as {@code Browser@network}. */
    public java.util.List<String> devices(String realm, String username) {
        JsonNode devices = get("/admin/realms/" + encPath(realm) + "/sentinel-admin/users/" + userId(realm, username)
                + "/devices").expect(200).json().get("devices");
        java.util.List<String> out = new java.util.ArrayList<>();
        devices.forEach(d -> out.add(d.get("browser").asText() + "@" + d.get("network").asText()));
        return out;
    }

    public static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Encodes a path segment (a space is %20 in a path, not '+'). */
    public static String encPath(String s) {
        return enc(s).replace("+", "%20");
    }
}
