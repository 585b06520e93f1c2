package io.keycloaksentinel.authenticators.guard;

import jakarta.ws.rs.core.MultivaluedMap;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.browser.UsernamePasswordForm;
import org.keycloak.authentication.authenticators.browser.UsernamePasswordFormFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.UserModel;
import org.keycloak.services.managers.AuthenticationManager;

/**
 * Replaces Keycloak's "Username Password Form" ({@code auth-username-password-form}: same id,
 * higher order) with Keycloak's own form plus {@link LoginThrottle} before the lookup, so a realm
 * that never bound Sentinel's form refuses a throttled source before any user is looked up or
 * hashed, with the same answer for existing and unknown accounts (the password guard at the hash
 * alone would answer an existing account faster than an unknown one, whose dummy hash Keycloak
 * still computes). No CAPTCHA and no step-up here: those are Sentinel's form's.
 */
public final class GuardedUsernamePasswordForm extends UsernamePasswordFormFactory {

    @Override
    public Authenticator create(KeycloakSession session) {
        return new Form(session);
    }

    @Override
    public int order() {
        return GuardedPasswordCredentialProviderFactory.ORDER;
    }

    static final class Form extends UsernamePasswordForm {

        Form(KeycloakSession session) {
            super(session);
        }

        @Override
        public void action(AuthenticationFlowContext context) {
            MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
            if (!form.containsKey("cancel")
                    && LoginThrottle.refused(context, form.getFirst(AuthenticationManager.FORM_USERNAME))) {
                return;
            }
            super.action(context);
        }

        @Override
        protected boolean validateForm(AuthenticationFlowContext context, MultivaluedMap<String, String> formData) {
            return LoginThrottle.validateUnderBulkhead(context, () -> super.validateForm(context, formData));
        }

        @Override
        public void testInvalidUser(AuthenticationFlowContext context, UserModel user) {
            if (user != null) {
                super.testInvalidUser(context, user);
                return;
            }
            PasswordGuard.dummyHashUnderBulkhead(context.getSession(), context.getRealm(),
                    () -> super.testInvalidUser(context, null));
        }
    }
}
