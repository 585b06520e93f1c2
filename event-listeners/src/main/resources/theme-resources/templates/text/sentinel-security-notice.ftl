<#ftl output_format="plainText">
<#-- Sentinel: a security notice (password, second factor or email changed), text part. -->
${msg(sentinelWhat)}

${msg("sentinelNewDeviceWhen")}: ${sentinelWhen}
<#if sentinelIp?has_content>${msg("sentinelNewDeviceIp")}: ${sentinelIp}
</#if>
${msg("sentinelNoticeIfNotYou")}
