-- id: cis-cw12-network-gateway-changes
-- title: Network gateway changes
-- severity: medium
-- control: CIS 4.12 / Security Hub CloudWatch.12
-- description: A customer or internet gateway was created, attached, detached or deleted.
-- remediation: Check no unexpected path to or from the internet was opened.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'ec2.amazonaws.com'
  AND eventName IN ('CreateCustomerGateway', 'DeleteCustomerGateway', 'AttachInternetGateway', 'CreateInternetGateway', 'DeleteInternetGateway', 'DetachInternetGateway')
ORDER BY eventTime, eventID
