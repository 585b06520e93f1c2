<#-- Sentinel: the enforced-MFA enrollment page. During the grace period it says how long is left and
     offers "Not now"; after it, the user must choose a second factor to set up. The setup itself is
     Keycloak's own page (required action) that follows. -->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=true displayInfo=true; section>
    <#if section = "header">
        ${msg("sentinelMfaEnrollTitle")}
    <#elseif section = "form">
        <form id="sentinel-mfa-enroll" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <p id="sentinel-mfa-status">
            <#if sentinelMfa.inGrace>
                <#if sentinelMfa.loginLimited>
                    ${msg("sentinelMfaGraceLogins", sentinelMfa.daysLeft?c, sentinelMfa.deadline, sentinelMfa.loginsLeft?c)}
                <#else>
                    ${msg("sentinelMfaGraceDays", sentinelMfa.daysLeft?c, sentinelMfa.deadline)}
                </#if>
            <#else>
                ${msg("sentinelMfaRequiredNow")}
            </#if>
            </p>
            <#list sentinelMfa.factors as factor>
                <div class="${properties.kcFormGroupClass!}">
                    <button class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!}"
                            type="submit" name="factor" value="${factor}" id="sentinel-mfa-${factor}">${msg("sentinelMfaFactor-" + factor)}</button>
                </div>
            </#list>
            <#if sentinelMfa.inGrace>
                <div class="${properties.kcFormGroupClass!}">
                    <button class="${properties.kcButtonClass!} ${properties.kcButtonDefaultClass!} ${properties.kcButtonBlockClass!}"
                            type="submit" name="skip" value="true" id="sentinel-mfa-skip">${msg("sentinelMfaSkip")}</button>
                </div>
            </#if>
        </form>
    <#elseif section = "info">
        ${msg("sentinelMfaEnrollInfo")}
    </#if>
</@layout.registrationLayout>
