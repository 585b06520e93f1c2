package io.keycloaksentinel.it.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two Keycloak nodes forming one Infinispan cluster on loopback: a shared database (JGroups
 * discovers members through it, the default {@code jdbc-ping} stack), the embedded Infinispan
 * transport bound to 127.0.0.1, a node name each, and one public hostname so that a token
 * issued by one node is valid on the other (as behind a load balancer). The same options are in
 * docker/compose.yml.
 */
public final class KeycloakCluster implements AutoCloseable {

    private final H2TcpServer database;
    private final List<KeycloakNode> nodes;

    private KeycloakCluster(H2TcpServer database, List<KeycloakNode> nodes) {
        this.database = database;
        this.nodes = nodes;
    }

    public static KeycloakCluster start(String... nodeNames) {
        if (!"distribution".equals(Settings.runtime())) {
            throw new IllegalStateException("The two-node cluster runs on the Keycloak distribution only;"
                    + " it.runtime=" + Settings.runtime());
        }
        H2TcpServer database = H2TcpServer.start(Settings.workDir().resolve("cluster-db"));
        List<KeycloakNode> nodes = new ArrayList<>();
        try {
            int firstPort = Ports.free();
            for (int i = 0; i < nodeNames.length; i++) {
                int port = i == 0 ? firstPort : Ports.free();
                nodes.add(KeycloakNode.start(nodeNames[i], port, List.of(
                        "--db-url=" + database.jdbcUrl(),
                        "--db-username=" + H2TcpServer.USER,
                        "--db-password=" + H2TcpServer.PASSWORD,
                        "--hostname=http://127.0.0.1:" + firstPort), Map.of()));
            }
        } catch (RuntimeException e) {
            nodes.forEach(KeycloakNode::close);
            database.close();
            throw e;
        }
        return new KeycloakCluster(database, nodes);
    }

    public List<KeycloakNode> nodes() {
        return nodes;
    }

    public KeycloakNode node(int index) {
        return nodes.get(index);
    }

    @Override
    public void close() {
        nodes.forEach(KeycloakNode::close);
        database.close();
    }
}
