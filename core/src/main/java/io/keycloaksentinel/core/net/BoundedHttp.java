package io.keycloaksentinel.core.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls to a remote service on the login path (a CAPTCHA vendor, the Have I Been Pwned API),
 * bounded so that a slow, dead or hostile service cannot hold a login thread or fill the heap:
 * one deadline for connecting, sending and reading the whole body, a cap on the body's size (the
 * download is cancelled past it), no redirects (a redirect could send a secret elsewhere), and
 * only to public addresses, checked at the call ({@link OutboundPolicy}).
 * Every failure is one checked {@link Failure} with a short reason fit for a log line; a reply
 * other than 200 is a failure too, and its body is never downloaded.
 */
public final class BoundedHttp {

    /** An upper bound only: the per-call deadline is usually shorter. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** Shared by every caller (it pools connections); honours -Dhttps.proxyHost and friends. */
    private static final HttpClient CLIENT = client();

    private BoundedHttp() {
    }

    private static HttpClient client() {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT);
        ProxySelector proxies = ProxySelector.getDefault();
        if (proxies != null) {
            builder.proxy(proxies);
        }
        return builder.build();
    }

    /**
     * A request to {@code url} carrying the call's deadline as its own timeout (headers and method
     * are the caller's), or empty when {@code url} is not an absolute http(s) URL.
     */
    public static Optional<HttpRequest.Builder> request(String url, int timeoutMillis) {
        try {
            return Optional.of(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMillis)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Sends {@code request} and returns the body of its 200 reply.
     *
     * @param maxBytes      the longest body accepted
     * @param timeoutMillis the deadline for the whole exchange
     * @throws Failure for a timeout, a connection failure, a status other than 200 or an oversize body
     */
    public static byte[] send(HttpRequest request, int maxBytes, int timeoutMillis) throws Failure {
        // where it goes, checked now (a saved host may resolve to a private address by the time it is called)
        Optional<String> refused = OutboundPolicy.refusal(request.uri().toString(), timeoutMillis);
        if (refused.isPresent()) {
            throw new Failure("refused: " + refused.get());
        }
        CompletableFuture<HttpResponse<byte[]>> call;
        try {
            call = CLIENT.sendAsync(request, info -> info.statusCode() == 200
                    ? new LimitedBody(maxBytes) : new LimitedBody(0));
        } catch (RuntimeException e) {
            throw new Failure("unreachable");
        }
        HttpResponse<byte[]> response;
        try {
            // one deadline for everything: the request timeout alone stops at the headers
            response = call.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new Failure("timeout");
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        } catch (ExecutionException e) {
            throw new Failure(reason(e.getCause()));
        } catch (RuntimeException e) {
            throw new Failure("unreachable");
        }
        if (response.statusCode() != 200) {
            throw new Failure(response.statusCode());
        }
        return response.body();
    }

    private static String reason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ReplyTooLarge) {
                return "reply too large";
            }
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return "connect timeout";
        }
        if (cause instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (cause instanceof ConnectException) {
            return "unreachable";
        }
        return "i/o error";
    }

    /** A failed call; the message is a short reason (no URL, no body). */
    public static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final int status;

        public Failure(String reason) {
            super(reason, null, false, false);
            this.status = 0;
        }

        /** A reply with an HTTP status other than 200 (its body not read). */
        public Failure(int status) {
            super("status " + status, null, false, false);
            this.status = status;
        }

        /** The HTTP status of the reply, 0 when none came (timeout, connection failure, oversize body). */
        public int status() {
            return status;
        }

        /** True when the reply came but was too long. */
        public boolean tooLarge() {
            return "reply too large".equals(getMessage());
        }
    }

    /** The reply body was longer than allowed. */
    private static final class ReplyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        ReplyTooLarge() {
            super("reply too large");
        }
    }

    /** Collects a reply body of at most {@code limit} bytes, cancelling the download past it. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        LimitedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (limit == 0) {
                // a reply we will not read: drop the connection rather than download it
                s.cancel();
                body.complete(new byte[0]);
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (buffer.remaining() > limit - bytes.size()) {
                    subscription.cancel();
                    body.completeExceptionally(new ReplyTooLarge());
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            body.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
