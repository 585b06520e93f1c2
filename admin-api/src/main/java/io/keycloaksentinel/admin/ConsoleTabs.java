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
 * read, so every other way a setting changes refreshes the component before the change commits:
 * Sentinel's REST {@code PUT}s (and so {@code kcadm.sh}), a realm attribute set through the model,
 * a realm created or imported; and at start-up every realm. A realm whose settings are all at their
 * defaults gets no component (the form's defaults are the same). Without the {@code declarative-ui}
 * feature nothing here runs.
 */
final class ConsoleTabs {

    private static final Logger LOG = Logger.getLogger(ConsoleTabs.class);
    private static final String TAB_TYPE = UiTabProvider.class.getName();
    /** Set while Sentinel writes a tab's component itself: the tab's save hook then sends nothing. */
    private static final String REFRESHING = "sentinel.console.refreshing";
    private static final String ENLISTED = "sentinel.console.refresh:";
    private static final String SAVED = "sentinel.console.saved:";

    private ConsoleTabs() {
    }

    /** Refreshes the tabs of every realm at start-up, and of a realm whose Sentinel settings change. */
    static void register(KeycloakSessionFactory factory) {
        factory.register(event -> {
            if (event instanceof RealmModel.RealmAttributeUpdateEvent set && set.getAttributeName() != null
                    && set.getAttributeName().startsWith("sentinel.")) {
                refreshBeforeCommit(set.getKeycloakSession(), set.getRealm());
            } else if (event instanceof RealmModel.RealmPostCreateEvent created) {
                refreshBeforeCommit(created.getKeycloakSession(), created.getCreatedRealm());
            } else if (event instanceof io.keycloaksentinel.core.detect.AttackStateChanged changed && enabled(factory)) {
                refreshAttackState(factory, changed.realmId());
            } else if (event instanceof PostMigrationEvent && enabled(factory)) {
                try {
                    KeycloakModelUtils.runJobInTransaction(factory, session -> session.realms().getRealmsStream()
                            .forEach(realm -> {
                                session.getContext().setRealm(realm);
                                refresh(session, realm);
                            }));
                } catch (RuntimeException e) {
                    LOG.warnf("Sentinel: refreshing the admin console tabs failed (%s); they are refreshed on the next change",
                            e.getClass().getSimpleName());
                }
            }
        });
    }

    /** Refreshes {@code realm}'s tabs once, just before the session's transaction commits. */
    static void refreshBeforeCommit(KeycloakSession session, RealmModel realm) {
        if (!enabled(session.getKeycloakSessionFactory()) || session.getAttribute(ENLISTED + realm.getId()) != null) {
            return;
        }
        session.setAttribute(ENLISTED + realm.getId(), Boolean.TRUE);
        session.getTransactionManager().enlistPrepare(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                refresh(session, realm);
            }

            @Override
            protected void rollbackImpl() {
                // nothing written
            }
        });
    }

    /** Marks a tab as saved from the console in this session: its component is already up to date. */
    static void saved(KeycloakSession session, RealmModel realm, ConsoleTab tab) {
        session.setAttribute(SAVED + realm.getId() + ":" + tab.getId(), Boolean.TRUE);
    }

    /** Whether Sentinel is writing a tab's component (its save hook must send nothing). */
    static boolean refreshing(KeycloakSession session) {
        return session.getAttribute(REFRESHING) != null;
    }

    /** Makes the attack-state tab of the realm show its new state, in a transaction of its own. */
    private static void refreshAttackState(KeycloakSessionFactory factory, String realmId) {
        try {
            KeycloakModelUtils.runJobInTransaction(factory, session -> {
                RealmModel realm = session.realms().getRealm(realmId);
                if (realm != null) {
                    session.getContext().setRealm(realm);
                    refresh(session, realm, tabs(factory).stream().filter(t -> !t.showsSettings()).toList(), true);
                }
            });
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: the admin console's attack-state tab was not refreshed (%s)", e.getClass().getSimpleName());
        }
    }

    /** Makes each settings tab's component show what the REST read shows now. */
    static void refresh(KeycloakSession session, RealmModel realm) {
        refresh(session, realm, tabs(session.getKeycloakSessionFactory()).stream().filter(ConsoleTab::showsSettings).toList(),
                false);
    }

    /** Makes the {@code tabs}' components show what they show now; {@code always}: also when the view is at its defaults. */
    private static void refresh(KeycloakSession session, RealmModel realm, List<ConsoleTab> tabs, boolean always) {
        if (tabs.isEmpty()) {
            return;
        }
        session.setAttribute(REFRESHING, Boolean.TRUE);
        try {
            SentinelAdminResource admin = new SentinelAdminResource(AdminRequest.consoleSave(session, realm));
            for (ConsoleTab tab : tabs) {
                if (session.getAttribute(SAVED + realm.getId() + ":" + tab.getId()) != null) {
                    continue;
                }
                Map<String, String> wanted = form(tab, tab.current(admin));
                ComponentModel existing = realm.getComponentsStream(realm.getId(), TAB_TYPE)
                        .filter(c -> tab.getId().equals(c.getProviderId())).findFirst().orElse(null);
                if (existing != null) {
                    if (!wanted.equals(shown(tab, existing.getConfig()))) {
                        ComponentModel copy = new ComponentModel(existing);
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
        } finally {
            session.removeAttribute(REFRESHING);
        }
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
    private static Map<String, String> shown(ConsoleTab tab, MultivaluedHashMap<String, String> config) {
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
