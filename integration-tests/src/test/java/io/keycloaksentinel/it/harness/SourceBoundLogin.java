package io.keycloaksentinel.it.harness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One login attempt from a chosen source address on loopback (any 127.x.y.z): the socket is
 * bound to it, so Keycloak sees a real, distinct remote address, with no proxy header involved.
 * This is how the tests play a botnet of hundreds of IPs on one machine. Plain HTTP/1.1 with
 * {@code Connection: close}: GET the login page, POST the form with the page's cookies.
 */
public final class SourceBoundLogin {

    /** What the attacker observed. */
    public enum Outcome { LOGGED_IN, REFUSED, THROTTLED, OTHER }

    public record Attempt(Outcome outcome, int status, long nanos) {
    }

    private record HttpResponse(int status, Map<String, List<String>> headers, String body) {
        List<String> all(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }
    }

    private SourceBoundLogin() {
    }

    public static Attempt attempt(URI base, InetAddress source, String realm, String clientId, String redirectUri,
                                  String username, String password) {
        long start = System.nanoTime();
        // a PKCE challenge as a real client sends it (the test clients require S256); the code is never exchanged
        String query = LoginClient.form(Map.of("client_id", clientId, "redirect_uri", redirectUri,
                "response_type", "code", "scope", "openid",
                "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));
        HttpResponse page = exchange(base, source, "GET",
                "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/auth?" + query, null, List.of());
        if (page.status() != 200) {
            return new Attempt(Outcome.OTHER, page.status(), System.nanoTime() - start);
        }
        String action = LoginClient.formAction(page.body())
                .orElseThrow(() -> new AssertionError("no login form for " + username));
        List<String> cookies = new ArrayList<>();
        for (String setCookie : page.all("set-cookie")) {
            cookies.add(setCookie.split(";", 2)[0].trim());
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", username);
        fields.put("password", password);
        fields.put("credentialId", "");
        URI target = URI.create(action);
        String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        HttpResponse posted = exchange(base, source, "POST", path, LoginClient.form(fields),
                List.of("Cookie: " + String.join("; ", cookies)));
        long nanos = System.nanoTime() - start;
        if (posted.status() == 302 && posted.all("location").stream().anyMatch(l -> l.startsWith(redirectUri) && l.contains("code="))) {
            return new Attempt(Outcome.LOGGED_IN, 302, nanos);
        }
        if (posted.status() == 429) {
            return new Attempt(Outcome.THROTTLED, 429, nanos);
        }
        if (posted.status() == 200) {
            return new Attempt(Outcome.REFUSED, 200, nanos);
        }
        return new Attempt(Outcome.OTHER, posted.status(), nanos);
    }

    /**
     * A browser on one source address: its own cookie jar kept across logins (Keycloak's cookies
     * and Sentinel's device cookie), a User-Agent of its own. {@link #login} is a whole browser
     * login: page, form post, code issued to the client.
     */
    public static final class Browser {
        private final InetAddress source;
        private final String userAgent;
        private final Map<String, String> cookies = new LinkedHashMap<>();
        private final Map<String, String> setCookies = new LinkedHashMap<>();

        public Browser(InetAddress source, String userAgent) {
            this.source = source;
            this.userAgent = userAgent;
        }

        /** The loopback address this browser connects from. */
        public InetAddress source() {
            return source;
        }

        public Attempt login(URI base, String realm, String clientId, String redirectUri, String username, String password) {
            long start = System.nanoTime();
            String query = LoginClient.form(Map.of("client_id", clientId, "redirect_uri", redirectUri,
                    "response_type", "code", "scope", "openid",
                    "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));
            HttpResponse page = send(base, "GET", "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/auth?" + query, null);
            if (page.status() == 302 && page.all("location").stream().anyMatch(l -> l.startsWith(redirectUri))) {
                return new Attempt(Outcome.LOGGED_IN, 302, System.nanoTime() - start); // single sign-on
            }
            if (page.status() != 200) {
                return new Attempt(Outcome.OTHER, page.status(), System.nanoTime() - start);
            }
            String action = LoginClient.formAction(page.body()).orElseThrow(() -> new AssertionError("no login form"));
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("username", username);
            fields.put("password", password);
            fields.put("credentialId", "");
            URI target = URI.create(action);
            HttpResponse posted = send(base, "POST",
                    target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()), LoginClient.form(fields));
            long nanos = System.nanoTime() - start;
            if (posted.status() == 302 && posted.all("location").stream().anyMatch(l -> l.startsWith(redirectUri) && l.contains("code="))) {
                return new Attempt(Outcome.LOGGED_IN, 302, nanos);
            }
            return new Attempt(posted.status() == 200 ? Outcome.REFUSED : Outcome.OTHER, posted.status(), nanos);
        }

        /** A page as this browser got it: status, body, Location and Retry-After (null when absent), Set-Cookie names. */
        public record Page(int status, String body, String location, String retryAfter, List<String> cookieNames) {
        }

        /** A GET of {@code url} (absolute, or a path on {@code base}) with this browser's cookies; redirects not followed. */
        public Page get(URI base, String url) {
            return page(send(base, "GET", pathOf(url), null));
        }

        /** A GET with one extra request header (as a script, not a browser, could send). */
        public Page getWithHeader(URI base, String url, String header, String value) {
            return page(send(base, "GET", pathOf(url), null, List.of(header + ": " + value)));
        }

        /** A form post of {@code fields} to {@code url} with this browser's cookies; redirects not followed. */
        public Page post(URI base, String url, Map<String, String> fields) {
            return page(send(base, "POST", pathOf(url), LoginClient.form(fields)));
        }

        /** A form post with one extra request header (as a script, not a browser, could send). */
        public Page postWithHeader(URI base, String url, Map<String, String> fields, String header, String value) {
            return page(send(base, "POST", pathOf(url), LoginClient.form(fields), List.of(header + ": " + value)));
        }

        /** Like {@link #get}, then follows redirects on the server (at most 10), not to {@code stopAt}. */
        public Page follow(URI base, Page page, String stopAt) {
            for (int hops = 0; page.status() == 302 && hops < 10; hops++) {
                if (page.location() == null || (stopAt != null && page.location().startsWith(stopAt))) {
                    return page;
                }
                page = get(base, page.location());
            }
            return page;
        }

        private static String pathOf(String url) {
            URI u = URI.create(LoginClient.unescape(url));
            return u.isAbsolute() ? u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()) : url;
        }

        private static Page page(HttpResponse r) {
            List<String> names = new ArrayList<>();
            for (String c : r.all("set-cookie")) {
                names.add(c.split("=", 2)[0].trim());
            }
            return new Page(r.status(), r.body(), r.all("location").stream().findFirst().orElse(null),
                    r.all("retry-after").stream().findFirst().orElse(null), names);
        }

        /** A cookie this browser holds (null when none). */
        public String cookie(String name) {
            return cookies.get(name);
        }

        /** The last Set-Cookie header this browser got for a cookie, with its attributes (Path, HttpOnly...); null when none. */
        public String setCookieHeader(String name) {
            return setCookies.get(name);
        }

        /** Replaces (or, with null, drops) a cookie, as a user or an attacker could. */
        public void cookie(String name, String value) {
            if (value == null) {
                cookies.remove(name);
            } else {
                cookies.put(name, value);
            }
        }

        private HttpResponse send(URI base, String method, String path, String body) {
            return send(base, method, path, body, List.of());
        }

        private HttpResponse send(URI base, String method, String path, String body, List<String> extra) {
            List<String> headers = new ArrayList<>(extra);
            headers.add("User-Agent: " + userAgent);
            if (!cookies.isEmpty()) {
                List<String> pairs = new ArrayList<>();
                cookies.forEach((k, v) -> pairs.add(k + "=" + v));
                headers.add("Cookie: " + String.join("; ", pairs));
            }
            HttpResponse r = exchange(base, source, method, path, body, headers);
            for (String setCookie : r.all("set-cookie")) {
                String pair = setCookie.split(";", 2)[0].trim();
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    setCookies.put(pair.substring(0, eq), setCookie);
                    String value = pair.substring(eq + 1);
                    boolean expired = setCookie.toLowerCase(Locale.ROOT).contains("max-age=0");
                    if (value.isEmpty() || expired) {
                        cookies.remove(pair.substring(0, eq));
                    } else {
                        cookies.put(pair.substring(0, eq), value);
                    }
                }
            }
            return r;
        }
    }

    private static HttpResponse exchange(URI base, InetAddress source, String method, String path, String body,
                                         List<String> extraHeaders) {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(source, 0));
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            socket.setSoTimeout(60_000);
            StringBuilder request = new StringBuilder();
            request.append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(base.getHost()).append(':').append(base.getPort()).append("\r\n")
                    .append("Connection: close\r\n");
            extraHeaders.forEach(h -> request.append(h).append("\r\n"));
            byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                request.append("Content-Type: application/x-www-form-urlencoded\r\n")
                        .append("Content-Length: ").append(payload.length).append("\r\n");
            }
            request.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            return parse(socket.getInputStream().readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " from " + source, e);
        }
    }

    private static HttpResponse parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new AssertionError("malformed HTTP response: " + text.substring(0, Math.min(200, text.length())));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
        if (headers.getOrDefault("transfer-encoding", List.of()).stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
            body = dechunk(body);
        }
        return new HttpResponse(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < chunked.length) {
            int lineEnd = indexOf(chunked, pos);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(chunked, pos, lineEnd - pos, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int size = Integer.parseInt(sizeText, 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            pos = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, int from) {
        for (int i = from; i < data.length - 1; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The loopback address 127.{b}.{c}.{d} (every 127.x.y.z is routable on Linux: one source per /24 when c varies). */
    public static InetAddress loopback(int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) b, (byte) c, (byte) d});
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Source address number {@code i} of a botnet on loopback: 127.{base}.{i / 250}.{i % 250 + 1}. */
    public static InetAddress botnetAddress(int base, int i) {
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) base, (byte) (i / 250), (byte) (i % 250 + 1)});
        } catch (java.net.UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
