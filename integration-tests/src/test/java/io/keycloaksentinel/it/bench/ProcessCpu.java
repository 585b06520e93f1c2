package io.keycloaksentinel.it.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CPU time of a server process and its descendants (kc.sh forks the JVM), from
 * {@code /proc/<pid>/stat}: fields 14 and 15 (utime, stime) in clock ticks, 100 a second on
 * Linux ({@code getconf CLK_TCK}), so a reading is good to 10 ms. Linux only.
 */
final class ProcessCpu {

    /** Clock ticks a second; {@code getconf CLK_TCK} is 100 on every Linux this runs on. */
    static final long TICKS_PER_SECOND = Long.getLong("bench.clk.tck", 100);

    private final long pid;
    private final boolean descendants;

    /** The process {@code pid} and its descendants (a server: kc.sh and its JVM). */
    ProcessCpu(long pid) {
        this(pid, true);
    }

    private ProcessCpu(long pid, boolean descendants) {
        this.pid = pid;
        this.descendants = descendants;
    }

    /** This JVM alone (the test JVM: its descendants are the servers it started). */
    static ProcessCpu self() {
        return new ProcessCpu(ProcessHandle.current().pid(), false);
    }

    /** User + system CPU milliseconds used so far by the process (and its living descendants, if counted). */
    double millis() {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        if (descendants) {
            ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        }
        long ticks = 0;
        for (long p : pids) {
            ticks += ticks(p);
        }
        return ticks * 1000.0 / TICKS_PER_SECOND;
    }

    /** The JVM's pid (the descendant running java), for the log. */
    long javaPid() {
        return ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants)
                .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(pid);
    }

    private static long ticks(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException gone) {
            return 0; // exited between the listing and the read
        }
        // "pid (comm) state ppid ...": comm may hold spaces, so count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}
