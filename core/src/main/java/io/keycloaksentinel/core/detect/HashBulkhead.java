package io.keycloaksentinel.core.detect;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The password hashes a node spends on requests not known to be safe, bounded: at most
 * {@code permits} of them at once, each waiting at most {@code waitMillis} for its turn. A
 * returning user's check (a known device on a known network) never enters it, so it never queues
 * behind a flood of bots' hashes, before or after any attack is detected. At most
 * {@value #WAITERS_PER_PERMIT} checks per permit wait (each holds a server worker thread while it
 * waits); beyond that a check is refused at once. One per node, shared by every realm;
 * {@link #OFF} lets every check through.
 */
public final class HashBulkhead {

    /** Lets every check through (permits 0). */
    public static final HashBulkhead OFF = new HashBulkhead(0, 0);

    private final int permits;
    private final long waitMillis;
    private final Semaphore free;
    private final LongAdder entered = new LongAdder();
    private final LongAdder waited = new LongAdder();
    private final LongAdder refused = new LongAdder();

    /** Most checks waiting per permit: beyond it a check is refused at once, so a flood never ties up the server's worker threads. */
    static final int WAITERS_PER_PERMIT = 4;

    public HashBulkhead(int permits, long waitMillis) {
        if (permits < 0 || waitMillis < 0) {
            throw new IllegalArgumentException("permits and waitMillis must not be negative");
        }
        this.permits = permits;
        this.waitMillis = waitMillis;
        this.free = new Semaphore(Math.max(permits, 1), true);
    }

    public boolean on() {
        return permits > 0;
    }

    /** A turn in the bulkhead; closing it frees the turn. */
    public interface Turn extends AutoCloseable {
        /** Whether the check waited for its turn. */
        boolean waited();

        @Override
        void close();
    }

    /** A turn that holds nothing: for a check that does not enter the bulkhead. */
    public static final Turn FREE = new Turn() {
        @Override
        public boolean waited() {
            return false;
        }

        @Override
        public void close() {
        }
    };

    /**
     * A turn for one hash: at once when one is free, else after waiting at most {@code waitMillis};
     * null when none came (the check must be refused without a hash). Off: always a turn.
     */
    public Turn enter() {
        if (!on()) {
            return FREE;
        }
        try {
            // the untimed tryAcquire() would jump the queue; a timed one of 0 respects the waiters' order
            if (free.tryAcquire(0, TimeUnit.MILLISECONDS)) {
                entered.increment();
                return turn(false);
            }
            if (waitMillis > 0 && free.getQueueLength() < permits * WAITERS_PER_PERMIT
                    && free.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
                entered.increment();
                waited.increment();
                return turn(true);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        refused.increment();
        return null;
    }

    private Turn turn(boolean didWait) {
        return new Turn() {
            private boolean closed;

            @Override
            public boolean waited() {
                return didWait;
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    free.release();
                }
            }
        };
    }

    public int permits() {
        return permits;
    }

    public long waitMillis() {
        return waitMillis;
    }

    /** Hashes running in the bulkhead now. */
    public int inUse() {
        return on() ? permits - free.availablePermits() : 0;
    }

    /** Checks waiting for a turn now. */
    public int queueLength() {
        return free.getQueueLength();
    }

    public long entered() {
        return entered.sum();
    }

    public long waited() {
        return waited.sum();
    }

    public long refused() {
        return refused.sum();
    }
}
