//! Event history over `aws-sdk-cloudtrail`, kept under the 2 requests/s account limit by a
//! governor rate limiter; throttling that still happens is retried by the SDK (its standard
//! retry classifies CloudTrail's HTTP 400 ThrottlingException by code).

use std::num::NonZeroU32;

use async_trait::async_trait;
use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_sdk_cloudtrail::Client;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::{Attribute, EventHistory, HistoryPage, Query, RawEvent};
use crate::aws::map_sdk_error;
use crate::error::{Error, Result};

/// LookupEvents' limit per account and Region.
pub const REQUESTS_PER_SECOND: u32 = 2;

/// LookupEvents through the SDK, rate-limited.
pub struct SdkHistory {
    client: Client,
    limiter: DefaultDirectRateLimiter,
}

impl SdkHistory {
    /// `per_second` requests a second at most (burst 1, so calls are evenly spaced).
    pub fn new(client: Client, per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        Self {
            client,
            limiter: RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)),
        }
    }
}

fn sdk_time(t: chrono::DateTime<chrono::Utc>) -> SdkTime {
    SdkTime::from_millis(t.timestamp_millis())
}

#[async_trait]
impl EventHistory for SdkHistory {
    async fn page(&self, q: &Query<'_>, token: Option<&str>) -> Result<HistoryPage> {
        self.limiter.until_ready().await;
        let mut req = self
            .client
            .lookup_events()
            .start_time(sdk_time(q.start))
            .end_time(sdk_time(q.end))
            .max_results(50)
            .set_next_token(token.map(str::to_string));
        if let Some((attr, value)) = q.attribute {
            let key = match attr {
                Attribute::EventName => LookupAttributeKey::EventName,
                Attribute::EventSource => LookupAttributeKey::EventSource,
            };
            let a = LookupAttribute::builder()
                .attribute_key(key)
                .attribute_value(value)
                .build()
                .map_err(|e| Error::InvalidInput(e.to_string()))?;
            req = req.lookup_attributes(a);
        }
        let out = req.send().await.map_err(map_sdk_error)?;
        Ok(HistoryPage {
            events: out
                .events()
                .iter()
                .map(|e| RawEvent {
                    event_id: e.event_id().unwrap_or_default().to_string(),
                    event_time: e
                        .event_time()
                        .and_then(|t| chrono::DateTime::from_timestamp_millis(t.to_millis().ok()?)),
                    cloudtrail_event: e.cloud_trail_event().map(str::to_string),
                })
                .collect(),
            next_token: out.next_token().map(str::to_string),
        })
    }
}
