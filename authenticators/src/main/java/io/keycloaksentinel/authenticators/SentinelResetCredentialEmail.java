package io.keycloaksentinel.authenticators;

import io.keycloaksentinel.core.provider.SentinelProviderFactory;
import io.keycloaksentinel.core.mail.MailOutbox;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.actiontoken.resetcred.ResetCredentialsActionToken;
import org.keycloak.authentication.authenticators.browser.AbstractUsernameFormAuthenticator;
import org.keycloak.authentication.authenticators.resetcred.ResetCredentialEmail;
import org.keycloak.common.util.Time;
import org.keycloak.email.EmailException;
import org.keycloak.email.EmailTemplateProvider;
import org.keycloak.events.Details;
import org.keycloak.events.Errors;
import org.keycloak.events.EventType;
import org.keycloak.models.DefaultActionTokenKey;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.FormMessage;
import org.keycloak.services.messages.Messages;
import org.keycloak.sessions.AuthenticationSessionCompoundId;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * Keycloak's "Send Reset Email" step, answering at the same speed whether or not the account
 * exists: Keycloak sends the reset mail while the visitor waits (an existing account answers
 * slower by an SMTP round trip, and an SMTP failure shows an error page only for existing
 * accounts). Here the same link is built, the mail is queued and sent after commit by Sentinel's
 * mail queue (retried; failures logged and counted as {@code sentinel_mail_total{kind="password_reset"}}),
 * and an unknown account costs the same token signing. An address gets at most a few reset mails
 * an hour ({@link ResetLimits}); beyond that none is sent and the page is the same. Replace
 * Keycloak's step with it.
 */
public final class SentinelResetCredentialEmail extends ResetCredentialEmail
        implements SentinelProviderFactory<Authenticator> {

    public static final String PROVIDER_ID = "sentinel-reset-credential-email";

    /**
     * Keycloak's own reset mail (theme template password-reset.ftl), rendered in the queue's session,
     * within the address's hourly budget ({@code perHour}, 0: none), claimed there on the whole cluster.
     */
    record ResetMail(String realmId, String userId, String link, long minutes, int perHour) implements MailOutbox.Delivery {

        @Override
        public String kind() {
            return "password_reset";
        }

        @Override
        public String deliver(KeycloakSession session, RealmModel realm) throws EmailException {
            UserModel user = session.users().getUserById(realm, userId);
            if (user == null || user.getEmail() == null || user.getEmail().isBlank() || !user.isEnabled()) {
                return null;
            }
            if (!ResetLimits.mailSlot(session, realm, user.getEmail(), perHour)) {
                return null; // the address had its reset mails for the hour: not sent, not retried
            }
            session.getProvider(EmailTemplateProvider.class).setRealm(realm).setUser(user).sendPasswordReset(link, minutes);
            return null;
        }

        @Override
        public java.time.Duration delay() {
            return MailOutbox.afterTheAnswer();
        }

        @Override
        public boolean onRequest() {
            return true;
        }
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        Optional<MailOutbox> outbox = MailOutbox.of(context.getSession());
        if (outbox.isEmpty()) {
            super.authenticate(context); // no queue on this server: Keycloak's own behaviour
            return;
        }
        UserModel user = context.getUser();
        AuthenticationSessionModel auth = context.getAuthenticationSession();
        String username = auth.getAuthNote(AbstractUsernameFormAuthenticator.ATTEMPTED_USERNAME);
        if (user != null) {
            String tokenUser = auth.getAuthNote(DefaultActionTokenKey.ACTION_TOKEN_USER_ID);
            if (tokenUser != null && Objects.equals(user.getId(), tokenUser)) {
                context.success(); // back here after the link was followed
                return;
            }
        }
        ResetLimits limits = ResetLimits.of(context.getAuthenticatorConfig());
        // an address nobody verified (an intruder's, set without proof) gets no reset link
        boolean hasEmail = user != null && user.getEmail() != null && !user.getEmail().isBlank()
                && (user.isEmailVerified() || !limits.verifiedOnly());
        int validity = context.getRealm().getActionTokenGeneratedByUserLifespan(ResetCredentialsActionToken.TOKEN_TYPE);
        // the same signing work whether or not there is someone to mail
        ResetCredentialsActionToken token = new ResetCredentialsActionToken(hasEmail ? user.getId() : UUID.randomUUID().toString(),
                hasEmail ? user.getEmail() : "nobody@invalid", Time.currentTime() + validity,
                AuthenticationSessionCompoundId.fromAuthSession(auth).getEncodedId(), auth.getClient().getClientId());
        String link = context.getActionTokenUrl(token.serialize(context.getSession(), context.getRealm(), context.getUriInfo()))
                .toString();
        if (hasEmail) {
            // the address's hourly budget is claimed on the mail thread: no cluster call here that only a mailed
            // account would make (its time would tell registered names from unknown ones)
            outbox.get().afterCommit(context.getSession(), new ResetMail(context.getRealm().getId(), user.getId(), link,
                    TimeUnit.SECONDS.toMinutes(validity), limits.mailsPerAddress()));
            context.getEvent().clone().event(EventType.SEND_RESET_PASSWORD).user(user).detail(Details.USERNAME, username)
                    .detail(Details.EMAIL, user.getEmail()).detail(Details.CODE_ID, auth.getParentSession().getId())
                    .success();
        } else if (user != null) {
            context.getEvent().user(user).detail(Details.USERNAME, username).error(Errors.INVALID_EMAIL);
        }
        context.forkWithSuccessMessage(new FormMessage(Messages.EMAIL_SENT));
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public boolean isConfigurable() {
        return true;
    }

    @Override
    public java.util.List<org.keycloak.provider.ProviderConfigProperty> getConfigProperties() {
        return ResetLimits.mailProperties();
    }

    @Override
    public String getDisplayType() {
        return "Sentinel Send Reset Email (same answer, same speed)";
    }

    @Override
    public String getHelpText() {
        return "Keycloak's Send Reset Email step, with the mail sent after the answer by Sentinel's mail queue, so an "
                + "existing and an unknown account get the same answer at the same speed.";
    }
}
