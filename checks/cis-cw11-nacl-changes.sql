-- id: cis-cw11-nacl-changes
-- title: Network ACL changes
-- severity: medium
-- control: CIS 4.11 / Security Hub CloudWatch.11
-- description: A network ACL or one of its entries was created, changed or deleted.
-- remediation: Check the ACL still denies what it should.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'ec2.amazonaws.com'
  AND eventName IN ('CreateNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAcl', 'DeleteNetworkAclEntry', 'ReplaceNetworkAclEntry', 'ReplaceNetworkAclAssociation')
ORDER BY eventTime, eventID
