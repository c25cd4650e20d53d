-- id: cis-cw05-cloudtrail-config-changes
-- title: CloudTrail configuration changes
-- severity: high
-- control: CIS 4.5 / Security Hub CloudWatch.5
-- description: A trail was created, changed or deleted, or its logging started or stopped.
-- remediation: Make sure logging is on for every trail; find out who stopped or deleted a trail, and why.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'cloudtrail.amazonaws.com'
  AND eventName IN ('CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging')
ORDER BY eventTime, eventID
