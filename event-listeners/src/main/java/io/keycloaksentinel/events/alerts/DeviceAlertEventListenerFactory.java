package io.keycloaksentinel.events.alerts;

import io.keycloaksentinel.events.GlobalEventListenerFactory;

/**
 * New-device alerts and security notifications. Global, like the detection listener: a realm
 * turns them on with its Sentinel settings, not by editing its event listeners; a realm that
 * turns nothing on costs one attribute read per event. Its mails go through core's mail queue
 * ({@code sentinel-mail-queue}), which shuts it down: nothing held here.
 */
public final class DeviceAlertEventListenerFactory extends GlobalEventListenerFactory {

    public static final String PROVIDER_ID = "sentinel-security-alerts";

    public DeviceAlertEventListenerFactory() {
        super(PROVIDER_ID, DeviceAlertEventListener::new);
    }
}
