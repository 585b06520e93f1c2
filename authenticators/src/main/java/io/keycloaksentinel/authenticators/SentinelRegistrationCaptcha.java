package io.keycloaksentinel.authenticators;

import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import java.util.Optional;
import org.keycloak.authentication.FormAction;
import org.keycloak.authentication.FormActionFactory;
import org.keycloak.authentication.FormContext;
import org.keycloak.authentication.ValidationContext;
import org.keycloak.events.Errors;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.utils.FormMessage;
import org.keycloak.provider.ProviderConfigProperty;

/**
 * "Sentinel CAPTCHA" for the registration form: shown while the request is risky (or always),
 * checked before the account is created and any password hashed (Keycloak creates the account
 * and hashes its password only after every form action validated). When the answer is refused,
 * only the CAPTCHA message is shown ({@code excludeOtherErrors}), so a bot learns nothing about
 * which usernames or emails exist. Put it LAST in the "registration form" sub-flow: Keycloak's
 * {@code excludeOtherErrors} drops the messages of the actions before it, not after it. (Keycloak
 * still runs the other actions' validation, e.g. its duplicate-username query; no hash.)
 */
public final class SentinelRegistrationCaptcha extends SentinelStepFactory<FormAction>
        implements FormAction, FormActionFactory {

    public static final String PROVIDER_ID = "sentinel-registration-captcha";

    public SentinelRegistrationCaptcha() {
        super(PROVIDER_ID, "Sentinel CAPTCHA", "sentinel-captcha",
                "Sentinel's adaptive CAPTCHA on the registration form: only while the request is risky (or always), "
                        + "checked before the account is created.");
    }

    @Override
    public void buildPage(FormContext context, LoginFormsProvider form) {
        CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(), CaptchaGate.Form.REGISTRATION)
                .showIfRequired(form);
    }

    @Override
    public void validate(ValidationContext context) {
        MultivaluedMap<String, String> posted = context.getHttpRequest().getDecodedFormParameters();
        CaptchaGate gate = CaptchaGate.of(context.getSession(), context.getRealm(), context.getAuthenticatorConfig(),
                CaptchaGate.Form.REGISTRATION);
        if (!gate.required(null)) {
            context.success();
            return;
        }
        Optional<String> refusal = gate.refusal(posted);
        if (refusal.isEmpty()) {
            context.success();
            return;
        }
        // keep what the user typed, except secrets and the spent answer
        MultivaluedMap<String, String> keep = new MultivaluedHashMap<>();
        posted.forEach((k, v) -> {
            if (!k.startsWith("password") && !k.equals(gate.provider() == null ? "" : gate.provider().responseField())
                    && v != null && v.size() == 1 && v.get(0) != null && v.get(0).length() <= 255) {
                keep.put(k, v);
            }
        });
        context.getEvent().detail("sentinel_captcha", refusal.get());
        context.error(Errors.INVALID_REGISTRATION);
        context.validationError(keep, List.of(new FormMessage(null, refusal.get())));
        context.excludeOtherErrors();
    }

    @Override
    public void success(FormContext context) {
        // nothing to do once the account exists
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return CaptchaConfigProperties.list();
    }
}
