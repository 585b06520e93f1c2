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

    /**
     * Sets the realm's CAPTCHA mode through the Sentinel admin REST. Tests of throttling and
     * detection turn it to {@code never}: in the default mode ("when risky") a source nearing its
     * threshold is asked for a CAPTCHA before it is throttled, which is what CaptchaIT tests.
     */
    public static void captchaMode(AdminApi admin, String realm, String mode) {
        admin.put("/admin/realms/" + AdminApi.encPath(realm) + "/sentinel-admin/captcha", Map.of("mode", mode))
                .expect(200);
    }

    /**
     * Registration with Sentinel's CAPTCHA: copy "registration", add the Sentinel CAPTCHA form
     * action last in its form sub-flow (REQUIRED), bind the copy as the registration flow, and
     * allow registration.
     */
    public static void useSentinelRegistrationCaptcha(AdminApi admin, String realm) {
        String flow = "sentinel-registration";
        String base = "/admin/realms/" + AdminApi.encPath(realm) + "/authentication";
        admin.post(base + "/flows/registration/copy", Map.of("newName", flow)).expect(201);
        String formAlias = null;
        for (JsonNode e : admin.get(base + "/flows/" + AdminApi.encPath(flow) + "/executions").expect(200).json()) {
            if (e.path("authenticationFlow").asBoolean() && e.path("level").asInt() == 0) {
                formAlias = e.get("displayName").asText();
            }
        }
        if (formAlias == null) {
            throw new AssertionError("No form sub-flow in the registration flow copy");
        }
        String subflow = base + "/flows/" + AdminApi.encPath(formAlias) + "/executions";
        admin.post(subflow + "/execution", Map.of("provider", "sentinel-registration-captcha")).expect(201);
        // last in the sub-flow: Keycloak's excludeOtherErrors drops only the errors of the actions before it
        for (JsonNode e : admin.get(subflow).expect(200).json()) {
            if ("sentinel-registration-captcha".equals(e.path("providerId").asText())) {
                ((ObjectNode) e).put("requirement", "REQUIRED");
                admin.put(subflow, e).expect(204);
            }
        }
        admin.put("/admin/realms/" + AdminApi.encPath(realm), Map.of("registrationFlow", flow, "registrationAllowed", true))
                .expect(204);
    }

    /**
     * Reset credentials with Sentinel's CAPTCHA: copy "reset credentials", put Sentinel's Choose
     * User step in place of Keycloak's, bind the copy, and allow password resets.
     */
    public static void useSentinelResetChooseUser(AdminApi admin, String realm) {
        String flow = "sentinel-reset-credentials";
        String base = "/admin/realms/" + AdminApi.encPath(realm) + "/authentication";
        admin.post(base + "/flows/" + AdminApi.encPath("reset credentials") + "/copy", Map.of("newName", flow)).expect(201);
        String executions = base + "/flows/" + AdminApi.encPath(flow) + "/executions";
        String keycloakStep = null;
        for (JsonNode e : admin.get(executions).expect(200).json()) {
            if ("reset-credentials-choose-user".equals(e.path("providerId").asText())) {
                keycloakStep = e.get("id").asText();
            }
        }
        if (keycloakStep == null) {
            throw new AssertionError("No Choose User step in the reset-credentials flow copy");
        }
        admin.post(executions + "/execution", Map.of("provider", "sentinel-reset-choose-user")).expect(201);
        admin.delete(base + "/executions/" + keycloakStep).expect(204);
        moveToTopRequired(admin, base, executions, "sentinel-reset-choose-user");
        admin.put("/admin/realms/" + AdminApi.encPath(realm), Map.of("resetCredentialsFlow", flow, "resetPasswordAllowed", true))
                .expect(204);
    }

    private static void moveToTopRequired(AdminApi admin, String base, String executions, String provider) {
        for (int i = 0; i < 10; i++) {
            JsonNode ours = null;
            for (JsonNode e : admin.get(executions).expect(200).json()) {
                if (provider.equals(e.path("providerId").asText())) {
                    ours = e;
                }
            }
            if (ours == null) {
                throw new AssertionError(provider + " not in " + executions);
            }
            if (ours.path("index").asInt() == 0) {
                ((ObjectNode) ours).put("requirement", "REQUIRED");
                admin.put(executions, ours).expect(204);
                return;
            }
            admin.post(base + "/executions/" + ours.get("id").asText() + "/raise-priority", Map.of()).expect(204);
        }
        throw new AssertionError("Could not move " + provider + " to the top of " + executions);
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
