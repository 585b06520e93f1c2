package io.keycloaksentinel.it.harness;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every process the harness starts is registered here, so that none outlives the test JVM:
 * a shutdown hook stops whatever a failed or interrupted run left behind. Processes are stopped
 * by their own PID and their descendants' (kc.sh may fork the JVM), never by name.
 */
public final class Processes {

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Processes::stopAll, "sentinel-it-reaper"));
    }

    private Processes() {
    }

    public static Process register(Process process) {
        RUNNING.add(process);
        return process;
    }

    /** SIGTERM to the process tree, then SIGKILL to whatever is still alive after {@code grace}. */
    public static void stop(Process process, Duration grace) {
        if (process == null) {
            return;
        }
        List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle handle : tree) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                handle.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception timeout) {
                // falls through to the forced kill below
            }
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        RUNNING.remove(process);
    }

    /** SIGKILL to the process tree at once, as a crash: no shutdown hook runs. */
    public static void kill(Process process) {
        List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception stillAlive) {
                // reported by the caller's next request
            }
        }
        RUNNING.remove(process);
    }

    static void stopAll() {
        for (Process p : List.copyOf(RUNNING)) {
            stop(p, Duration.ofSeconds(10));
        }
    }
}
