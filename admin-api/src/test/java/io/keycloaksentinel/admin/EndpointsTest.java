package io.keycloaksentinel.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.services.resources.admin.fgap.RealmPermissionEvaluator;
import org.keycloak.services.resources.admin.fgap.UserPermissionEvaluator;

/**
 * The admin API's routes, read from the resource classes the way JAX-RS reads them (sub-resource
 * locators followed), are exactly those of the single resource class they were split from, each
 * with the same HTTP method and the same permission, checked before anything else is touched.
 */
@DisplayName("The admin API's endpoints and the permission each checks first")
class EndpointsTest {

    /** Every endpoint of the map-based resource, with the permission it checked. */
    private static final Map<String, String> EXPECTED = new TreeMap<>(Map.ofEntries(
            Map.entry("GET /", "view-realm"),
            Map.entry("GET /keys", "view-realm"),
            Map.entry("POST /keys/rotate", "manage-realm"),
            Map.entry("GET /attack", "view-realm"),
            Map.entry("GET /attack/offenders", "view-realm"),
            Map.entry("GET /attack/throttled", "view-realm"),
            Map.entry("POST /attack/lift", "manage-realm"),
            Map.entry("GET /config", "view-realm"),
            Map.entry("PUT /config", "manage-realm"),
            Map.entry("GET /captcha", "view-realm"),
            Map.entry("PUT /captcha", "manage-realm"),
            Map.entry("GET /breached-passwords", "view-realm"),
            Map.entry("PUT /breached-passwords", "manage-realm"),
            Map.entry("GET /breached-passwords/users", "view-users"),
            Map.entry("GET /alerts", "view-realm"),
            Map.entry("PUT /alerts", "manage-realm"),
            Map.entry("GET /mfa", "view-realm"),
            Map.entry("PUT /mfa", "manage-realm"),
            Map.entry("GET /mfa/compliance", "view-users"),
            Map.entry("GET /mfa/users/{userId}", "view-users"),
            Map.entry("POST /mfa/users/{userId}/grace", "manage-users"),
            Map.entry("POST /mfa/flows", "manage-realm"),
            Map.entry("POST /sign-up/flows", "manage-realm"),
            Map.entry("POST /incident/contain", "manage-users"),
            Map.entry("GET /incident/compromised", "view-users"),
            Map.entry("POST /incident/sign-out-realm", "manage-realm"),
            Map.entry("GET /incident/emergency", "view-realm"),
            Map.entry("PUT /incident/emergency", "manage-realm"),
            Map.entry("DELETE /incident/emergency", "manage-realm"),
            Map.entry("GET /incident/containment", "view-realm"),
            Map.entry("PUT /incident/containment", "manage-realm"),
            Map.entry("GET /admin-alerts", "view-realm"),
            Map.entry("PUT /admin-alerts", "manage-realm"),
            Map.entry("GET /users/{userId}/devices", "view-users"),
            Map.entry("DELETE /users/{userId}/devices/{deviceId}", "manage-users")));

    /** An endpoint: the locators that lead to it, then the resource method. */
    record Route(String name, List<Method> chain) {

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Route> routes() {
        List<Route> routes = new ArrayList<>();
        collect(SentinelAdminResource.class, "", List.of(), routes);
        return routes;
    }

    private static void collect(Class<?> resource, String prefix, List<Method> locators, List<Route> into) {
        for (Method m : resource.getDeclaredMethods()) {
            Path path = m.getAnnotation(Path.class);
            String at = path == null || path.value().isEmpty() ? prefix : prefix + "/" + path.value();
            List<Method> chain = new ArrayList<>(locators);
            chain.add(m);
            String verb = verb(m);
            if (verb != null) {
                into.add(new Route(verb + " " + (at.isEmpty() ? "/" : at), chain));
            } else if (path != null) {
                collect(m.getReturnType(), at, chain, into);
            }
        }
    }

    private static String verb(Method m) {
        for (var annotation : List.of(GET.class, PUT.class, POST.class, DELETE.class)) {
            if (m.isAnnotationPresent(annotation)) {
                return annotation.getSimpleName();
            }
        }
        return null;
    }

    @Test
    @DisplayName("The same 31 routes, method and path, as before the split")
    void sameRoutes() {
        assertThat(routes()).extracting(Route::name).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
    }

    @Test
    @DisplayName("Every resource class and every method on a route is public (RESTEasy Reactive answers 405 otherwise)")
    void publicForResteasy() {
        for (Route route : routes()) {
            for (Method m : route.chain()) {
                assertThat(Modifier.isPublic(m.getModifiers())).as("%s in %s", m, route).isTrue();
                assertThat(Modifier.isPublic(m.getDeclaringClass().getModifiers())).as("%s", m.getDeclaringClass()).isTrue();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    @DisplayName("Each endpoint checks its permission first, before it reads the realm or the session")
    void permissionFirst(Route route) throws Exception {
        Object resource = new SentinelAdminResource(untouched(KeycloakSession.class), untouched(RealmModel.class),
                permissions(), null);
        List<Method> chain = route.chain();
        for (Method locator : chain.subList(0, chain.size() - 1)) {
            resource = locator.invoke(resource, arguments(locator));
        }
        Method endpoint = chain.get(chain.size() - 1);
        Object target = resource;
        assertThatThrownBy(() -> {
            try {
                endpoint.invoke(target, arguments(endpoint));
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }).isInstanceOfSatisfying(Denied.class, d -> assertThat(d.permission).isEqualTo(EXPECTED.get(route.name())));
    }

    /** What the permission proxy throws: the permission asked for. */
    static final class Denied extends RuntimeException {

        final String permission;

        Denied(String permission) {
            super(permission);
            this.permission = permission;
        }
    }

    private static AdminPermissionEvaluator permissions() {
        RealmPermissionEvaluator realm = proxy(RealmPermissionEvaluator.class, Map.of(
                "requireViewRealm", "view-realm", "requireManageRealm", "manage-realm"));
        UserPermissionEvaluator users = proxy(UserPermissionEvaluator.class, Map.of(
                "requireView", "view-users", "requireManage", "manage-users"));
        return (AdminPermissionEvaluator) Proxy.newProxyInstance(EndpointsTest.class.getClassLoader(),
                new Class<?>[] {AdminPermissionEvaluator.class}, (p, m, a) -> switch (m.getName()) {
                    case "realm" -> realm;
                    case "users" -> users;
                    default -> throw new AssertionError("asked " + m.getName() + " before a permission check");
                });
    }

    private static <T> T proxy(Class<T> type, Map<String, String> checks) {
        return type.cast(Proxy.newProxyInstance(EndpointsTest.class.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            String permission = checks.get(m.getName());
            throw permission != null ? new Denied(permission) : new AssertionError("asked " + m.getName() + " first");
        }));
    }

    private static <T> T untouched(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(EndpointsTest.class.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
            throw new AssertionError(type.getSimpleName() + "." + m.getName() + " before a permission check");
        }));
    }

    private static Object[] arguments(Method m) {
        Object[] args = new Object[m.getParameterCount()];
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            args[i] = types[i] == boolean.class ? false : types[i] == String.class ? "x" : null;
        }
        return args;
    }
}
