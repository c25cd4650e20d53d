//! LookupEvents' request limit (2 a second per account and region in AWS), on `governor`.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// LookupEvents' limit, per region: `rate` requests a second, bursting to `rate` (0 or less:
/// none).
pub(super) struct RateLimit(Option<DefaultKeyedRateLimiter<String>>);

impl RateLimit {
    /// `rate` requests a second per region (0 or less: unlimited).
    pub(super) fn new(rate: f64) -> Self {
        if rate <= 0.0 || !rate.is_finite() {
            return Self(None);
        }
        // A whole second's requests may come at once; `as` saturates a huge rate.
        let burst = NonZeroU32::new(rate.max(1.0) as u32).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(std::time::Duration::from_secs_f64(1.0 / rate))
            .map(|q| q.allow_burst(burst));
        Self(quota.map(RateLimiter::keyed))
    }

    /// Takes one request for `region`, if the limit allows it now.
    pub(super) fn try_take(&self, region: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|l| l.check_key(&region.to_string()).is_ok())
    }
}
