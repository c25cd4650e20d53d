-- id: cis-cw13-route-table-changes
-- title: Route table changes
-- severity: medium
-- control: CIS 4.13 / Security Hub CloudWatch.13
-- description: A route or route table was created, replaced, disassociated or deleted.
-- remediation: Check traffic still flows only where intended.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'ec2.amazonaws.com'
  AND eventName IN ('CreateRoute', 'CreateRouteTable', 'ReplaceRoute', 'ReplaceRouteTableAssociation', 'DeleteRouteTable', 'DeleteRoute', 'DisassociateRouteTable')
ORDER BY eventTime, eventID
