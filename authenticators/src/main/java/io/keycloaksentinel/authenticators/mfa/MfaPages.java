package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.authenticators.EmailCode;
import io.keycloaksentinel.core.mfa.MfaSettings;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.forms.login.LoginFormsProvider;

/**
 * The MFA step's pages and where the step stands in this login: the choice of a factor (with the
 * grace left), the emailed-code page, and the refusal page; the stage is kept as an auth note.
 */
final class MfaPages {

    static final String STAGE = "sentinel.mfa.stage";
    /** Auth note: the message of the refusal page. */
    static final String REFUSED_NOTE = "refused";
    static final String EVENT_DETAIL = "sentinel_mfa";
    private static final Logger LOG = Logger.getLogger(MfaPages.class);

    /** Where the step stands in a login: the page it shows (kept as an auth note). */
    enum Stage {
        CHOOSE("choose"),
        EMAIL_ENROLL("email-enroll"),
        EMAIL_STEP_UP("email-step-up"),
        EMAIL_SKIP("email-skip"),
        REFUSED("refused");

        private final String note;

        Stage(String note) {
            this.note = note;
        }

        boolean email() {
            return this == EMAIL_ENROLL || this == EMAIL_STEP_UP || this == EMAIL_SKIP;
        }

        /** The stage a note names (a note this step did not write: the refusal page). */
        static Stage of(String note) {
            for (Stage s : values()) {
                if (s.note.equals(note)) {
                    return s;
                }
            }
            return REFUSED;
        }
    }

    private MfaPages() {
    }

    /** Shows the page of {@code stage}, with an error or an info message (both may be null). */
    static void render(AuthenticationFlowContext context, Stage stage, String error, String info) {
        context.challenge(page(context, stage, error, info));
    }

    static Response page(AuthenticationFlowContext context, Stage stage, String error, String info) {
        LoginFormsProvider form = context.form();
        if (error != null) {
            form.setError(error);
        } else if (info != null) {
            form.setInfo(info);
        }
        if (stage.email()) {
            return form.setAttribute("sentinelCodeTitle", "sentinelMfaCodeTitle")
                    .setAttribute("sentinelCodeInfo", stage == Stage.EMAIL_STEP_UP ? "sentinelMfaStepUpCodeInfo"
                            : stage == Stage.EMAIL_SKIP ? "sentinelMfaSkipCodeInfo" : "sentinelMfaEnrollCodeInfo")
                    .createForm(EmailCode.TEMPLATE);
        }
        if (stage == Stage.CHOOSE) {
            return form.setAttribute("sentinelMfa", choice(context)).createForm("sentinel-mfa-enroll.ftl");
        }
        String message = context.getAuthenticationSession().getAuthNote(REFUSED_NOTE);
        return form.setError(message == null ? "sentinelMfaFlowIncomplete" : message).createErrorPage(Response.Status.FORBIDDEN);
    }

    /** What the choice page shows: the grace left and the factors that can be enrolled. */
    private static Map<String, Object> choice(AuthenticationFlowContext context) {
        MfaSettings settings = MfaFlow.settings(context);
        MfaStatus status = MfaGrace.status(new MfaPolicyEvaluator(context.getSession(), context.getRealm(), settings),
                context.getUser());
        Map<String, Object> mfa = new LinkedHashMap<>();
        mfa.put("inGrace", status.state() == MfaStatus.State.IN_GRACE);
        mfa.put("daysLeft", status.daysLeft());
        mfa.put("loginLimited", status.loginLimited());
        mfa.put("loginsLeft", status.loginLimited() ? status.loginsLeft() : 0);
        mfa.put("deadline", DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.ofEpochMilli(status.graceEndsAt())
                .atZone(ZoneOffset.UTC)));
        mfa.put("factors", MfaFlow.enrollable(context.getRealm(), settings).stream().map(f -> f.value()).toList());
        return mfa;
    }

    /** Refuses this login with a message page; the user starts over. Not a brute-force failure: the password was right. */
    static void refuse(AuthenticationFlowContext context, String error, String message) {
        setStage(context, Stage.REFUSED);
        context.getAuthenticationSession().setAuthNote(REFUSED_NOTE, message);
        context.getEvent().detail(EVENT_DETAIL, error).error(error);
        context.challenge(context.form().setError(message).createErrorPage(Response.Status.FORBIDDEN));
    }

    static void flowIncomplete(AuthenticationFlowContext context) {
        LOG.errorf("Sentinel: user %s of realm '%s' has a second factor that the login flow did not ask for; refused. "
                        + "Put a conditional second-factor sub-flow (Keycloak's OTP / WebAuthn forms) before sentinel-mfa, "
                        + "or create the ready flows with POST .../sentinel-admin/mfa/flows",
                context.getUser().getId(), context.getRealm().getName());
        MfaFlow.count(context.getRealm(), "flow_incomplete");
        refuse(context, "sentinel_mfa_flow_incomplete", "sentinelMfaFlowIncomplete");
    }

    /**
     * This step's stage in this login, for this flow only: an authentication session keeps its
     * notes when the user goes from the login to "forgot password", and a stage begun in one flow
     * must not stand in another.
     */
    static Stage stage(AuthenticationFlowContext context) {
        String note = context.getAuthenticationSession().getAuthNote(STAGE);
        String prefix = flowKey(context) + "|";
        return note != null && note.startsWith(prefix) ? Stage.of(note.substring(prefix.length())) : null;
    }

    static void setStage(AuthenticationFlowContext context, Stage stage) {
        context.getAuthenticationSession().setAuthNote(STAGE, flowKey(context) + "|" + stage.note);
    }

    static void clearStage(AuthenticationFlowContext context) {
        context.getAuthenticationSession().removeAuthNote(STAGE);
    }

    private static String flowKey(AuthenticationFlowContext context) {
        return (context.getTopLevelFlow() == null ? "-" : context.getTopLevelFlow().getId()) + "|"
                + (context.getUser() == null ? "-" : context.getUser().getId());
    }
}
