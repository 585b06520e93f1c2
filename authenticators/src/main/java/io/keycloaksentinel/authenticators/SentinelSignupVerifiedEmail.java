package io.keycloaksentinel.authenticators;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import java.util.Locale;
import org.keycloak.authentication.FormAction;
import org.keycloak.authentication.FormActionFactory;
import org.keycloak.authentication.FormContext;
import org.keycloak.authentication.ValidationContext;
import org.keycloak.events.Errors;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.utils.FormMessage;

/**
 * The registration form's half of the email-first sign-up: the form opens with the address the
 * user proved to control ({@link SentinelSignupEmail}) filled in and refuses any other address
 * (the sign-up step, run again after the form, marks the new account's address verified). Put it FIRST among the registration form's actions:
 * it replaces the posted address with the verified one before Keycloak's own checks run, so a
 * verified mailbox cannot be used to probe which other addresses have accounts (Keycloak's
 * duplicate-email check only ever sees the verified address). Without the sign-up step before the
 * form, every registration is refused: a flow edited to skip the step cannot create accounts.
 */
public final class SentinelSignupVerifiedEmail extends SentinelStepFactory<FormAction>
        implements FormAction, FormActionFactory {

    public static final String PROVIDER_ID = "sentinel-signup-verified-email";
    static final String LOCKED_MESSAGE = "sentinelSignupEmailLocked";
    static final String START_OVER_MESSAGE = "sentinelSignupStartOver";

    public SentinelSignupVerifiedEmail() {
        super(PROVIDER_ID, "Sentinel verified email", "sentinel-signup",
                "With 'Sentinel email-first sign-up' before the form (and again after it, which marks the address "
                        + "verified): fills in the address the user proved and refuses any other. Put it first in the "
                        + "registration form.");
    }

    @Override
    public void buildPage(FormContext context, LoginFormsProvider form) {
        String verified = context.getAuthenticationSession().getAuthNote(SentinelSignupEmail.VERIFIED_NOTE);
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        // first display of the form (after the code): fill the address in; a re-display keeps what was posted
        if (verified != null && (posted == null || !posted.containsKey("email"))) {
            MultivaluedMap<String, String> data = new MultivaluedHashMap<>();
            data.putSingle("email", verified);
            if (context.getRealm().isRegistrationEmailAsUsername()) {
                data.putSingle("username", verified);
            }
            form.setFormData(data);
        }
    }

    @Override
    public void validate(ValidationContext context) {
        String verified = context.getAuthenticationSession().getAuthNote(SentinelSignupEmail.VERIFIED_NOTE);
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        List<String> typed = posted.get("email");
        boolean same = sameAddress(typed, verified);
        if (verified != null) {
            // the actions after this one (Keycloak's duplicate-email check) only ever see the verified address:
            // the form cannot be used to probe whether other addresses have accounts
            posted.put("email", List.of(verified));
            if (context.getRealm().isRegistrationEmailAsUsername()) {
                posted.put("username", List.of(verified));
            }
        }
        if (same) {
            context.success();
            return;
        }
        MultivaluedMap<String, String> keep = new MultivaluedHashMap<>();
        posted.forEach((k, v) -> {
            if (!k.startsWith("password") && v != null && v.size() == 1 && v.get(0) != null && v.get(0).length() <= 255) {
                keep.put(k, v);
            }
        });
        context.getEvent().detail("sentinel_signup", verified == null ? "no_verified_address" : "address_changed");
        context.error(Errors.INVALID_REGISTRATION);
        // a page-wide message (no field): Keycloak keeps the first message per field, and this one must show
        context.validationError(keep, List.of(new FormMessage(null, verified == null ? START_OVER_MESSAGE : LOCKED_MESSAGE)));
        context.excludeOtherErrors();
    }

    /**
     * Whether the form posted exactly one address and it is the verified one (stored lower-case):
     * exact comparison after lower-casing, no Unicode case folding, so {@code alıce@} (dotless i) verified
     * never opens {@code alice@}.
     */
    static boolean sameAddress(List<String> typed, String verified) {
        return verified != null && typed != null && typed.size() == 1 && typed.get(0) != null
                && typed.get(0).strip().toLowerCase(Locale.ROOT).equals(verified);
    }

    @Override
    public void success(FormContext context) {
        // the account does not exist yet here (this action runs first); the sign-up step after the form verifies it
    }
}
