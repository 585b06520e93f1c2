package io.keycloaksentinel.it.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A local Pwned Passwords range API as documented ({@code GET /range/<5 hex>} answers
 * {@code SUFFIX:COUNT} lines; {@code Add-Padding: true} adds count-0 entries), serving the
 * passwords a test declares breached. {@link #failWith(int)} turns it into a failing service.
 */
public final class FakePwnedPasswords implements AutoCloseable {

    private final Map<String, Long> corpus = new ConcurrentHashMap<>();
    /** The paths asked, to check that only a five-digit prefix ever left the server. */
    public final List<String> paths = new CopyOnWriteArrayList<>();
    private volatile int failStatus;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final HttpServer server;

    public FakePwnedPasswords() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public FakePwnedPasswords breached(String password, long count) {
        corpus.put(sha1Hex(password), count);
        return this;
    }

    /** From now on every request is answered with this status (0: answer normally again). */
    public void failWith(int status) {
        failStatus = status;
    }

    public static String sha1Hex(String password) {
        try {
            return HexFormat.of().withUpperCase().formatHex(
                    MessageDigest.getInstance("SHA-1").digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        paths.add(path);
        int status = failStatus != 0 ? failStatus : path.matches("/range/[0-9A-F]{5}") ? 200 : 400;
        StringBuilder body = new StringBuilder();
        if (status == 200) {
            String prefix = path.substring(7);
            Map<String, Long> lines = new TreeMap<>();
            corpus.forEach((hash, count) -> {
                if (hash.startsWith(prefix)) {
                    lines.put(hash.substring(5), count);
                }
            });
            if ("true".equals(exchange.getRequestHeaders().getFirst("Add-Padding"))) {
                for (int i = 0; i < 3; i++) {
                    lines.putIfAbsent(String.format("%035X", 0xABCL + i), 0L);
                }
            }
            lines.forEach((suffix, count) -> body.append(suffix).append(':').append(count).append("\r\n"));
        } else {
            body.append("error");
        }
        byte[] bytes = body.toString().getBytes(StandardCharsets.US_ASCII);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
