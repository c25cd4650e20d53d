//! SNS topic ARNs, checked once wherever one is configured (the functions' environment, the
//! CLI's `--topic-arn`).

/// A topic ARN of the form `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(String);

impl TopicArn {
    /// Checks `arn`'s shape; the error says what is wrong.
    pub fn parse(arn: &str) -> Result<Self, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", partition, "sns", region, account, name]
                if !partition.is_empty()
                    && crate::region::is_region(region)
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit())
                    && !name.is_empty() =>
            {
                Ok(Self(arn.to_string()))
            }
            _ => Err(format!(
                "{arn:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )),
        }
    }

    /// The topic's name (its last part; `.fifo` for a FIFO topic).
    pub fn name(&self) -> &str {
        self.0.rsplit(':').next().unwrap_or_default()
    }

    /// The whole ARN.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns() {
        let t = TopicArn::parse("arn:aws:sns:eu-west-1:111122223333:alerts.fifo").unwrap();
        assert_eq!((t.name(), t.as_str().len()), ("alerts.fifo", 46));
        for bad in [
            "",
            "alerts",
            "arn:aws:sqs:eu-west-1:111122223333:alerts",
            "arn:aws:sns:eu-west-1:111122223333:",
            "arn:aws:sns:eu-west-1:1111:alerts",
            "arn:aws:sns:evil.com:111122223333:alerts",
            "arn:aws:sns:eu-west-1:111122223333:a:b",
        ] {
            let e = TopicArn::parse(bad).unwrap_err();
            assert!(e.contains("is not an SNS topic ARN"), "{bad}: {e}");
        }
    }
}
