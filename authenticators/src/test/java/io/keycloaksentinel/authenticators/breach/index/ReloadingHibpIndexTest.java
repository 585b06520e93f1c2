package io.keycloaksentinel.authenticators.breach.index;

import static io.keycloaksentinel.authenticators.breach.index.Corpora.corpus;
import static io.keycloaksentinel.authenticators.breach.index.Corpora.sha1;
import static io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex.Lookup.LISTED;
import static io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex.Lookup.NOT_LISTED;
import static io.keycloaksentinel.authenticators.breach.index.ReloadingHibpIndex.Lookup.UNAVAILABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingHibpIndexTest {

    private static final Duration EVERY = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private final AtomicLong clock = new AtomicLong(1_000_000);

    /** Checks run on the looking-up thread, so that a test sees their effect at once. */
    private ReloadingHibpIndex reloading(Path file) {
        return new ReloadingHibpIndex(file, EVERY, clock::get, Runnable::run);
    }

    /** Writes an index of these passwords to file (temporary file + rename, as the converter does). */
    private static void index(Path file, String... passwords) throws Exception {
        Corpora.convert(corpus().passwords(List.of(passwords)).text(), file);
    }

    private void pass(Duration duration) {
        clock.addAndGet(duration.toMillis());
    }

    @Test
    @DisplayName("A valid file is served: LISTED, NOT LISTED, and what it holds")
    void serves() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "password", "123456");
        try (ReloadingHibpIndex idx = reloading(file)) {
            assertThat(idx.lookup(sha1("password"))).isEqualTo(LISTED);
            assertThat(idx.lookup(sha1("correct horse battery staple"))).isEqualTo(NOT_LISTED);
            assertThat(idx.info()).hasValueSatisfying(info -> {
                assertThat(info.entries()).isEqualTo(2);
                assertThat(info.path()).isEqualTo(file.toAbsolutePath());
            });
            assertThatThrownBy(() -> idx.lookup(new byte[16])).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    @DisplayName("No file: UNAVAILABLE; once one is written it is served after the check interval")
    void noFileYet() throws Exception {
        Path file = dir.resolve("pwned.idx");
        try (ReloadingHibpIndex idx = reloading(file)) {
            assertThat(idx.lookup(sha1("password"))).isEqualTo(UNAVAILABLE);
            assertThat(idx.info()).isEmpty();
            index(file, "password");
            pass(EVERY.minusSeconds(1));
            assertThat(idx.lookup(sha1("password"))).isEqualTo(UNAVAILABLE);
            pass(Duration.ofSeconds(1));
            assertThat(idx.lookup(sha1("password"))).isEqualTo(LISTED);
        }
    }

    @Test
    @DisplayName("A replaced file is served after the check interval, not before")
    void replaced() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "old-password");
        try (ReloadingHibpIndex idx = reloading(file)) {
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(LISTED);
            index(file, "new-password");
            pass(Duration.ofSeconds(10));
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(NOT_LISTED);
            pass(EVERY);
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(LISTED);
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(NOT_LISTED);
        }
    }

    @Test
    @DisplayName("A corrupt replacement is refused and the old index stays in service; a valid one after it is served")
    void corruptReplacement() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "old-password");
        try (ReloadingHibpIndex idx = reloading(file)) {
            Path other = dir.resolve("other.idx");
            index(other, "new-password", "another");
            byte[] bytes = Files.readAllBytes(other);
            bytes[bytes.length - 3] ^= 1;
            Path corrupt = dir.resolve("corrupt.tmp");
            Files.write(corrupt, bytes);
            Files.move(corrupt, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            pass(EVERY);
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(LISTED);
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(NOT_LISTED);
            pass(EVERY);
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(LISTED);
            assertThat(idx.info()).hasValueSatisfying(info -> assertThat(info.entries()).isEqualTo(1));
            Files.move(other, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            pass(EVERY);
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(LISTED);
        }
    }

    @Test
    @DisplayName("A truncated replacement (a copy in progress) is refused; when the copy completes it is served")
    void copyInProgress() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "old-password");
        Path next = dir.resolve("next.idx");
        index(next, "new-password");
        byte[] complete = Files.readAllBytes(next);
        try (ReloadingHibpIndex idx = reloading(file)) {
            Path partial = dir.resolve("partial.tmp");
            Files.write(partial, java.util.Arrays.copyOf(complete, complete.length / 2));
            Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            pass(EVERY);
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(LISTED);
            Files.write(file, complete); // the same inode, now complete: size and time change
            pass(EVERY);
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(LISTED);
        }
    }

    @Test
    @DisplayName("A corrupt file at start: UNAVAILABLE, until a valid file replaces it")
    void corruptAtStart() throws Exception {
        Path file = dir.resolve("pwned.idx");
        Files.writeString(file, "not an index");
        try (ReloadingHibpIndex idx = reloading(file)) {
            assertThat(idx.lookup(sha1("password"))).isEqualTo(UNAVAILABLE);
            index(file, "password");
            pass(EVERY);
            assertThat(idx.lookup(sha1("password"))).isEqualTo(LISTED);
        }
    }

    @Test
    @DisplayName("A deleted file: the loaded index stays in service (its mapping outlives the name); a new file is picked up")
    void deleted() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "password");
        try (ReloadingHibpIndex idx = reloading(file)) {
            Files.delete(file);
            pass(EVERY);
            assertThat(idx.lookup(sha1("password"))).isEqualTo(LISTED);
            pass(EVERY);
            assertThat(idx.lookup(sha1("password"))).isEqualTo(LISTED);
            index(file, "other");
            pass(EVERY);
            assertThat(idx.lookup(sha1("other"))).isEqualTo(LISTED);
            assertThat(idx.lookup(sha1("password"))).isEqualTo(NOT_LISTED);
        }
    }

    @Test
    @DisplayName("After close every lookup is UNAVAILABLE")
    void closed() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "password");
        ReloadingHibpIndex idx = reloading(file);
        idx.close();
        assertThat(idx.lookup(sha1("password"))).isEqualTo(UNAVAILABLE);
        assertThat(idx.info()).isEmpty();
        idx.close();
    }

    @Test
    @DisplayName("With its own background thread, a replaced file is picked up shortly after the interval")
    void backgroundCheck() throws Exception {
        Path file = dir.resolve("pwned.idx");
        index(file, "old-password");
        try (ReloadingHibpIndex idx = new ReloadingHibpIndex(file, Duration.ofMillis(1), System::currentTimeMillis)) {
            assertThat(idx.lookup(sha1("old-password"))).isEqualTo(LISTED);
            index(file, "new-password");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (idx.lookup(sha1("new-password")) != LISTED && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(idx.lookup(sha1("new-password"))).isEqualTo(LISTED);
        }
    }

    @Test
    @DisplayName("Lookups running while the file is replaced again and again always get an answer from a whole index")
    void lookupsDuringReplacement() throws Exception {
        Path file = dir.resolve("pwned.idx");
        List<String> passwords = Corpora.passwords("stable-", 2_000);
        Corpora.convert(corpus().passwords(passwords).text(), file);
        try (ReloadingHibpIndex idx = new ReloadingHibpIndex(file, Duration.ZERO, System::currentTimeMillis)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Object> wrong = new AtomicReference<>();
            AtomicLong lookups = new AtomicLong();
            Thread reader = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    ReloadingHibpIndex.Lookup result = idx.lookup(sha1(passwords.get(i++ % passwords.size())));
                    lookups.incrementAndGet();
                    if (result != LISTED) {
                        wrong.compareAndSet(null, result);
                    }
                }
            });
            reader.start();
            for (int round = 0; round < 8; round++) {
                // the same passwords plus a different extra one each round: a different file every time
                Corpora.convert(corpus().passwords(passwords).passwords(List.of("extra-" + round)).text(), file);
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (idx.lookup(sha1("extra-" + round)) != LISTED && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(idx.lookup(sha1("extra-" + round))).isEqualTo(LISTED);
            }
            stop.set(true);
            reader.join();
            assertThat(wrong.get()).isNull();
            assertThat(lookups.get()).isPositive();
        }
    }
}
