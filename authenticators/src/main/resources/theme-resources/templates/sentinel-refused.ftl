<#-- Sentinel: the page a refused sign-in post gets (a throttled source, a full hash bulkhead, a post
     without the CAPTCHA answer). Rendered once per realm, theme, language and message and then
     served as it is, so that a refusal costs about what Keycloak's cheapest answer does: it must
     hold nothing of one visitor's session. The only per-request value is the link back to the
     sign-in, put in where ${retryUrl} stands. A theme can override this template; keep it
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
            <p><a id="sentinel-retry" href="${retryUrl}" class="${properties.kcButtonClass!} ${properties.kcButtonPrimaryClass!}">${retryLabel}</a></p>
        </div>
    </main>
</div>
</body>
</html>
