package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.flow.MfaStepConfig;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.credential.CredentialProvider;
import org.keycloak.credential.CredentialTypeMetadata;
import org.keycloak.credential.CredentialTypeMetadataContext;
import org.keycloak.credential.OTPCredentialProvider;
import org.keycloak.credential.OTPCredentialProviderFactory;
import org.keycloak.credential.RecoveryAuthnCodesCredentialProvider;
import org.keycloak.credential.RecoveryAuthnCodesCredentialProviderFactory;
import org.keycloak.credential.WebAuthnCredentialProvider;
import org.keycloak.credential.WebAuthnCredentialProviderFactory;
import org.keycloak.credential.WebAuthnPasswordlessCredentialProvider;
import org.keycloak.credential.WebAuthnPasswordlessCredentialProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.provider.ProviderFactory;

/**
 * Keeps a user's last second factor while the realm's MFA policy requires one. Keycloak asks a
 * credential type's metadata whether it is "removeable" before a user deletes a credential (the
 * account console's delete action and the account REST API both go through that check, and the
 * console hides the button); Sentinel replaces Keycloak's four second-factor credential provider
 * factories with subclasses that answer "not removeable" exactly when this is the user's last
 * allowed factor and the policy covers them. Everything else is Keycloak's own code. An admin's
 * removal (admin console, admin REST) does not ask the metadata and is not affected.
 */
public final class LastFactorGuard {

    /** Above Keycloak's own factories (order 0), so these win the provider id. */
    static final int ORDER = 100;
    private static final Logger LOG = Logger.getLogger(LastFactorGuard.class);

    private LastFactorGuard() {
    }

    static CredentialTypeMetadata guard(KeycloakSession session, CredentialTypeMetadataContext context,
                                        CredentialTypeMetadata metadata) {
        if (metadata == null || !metadata.isRemoveable() || context == null || context.getUser() == null) {
            return metadata;
        }
        try {
            if (!isLastRequiredFactor(session, context.getUser(), metadata.getType())) {
                return metadata;
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: could not check whether a credential is the user's last second factor: %s", e.toString());
            return metadata;
        }
        return CredentialTypeMetadata.builder().type(metadata.getType()).category(metadata.getCategory())
                .displayName(metadata.getDisplayName()).helpText(metadata.getHelpText())
                .iconCssClass(metadata.getIconCssClass()).createAction(metadata.getCreateAction())
                .updateAction(metadata.getUpdateAction()).removeable(false).build(session);
    }

    /**
     * Whether removing one credential of {@code type} would leave a user the policy covers without an
     * allowed factor. The policy is the realm's, with the browser flow's {@code sentinel-mfa} config.
     */
    public static boolean isLastRequiredFactor(KeycloakSession session, UserModel user, String type) {
        RealmModel realm = session.getContext().getRealm();
        Optional<Factor> factor = Factor.ofCredentialType(type);
        if (realm == null || factor.isEmpty()) {
            return false;
        }
        MfaSettings settings = MfaStepConfig.settings(realm, realm.getBrowserFlow());
        if (settings.mode() != MfaSettings.Mode.ENFORCE || !settings.factors().contains(factor.get())) {
            return false;
        }
        MfaPolicyEvaluator policy = new MfaPolicyEvaluator(session, realm, settings);
        if (policy.matchedScopes(user).isEmpty() || policy.exempt(user)) {
            return false;
        }
        long allowed = settings.factors().stream()
                .mapToLong(f -> user.credentialManager().getStoredCredentialsByTypeStream(f.credentialType()).count())
                .sum();
        return allowed <= 1;
    }

    /** A factory that replaces Keycloak's own of the same id: ordered above it, so it wins the id. */
    interface AboveKeycloak extends ProviderFactory<CredentialProvider> {
        @Override
        default int order() {
            return ORDER;
        }
    }

    /** keycloak-otp. */
    public static final class Otp extends OTPCredentialProviderFactory implements AboveKeycloak {
        @Override
        public OTPCredentialProvider create(KeycloakSession session) {
            return new OTPCredentialProvider(session) {
                @Override
                public CredentialTypeMetadata getCredentialTypeMetadata(CredentialTypeMetadataContext context) {
                    return guard(session, context, super.getCredentialTypeMetadata(context));
                }
            };
        }
    }

    /** keycloak-webauthn. */
    public static final class WebAuthn extends WebAuthnCredentialProviderFactory implements AboveKeycloak {
        @Override
        public CredentialProvider create(KeycloakSession session) {
            return new WebAuthnCredentialProvider(session, getMetadataService(), createOrGetObjectConverter()) {
                @Override
                public CredentialTypeMetadata getCredentialTypeMetadata(CredentialTypeMetadataContext context) {
                    return guard(session, context, super.getCredentialTypeMetadata(context));
                }
            };
        }
    }

    /** keycloak-webauthn-passwordless. */
    public static final class Passkey extends WebAuthnPasswordlessCredentialProviderFactory implements AboveKeycloak {
        @Override
        public CredentialProvider create(KeycloakSession session) {
            return new WebAuthnPasswordlessCredentialProvider(session, getMetadataService(), createOrGetObjectConverter()) {
                @Override
                public CredentialTypeMetadata getCredentialTypeMetadata(CredentialTypeMetadataContext context) {
                    return guard(session, context, super.getCredentialTypeMetadata(context));
                }
            };
        }
    }

    /** keycloak-recovery-authn-codes. */
    public static final class RecoveryCodes extends RecoveryAuthnCodesCredentialProviderFactory
            implements AboveKeycloak {
        @Override
        public RecoveryAuthnCodesCredentialProvider create(KeycloakSession session) {
            return new RecoveryAuthnCodesCredentialProvider(session) {
                @Override
                public CredentialTypeMetadata getCredentialTypeMetadata(CredentialTypeMetadataContext context) {
                    return guard(session, context, super.getCredentialTypeMetadata(context));
                }
            };
        }
    }
}
