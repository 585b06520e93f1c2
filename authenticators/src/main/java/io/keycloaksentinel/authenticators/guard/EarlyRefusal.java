package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.Usernames;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.cookie.CookieProvider;
import org.keycloak.cookie.CookieType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.representations.idm.ClientPolicyExecutorConfigurationRepresentation;
import org.keycloak.services.ErrorPageException;
import org.keycloak.services.clientpolicy.ClientPolicyContext;
import org.keycloak.services.clientpolicy.ClientPolicyException;
import org.keycloak.services.clientpolicy.context.PreAuthorizationRequestContext;
import org.keycloak.services.clientpolicy.context.ResourceOwnerPasswordCredentialsContext;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;
import org.keycloak.services.managers.AuthenticationManager;
import org.keycloak.services.managers.IdentityCookieToken;

/**
 * Sentinel's client-policy executor ({@value EarlyRefusalFactory#ID}): the request's one risk
 * decision, asked before Keycloak creates an authentication session, so that a refusal costs no
 * session, no flow and no login page. Keycloak runs it where a realm's client policy with this
 * executor applies (condition {@code any-client}; the admin adds it, docs/password-guard.md):
 * <ul>
 * <li>{@code RESOURCE_OWNER_PASSWORD_CREDENTIALS_REQUEST} (the password grant, after the client
 * authenticated, before the session and the flow): exactly what the guarded grant's first step
 * decides for the typed name, answered as it answers (429 {@code invalid_grant}, the same
 * description, {@code Retry-After}), counted for the source as it counts;</li>
 * <li>{@code PRE_AUTHORIZATION_REQUEST} (the authorization endpoint, before the client is even
 * looked up), only with the executor's setting {@value EarlyRefusalFactory#REFUSE_LOGIN_PAGE}
 * (off by default: the admin says the realm's sign-in is the password): a throttled source gets a
 * 429 page "too many attempts" instead of the login page, but never a browser with a valid
 * session cookie (its code needs no password), never {@code prompt=none} or a request object or
 * PAR reference (whose prompt this cannot read), and never in a realm with an identity provider
 * or passkeys (a user behind a throttled network still signs in with those). No event is written
 * for it (a flood of page views must not become a flood of event rows); it is counted.</li>
 * </ul>
 * Anything it does not refuse goes on to the flows, which decide again (the same decision, read
 * once per request) and guard every password check as before. It is an early answer, not the
 * boundary: whatever gets past it (a forged cookie, another endpoint) is refused in the flow.
 */
final class EarlyRefusal implements ClientPolicyExecutorProvider<ClientPolicyExecutorConfigurationRepresentation> {

    private static final Logger LOG = Logger.getLogger(EarlyRefusal.class);

    private final KeycloakSession session;
    private boolean refuseLoginPage;

    EarlyRefusal(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public String getProviderId() {
        return EarlyRefusalFactory.ID;
    }

    @Override
    public void setupConfiguration(ClientPolicyExecutorConfigurationRepresentation config) {
        Object value = config == null ? null : config.getConfigAsMap().get(EarlyRefusalFactory.REFUSE_LOGIN_PAGE);
        refuseLoginPage = value instanceof Boolean b ? b : value != null && Boolean.parseBoolean(value.toString().trim());
    }

    @Override
    public void executeOnEvent(ClientPolicyContext context) throws ClientPolicyException {
        if (context instanceof ResourceOwnerPasswordCredentialsContext grant) {
            refuseGrant(grant.getParams());
        } else if (context instanceof PreAuthorizationRequestContext authorization && refuseLoginPage) {
            refusePage(authorization.getRequestParameters());
        }
    }

    private void refuseGrant(MultivaluedMap<String, String> params) throws ClientPolicyException {
        // the name as the grant's first step reads it, so both ask one decision for one name
        String username = params == null ? null : params.getFirst(AuthenticationManager.FORM_USERNAME);
        if (username == null || username.isBlank() || Usernames.hasControlCharacters(username)) {
            return; // the flow answers these as Keycloak does
        }
        RealmModel realm = session.getContext().getRealm();
        Risk risk;
        try {
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null || realm == null) {
                return;
            }
            risk = detection.risk().forTypedName(realm, username);
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: early grant check failed, going on to the flow: %s", e.toString());
            return;
        }
        if (!risk.refusesUnprovenPassword()) {
            return; // monitoring, and everything not refused, is the flow's (it logs what it would refuse)
        }
        PasswordGuard.recordRefused(session, realm, username);
        PasswordGuard.count(realm, "refused_before_session");
        LOG.debugf("Sentinel: refused a password grant in realm '%s' before its session: %s", realm.getName(),
                String.join("; ", risk.reasons()));
        retryAfter(risk.throttle().throttled() ? Math.max(1, risk.throttle().retryAfterSeconds()) : 60);
        throw new ClientPolicyException("invalid_grant", GuardedGrantUsername.REFUSED_DESCRIPTION,
                Response.Status.TOO_MANY_REQUESTS);
    }

    private void refusePage(MultivaluedMap<String, String> params) {
        if (params != null) {
            String prompt = params.getFirst(OIDCLoginProtocol.PROMPT_PARAM);
            if ((prompt != null && prompt.contains(OIDCLoginProtocol.PROMPT_VALUE_NONE))
                    || params.containsKey(OIDCLoginProtocol.REQUEST_PARAM) || params.containsKey(OIDCLoginProtocol.REQUEST_URI_PARAM)) {
                return;
            }
        }
        RealmModel realm = session.getContext().getRealm();
        Risk risk;
        try {
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null || realm == null || signedIn()) {
                return;
            }
            risk = detection.risk().forSource(realm);
            if (!risk.throttled() || risk.throttle().why() == RefusalReason.UNAVAILABLE || offersMoreThanPassword(realm)) {
                return;
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: early page check failed, going on to the login page: %s", e.toString());
            return;
        }
        PasswordGuard.count(realm, "login_page_refused");
        LOG.debugf("Sentinel: refused the login page in realm '%s' before its session: %s", realm.getName(),
                risk.throttle().reason());
        retryAfter(Math.max(1, risk.throttle().retryAfterSeconds()));
        // Keycloak's error page; thrown as is (not a ClientPolicyException), so no event row is written
        throw new ErrorPageException(session, Response.Status.TOO_MANY_REQUESTS, LoginThrottle.THROTTLED_MESSAGE);
    }

    /** A session cookie whose signature this realm's keys verify and that has not expired: a browser signed in. */
    private boolean signedIn() {
        CookieProvider cookies = session.getProvider(CookieProvider.class);
        String value = cookies == null ? null : cookies.get(CookieType.IDENTITY);
        if (value == null || value.isEmpty()) {
            return false;
        }
        try {
            IdentityCookieToken token = session.tokens().decode(value, IdentityCookieToken.class);
            return token != null && token.isActive();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether the realm's login page offers a way in without a password: an identity provider, a passkey. */
    private boolean offersMoreThanPassword(RealmModel realm) {
        if (Boolean.TRUE.equals(realm.getWebAuthnPolicyPasswordless().isPasskeysEnabled())) {
            return true;
        }
        return session.identityProviders().isIdentityFederationEnabled();
    }

    private void retryAfter(long seconds) {
        if (session.getContext().getHttpResponse() != null) {
            session.getContext().getHttpResponse().setHeader("Retry-After", String.valueOf(seconds));
        }
    }
}
