package io.keycloaksentinel.admin;

import io.keycloaksentinel.core.SentinelVersion;
import jakarta.ws.rs.core.Response;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.keycloak.Config;
import org.keycloak.common.util.MultivaluedHashMap;
import org.keycloak.component.ComponentModel;
import org.keycloak.component.ComponentValidationException;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ServerInfoAwareProviderFactory;
import org.keycloak.services.ui.extend.UiTabProvider;
import org.keycloak.services.ui.extend.UiTabProviderFactory;

/**
 * One of Sentinel's tabs in the admin console's realm settings ({@code #/{realm}/realm-settings/<id>}):
 * a capability's settings as a form, through Keycloak's declarative UI (feature {@code declarative-ui}).
 *
 * <p>The console stores a tab's form as a component of the realm. Sentinel keeps its settings where
 * the REST API keeps them (realm attributes, the secrets component), and the tab's component is a
 * copy for the form to show:
 * <ul>
 *   <li>a save from the tab goes through the capability's REST {@code PUT} ({@link SettingsEndpoint}):
 *       same checks, same messages (a refusal is the console's error toast, nothing saved), same
 *       store; the component then keeps what the REST read shows (secrets as the mask), never a
 *       secret;</li>
 *   <li>a change through the REST API, {@code kcadm.sh} or a realm attribute refreshes the component
 *       before the change commits ({@link ConsoleTabs}).</li>
 * </ul>
 */
public abstract class ConsoleTab implements UiTabProviderFactory<UiTabProvider>, ServerInfoAwareProviderFactory {

    /** How a form field is turned into the JSON value the REST {@code PUT} takes. */
    enum Kind {
        /** a switch: true or false */
        FLAG(ProviderConfigProperty.BOOLEAN_TYPE),
        /** a whole number */
        WHOLE(ProviderConfigProperty.STRING_TYPE),
        /** a number */
        DECIMAL(ProviderConfigProperty.STRING_TYPE),
        /** a line of text */
        TEXT(ProviderConfigProperty.STRING_TYPE),
        /** one of a few values */
        CHOICE(ProviderConfigProperty.LIST_TYPE),
        /** a list, one entry a line */
        LINES(ProviderConfigProperty.TEXT_TYPE),
        /** a secret: shown masked; left as it is, the stored secret stays */
        SECRET(ProviderConfigProperty.PASSWORD);

        final String type;

        Kind(String type) {
            this.type = type;
        }
    }

    /** One field of the form: a setting's key, label, help and the values a choice offers. */
    record Field(String key, Kind kind, String label, String help, Supplier<List<String>> options) {
    }

    private final String id;
    private final String help;
    private final List<Field> fields;
    private final java.util.function.Function<SentinelAdminResource, SettingsEndpoint> endpoint;
    private final Supplier<Map<String, Object>> defaults;
    private KeycloakSessionFactory factory;

    /**
     * @param endpoint the capability's REST settings endpoint, which a save goes through
     * @param defaults every setting at its default, as the REST read shows them
     */
    ConsoleTab(String id, String help, java.util.function.Function<SentinelAdminResource, SettingsEndpoint> endpoint,
               Supplier<Map<String, Object>> defaults, Field... fields) {
        this.id = id;
        this.help = help;
        this.endpoint = endpoint;
        this.defaults = defaults;
        this.fields = List.of(fields);
    }

    static Field flag(String key, String label, String help) {
        return new Field(key, Kind.FLAG, label, help, List::of);
    }

    static Field whole(String key, String label, String help) {
        return new Field(key, Kind.WHOLE, label, help, List::of);
    }

    static Field decimal(String key, String label, String help) {
        return new Field(key, Kind.DECIMAL, label, help, List::of);
    }

    static Field text(String key, String label, String help) {
        return new Field(key, Kind.TEXT, label, help, List::of);
    }

    static Field choice(String key, String label, String help, String... options) {
        List<String> list = List.of(options);
        return new Field(key, Kind.CHOICE, label, help, () -> list);
    }

    static Field lines(String key, String label, String help) {
        return new Field(key, Kind.LINES, label, help, List::of);
    }

    static Field secret(String key, String label, String help) {
        return new Field(key, Kind.SECRET, label, help + " Shown masked; leave it as it is to keep the stored value"
                + " (removing one: the REST API, a null).", List::of);
    }

    /** The capability's REST settings endpoint, for a save from this tab. */
    SettingsEndpoint endpoint(SentinelAdminResource admin) {
        return endpoint.apply(admin);
    }

    /** What the tab shows now, as the REST read answers it. */
    Map<String, Object> current(SentinelAdminResource admin) {
        return endpoint(admin).get();
    }

    /** Whether the tab shows settings, refreshed whenever a setting changes (not a read-only view). */
    boolean showsSettings() {
        return true;
    }

    /**
     * Whether the endpoint's {@code PUT} replaces every setting (one left out takes its default), as
     * detection's does; otherwise it is a partial update, where a null restores the default.
     */
    boolean replacesAll() {
        return false;
    }

    /** Every setting at its default, as the REST read shows them. */
    Map<String, Object> defaults() {
        return defaults.get();
    }

    /** The server's factories: for choices that depend on what is installed. */
    KeycloakSessionFactory sessionFactory() {
        return factory;
    }

    List<Field> fields() {
        return fields;
    }

    @Override
    public String getId() {
        return id;
    }

    /** Where the console shows the tab: the realm settings, at {@code #/{realm}/realm-settings/<id>}. */
    @Override
    public String getPath() {
        return "/:realm/realm-settings/:tab?";
    }

    @Override
    public Map<String, String> getParams() {
        return Map.of("tab", id);
    }

    @Override
    public String getHelpText() {
        return help;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        Map<String, String> defaults = ConsoleTabs.form(this, defaults());
        List<ProviderConfigProperty> out = new ArrayList<>();
        for (Field f : fields) {
            ProviderConfigProperty p = new ProviderConfigProperty(f.key(), f.label(), f.help(), f.kind().type,
                    f.kind() == Kind.SECRET ? null : defaults.get(f.key()), f.kind() == Kind.SECRET);
            if (f.kind() == Kind.CHOICE) {
                p.setOptions(f.options().get());
            }
            out.add(p);
        }
        return out;
    }

    /**
     * A save from the tab (the console's first save creates the component, later ones update it):
     * the fields the admin changed (against what the form showed) are sent to the capability's REST
     * {@code PUT}, so a form opened before someone else's change does not undo it. A refusal becomes
     * the console's error ("Error could not save item! <the REST message>"), nothing saved. The
     * component then keeps what the REST read shows, so the form shows the stored values (and never
     * a secret).
     *
     * <p>Only a POST or PUT on Keycloak's components endpoint sends anything. Any other caller (a
     * realm import, which brings such components from an export) sends nothing: the component just
     * shows what is stored. When Sentinel itself refreshes the component, nothing is sent either.
     */
    @Override
    public void validateConfiguration(KeycloakSession session, RealmModel realm, ComponentModel model) {
        if (ConsoleTabs.refreshing(session)) {
            return;
        }
        SentinelAdminResource admin = new SentinelAdminResource(AdminRequest.consoleSave(session, realm));
        if (ConsoleTabs.fromComponentsEndpoint(session)) {
            ConsoleTabs.requireFeature();
            Map<String, Object> update = changes(model.getConfig(), ConsoleTabs.shownBefore(this, realm, model),
                    ConsoleTabs.form(this, current(admin)));
            if (!update.isEmpty()) {
                Response answer = endpoint(admin).update(update);
                if (answer.getStatus() != Response.Status.OK.getStatusCode()) {
                    String why = answer.getEntity() instanceof Answers.ErrorBody error ? error.error() : "refused";
                    throw new ComponentValidationException(ConsoleTabs.literal(why));
                }
            }
        }
        model.setConfig(ConsoleTabs.config(ConsoleTabs.form(this, current(admin))));
        model.setName(id);
    }

    /**
     * The REST update of a save: the fields whose text differs from what the form showed, in the
     * type the REST API takes. A field emptied takes its default (a null); a secret left masked or
     * emptied is kept (left out). Where the {@code PUT} replaces every setting (detection), the
     * fields not changed are sent as they are stored now; nothing at all when nothing changed.
     */
    Map<String, Object> changes(MultivaluedHashMap<String, String> form, Map<String, String> before, Map<String, String> now) {
        Map<String, Object> update = new LinkedHashMap<>();
        boolean changed = false;
        for (Field f : fields) {
            String typed = normal(form == null ? null : form.getFirst(f.key()));
            boolean edited = !java.util.Objects.equals(typed, normal(before.get(f.key())));
            if (f.kind() == Kind.SECRET) {
                if (edited && typed != null && !typed.equals(io.keycloaksentinel.core.settings.Setting.MASK)) {
                    update.put(f.key(), typed);
                    changed = true;
                }
                continue;
            }
            if (edited) {
                changed = true;
                if (typed != null) {
                    update.put(f.key(), json(f.kind(), typed));
                } else if (!replacesAll()) {
                    update.put(f.key(), null);
                }
            } else if (replacesAll() && normal(now.get(f.key())) != null) {
                update.put(f.key(), json(f.kind(), normal(now.get(f.key()))));
            }
        }
        return changed ? update : Map.of();
    }

    /** A field's text as compared: without surrounding blanks and with one kind of line end; empty is none. */
    private static String normal(String v) {
        if (v == null) {
            return null;
        }
        String s = v.replace("\r\n", "\n").strip();
        return s.isEmpty() ? null : s;
    }

    /** A field's text as the JSON value its setting expects; text that is not one is sent as it is, to be refused with the REST message. */
    static Object json(Kind kind, String v) {
        switch (kind) {
            case FLAG:
                return v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE : v;
            case WHOLE:
            case DECIMAL:
                if (v.length() > 40) {
                    return v;
                }
                try {
                    BigDecimal n = new BigDecimal(v);
                    if (kind == Kind.WHOLE && n.stripTrailingZeros().scale() <= 0 && n.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
                        return n.longValueExact();
                    }
                    return n.doubleValue();
                } catch (NumberFormatException | ArithmeticException e) {
                    return v;
                }
            case LINES:
                return Arrays.stream(v.split("\\R")).map(String::strip).filter(s -> !s.isEmpty()).toList();
            default:
                return v;
        }
    }

    @Override
    public void init(Config.Scope config) {
        // no server options
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
        this.factory = factory;
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public Map<String, String> getOperationalInfo() {
        return SentinelVersion.current().operationalInfo();
    }
}
