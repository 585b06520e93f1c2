package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.detect.AccountActivity;
import io.keycloaksentinel.core.detect.AttackDetector;
import io.keycloaksentinel.core.mail.MailOutbox;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.events.Details;
import org.keycloak.events.EventType;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.sessions.AuthenticationSessionModel;
import org.keycloak.services.Urls;
import org.keycloak.utils.EmailValidationUtil;

/**
 * Enumeration-safe sign-up: the first step of the registration flow asks only for an email
 * address and always answers the same page ("we sent a message to that address, enter the code
 * from it"), whether or not the address has an account, doing the same work either way: a new
 * address gets a one-time code that opens Keycloak's registration form with that address locked
 * (see {@link SentinelSignupVerifiedEmail}) and verified; an address that already has an account
 * gets a "someone tried to create an account with your address" notice instead, and no code works.
 * Run again after the form (the ready flow has it on both sides), it marks the new account's
 * address verified.
 * Both mails are rendered on the request thread and sent after commit by Sentinel's mail queue,
 * so the answer never waits for SMTP. Before the address is looked up: the adaptive CAPTCHA
 * ({@code risky} by default, so during attacks) and a cluster-wide limit of sign-up requests per
 * address and per network.
 */
public final class SentinelSignupEmail extends SentinelStepFactory<Authenticator>
        implements Authenticator, AuthenticatorFactory {

    public static final String PROVIDER_ID = "sentinel-signup-email";
    public static final String TEMPLATE = "sentinel-signup.ftl";
    /** Auth note: the address the user proved to control (read by the form action). */
    public static final String VERIFIED_NOTE = "sentinel.signup.verified";
    static final String PENDING_NOTE = "sentinel.signup.pending";
    static final int MAX_EMAIL_LENGTH = 254;
    private static final EmailCode CODE = new EmailCode("sentinel.signup.");
    private static final String SIGNUP_DETAIL = "sentinel_signup";
    private static final Logger LOG = Logger.getLogger(SentinelSignupEmail.class);

    public SentinelSignupEmail() {
        super(PROVIDER_ID, "Sentinel email-first sign-up", "sentinel-signup",
                "First step of the registration flow: asks for an email address and answers the same whether or not it "
                        + "has an account (a code for a new address, a notice to the owner of an existing one). Add 'Sentinel "
                        + "verified email' as the first action of the registration form, and this step again after the form "
                        + "(it marks the new account's address verified).");
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        String verified = context.getAuthenticationSession().getAuthNote(VERIFIED_NOTE);
        if (verified != null) {
            // run again after the registration form (the ready flow has this step on both sides of it): the new
            // account's address is the one proved with the code, so it is verified
            UserModel user = context.getUser();
            if (user != null && user.getEmail() != null && user.getEmail().toLowerCase(Locale.ROOT).equals(verified)) {
                // Keycloak's own "verify email" action, if the realm asks for it, still runs: it sees the address
                // verified and lets the user through (with verification on, Keycloak 26.7 keeps the new password
                // until that action has run, so it must not be taken away)
                user.setEmailVerified(true);
            }
            context.success();
            return;
        }
        String pending = context.getAuthenticationSession().getAuthNote(PENDING_NOTE);
        context.challenge(pending == null ? emailPage(context, null, null) : codePage(context, pending, null));
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        String pending = context.getAuthenticationSession().getAuthNote(PENDING_NOTE);
        if (posted.containsKey("restart")) {
            CODE.clear(context.getAuthenticationSession());
            context.getAuthenticationSession().removeAuthNote(PENDING_NOTE);
            context.challenge(emailPage(context, null, null));
            return;
        }
        if (pending != null && posted.containsKey("code")) {
            code(context, pending, posted.getFirst("code"));
            return;
        }
        email(context, posted);
    }

    private void code(AuthenticationFlowContext context, String pending, String typed) {
        if (CODE.matches(context, typed, pending)) {
            CODE.clear(context.getAuthenticationSession());
            context.getAuthenticationSession().removeAuthNote(PENDING_NOTE);
            context.getAuthenticationSession().setAuthNote(VERIFIED_NOTE, pending);
            count(context.getRealm(), "verified");
            context.success();
            return;
        }
        count(context.getRealm(), "wrong_code");
        if (CODE.failedAttempt(context.getAuthenticationSession())) {
            // the last try: the address must be typed again (and a new mail claimed from its hourly budget)
            CODE.clear(context.getAuthenticationSession());
            context.getAuthenticationSession().removeAuthNote(PENDING_NOTE);
            context.challenge(emailPage(context, null, "sentinelSignupCodeTooMany"));
            return;
        }
        context.challenge(codePage(context, pending, "sentinelSignupCodeInvalid"));
    }

    private void email(AuthenticationFlowContext context, MultivaluedMap<String, String> posted) {
        KeycloakSession session = context.getSession();
        RealmModel realm = context.getRealm();
        CaptchaGate gate = CaptchaGate.of(session, realm, context.getAuthenticatorConfig(), CaptchaGate.Form.REGISTRATION);
        if (gate.required(null)) {
            Optional<String> refusal = gate.refusal(posted, context.getEvent());
            if (refusal.isPresent()) {
                context.challenge(CaptchaGate.refused(emailPage(context, null, refusal.get()), refusal.get()));
                return;
            }
        }
        String raw = posted.getFirst("email");
        String email = raw == null ? "" : raw.strip();
        if (email.isEmpty() || email.length() > MAX_EMAIL_LENGTH || !EmailValidationUtil.isValidEmail(email)) {
            // says nothing about accounts: only that this is not an address
            context.challenge(emailPage(context, email.length() > MAX_EMAIL_LENGTH ? null : email, "invalidEmailMessage"));
            return;
        }
        AttackDetector detector = SignupChecks.detector(session);
        String ip = session.getContext().getConnection().getRemoteAddr();
        Optional<String> tooMany = SignupChecks.throttle(context, detector, ip);
        if (tooMany.isPresent()) {
            count(realm, "throttled");
            LOG.debugf("Sentinel: sign-up request from %s in realm '%s' refused: %s", ip, realm.getName(), tooMany.get());
            Response page = emailPage(context, email, "sentinelSignupTooMany");
            context.challenge(Response.fromResponse(page).status(429).header("Retry-After", "900").build());
            return;
        }
        if (detector != null) {
            detector.recordActivity(realm.getId(), realm.getName(), AccountActivity.REGISTRATION_REQUESTED, ip);
        }
        email = email.toLowerCase(Locale.ROOT);
        // a realm that allows several accounts per address lets a new one be created with a taken address too
        boolean taken = SignupChecks.registered(session, realm, email) && !realm.isDuplicateEmailsAllowed();
        // from here on, both answers do the same work: a code stored for this login (bound to the address), one
        // mail rendered and queued; only a new address whose mail goes out gets a code that can work
        boolean mailAllowed = SignupChecks.mailSlot(context, detector, email);
        Optional<MailOutbox> outbox = MailOutbox.of(session);
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        CODE.clear(auth);
        boolean usable = !taken && mailAllowed && outbox.isPresent();
        String code = usable ? CODE.issue(auth, email) : CODE.issueUnusable(auth, email);
        auth.setAuthNote(PENDING_NOTE, email);
        // the visitor's language for both mails: reading the owner's locale attribute would cost a query only for them
        Properties messages = EmailCode.messages(session, realm, null);
        String realmName = realm.getDisplayName() != null && !realm.getDisplayName().isBlank() ? realm.getDisplayName()
                : realm.getName();
        String subject;
        String text;
        if (!taken) {
            subject = EmailCode.format(messages, "sentinelSignupCodeSubject", "Your code to create an account");
            text = EmailCode.format(messages, "sentinelSignupCodeBody", "Your code: {1}", realmName, code,
                    EmailCode.LIFETIME.toMinutes());
            context.getEvent().clone().event(EventType.SEND_VERIFY_EMAIL).detail(Details.EMAIL, email)
                    .detail(SIGNUP_DETAIL, "code").success();
        } else {
            String signIn = Urls.accountBase(session.getContext().getUri().getBaseUri()).build(realm.getName()).toString();
            subject = EmailCode.format(messages, "sentinelSignupExistsSubject", "Someone tried to create an account");
            text = EmailCode.format(messages, "sentinelSignupExistsBody", "Sign in at {1}", realmName, signIn);
            // a server-side record only: the visitor sees the same page as for a new address. The same event type and
            // level as for a new address (Keycloak logs error events at WARN: a log line for one kind only takes time)
            context.getEvent().clone().event(EventType.SEND_VERIFY_EMAIL).detail(Details.EMAIL, email)
                    .detail(SIGNUP_DETAIL, "existing_account").success();
        }
        // Keycloak keeps addresses in lower case: the owner's address is the one typed
        if (mailAllowed && outbox.isPresent()) {
            // one mail kind for both: Sentinel's metrics must not tell registered addresses from new ones either
            outbox.get().afterCommit(session, new MailOutbox.Prerendered("signup", realm.getId(), email, subject, text,
                    EmailCode.html(text)));
        } else if (outbox.isEmpty()) {
            LOG.warnf("Sentinel: the mail queue is not running; no sign-up mail sent in realm '%s'", realm.getName());
        }
        count(realm, "requested");
        context.challenge(codePage(context, email, null));
    }

    private Response emailPage(AuthenticationFlowContext context, String email, String error) {
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.REGISTRATION);
        LoginFormsProvider form = context.form().setAttribute("sentinelSignupStage", "email")
                .setAttribute("sentinelSignupEmail", email == null ? "" : email);
        gate.showIfRequired(form);
        if (error != null) {
            form.setError(error);
        }
        return form.createForm(TEMPLATE);
    }

    private Response codePage(AuthenticationFlowContext context, String email, String error) {
        LoginFormsProvider form = context.form().setAttribute("sentinelSignupStage", "code")
                .setAttribute("sentinelSignupEmail", email)
                .setAttribute("sentinelSignupMinutes", EmailCode.LIFETIME.toMinutes());
        if (error != null) {
            form.setError(error);
        }
        return form.createForm(TEMPLATE);
    }

    private static void count(RealmModel realm, String outcome) {
        Counter.builder("sentinel_signup_total")
                .description("Email-first sign-up requests by outcome (requested: new and registered addresses alike, "
                        + "throttled, verified, wrong_code)")
                .tag("realm", realm.getName()).tag("outcome", outcome)
                .register(Metrics.globalRegistry).increment();
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return SignupConfig.properties();
    }
}
