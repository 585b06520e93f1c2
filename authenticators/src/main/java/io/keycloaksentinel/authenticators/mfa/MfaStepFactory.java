package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.authenticators.SentinelStepFactory;
import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.flow.MfaStepConfig;
import java.util.List;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

/**
 * "Sentinel MFA enforcement". Goes after the password step and after a conditional second-factor
 * sub-flow, in the browser flow and in the reset-credentials flow. Every config field may stay
 * empty: an empty field takes the realm-wide value set through the Sentinel admin REST.
 */
public final class MfaStepFactory extends SentinelStepFactory<Authenticator> implements AuthenticatorFactory {

    public static final String PROVIDER_ID = MfaStepConfig.STEP_ID;
    private static final MfaStep SINGLETON = new MfaStep();

    public MfaStepFactory() {
        super(PROVIDER_ID, "Sentinel MFA enforcement", "mfa",
                "Enforces Sentinel's MFA policy (realm, organizations, groups, roles; grace period; allowed factors) and "
                        + "risk-based step-up. Place it after the password and after a conditional second-factor sub-flow.");
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return SINGLETON;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return ProviderConfigurationBuilder.create()
                .property().name(MfaSettings.MODE).label("MFA policy").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "off", "enforce", "monitor")
                .helpText("enforce: covered users need a second factor (after the grace); monitor: count and log only; "
                        + "off (default).").add()
                .property().name(MfaSettings.SCOPES).label("Required for").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("realm, organization:<alias>, group:</path>, role:<role> or role:<client-id>.<role>; optional "
                        + ";graceDays=N;graceLogins=N per entry. A user in several gets the strictest grace.").add()
                .property().name(MfaSettings.EXEMPT).label("Exempt").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("user:<username>, group:</path> or role:<role>: never asked to enroll by the policy.").add()
                .property().name(MfaSettings.FACTORS).label("Allowed factors").type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("otp, webauthn, passkey, recovery-codes (default: otp, webauthn, passkey).").add()
                .property().name(MfaSettings.GRACE_DAYS).label("Grace (days)").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("Days from the policy's start (or the account's creation) during which a user may skip "
                        + "enrollment; 0: none (default 14).").add()
                .property().name(MfaSettings.GRACE_LOGINS).label("Grace (logins)").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("How many times a user may skip enrollment; 0: not limited by logins (default).").add()
                .property().name(MfaSettings.GRACE_START).label("Grace start").type(ProviderConfigProperty.STRING_TYPE)
                .helpText("2026-12-01 or an ISO instant; empty: when the policy was turned on.").add()
                .property().name(MfaSettings.ENROLLMENT_PROOF).label("Email proof before enrollment")
                .type(ProviderConfigProperty.LIST_TYPE).options("", "risky", "always", "never")
                .helpText("risky (default): on an unknown device, a risky login or after a breached password; always; never.")
                .add()
                .property().name(MfaSettings.STEP_UP).label("Step-up").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "enforce", "monitor", "off").helpText("Risk-based step-up (default enforce).").add()
                .property().name(MfaSettings.STEP_UP_HIGH).label("High risk").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "allow", "second-proof", "email-link", "refuse").helpText("Default second-proof. email-link: the right password is answered as a wrong one and the owner mailed a link that continues the sign-in in that browser.").add()
                .property().name(MfaSettings.STEP_UP_MEDIUM).label("Medium risk").type(ProviderConfigProperty.LIST_TYPE)
                .options("", "allow", "second-proof", "refuse").helpText("Default allow.").add()
                .property().name(MfaSettings.STEP_UP_UNKNOWN_DEVICE).label("Unknown device")
                .type(ProviderConfigProperty.LIST_TYPE).options("", "allow", "second-proof", "refuse")
                .helpText("Any sign-in from a device the user has not used before (default allow).").add()
                .build();
    }
}
