package io.keycloaksentinel.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * The database a two-node cluster shares: H2 in TCP mode, run from the H2 JAR that ships inside
 * the Keycloak distribution, so the cluster test needs nothing installed. (PostgreSQL is what
 * docker/compose.yml uses; the clustering options are the same.)
 */
public final class H2TcpServer implements AutoCloseable {

    static final String DATABASE = "keycloakdb";
    static final String USER = "sa";
    static final String PASSWORD = "password";

    private final int port;
    private final Process process;

    private H2TcpServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    public static H2TcpServer start(Path baseDir) {
        Path h2Jar;
        try (Stream<Path> files = Files.list(Settings.distribution().resolve("lib/lib/main"))) {
            h2Jar = files.filter(p -> p.getFileName().toString().startsWith("com.h2database.h2-")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("No H2 JAR in the Keycloak distribution"));
            BuiltDistribution.deleteTree(baseDir);
            Files.createDirectories(baseDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int port = Ports.free();
        List<String> command = List.of(Settings.javaHome().resolve("bin/java").toString(), "-cp", h2Jar.toString(),
                "org.h2.tools.Server", "-tcp", "-tcpPort", String.valueOf(port), "-ifNotExists",
                "-baseDir", baseDir.toString());
        Path log = baseDir.resolveSibling(baseDir.getFileName() + "-h2.log");
        Process process;
        try {
            process = Processes.register(new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start H2: " + command, e);
        }
        H2TcpServer server = new H2TcpServer(port, process);
        Poll.until("H2 TCP server on port " + port, Duration.ofSeconds(30), () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("H2 exited: " + LogTail.of(log, 20));
            }
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return Boolean.TRUE;
            } catch (IOException notYet) {
                return null;
            }
        });
        return server;
    }

    public String jdbcUrl() {
        return "jdbc:h2:tcp://127.0.0.1:" + port + "/" + DATABASE + ";NON_KEYWORDS=VALUE";
    }

    /** The options that point a node at this database. */
    public List<String> nodeOptions() {
        return List.of("--db-url=" + jdbcUrl(), "--db-username=" + USER, "--db-password=" + PASSWORD);
    }

    /**
     * The rows {@code sql} selects, each column as text: to look at what a server stored, beneath
     * its API (through the H2 driver of the Keycloak distribution).
     */
    public List<List<String>> query(String sql) {
        try (Stream<Path> files = Files.list(Settings.distribution().resolve("lib/lib/main"))) {
            Path h2Jar = files.filter(p -> p.getFileName().toString().startsWith("com.h2database.h2-")).findFirst()
                    .orElseThrow();
            try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[]{h2Jar.toUri().toURL()})) {
                java.sql.Driver driver = (java.sql.Driver) Class.forName("org.h2.Driver", true, loader)
                        .getDeclaredConstructor().newInstance();
                java.util.Properties login = new java.util.Properties();
                login.setProperty("user", USER);
                login.setProperty("password", PASSWORD);
                try (java.sql.Connection c = driver.connect(jdbcUrl(), login);
                     java.sql.Statement st = c.createStatement();
                     java.sql.ResultSet rs = st.executeQuery(sql)) {
                    List<List<String>> rows = new java.util.ArrayList<>();
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        List<String> row = new java.util.ArrayList<>();
                        for (int i = 1; i <= columns; i++) {
                            row.add(rs.getString(i));
                        }
                        rows.add(row);
                    }
                    return rows;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ReflectiveOperationException | java.sql.SQLException e) {
            throw new IllegalStateException("H2 query failed: " + sql, e);
        }
    }

    @Override
    public void close() {
        Processes.stop(process, Duration.ofSeconds(10));
    }
}
