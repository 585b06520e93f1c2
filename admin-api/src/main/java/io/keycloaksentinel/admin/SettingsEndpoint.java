package io.keycloaksentinel.admin;

import jakarta.ws.rs.core.Response;
import java.util.Map;

/**
 * One capability's realm settings as the admin REST serves them: what {@code GET} answers and what
 * {@code PUT} does. The admin console's Sentinel tabs save through the same two calls, so a value
 * is checked by the same rules, refused with the same message and stored in the same place,
 * whichever way an admin sets it.
 */
interface SettingsEndpoint {

    /** The settings as a read answers them (secrets masked). */
    Map<String, Object> get();

    /** Changes the settings named in {@code update}: 200 with the settings after, or 400 {@code {"error": ...}}, nothing saved. */
    Response update(Map<String, Object> update);
}
