<#-- Sentinel: new-device sign-in alert (HTML part). Values are escaped by the email theme's HTML output format. -->
<#import "template.ftl" as layout>
<@layout.emailLayout>
<p>${msg("sentinelNewDeviceIntro")}</p>
<table role="presentation" style="border-collapse: collapse;">
  <tr><td style="padding: 2px 12px 2px 0;">${msg("sentinelNewDeviceWhen")}</td><td>${sentinelWhen}</td></tr>
  <tr><td style="padding: 2px 12px 2px 0;">${msg("sentinelNewDeviceBrowser")}</td><td>${sentinelBrowser}</td></tr>
  <tr><td style="padding: 2px 12px 2px 0;">${msg("sentinelNewDeviceOs")}</td><td>${sentinelOs}</td></tr>
  <tr><td style="padding: 2px 12px 2px 0;">${msg("sentinelNewDeviceIp")}</td><td>${sentinelIp}</td></tr>
  <tr><td style="padding: 2px 12px 2px 0;">${msg("sentinelNewDeviceClient")}</td><td>${sentinelClient}</td></tr>
</table>
<p>${msg("sentinelNewDeviceNotMeExplain")}</p>
<p><a href="${sentinelNotMeLink}">${msg("sentinelNewDeviceNotMe")}</a></p>
<p><a href="${sentinelWasMeLink}">${msg("sentinelNewDeviceWasMe")}</a></p>
<p>${msg("sentinelNewDeviceLinks", sentinelLinkHours)}</p>
</@layout.emailLayout>
