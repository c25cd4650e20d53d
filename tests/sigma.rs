//! trailwatch's Sigma evaluation against an independent engine: pySigma turns every bundled rule
//! into DuckDB SQL (tests/python/sigma_crosscheck.py) and DuckDB runs it over the same events.
//! The events are the real sample (invictus-ir, Panther's rule tests, the rules' own test
//! events) plus events derived from each of them that exercise what Sigma engines get wrong: an
//! absent field, a JSON null, a list where the sample has a scalar, and other letter case.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{json, Value};
use trailwatch::rules::RuleSet;
use trailwatch_tests::{invictus_events, repo};

/// Panther's CloudTrail rule-test events (some lines wrap the event in `log`, some are null).
fn panther_events() -> Vec<Value> {
    let dir = repo().join("tests/fixtures/panther-rule-tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("panther dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f).expect("read").lines() {
            let v: Value = serde_json::from_str(line).expect("json line");
            let ev = if v.get("rule_id").is_some() {
                v["log"].clone()
            } else {
                v
            };
            if ev.get("eventName").is_some() {
                out.push(ev);
            }
        }
    }
    out
}

/// The bundled rules' own test events (rules/tests/*.json).
fn rule_case_events() -> Vec<Value> {
    let (files, errors) = trailwatch::rules::cases::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    files
        .into_iter()
        .flat_map(|f| {
            f.cases
                .into_iter()
                .flat_map(|c| c.all_events().cloned().collect::<Vec<_>>())
        })
        .collect()
}

/// `e` and the variants derived from it, each tagged.
fn derive(e: &Value) -> Vec<(&'static str, Value)> {
    let mut out = vec![("real", e.clone())];
    let mut with = |tag, f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut v = e.clone();
        if let Some(o) = v.as_object_mut() {
            f(o);
        }
        out.push((tag, v));
    };
    // The same call, succeeded: CloudTrail then has no errorCode field at all.
    with("succeeded", &|o| {
        o.remove("errorCode");
        o.remove("errorMessage");
    });
    with("error-null", &|o| {
        o.insert("errorCode".into(), Value::Null);
    });
    with("upper", &|o| {
        for k in ["eventName", "eventSource"] {
            if let Some(s) = o.get(k).and_then(Value::as_str) {
                let up = s.to_uppercase();
                o.insert(k.into(), json!(up));
            }
        }
    });
    with("lower", &|o| {
        for k in ["eventName", "eventSource", "errorCode"] {
            if let Some(s) = o.get(k).and_then(Value::as_str) {
                let low = s.to_lowercase();
                o.insert(k.into(), json!(low));
            }
        }
    });
    // Each scalar request parameter as a list holding a decoy and the real value.
    with("listed", &|o| {
        if let Some(Value::Object(p)) = o.get_mut("requestParameters") {
            for v in p.values_mut() {
                if v.is_string() || v.is_number() || v.is_boolean() {
                    *v = json!(["trailwatch-decoy", v.take()]);
                }
            }
        }
    });
    with("no-parameters", &|o| {
        o.insert("requestParameters".into(), Value::Null);
    });
    // A layer update as requested (a list of ARNs), built from the layers the response names.
    if let Some(Value::Array(layers)) = e.pointer("/responseElements/layers") {
        let arns: Vec<Value> = layers
            .iter()
            .filter_map(|l| l.get("arn").cloned())
            .collect();
        with("layer-arns", &|o| {
            let mut params = o
                .get("requestParameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            params.insert("layers".into(), Value::Array(arns.clone()));
            o.insert("requestParameters".into(), Value::Object(params));
        });
    }
    out
}

/// Every event of the corpus, with a unique eventID (`N-tag`): the label both engines report.
fn corpus() -> Vec<Value> {
    let mut out = Vec::new();
    for (n, e) in invictus_events()
        .iter()
        .chain(panther_events().iter())
        .chain(rule_case_events().iter())
        .enumerate()
    {
        for (tag, mut v) in derive(e) {
            v["eventID"] = json!(format!("{n}-{tag}"));
            out.push(v);
        }
    }
    out
}

/// What pySigma + DuckDB match: rule id -> eventIDs, and the rules it could not convert.
fn independent(events: &[Value], dir: &Path) -> (BTreeMap<String, BTreeSet<String>>, Value) {
    let input = dir.join("events.jsonl");
    let mut text = String::new();
    for e in events {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    std::fs::write(&input, text).expect("write events");
    let output = dir.join("matches.json");
    let python = std::env::var("TRAILWATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let run = std::process::Command::new(&python)
        .arg(repo().join("tests/python/sigma_crosscheck.py"))
        .arg("--rules")
        .arg(repo().join("rules"))
        .arg("--events")
        .arg(&input)
        .arg("--out")
        .arg(&output)
        .output()
        .unwrap_or_else(|e| {
            panic!("{python}: {e} (set TRAILWATCH_PYTHON to a Python with pySigma)")
        });
    assert!(
        run.status.success(),
        "sigma_crosscheck.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out: Value =
        serde_json::from_slice(&std::fs::read(&output).expect("read matches")).expect("json");
    let rules = out["rules"]
        .as_object()
        .expect("rules")
        .iter()
        .map(|(id, evs)| {
            let ids = evs
                .as_array()
                .expect("event list")
                .iter()
                .map(|e| e.as_str().expect("eventID").to_string())
                .collect();
            (id.clone(), ids)
        })
        .collect();
    (rules, out["unconvertible"].clone())
}

#[test]
fn every_bundled_rule_matches_what_an_independent_engine_matches() {
    let events = corpus();
    let dir = std::env::temp_dir().join(format!("tw-sigma-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (theirs, unconvertible) = independent(&events, &dir);
    std::fs::remove_dir_all(&dir).ok();
    let (rules, errors) = RuleSet::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    // pySigma converts single-event rules only; correlations are proven on their sequences
    // (rules/tests, `trailwatch rules test`).
    let unconvertible: BTreeSet<&str> = unconvertible
        .as_object()
        .expect("unconvertible")
        .keys()
        .map(String::as_str)
        .collect();
    let correlations: BTreeSet<&str> = rules.correlations().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        unconvertible, correlations,
        "rules pySigma could not convert"
    );
    let mut ours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &events {
        for r in rules.matches(e) {
            let id = e["eventID"].as_str().expect("eventID").to_string();
            ours.entry(r.id.clone()).or_default().insert(id);
        }
    }

    let empty = BTreeSet::new();
    let mut differ = Vec::new();
    for r in rules.rules() {
        let (a, b) = (
            ours.get(&r.id).unwrap_or(&empty),
            theirs.get(&r.id).unwrap_or(&empty),
        );
        if a != b {
            let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
                x.difference(y).take(5).cloned().collect::<Vec<_>>()
            };
            differ.push(format!(
                "{} ({}): trailwatch {} / pySigma {}; only trailwatch {:?}; only pySigma {:?}",
                r.title,
                r.id,
                a.len(),
                b.len(),
                only(a, b),
                only(b, a)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));

    // Not vacuous: the rules that rest on `errorCode: null` fire, and only on calls that
    // succeeded; the one that rests on a list field fires.
    let by_id: BTreeMap<&str, &Value> = events
        .iter()
        .map(|e| (e["eventID"].as_str().unwrap_or_default(), e))
        .collect();
    let hits = |title: &str| {
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.title == title)
            .unwrap_or_else(|| panic!("no rule {title}"));
        let hits = ours.get(&rule.id).cloned().unwrap_or_default();
        assert!(!hits.is_empty(), "{title} never fires");
        hits
    };
    for title in [
        "AWS Bucket Deleted",
        "Potential Malicious Usage of CloudTrail System Manager",
        "AWS VPC Flow Logs Deleted",
    ] {
        assert!(
            hits(title).iter().all(|id| by_id[id.as_str()]
                .get("errorCode")
                .is_none_or(Value::is_null)),
            "{title} fired on a failed call"
        );
    }
    assert!(hits("AWS New Lambda Layer Attached")
        .iter()
        .any(|id| id.ends_with("-layer-arns")));
    let fired = rules
        .rules()
        .iter()
        .filter(|r| ours.contains_key(&r.id))
        .count();
    assert!(fired >= 40, "only {fired} rules fire on the corpus");
}

/// `TRAILWATCH_ALERT_FORMAT=ocsf`: the alerts of every bundled rule over the sample and the
/// rules' own test events, plus a check's, published through the real SNS sink to the local
/// service, each arrive as one OCSF Detection Finding that an independent OCSF implementation
/// (py-ocsf-models, tests/python/ocsf_check.py) validates and whose every value it recomputes
/// from the alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocsf_findings_validate_against_an_independent_model() {
    use trailwatch::alert::deliver::{Cutoff, Delivery};
    use trailwatch::alert::sns::SnsAlerts;
    use trailwatch::alert::{Alert, EventSummary, Format, Origin, Raiser};
    use trailwatch_tests::{create_topic, sns, start_service};

    let (rules, errors) = RuleSet::bundled();
    assert!(errors.is_empty(), "{errors:?}");
    let mut alerts: Vec<Alert> = Vec::new();
    let mut ids = BTreeSet::new();
    let events: Vec<Value> = invictus_events()
        .into_iter()
        .chain(rule_case_events())
        .collect();
    for e in &events {
        for r in rules.matches(e).into_iter().filter(|r| r.alerts) {
            let a = Alert::new(&r.raiser(), EventSummary::from_cloudtrail(e));
            if ids.insert(a.id.clone()) {
                alerts.push(a);
            }
        }
    }
    let check = Raiser {
        origin: Origin::Check,
        id: "cis-3.1-unauthorized-api-calls",
        title: "Unauthorized API calls",
        severity: trailwatch::severity::Severity::Low,
        author: None,
        tags: &[],
    };
    alerts.push(Alert::new(
        &check,
        EventSummary::from_cloudtrail(&events[0]),
    ));
    let tagged = alerts.iter().filter(|a| !a.tags.is_empty()).count();
    assert!(
        alerts.len() > 200 && tagged > 100,
        "{} {tagged}",
        alerts.len()
    );

    let svc = start_service(|_| {}).await;
    let topic = create_topic(&svc, "ocsf").await;
    let sink = SnsAlerts::new(sns(svc.endpoint()), topic.clone()).with_format(Format::Ocsf);
    let delivery = Delivery {
        sink: &sink,
        ledger: None,
        owner: "ocsf",
        cutoff: Cutoff::NONE,
    };
    let d = delivery.send(&alerts).await.expect("published");
    assert_eq!(
        d.notifications,
        alerts.len() as u64,
        "one finding a message"
    );
    let published = svc.published(Some(&topic));
    assert_eq!(published.len(), alerts.len());
    assert!(published
        .iter()
        .all(|m| m.attributes.contains_key("severity") && m.attributes.contains_key("rule_id")));

    let dir = std::env::temp_dir().join(format!("tw-ocsf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let lines = |items: Vec<String>| items.join("\n") + "\n";
    std::fs::write(
        dir.join("findings.jsonl"),
        lines(published.iter().map(|m| m.message.clone()).collect()),
    )
    .expect("write findings");
    std::fs::write(
        dir.join("alerts.jsonl"),
        lines(
            alerts
                .iter()
                .map(|a| serde_json::to_string(a).expect("alert json"))
                .collect(),
        ),
    )
    .expect("write alerts");
    let python = std::env::var("TRAILWATCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let run = std::process::Command::new(&python)
        .arg(repo().join("tests/python/ocsf_check.py"))
        .arg("--findings")
        .arg(dir.join("findings.jsonl"))
        .arg("--alerts")
        .arg(dir.join("alerts.jsonl"))
        .arg("--out")
        .arg(dir.join("report.json"))
        .output()
        .unwrap_or_else(|e| {
            panic!("{python}: {e} (set TRAILWATCH_PYTHON to a Python with py-ocsf-models)")
        });
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap_or_default())
            .unwrap_or_else(|_| json!({"stderr": String::from_utf8_lossy(&run.stderr)}));
    assert!(run.status.success(), "{report:#}");
    assert_eq!(report["checked"], json!(alerts.len()));
    std::fs::remove_dir_all(&dir).ok();
}
