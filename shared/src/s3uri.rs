//! `s3://bucket/prefix` URIs, validated once for everything that takes one.

use std::fmt;

/// A validated S3 URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub prefix: String,
}

impl S3Uri {
    /// Parses `s3://bucket[/prefix]`: at most 1024 characters (Lake's limit), no control
    /// characters, and a bucket name as S3 allows (3-63 lower-case letters, digits, `.`, `-`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("{s:?} is not an s3://bucket/prefix URI: {why}");
        if s.len() > 1024 {
            return Err(bad("longer than 1024 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(bad("control character"));
        }
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| bad("no s3:// scheme"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !ok {
            return Err(bad("bad bucket name"));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

impl fmt::Display for S3Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        let u = S3Uri::parse("s3://my-bucket/a/b").unwrap();
        assert_eq!((u.bucket.as_str(), u.prefix.as_str()), ("my-bucket", "a/b"));
        assert_eq!(u.to_string(), "s3://my-bucket/a/b");
        for (bad, why) in [
            ("http://x/y", "no s3:// scheme"),
            ("s3://", "bad bucket name"),
            ("s3://UPPER/x", "bad bucket name"),
            ("s3://ab", "bad bucket name"),
            ("s3://b\n/x", "control character"),
        ] {
            let e = S3Uri::parse(bad).unwrap_err();
            assert!(e.ends_with(why), "{bad:?}: {e}");
        }
    }
}
