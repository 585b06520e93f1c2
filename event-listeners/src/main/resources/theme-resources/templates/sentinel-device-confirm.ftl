<#-- Sentinel: the page behind a new-device alert's link. Opening the link changes nothing (mail
     scanners open links too); the button POSTs the link's key with the page's CSRF value. -->
<#import "template.ftl" as layout>
<@layout.registrationLayout displayMessage=false; section>
    <#if section = "header">
        ${msg("sentinelDeviceConfirmTitle")}
    <#elseif section = "form">
        <div id="sentinel-device-confirm" class="${properties.kcContentWrapperClass!}">
            <p class="instruction">${msg(sentinelQuestion)}</p>
            <form id="sentinel-device-confirm-form" class="${properties.kcFormClass!}" action="${sentinelAction}" method="post">
                <input type="hidden" name="key" value="${sentinelKey}"/>
                <input type="hidden" name="csrf" value="${sentinelCsrf}"/>
                <div class="${properties.kcFormGroupClass!}">
                    <div id="kc-form-buttons" class="${properties.kcFormButtonsClass!}">
                        <input class="${properties.kcButtonClass!} <#if sentinelNotMe>${properties.kcButtonPrimaryClass!}<#else>${properties.kcButtonDefaultClass!}</#if> ${properties.kcButtonBlockClass!} ${properties.kcButtonLargeClass!}"
                               type="submit" id="sentinel-device-confirm-button" value="${msg(sentinelButton)}"/>
                    </div>
                </div>
            </form>
        </div>
    </#if>
</@layout.registrationLayout>
