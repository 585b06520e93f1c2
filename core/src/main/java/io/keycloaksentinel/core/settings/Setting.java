package io.keycloaksentinel.core.settings;

import io.keycloaksentinel.core.SettingsValues;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * One realm setting, declared once: its key, its default, how its stored string is read (a damaged
 * one gives the default: a hand-edited attribute never breaks a login), how an admin's JSON value is
 * checked and turned into the string to store, and how the REST answer shows it (a secret only as
 * {@link #MASK}). A {@link SettingsTable} serves a record's settings from these declarations.
 *
 * <p>A check's message may leave the key out: "must be true or false" reaches the admin as
 * "failOpen must be true or false", "'x' is not an email address" as "emails: 'x' is not ...".
 *
 * @param <T> the value's type, that of the record component of the same name
 */
public final class Setting<T> {

    /** What a set secret reads as; sent back in an update, it leaves the stored secret as it is. */
    public static final String MASK = "**********";
    /** How a list's entries are joined in storage (Keycloak's multivalued config separator). */
    public static final String SEPARATOR = "##";
    /** The longest text a setting stores. */
    public static final int MAX_TEXT = 2048;

    private final String key;
    private final Class<?> type;
    private final T fallback;
    private final Function<String, T> parse;
    /** An admin's JSON value (never null) to the string stored; a bad one throws {@link IllegalArgumentException}. */
    private final Function<Object, String> check;
    private final Function<T, Object> show;
    private final boolean secret;

    private Setting(String key, Class<?> type, T fallback, Function<String, T> parse, Function<Object, String> check,
                    Function<T, Object> show, boolean secret) {
        this.key = Objects.requireNonNull(key);
        this.type = type;
        this.fallback = fallback;
        this.parse = parse;
        this.check = check;
        this.show = show;
        this.secret = secret;
    }

    /**
     * Any setting: {@code parse} reads a stored string (throwing when it is damaged), {@code check}
     * an admin's value, {@code show} gives what the REST answer holds.
     */
    public static <T> Setting<T> of(String key, Class<?> type, T fallback, Function<String, T> parse, Function<Object, String> check,
                                    Function<T, Object> show) {
        return new Setting<>(key, type, fallback, parse, check, show, false);
    }

    /** {@code true} or {@code false}; anything else stored is damaged. */
    public static Setting<Boolean> flag(String key, boolean fallback) {
        return of(key, Boolean.class, fallback, v -> switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false");
        }, json -> {
            if (!(json instanceof Boolean b)) {
                throw new IllegalArgumentException("must be true or false");
            }
            return b.toString();
        }, b -> b);
    }

    /** A whole number in {@code min..max}. */
    public static Setting<Long> whole(String key, long fallback, long min, long max) {
        return of(key, Long.class, fallback, v -> inRange(Long.parseLong(v.strip()), min, max),
                json -> Long.toString(SettingsValues.integer(key, json, min, max)), n -> n);
    }

    /** A whole number in {@code min..max}, for an {@code int} component. */
    public static Setting<Integer> integer(String key, int fallback, int min, int max) {
        Setting<Long> n = whole(key, fallback, min, max);
        return of(key, Integer.class, fallback, v -> n.parse.apply(v).intValue(), n.check, i -> i);
    }

    /** A number in {@code min..max}. */
    public static Setting<Double> decimal(String key, double fallback, double min, double max) {
        String message = "must be a number from " + min + " to " + max;
        return of(key, Double.class, fallback, v -> {
            double d = Double.parseDouble(v.strip());
            if (!(d >= min && d <= max)) {
                throw new IllegalArgumentException(message);
            }
            return d;
        }, json -> {
            if (!(json instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
                throw new IllegalArgumentException(message);
            }
            return Double.toString(n.doubleValue());
        }, d -> d);
    }

    /** A non-blank text of at most {@value #MAX_TEXT} characters, stored without surrounding blanks. */
    public static Setting<String> text(String key, String fallback) {
        return of(key, String.class, fallback, v -> {
            if (v.isBlank() || v.length() > MAX_TEXT) {
                throw new IllegalArgumentException("must be a non-empty string of at most " + MAX_TEXT + " characters");
            }
            return v.strip();
        }, json -> {
            if (!(json instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException("must be a non-empty string");
            }
            if (s.length() > MAX_TEXT) {
                throw new IllegalArgumentException("is longer than " + MAX_TEXT + " characters");
            }
            return s.strip();
        }, s -> s);
    }

    /**
     * One of an enum's values, written as {@code text} gives them (case does not matter). An
     * update may set one of {@code settable} (all when none are named); a stored value may be any.
     */
    @SafeVarargs
    public static <E extends Enum<E>> Setting<E> oneOf(String key, E fallback, Function<E, String> text, E... settable) {
        List<E> all = List.of(fallback.getDeclaringClass().getEnumConstants());
        return oneOf(key, fallback.getDeclaringClass(), fallback, all, settable.length == 0 ? all : List.of(settable), text,
                false);
    }

    /**
     * One of an enum's values, written exactly as {@code text} gives them: for a choice where a value
     * read loosely would weaken a protection (a stored {@code ALLOW} is damaged and reads as the
     * default, and {@link SettingsTable#problems} reports it, rather than letting risk through).
     */
    public static <E extends Enum<E>> Setting<E> oneOfExactly(String key, E fallback, Function<E, String> text) {
        List<E> all = List.of(fallback.getDeclaringClass().getEnumConstants());
        return oneOf(key, fallback.getDeclaringClass(), fallback, all, all, text, true);
    }

    /** One of {@code values} (case does not matter). */
    public static Setting<String> oneOf(String key, String fallback, String... values) {
        return oneOf(key, String.class, fallback, List.of(values), List.of(values), s -> s, false);
    }

    private static <E> Setting<E> oneOf(String key, Class<?> type, E fallback, List<E> readable, List<E> settable,
                                        Function<E, String> text, boolean exactly) {
        List<String> names = settable.stream().map(text).toList();
        String message = names.size() == 2 ? "must be " + names.get(0) + " or " + names.get(1)
                : "must be one of " + String.join(", ", names);
        Function<List<E>, Function<String, E>> find = among -> v -> among.stream()
                .filter(e -> exactly ? text.apply(e).equals(v) : text.apply(e).equalsIgnoreCase(v.strip())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(message));
        return new Setting<>(key, type, fallback, find.apply(readable),
                json -> text.apply(find.apply(settable).apply(json instanceof String s ? s : "\0")), text::apply, false);
    }

    /**
     * A moment, in epoch milliseconds: set and stored as an ISO instant ({@code 2026-11-01T08:00:00Z})
     * or a date ({@code 2026-11-01}, UTC midnight); none by default.
     */
    public static Setting<Long> instant(String key) {
        String message = "must be a date (2026-11-01) or an instant (2026-11-01T08:00:00Z)";
        Function<String, Long> parse = v -> {
            try {
                String s = v.strip();
                return s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
                        : Instant.parse(s).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(message);
            }
        };
        return of(key, Long.class, null, parse, json -> Instant.ofEpochMilli(parse.apply(json instanceof String s ? s : ""))
                .toString(), millis -> Instant.ofEpochMilli(millis).toString());
    }

    /**
     * A list, stored as Keycloak stores multivalued config: entries joined by {@value #SEPARATOR} (new
     * lines are read too; never commas, which names may hold). An admin sends a JSON list of non-empty
     * strings, or one string joined so, of at most {@code max} entries. {@code entries} parses the
     * entries (throwing for a bad one), {@code text} writes one back; {@code none} is the message
     * refusing an empty list (null: empty is fine).
     */
    public static <E, C extends Collection<E>> Setting<C> list(String key, C fallback, int max,
                                                             Function<List<String>, C> entries, Function<E, String> text,
                                                             String none) {
        Function<C, C> some = c -> {
            if (none != null && c.isEmpty()) {
                throw new IllegalArgumentException(none);
            }
            return c;
        };
        return of(key, fallback instanceof Set ? Set.class : List.class, fallback, v -> some.apply(entries.apply(split(v))),
                json -> some.apply(entries.apply(entries(json, max))).stream().map(text).collect(Collectors.joining(SEPARATOR)),
                c -> c.stream().map(text).toList());
    }

    /** The entries of a stored list (blank ones left out). */
    private static List<String> split(String stored) {
        return Arrays.stream(stored.split(SEPARATOR + "|\\n")).map(String::strip).filter(e -> !e.isEmpty()).toList();
    }

    private static List<String> entries(Object json, int max) {
        List<?> raw = json instanceof String s ? split(s) : json instanceof List<?> l ? l : null;
        if (raw == null || !raw.stream().allMatch(o -> o instanceof String s && !s.isBlank())) {
            throw new IllegalArgumentException("must be a list of non-empty strings");
        }
        if (raw.size() > max) {
            throw new IllegalArgumentException("must hold at most " + max + " entries");
        }
        return raw.stream().map(o -> ((String) o).strip()).toList();
    }

    /** This setting, with {@code rule} checking (and perhaps rewriting) what is read and what is set. */
    public Setting<T> refined(UnaryOperator<String> rule) {
        return new Setting<>(key, type, fallback, v -> parse.apply(rule.apply(v)), checkedAlso(rule).check, show, secret);
    }

    /** This setting, with {@code rule} checking (and perhaps rewriting) what an admin sets, after its own check. */
    public Setting<T> checkedAlso(UnaryOperator<String> rule) {
        return new Setting<>(key, type, fallback, parse, json -> rule.apply(check.apply(json)), show, secret);
    }

    /** This setting as a secret: shown as {@link #MASK} when set; the mask sent back changes nothing. */
    public Setting<T> secret() {
        return new Setting<>(key, type, fallback, parse, check, show, true);
    }

    public String key() {
        return key;
    }

    Class<?> type() {
        return type;
    }

    boolean isSecret() {
        return secret;
    }

    /** The value of a stored string: the default when it is missing or damaged. */
    public T read(String stored) {
        if (stored == null) {
            return fallback;
        }
        try {
            return parse.apply(stored);
        } catch (RuntimeException damaged) {
            return fallback;
        }
    }

    /** Why a stored string is damaged, or null when it is missing or reads. */
    String problem(String stored) {
        try {
            if (stored != null) {
                parse.apply(stored);
            }
            return null;
        } catch (RuntimeException damaged) {
            return String.valueOf(damaged.getMessage());
        }
    }

    /** The string to store for an admin's JSON value (not null); a bad one throws with a message naming this setting. */
    public String check(Object json) {
        return naming(key, () -> check.apply(json));
    }

    /** What the REST answer shows of {@code value}. */
    Object show(T value) {
        if (value == null) {
            return null;
        }
        return secret ? MASK : show.apply(value);
    }

    /** What {@code check} gives, or its {@link IllegalArgumentException} with a message that names {@code key}. */
    static <V> V naming(String key, Supplier<V> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(named(key, String.valueOf(e.getMessage())), e);
        }
    }

    /** "must be ..." to "key must be ..."; "'x' is not ..." to "key: 'x' is not ..."; a message naming the key stays. */
    static String named(String key, String message) {
        if (message.startsWith(key)) {
            return message;
        }
        return message.startsWith("must ") || message.startsWith("is ") ? key + " " + message : key + ": " + message;
    }

    private static long inRange(long n, long min, long max) {
        if (n < min || n > max) {
            throw new IllegalArgumentException("must be a whole number from " + min + " to " + max);
        }
        return n;
    }

    @Override
    public String toString() {
        return "Setting[" + key + ", default " + (secret ? MASK : fallback) + "]";
    }
}
