<#-- Sentinel: a one-time code to prove the mailbox during a sign-in (HTML part). The body is the
     message sentinelBodyKey: {0} the realm, {1} the code, {2} minutes valid; one paragraph per blank line. -->
<#import "template.ftl" as layout>
<@layout.emailLayout>
<#list msg(sentinelBodyKey, sentinelRealm, sentinelCode, sentinelMinutes)?split("\n\n") as paragraph>
<p>${paragraph}</p>
</#list>
</@layout.emailLayout>
