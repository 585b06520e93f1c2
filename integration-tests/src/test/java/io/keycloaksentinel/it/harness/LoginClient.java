package io.keycloaksentinel.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A user agent at the HTTP level: it opens the real login page, posts the real form, follows
 * the redirect to the client and exchanges the code for tokens (authorization code + PKCE),
 * keeping cookies like a browser. For pages that need JavaScript, use a real browser instead.
 */
public final class LoginClient {

    private static final Pattern LOGIN_FORM = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*>", Pattern.DOTALL);
    private static final Pattern ACTION = Pattern.compile("action=\"([^\"]*)\"");
    private static final Pattern INPUT_ERROR = Pattern.compile("id=\"input-error[^\"]*\"[^>]*>");
    private static final Pattern TAG = Pattern.compile("<[^>]*>");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the user ended with: the last page (if the login did not complete) or the tokens. */
    public record Result(int status, String page, JsonNode tokens, String retryAfter, java.net.http.HttpHeaders headers) {

        Result(int status, String page, JsonNode tokens) {
            this(status, page, tokens, null, null);
        }

        /** A header of the last page (empty when the login completed or the page came from the token endpoint). */
        public Optional<String> header(String name) {
            return headers == null ? Optional.empty() : headers.firstValue(name);
        }

        public boolean loggedIn() {
            return tokens != null && tokens.hasNonNull("access_token");
        }

        /** The error shown next to the form fields, if any (e.g. "Invalid username or password."). */
        public Optional<String> formError() {
            if (page == null) {
                return Optional.empty();
            }
            Matcher m = INPUT_ERROR.matcher(page);
            if (!m.find()) {
                return Optional.empty();
            }
            // the text of the element (and of what it wraps), up to the next field or form part
            String after = page.substring(m.end(), Math.min(page.length(), m.end() + 600));
            for (String line : TAG.matcher(after).replaceAll("\n").split("\n")) {
                if (!line.isBlank()) {
                    return Optional.of(unescape(line.strip()));
                }
            }
            return Optional.empty();
        }
    }

    private final Map<String, String> extraAuthParams = new LinkedHashMap<>();
    private final URI baseUrl;
    private final HttpClient http;
    private final Map<String, String> extraHeaders = new LinkedHashMap<>();

    public LoginClient(URI baseUrl) {
        this.baseUrl = baseUrl;
        this.http = HttpClient.newBuilder()
                .cookieHandler(new BrowserCookies())
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** Sends this header with every request, e.g. a forged X-Forwarded-For. */
    /** An extra parameter of the authorization request of every login (e.g. {@code kc_action}). */
    public LoginClient withAuthParam(String name, String value) {
        extraAuthParams.put(name, value);
        return this;
    }

    public LoginClient withHeader(String name, String value) {
        extraHeaders.put(name, value);
        return this;
    }

    /**
     * Opens a link from outside the page (an emailed action link) in this client's browser
     * session, following Keycloak's redirects like {@link #login} (a link opened outside a login
     * ends on the page it leads to).
     */
    public Result open(String url) {
        return settle(send(HttpRequest.newBuilder(onThisNode(URI.create(url))).GET().build()));
    }

    /** A form post of {@code fields} to {@code url} (absolute, or a path on this node) with this client's cookies; redirects followed. */
    public Result post(String url, Map<String, String> fields) {
        return settle(send(HttpRequest.newBuilder(onThisNode(URI.create(url)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build()));
    }

    /** The login page a browser would see for this client. */
    public HttpResponse<String> openLoginPage(String realm, String clientId, String redirectUri, String challenge) {
        Map<String, String> params = new LinkedHashMap<>(Map.of(
                "client_id", clientId,
                "redirect_uri", redirectUri,
                "response_type", "code",
                "scope", "openid",
                "state", random(),
                "nonce", random(),
                "code_challenge", challenge,
                "code_challenge_method", "S256"));
        params.putAll(extraAuthParams);
        String query = form(params);
        return send(HttpRequest.newBuilder(
                baseUrl.resolve("/realms/" + AdminApi.enc(realm) + "/protocol/openid-connect/auth?" + query))
                .GET().build());
    }

    public Result login(String realm, String clientId, String redirectUri, String username, String password) {
        return login(realm, clientId, redirectUri, username, password, Map.of());
    }

    /** A login that also posts {@code extra} fields (e.g. a CAPTCHA answer), as a browser's form would. */
    public Result login(String realm, String clientId, String redirectUri, String username, String password,
                        Map<String, String> extra) {
        return login(realm, clientId, redirectUri, username, password, page -> extra);
    }

    /**
     * A login whose extra form fields are computed from the login page (e.g. a CAPTCHA answer
     * solved for the page), as a browser's script would.
     */
    public Result login(String realm, String clientId, String redirectUri, String username, String password,
                        java.util.function.Function<String, Map<String, String>> extraFromPage) {
        String verifier = random() + random();
        HttpResponse<String> page = openLoginPage(realm, clientId, redirectUri, challenge(verifier));
        if (page.statusCode() != 200) {
            return new Result(page.statusCode(), page.body(), null);
        }
        String action = formAction(page.body())
                .orElseThrow(() -> new AssertionError("No login form on the page:\n" + page.body()));
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", username);
        fields.put("password", password);
        fields.put("credentialId", "");
        fields.putAll(extraFromPage.apply(page.body()));
        // the form's absolute URL names the cluster's hostname (node A); like a load balancer that
        // routes this client to its node, the post goes to this client's node
        HttpResponse<String> posted = send(HttpRequest.newBuilder(onThisNode(URI.create(action)))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
        flow = new Flow(realm, clientId, redirectUri, verifier);
        return settle(posted);
    }

    /** The login this client is in the middle of (for {@link #submit}). */
    private record Flow(String realm, String clientId, String redirectUri, String verifier) {
    }

    private Flow flow;

    /**
     * Posts the first form of {@code page} (a page this client was shown in its current login,
     * e.g. "update password" or a code form) with {@code fields}, as a browser would, and
     * follows the answer like {@link #login}.
     */
    public Result submit(String page, Map<String, String> fields) {
        if (flow == null) {
            throw new IllegalStateException("no login in progress");
        }
        Matcher action = Pattern.compile("<form[^>]*action=\"([^\"]+)\"").matcher(page);
        if (!action.find()) {
            throw new AssertionError("No form on the page:\n" + page);
        }
        HttpResponse<String> posted = send(HttpRequest.newBuilder(onThisNode(URI.create(unescape(action.group(1)))))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
        return settle(posted);
    }

    /**
     * Follows Keycloak's own redirects (a required action, the next step) until a page, or the
     * client's redirect URI, whose code is then exchanged for tokens.
     */
    private Result settle(HttpResponse<String> answer) {
        for (int hops = 0; answer.statusCode() == 302; hops++) {
            String location = answer.headers().firstValue("Location").orElseThrow();
            if (flow != null && location.startsWith(flow.redirectUri())) {
                return exchange(location);
            }
            if (hops > 10) {
                throw new AssertionError("Too many redirects, last to " + location);
            }
            answer = send(HttpRequest.newBuilder(onThisNode(URI.create(location))).GET().build());
        }
        return new Result(answer.statusCode(), answer.body(), null, answer.headers().firstValue("Retry-After").orElse(null),
                answer.headers());
    }

    private Result exchange(String location) {
        String code = queryParam(URI.create(location), "code")
                .orElseThrow(() -> new AssertionError("No code in " + location));
        Map<String, String> exchange = new LinkedHashMap<>();
        exchange.put("grant_type", "authorization_code");
        exchange.put("client_id", flow.clientId());
        exchange.put("code", code);
        exchange.put("redirect_uri", flow.redirectUri());
        exchange.put("code_verifier", flow.verifier());
        HttpResponse<String> tokens = send(HttpRequest.newBuilder(
                baseUrl.resolve("/realms/" + AdminApi.enc(flow.realm()) + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(exchange))).build());
        if (tokens.statusCode() != 200) {
            return new Result(tokens.statusCode(), tokens.body(), null);
        }
        return new Result(200, null, new AdminApi.Response(200, tokens.body()).json());
    }

    /** A refresh-token grant, possibly against another node of the cluster. */
    public static AdminApi.Response refresh(URI nodeBaseUrl, String realm, String clientId, String refreshToken) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        Map<String, String> body = new LinkedHashMap<>();
        body.put("grant_type", "refresh_token");
        body.put("client_id", clientId);
        body.put("refresh_token", refreshToken);
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                    nodeBaseUrl.resolve("/realms/" + AdminApi.enc(realm) + "/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form(body))).build(), HttpResponse.BodyHandlers.ofString());
            return new AdminApi.Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Follows a link of the login page (e.g. {@code /login-actions/registration} or
     * {@code /login-actions/reset-credentials}) and posts {@code fields} to the form on the page
     * it leads to, as a browser would. Returns the answer to that post.
     */
    public Result submitLinkedForm(String realm, String clientId, String redirectUri, String linkPath,
                                   Map<String, String> fields) {
        HttpResponse<String> posted = postLinkedForm(realm, clientId, redirectUri, linkPath, fields);
        return new Result(posted.statusCode(), posted.body(), null, posted.headers().firstValue("Retry-After").orElse(null),
                posted.headers());
    }

    /** Like {@link #submitLinkedForm}, then follows Keycloak's redirects like {@link #login}. */
    public Result submitLinkedFormAndFollow(String realm, String clientId, String redirectUri, String linkPath,
                                            Map<String, String> fields) {
        return settle(postLinkedForm(realm, clientId, redirectUri, linkPath, fields));
    }

    private HttpResponse<String> postLinkedForm(String realm, String clientId, String redirectUri, String linkPath,
                                                Map<String, String> fields) {
        String verifier = random() + random();
        flow = new Flow(realm, clientId, redirectUri, verifier);
        HttpResponse<String> login = openLoginPage(realm, clientId, redirectUri, challenge(verifier));
        Matcher link = Pattern.compile("href=\"([^\"]*" + Pattern.quote(linkPath) + "[^\"]*)\"").matcher(login.body());
        if (!link.find()) {
            throw new AssertionError("No link to " + linkPath + " on the login page");
        }
        HttpResponse<String> page = send(HttpRequest.newBuilder(onThisNode(URI.create(unescape(link.group(1))))).GET().build());
        Matcher action = Pattern.compile("<form[^>]*action=\"([^\"]+)\"").matcher(page.body());
        if (page.statusCode() != 200 || !action.find()) {
            return page;
        }
        return send(HttpRequest.newBuilder(onThisNode(URI.create(unescape(action.group(1)))))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(fields))).build());
    }

    private URI onThisNode(URI target) {
        return target.isAbsolute()
                ? baseUrl.resolve(target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()))
                : baseUrl.resolve(target);
    }

    /** The login form's action URL on a page, if the page has the login form. */
    public static Optional<String> formAction(String html) {
        Matcher form = LOGIN_FORM.matcher(html);
        if (!form.find()) {
            return Optional.empty();
        }
        Matcher action = ACTION.matcher(form.group());
        return action.find() ? Optional.of(unescape(action.group(1))) : Optional.empty();
    }

    private HttpResponse<String> send(HttpRequest request) {
        if (!extraHeaders.isEmpty()) {
            HttpRequest.Builder copy = HttpRequest.newBuilder(request, (n, v) -> true);
            extraHeaders.forEach(copy::header);
            request = copy.build();
        }
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Optional<String> queryParam(URI uri, String name) {
        if (uri.getRawQuery() == null) {
            return Optional.empty();
        }
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return Optional.of(java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    public static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> AdminApi.enc(e.getKey()) + "=" + AdminApi.enc(e.getValue()))
                .collect(Collectors.joining("&"));
    }

    private static String challenge(String verifier) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String random() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String unescape(String html) {
        return html.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&lt;", "<").replace("&gt;", ">");
    }
}
