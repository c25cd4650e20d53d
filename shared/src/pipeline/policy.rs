//! The waiting and retrying the check workflow does, in one place: the state machine's ASL
//! encodes exactly these numbers (a test compares them) and the CLI follows them too.
//!
//! Polling is a Task `Retry` on `QueryRunning`: one state transition a poll (Step Functions bills
//! per transition, retries included). Waits grow by 25 % from 5 s, so a finished query is noticed
//! no later than 5 s + 25 % of its run time after it finished, a 30-second query costs 5 polls and
//! an hour-long one 24.

use std::time::Duration;

/// One `Retry` rule: waits of `interval * rate^n`, at most `max_attempts` retries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryRule {
    pub interval_secs: u32,
    pub backoff_rate: f64,
    pub max_attempts: u32,
}

impl RetryRule {
    /// The wait before retry number `n` (0-based), as Step Functions computes it.
    pub fn delay(&self, n: u32) -> Duration {
        let secs = f64::from(self.interval_secs)
            * self
                .backoff_rate
                .powi(i32::try_from(n.min(1000)).unwrap_or(1000));
        Duration::from_secs_f64(secs.min(86_400.0))
    }

    /// Time from the first attempt to attempt `n` (0 = the first attempt).
    pub fn elapsed_before(&self, n: u32) -> Duration {
        (0..n).map(|i| self.delay(i)).sum()
    }

    /// The attempts made until one at or after `secs` seconds sees the query done (the first
    /// attempt included).
    pub fn polls_for(&self, secs: f64) -> u32 {
        let mut n = 0;
        while self.elapsed_before(n).as_secs_f64() < secs && n <= self.max_attempts {
            n += 1;
        }
        n + 1
    }
}

/// Polling: poll-query raises `QueryRunning` while the query runs; this is its Retry.
pub const POLL: RetryRule = RetryRule {
    interval_secs: 5,
    backoff_rate: 1.25,
    max_attempts: 40,
};

/// start-query's `MaxConcurrentQueries` (Lake allows 10 queries at once per account).
pub const MAX_CONCURRENT: RetryRule = RetryRule {
    interval_secs: 30,
    backoff_rate: 2.0,
    max_attempts: 5,
};

/// Throttling, network faults and Lambda's own transient errors, for every Task.
pub const TRANSIENT: RetryRule = RetryRule {
    interval_secs: 2,
    backoff_rate: 2.0,
    max_attempts: 4,
};

/// The `errorType`s retried with [`TRANSIENT`].
pub const TRANSIENT_ERRORS: [&str; 6] = [
    "Transient",
    "Throttled",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// A collect-results invocation that timed out: retried from the last saved continuation (the
/// alert ledger keeps what it had already published from going out twice).
pub const COLLECT_TIMEOUT: RetryRule = RetryRule {
    interval_secs: 2,
    backoff_rate: 2.0,
    max_attempts: 3,
};

/// The errors Step Functions reports for a Lambda invocation that timed out: the function's
/// own timeout, the invoke call's, and the Task's `TimeoutSeconds`.
pub const LAMBDA_TIMEOUT_ERRORS: [&str; 3] = [
    "Lambda.Unknown",
    "Lambda.ClientExecutionTimeoutException",
    "States.Timeout",
];

/// State transitions a whole check costs (as AWS bills them: every state entered and every
/// retry) when its query runs `secs` seconds and collect-results needs `collects` invocations:
/// StartQuery, PollQuery and its retries, then CollectResults and IsCollected per invocation,
/// and Summarize.
pub fn transitions(secs: f64, collects: u32) -> u32 {
    let polls = POLL.polls_for(secs);
    1 + polls + 2 * collects.max(1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_is_cheap_and_prompt() {
        assert!(transitions(30.0, 1) <= 10, "{}", transitions(30.0, 1));
        assert!(transitions(3600.0, 1) <= 60, "{}", transitions(3600.0, 1));
        // A query finishing at any time t is seen by the next poll, at most 5 s + 25 % of t later.
        let mut t = 0.5;
        while t < 3600.0 {
            let n = POLL.polls_for(t) - 1;
            let seen = POLL.elapsed_before(n).as_secs_f64();
            assert!(
                seen >= t && seen - t <= 5.0 + 0.25 * t + 1e-9,
                "t={t}: seen at {seen}"
            );
            t *= 1.07;
        }
        // The retries outlast Lake's one-hour run limit.
        assert!(POLL.elapsed_before(POLL.max_attempts).as_secs() > 3 * 3600);
    }
}
