<#-- Sentinel: the one-time code a user proves their email with in the middle of a login (breached password,
     MFA step-up, a risky first enrollment). sentinelCodeTitle / sentinelCodeInfo name the message keys.
     Works with any login theme that has template.ftl (keycloak.v2, keycloak and themes built on them). -->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=true displayInfo=true; section>
    <#if section = "header">
        ${msg(sentinelCodeTitle!"sentinelBreachCodeTitle")}
    <#elseif section = "form">
        <form id="sentinel-email-code" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcFormGroupClass!}">
                <label for="code" class="${properties.kcLabelClass!}">${msg("sentinelBreachCodeLabel")}</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                       maxlength="16" autofocus class="${properties.kcInputClass!}"
                       aria-invalid="<#if messagesPerField?? && message?? && message.type = 'error'>true<#else>false</#if>"/>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!} ${properties.kcButtonLargeClass!}"
                       name="login" id="kc-login" type="submit" value="${msg("doSubmit")}"/>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonDefaultClass!} ${properties.kcButtonBlockClass!}"
                       name="resend" id="sentinel-resend" type="submit" value="${msg("sentinelBreachCodeResend")}"/>
            </div>
        </form>
    <#elseif section = "info">
        ${msg(sentinelCodeInfo!"sentinelBreachCodeInfo")}
    </#if>
</@layout.registrationLayout>
