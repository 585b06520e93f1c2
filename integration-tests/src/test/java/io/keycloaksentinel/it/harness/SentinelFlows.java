package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Sets a test realm's browser flow the way an admin would in the console: copy "browser", put
 * the Sentinel Username Password Form where Keycloak's form was (first in the forms sub-flow,
 * REQUIRED), remove Keycloak's form, bind the copy as the browser flow.
 */
public final class SentinelFlows {

    public static final String FLOW = "sentinel-browser";

    private SentinelFlows() {
    }

    public static void useSentinelLoginForm(AdminApi admin, String realm) {
        String base = "/admin/realms/" + AdminApi.encPath(realm) + "/authentication";
        admin.post(base + "/flows/browser/copy", Map.of("newName", FLOW)).expect(201);

        JsonNode executions = admin.get(base + "/flows/" + AdminApi.encPath(FLOW) + "/executions").expect(200).json();
        String formsAlias = null;
        String keycloakFormId = null;
        for (JsonNode e : executions) {
            if (e.path("authenticationFlow").asBoolean() && e.path("level").asInt() == 0) {
                formsAlias = e.get("displayName").asText();
            }
            if ("auth-username-password-form".equals(e.path("providerId").asText())) {
                keycloakFormId = e.get("id").asText();
                break;
            }
        }
        if (formsAlias == null || keycloakFormId == null) {
            throw new AssertionError("No forms sub-flow with Keycloak's form in " + executions);
        }
        String subflow = base + "/flows/" + AdminApi.encPath(formsAlias) + "/executions";
        admin.post(subflow + "/execution", Map.of("provider", "sentinel-login-form")).expect(201);
        admin.delete(base + "/executions/" + keycloakFormId).expect(204);

        // the new execution went last in the sub-flow: raise it to the top, then make it REQUIRED
        for (int i = 0; i < 10; i++) {
            JsonNode ours = find(admin.get(subflow).expect(200).json());
            if (ours.path("index").asInt() == 0) {
                ObjectNode update = (ObjectNode) ours;
                update.put("requirement", "REQUIRED");
                admin.put(subflow, update).expect(204);
                admin.put("/admin/realms/" + AdminApi.encPath(realm), Map.of("browserFlow", FLOW)).expect(204);
                return;
            }
            admin.post(base + "/executions/" + ours.get("id").asText() + "/raise-priority", Map.of()).expect(204);
        }
        throw new AssertionError("Could not move the Sentinel form to the top of " + formsAlias);
    }

    private static JsonNode find(JsonNode executions) {
        for (JsonNode e : executions) {
            if ("sentinel-login-form".equals(e.path("providerId").asText())) {
                return e;
            }
        }
        throw new AssertionError("sentinel-login-form not in " + executions);
    }
}
