-- id: cis-cw14-vpc-changes
-- title: VPC changes
-- severity: medium
-- control: CIS 4.14 / Security Hub CloudWatch.14
-- description: A VPC, its attributes, a peering connection or ClassicLink changed.
-- remediation: Check peering and ClassicLink changes were reviewed; they join networks.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 'ec2.amazonaws.com'
  AND eventName IN ('CreateVpc', 'DeleteVpc', 'ModifyVpcAttribute', 'AcceptVpcPeeringConnection', 'CreateVpcPeeringConnection', 'DeleteVpcPeeringConnection', 'RejectVpcPeeringConnection', 'AttachClassicLinkVpc', 'DetachClassicLinkVpc', 'DisableVpcClassicLink', 'EnableVpcClassicLink')
ORDER BY eventTime, eventID
