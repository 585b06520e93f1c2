package io.keycloaksentinel.core.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.http.HttpEntity;
import org.apache.http.client.config.CookieSpecs;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.conn.ConnectTimeoutException;
import org.apache.http.conn.ConnectionPoolTimeoutException;
import org.apache.http.entity.InputStreamEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.jboss.logging.Logger;

/**
 * Every outbound call Sentinel makes (a CAPTCHA vendor, the Have I Been Pwned API, an alert
 * webhook), bounded so that a slow, dead or hostile service cannot hold a thread or fill the heap:
 * one deadline for connecting, sending and reading the whole body (the exchange is aborted at it),
 * a cap on the body's size (the download is aborted past it), no redirects (a redirect could send
 * a secret elsewhere), no cookies, and only to public addresses, checked at the call
 * ({@link OutboundPolicy}).
 *
 * <p>The calls go through Keycloak's own HTTP client (its {@code HttpClientProvider}, handed over
 * once at start by {@link #useClient}), so the server's truststore, proxy mappings and connection
 * pool apply to them as to Keycloak's own calls; until then (unit tests, a server without that
 * provider) a client of our own with the JVM's system properties is used.
 *
 * <p>Every failure is one checked {@link Failure} with a short reason fit for a log line; a reply
 * other than 2xx is a failure too, and its body is never downloaded.
 */
public final class BoundedHttp {

    private static final Logger LOG = Logger.getLogger(BoundedHttp.class);

    /** Keycloak's client once handed over; ours until then. */
    private static volatile CloseableHttpClient client;

    /**
     * Calls in flight at once on this node: Keycloak's client pool (128 connections, 64 per host by
     * default) is shared with Keycloak's own calls, which a slow vendor must not starve; a call
     * beyond this share waits for a turn within its own deadline, then fails as "busy"
     * ({@link Failure#busy()}), which callers must never treat as a reason to let a request through.
     */
    static final int MAX_IN_FLIGHT = 16;
    private static final String BUSY = "busy";
    private static final java.util.concurrent.Semaphore IN_FLIGHT = new java.util.concurrent.Semaphore(MAX_IN_FLIGHT);

    /** Aborts the exchanges that pass their deadline (one daemon thread; aborting is cheap). */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private BoundedHttp() {
    }

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sentinel-http-deadlines");
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true);
        return pool;
    }

    /**
     * From now on, calls go through {@code keycloakClient} (the one of Keycloak's
     * {@code HttpClientProvider}: its truststore, proxy mappings and pool). Not closed here: it
     * belongs to Keycloak.
     */
    public static void useClient(CloseableHttpClient keycloakClient) {
        if (keycloakClient != null) {
            client = keycloakClient;
        }
    }

    private static CloseableHttpClient client() {
        CloseableHttpClient c = client;
        if (c == null) {
            synchronized (BoundedHttp.class) {
                c = client;
                if (c == null) {
                    c = HttpClientBuilder.create().useSystemProperties().disableRedirectHandling()
                            .disableCookieManagement().disableAutomaticRetries()
                            .setMaxConnPerRoute(MAX_IN_FLIGHT).setMaxConnTotal(MAX_IN_FLIGHT).build();
                    client = c;
                }
            }
        }
        return c;
    }

    /** A GET of {@code url}, or empty when {@code url} is not an absolute http(s) URL. */
    public static Optional<Call> get(String url) {
        return Call.of("GET", url, null);
    }

    /** A POST of {@code body} to {@code url}, or empty when {@code url} is not an absolute http(s) URL. */
    public static Optional<Call> post(String url, byte[] body) {
        return Call.of("POST", url, body.clone());
    }

    /**
     * Makes {@code call} and returns the body of its 2xx reply.
     *
     * @param maxBytes      the longest body accepted; 0 to read none (the reply's status is all that counts)
     * @param timeoutMillis the deadline for the whole exchange
     * @throws Failure for a refused address, a timeout, a connection failure, a status other than
     *                 2xx or an oversize body
     */
    public static byte[] send(Call call, int maxBytes, int timeoutMillis) throws Failure {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        // where it goes, checked now (a saved host may resolve to a private address by the time it is called)
        Optional<String> refused = OutboundPolicy.refusal(call.uri.toString(), timeoutMillis);
        if (refused.isPresent()) {
            throw new Failure("refused: " + refused.get());
        }
        // one deadline: the lookup above spent part of it
        int left = (int) TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) {
            throw new Failure("timeout");
        }
        try {
            if (!IN_FLIGHT.tryAcquire(left, TimeUnit.MILLISECONDS)) {
                throw new Failure(BUSY);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(BUSY);
        }
        left = (int) TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left <= 0) {
            IN_FLIGHT.release();
            throw new Failure("timeout");
        }
        try {
            return exchange(call, maxBytes, left);
        } finally {
            IN_FLIGHT.release();
        }
    }

    private static byte[] exchange(Call call, int maxBytes, int timeoutMillis) throws Failure {
        HttpRequestBase request = call.toRequest(timeoutMillis);
        AtomicBoolean late = new AtomicBoolean();
        ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
            late.set(true);
            request.abort();
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        try (CloseableHttpResponse response = client().execute(request)) {
            int status = response.getStatusLine().getStatusCode();
            if (status < 200 || status > 299) {
                // a reply we will not read: drop the connection rather than download it
                request.abort();
                throw new Failure(status);
            }
            if (maxBytes == 0) {
                request.abort();
                return new byte[0];
            }
            return read(response.getEntity(), maxBytes, request);
        } catch (Failure e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new Failure(late.get() ? "timeout" : reason(e));
        } finally {
            deadline.cancel(false);
        }
    }

    private static byte[] read(HttpEntity entity, int maxBytes, HttpRequestBase request) throws IOException, Failure {
        if (entity == null) {
            return new byte[0];
        }
        if (entity.getContentLength() > maxBytes) {
            request.abort();
            throw new Failure("reply too large");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        InputStream in = entity.getContent();
        try {
            for (int n; (n = in.read(chunk)) != -1; ) {
                if (bytes.size() + n > maxBytes) {
                    throw new Failure("reply too large");
                }
                bytes.write(chunk, 0, n);
            }
        } catch (IOException | Failure | RuntimeException e) {
            // dropped before the stream is closed: closing would read (and discard) the rest of the body
            request.abort();
            throw e;
        }
        in.close();
        return bytes.toByteArray();
    }

    private static String reason(Exception e) {
        if (e instanceof ConnectTimeoutException) {
            return "connect timeout";
        }
        if (e instanceof ConnectionPoolTimeoutException || e instanceof SocketTimeoutException
                || e instanceof InterruptedIOException) {
            return "timeout";
        }
        if (e instanceof ConnectException || e instanceof UnknownHostException) {
            return "unreachable";
        }
        if (e instanceof IOException) {
            return "i/o error";
        }
        LOG.debugf("Sentinel: outbound call failed: %s", e.getClass().getName());
        return "unreachable";
    }

    /** One outbound request: method, absolute http(s) URL, headers and (for a POST) body. */
    public static final class Call {
        private final String method;
        private final URI uri;
        private final byte[] body;
        private final Map<String, String> headers = new LinkedHashMap<>();

        private Call(String method, URI uri, byte[] body) {
            this.method = method;
            this.uri = uri;
            this.body = body;
        }

        static Optional<Call> of(String method, String url, byte[] body) {
            try {
                URI uri = URI.create(url);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                    return Optional.empty();
                }
                return Optional.of(new Call(method, uri, body));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }

        /** Sets a request header (a name or value with a line break is refused, never sent). */
        public Call header(String name, String value) {
            if (name.indexOf('\r') >= 0 || name.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("line break in a header");
            }
            headers.put(name, value);
            return this;
        }

        /** Where it goes. */
        public URI uri() {
            return uri;
        }

        HttpRequestBase toRequest(int timeoutMillis) {
            HttpRequestBase request;
            if ("POST".equals(method)) {
                HttpPost post = new HttpPost(uri);
                // not repeatable: a retry policy of Keycloak's client never sends a single-use token or a webhook twice
                post.setEntity(new InputStreamEntity(new java.io.ByteArrayInputStream(body), body.length));
                request = post;
            } else {
                request = new HttpGet(uri);
            }
            headers.forEach(request::setHeader);
            // the call's own settings (not the client's defaults): the route, with Keycloak's proxy mappings, is the client's
            request.setConfig(RequestConfig.custom()
                    .setConnectTimeout(timeoutMillis)
                    .setConnectionRequestTimeout(timeoutMillis)
                    .setSocketTimeout(timeoutMillis)
                    .setRedirectsEnabled(false)
                    .setCookieSpec(CookieSpecs.IGNORE_COOKIES)
                    // the cap counts the bytes that arrive; an unasked compressed reply is garbage to the caller
                    .setContentCompressionEnabled(false)
                    .build());
            return request;
        }
    }

    /** A failed call; the message is a short reason (no URL, no body). */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        public Failure(String reason) {
            super(reason, null, false, false);
            this.status = 0;
        }

        /** A reply with an HTTP status other than 2xx (its body not read). */
        public Failure(int status) {
            super("status " + status, null, false, false);
            this.status = status;
        }

        /** The HTTP status of the reply, 0 when none came (timeout, connection failure, oversize body). */
        public int status() {
            return status;
        }

        /** True when the call was not made because this node's outbound calls were all in flight until its deadline. */
        public boolean busy() {
            return BUSY.equals(getMessage());
        }

        /** True when the call was not made: its address is not one calls may go to ({@link OutboundPolicy}). */
        public boolean refused() {
            return getMessage().startsWith("refused: ");
        }

        /** True when the reply came but was too long. */
        public boolean tooLarge() {
            return "reply too large".equals(getMessage());
        }
    }
}
