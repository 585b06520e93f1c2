package io.keycloaksentinel.it.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two Keycloak nodes forming one Infinispan cluster on loopback: a shared database (JGroups
 * discovers members through it, the default {@code jdbc-ping} stack), the embedded Infinispan
 * transport bound to 127.0.0.1, a node name each; the other nodes take the first node's URL as
 * their {@code --hostname}, so a token issued by one node is valid on the other (as behind a
 * load balancer). The same clustering options are in docker/compose.yml.
 */
public final class KeycloakCluster implements AutoCloseable {

    private final H2TcpServer database;
    private final List<KeycloakNode> nodes;

    private KeycloakCluster(H2TcpServer database, List<KeycloakNode> nodes) {
        this.database = database;
        this.nodes = new ArrayList<>(nodes);
    }

    public static KeycloakCluster start(String... nodeNames) {
        if (!"distribution".equals(Settings.runtime())) {
            throw new IllegalStateException("The two-node cluster runs on the Keycloak distribution only;"
                    + " it.runtime=" + Settings.runtime());
        }
        H2TcpServer database = H2TcpServer.start(Settings.workDir().resolve("cluster-db-" + nodeNames[0]));
        return new KeycloakCluster(database, startNodes(database, nodeNames));
    }

    /**
     * Stops every node (the whole cluster is down: nothing survives in Infinispan) and starts them
     * again, fresh from the distribution, on the same database; as a full restart for an upgrade.
     */
    public void restartAll() {
        String[] names = nodes.stream().map(KeycloakNode::name).toArray(String[]::new);
        nodes.forEach(KeycloakNode::close);
        nodes.clear();
        nodes.addAll(startNodes(database, names));
    }

    private static List<KeycloakNode> startNodes(H2TcpServer database, String... nodeNames) {
        List<KeycloakNode> nodes = new ArrayList<>();
        List<String> shared = List.of(
                "--db-url=" + database.jdbcUrl(),
                "--db-username=" + H2TcpServer.USER,
                "--db-password=" + H2TcpServer.PASSWORD);
        try {
            // the first node answers on its own URL; the others take that URL as their hostname,
            // so tokens and sessions are interchangeable, as behind one load balancer address
            nodes.add(KeycloakNode.start(nodeNames[0], shared, Map.of()));
            List<String> others = new ArrayList<>(shared);
            others.add("--hostname=" + nodes.get(0).baseUrl());
            for (int i = 1; i < nodeNames.length; i++) {
                nodes.add(KeycloakNode.start(nodeNames[i], others, Map.of()));
            }
        } catch (RuntimeException e) {
            nodes.forEach(KeycloakNode::close);
            database.close();
            throw e;
        }
        return nodes;
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
