//! `lambda-harness`: runs a Lambda function binary for one invocation under a minimal
//! implementation of the Lambda Runtime API, as the Lambda service would, and prints what the
//! function answered. Used by the state-machine test (Task overrides) and the benchmarks.
//!
//! `lambda-harness --bin PATH [--payload JSON | --payloads FILE] [--report] [--timeout-ms N]`
//! Prints the response JSON (exit 0), or the function's error JSON (exit 1); with `--report`,
//! one JSON object with `response`, `error`, `cold_start_ms` (process start to its first
//! `next` request), `handler_ms` (that request to the answer) and `peak_rss_kb`. With
//! `--payloads` (a JSON array), one warm process serves every payload in turn, each with its
//! own deadline, as a Lambda execution environment does, and the harness prints a JSON array of
//! `{"response": ...}` or `{"error": ...}`, one per payload.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

#[derive(Default)]
struct Shared {
    payloads: Vec<String>,
    served: usize,
    timeout_ms: u64,
    outcomes: Vec<Option<Result<Value, Value>>>,
    first_next: Option<Instant>,
    answered: Option<Instant>,
    /// The deadline (epoch ms) of the invocation being served, if one is.
    deadline: Option<u64>,
    done: Option<tokio::sync::oneshot::Sender<()>>,
}

type St = Arc<Mutex<Shared>>;

/// Lambda's limit on a function's start-up (its init phase).
const INIT_LIMIT: Duration = Duration::from_secs(10);

fn epoch_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn next(State(st): State<St>) -> axum::response::Response {
    let served = {
        let mut s = st.lock().expect("lock");
        s.first_next.get_or_insert_with(Instant::now);
        let i = s.served;
        s.served += 1;
        let served = s
            .payloads
            .get(i)
            .cloned()
            .map(|p| (i, p, epoch_ms() + s.timeout_ms));
        s.deadline = served.as_ref().map(|(_, _, d)| *d);
        served
    };
    let Some((i, body, deadline)) = served else {
        // Every payload served: park the runtime's next `next` until the harness ends.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        return StatusCode::OK.into_response();
    };
    let mut headers = axum::http::HeaderMap::new();
    for (k, v) in [
        (
            "lambda-runtime-aws-request-id",
            format!("harness-request-{i}"),
        ),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:000000000000:function:harness".to_string(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".to_string(),
        ),
        ("content-type", "application/json".to_string()),
    ] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
    (StatusCode::OK, headers, body).into_response()
}

fn finish(st: &St, id: Option<&str>, outcome: Result<Value, Value>) {
    let mut s = st.lock().expect("lock");
    let i = id
        .and_then(|id| id.strip_prefix("harness-request-"))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    if let Some(slot) = s.outcomes.get_mut(i) {
        *slot = Some(outcome);
    }
    s.answered = Some(Instant::now());
    s.deadline = None;
    if s.outcomes.iter().all(Option::is_some) {
        if let Some(tx) = s.done.take() {
            let _ = tx.send(());
        }
    }
}

fn parse(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(State(st): State<St>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&st, Some(&id), Ok(parse(&body)));
    StatusCode::ACCEPTED
}

async fn error(State(st): State<St>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&st, Some(&id), Err(parse(&body)));
    StatusCode::ACCEPTED
}

async fn init_error(State(st): State<St>, body: Bytes) -> StatusCode {
    let mut s = st.lock().expect("lock");
    let e = parse(&body);
    for slot in &mut s.outcomes {
        *slot = Some(Err(e.clone()));
    }
    if let Some(tx) = s.done.take() {
        let _ = tx.send(());
    }
    StatusCode::ACCEPTED
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let Some(bin) = arg("--bin") else {
        eprintln!("usage: lambda-harness --bin PATH [--payload JSON | --payloads FILE] [--report] [--timeout-ms N]");
        return std::process::ExitCode::from(2);
    };
    let many = arg("--payloads");
    let payloads: Vec<String> = match &many {
        Some(file) => {
            let parsed = std::fs::read(file)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<Vec<Value>>(&b).map_err(|e| e.to_string()));
            match parsed {
                Ok(list) => list.iter().map(Value::to_string).collect(),
                Err(e) => {
                    eprintln!("lambda-harness: --payloads {file}: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
        }
        None => vec![arg("--payload").unwrap_or_else(|| "{}".into())],
    };
    let report = args.iter().any(|a| a == "--report");
    let timeout_ms: u64 = arg("--timeout-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(60_000);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let payload_count = u32::try_from(payloads.len()).unwrap_or(u32::MAX);
    let st: St = Arc::new(Mutex::new(Shared {
        outcomes: vec![None; payloads.len()],
        payloads,
        timeout_ms,
        done: Some(tx),
        ..Shared::default()
    }));
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(st.clone());
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("lambda-harness: cannot listen: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let started = Instant::now();
    let name = std::path::Path::new(&bin)
        .file_name()
        .map_or("function".into(), |n| n.to_string_lossy().into_owned());
    let mut child = match tokio::process::Command::new(&bin)
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", &name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "harness")
        .stdout(Stdio::null())
        .stderr(if report {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lambda-harness: cannot start {bin}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let pid = child.id().unwrap_or(0);
    // As Lambda: an invocation is stopped at its own deadline (start-up has its own limit),
    // so a function sees exactly the time its deadline header promised.
    // And the whole run has a limit, for a function that answers and never asks for more.
    let whole_run = INIT_LIMIT + Duration::from_millis(timeout_ms) * payload_count.max(1);
    let watchdog = {
        let st = st.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                let (deadline, served) = {
                    let s = st.lock().expect("lock");
                    (s.deadline, s.served)
                };
                let over = started.elapsed() > whole_run
                    || match deadline {
                        Some(d) => epoch_ms() >= d,
                        None => started.elapsed() > INIT_LIMIT && served == 0,
                    };
                if over {
                    return;
                }
            }
        }
    };
    let mut timed_out = false;
    let waited = tokio::select! {
        _ = rx => None,
        status = child.wait() => Some(status),
        () = watchdog => {
            eprintln!("lambda-harness: {name} did not answer within {timeout_ms} ms");
            timed_out = true;
            None
        }
    };
    let rss = peak_rss_kb(pid);
    let _ = child.kill().await;
    let s = st.lock().expect("lock");
    let exited = || {
        if timed_out {
            // As Lambda reports a function that ran out of time (Step Functions: Lambda.Unknown).
            Err(
                json!({"errorType": "Lambda.Unknown", "errorMessage": format!("Task timed out after {:.2} seconds", timeout_ms as f64 / 1000.0)}),
            )
        } else {
            Err(
                json!({"errorType": "Runtime.ExitError", "errorMessage": format!("{name} exited before answering: {waited:?}")}),
            )
        }
    };
    if many.is_some() {
        let all: Vec<Value> = s
            .outcomes
            .iter()
            .map(|o| match o.clone().unwrap_or_else(exited) {
                Ok(v) => json!({ "response": v }),
                Err(e) => json!({ "error": e }),
            })
            .collect();
        println!("{}", Value::Array(all));
        return std::process::ExitCode::SUCCESS;
    }
    let outcome = s.outcomes.first().cloned().flatten().unwrap_or_else(exited);
    let cold = s
        .first_next
        .map(|t| t.duration_since(started).as_secs_f64() * 1000.0);
    let handler = s
        .first_next
        .zip(s.answered)
        .map(|(a, b)| b.duration_since(a).as_secs_f64() * 1000.0);
    if report {
        let (response, error) = match &outcome {
            Ok(v) => (v.clone(), Value::Null),
            Err(e) => (Value::Null, e.clone()),
        };
        println!(
            "{}",
            json!({"response": response, "error": error, "cold_start_ms": cold, "handler_ms": handler, "peak_rss_kb": rss})
        );
        return std::process::ExitCode::SUCCESS;
    }
    match outcome {
        Ok(v) => {
            println!("{v}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            println!("{e}");
            std::process::ExitCode::from(1)
        }
    }
}
