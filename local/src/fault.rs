//! Seeded fault injection, so tests can prove clients survive throttling, 5xx, dropped
//! connections and slow replies.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Rates (0..=1) of each fault per request, and the seed that makes them repeatable.
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    pub seed: u64,
    pub throttle: f64,
    pub server_error: f64,
    pub drop: f64,
    pub latency: Duration,
    /// Share of SNS PublishBatch entries failed on SNS's side (the request itself succeeds).
    pub sns_entry_failure: f64,
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    ServerError,
    Drop,
}

/// The fault injector.
pub struct Faults {
    config: FaultConfig,
    rng: Mutex<SmallRng>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let rng = Mutex::new(SmallRng::seed_from_u64(config.seed));
        Self { config, rng }
    }

    /// The added latency.
    pub fn latency(&self) -> Duration {
        self.config.latency
    }

    /// Draws the fault, if any, for the next request.
    pub fn draw(&self) -> Option<Fault> {
        let c = &self.config;
        if c.throttle + c.server_error + c.drop <= 0.0 {
            return None;
        }
        let x: f64 = self
            .rng
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .gen();
        if x < c.throttle {
            Some(Fault::Throttle)
        } else if x < c.throttle + c.server_error {
            Some(Fault::ServerError)
        } else if x < c.throttle + c.server_error + c.drop {
            Some(Fault::Drop)
        } else {
            None
        }
    }
}

/// A response whose body fails mid-way: the client sees the connection reset, as when a
/// connection drops.
pub fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected connection drop",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
