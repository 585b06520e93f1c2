<#ftl output_format="plainText">
<#-- Sentinel: new-device sign-in alert (text part). -->
${msg("sentinelNewDeviceIntro")}

${msg("sentinelNewDeviceWhen")}: ${sentinelWhen}
${msg("sentinelNewDeviceBrowser")}: ${sentinelBrowser}
${msg("sentinelNewDeviceOs")}: ${sentinelOs}
${msg("sentinelNewDeviceIp")}: ${sentinelIp}
${msg("sentinelNewDeviceClient")}: ${sentinelClient}

${msg("sentinelNewDeviceNotMeExplain")}

${msg("sentinelNewDeviceNotMe")}: ${sentinelNotMeLink}

${msg("sentinelNewDeviceWasMe")}: ${sentinelWasMeLink}

${msg("sentinelNewDeviceLinks", sentinelLinkHours)}
