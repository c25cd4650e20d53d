-- id: cis-cw02-unauthorized-api-calls
-- title: Unauthorized API calls
-- severity: medium
-- control: CIS 4.1 / Security Hub CloudWatch.2
-- description: A call failed because the caller was not authorized: probing, or a broken deployment.
-- remediation: Find who made the calls; revoke credentials that probe, fix the policy of a broken deployment.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND (errorCode LIKE '%UnauthorizedOperation' OR errorCode LIKE 'AccessDenied%')
ORDER BY eventTime, eventID
