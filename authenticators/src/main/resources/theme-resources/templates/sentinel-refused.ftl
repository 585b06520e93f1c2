<#-- Sentinel: the page a refused sign-in post gets (a throttled source, a full hash bulkhead, a post
     without the CAPTCHA answer). Rendered once per realm, theme, language and message and then
     served as it is, so that a refusal costs about what Keycloak's cheapest answer does: it must
     hold nothing of one visitor's session. The only per-request value is the link back to the
     sign-in, put in where ${retryUrl} stands, the form's action (a fresh code) where ${actionUrl}
     stands (only for refusals the visitor may retry from here), and the server's base path at the
     start of ${resourcesPath} and ${resourcesCommonPath}. A theme can override this template; keep it
     self-contained (no template.ftl: the layout carries session links). -->
<!DOCTYPE html>
<html lang="${lang}">
<head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex, nofollow">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title}</title>
    <#list stylesCommon as style><link href="${resourcesCommonPath}/${style}" rel="stylesheet"/></#list>
    <#list styles as style><link href="${resourcesPath}/${style}" rel="stylesheet"/></#list>
</head>
<body class="${properties.kcBodyClass!}">
<div class="${properties.kcLoginClass!}">
    <main class="${properties.kcFormCardClass!}" id="sentinel-refused">
        <header class="${properties.kcFormHeaderClass!}">
            <h1 id="kc-page-title">${realmName}</h1>
        </header>
        <div class="${properties.kcFormCardBodyClass!}">
            <div class="${properties.kcAlertClass!} ${properties.kcAlertErrorClass!}" role="alert">
                <span class="${properties.kcAlertTitleClass!} kc-feedback-text">${message}</span>
            </div>
            <#if actionUrl??>
            <form id="kc-form-login" class="${properties.kcFormClass!}" action="${actionUrl}" method="post" novalidate="novalidate">
                <div class="${properties.kcFormGroupClass!}">
                    <label for="username" class="${properties.kcLabelClass!}">${usernameLabel}</label>
                    <input id="username" name="username" type="text" autocomplete="username" class="${properties.kcInputClass!}" dir="ltr"/>
                </div>
                <div class="${properties.kcFormGroupClass!}">
                    <label for="password" class="${properties.kcLabelClass!}">${passwordLabel}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" class="${properties.kcInputClass!}"/>
                </div>
                <div class="${properties.kcFormGroupClass!}">
                    <input id="kc-login" name="login" type="submit" value="${submitLabel}" class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!} ${properties.kcButtonBlockClass!}"/>
                </div>
            </form>
            <p><a id="sentinel-retry" href="${retryUrl}">${retryLabel}</a></p>
            <#else>
            <p><a id="sentinel-retry" href="${retryUrl}" class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!}">${retryLabel}</a></p>
            </#if>
        </div>
    </main>
</div>
</body>
</html>
