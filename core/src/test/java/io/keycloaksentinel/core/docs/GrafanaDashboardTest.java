package io.keycloaksentinel.core.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard in docs/ is valid JSON and queries only metrics the documentation documents:
 * a row of a Metrics table ({@code | `sentinel_...}) in README.md or any docs/*.md page.
 */
class GrafanaDashboardTest {

    private static final Path ROOT = Path.of("..");

    @Test
    @DisplayName("Every metric a dashboard panel queries is one Sentinel documents (a Metrics table of README.md or docs/*.md); every panel has a query")
    void dashboardQueriesDocumentedMetrics() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(ROOT.resolve("docs/grafana/sentinel-dashboard.json").toFile());
        Set<String> documented = documentedMetrics();
        assertThat(documented).contains("sentinel_attack_state", "sentinel_login_attempts_total");
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.get("targets")).as(panel.get("title").asText()).isNotEmpty();
            for (JsonNode target : panel.get("targets")) {
                Matcher m = Pattern.compile("sentinel_[a-z_]+").matcher(target.get("expr").asText());
                while (m.find()) {
                    queried.add(m.group());
                }
            }
        }
        assertThat(documented).containsAll(queried);
        assertThat(dashboard.at("/templating/list/1/query/query").asText()).contains("sentinel_attack_state");
    }

    /** The metric names of every {@code | `sentinel_...} table row in README.md and docs/*.md. */
    private static Set<String> documentedMetrics() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        Set<String> documented = new TreeSet<>();
        Pattern row = Pattern.compile("^\\| `(sentinel_[a-z_]+)", Pattern.MULTILINE);
        for (Path page : pages) {
            Matcher m = row.matcher(Files.readString(page));
            while (m.find()) {
                documented.add(m.group(1));
            }
        }
        return documented;
    }
}
