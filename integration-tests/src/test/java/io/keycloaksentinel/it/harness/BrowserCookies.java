package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.net.CookieHandler;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.HttpCookie;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Cookies kept the way a browser keeps them. Java's {@link CookieManager} never sends a
 * {@code Secure} cookie over plain HTTP; browsers do for loopback hosts (they count as secure
 * contexts), and Keycloak marks its login cookies {@code Secure; SameSite=None}. Without this a
 * test on http://127.0.0.1 would lose the login session between the page and the form post.
 */
final class BrowserCookies extends CookieHandler {

    private final CookieManager manager = new CookieManager(null, CookiePolicy.ACCEPT_ALL);

    @Override
    public Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) throws IOException {
        if (!isLoopback(uri)) {
            return manager.get(uri, requestHeaders);
        }
        String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
        // the store's get(uri) drops Secure cookies for http: match domain and path ourselves
        String header = manager.getCookieStore().getCookies().stream()
                .filter(c -> !c.hasExpired())
                .filter(c -> c.getDomain() == null || c.getDomain().equalsIgnoreCase(uri.getHost())
                        || HttpCookie.domainMatches(c.getDomain(), uri.getHost()))
                .filter(c -> c.getPath() == null || path.startsWith(c.getPath()))
                .map(c -> c.getName() + "=" + c.getValue())
                .collect(Collectors.joining("; "));
        return header.isEmpty() ? Map.of() : Map.of("Cookie", List.of(header));
    }

    @Override
    public void put(URI uri, Map<String, List<String>> responseHeaders) throws IOException {
        manager.put(uri, responseHeaders);
    }

    List<HttpCookie> cookies() {
        return manager.getCookieStore().getCookies();
    }

    private static boolean isLoopback(URI uri) {
        String host = uri.getHost();
        return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
    }
}
