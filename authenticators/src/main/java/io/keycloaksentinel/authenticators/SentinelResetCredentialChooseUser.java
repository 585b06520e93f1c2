package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.resetcred.ResetCredentialChooseUser;
import org.keycloak.authentication.authenticators.browser.AbstractUsernameFormAuthenticator;
import org.keycloak.events.Details;
import org.keycloak.events.Errors;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.UserProvider;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * Keycloak's "Choose User" step of the reset-credentials flow, with Sentinel's adaptive CAPTCHA
 * checked before the username or email is looked up: a reset flood (or an enumeration run)
 * during an attack must solve a CAPTCHA per request; the source's reset requests limited per
 * address and network ({@link ResetLimits}, 429 before any lookup); and the lookup costs the same
 * for a registered and an unknown name (see {@link #chooseUser}). Replace Keycloak's step with it.
 */
public final class SentinelResetCredentialChooseUser extends ResetCredentialChooseUser
        implements SentinelProviderFactory<Authenticator> {

    public static final String PROVIDER_ID = "sentinel-reset-choose-user";
    static final String TOO_MANY_MESSAGE = "sentinelResetTooMany";
    private static final Logger LOG = Logger.getLogger(SentinelResetCredentialChooseUser.class);
    /** The provider type of user federation components (LDAP, Kerberos, custom user storage). */
    static final String USER_STORAGE = "org.keycloak.storage.UserStorageProvider";

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(), CaptchaGate.Form.RESET)
                .showIfRequired(context.form());
        super.authenticate(context);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.RESET);
        if (gate.required(null)) {
            Optional<String> refusal = gate.refusal(posted, context.getEvent());
            if (refusal.isPresent()) {
                gate.show(context.form());
                context.challenge(CaptchaGate.refused(context.form().setError(refusal.get()).createPasswordReset(),
                        refusal.get()));
                return;
            }
            // an unknown or invalid username re-renders the form: it needs a fresh widget
            gate.show(context.form(), false);
        }
        String typed = posted.getFirst("username");
        if (typed == null || typed.isBlank()) {
            super.action(context); // Keycloak's answer to an empty field
            return;
        }
        // decided from the source alone, before any lookup: the same 429 for a registered and an unknown name
        String ip = context.getConnection().getRemoteAddr();
        Optional<String> tooMany = ResetLimits.of(context.getAuthenticatorConfig()).throttle(context, ip);
        if (tooMany.isPresent()) {
            LOG.debugf("Sentinel: reset request in realm '%s' refused: %s", context.getRealm().getName(), tooMany.get());
            Response page = context.form().setError(TOO_MANY_MESSAGE).createPasswordReset();
            context.challenge(Response.fromResponse(page).status(429)
                    .header("Retry-After", String.valueOf(ResetLimits.RETRY_AFTER_SECONDS)).build());
            return;
        }
        chooseUser(context, typed.strip());
    }

    /**
     * Keycloak's choice (by username, then by email when sign-in with email is allowed), with the
     * same work for a registered and an unknown name: every lookup runs whatever the other found,
     * in the database itself rather than Keycloak's user cache (the cache answers a user it holds
     * from memory, and loads one it does not with several queries: either way a registered name
     * would answer at another speed than an unknown one). Realms with user federation also ask
     * Keycloak's usual path (not timing-neutral). What remains: once a user is chosen, Keycloak's
     * flow resolves it through its user cache, which loads an account it does not hold yet
     * (measured: about a millisecond, in docs/BENCHMARKS.md).
     */
    private static void chooseUser(AuthenticationFlowContext context, String username) {
        RealmModel realm = context.getRealm();
        UserProvider database = context.getSession().getProvider(UserProvider.class);
        boolean byEmailToo = realm.isLoginWithEmailAllowed() && username.contains("@");
        UserModel byUsername = lookup(() -> database.getUserByUsername(realm, username));
        UserModel byEmail = byEmailToo ? lookup(() -> database.getUserByEmail(realm, username)) : null;
        UserModel user = byUsername != null ? byUsername : byEmail;
        if (user == null && realm.getComponentsStream(realm.getId(), USER_STORAGE).findAny().isPresent()) {
            user = lookup(() -> context.getSession().users().getUserByUsername(realm, username));
            if (user == null && byEmailToo) {
                user = lookup(() -> context.getSession().users().getUserByEmail(realm, username));
            }
        }
        context.getAuthenticationSession().setAuthNote(AbstractUsernameFormAuthenticator.ATTEMPTED_USERNAME, username);
        if (user == null) {
            context.getEvent().clone().detail(Details.USERNAME, username).error(Errors.USER_NOT_FOUND);
            context.clearUser();
        } else if (!user.isEnabled()) {
            context.getEvent().clone().detail(Details.USERNAME, username).user(user).error(Errors.USER_DISABLED);
            context.clearUser();
        } else {
            context.setUser(user);
        }
        context.success();
    }

    private static UserModel lookup(java.util.function.Supplier<UserModel> query) {
        try {
            return query.get();
        } catch (RuntimeException e) {
            // duplicate emails, a store that failed: no one to mail; the answer stays the same
            return null;
        }
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "Sentinel Choose User (reset credentials)";
    }

    @Override
    public String getHelpText() {
        return "Keycloak's Choose User step of the reset-credentials flow, with Sentinel's adaptive CAPTCHA checked "
                + "before the user is looked up.";
    }

    @Override
    public boolean isConfigurable() {
        return true;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return ResetLimits.requestProperties();
    }
}
