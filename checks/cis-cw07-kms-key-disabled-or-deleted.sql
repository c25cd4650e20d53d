-- id: cis-cw07-kms-key-disabled-or-deleted
-- title: KMS key disabled or scheduled for deletion
-- severity: high
-- control: CIS 4.7 / Security Hub CloudWatch.7
-- description: A customer managed KMS key was disabled or scheduled for deletion; data under it may become unreadable.
-- remediation: Cancel the deletion (CancelKeyDeletion) or re-enable the key unless the change is intended.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'kms.amazonaws.com'
  AND eventName IN ('DisableKey', 'ScheduleKeyDeletion')
ORDER BY eventTime, eventID
