package io.keycloaksentinel.it.harness;

/** Whether this host can run the container runtime ({@code -Dit.runtime=container}). */
public final class ContainerRuntime {

    private ContainerRuntime() {
    }

    public static boolean dockerAvailable() {
        return ContainerServer.dockerAvailable();
    }

    /** Fails with a message naming the fix when no Docker engine answers. */
    public static void requireDocker() {
        ContainerServer.requireDocker();
    }
}
