-- id: cis-cw09-config-changes
-- title: AWS Config changes
-- severity: high
-- control: CIS 4.9 / Security Hub CloudWatch.9
-- description: AWS Config recording or delivery was stopped or changed.
-- remediation: Restart the configuration recorder and restore the delivery channel.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'config.amazonaws.com'
  AND eventName IN ('StopConfigurationRecorder', 'DeleteDeliveryChannel', 'PutDeliveryChannel', 'PutConfigurationRecorder')
ORDER BY eventTime, eventID
