<#-- Sentinel: the email-link step-up (HTML part). -->
<#import "template.ftl" as layout>
<@layout.emailLayout>
<p>${msg("sentinelEmailLinkIntro")}</p>
<p>${msg("sentinelNewDeviceWhen")}: ${sentinelWhen}<#if sentinelIp?has_content><br>${msg("sentinelNewDeviceIp")}: ${sentinelIp}</#if></p>
<p>${msg("sentinelEmailLinkContinue", sentinelLinkMinutes)}</p>
<p><a href="${sentinelLink}">${msg("sentinelEmailLinkButton")}</a></p>
<p>${msg("sentinelEmailLinkNotYou")}</p>
</@layout.emailLayout>
