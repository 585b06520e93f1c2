package io.keycloaksentinel.authenticators.breach.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * The server's view of the index file: one memory-mapped {@link HibpIndex}, replaced when the
 * file is.
 *
 * <ul>
 * <li>The constructor loads the file if it is there and valid (reading it once to check the
 *     checksum: about a second per few GB from disk, less from the page cache).</li>
 * <li>A lookup compares the clock with the next check time (one volatile read); at most once per
 *     {@code checkEvery} it hands a check to one background thread and goes on with the index it
 *     has. The check compares size, modification time and file key (inode) with the loaded
 *     file's; a changed file is opened and fully validated before it replaces the old index,
 *     which is unmapped once no lookup uses it.</li>
 * <li>A replacement that does not validate is logged once (per size, time and inode) and the old
 *     index stays in service. A deleted file is logged once and the old index stays in service
 *     (its mapping outlives the name): deleting the file does not switch the check off, the
 *     realm's policy does. {@link Lookup#UNAVAILABLE} only when no valid index was ever loaded
 *     (or after {@link #close()}).</li>
 * </ul>
 *
 * Replace the file by writing a new one next to it and renaming it over the old one (the
 * converter does exactly that; so does {@code mv}). Never copy over it in place ({@code cp},
 * {@code rsync --inplace}): that changes the pages under the mapping, and a read of a page past
 * the new end of the file makes the JVM raise {@link InternalError}. A lookup turns such a fault
 * into {@link Lookup#UNAVAILABLE} and drops the index, but the JVM may raise it a few
 * instructions after the faulting read, i.e. in the caller; the next check (at most
 * {@code checkEvery} later) loads the new content.
 */
public final class ReloadingHibpIndex implements AutoCloseable {

    public enum Lookup { LISTED, NOT_LISTED, UNAVAILABLE }

    private static final Logger LOG = Logger.getLogger(ReloadingHibpIndex.class);

    private record Stamp(long size, FileTime modified, Object fileKey) {
    }

    private record Loaded(HibpIndex index, Stamp stamp) {
    }

    private final Path file;
    private final long checkEveryMillis;
    private final LongSupplier clock;
    private final Executor executor;
    private final ExecutorService ownExecutor;
    private final AtomicBoolean checkPending = new AtomicBoolean();
    private final AtomicBoolean faultReported = new AtomicBoolean();
    private volatile Loaded current;
    private volatile long nextCheckAt;
    private volatile boolean closed;
    // only the checking thread (one at a time) touches these
    private Stamp rejected;
    private boolean missingReported;

    /**
     * @param file the index file (need not exist yet)
     * @param checkEvery how often at most a lookup may trigger a look at the file
     * @param clockMillis the clock for that interval (System::currentTimeMillis)
     */
    public ReloadingHibpIndex(Path file, Duration checkEvery, LongSupplier clockMillis) {
        this(file, checkEvery, clockMillis, null);
    }

    /** With executor null, checks run on one daemon thread owned by this object. */
    ReloadingHibpIndex(Path file, Duration checkEvery, LongSupplier clockMillis, Executor executor) {
        this.file = file.toAbsolutePath();
        this.checkEveryMillis = Math.max(0, checkEvery.toMillis());
        this.clock = clockMillis;
        if (executor == null) {
            ownExecutor = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "sentinel-hibp-index-check");
                thread.setDaemon(true);
                return thread;
            });
            this.executor = ownExecutor;
        } else {
            ownExecutor = null;
            this.executor = executor;
        }
        check();
        nextCheckAt = clock.getAsLong() + checkEveryMillis;
    }

    /**
     * @param sha1 the 20-byte SHA-1 of the password's UTF-8 bytes
     * @throws IllegalArgumentException unless sha1 has 20 bytes
     */
    public Lookup lookup(byte[] sha1) {
        long top = HibpIndex.top64(sha1);
        maybeScheduleCheck();
        Loaded loaded = current;
        try {
            for (int attempt = 0; attempt < 3 && loaded != null; attempt++) {
                int result = loaded.index().probe(top);
                if (result >= 0) {
                    return result == 1 ? Lookup.LISTED : Lookup.NOT_LISTED;
                }
                // replaced and closed since it was read: take the new one
                loaded = current;
            }
            return Lookup.UNAVAILABLE;
        } catch (InternalError e) {
            // how the JVM reports a page fault in a mapping whose file was truncated in place; in
            // compiled code it may surface a little later, so this catches most, not all, of them
            if (loaded != null) {
                fault(loaded);
            }
            return Lookup.UNAVAILABLE;
        }
    }

    /** What the index in service holds, if there is one. */
    public Optional<HibpIndex.Info> info() {
        Loaded loaded = current;
        return loaded == null ? Optional.empty() : Optional.of(loaded.index().info());
    }

    private void maybeScheduleCheck() {
        long now = clock.getAsLong();
        if (now - nextCheckAt >= 0 && !closed && checkPending.compareAndSet(false, true)) {
            nextCheckAt = now + checkEveryMillis;
            try {
                executor.execute(() -> {
                    try {
                        check();
                    } finally {
                        checkPending.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                checkPending.set(false);
            }
        }
    }

    private void fault(Loaded loaded) {
        if (faultReported.compareAndSet(false, true)) {
            LOG.errorf("The breached-password index %s changed under its memory mapping (was it copied over in place?"
                    + " replace it by renaming a new file over it); lookups report UNAVAILABLE until a valid file is loaded",
                    file);
        }
        synchronized (this) {
            if (current == loaded) {
                current = null;
            }
        }
        loaded.index().close();
        nextCheckAt = clock.getAsLong();
    }

    private void check() {
        Stamp stamp;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            stamp = new Stamp(attributes.size(), attributes.lastModifiedTime(), attributes.fileKey());
        } catch (NoSuchFileException e) {
            if (!missingReported) {
                missingReported = true;
                Loaded loaded = current;
                if (loaded == null) {
                    LOG.warnf("No breached-password index at %s; lookups against it report UNAVAILABLE until one is written",
                            file);
                } else {
                    LOG.warnf("The breached-password index %s was deleted; still serving the index loaded from it"
                            + " (%d entries, created %s)", file, loaded.index().info().entries(),
                            loaded.index().info().createdAt());
                }
            }
            return;
        } catch (IOException e) {
            if (!missingReported) {
                missingReported = true;
                LOG.warnf("Cannot read the attributes of the breached-password index %s: %s", file, e.toString());
            }
            return;
        }
        missingReported = false;
        Loaded loaded = current;
        if ((loaded != null && loaded.stamp().equals(stamp)) || stamp.equals(rejected)) {
            return;
        }
        HibpIndex index;
        try {
            index = HibpIndex.open(file);
        } catch (IndexFormatException | IOException e) {
            rejected = stamp;
            String message = e instanceof IndexFormatException ? e.getMessage() : file + ": " + e;
            if (loaded == null) {
                LOG.warnf("Breached-password index not loaded: %s; lookups against it report UNAVAILABLE", message);
            } else {
                LOG.warnf("Breached-password index not reloaded: %s; still serving the one created %s",
                        message, loaded.index().info().createdAt());
            }
            return;
        }
        synchronized (this) {
            if (closed) {
                index.close();
                return;
            }
            loaded = current;
            current = new Loaded(index, stamp);
        }
        rejected = null;
        faultReported.set(false);
        if (loaded != null) {
            loaded.index().close();
        }
        HibpIndex.Info info = index.info();
        LOG.infof("Breached-password index %s loaded: %d entries with a count of at least %d, created %s,"
                + " %d bytes, false-positive rate %.2g", file, info.entries(), info.minCount(), info.createdAt(),
                info.fileBytes(), info.falsePositiveRate());
    }

    /** Stops checking and unmaps the index once no lookup uses it; lookups then report UNAVAILABLE. */
    @Override
    public void close() {
        Loaded loaded;
        synchronized (this) {
            closed = true;
            loaded = current;
            current = null;
        }
        if (loaded != null) {
            loaded.index().close();
        }
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }
}
