<#ftl output_format="plainText">
<#-- Sentinel: the email-link step-up (text part). -->
${msg("sentinelEmailLinkIntro")}

${msg("sentinelNewDeviceWhen")}: ${sentinelWhen}
<#if sentinelIp?has_content>${msg("sentinelNewDeviceIp")}: ${sentinelIp}
</#if>
${msg("sentinelEmailLinkContinue", sentinelLinkMinutes)}

${sentinelLink}

${msg("sentinelEmailLinkNotYou")}
