package io.keycloaksentinel.authenticators.guard;

import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.risk.RefusalReason;
import io.keycloaksentinel.core.risk.Risk;
import io.keycloaksentinel.core.risk.Usernames;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.cookie.CookieProvider;
import org.keycloak.cookie.CookieType;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocol;
import org.keycloak.representations.idm.ClientPolicyExecutorConfigurationRepresentation;
import org.keycloak.services.clientpolicy.ClientPolicyContext;
import org.keycloak.services.clientpolicy.ClientPolicyException;
import org.keycloak.services.clientpolicy.context.PreAuthorizationRequestContext;
import org.keycloak.services.clientpolicy.context.ResourceOwnerPasswordCredentialsContext;
import org.keycloak.services.clientpolicy.executor.ClientPolicyExecutorProvider;

/**
 * Sentinel's client-policy executor ({@value EarlyRefusalFactory#ID}): the request's one risk
 * decision, asked before Keycloak creates an authentication session, so that a refusal costs no
 * session, no flow and no login page. Keycloak runs it where a realm's client policy with this
 * executor applies (Sentinel's ready flows add one, condition {@code any-client}):
 * <ul>
 * <li>{@code RESOURCE_OWNER_PASSWORD_CREDENTIALS_REQUEST} (the password grant, after the client
 * authenticated, before the session and the flow): exactly what the guarded grant's first step
 * decides for the typed name, answered as it answers (429 {@code invalid_grant}, the same
 * description, {@code Retry-After}), counted as it counts;</li>
 * <li>{@code PRE_AUTHORIZATION_REQUEST} (the authorization endpoint, before the client is even
 * looked up): a throttled source gets a 429 page "too many attempts" instead of the login page,
 * but only when that page would offer it nothing else: no one signed in on that browser (a
 * session cookie: the code is issued without a password), not {@code prompt=none}, and the realm
 * has no identity provider and no passkeys (a user behind a throttled network still signs in with
 * those).</li>
 * </ul>
 * Anything it does not refuse goes on to the flows, which decide again (the same decision, read
 * once per request) and guard every password check as before.
 */
final class EarlyRefusal implements ClientPolicyExecutorProvider<ClientPolicyExecutorConfigurationRepresentation> {

    private static final Logger LOG = Logger.getLogger(EarlyRefusal.class);
    static final String PAGE_EVENT_ERROR = "sentinel_throttled";

    private final KeycloakSession session;

    EarlyRefusal(KeycloakSession session) {
        this.session = session;
    }

    @Override
    public String getProviderId() {
        return EarlyRefusalFactory.ID;
    }

    @Override
    public void executeOnEvent(ClientPolicyContext context) throws ClientPolicyException {
        AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
        RealmModel realm = session.getContext().getRealm();
        if (detection == null || realm == null) {
            return;
        }
        if (context instanceof ResourceOwnerPasswordCredentialsContext grant) {
            refuseGrant(detection, realm, grant.getParams());
        } else if (context instanceof PreAuthorizationRequestContext authorization) {
            refusePage(detection, realm, authorization.getRequestParameters());
        }
    }

    private void refuseGrant(AttackDetectionProvider detection, RealmModel realm, MultivaluedMap<String, String> params)
            throws ClientPolicyException {
        String username = params == null ? null : params.getFirst(OAuth2Constants.USERNAME);
        username = username == null ? null : username.trim();
        if (username == null || username.isEmpty() || Usernames.hasControlCharacters(username)) {
            return; // the flow answers these as Keycloak does
        }
        Risk risk;
        try {
            risk = detection.risk().forTypedName(realm, username);
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: early grant check failed in realm '%s', going on to the flow: %s", realm.getName(),
                    e.toString());
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

    private void refusePage(AttackDetectionProvider detection, RealmModel realm, MultivaluedMap<String, String> params)
            throws ClientPolicyException {
        String prompt = params == null ? null : params.getFirst(OIDCLoginProtocol.PROMPT_PARAM);
        if (prompt != null && prompt.contains(OIDCLoginProtocol.PROMPT_VALUE_NONE)) {
            return;
        }
        Risk risk;
        try {
            risk = detection.risk().forSource(realm);
            if (!risk.throttled() || risk.throttle().why() == RefusalReason.UNAVAILABLE || offersMoreThanPassword(realm)) {
                return;
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: early page check failed in realm '%s', going on to the login page: %s", realm.getName(),
                    e.toString());
            return;
        }
        detection.detector().throttled(realm.getId(), realm.getName(), false);
        PasswordGuard.count(realm, "login_page_refused");
        LOG.debugf("Sentinel: refused the login page in realm '%s' before its session: %s", realm.getName(),
                risk.throttle().reason());
        retryAfter(Math.max(1, risk.throttle().retryAfterSeconds()));
        throw new ClientPolicyException(PAGE_EVENT_ERROR, LoginThrottle.THROTTLED_MESSAGE, Response.Status.TOO_MANY_REQUESTS);
    }

    /** Whether the login page would let this visitor in without a password: a session, an identity provider, a passkey. */
    private boolean offersMoreThanPassword(RealmModel realm) {
        CookieProvider cookies = session.getProvider(CookieProvider.class);
        if (cookies != null && cookies.get(CookieType.IDENTITY) != null) {
            return true;
        }
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
