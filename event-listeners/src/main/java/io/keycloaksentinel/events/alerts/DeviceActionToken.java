package io.keycloaksentinel.events.alerts;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.UUID;
import org.keycloak.authentication.actiontoken.DefaultActionToken;

/**
 * The links of a new-device alert: "this wasn't me" and "yes, it was me". A Keycloak action token
 * (signed with the realm's keys, bound to the realm as issuer, expiring, single-use through
 * Keycloak's single-use store), naming the user, the device's stored id (never the cookie) and
 * the address the alert was mailed to.
 */
public class DeviceActionToken extends DefaultActionToken {

    public static final String TOKEN_TYPE = "sentinel-device";
    public static final String NOT_ME = "not-me";
    public static final String WAS_ME = "was-me";

    @JsonProperty("sdev")
    private String device;

    @JsonProperty("sans")
    private String answer;

    /** The address the alert was mailed to (as Keycloak's own verify-email token carries its address). */
    @JsonProperty("smail")
    private String mailedTo;

    public DeviceActionToken(String userId, int absoluteExpirationInSecs, String device, String answer, String mailedTo) {
        super(userId, TOKEN_TYPE, absoluteExpirationInSecs, UUID.randomUUID());
        this.device = device;
        this.answer = answer;
        this.mailedTo = mailedTo;
    }

    /** For JSON deserialization. */
    private DeviceActionToken() {
    }

    public String getDevice() {
        return device;
    }

    public String getAnswer() {
        return answer;
    }

    /** The address the alert went to; null in links made before it was carried. */
    public String getMailedTo() {
        return mailedTo;
    }
}
