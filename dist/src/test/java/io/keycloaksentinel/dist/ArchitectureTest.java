package io.keycloaksentinel.dist;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import io.keycloaksentinel.core.detect.AttackAlerts;
import io.keycloaksentinel.core.detect.AttackAlertsFactory;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.authentication.FormAction;
import org.keycloak.authentication.FormActionFactory;
import org.keycloak.authentication.RequiredActionFactory;
import org.keycloak.authentication.RequiredActionProvider;
import org.keycloak.authentication.actiontoken.ActionTokenHandler;
import org.keycloak.authentication.actiontoken.ActionTokenHandlerFactory;
import org.keycloak.credential.CredentialProvider;
import org.keycloak.credential.CredentialProviderFactory;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventListenerProviderFactory;
import org.keycloak.policy.PasswordPolicyProvider;
import org.keycloak.policy.PasswordPolicyProviderFactory;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;

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

    /**
     * The Keycloak provider interfaces of the capability families: a class implementing one is a form,
     * a step, a credential type, an action token, a listener, a policy or a REST resource, and lives in
     * the module of its family (authenticators, event-listeners, admin-api), never in core.
     */
    private static final List<Class<?>> CAPABILITY_SPIS = List.of(
            Authenticator.class, AuthenticatorFactory.class, FormAction.class, FormActionFactory.class,
            RequiredActionProvider.class, RequiredActionFactory.class,
            CredentialProvider.class, CredentialProviderFactory.class,
            ActionTokenHandler.class, ActionTokenHandlerFactory.class,
            EventListenerProvider.class, EventListenerProviderFactory.class,
            PasswordPolicyProvider.class, PasswordPolicyProviderFactory.class,
            RealmResourceProvider.class, RealmResourceProviderFactory.class,
            AdminRealmResourceProvider.class, AdminRealmResourceProviderFactory.class);

    /** Core's packages that hold a capability's settings (declared in a settings table), and nothing else. */
    private static final String[] CORE_SETTINGS_PACKAGES = {
            "io.keycloaksentinel.core.alerts..", "io.keycloaksentinel.core.breach..",
            "io.keycloaksentinel.core.captcha..", "io.keycloaksentinel.core.mfa.."};

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
    @DisplayName("Core holds no capability: none of its classes is a Keycloak authenticator, form action, required action, "
            + "credential provider, action token handler, event listener, password policy or REST resource")
    void coreImplementsNoCapabilitySpi() {
        DescribedPredicate<JavaClass> capability = CAPABILITY_SPIS.stream()
                .map(JavaClass.Predicates::assignableTo)
                .reduce((a, b) -> a.or(b)).orElseThrow()
                .as("a Keycloak provider of a capability family (%s)",
                        CAPABILITY_SPIS.stream().map(Class::getSimpleName).toList());
        noClasses().that().resideInAPackage(CORE).should(ArchConditions.be(capability)).check(sentinel);
    }

    @Test
    @DisplayName("Core's extension points are implemented outside it: the attack alerts core's detector starts live in the event listeners")
    void coreImplementsNotItsOwnExtensionPoints() {
        noClasses().that().resideInAPackage(CORE)
                .should().implement(AttackAlerts.class).orShould().implement(AttackAlertsFactory.class)
                .check(sentinel);
    }

    @Test
    @DisplayName("In core, a capability's package (alerts, breach, captcha, mfa) holds only what declares its settings, "
            + "not the capability's code")
    void coreCapabilityPackagesHoldSettingsOnly() {
        DescribedPredicate<JavaClass> declaresSettings = DescribedPredicate.describe(
                "a settings record, a settings choice or a step's config (top-level name ending in Settings, Mode or Config)",
                c -> {
                    String name = topLevel(c).getSimpleName();
                    return name.endsWith("Settings") || name.endsWith("Mode") || name.endsWith("Config");
                });
        classes().that().resideInAnyPackage(CORE_SETTINGS_PACKAGES).should(ArchConditions.be(declaresSettings))
                .check(sentinel);
    }

    @Test
    @DisplayName("Core uses none of the capabilities' third-party libraries (the ALTCHA library and its JSON)")
    void coreUsesNoCapabilityLibrary() {
        noClasses().that().resideInAPackage(CORE)
                .should().dependOnClassesThat().resideInAnyPackage("org.altcha..", "org.json..", "io.keycloaksentinel.shaded..")
                .check(sentinel);
    }

    @Test
    @DisplayName("The packages inside core are free of cycles: no two of them use each other, directly or through others")
    void corePackagesAreFreeOfCycles() {
        slices().matching("io.keycloaksentinel.core.(*)..").should().beFreeOfCycles().check(sentinel);
    }

    /**
     * One slice per package below a module's root (with its sub-packages): {@code core.detect},
     * {@code authenticators.breach}, {@code events.alerts}, ... Classes directly in a module's root
     * package are in no slice: the authenticators' root (the login forms and the steps' shared
     * {@code SentinelStepFactory} and {@code EmailCode}) and {@code authenticators.breach} use each
     * other today.
     */
    @Test
    @DisplayName("The capability packages of all modules are free of cycles: no two of them use each other, directly or through others")
    void allPackagesAreFreeOfCycles() {
        slices().matching("io.keycloaksentinel.(*).(*)..").should().beFreeOfCycles().check(sentinel);
    }

    private static JavaClass topLevel(JavaClass c) {
        JavaClass top = c;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top;
    }

}
