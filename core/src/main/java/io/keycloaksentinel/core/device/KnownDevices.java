package io.keycloaksentinel.core.device;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A user's known devices: at most {@code max}, the most recently seen kept, each forgotten
 * {@code ttlMillis} after it was last seen. Stored as one user-attribute value ({@link #encodeAll()}),
 * so every cluster node reads the same list from the user store. Immutable: every change returns
 * a new list.
 */
public final class KnownDevices {

    /**
     * How a login's device relates to the list: its cookie names a proven entry ({@code COOKIE}),
     * an entry made from look-alike signals that nothing has proven yet ({@code UNPROVEN}: a
     * known device for alerts, an unknown one for every risk decision), no cookie but the signals
     * of an entry ({@code SIGNALS}: the same: never lowers risk), or nothing.
     */
    public enum Match { COOKIE, UNPROVEN, SIGNALS, UNKNOWN }

    /**
     * @param id       the stored id ({@link DeviceCookie#storedId}), never the cookie value
     * @param browser  browser family ("Chrome"), at most 40 characters
     * @param os       operating-system family ("Windows"), at most 40 characters
     * @param network  the coarse network ("203.0.113.0/24")
     * @param trusted  confirmed by the user ("yes, it was me")
     * @param lookAlike made for a browser recognised only by its signals (same families and network as a
     *                 known device, no cookie), and not proven since: neither by a completed second proof on
     *                 it nor by the owner; such an entry never lowers a risk
     */
    public record Device(String id, String browser, String os, String network, long firstSeen, long lastSeen,
                         boolean trusted, boolean lookAlike) {

        /** The list's own separators and control characters, cleaned from stored text (compiled once: every sign-in decodes the list). */
        private static final java.util.regex.Pattern SEPARATORS = java.util.regex.Pattern.compile("[|~\\p{Cntrl}]");

        public Device {
            browser = clean(browser);
            os = clean(os);
            network = network == null ? "" : network.length() > 50 ? network.substring(0, 50) : network;
            lookAlike = lookAlike && !trusted;
        }

        /** A device as a password sign-in or the owner made it (not a look-alike). */
        public Device(String id, String browser, String os, String network, long firstSeen, long lastSeen, boolean trusted) {
            this(id, browser, os, network, firstSeen, lastSeen, trusted, false);
        }

        /** Whether this entry may lower a risk: anything but an unproven look-alike. */
        public boolean proven() {
            return !lookAlike;
        }

        String encode() {
            // the last field: 1 trusted, s an unproven look-alike, 0 otherwise (lists stored before read as 0 or 1)
            return String.join("|", id, browser, os, network, Long.toString(firstSeen), Long.toString(lastSeen),
                    trusted ? "1" : lookAlike ? "s" : "0");
        }

        static Optional<Device> decode(String v) {
            if (v == null || v.length() > 255) {
                return Optional.empty();
            }
            String[] p = v.split("\\|", -1);
            if (p.length != 7 || !DeviceCookie.ID.matcher(p[0]).matches()) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Device(p[0], p[1], p[2], p[3], Long.parseLong(p[4]), Long.parseLong(p[5]),
                        "1".equals(p[6]), "s".equals(p[6])));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }

        /** Same browser family, OS family and network: the fallback when the cookie is gone. */
        boolean looksLike(String browser, String os, String network) {
            return this.browser.equalsIgnoreCase(clean(browser)) && this.os.equalsIgnoreCase(clean(os))
                    && !this.network.isEmpty() && this.network.equals(network);
        }

        private static String clean(String s) {
            if (s == null || s.isBlank()) {
                return "Unknown";
            }
            String c = SEPARATORS.matcher(s).replaceAll(" ").strip();
            return c.length() > 40 ? c.substring(0, 40) : c;
        }
    }

    private final List<Device> devices;

    private KnownDevices(List<Device> devices) {
        this.devices = List.copyOf(devices);
    }

    /** Reads the stored values, dropping damaged ones and those not seen within {@code ttlMillis}. */
    public static KnownDevices decode(List<String> values, long now, long ttlMillis) {
        List<Device> out = new ArrayList<>();
        if (values != null) {
            for (String v : values) {
                Device.decode(v).filter(d -> now - d.lastSeen() < ttlMillis).ifPresent(out::add);
            }
        }
        return new KnownDevices(out);
    }

    /** Reads the one stored value (devices separated by {@code ~}). */
    public static KnownDevices decodeAll(String value, long now, long ttlMillis) {
        if (value == null || value.isEmpty() || value.length() > 64 * 256) {
            return new KnownDevices(List.of());
        }
        return decode(List.of(value.split("~")), now, ttlMillis);
    }

    /** The one value to store: every device, separated by {@code ~} (at most 50 devices of under 255 characters). */
    public String encodeAll() {
        return String.join("~", encode());
    }

    public List<String> encode() {
        return devices.stream().map(Device::encode).toList();
    }

    public List<Device> devices() {
        return devices;
    }

    public boolean isEmpty() {
        return devices.isEmpty();
    }

    /** The device with this stored id. */
    public Optional<Device> byId(String storedId) {
        return devices.stream().filter(d -> d.id().equals(storedId)).findFirst();
    }

    /** How a login with this cookie's stored id (or none) and these signals relates to the list. */
    public Match match(String storedId, String browser, String os, String network) {
        Optional<Device> byCookie = storedId == null ? Optional.empty() : byId(storedId);
        if (byCookie.isPresent()) {
            return byCookie.get().proven() ? Match.COOKIE : Match.UNPROVEN;
        }
        if (storedId == null && devices.stream().anyMatch(d -> d.looksLike(browser, os, network))) {
            return Match.SIGNALS;
        }
        return Match.UNKNOWN;
    }

    /** The device the signals point to (for {@link Match#SIGNALS}). */
    public Optional<Device> lookingLike(String browser, String os, String network) {
        return devices.stream().filter(d -> d.looksLike(browser, os, network))
                .max(Comparator.comparingLong(Device::lastSeen));
    }

    /** Adds or refreshes a device, keeping the {@code max} most recently seen. */
    public KnownDevices seen(Device device, int max) {
        List<Device> out = new ArrayList<>();
        for (Device d : devices) {
            if (!d.id().equals(device.id())) {
                out.add(d);
            }
        }
        out.add(device);
        out.sort(Comparator.comparingLong(Device::lastSeen).reversed());
        return new KnownDevices(out.subList(0, Math.min(out.size(), Math.max(1, max))));
    }

    /**
     * A browser recognised only by its signals (its cookie is gone) gets a new cookie and an entry
     * of its own: untrusted, first seen now, and a look-alike unless this sign-in completed a second
     * proof ({@code proven}). The device it resembles keeps its id, its trust and its dates, so that
     * signals alone never inherit "yes, it was me" nor take over a device's identity (and a "this
     * wasn't me" link for the resembled device still names it); and a look-alike's cookie, wherever
     * it comes back from, never counts as a known device for a risk decision until it is proven.
     */
    public KnownDevices seenBySignals(String newStoredId, String browser, String os, String network, long now, int max,
                                      boolean proven) {
        return seen(new Device(newStoredId, browser, os, network, now, now, false, !proven), max);
    }



    /**
     * Whether a login is the account's very first device: no known device now AND none ever
     * remembered ({@code devicesSeenBefore}, a permanent marker), so that an account whose
     * devices all expired (a dormant one) or were forgotten still alerts.
     */
    public boolean isFirstDevice(boolean devicesSeenBefore) {
        return devices.isEmpty() && !devicesSeenBefore;
    }

    public KnownDevices forget(String storedId) {
        return new KnownDevices(devices.stream().filter(d -> !d.id().equals(storedId)).toList());
    }

    /** The devices first seen before {@code millis}. */
    public KnownDevices firstSeenBefore(long millis) {
        return new KnownDevices(devices.stream().filter(d -> d.firstSeen() < millis).toList());
    }

    public KnownDevices trust(String storedId) {
        return new KnownDevices(devices.stream()
                .map(d -> d.id().equals(storedId) ? new Device(d.id(), d.browser(), d.os(), d.network(), d.firstSeen(),
                        d.lastSeen(), true) : d)
                .toList());
    }
}
