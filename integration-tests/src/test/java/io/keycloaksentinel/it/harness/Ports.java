package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on loopback, so tests never collide with a developer's Keycloak on 8080. Taken
 * from 20000-31999, below Linux's ephemeral range (32768-60999): a port the OS hands to an
 * outgoing connection (the botnet tests open thousands) can then never steal a server's port
 * between this check and the server's bind.
 */
public final class Ports {

    private static final int FIRST = 20_000;
    private static final int LAST = 31_999;

    private Ports() {
    }

    public static int free() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(FIRST, LAST + 1);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                return socket.getLocalPort();
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("No free port on loopback in " + FIRST + "-" + LAST);
    }
}
