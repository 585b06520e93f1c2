package io.keycloaksentinel.authenticators.breach;

import io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex;
import io.keycloaksentinel.authenticators.breach.source.BreachChecker;
import java.nio.file.Path;
import java.time.Duration;

/** The server's offline HIBP index (memory-mapped, reloaded when its file is replaced) as a breach source. */
final class OfflineIndex implements BreachChecker.IndexSource, AutoCloseable {

    private final ReloadingHibpIndex index;

    private OfflineIndex(ReloadingHibpIndex index) {
        this.index = index;
    }

    static OfflineIndex open(Path file, Duration checkEvery) {
        return new OfflineIndex(new ReloadingHibpIndex(file, checkEvery, System::currentTimeMillis));
    }

    @Override
    public Boolean listed(byte[] sha1) {
        try {
            return switch (index.lookup(sha1)) {
                case LISTED -> Boolean.TRUE;
                case NOT_LISTED -> Boolean.FALSE;
                case UNAVAILABLE -> null;
            };
        } catch (InternalError e) {
            // a mapped file truncated in place (copied over instead of renamed): the JVM may raise
            // the page fault after the read, here; the index cannot answer, the login goes on
            return null;
        }
    }

    @Override
    public void close() throws Exception {
        index.close();
    }
}
