package io.keycloaksentinel.core.risk;

/** How risky a request looks, from every signal the detector has; what the other capabilities ask. */
public enum RiskLevel { LOW, MEDIUM, HIGH }
