<#-- Sentinel: the email-first sign-up step. Stage "email": the address (and the CAPTCHA while risky);
     stage "code": the code from the mail. The code page is the same whether or not the address has an account.
     Works with any login theme that has template.ftl (keycloak.v2, keycloak and themes built on them). -->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=true displayInfo=true; section>
    <#if section = "header">
        ${msg("sentinelSignupTitle")}
    <#elseif section = "form">
        <#if sentinelSignupStage == "code">
        <form id="sentinel-signup-code" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <p id="sentinel-signup-sent">${msg("sentinelSignupSent", sentinelSignupEmail, sentinelSignupMinutes)}</p>
            <div class="${properties.kcFormGroupClass!}">
                <label for="code" class="${properties.kcLabelClass!}">${msg("sentinelBreachCodeLabel")}</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                       maxlength="16" autofocus class="${properties.kcInputClass!}"/>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!} ${properties.kcButtonLargeClass!}"
                       name="verify" id="kc-login" type="submit" value="${msg("doSubmit")}"/>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonDefaultClass!} ${properties.kcButtonBlockClass!}"
                       name="restart" id="sentinel-signup-restart" type="submit" formnovalidate value="${msg("sentinelSignupOtherAddress")}"/>
            </div>
        </form>
        <#else>
        <form id="kc-register-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcFormGroupClass!}">
                <label for="email" class="${properties.kcLabelClass!}">${msg("email")}</label>
                <input id="email" name="email" type="email" autocomplete="email" maxlength="254" autofocus required
                       value="${sentinelSignupEmail!''}" class="${properties.kcInputClass!}"/>
            </div>
            <div id="kc-form-buttons" class="${properties.kcFormGroupClass!}">
                <input class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!} ${properties.kcButtonLargeClass!}"
                       name="continue" type="submit" value="${msg("doContinue")}"/>
            </div>
            <div class="${properties.kcFormGroupClass!}">
                <a href="${url.loginUrl}">${kcSanitize(msg("backToLogin"))?no_esc}</a>
            </div>
        </form>
        </#if>
    <#elseif section = "info">
        ${msg("sentinelSignupInfo")}
    </#if>
</@layout.registrationLayout>
