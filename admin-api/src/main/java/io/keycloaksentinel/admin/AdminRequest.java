package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import jakarta.ws.rs.core.Response;
import java.util.function.Function;
import org.keycloak.events.admin.OperationType;
import org.keycloak.events.admin.ResourceType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

/**
 * One admin call as every sub-resource sees it: the realm, the session, the one place that checks
 * the caller's permissions (each endpoint names the permission it needs; a missing one is
 * Keycloak's 403), and the admin event a change records.
 */
final class AdminRequest {

    /** The most entries a list call answers (or a {@code limit} or {@code max} may ask). */
    static final int MAX_LIST = 1000;
    /** The longest user id looked up; a longer one is no user. */
    private static final int MAX_USER_ID = 64;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;
    private final AdminEventBuilder adminEvent;

    AdminRequest(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth, AdminEventBuilder adminEvent) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
        this.adminEvent = adminEvent;
    }

    /**
     * A settings save from one of Sentinel's admin console tabs. Keycloak's components endpoint has
     * already required manage-realm of the admin (and records the admin event, secrets stripped), so
     * viewing and managing the realm pass here; anything else (users) is refused, since a console
     * tab never needs it and must not get more than the REST API would give.
     */
    static AdminRequest consoleSave(KeycloakSession session, RealmModel realm) {
        return new AdminRequest(session, realm, null, null);
    }

    private boolean fromConsole() {
        return auth == null;
    }

    KeycloakSession session() {
        return session;
    }

    RealmModel realm() {
        return realm;
    }

    /** To read the realm's state and settings. */
    void requireViewRealm() {
        if (fromConsole()) {
            return;
        }
        auth.realm().requireViewRealm();
    }

    /** To change the realm's settings, flows or sessions, or lift a throttle. */
    void requireManageRealm() {
        if (fromConsole()) {
            return;
        }
        auth.realm().requireManageRealm();
    }

    /** To read users. */
    void requireViewUsers() {
        refuseFromConsole();
        auth.users().requireView();
    }

    /** To change users. */
    void requireManageUsers() {
        refuseFromConsole();
        auth.users().requireManage();
    }

    /** Whether the caller may see users (an answer may then say more about one). */
    boolean canViewUsers() {
        return !fromConsole() && auth.users().canView();
    }

    /** Records the call as an admin event on {@code type}, with {@code representation} (none if null). */
    void event(OperationType operation, ResourceType type, Object representation) {
        if (fromConsole()) {
            return; // Keycloak records the component's admin event
        }
        adminEvent.operation(operation).resource(type).resourcePath(session.getContext().getUri())
                .representation(representation).success();
    }

    /** Records the call as an admin event on the realm. */
    void realmEvent(OperationType operation, Object representation) {
        event(operation, ResourceType.REALM, representation);
    }

    private void refuseFromConsole() {
        if (fromConsole()) {
            throw new jakarta.ws.rs.ForbiddenException("not from an admin console tab");
        }
    }

    /** The realm's user of that id; null when there is none (or the id cannot be one). */
    UserModel user(String userId) {
        if (userId == null || userId.length() > MAX_USER_ID) {
            return null;
        }
        return session.users().getUserById(realm, userId);
    }

    /** {@code then}'s answer for the realm's user of that id; 404 "no such user" when there is none. */
    Response withUser(String userId, Function<UserModel, Response> then) {
        UserModel user = user(userId);
        return user == null ? Answers.notFound("no such user") : then.apply(user);
    }

    /** The attack detector; null when its provider is not deployed. */
    AttackDetector detector() {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        return detection == null ? null : detection.detector();
    }
}
