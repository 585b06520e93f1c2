package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.authenticators.captcha.AltchaCaptchaProvider;
import io.keycloaksentinel.authenticators.captcha.CaptchaProvider;
import io.keycloaksentinel.authenticators.captcha.CaptchaRequest;
import io.keycloaksentinel.authenticators.captcha.CaptchaVerdict;
import io.keycloaksentinel.core.SentinelVersion;
import io.keycloaksentinel.core.captcha.CaptchaMode;
import io.keycloaksentinel.core.captcha.CaptchaSettings;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.detect.Emergency;
import io.keycloaksentinel.core.detect.LoginOutcome;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.detect.RequestRisk;
import io.keycloaksentinel.core.risk.RiskLevel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.events.EventBuilder;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.Urls;
import org.keycloak.theme.Theme;

/**
 * The CAPTCHA gate shared by the login form, the registration form action and the reset step:
 * gathers what decides whether this request needs a CAPTCHA (the realm's mode and the attack
 * detector's risk; the decision itself is {@link CaptchaDecision}'s), puts the widget on the page,
 * and checks the posted answer, always before any username is looked up or password hashed.
 * Everything the gate cannot decide (detector or vendor down) follows the realm's settings and
 * never becomes a 500.
 */
final class CaptchaGate {

    enum Form {
        LOGIN, REGISTRATION, RESET;

        final String label = name().toLowerCase(Locale.ROOT);
    }

    static final String REQUIRED_MESSAGE = "sentinelCaptchaRequired";
    /** The event error of a refused CAPTCHA answer (not a credential error: it never counts against the account). */
    static final String EVENT_ERROR = "sentinel_captcha_failed";
    static final String LOADER = "sentinel/captcha.js";
    private static final Logger LOG = Logger.getLogger(CaptchaGate.class);

    private final KeycloakSession session;
    private final RealmModel realm;
    private final CaptchaSettings settings;
    private final Form form;
    private final AttackDetector detector;
    private final String ip;
    private RiskLevel risk;

    private CaptchaGate(KeycloakSession session, RealmModel realm, CaptchaSettings settings, Form form, AttackDetector detector) {
        this.session = session;
        this.realm = realm;
        this.settings = settings;
        this.form = form;
        this.detector = detector;
        this.ip = session.getContext().getConnection().getRemoteAddr();
    }

    /** A form's gate, following the execution's authenticator config first, then the realm's settings, then defaults. */
    static CaptchaGate of(KeycloakSession session, RealmModel realm, AuthenticatorConfigModel execution, Form form) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        CaptchaSettings settings = CaptchaDecision.settings(execution == null ? null : execution.getConfig(),
                CaptchaSettings.TABLE.attributes(io.keycloaksentinel.core.secrets.RealmSecrets.reader(realm)));
        return new CaptchaGate(session, realm, settings, form, detection == null ? null : detection.detector());
    }

    /**
     * Decides (once per request) whether this request must answer a CAPTCHA; {@code username}
     * is the typed one on a post (null when rendering). Monitor mode decides the same way and
     * answers false. An allowlisted address never needs one.
     */
    boolean required(String username) {
        boolean emergency = Emergency.active(realm::getAttribute, System.currentTimeMillis());
        boolean allowlisted = (settings.mode() != CaptchaMode.NEVER || emergency)
                && RealmDetectionConfig.allowlisted(realm::getAttribute, ip);
        CaptchaDecision.Asking asking = CaptchaDecision.ask(settings, emergency, allowlisted, () -> assess(username));
        if (asking.risk() != null) {
            risk = asking.risk();
        }
        if (asking.ask() == CaptchaDecision.Ask.MONITORED && username != null) {
            count("monitored");
            LOG.infof("Sentinel (CAPTCHA monitoring only): would ask a CAPTCHA on the %s form in realm '%s' (risk %s)",
                    form.label, realm.getName(), risk);
        }
        return asking.asked();
    }

    /** The request's one risk decision (for the typed name on a post, for the source on a page). */
    private RiskLevel assess(String username) {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        if (detection == null) {
            return RiskLevel.LOW;
        }
        try {
            RequestRisk request = detection.risk();
            return (username == null ? request.forSource(realm) : request.forTypedName(realm, username)).level();
        } catch (RuntimeException e) {
            // without a rating, the mode decides: "always" still asks, "risky" lets the form through
            LOG.warnf("Sentinel: risk assessment failed, treating the request as low risk: %s", e.toString());
            return RiskLevel.LOW;
        }
    }

    /** On a page shown before any answer: the widget when this request needs one (any name); whether it does. */
    boolean showIfRequired(LoginFormsProvider page) {
        boolean required = required(null);
        if (required) {
            show(page);
        }
        return required;
    }

    /** Puts Sentinel's widget loader on the page (counted as shown). */
    void show(LoginFormsProvider page) {
        show(page, true);
    }

    /**
     * Puts Sentinel's widget loader on a page that may be rendered: {@code counted} false for the
     * page a failed password would re-render (most such posts succeed and render nothing).
     */
    void show(LoginFormsProvider page, boolean counted) {
        String loader = loaderUrl();
        if (loader == null) {
            return;
        }
        page.addScript(loader);
        page.setAttribute("sentinelCaptcha", Boolean.TRUE);
        if (counted) {
            count("shown");
        }
    }

    private String loaderUrl() {
        try {
            return themeResources() + "/" + LOADER + "?v=" + SentinelVersion.current().version() + "&form=" + form.label
                    + "&endpoint=" + URLEncoder.encode(realmUrl() + "/sentinel-captcha/widget", StandardCharsets.UTF_8);
        } catch (Exception e) {
            LOG.warnf("Sentinel: cannot place the CAPTCHA widget: %s", e.toString());
            return null;
        }
    }

    private String realmUrl() {
        return session.getContext().getUri().getBaseUri().toString().replaceAll("/$", "") + "/realms/" + realm.getName();
    }

    /**
     * Checks the posted answer. Empty when the request may go on; otherwise the message key to
     * show (the answer was missing, wrong, replayed or expired, or the vendor was unavailable
     * and the realm fails closed).
     */
    Optional<String> refusal(MultivaluedMap<String, String> posted) {
        CaptchaProvider provider = provider();
        if (provider == null) {
            LOG.warnf("Sentinel: CAPTCHA provider '%s' of realm '%s' is not installed; refusing", settings.provider(),
                    realm.getName());
            count("unavailable");
            return CaptchaDecision.unavailable(settings.failOpen());
        }
        CaptchaVerdict verdict;
        CaptchaRequest request = null;
        String answer = posted.getFirst(provider.responseField());
        boolean missing = answer == null || answer.isBlank();
        if (!missing) {
            try {
                RiskLevel level = risk == null ? assess(null) : risk;
                request = request(null, level, minimumWork(level));
            } catch (RuntimeException e) {
                // the server cannot check any answer (no detector, no key, vault down): nothing the client did
                LOG.warnf("Sentinel: cannot check CAPTCHA answers in realm '%s': %s", realm.getName(), e.toString());
            }
        }
        if (missing) {
            // nothing to check (a bot's bare post): refused before any key, vault or theme lookup
            verdict = CaptchaVerdict.of(CaptchaVerdict.Outcome.MISSING, "no answer");
        } else if (request == null) {
            verdict = CaptchaVerdict.of(CaptchaVerdict.Outcome.UNAVAILABLE, "cannot check answers");
        } else {
            try {
                verdict = provider.verify(request, answer);
            } catch (RuntimeException e) {
                // providers report an unreachable vendor as a verdict and never throw; an exception is
                // the posted answer's doing until proven otherwise, so it is refused and counted,
                // never "unavailable" (which a fail-open realm would let through)
                LOG.warnf("Sentinel: CAPTCHA provider '%s' failed on an answer: %s", settings.provider(),
                        e.getClass().getName());
                verdict = CaptchaVerdict.of(CaptchaVerdict.Outcome.INVALID, "provider error");
            }
        }
        count(verdict.label());
        // outbound calls all taken (junk answers can keep them busy): never a reason to let a request through
        boolean failOpen = settings.failOpen() && !CaptchaDecision.BUSY_DETAIL.equals(verdict.detail());
        Optional<String> refusal = CaptchaDecision.refusal(verdict.outcome(), failOpen);
        if (verdict.passedCheck()) {
            return refusal;
        }
        LOG.debugf("Sentinel: CAPTCHA refused on the %s form of realm '%s': %s", form.label, realm.getName(), verdict.detail());
        if (CaptchaDecision.countsAsFailure(verdict.outcome()) && detector != null) {
            try {
                detector.record(realm.getId(), realm.getName(), LoginOutcome.CAPTCHA_FAILED, ip, null);
            } catch (RuntimeException e) {
                LOG.debugf("Sentinel: could not count a CAPTCHA failure: %s", e.toString());
            }
        }
        if (refusal.isEmpty()) {
            count("fail_open");
        }
        return refusal;
    }

    /**
     * {@link #refusal(MultivaluedMap)}, with a refusal recorded on the event ({@value #EVENT_ERROR},
     * detail {@code sentinel_captcha}); except a post with no answer at all, which is refused like a
     * throttled post, without an event (counted in the metric and for the realm and source): a flood
     * of bare posts would otherwise cost an event, and a saved event row, each.
     */
    Optional<String> refusal(MultivaluedMap<String, String> posted, EventBuilder event) {
        Optional<String> refusal = refusal(posted);
        refusal.filter(message -> !CaptchaDecision.MISSING_MESSAGE.equals(message))
                .ifPresent(message -> event.detail("sentinel_captcha", message).error(EVENT_ERROR));
        return refusal;
    }

    /** The page showing a refusal: a 503 with Retry-After when no answer could be checked (failing closed). */
    static Response refused(Response page, String message) {
        return CaptchaDecision.UNAVAILABLE_MESSAGE.equals(message)
                ? Response.fromResponse(page).status(503).header("Retry-After", "60").build() : page;
    }

    CaptchaProvider provider() {
        return session.getProvider(CaptchaProvider.class, settings.provider());
    }

    /**
     * The request context a provider sees for a widget ({@code language} for its labels): its
     * challenge is bound to this form and asks the work of this request's risk.
     */
    CaptchaRequest request(String language) {
        RiskLevel level = risk == null ? assess(null) : risk;
        return request(language, level, settings.work(level));
    }

    /**
     * The least work a built-in challenge must carry to be accepted now: the work the widget
     * endpoint would ask of this address now. The widget never knows the username, so the typed
     * username's part of the login form's rating is left out (re-rated without it): a challenge
     * cannot carry it, and counting it would refuse every answer of a targeted user.
     */
    private long minimumWork(RiskLevel level) {
        if (!isBuiltIn(settings)) {
            return 0;
        }
        return settings.work(CaptchaDecision.workRisk(level, form == Form.LOGIN, () -> assess(null)));
    }

    private CaptchaRequest request(String language, RiskLevel level, long minWork) {
        if (detector == null) {
            // no realm key and no replay register: nothing could be verified safely
            throw new IllegalStateException("the attack detector is unavailable");
        }
        CaptchaSettings resolved = settings;
        if (settings.secret() != null) {
            resolved = settings.withSecret(session.vault().getStringSecret(settings.secret()).get().orElse(settings.secret()));
        }
        String realmId = realm.getId();
        return new CaptchaRequest(realmId, ip, level, resolved,
                resourcesUrl(), realmUrl(), language,
                detector.keys().derivedKey(realmId, "captcha"),
                (token, ttl) -> detector.keys().claimOnce(realmId, token, ttl),
                System::currentTimeMillis, form.label, minWork, detector.keys().previousDerivedKey(realmId, "captcha"));
    }

    private String themeResources() throws IOException {
        return Urls.themeRoot(session.getContext().getUri().getBaseUri()) + "/login/"
                + session.theme().getTheme(Theme.Type.LOGIN).getName();
    }

    private String resourcesUrl() {
        try {
            return themeResources();
        } catch (Exception e) {
            return Urls.themeRoot(session.getContext().getUri().getBaseUri()) + "/login/keycloak.v2";
        }
    }

    CaptchaSettings settings() {
        return settings;
    }

    private void count(String outcome) {
        Counter.builder("sentinel_captcha_total")
                .description("CAPTCHA widgets shown and answers checked, by form and outcome")
                .tag("realm", realm.getName()).tag("form", form.label).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    static boolean isBuiltIn(CaptchaSettings settings) {
        return AltchaCaptchaProvider.ID.equals(settings.provider());
    }
}
