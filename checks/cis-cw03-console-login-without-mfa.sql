-- id: cis-cw03-console-login-without-mfa
-- title: Console sign-in without MFA
-- severity: high
-- control: CIS 4.2 / Security Hub CloudWatch.3
-- description: An IAM user signed in to the console without multi-factor authentication.
-- remediation: Require MFA for every IAM user with a console password (an IAM policy that denies without aws:MultiFactorAuthPresent).
SELECT eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code
FROM {event_data_store}
WHERE eventTime >= {window_start} AND eventTime < {window_end}
  AND eventName = 'ConsoleLogin'
  AND userIdentity.type = 'IAMUser'
  AND element_at(responseElements, 'ConsoleLogin') = 'Success'
  AND coalesce(element_at(additionalEventData, 'MFAUsed'), '') <> 'Yes'
ORDER BY eventTime, eventID
