package io.keycloaksentinel.authenticators.breach.source;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A local stand-in for the Pwned Passwords range API as its documentation describes it: {@code GET
 * /range/<5 hex>} answers the suffixes of that range as {@code SUFFIX:COUNT} lines (CRLF), and
 * with {@code Add-Padding: true} adds entries with count 0.
 */
final class FakeRangeApi implements AutoCloseable {

    record Request(String path, Map<String, List<String>> headers) {
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    /** Full upper-case SHA-1 hex to count. */
    private final Map<String, Long> corpus = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    /** Replaces the documented reply (status, body) for one test; null answers as documented. */
    volatile Function<String, Object[]> override;
    volatile long delayMillis;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final HttpServer server;

    FakeRangeApi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeRangeApi breached(String password, long count) {
        corpus.put(PasswordDigest.hex(PasswordDigest.sha1(password)), count);
        return this;
    }

    /** A padding entry (count 0) for exactly this password's hash. */
    FakeRangeApi padded(String password) {
        corpus.put(PasswordDigest.hex(PasswordDigest.sha1(password)), 0L);
        return this;
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        requests.add(new Request(path, Map.copyOf(exchange.getRequestHeaders())));
        try {
            if (delayMillis > 0) {
                release.await(delayMillis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int status = 200;
        String body;
        Function<String, Object[]> o = override;
        if (o != null) {
            Object[] reply = o.apply(path);
            status = (Integer) reply[0];
            body = (String) reply[1];
        } else if (!path.matches("/range/[0-9A-Fa-f]{5}")) {
            status = 400;
            body = "The hash prefix was not in a valid format";
        } else {
            String prefix = path.substring(7).toUpperCase();
            Map<String, Long> lines = new TreeMap<>();
            corpus.forEach((hash, count) -> {
                if (hash.startsWith(prefix)) {
                    lines.put(hash.substring(5), count);
                }
            });
            List<String> padding = exchange.getRequestHeaders().get("Add-Padding");
            if (padding != null && padding.contains("true")) {
                for (int i = 0; i < 5; i++) { // filler with count 0, as the service pads
                    lines.putIfAbsent(String.format("%035X", 0x1000L + i), 0L);
                }
            }
            StringBuilder b = new StringBuilder();
            lines.forEach((suffix, count) -> b.append(suffix).append(':').append(count).append("\r\n"));
            body = b.toString();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try {
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        } catch (IOException e) {
            // the client gave up (a timeout test)
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
