package io.keycloaksentinel.it.bench;

import io.keycloaksentinel.it.harness.AdminApi;
import io.keycloaksentinel.it.harness.LoginClient;
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
import java.util.Optional;

/**
 * A bot's login client for the CAPTCHA benchmarks, on the lines of the harness's
 * {@code SourceBoundLogin} (one socket a request, bound to a chosen loopback source address,
 * {@code Connection: close}, the page's cookies sent back by hand), but keeping what the
 * benchmarks need to tell the outcomes apart: the page the server answered with, so that a
 * CAPTCHA refusal, a password refusal and a throttle are told apart, and the form's next action,
 * so that a bot can post again and again without fetching the page (the POST-only series).
 */
final class RawLogin {

    /** Keycloak's (and Sentinel's form's) answer to a wrong username or password: the password was checked. */
    static final String INVALID_CREDENTIALS = "Invalid username or password.";
    /** Sentinel's answers to a post without, or with a wrong, CAPTCHA answer: refused before any lookup or hash. */
    static final String CAPTCHA_MISSING = "Please complete the security check before you continue.";
    static final String CAPTCHA_FAILED = "The security check could not be confirmed.";

    /** What a bot saw after one post. */
    enum Outcome { LOGGED_IN, PASSWORD_REFUSED, CAPTCHA_REFUSED, THROTTLED, OTHER }

    record Response(int status, Map<String, List<String>> headers, String body) {
        List<String> all(String name) {
            return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
        }
    }

    /** The login page as a bot holds it: where to post, and the cookies to send. */
    record Form(String actionPath, String cookies) {
    }

    record Posted(Outcome outcome, int status, Optional<Form> next) {
    }

    private final URI base;
    private final InetAddress source;

    RawLogin(URI base, InetAddress source) {
        this.base = base;
        this.source = source;
    }

    /** The authorization request a client would send (PKCE S256; the code is never exchanged). */
    static String authPath(String realm) {
        String query = LoginClient.form(Map.of("client_id", io.keycloaksentinel.it.harness.TestRealm.CLIENT_ID,
                "redirect_uri", io.keycloaksentinel.it.harness.TestRealm.REDIRECT_URI,
                "response_type", "code", "scope", "openid",
                "code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method", "S256"));
        return "/realms/" + AdminApi.encPath(realm) + "/protocol/openid-connect/auth?" + query;
    }

    /** GETs the login page; empty when the answer has no login form. */
    Optional<Form> page(String realm) {
        Response page = exchange("GET", authPath(realm), null, List.of());
        if (page.status() != 200) {
            return Optional.empty();
        }
        return form(page, "");
    }

    /** POSTs the form with {@code fields}; the answer's form (if it re-rendered one) for the next post. */
    Posted post(Form form, Map<String, String> fields) {
        Response posted = exchange("POST", form.actionPath(), LoginClient.form(fields),
                form.cookies().isEmpty() ? List.of() : List.of("Cookie: " + form.cookies()));
        Outcome outcome = classify(posted);
        return new Posted(outcome, posted.status(), posted.status() == 200 || posted.status() == 429
                ? form(posted, form.cookies()) : Optional.empty());
    }

    static Map<String, String> fields(String username, String password, String altcha) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", username);
        fields.put("password", password);
        fields.put("credentialId", "");
        if (altcha != null) {
            fields.put("altcha", altcha);
        }
        return fields;
    }

    private static Outcome classify(Response posted) {
        if (posted.status() == 302 && posted.all("location").stream()
                .anyMatch(l -> l.startsWith(io.keycloaksentinel.it.harness.TestRealm.REDIRECT_URI) && l.contains("code="))) {
            return Outcome.LOGGED_IN;
        }
        if (posted.status() == 429) {
            return Outcome.THROTTLED;
        }
        if (posted.status() == 200) {
            if (posted.body().contains(CAPTCHA_MISSING) || posted.body().contains(CAPTCHA_FAILED)) {
                return Outcome.CAPTCHA_REFUSED;
            }
            if (posted.body().contains(INVALID_CREDENTIALS)) {
                return Outcome.PASSWORD_REFUSED;
            }
        }
        return Outcome.OTHER;
    }

    /** The form on {@code page}, its cookies merged over {@code previous} (name=value; ...). */
    private static Optional<Form> form(Response page, String previous) {
        Optional<String> action = LoginClient.formAction(page.body());
        if (action.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> jar = new LinkedHashMap<>();
        for (String pair : previous.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                jar.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        for (String setCookie : page.all("set-cookie")) {
            String pair = setCookie.split(";", 2)[0].trim();
            int eq = pair.indexOf('=');
            if (eq > 0) {
                jar.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        StringBuilder cookies = new StringBuilder();
        jar.forEach((k, v) -> cookies.append(cookies.isEmpty() ? "" : "; ").append(k).append('=').append(v));
        URI target = URI.create(action.get());
        String path = target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        return Optional.of(new Form(path, cookies.toString()));
    }

    Response exchange(String method, String path, String body, List<String> extraHeaders) {
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

    private static Response parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IllegalStateException("malformed HTTP response: " + text.substring(0, Math.min(200, text.length())));
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
        return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < chunked.length) {
            int lineEnd = crlf(chunked, pos);
            if (lineEnd < 0) {
                break;
            }
            int size = Integer.parseInt(new String(chunked, pos, lineEnd - pos, StandardCharsets.ISO_8859_1)
                    .split(";")[0].trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            pos = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int crlf(byte[] data, int from) {
        for (int i = from; i < data.length - 1; i++) {
            if (data[i] == '\r' && data[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
