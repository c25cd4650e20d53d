//! A fault-injecting reverse proxy in front of `moto_server`: a seeded share of requests is
//! answered with a throttling error, a server error or a dropped connection in the wire format
//! of the service called (DynamoDB's JSON, SNS/SQS's XML), before it reaches moto, so a client
//! must retry and nothing it did is applied twice.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use trailwatch_local::fault::{dropped, Fault, Faults};
use trailwatch_local::FaultConfig;

struct Proxy {
    upstream: String,
    faults: Faults,
    client: Client<HttpConnector, Body>,
    injected: std::sync::atomic::AtomicU64,
    requests: std::sync::atomic::AtomicU64,
    dynamodb: std::sync::atomic::AtomicU64,
}

/// A running proxy.
pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Proxy>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Requests seen, faults injected and DynamoDB requests so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.state.requests.load(Relaxed),
            self.state.injected.load(Relaxed),
            self.state.dynamodb.load(Relaxed),
        )
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(headers: &HeaderMap, fault: Fault) -> Response {
    let json = headers.contains_key("x-amz-target");
    let (status, code) = match (fault, json) {
        (Fault::Throttle, true) => (StatusCode::BAD_REQUEST, "ThrottlingException"),
        (Fault::Throttle, false) => (StatusCode::BAD_REQUEST, "Throttling"),
        (_, true) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        (_, false) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
    };
    if json {
        let body = format!(
            r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"injected"}}"#
        );
        (
            status,
            [("content-type", "application/x-amz-json-1.0")],
            body,
        )
            .into_response()
    } else {
        let kind = if status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        let body = format!(
            "<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        );
        (status, [("content-type", "text/xml")], body).into_response()
    }
}

async fn forward(State(p): State<Arc<Proxy>>, req: Request<Body>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    p.requests.fetch_add(1, Relaxed);
    if req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("DynamoDB"))
    {
        p.dynamodb.fetch_add(1, Relaxed);
    }
    if let Some(f) = p.faults.draw() {
        p.injected.fetch_add(1, Relaxed);
        return match f {
            Fault::Drop => dropped(),
            other => error(req.headers(), other),
        };
    }
    let (mut parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/".to_string(), |pq| pq.as_str().to_string());
    parts.uri = match format!("{}{path}", p.upstream).parse() {
        Ok(u) => u,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    parts.headers.remove("host");
    match p.client.request(Request::from_parts(parts, body)).await {
        Ok(resp) => resp.map(Body::new),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// Starts a proxy to `upstream` (e.g. moto's endpoint) injecting `faults`.
pub async fn start(upstream: &str, faults: FaultConfig) -> FaultProxy {
    let state = Arc::new(Proxy {
        upstream: upstream.trim_end_matches('/').to_string(),
        faults: Faults::new(faults),
        client: Client::builder(TokioExecutor::new()).build_http(),
        injected: 0.into(),
        requests: 0.into(),
        dynamodb: 0.into(),
    });
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FaultProxy {
        endpoint,
        state,
        task,
    }
}
