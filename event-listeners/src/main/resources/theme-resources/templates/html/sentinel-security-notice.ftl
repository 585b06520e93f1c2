<#-- Sentinel: a security notice (password, second factor or email changed), HTML part. -->
<#import "template.ftl" as layout>
<@layout.emailLayout>
<p>${msg(sentinelWhat)}</p>
<p>${msg("sentinelNewDeviceWhen")}: ${sentinelWhen}<#if sentinelIp?has_content><br>${msg("sentinelNewDeviceIp")}: ${sentinelIp}</#if></p>
<p>${msg("sentinelNoticeIfNotYou")}</p>
</@layout.emailLayout>
