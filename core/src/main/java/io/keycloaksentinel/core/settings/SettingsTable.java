package io.keycloaksentinel.core.settings;

import io.keycloaksentinel.core.SettingsValues;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A record's realm settings, one {@link Setting} a record component (same name, same order, same
 * type), stored as realm attributes {@code prefix + key}. What every settings record of Sentinel
 * does, done once: read stored strings (damaged ones take their default), show the values for the
 * admin REST (secrets masked), check an admin's partial update (a 400 message naming the field, a
 * null restoring the default) and write it back.
 *
 * <pre>{@code
 * record Alerts(boolean on, int perHour) {
 *     static final SettingsTable<Alerts> TABLE = SettingsTable.of(Alerts.class, "sentinel.alerts.",
 *             Setting.flag("on", false), Setting.integer("perHour", 3, 1, 100));
 * }
 * }</pre>
 *
 * @param <R> the record the settings make up
 */
public final class SettingsTable<R extends Record> {

    private final Class<R> type;
    private final String prefix;
    private final List<Setting<?>> settings;
    private final List<String> keys;
    private final List<MethodHandle> accessors = new ArrayList<>();
    private final MethodHandle constructor;
    private final List<Consumer<R>> rules;

    private SettingsTable(Class<R> type, String prefix, List<Setting<?>> settings, List<Consumer<R>> rules) {
        this.type = type;
        this.prefix = prefix;
        this.settings = List.copyOf(settings);
        this.keys = settings.stream().map(Setting::key).toList();
        this.rules = List.copyOf(rules);
        RecordComponent[] components = type.getRecordComponents();
        if (components.length != settings.size()) {
            throw new IllegalArgumentException(type.getSimpleName() + " has " + components.length + " components, the table "
                    + settings.size() + " settings");
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            for (int i = 0; i < components.length; i++) {
                RecordComponent c = components[i];
                Setting<?> s = settings.get(i);
                if (!c.getName().equals(s.key()) || !wrapper(c.getType()).isAssignableFrom(s.type())) {
                    throw new IllegalArgumentException(type.getSimpleName() + "." + c.getName() + " (" + c.getType().getSimpleName()
                            + ") does not match the setting " + s.key() + " (" + s.type().getSimpleName() + ")");
                }
                c.getAccessor().setAccessible(true);
                accessors.add(lookup.unreflect(c.getAccessor()).asType(MethodType.methodType(Object.class, Record.class)));
            }
            Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
            java.lang.reflect.Constructor<R> canonical = type.getDeclaredConstructor(types);
            canonical.setAccessible(true);
            constructor = lookup.unreflectConstructor(canonical)
                    .asSpreader(Object[].class, types.length).asType(MethodType.methodType(Record.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException(type.getSimpleName() + ": " + e, e);
        }
    }

    /** The table of {@code type}'s settings, stored under {@code prefix}: one setting a component, in order. */
    public static <R extends Record> SettingsTable<R> of(Class<R> type, String prefix, Setting<?>... settings) {
        return new SettingsTable<>(type, prefix, List.of(settings), List.of());
    }

    /**
     * This table with a rule over the whole record (between settings): it throws
     * {@link IllegalArgumentException} with its message for an update it refuses, and stored
     * values that break it read as the defaults.
     */
    public SettingsTable<R> rule(Consumer<R> rule) {
        List<Consumer<R>> all = new ArrayList<>(rules);
        all.add(rule);
        return new SettingsTable<>(type, prefix, settings, all);
    }

    /** The keys, in the record's order. */
    public List<String> keys() {
        return keys;
    }

    /** Every setting at its default. */
    public R defaults() {
        return build(key -> null);
    }

    /** Reads through {@code value} (short key to stored string, null when unset); damaged values take their default. */
    public R read(Function<String, String> value) {
        R read = build(value);
        try {
            rules.forEach(rule -> rule.accept(read));
            return read;
        } catch (IllegalArgumentException inconsistent) {
            return defaults();
        }
    }

    /** The realm-attribute reader: short key to the attribute {@code prefix + key}. */
    public Function<String, String> attributes(Function<String, String> attribute) {
        return key -> attribute.apply(prefix + key);
    }

    /** Every stored value that does not read, as "key: why (the default is used)". */
    public List<String> problems(Function<String, String> value) {
        List<String> out = new ArrayList<>();
        for (Setting<?> s : settings) {
            String problem = s.problem(value.apply(s.key()));
            if (problem != null) {
                out.add(s.key() + ": " + problem + " (the default is used)");
            }
        }
        return out;
    }

    /** The settings as the admin REST shows them, in the record's order; secrets masked. */
    public Map<String, Object> toMap(R values) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < settings.size(); i++) {
            m.put(keys.get(i), show(settings.get(i), get(values, i)));
        }
        return m;
    }

    /**
     * Checks a partial update (a JSON object of some of the keys) and returns the strings to store,
     * short key to string; null removes the attribute, restoring the default. A secret sent back as
     * {@link Setting#MASK} is left out (unchanged).
     *
     * @throws IllegalArgumentException for an empty update, an unknown key or a bad value, naming it
     */
    public Map<String, String> validateUpdate(Map<String, Object> update) {
        return validateUpdate(update, Map.of());
    }

    /**
     * {@link #validateUpdate(Map)}, with checks the declarations cannot know (the providers installed,
     * this server's address), by key, on the string to store after the setting's own check.
     */
    public Map<String, String> validateUpdate(Map<String, Object> update, Map<String, UnaryOperator<String>> serverChecks) {
        SettingsValues.checkKeys(update, keys);
        Map<String, String> out = new LinkedHashMap<>();
        update.forEach((key, json) -> {
            Setting<?> s = settings.get(keys.indexOf(key));
            if (json == null) {
                out.put(key, null);
            } else if (!(s.isSecret() && json instanceof String text && text.strip().equals(Setting.MASK))) {
                String stored = s.check(json);
                UnaryOperator<String> server = serverChecks.get(key);
                out.put(key, server == null ? stored : Setting.naming(key, () -> server.apply(stored)));
            }
        });
        return out;
    }

    /**
     * A whole update (every key left out takes its default), checked setting by setting and then by
     * the table's rules.
     */
    public R replace(Map<String, Object> update) {
        if (update == null) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        Map<String, String> stored = update.isEmpty() ? Map.of() : validateUpdate(update);
        R values = build(stored::get);
        rules.forEach(rule -> rule.accept(values));
        return values;
    }

    /** Stores checked values as realm attributes {@code prefix + key}: {@code set}, or {@code remove} for a null. */
    public void write(Map<String, String> values, java.util.function.BiConsumer<String, String> set, Consumer<String> remove) {
        values.forEach((key, value) -> {
            if (value == null) {
                remove.accept(prefix + key);
            } else {
                set.accept(prefix + key, value);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private R build(Function<String, String> value) {
        Object[] args = new Object[settings.size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = settings.get(i).read(value.apply(keys.get(i)));
        }
        try {
            return (R) constructor.invokeExact(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private Object get(R values, int i) {
        try {
            return (Object) accessors.get(i).invokeExact((Record) values);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> Object show(Setting<T> setting, Object value) {
        return setting.show((T) value);
    }

    private static Class<?> wrapper(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return MethodType.methodType(type).wrap().returnType();
    }
}
