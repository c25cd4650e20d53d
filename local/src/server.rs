//! The HTTP front: CloudTrail's and Athena's AWS JSON 1.1 protocol, SNS's query protocol, a read-back of
//! published messages, and fault injection in front of them all.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::fault::{dropped, Fault};
use crate::Shared;

/// The service's routes.
pub fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(aws))
        .route("/_trailwatch/sns/messages", get(sns_messages))
        .route("/_trailwatch/health", get(|| async { "ok" }))
        .with_state(state)
}

fn json_error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-errortype", e.code),
        ],
        json!({"__type": e.code, "message": e.message}).to_string(),
    )
        .into_response()
}

fn json_ok(body: String) -> Response {
    (
        StatusCode::OK,
        [
            ("content-type", "application/x-amz-json-1.1".to_string()),
            ("x-amzn-requestid", uuid::Uuid::new_v4().to_string()),
        ],
        body,
    )
        .into_response()
}

fn sns_error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [("content-type", "text/xml")],
        crate::sns::error_xml(e),
    )
        .into_response()
}

/// A reply whose body breaks off: the client sees the connection drop mid-response.
async fn aws(State(st): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_sns = target.is_none();
    if !st.faults.latency().is_zero() {
        tokio::time::sleep(st.faults.latency()).await;
    }
    if let Some(f) = st.faults.draw() {
        let err = match f {
            Fault::Throttle => ApiError::client("ThrottlingException", "Rate exceeded"),
            Fault::ServerError => ApiError::internal("injected server error"),
            Fault::Drop => return dropped(),
        };
        return if is_sns {
            sns_error(&err)
        } else {
            json_error(&err)
        };
    }
    if let Some(t) = target {
        let op = t.rsplit('.').next().unwrap_or_default().to_string();
        let req: Value = if body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    return json_error(&ApiError::client(
                        "SerializationException",
                        format!("request body is not JSON: {e}"),
                    ))
                }
            }
        };
        let reply = if t.starts_with("AmazonAthena.") {
            athena(&st, &op, &req).await
        } else {
            cloudtrail(&st, &op, &req, &signed_region(&headers, &st.region)).await
        };
        match reply {
            Ok(v) => json_ok(v),
            Err(e) => json_error(&e),
        }
    } else {
        let form = crate::sns::parse_form(&body);
        match st.sns.handle(&form, st.clock.now_ms()) {
            Ok(xml) => (StatusCode::OK, [("content-type", "text/xml")], xml).into_response(),
            Err(e) => sns_error(&e),
        }
    }
}

/// The region a request is signed for (SigV4's credential scope
/// `Credential=KEY/DATE/REGION/SERVICE/aws4_request`), else the service's own.
fn signed_region(headers: &HeaderMap, default: &str) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(2))
        .filter(|r| !r.is_empty())
        .unwrap_or(default)
        .to_string()
}

/// A CloudTrail operation's reply: its JSON text.
async fn cloudtrail(st: &Shared, op: &str, req: &Value, region: &str) -> Result<String, ApiError> {
    let reply = match op {
        "StartQuery" => st.lake.start_query(req).await,
        "DescribeQuery" => st.lake.describe_query(req),
        // Result pages are written as text (see `json_text`).
        "GetQueryResults" => return st.lake.get_query_results(req),
        "CancelQuery" => st.lake.cancel_query(req),
        "ListQueries" => st.lake.list_queries(req),
        "LookupEvents" => st.history.lookup(req, region).await,
        other => Err(ApiError::client(
            "UnknownOperationException",
            format!("{other} is not implemented by the local CloudTrail service"),
        )),
    };
    reply.map(|v| v.to_string())
}

/// An Athena operation's reply: its JSON text.
async fn athena(st: &Shared, op: &str, req: &Value) -> Result<String, ApiError> {
    let reply = match op {
        "StartQueryExecution" => st.athena.start_query_execution(req).await,
        "GetQueryExecution" => st.athena.get_query_execution(req),
        "GetQueryResults" => return st.athena.get_query_results(req),
        "StopQueryExecution" => st.athena.stop_query_execution(req),
        "ListQueryExecutions" => st.athena.list_query_executions(req),
        "GetWorkGroup" => st.athena.get_work_group(req),
        other => Err(ApiError::client(
            "UnknownOperationException",
            format!("{other} is not implemented by the local Athena service"),
        )),
    };
    reply.map(|v| v.to_string())
}

#[derive(serde::Deserialize)]
struct TopicFilter {
    topic: Option<String>,
}

async fn sns_messages(State(st): State<Arc<Shared>>, Query(q): Query<TopicFilter>) -> Response {
    Json(st.sns.messages(q.topic.as_deref())).into_response()
}
