package io.keycloaksentinel.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jboss.logging.Logger;
import org.keycloak.common.Profile;
import org.keycloak.common.util.MultivaluedHashMap;
import org.keycloak.component.ComponentModel;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.models.utils.PostMigrationEvent;
import org.keycloak.services.ui.extend.UiTabProvider;

/**
 * Keeps the components behind Sentinel's admin console tabs ({@link ConsoleTab}) showing what is
 * stored. The console's form shows only its component's config, and Keycloak has no hook on a
 * read, so every other way a setting changes refreshes the component once the change has
 * committed, in a transaction of its own: Sentinel's REST {@code PUT}s (and so {@code kcadm.sh}), a
 * realm created or imported; and at start-up every realm. A realm whose settings are all at their
 * defaults gets no component (the form's defaults are the same). Without the {@code declarative-ui}
 * feature nothing here runs.
 */
final class ConsoleTabs {

    private static final Logger LOG = Logger.getLogger(ConsoleTabs.class);
    private static final String TAB_TYPE = UiTabProvider.class.getName();
    /** Set while Sentinel writes a tab's component itself: the tab's save hook then sends nothing. */
    private static final String REFRESHING = "sentinel.console.refreshing";
    private static final String ENLISTED = "sentinel.console.refresh:";

    private ConsoleTabs() {
    }

    /** Refreshes the tabs of every realm at start-up (one transaction a realm), of a realm created or imported, and the attack-state tab on a change of state. */
    static void register(KeycloakSessionFactory factory) {
        factory.register(event -> {
            if (event instanceof RealmModel.RealmPostCreateEvent created) {
                refreshAfterCommit(created.getKeycloakSession(), created.getCreatedRealm());
            } else if (event instanceof io.keycloaksentinel.core.detect.AttackStateChanged changed && enabled(factory)) {
                refreshInOwnTransaction(factory, changed.realmId(), false);
            } else if (event instanceof PostMigrationEvent && enabled(factory)) {
                List<String> realmIds;
                try {
                    realmIds = KeycloakModelUtils.runJobInTransactionWithResult(factory,
                            session -> session.realms().getRealmsStream().map(RealmModel::getId).toList());
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: the admin console tabs were not refreshed at start-up (%s)", e.getClass().getSimpleName());
                    return;
                }
                realmIds.forEach(id -> refreshInOwnTransaction(factory, id, true));
            }
        });
    }

    /**
     * Refreshes {@code realm}'s settings tabs once the session's transaction has committed, in a
     * transaction of their own: a refresh that fails never fails the change that caused it (it is
     * logged, and the next change or start-up refreshes again).
     */
    static void refreshAfterCommit(KeycloakSession session, RealmModel realm) {
        KeycloakSessionFactory factory = session.getKeycloakSessionFactory();
        if (!enabled(factory) || session.getAttribute(ENLISTED + realm.getId()) != null) {
            return;
        }
        session.setAttribute(ENLISTED + realm.getId(), Boolean.TRUE);
        String realmId = realm.getId();
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                refreshInOwnTransaction(factory, realmId, true);
            }

            @Override
            protected void rollbackImpl() {
                // nothing changed
            }
        });
    }

    /** {@code settings}: the settings tabs; otherwise the attack-state tab. Logged, never thrown. */
    private static void refreshInOwnTransaction(KeycloakSessionFactory factory, String realmId, boolean settings) {
        try {
            KeycloakModelUtils.runJobInTransaction(factory, session -> {
                RealmModel realm = session.realms().getRealm(realmId);
                if (realm != null) {
                    session.getContext().setRealm(realm);
                    refresh(session, realm, tabs(factory).stream().filter(t -> t.showsSettings() == settings).toList(),
                            !settings);
                }
            });
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the admin console tabs of realm %s were not refreshed (%s)", realmId,
                    e.getClass().getSimpleName());
        }
    }

    /** Whether Sentinel is writing a tab's component (its save hook must send nothing). */
    static boolean refreshing(KeycloakSession session) {
        return session.getAttribute(REFRESHING) != null;
    }

    /**
     * Whether the component being validated comes from an admin's POST or PUT on Keycloak's components
     * endpoint (the console's save); not from a realm import, a start-up or any other caller.
     */
    static boolean fromComponentsEndpoint(KeycloakSession session) {
        try {
            org.keycloak.http.HttpRequest request = session.getContext().getHttpRequest();
            if (request == null) {
                return false;
            }
            String method = request.getHttpMethod();
            String path = request.getUri().getPath();
            return ("POST".equals(method) || "PUT".equals(method)) && path != null
                    && COMPONENTS_PATH.matcher(path).matches();
        } catch (RuntimeException noRequest) {
            return false;
        }
    }

    private static final java.util.regex.Pattern COMPONENTS_PATH =
            java.util.regex.Pattern.compile(".*/admin/realms/[^/]+/components(/[^/]+)?/?");

    /**
     * Makes the {@code tabs}' components show what they show now, one tab at a time (a tab that fails
     * is logged and left as it was); {@code always}: also when the view is at its defaults. A tab
     * with more than one component (two saves at once) keeps the first.
     */
    private static void refresh(KeycloakSession session, RealmModel realm, List<ConsoleTab> tabs, boolean always) {
        if (tabs.isEmpty()) {
            return;
        }
        session.setAttribute(REFRESHING, Boolean.TRUE);
        try {
            SentinelAdminResource admin = new SentinelAdminResource(AdminRequest.consoleSave(session, realm));
            for (ConsoleTab tab : tabs) {
                try {
                    refresh(realm, admin, tab, always);
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: the admin console tab %s of realm %s was not refreshed (%s)", tab.getId(),
                            realm.getName(), e.getClass().getSimpleName());
                }
            }
        } finally {
            session.removeAttribute(REFRESHING);
        }
    }

    private static void refresh(RealmModel realm, SentinelAdminResource admin, ConsoleTab tab, boolean always) {
        Map<String, String> wanted = form(tab, tab.current(admin));
        List<ComponentModel> existing = components(realm, tab);
        if (!existing.isEmpty()) {
            existing.stream().skip(1).forEach(realm::removeComponent);
            ComponentModel first = existing.get(0);
            if (!wanted.equals(shown(tab, first.getConfig()))) {
                ComponentModel copy = new ComponentModel(first);
                copy.setConfig(config(wanted));
                realm.updateComponent(copy);
            }
        } else if (always || !wanted.equals(form(tab, tab.defaults()))) {
            ComponentModel created = new ComponentModel();
            created.setName(tab.getId());
            created.setParentId(realm.getId());
            created.setProviderType(TAB_TYPE);
            created.setProviderId(tab.getId());
            created.setConfig(config(wanted));
            realm.addComponentModel(created);
        }
    }

    /** The realm's components of {@code tab}, the oldest id first (ids are random: any fixed order does). */
    private static List<ComponentModel> components(RealmModel realm, ConsoleTab tab) {
        return realm.getComponentsStream(realm.getId(), TAB_TYPE).filter(c -> tab.getId().equals(c.getProviderId()))
                .sorted(java.util.Comparator.comparing(ComponentModel::getId)).toList();
    }

    /**
     * What the form showed before this save: the stored component's fields (Keycloak has not written
     * the new ones yet when it validates), or the defaults when there is none yet.
     */
    static Map<String, String> shownBefore(ConsoleTab tab, RealmModel realm, ComponentModel model) {
        ComponentModel stored = model.getId() == null ? null : realm.getComponent(model.getId());
        return stored == null ? form(tab, tab.defaults()) : shown(tab, stored.getConfig());
    }

    /** The form's fields for the settings as the REST read shows them: lists one entry a line, secrets as the mask. */
    static Map<String, String> form(ConsoleTab tab, Map<String, Object> shown) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ConsoleTab.Field f : tab.fields()) {
            Object v = shown.get(f.key());
            if (v instanceof List<?> list) {
                if (!list.isEmpty()) {
                    out.put(f.key(), String.join("\n", list.stream().map(String::valueOf).toList()));
                }
            } else if (v != null) {
                out.put(f.key(), String.valueOf(v));
            }
        }
        return out;
    }

    /** What a component's config holds of the tab's fields. */
    static Map<String, String> shown(ConsoleTab tab, MultivaluedHashMap<String, String> config) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ConsoleTab.Field f : tab.fields()) {
            String v = config == null ? null : config.getFirst(f.key());
            if (v != null) {
                out.put(f.key(), v);
            }
        }
        if (config != null && config.keySet().stream().anyMatch(k -> !out.containsKey(k))) {
            out.put("", "other keys"); // never equal to a form: the component is rewritten without them
        }
        return out;
    }

    static MultivaluedHashMap<String, String> config(Map<String, String> form) {
        MultivaluedHashMap<String, String> config = new MultivaluedHashMap<>();
        form.forEach(config::putSingle);
        return config;
    }

    /**
     * {@code message} as MessageFormat text that prints it as it is: Keycloak formats a component's
     * validation message, where a quote or a brace (a {@code ${vault.key}}) would be eaten.
     */
    static String literal(String message) {
        return "'" + Objects.toString(message, "").replace("'", "''") + "'";
    }

    /**
     * Refuses a tab's component while the feature is off: Keycloak 26.7 still lists the tab types
     * then, but nothing would keep such a component up to date (Sentinel's REST API is the way).
     */
    static void requireFeature() {
        if (!Profile.isFeatureEnabled(Profile.Feature.DECLARATIVE_UI)) {
            throw new org.keycloak.component.ComponentValidationException(literal("Sentinel's admin console tabs need"
                    + " Keycloak's declarative-ui feature; without it, use Sentinel's admin REST API"));
        }
    }

    private static boolean enabled(KeycloakSessionFactory factory) {
        return Profile.isFeatureEnabled(Profile.Feature.DECLARATIVE_UI) && !tabs(factory).isEmpty();
    }

    private static List<ConsoleTab> tabs(KeycloakSessionFactory factory) {
        if (!Profile.isFeatureEnabled(Profile.Feature.DECLARATIVE_UI)) {
            return List.of();
        }
        return factory.getProviderFactoriesStream(UiTabProvider.class).filter(ConsoleTab.class::isInstance)
                .map(ConsoleTab.class::cast).toList();
    }
}
