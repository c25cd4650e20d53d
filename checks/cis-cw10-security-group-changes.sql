-- id: cis-cw10-security-group-changes
-- title: Security group changes
-- severity: medium
-- control: CIS 4.10 / Security Hub CloudWatch.10
-- description: A security group or one of its rules was created, changed or deleted.
-- remediation: Check no rule opens a port to 0.0.0.0/0 or ::/0 without review.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'ec2.amazonaws.com'
  AND eventName IN ('AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'CreateSecurityGroup', 'DeleteSecurityGroup')
ORDER BY eventTime, eventID
