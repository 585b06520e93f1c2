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

    KeycloakSession session() {
        return session;
    }

    RealmModel realm() {
        return realm;
    }

    /** To read the realm's state and settings. */
    void requireViewRealm() {
        auth.realm().requireViewRealm();
    }

    /** To change the realm's settings, flows or sessions, or lift a throttle. */
    void requireManageRealm() {
        auth.realm().requireManageRealm();
    }

    /** To read users. */
    void requireViewUsers() {
        auth.users().requireView();
    }

    /** To change users. */
    void requireManageUsers() {
        auth.users().requireManage();
    }

    /** Whether the caller may see users (an answer may then say more about one). */
    boolean canViewUsers() {
        return auth.users().canView();
    }

    /** Records the call as an admin event on {@code type}, with {@code representation} (none if null). */
    void event(OperationType operation, ResourceType type, Object representation) {
        adminEvent.operation(operation).resource(type).resourcePath(session.getContext().getUri())
                .representation(representation).success();
    }

    /** Records the call as an admin event on the realm. */
    void realmEvent(OperationType operation, Object representation) {
        event(operation, ResourceType.REALM, representation);
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
