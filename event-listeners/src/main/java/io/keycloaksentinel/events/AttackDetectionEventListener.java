package io.keycloaksentinel.events;

import io.keycloaksentinel.core.detect.AccountActivity;
import io.keycloaksentinel.core.detect.AttackDetectionProvider;
import io.keycloaksentinel.core.detect.LoginOutcome;
import io.keycloaksentinel.core.detect.RealmDetectionConfig;
import io.keycloaksentinel.core.risk.KnownNames;
import io.keycloaksentinel.events.incident.LookBack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;
import org.keycloak.events.Errors;
import org.keycloak.events.Event;
import org.keycloak.events.EventListenerProvider;
import org.keycloak.events.EventType;
import org.keycloak.events.admin.AdminEvent;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

/** Turns Keycloak's login events into counts. Never throws: counting must not fail a login. */
final class AttackDetectionEventListener implements EventListenerProvider {

    private static final Logger LOG = Logger.getLogger(AttackDetectionEventListener.class);

    private final KeycloakSession session;

    AttackDetectionEventListener(KeycloakSession session) {
        this.session = session;
    }

    /** Which login events count, and as what; empty for everything else. */
    static Optional<LoginOutcome> classify(EventType type, String error) {
        if (type == EventType.LOGIN) {
            return Optional.of(LoginOutcome.SUCCESS);
        }
        if (type != EventType.LOGIN_ERROR || error == null) {
            return Optional.empty();
        }
        return switch (error) {
            case Errors.USER_NOT_FOUND -> Optional.of(LoginOutcome.FAILURE_UNKNOWN_USER);
            case Errors.INVALID_USER_CREDENTIALS, Errors.USER_TEMPORARILY_DISABLED, Errors.USER_DISABLED ->
                    Optional.of(LoginOutcome.FAILURE);
            default -> Optional.empty(); // expired code, bad redirect, missing cookie...: not a password guess
        };
    }

    /** Which sign-up and password events count as account activity, and as what; empty for everything else. */
    static Optional<AccountActivity> activity(EventType type, String error) {
        return Optional.ofNullable(switch (type) {
            case REGISTER -> AccountActivity.REGISTERED;
            case REGISTER_ERROR -> AccountActivity.REGISTRATION_FAILED;
            case SEND_RESET_PASSWORD -> AccountActivity.RESET_REQUESTED;
            case SEND_RESET_PASSWORD_ERROR -> AccountActivity.RESET_REQUEST_FAILED;
            // every named reset request counts for its source alike (unknown, disabled, no address), so that the
            // reset limits say nothing about which names exist
            case RESET_PASSWORD_ERROR -> Errors.USER_NOT_FOUND.equals(error) ? AccountActivity.RESET_UNKNOWN_USER
                    : Errors.USER_DISABLED.equals(error) || Errors.INVALID_EMAIL.equals(error)
                    ? AccountActivity.RESET_REQUEST_FAILED : null;
            case RESET_PASSWORD -> AccountActivity.PASSWORD_RESET;
            case UPDATE_CREDENTIAL, UPDATE_PASSWORD -> AccountActivity.CREDENTIAL_UPDATED;
            default -> null;
        });
    }

    @Override
    public void onEvent(Event event) {
        try {
            Optional<AccountActivity> activity = activity(event.getType(), event.getError());
            if (activity.isPresent()) {
                AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
                RealmModel realm = session.realms().getRealm(event.getRealmId());
                if (detection != null) {
                    detection.detector().recordActivity(event.getRealmId(), realm == null ? null : realm.getName(),
                            activity.get(), event.getIpAddress());
                }
                return;
            }
            Optional<LoginOutcome> outcome = classify(event.getType(), event.getError());
            if (outcome.isEmpty()) {
                return;
            }
            Map<String, String> details = event.getDetails();
            String username = details == null ? null : details.get("username");
            RealmModel realm = session.realms().getRealm(event.getRealmId());
            AttackDetectionProvider detection = session.getProvider(AttackDetectionProvider.class);
            if (detection == null) {
                return;
            }
            String realmName = realm == null ? null : realm.getName();
            if (realm != null) {
                detection.detector().states().configure(realm.getId(), realmName,
                        RealmDetectionConfig.effective(realm::getAttribute));
            }
            // a failure for an existing account counts for the account too, whatever name it was typed as
            detection.detector().record(event.getRealmId(), realmName, outcome.get(), event.getIpAddress(), username,
                    outcome.get() == LoginOutcome.FAILURE ? event.getUserId() : null);
            if (outcome.get().failed()) {
                detection.detector().incidents().flagIfSuspicious(event.getRealmId(), event.getIpAddress());
            } else if (event.getUserId() != null) {
                detection.detector().incidents().rememberIfSuspect(event.getRealmId(), event.getUserId(),
                        event.getIpAddress());
            }
            if (outcome.get() == LoginOutcome.SUCCESS && realm != null && event.getUserId() != null) {
                // the network becomes known under every name the user may type (smart lockout)
                UserModel user = session.users().getUserById(realm, event.getUserId());
                if (user != null && session.getContext().getConnection() != null
                        && LookBack.looksBack(realm)) {
                    // the request keeps whether the account knew this network before this sign-in makes it known, so
                    // the request's later listeners (the attack's look-back) read it as it was, whenever the node flushes
                    detection.risk().accountKnowsNetwork(realm, user);
                }
                List<String> names = new ArrayList<>();
                names.add(username);
                if (user != null) {
                    names.add(user.getUsername());
                    if (KnownNames.emailIsAName(realm)) {
                        names.add(user.getEmail());
                    }
                }
                detection.detector().known().rememberSource(realm.getId(), names, event.getUserId(), event.getIpAddress());
            }
        } catch (RuntimeException e) {
            LOG.warnf("Sentinel: could not count a %s event: %s", event.getType(), e.toString());
        }
    }

    @Override
    public void onEvent(AdminEvent event, boolean includeRepresentation) {
        // admin events are not login attempts
    }

    @Override
    public void close() {
        // nothing held
    }
}
