package io.keycloaksentinel.dist;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The module edges of {@code docs/architecture.md}, kept by the build: this module depends on every
 * main module, so all their classes are on its test classpath. The classes checked are exactly
 * those of the modules' own class directories or JARs (found through one class of each), without
 * test classes; a module is its package root.
 */
class ArchitectureTest {

    private static final String SENTINEL = "io.keycloaksentinel..";
    private static final String CORE = "io.keycloaksentinel.core..";
    private static final String EVENTS = "io.keycloaksentinel.events..";
    private static final String AUTHENTICATORS = "io.keycloaksentinel.authenticators..";
    private static final String ADMIN = "io.keycloaksentinel.admin..";

    /** Module -> a class of it, to find where its classes are. */
    private static final Map<String, Class<?>> MODULES = Map.of(
            CORE, io.keycloaksentinel.core.SentinelVersion.class,
            EVENTS, io.keycloaksentinel.events.alerts.DeviceAlertEventListenerFactory.class,
            AUTHENTICATORS, io.keycloaksentinel.authenticators.SentinelLoginFormFactory.class,
            ADMIN, io.keycloaksentinel.admin.SentinelAdminResourceProviderFactory.class);

    private static JavaClasses sentinel;

    @BeforeAll
    static void importSentinel() throws Exception {
        Set<Location> locations = new LinkedHashSet<>();
        for (Class<?> marker : MODULES.values()) {
            locations.add(Location.of(marker.getProtectionDomain().getCodeSource().getLocation().toURI()));
        }
        sentinel = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importLocations(locations);
    }

    @Test
    @DisplayName("The import finds every module's classes (a rule over no classes would hold vacuously)")
    void importsEveryModule() {
        for (String module : MODULES.keySet()) {
            assertThat(sentinel.that(resideInAPackage(module))).as("classes in %s", module).isNotEmpty();
        }
    }

    @Test
    @DisplayName("No Sentinel class lives in an org.keycloak package, or anywhere outside io.keycloaksentinel")
    void noClassesInKeycloakPackages() {
        noClasses().should().resideInAPackage("org.keycloak..").check(sentinel);
        classes().should().resideInAPackage(SENTINEL).check(sentinel);
    }

    @Test
    @DisplayName("Core is the engine: it depends on no other Sentinel module")
    void coreDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage(CORE)
                .should().dependOnClassesThat(resideInAPackage(SENTINEL).and(not(resideInAPackage(CORE))))
                .check(sentinel);
    }

    @Test
    @DisplayName("The authenticators never depend on the event listeners")
    void authenticatorsDoNotDependOnEventListeners() {
        noClasses().that().resideInAPackage(AUTHENTICATORS).should().dependOnClassesThat().resideInAPackage(EVENTS)
                .check(sentinel);
    }

    @Test
    @DisplayName("The event listeners never depend on the authenticators")
    void eventListenersDoNotDependOnAuthenticators() {
        noClasses().that().resideInAPackage(EVENTS).should().dependOnClassesThat().resideInAPackage(AUTHENTICATORS)
                .check(sentinel);
    }

    @Test
    @DisplayName("Nothing depends on the admin API but the admin API: it imports what it administers, never the other way")
    void nothingDependsOnTheAdminApi() {
        noClasses().that().resideOutsideOfPackage(ADMIN).should().dependOnClassesThat().resideInAPackage(ADMIN)
                .check(sentinel);
    }

    @Test
    @DisplayName("The packages inside core are free of cycles: no two of them use each other, directly or through others")
    void corePackagesAreFreeOfCycles() {
        slices().matching("io.keycloaksentinel.core.(*)..").should().beFreeOfCycles().check(sentinel);
    }

}
