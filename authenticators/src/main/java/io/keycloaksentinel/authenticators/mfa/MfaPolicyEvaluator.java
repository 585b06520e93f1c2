package io.keycloaksentinel.authenticators.mfa;

import io.keycloaksentinel.core.mfa.MfaSettings;
import io.keycloaksentinel.core.mfa.MfaSettings.Exemption;
import io.keycloaksentinel.core.mfa.MfaSettings.Factor;
import io.keycloaksentinel.core.mfa.MfaSettings.Scope;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.keycloak.common.util.Time;
import org.keycloak.models.GroupModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.OrganizationModel;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RoleModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.utils.KeycloakModelUtils;
import org.keycloak.organization.OrganizationProvider;

/**
 * Reads what {@link MfaStatus} needs from Keycloak's models: the scopes and exemptions a user is
 * in (organizations, groups with their subgroups, roles with composites and group roles), the
 * user's allowed factors, and when the user's grace began. Shared by the login steps and the admin
 * API so both say the same about a user.
 */
public final class MfaPolicyEvaluator {

    /** Set by an admin's "new grace" (and when a user first comes into a scope after the policy began). */
    public static final String ATTR_GRACE_FROM = "sentinel.mfa.graceFrom";
    /** Enrollment skips used in the current grace. */
    public static final String ATTR_SKIPS = "sentinel.mfa.skips";
    /** Set once, when the policy first saw the user outside every scope (so a later scope gets a fresh grace). */
    public static final String ATTR_OUTSIDE = "sentinel.mfa.outside";
    /** Realm attribute: when the policy was first active, for policies without a grace start. */
    public static final String REALM_ACTIVE_SINCE = MfaSettings.PREFIX + "activeSince";

    private final KeycloakSession session;
    private final RealmModel realm;
    private final MfaSettings policy;
    private final boolean verifyUsers;
    private final List<String> problems = new ArrayList<>();
    private final List<Resolved> scopes = new ArrayList<>();
    private final List<Resolved> exemptions = new ArrayList<>();

    private record Resolved(Scope scope, Exemption exemption, Object target) {
    }

    /** A user exemption by name, as saved before exemptions were pinned to accounts (Keycloak keeps usernames in lower case). */
    private record Username(String name) {
    }

    /** A user exemption pinned to one account. */
    private record UserId(String id) {
    }

    /** For a login: user exemptions are matched by username, without looking each one up. */
    public MfaPolicyEvaluator(KeycloakSession session, RealmModel realm, MfaSettings policy) {
        this(session, realm, policy, false);
    }

    /** @param verifyUsers also check that each user exemption names an existing user (the admin's views) */
    public MfaPolicyEvaluator(KeycloakSession session, RealmModel realm, MfaSettings policy, boolean verifyUsers) {
        this.verifyUsers = verifyUsers;
        this.session = session;
        this.realm = realm;
        this.policy = policy;
        for (Scope s : policy.scopes()) {
            resolve(s.kind(), s.name(), "scope").ifPresent(t -> scopes.add(new Resolved(s, null, t)));
        }
        for (Exemption e : policy.exempt()) {
            resolve(e.kind(), e.name(), "exemption").ifPresent(t -> exemptions.add(new Resolved(null, e, t)));
        }
    }

    public MfaSettings policy() {
        return policy;
    }

    /** Names the policy holds that match nothing in the realm (a deleted group, a renamed role...). */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /**
     * Checks that every name of {@code settings} exists in the realm.
     *
     * @throws IllegalArgumentException naming the first one that does not
     */
    public static void requireResolvable(KeycloakSession session, RealmModel realm, MfaSettings settings) {
        List<String> p = new MfaPolicyEvaluator(session, realm, settings, true).problems();
        if (!p.isEmpty()) {
            throw new IllegalArgumentException(p.get(0));
        }
    }

    private Optional<Object> resolve(MfaSettings.ScopeKind kind, String name, String what) {
        switch (kind) {
            case REALM -> {
                return Optional.of(realm);
            }
            case ORGANIZATION -> {
                OrganizationProvider orgs = session.getProvider(OrganizationProvider.class);
                OrganizationModel org = orgs == null || !realm.isOrganizationsEnabled() ? null : orgs.getByAlias(name);
                if (org == null) {
                    problems.add(what + " '" + kind.value() + ":" + name + "': no such organization (alias)"
                            + (realm.isOrganizationsEnabled() ? "" : "; organizations are not enabled in this realm"));
                    return Optional.empty();
                }
                return Optional.of(org);
            }
            case GROUP -> {
                GroupModel g = KeycloakModelUtils.findGroupByPath(session, realm, name.startsWith("/") ? name : "/" + name);
                if (g == null) {
                    problems.add(what + " '" + kind.value() + ":" + name + "': no such group (give its path, e.g. /staff/admins)");
                    return Optional.empty();
                }
                return Optional.of(g);
            }
            case ROLE -> {
                RoleModel r;
                try {
                    r = KeycloakModelUtils.getRoleFromString(realm, name);
                } catch (RuntimeException e) {
                    r = null;
                }
                if (r == null) {
                    problems.add(what + " '" + kind.value() + ":" + name + "': no such role (realm role, or client-id.role)");
                    return Optional.empty();
                }
                return Optional.of(r);
            }
            case USER -> {
                if (verifyUsers && session.users().getUserByUsername(realm, name) == null) {
                    problems.add(what + " '" + kind.value() + ":" + name + "': no such user");
                    return Optional.empty();
                }
                // by name: an exemption saved before exemptions were pinned to accounts, or a step's own config
                return Optional.of(new Username(name.toLowerCase(java.util.Locale.ROOT)));
            }
            case USER_ID -> {
                if (verifyUsers && session.users().getUserById(realm, name) == null) {
                    problems.add(what + " '" + kind.value() + ":" + name + "': no such user (deleted?)");
                    return Optional.empty();
                }
                return Optional.of(new UserId(name));
            }
            default -> throw new IllegalStateException();
        }
    }

    private boolean matches(Object target, UserModel user) {
        if (target instanceof RealmModel) {
            return true;
        }
        if (target instanceof OrganizationModel org) {
            OrganizationProvider orgs = session.getProvider(OrganizationProvider.class);
            return orgs != null && orgs.isMember(org, user);
        }
        if (target instanceof GroupModel g) {
            return user.isMemberOf(g);
        }
        if (target instanceof RoleModel r) {
            return user.hasRole(r);
        }
        if (target instanceof UserId id) {
            return id.id().equals(user.getId());
        }
        if (target instanceof Username u) {
            return user.getUsername() != null && u.name().equals(user.getUsername().toLowerCase(java.util.Locale.ROOT));
        }
        return false;
    }

    public List<Scope> matchedScopes(UserModel user) {
        if (!policy.active()) {
            return List.of();
        }
        List<Scope> out = new ArrayList<>();
        for (Resolved r : scopes) {
            if (matches(r.target(), user)) {
                out.add(r.scope());
            }
        }
        return out;
    }

    public boolean exempt(UserModel user) {
        for (Resolved r : exemptions) {
            if (matches(r.target(), user)) {
                return true;
            }
        }
        return false;
    }

    /** The user's factors the policy allows (empty: none). */
    public Set<Factor> factors(UserModel user) {
        return factorsOf(user, policy.factors());
    }

    public static Set<Factor> factorsOf(UserModel user, Set<Factor> allowed) {
        Set<Factor> out = new LinkedHashSet<>();
        for (Factor f : allowed) {
            if (user.credentialManager().getStoredCredentialsByTypeStream(f.credentialType()).findAny().isPresent()) {
                out.add(f);
            }
        }
        return out;
    }

    /** When the policy began for everyone: its grace start, else when it was first active in this realm. */
    public long policyStart() {
        if (policy.graceStart() != null) {
            return policy.graceStart();
        }
        return parse(realm.getAttribute(REALM_ACTIVE_SINCE), Time.currentTimeMillis());
    }

    /** The latest of the policy's start, the account's creation and the user's own grace start. */
    public long graceBegan(UserModel user) {
        long began = policyStart();
        Long created = user.getCreatedTimestamp();
        if (created != null) {
            began = Math.max(began, created);
        }
        // a user's own start is never later than now: a hand-set future value must not stretch the grace
        long own = Math.min(parse(user.getFirstAttribute(ATTR_GRACE_FROM), 0), Time.currentTimeMillis());
        return Math.max(began, own);
    }

    public static int skips(UserModel user) {
        return (int) Math.min(Integer.MAX_VALUE, parse(user.getFirstAttribute(ATTR_SKIPS), 0));
    }

    public MfaStatus status(UserModel user) {
        return status(user, Time.currentTimeMillis());
    }

    public MfaStatus status(UserModel user, long now) {
        List<Scope> matched = matchedScopes(user);
        if (matched.isEmpty()) {
            return MfaStatus.of(policy, matched, false, false, 0, 0, now);
        }
        return MfaStatus.of(policy, matched, exempt(user), !factors(user).isEmpty(), graceBegan(user), skips(user), now);
    }

    private static long parse(String v, long fallback) {
        try {
            return v == null ? fallback : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
