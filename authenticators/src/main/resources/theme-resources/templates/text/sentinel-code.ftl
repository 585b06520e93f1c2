<#ftl output_format="plainText">
<#-- Sentinel: a one-time code to prove the mailbox during a sign-in (text part). The body is the
     message sentinelBodyKey: {0} the realm, {1} the code, {2} minutes valid. -->
${msg(sentinelBodyKey, sentinelRealm, sentinelCode, sentinelMinutes)}
