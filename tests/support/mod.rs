//! Test support: the sample data read independently of the service, the local service started
//! on a free port, and real SDK clients pointed at it with fake credentials.

pub mod faults;
pub mod sfn;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use trailwatch_local::{Config, QueryTiming, Running};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The vendored invictus-ir events folder.
pub fn invictus_dir() -> PathBuf {
    repo().join("events/cloudtrail/invictus-ir")
}

/// Every invictus-ir record, read with serde_json alone (not with the service's loader).
pub fn invictus_events() -> Vec<Value> {
    let dir = invictus_dir().join("CloudTrail");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("data dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let doc: Value = serde_json::from_slice(&std::fs::read(&f).expect("read")).expect("json");
        out.extend(doc["Records"].as_array().expect("Records").iter().cloned());
    }
    out
}

/// A string field by dotted path, or "" when absent.
pub fn field<'a>(e: &'a Value, path: &str) -> &'a str {
    e.pointer(&format!("/{}", path.replace('.', "/")))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Quick query timing for tests (Lake and Athena): a query is QUEUED for 30 ms and RUNNING for at least 60 ms.
pub fn fast_queries() -> QueryTiming {
    QueryTiming {
        queued: Duration::from_millis(30),
        running: Duration::from_millis(60),
        ..QueryTiming::default()
    }
}

/// The service on a free port over the invictus data.
pub async fn start_service(tweak: impl FnOnce(&mut Config)) -> Running {
    let mut c = Config {
        data: vec![invictus_dir()],
        addr: "127.0.0.1:0".parse().expect("addr"),
        queries: fast_queries(),
        lookup_rate: 0.0,
        ..Config::default()
    };
    tweak(&mut c);
    trailwatch_local::start(c).await.expect("service starts")
}

/// A CloudTrail client for `endpoint` with fake credentials and `attempts` tries per call.
pub fn cloudtrail(endpoint: &str, attempts: u32) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&trailwatch::aws::local_config(
        endpoint,
        "us-east-1",
        attempts,
    ))
}

/// An SNS client for `endpoint` with fake credentials.
pub fn sns(endpoint: &str) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&trailwatch::aws::local_config(endpoint, "us-east-1", 3))
}

/// Creates an SNS topic on the service; returns its ARN.
pub async fn create_topic(svc: &Running, name: &str) -> String {
    sns(svc.endpoint())
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("topic arn")
        .to_string()
}

/// Pipeline dependencies wired to the service: SDK Lake adapter and SNS alerts to `topic`.
pub fn deps(
    svc: &Running,
    topic: &str,
    config: trailwatch::config::Config,
) -> trailwatch::pipeline::Deps {
    use trailwatch::alert::sns::SnsAlerts;
    use trailwatch::lake::SdkLake;
    let mut config = config;
    config
        .event_data_store
        .get_or_insert_with(|| svc.summary.event_data_store_arn.clone());
    trailwatch::pipeline::Deps {
        engine: Arc::new(SdkLake::new(cloudtrail(svc.endpoint(), 3), None)),
        alerts: Some(Arc::new(SnsAlerts::new(
            sns(svc.endpoint()),
            topic.to_string(),
        ))),
        ledger: None,
        catalog: Arc::new(trailwatch::checks::Catalog::bundled().expect("catalog")),
        config: Arc::new(config),
    }
}

/// An Athena client for `endpoint` with fake credentials and `attempts` tries per call.
pub fn athena(endpoint: &str, attempts: u32) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(&trailwatch::aws::local_config(
        endpoint,
        "us-east-1",
        attempts,
    ))
}

/// Pipeline dependencies for `engine`: Lake as [`deps`], or the SDK Athena adapter on the
/// service's Athena workgroup, database and table.
pub fn deps_for(
    svc: &Running,
    topic: &str,
    config: trailwatch::config::Config,
    engine: trailwatch::engine::EngineKind,
) -> trailwatch::pipeline::Deps {
    use trailwatch::athena::{AthenaTarget, SdkAthena};
    use trailwatch::engine::EngineKind;
    let mut config = config;
    config.engine = engine;
    if engine == EngineKind::Lake {
        return deps(svc, topic, config);
    }
    let a = &svc.summary.athena;
    let target = AthenaTarget {
        workgroup: a.workgroup.clone(),
        database: a.database.clone(),
        table: a.table.clone(),
        catalog: "AwsDataCatalog".into(),
    };
    config.athena = Some(target.clone());
    let mut d = deps(svc, topic, config.clone());
    d.engine = Arc::new(SdkAthena::new(athena(svc.endpoint(), 3), target));
    d.catalog =
        Arc::new(trailwatch::checks::Catalog::load(EngineKind::Athena, None).expect("catalog"));
    d.config = Arc::new(config);
    d
}

/// The sample copied into eu-west-1 (ids prefixed `eu-`), its global services' events (IAM, STS,
/// sign-in) left out: AWS records those in us-east-1 only.
pub fn regional_copies(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| !trailwatch::lookup::sweep::GLOBAL_SOURCES.contains(&field(e, "eventSource")))
        .map(|e| {
            let mut c = e.clone();
            c["eventID"] = json!(format!("eu-{}", field(e, "eventID")));
            c["awsRegion"] = json!("eu-west-1");
            c
        })
        .collect()
}

/// Writes `events` as one trail-log file (`{"Records": [...]}`) in `dir`.
pub fn write_trail_file(dir: &std::path::Path, events: &[Value]) {
    std::fs::create_dir_all(dir).expect("create the folder");
    std::fs::write(
        dir.join("copies.json"),
        serde_json::to_vec(&json!({ "Records": events })).expect("serialise"),
    )
    .expect("write the trail file");
}

/// (rule id, event id) of every match of `rules` over `events`, evaluated without the index:
/// the independent expectation for what the alert paths publish.
pub fn rule_matches<'a>(
    rules: &trailwatch::rules::RuleSet,
    events: impl IntoIterator<Item = &'a Value>,
) -> std::collections::BTreeSet<(String, String)> {
    events
        .into_iter()
        .flat_map(|ev| {
            rules
                .matches_naive(ev)
                .into_iter()
                .filter(|r| r.alerts)
                .map(|r| (r.id.clone(), field(ev, "eventID").to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// lookup-alert's dependencies wired to the service: one lane per region (each its own client
/// and rate limit), alerts to `topic` on the service's SNS, checkpoints in memory unless given.
pub fn lookup_deps(
    svc: &Running,
    topic: &str,
    regions: &[&str],
    rate: u32,
    settings: trailwatch::lookup::sweep::SweepSettings,
) -> trailwatch::lookup::handler::LookupDeps {
    use trailwatch::lookup::sweep::{lanes, Sweeper};
    let regions: Vec<String> = regions
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    let (rules, errors) = trailwatch::rules::RuleSet::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    let lanes = lanes(&regions)
        .into_iter()
        .map(|lane| {
            let sdk = trailwatch::aws::local_config(svc.endpoint(), &lane.region, 10);
            let history: Arc<dyn trailwatch::lookup::EventHistory> =
                Arc::new(trailwatch::lookup::sdk::SdkHistory::new(
                    trailwatch::aws::cloudtrail_in(&sdk, &lane.region),
                    rate,
                ));
            (lane, history)
        })
        .collect();
    trailwatch::lookup::handler::LookupDeps {
        sweeper: Sweeper {
            lanes,
            checkpoints: Arc::new(trailwatch::lookup::checkpoint::MemoryCheckpoints::default()),
            alerts: Arc::new(trailwatch::alert::sns::SnsAlerts::new(
                sns(svc.endpoint()),
                topic.to_string(),
            )),
            ledger: None,
            rules: Arc::new(rules),
            correlations: trailwatch::lookup::correlate::Correlations {
                docs: Arc::new(trailwatch::document::MemoryDocuments::default()),
                reread_secs: 3_600,
            },
            settings,
        },
        trusted_accounts: vec!["123837392027".into()],
    }
}

/// lookup-alert's handler on a JSON payload, decoded as the Lambda edge decodes it; the outcome
/// as the JSON the function returns.
pub async fn run_lookup(
    deps: &trailwatch::lookup::handler::LookupDeps,
    payload: serde_json::Value,
) -> trailwatch::Result<serde_json::Value> {
    let event = trailwatch::lambda::decode("lookup-alert", payload)?;
    let out = trailwatch::lookup::handler::handle(deps, event, None).await?;
    Ok(serde_json::to_value(out).expect("outcome serialises"))
}

/// Starts a Lake query that must be accepted; returns its id.
pub async fn start_query(ct: &aws_sdk_cloudtrail::Client, sql: impl Into<String>) -> String {
    ct.start_query()
        .query_statement(sql)
        .send()
        .await
        .expect("StartQuery accepted")
        .query_id()
        .expect("QueryId")
        .to_string()
}

/// Polls DescribeQuery until the query ends; returns its final status text. The bound is a
/// minute of wall time, not a count of polls: a test binary's tests run at once, each with its
/// own service, and on two cores a query may wait its turn for many seconds.
pub async fn wait_query(ct: &aws_sdk_cloudtrail::Client, id: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let d = ct
            .describe_query()
            .query_id(id)
            .send()
            .await
            .expect("describe");
        let s = d
            .query_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if !matches!(s.as_str(), "QUEUED" | "RUNNING") {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("query {id} never ended");
}

/// The pipeline tests' alert topic, created on the service; returns its ARN.
pub async fn topic(svc: &Running) -> String {
    create_topic(svc, "trailwatch-alerts").await
}

/// start-query's handler on a JSON payload, decoded as the Lambda edge decodes it.
pub async fn start_q(
    deps: &trailwatch::pipeline::Deps,
    input: Value,
) -> trailwatch::Result<trailwatch::pipeline::QueryRef> {
    let input = trailwatch::lambda::decode("start-query", input)?;
    trailwatch::pipeline::start::handle(deps, input, Utc::now()).await
}

/// Most polls [`poll_until_done`] makes before it gives up.
const MAX_POLLS: u32 = 400;
/// Time between two of [`poll_until_done`]'s polls.
const POLL_EVERY: Duration = Duration::from_millis(30);

/// Polls through poll-query's handler until the query is no longer running (the local engines
/// are quick; the state machine's waits are the Retry's, not slept here); returns what the
/// handler gave for the ended query. Panics when the query still runs after `MAX_POLLS` polls.
pub async fn poll_until_done(
    deps: &trailwatch::pipeline::Deps,
    q: &trailwatch::pipeline::QueryRef,
) -> trailwatch::Result<trailwatch::pipeline::poll::PollState> {
    use trailwatch::pipeline::poll::{self, PollInput};
    for _ in 0..MAX_POLLS {
        match poll::handle(deps, PollInput { query: q.clone() }, Utc::now()).await {
            Err(trailwatch::Error::QueryRunning(_)) => tokio::time::sleep(POLL_EVERY).await,
            other => return other,
        }
    }
    panic!(
        "query {} still running after {MAX_POLLS} polls {POLL_EVERY:?} apart",
        q.query_id
    );
}

fn names(e: &Value, source: &str, list: &[&str]) -> bool {
    field(e, "eventSource") == source && list.contains(&field(e, "eventName"))
}

/// The CIS CloudWatch.1-14 filter patterns, written from the control definitions in the
/// Security Hub user guide
/// (<https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html>, the
/// reference the bundled rules cite), independently of the checks' SQL.
pub fn cis(n: u32, e: &Value) -> bool {
    let name = field(e, "eventName");
    match n {
        1 => {
            field(e, "userIdentity.type") == "Root"
                && e["userIdentity"]
                    .get("invokedBy")
                    .is_none_or(Value::is_null)
                && field(e, "eventType") != "AwsServiceEvent"
                && e.get("eventType").is_some_and(|t| !t.is_null())
        }
        2 => {
            let c = field(e, "errorCode");
            c.ends_with("UnauthorizedOperation") || c.starts_with("AccessDenied")
        }
        3 => {
            name == "ConsoleLogin"
                && field(e, "userIdentity.type") == "IAMUser"
                && field(e, "responseElements.ConsoleLogin") == "Success"
                && field(e, "additionalEventData.MFAUsed") != "Yes"
        }
        4 => names(
            e,
            "iam.amazonaws.com",
            &[
                "DeleteGroupPolicy",
                "DeleteRolePolicy",
                "DeleteUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "PutUserPolicy",
                "CreatePolicy",
                "DeletePolicy",
                "CreatePolicyVersion",
                "DeletePolicyVersion",
                "AttachRolePolicy",
                "DetachRolePolicy",
                "AttachUserPolicy",
                "DetachUserPolicy",
                "AttachGroupPolicy",
                "DetachGroupPolicy",
            ],
        ),
        5 => names(
            e,
            "cloudtrail.amazonaws.com",
            &[
                "CreateTrail",
                "UpdateTrail",
                "DeleteTrail",
                "StartLogging",
                "StopLogging",
            ],
        ),
        6 => name == "ConsoleLogin" && field(e, "errorMessage") == "Failed authentication",
        7 => names(
            e,
            "kms.amazonaws.com",
            &["DisableKey", "ScheduleKeyDeletion"],
        ),
        8 => names(
            e,
            "s3.amazonaws.com",
            &[
                "PutBucketAcl",
                "PutBucketPolicy",
                "PutBucketCors",
                "PutBucketLifecycle",
                "PutBucketReplication",
                "DeleteBucketPolicy",
                "DeleteBucketCors",
                "DeleteBucketLifecycle",
                "DeleteBucketReplication",
            ],
        ),
        9 => names(
            e,
            "config.amazonaws.com",
            &[
                "StopConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",
                "PutConfigurationRecorder",
            ],
        ),
        10 => names(
            e,
            "ec2.amazonaws.com",
            &[
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "CreateSecurityGroup",
                "DeleteSecurityGroup",
            ],
        ),
        11 => names(
            e,
            "ec2.amazonaws.com",
            &[
                "CreateNetworkAcl",
                "CreateNetworkAclEntry",
                "DeleteNetworkAcl",
                "DeleteNetworkAclEntry",
                "ReplaceNetworkAclEntry",
                "ReplaceNetworkAclAssociation",
            ],
        ),
        12 => names(
            e,
            "ec2.amazonaws.com",
            &[
                "CreateCustomerGateway",
                "DeleteCustomerGateway",
                "AttachInternetGateway",
                "CreateInternetGateway",
                "DeleteInternetGateway",
                "DetachInternetGateway",
            ],
        ),
        13 => names(
            e,
            "ec2.amazonaws.com",
            &[
                "CreateRoute",
                "CreateRouteTable",
                "ReplaceRoute",
                "ReplaceRouteTableAssociation",
                "DeleteRouteTable",
                "DeleteRoute",
                "DisassociateRouteTable",
            ],
        ),
        14 => names(
            e,
            "ec2.amazonaws.com",
            &[
                "CreateVpc",
                "DeleteVpc",
                "ModifyVpcAttribute",
                "AcceptVpcPeeringConnection",
                "CreateVpcPeeringConnection",
                "DeleteVpcPeeringConnection",
                "RejectVpcPeeringConnection",
                "AttachClassicLinkVpc",
                "DetachClassicLinkVpc",
                "DisableVpcClassicLink",
                "EnableVpcClassicLink",
            ],
        ),
        _ => unreachable!(),
    }
}

/// Variants of the AWS-docs and Panther fixture events (unchanged otherwise), moved into the
/// sample's hour with fresh ids so one window covers them: they hold the root, KMS, Config and
/// NACL events the invictus data lacks.
pub fn derived_events() -> Vec<Value> {
    let fx = repo().join("tests/fixtures");
    let mut raw = Vec::new();
    for (file, key) in [
        (
            "aws-docs-examples/aws_docs_example_events.jsonl",
            Some("event"),
        ),
        ("panther-rule-tests/panther_rule_test_logs.jsonl", None),
        (
            "panther-rule-tests/scenario_compromised-root-creds_victim_cloudtrail.jsonl",
            None,
        ),
    ] {
        for line in std::fs::read_to_string(fx.join(file))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: Value = serde_json::from_str(line).unwrap();
            raw.push(match key {
                Some(k) => v[k].clone(),
                None => v,
            });
        }
    }
    let base = DateTime::parse_from_rfc3339("2023-07-10T12:40:00Z")
        .unwrap()
        .with_timezone(&Utc);
    raw.into_iter()
        .filter(|e| e.get("eventName").is_some())
        .enumerate()
        .map(|(i, mut e)| {
            e["eventTime"] = json!(
                (base + chrono::Duration::seconds(i64::try_from(i).unwrap()))
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            );
            e["eventID"] = json!(format!("derived-{i:05}"));
            e
        })
        .collect()
}

/// A `moto_server` (DynamoDB, SNS, SQS, ...) on a free loopback port, stopped when dropped.
/// Its Python is `TRAILWATCH_PYTHON` (scripts/test points it at the venv with moto[server]).
pub struct Moto {
    child: std::process::Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Starts `moto_server` and waits until it answers.
pub fn moto() -> Moto {
    let python = std::env::var("TRAILWATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new(&python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} -m moto.server: {e} (set TRAILWATCH_PYTHON to a Python with moto[server])"));
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return moto;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not start on port {port}");
}

/// A fresh ledger table on moto, as the template creates it (partition key `pk`, on demand).
pub async fn ledger_table(moto: &Moto) -> (aws_sdk_dynamodb::Client, String) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    // The functions' own number of tries: moto answers 500 now and then under concurrency.
    let client = aws_sdk_dynamodb::Client::new(&trailwatch::aws::local_config(
        &moto.endpoint,
        "us-east-1",
        8,
    ));
    let name = format!("ledger-{}", uuid_like());
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .send()
        .await
        .expect("create the ledger table");
    (client, name)
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    )
}

/// What an `event_count` correlation's check must find in `events`, computed from the
/// correlation's own YAML (its rules, group-by fields, timespan and `gte` / `gt` threshold) and
/// the in-memory matches of its rules: per group and epoch-aligned bucket of the timespan, every
/// N-th matching event by (eventTime, eventID).
pub fn tumbling_count(
    rules: &trailwatch::rules::RuleSet,
    c: &trailwatch::rules::Correlation,
    events: &[Value],
) -> BTreeSet<String> {
    // (group-by values, bucket): the (time, event id) of each event counted in it.
    type Group = (Vec<Option<String>>, i64);
    let text = std::fs::read_to_string(repo().join(&c.source)).unwrap();
    let doc: Value = serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .find(|d: &Value| d["id"] == c.id.as_str())
        .unwrap();
    let corr = &doc["correlation"];
    assert_eq!(corr["type"], "event_count");
    let span = corr["timespan"].as_str().unwrap();
    let (num, unit) = span.split_at(span.len() - 1);
    let seconds: i64 = num.parse::<i64>().unwrap()
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            other => panic!("unit {other}"),
        };
    let n = corr["condition"]["gte"]
        .as_u64()
        .or_else(|| corr["condition"]["gt"].as_u64().map(|g| g + 1))
        .unwrap() as usize;
    let names: Vec<&str> = corr["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let counted: Vec<&trailwatch::rules::Rule> = rules
        .rules()
        .iter()
        .filter(|r| {
            names
                .iter()
                .any(|n| *n == r.id || Some(*n) == r.name.as_deref())
        })
        .collect();
    let group_by: Vec<&str> = corr["group-by"]
        .as_array()
        .map(|g| g.iter().map(|f| f.as_str().unwrap()).collect())
        .unwrap_or_default();
    let mut groups: BTreeMap<Group, Vec<(i64, String)>> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| counted.iter().any(|r| r.matches(e)))
    {
        let t = chrono::DateTime::parse_from_rfc3339(field(e, "eventTime"))
            .unwrap()
            .timestamp();
        let key: Vec<Option<String>> = group_by
            .iter()
            .map(|f| {
                f.split('.')
                    .try_fold(e, |v, k| v.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        groups
            .entry((key, t.div_euclid(seconds)))
            .or_default()
            .push((t, field(e, "eventID").to_string()));
    }
    groups
        .into_values()
        .flat_map(|mut g| {
            g.sort();
            g.into_iter()
                .enumerate()
                .filter(|(i, _)| (i + 1) % n == 0)
                .map(|(_, (_, id))| id)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The alerts of one trailwatch-format SNS message.
pub fn alerts_in(message: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(message).unwrap();
    v["alerts"].as_array().unwrap().clone()
}
