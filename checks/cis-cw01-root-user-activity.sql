-- id: cis-cw01-root-user-activity
-- title: Root user activity
-- severity: critical
-- control: CIS 4.3 / Security Hub CloudWatch.1
-- description: The root user made a call that was not made by an AWS service on its behalf.
-- remediation: Stop using the root user for everyday work; lock its credentials away with MFA and use IAM roles.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND userIdentity.type = 'Root'
  AND userIdentity.invokedBy IS NULL
  AND eventType <> 'AwsServiceEvent'
ORDER BY eventTime, eventID
