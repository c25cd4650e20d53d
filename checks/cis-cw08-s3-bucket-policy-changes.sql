-- id: cis-cw08-s3-bucket-policy-changes
-- title: S3 bucket policy changes
-- severity: medium
-- control: CIS 4.8 / Security Hub CloudWatch.8
-- description: A bucket's ACL, policy, CORS, lifecycle or replication configuration changed.
-- remediation: Check the bucket is not opened to the public or another account without review.
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventSource = 's3.amazonaws.com'
  AND eventName IN ('PutBucketAcl', 'PutBucketPolicy', 'PutBucketCors', 'PutBucketLifecycle', 'PutBucketReplication', 'DeleteBucketPolicy', 'DeleteBucketCors', 'DeleteBucketLifecycle', 'DeleteBucketReplication')
ORDER BY eventTime, eventID
