-- id: cis-cw06-console-auth-failures
-- title: Console authentication failures
-- severity: medium
-- control: CIS 4.6 / Security Hub CloudWatch.6
-- description: A console sign-in failed authentication: a typo, or password guessing.
-- remediation: Look for repeated failures from one source; lock the user or block the source when guessing.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventName = 'ConsoleLogin'
  AND errorMessage = 'Failed authentication'
ORDER BY eventTime, eventID
