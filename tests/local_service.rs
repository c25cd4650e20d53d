//! The local CloudTrail service through the real aws-sdk-cloudtrail and aws-sdk-sns clients:
//! every operation, every error, paging, and results checked against serde_json computations
//! over the same files.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use trailwatch_tests::*;

fn code<E: ProvideErrorMetadata, R>(e: &aws_sdk_cloudtrail::error::SdkError<E, R>) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("<not a service error>")
        .to_string()
}

fn rows_of(
    out: &aws_sdk_cloudtrail::operation::get_query_results::GetQueryResultsOutput,
) -> Vec<Vec<(String, String)>> {
    out.query_result_rows()
        .iter()
        .map(|r| {
            r.iter()
                .flat_map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())))
                .collect()
        })
        .collect()
}

async fn run_query(
    ct: &aws_sdk_cloudtrail::Client,
    sql: &str,
    page: i32,
) -> (String, Vec<Vec<(String, String)>>, u32) {
    let id = start_query(ct, sql).await;
    let status = wait_query(ct, &id).await;
    let (mut rows, mut token, mut pages) = (Vec::new(), None, 0);
    loop {
        let out = ct
            .get_query_results()
            .query_id(&id)
            .max_query_results(page)
            .set_next_token(token)
            .send()
            .await
            .expect("results");
        pages += 1;
        rows.extend(rows_of(&out));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    (status, rows, pages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_queries_match_an_independent_count_across_pages() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = &svc.summary.event_data_store;
    let sql = format!(
        "SELECT eventSource, eventName, COUNT(*) AS apiCount FROM {store} \
         WHERE eventTime >= '2023-07-10 12:00:00' AND eventTime < '2023-07-10 12:30:00' \
         GROUP BY eventSource, eventName ORDER BY apiCount DESC, eventName"
    );
    let (status, rows, pages) = run_query(&ct, &sql, 7).await;
    assert_eq!(status, "FINISHED");
    let mut expected: BTreeMap<(String, String), usize> = BTreeMap::new();
    let events = invictus_events();
    let in_window: Vec<_> = events
        .iter()
        .filter(|e| {
            let t = field(e, "eventTime");
            ("2023-07-10T12:00:00Z"..="2023-07-10T12:29:59Z").contains(&t)
        })
        .collect();
    for e in &in_window {
        *expected
            .entry((field(e, "eventSource").into(), field(e, "eventName").into()))
            .or_default() += 1;
    }
    let got: BTreeMap<(String, String), usize> = rows
        .iter()
        .map(|r| {
            assert_eq!(
                r.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
                ["eventSource", "eventName", "apiCount"]
            );
            (
                (r[0].1.clone(), r[1].1.clone()),
                r[2].1.parse().expect("count is a string of digits"),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(pages as usize, expected.len().div_ceil(7));
    // Ordered as asked: counts never increase.
    let counts: Vec<usize> = rows.iter().map(|r| r[2].1.parse().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]));

    // Statistics are computed: the window bounds what is scanned.
    let first = ct
        .list_queries()
        .event_data_store(store)
        .send()
        .await
        .expect("list");
    let qid = first.queries()[0].query_id().expect("id").to_string();
    let d = ct
        .describe_query()
        .query_id(&qid)
        .send()
        .await
        .expect("describe");
    let stats = d.query_statistics().expect("stats");
    let n = i64::try_from(in_window.len()).unwrap();
    assert_eq!(stats.events_scanned(), Some(n));
    assert_eq!(stats.events_matched(), Some(n));
    assert!(stats.bytes_scanned().unwrap_or(0) > 0);
    assert!(stats.bytes_scanned() < Some(i64::try_from(svc.summary.events).unwrap() * 10_000));
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_rows_have_lakes_shape() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = &svc.summary.event_data_store;
    let sql = format!(
        "SELECT eventTime, userIdentity.arn, element_at(additionalEventData, 'MFAUsed'), \
         json_extract_scalar(eventjson, '$.userIdentity.type') AS idtype, readOnly \
         FROM {store} WHERE eventName = 'ConsoleLogin' ORDER BY eventTime"
    );
    let (status, rows, _) = run_query(&ct, &sql, 1000).await;
    assert_eq!(status, "FINISHED");
    let mut logins: Vec<_> = invictus_events()
        .into_iter()
        .filter(|e| field(e, "eventName") == "ConsoleLogin")
        .collect();
    logins.sort_by(|a, b| field(a, "eventTime").cmp(field(b, "eventTime")));
    assert_eq!(rows.len(), logins.len());
    for (row, e) in rows.iter().zip(&logins) {
        let keys: Vec<&str> = row.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["eventTime", "arn", "_col2", "idtype", "readOnly"]);
        let t = field(e, "eventTime").replace('T', " ").replace('Z', ".000");
        assert_eq!(row[0].1, t);
        assert_eq!(row[1].1, field(e, "userIdentity.arn"));
        assert_eq!(row[2].1, field(e, "additionalEventData.MFAUsed"));
        assert_eq!(row[3].1, field(e, "userIdentity.type"));
        assert_eq!(row[4].1, e["readOnly"].as_bool().unwrap().to_string());
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_example_queries_run_except_those_lake_rejects() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let text = std::fs::read_to_string(
        repo().join("tests/fixtures/lake-queries/cloudtrail_lake_example_queries.sql"),
    )
    .unwrap();
    let blocks: Vec<&str> = text.split("-- source:").skip(1).collect();
    assert_eq!(blocks.len(), 10);
    let mut finished = 0;
    for (i, block) in blocks.iter().enumerate() {
        let body = block.split_once('\n').map_or("", |x| x.1);
        let sql = body
            .trim()
            .trim_end_matches(';')
            .trim()
            .trim_end_matches(';')
            .trim();
        // The docs name the store with placeholders; every one stands for our store.
        let mut sql = sql.to_string();
        for placeholder in [
            "event_data_store_ID",
            "5e2676f8-9fce-46ef-8142-3e36a94e6691",
            "EDS1",
            "EDS2",
            "EDS3",
            "eds1",
            "eds2",
        ] {
            sql = sql.replace(placeholder, &store);
        }
        let res = ct.start_query().query_statement(&sql).send().await;
        match i {
            // 0: `eventtime < ='...'` (a typo in the docs: `< =` is no operator); 7: the grammar
            // synopsis, not a query; 9: `edsA.map` names no column. Lake rejects all three.
            0 | 7 | 9 => {
                let e = res.expect_err("Lake rejects this example");
                assert_eq!(code(&e), "InvalidQueryStatementException", "example {i}");
            }
            _ => {
                let id = res
                    .unwrap_or_else(|e| panic!("example {i}: {e:?}"))
                    .query_id()
                    .unwrap()
                    .to_string();
                assert_eq!(wait_query(&ct, &id).await, "FINISHED", "example {i}");
                finished += 1;
            }
        }
    }
    assert_eq!(finished, 7);
    svc.shutdown().await;
}

/// QUEUED first, then RUNNING; cancelled while running. Its own service, a query QUEUED for 2 s
/// and RUNNING for at least 5 s, so that a busy machine cannot move the query on before it is
/// looked at; the cancel ends it early, so the test takes about the queued time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_query_is_queued_then_running_then_cancelled() {
    let svc = start_service(|c| {
        c.queries.queued = Duration::from_secs(2);
        c.queries.running = Duration::from_secs(5);
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let id = start_query(
        &ct,
        format!("SELECT eventID FROM {store} WHERE eventTime > '2023-01-01 00:00:00'"),
    )
    .await;
    let first = ct.describe_query().query_id(&id).send().await.unwrap();
    assert_eq!(first.query_status().unwrap().as_str(), "QUEUED");
    // The queued time over, the query runs: polled a bounded number of times.
    let mut status = String::from("QUEUED");
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let d = ct.describe_query().query_id(&id).send().await.unwrap();
        status = d.query_status().unwrap().as_str().to_string();
        if status != "QUEUED" {
            break;
        }
    }
    assert_eq!(status, "RUNNING", "the status after QUEUED");
    let partial = ct.get_query_results().query_id(&id).send().await.unwrap();
    assert_eq!(partial.query_status().unwrap().as_str(), "RUNNING");
    assert!(partial.query_result_rows().is_empty());
    let c = ct.cancel_query().query_id(&id).send().await.unwrap();
    assert_eq!(c.query_status().as_str(), "CANCELLED");
    assert_eq!(wait_query(&ct, &id).await, "CANCELLED");
    let e = ct.cancel_query().query_id(&id).send().await.unwrap_err();
    assert_eq!(code(&e), "InactiveQueryException");
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lake_errors_and_lifecycle() {
    let svc = start_service(|c| {
        c.queries.running = Duration::from_millis(1500);
        c.queries.max_concurrent = 3;
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let q = format!("SELECT eventID FROM {store} WHERE eventTime > '2023-01-01 00:00:00'");

    let e = ct
        .start_query()
        .query_statement("SELEC nothing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidQueryStatementException");
    let e = ct
        .start_query()
        .query_statement("SELECT * FROM nosuchstore")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "EventDataStoreNotFoundException");

    // At most max_concurrent queued-or-running queries.
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(start_query(&ct, &q).await);
    }
    let e = ct
        .start_query()
        .query_statement(&q)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "MaxConcurrentQueriesException");
    for id in &ids {
        assert_eq!(wait_query(&ct, id).await, "FINISHED");
    }

    // A runtime error fails the query, with a message.
    let bad = start_query(
        &ct,
        format!("SELECT from_iso8601_timestamp(eventName) FROM {store}"),
    )
    .await;
    assert_eq!(wait_query(&ct, &bad).await, "FAILED");
    let d = ct.describe_query().query_id(&bad).send().await.unwrap();
    assert!(
        d.error_message().unwrap_or_default().contains("malformed"),
        "{:?}",
        d.error_message()
    );

    let e = ct
        .describe_query()
        .query_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "QueryIdNotFoundException");
    let e = ct
        .get_query_results()
        .query_id(&ids[0])
        .next_token("bm90LWEtdG9rZW4")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidNextTokenException");
    let e = ct
        .get_query_results()
        .query_id(&ids[0])
        .max_query_results(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidMaxResultsException");
    let e = ct
        .list_queries()
        .event_data_store("not-our-store")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "EventDataStoreNotFoundException");
    let listed = ct
        .list_queries()
        .event_data_store(&svc.summary.event_data_store_arn)
        .query_status("FINISHED".into())
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queries().len(), 3);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_past_the_run_limit_time_out() {
    let svc = start_service(|c| {
        c.queries.running = Duration::from_millis(800);
        c.queries.run_limit = Duration::from_millis(200);
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let id = start_query(
        &ct,
        format!("SELECT count(*) FROM {}", svc.summary.event_data_store),
    )
    .await;
    assert_eq!(wait_query(&ct, &id).await, "TIMED_OUT");
    svc.shutdown().await;
}

fn secs(s: &str) -> SdkTime {
    SdkTime::from_secs(chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_events_pages_newest_first_and_matches_the_files() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let events = invictus_events();
    for (key, value, pick) in [
        (LookupAttributeKey::EventName, "GetSecretValue", "eventName"),
        (
            LookupAttributeKey::EventSource,
            "iam.amazonaws.com",
            "eventSource",
        ),
        (
            LookupAttributeKey::Username,
            "bert-jan",
            "userIdentity.userName",
        ),
        (LookupAttributeKey::ReadOnly, "false", "readOnly"),
        (
            LookupAttributeKey::EventId,
            "8feee4c2-5e27-4857-8475-bfa7e7b6d791",
            "eventID",
        ),
        (
            LookupAttributeKey::AccessKeyId,
            "ASIATFQR7NSCTM3XVF6B",
            "userIdentity.accessKeyId",
        ),
        (
            LookupAttributeKey::ResourceType,
            "AWS::S3::Bucket",
            "resources.type",
        ),
        (
            LookupAttributeKey::ResourceName,
            "arn:aws:kms:us-east-1:123837392027:key/dad21b23-9915-42bd-981b-2a9f3c8f20c8",
            "resources.ARN",
        ),
    ] {
        let attr = LookupAttribute::builder()
            .attribute_key(key.clone())
            .attribute_value(value)
            .build()
            .unwrap();
        let pages: Vec<_> = ct
            .lookup_events()
            .lookup_attributes(attr)
            .start_time(secs("2023-07-10T00:00:00Z"))
            .end_time(secs("2023-07-11T00:00:00Z"))
            .max_results(50)
            .into_paginator()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut got = Vec::new();
        for p in pages {
            let p = p.expect("page");
            assert!(p.events().len() <= 50);
            for e in p.events() {
                let full: serde_json::Value =
                    serde_json::from_str(e.cloud_trail_event().unwrap()).unwrap();
                assert_eq!(full["eventID"].as_str(), e.event_id());
                got.push((
                    e.event_time().unwrap().secs(),
                    e.event_id().unwrap().to_string(),
                ));
            }
        }
        let mut expected: Vec<(i64, String)> = events
            .iter()
            .filter(|e| match pick {
                "readOnly" => {
                    e["readOnly"].as_bool().map(|b| b.to_string()).as_deref() == Some(value)
                }
                "resources.type" | "resources.ARN" => {
                    let key = pick.trim_start_matches("resources.");
                    e["resources"]
                        .as_array()
                        .is_some_and(|rs| rs.iter().any(|r| r[key].as_str() == Some(value)))
                }
                p => field(e, p) == value,
            })
            .map(|e| {
                (
                    chrono::DateTime::parse_from_rfc3339(field(e, "eventTime"))
                        .unwrap()
                        .timestamp(),
                    field(e, "eventID").to_string(),
                )
            })
            .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        assert!(!expected.is_empty(), "{key:?}={value}");
        assert_eq!(got, expected, "{key:?}={value}");
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_events_errors_and_rate_limit() {
    let svc = start_service(|c| c.lookup_rate = 2.0).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let attr = |k: LookupAttributeKey, v: &str| {
        LookupAttribute::builder()
            .attribute_key(k)
            .attribute_value(v)
            .build()
            .unwrap()
    };
    let pause = || tokio::time::sleep(Duration::from_millis(600));

    let e = ct
        .lookup_events()
        .start_time(secs("2023-07-11T00:00:00Z"))
        .end_time(secs("2023-07-10T00:00:00Z"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidTimeRangeException");
    pause().await;
    let e = ct.lookup_events().max_results(51).send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidMaxResultsException");
    pause().await;
    let e = ct
        .lookup_events()
        .lookup_attributes(attr(LookupAttributeKey::EventName, "A"))
        .lookup_attributes(attr(LookupAttributeKey::EventSource, "B"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidLookupAttributesException");
    pause().await;
    // A token is only valid with the parameters that produced it.
    let first = ct.lookup_events().max_results(5).send().await.unwrap();
    let token = first.next_token().unwrap().to_string();
    pause().await;
    let e = ct
        .lookup_events()
        .max_results(6)
        .next_token(&token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidNextTokenException");
    pause().await;
    let second = ct
        .lookup_events()
        .max_results(5)
        .next_token(&token)
        .send()
        .await
        .unwrap();
    assert_ne!(second.events()[0].event_id(), first.events()[0].event_id());
    // Newest first, and 90 days back from the service clock (pinned after the newest event).
    assert!(first.events()[0].event_time() >= second.events()[0].event_time());
    pause().await;
    let old = ct
        .lookup_events()
        .start_time(secs("2023-01-01T00:00:00Z"))
        .end_time(secs("2023-03-01T00:00:00Z"))
        .send()
        .await
        .unwrap();
    assert!(old.events().is_empty());

    // 2 requests/s: a burst of 6 without retries meets ThrottlingException (HTTP 400).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut throttled = 0;
    for _ in 0..6 {
        if let Err(e) = ct.lookup_events().max_results(1).send().await {
            assert_eq!(code(&e), "ThrottlingException");
            assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(400));
            throttled += 1;
        }
    }
    assert!(throttled >= 3, "only {throttled} of 6 throttled");
    // The SDK's standard retry classifies ThrottlingException and gets through.
    let patient = cloudtrail(svc.endpoint(), 10);
    for _ in 0..4 {
        patient
            .lookup_events()
            .max_results(1)
            .send()
            .await
            .expect("retried past throttling");
    }
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_are_survived_by_sdk_retries() {
    let svc = start_service(|c| {
        c.faults = trailwatch_local::FaultConfig {
            seed: 7,
            throttle: 0.15,
            server_error: 0.15,
            drop: 0.1,
            latency: Duration::from_millis(5),
            ..Default::default()
        };
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 10);
    let pages: Vec<_> = ct
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value("Decrypt")
                .build()
                .unwrap(),
        )
        .max_results(10)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await;
    let mut ids: Vec<String> = Vec::new();
    for p in pages {
        ids.extend(
            p.expect("page despite faults")
                .events()
                .iter()
                .map(|e| e.event_id().unwrap().to_string()),
        );
    }
    let expected = invictus_events()
        .iter()
        .filter(|e| field(e, "eventName") == "Decrypt")
        .count();
    assert_eq!(ids.len(), expected);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), expected);
    // Without retries the faults show: some calls fail.
    let fragile = cloudtrail(svc.endpoint(), 1);
    let mut failures = 0;
    for _ in 0..30 {
        if fragile.lookup_events().max_results(1).send().await.is_err() {
            failures += 1;
        }
    }
    assert!(failures > 0);
    svc.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_topics_publish_and_read_back() {
    let svc = start_service(|_| {}).await;
    let sns = sns(svc.endpoint());
    let topic = sns
        .create_topic()
        .name("alerts")
        .send()
        .await
        .unwrap()
        .topic_arn()
        .unwrap()
        .to_string();
    assert_eq!(topic, "arn:aws:sns:us-east-1:000000000000:alerts");
    let listed = sns.list_topics().send().await.unwrap();
    assert_eq!(listed.topics().len(), 1);
    let attr = aws_sdk_sns::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value("high")
        .build()
        .unwrap();
    let id = sns
        .publish()
        .topic_arn(&topic)
        .subject("hello")
        .message("{\"a\":1}")
        .message_attributes("severity", attr)
        .send()
        .await
        .unwrap();
    assert!(id.message_id().is_some());
    let entries: Vec<_> = (0..3)
        .map(|i| {
            aws_sdk_sns::types::PublishBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message(format!("m{i}"))
                .build()
                .unwrap()
        })
        .collect();
    let batch = sns
        .publish_batch()
        .topic_arn(&topic)
        .set_publish_batch_request_entries(Some(entries))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.successful().len(), 3);
    // SNS's limits are enforced, with SNS's error codes.
    let e = sns
        .publish()
        .topic_arn(&topic)
        .subject("line\nbreak")
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.as_service_error().and_then(|s| s.meta().code()),
        Some("InvalidParameter")
    );
    let e = sns
        .publish()
        .topic_arn(&topic)
        .message("x".repeat(262_145))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.as_service_error().and_then(|s| s.meta().code()),
        Some("InvalidParameter")
    );
    let e = sns
        .publish()
        .topic_arn(format!("{topic}-missing"))
        .message("x")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .is_some_and(aws_sdk_sns::operation::publish::PublishError::is_not_found_exception),
        "{e:?}"
    );
    let got = svc.published(Some(&topic));
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[0].attributes.get("severity"),
        Some(&("String".to_string(), "high".to_string()))
    );
    assert_eq!(
        got.iter()
            .skip(1)
            .map(|m| m.message.as_str())
            .collect::<Vec<_>>(),
        ["m0", "m1", "m2"]
    );
    // The HTTP read-back the CLI and the Python tests use.
    let body: Vec<HashMap<String, serde_json::Value>> =
        serde_json::from_str(&http_get(svc.endpoint(), "/_trailwatch/sns/messages").await).unwrap();
    assert_eq!(body.len(), 4);
    svc.shutdown().await;
}

async fn http_get(endpoint: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = endpoint.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    buf.split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_reports_bad_files_and_keeps_the_rest() {
    let dir = std::env::temp_dir().join(format!("tw-load-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let ev = &invictus_events()[0];
    std::fs::write(
        dir.join("good.json"),
        serde_json::json!({"Records": [ev]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("nested/lines.jsonl"),
        format!("{ev}\n{{\"broken\": \n"),
    )
    .unwrap();
    std::fs::write(dir.join("bad.json"), "{\"Records\": [1, 2,,]}").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut gz,
        serde_json::json!([ev, {"eventTime": "yesterday"}])
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    std::fs::write(dir.join("arr.json.gz"), gz.finish().unwrap()).unwrap();
    let svc = trailwatch_local::start(trailwatch_local::Config {
        data: vec![dir.clone()],
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap();
    let s = &svc.summary;
    assert_eq!(s.events, 3);
    let errors: Vec<String> = s
        .errors
        .iter()
        .map(std::string::ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("bad.json") && e.contains("line 1 column")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("lines.jsonl") && e.contains("line 2")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("arr.json.gz") && e.contains("record 1")),
        "{errors:?}"
    );
    let per_file: HashMap<String, usize> = s
        .sources
        .iter()
        .map(|r| {
            (
                r.path.file_name().unwrap().to_string_lossy().into_owned(),
                r.events,
            )
        })
        .collect();
    assert_eq!(per_file["good.json"], 1);
    assert_eq!(per_file["lines.jsonl"], 1);
    assert_eq!(per_file["arr.json.gz"], 1);
    assert_eq!(per_file["bad.json"], 0);
    svc.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trino_functions_lake_queries_use() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = &svc.summary.event_data_store;
    let sql = format!(
        "SELECT approx_distinct(eventName) AS names, \
         count_if(regexp_like(eventName, '^Describe')) AS describes, \
         max(cardinality(requestParameters)) AS widest, \
         date_diff('second', min(eventTime), max(eventTime)) AS span, \
         max(date_add('day', 1, eventTime)) AS next_day, \
         max(json_extract(eventjson, '$.tlsDetails.tlsVersion')) AS tls, \
         min(from_iso8601_timestamp('2023-07-10T12:00:00Z')) AS noon \
         FROM {store} WHERE eventTime >= '2023-07-10 00:00:00'"
    );
    let (status, rows, _) = run_query(&ct, &sql, 10).await;
    assert_eq!(status, "FINISHED");
    let row: std::collections::HashMap<String, String> = rows[0].iter().cloned().collect();
    let events = invictus_events();
    let names: std::collections::HashSet<&str> =
        events.iter().map(|e| field(e, "eventName")).collect();
    let approx: f64 = row["names"].parse().unwrap();
    assert!(
        (approx - names.len() as f64).abs() <= names.len() as f64 * 0.05,
        "{approx} vs {}",
        names.len()
    );
    assert_eq!(
        row["describes"],
        events
            .iter()
            .filter(|e| field(e, "eventName").starts_with("Describe"))
            .count()
            .to_string()
    );
    let widest = events
        .iter()
        .filter_map(|e| e["requestParameters"].as_object().map(serde_json::Map::len))
        .max()
        .unwrap();
    assert_eq!(row["widest"], widest.to_string());
    let times: Vec<chrono::DateTime<chrono::Utc>> = events
        .iter()
        .map(|e| field(e, "eventTime").parse().unwrap())
        .collect();
    let (lo, hi) = (times.iter().min().unwrap(), times.iter().max().unwrap());
    assert_eq!(row["span"], (*hi - *lo).num_seconds().to_string());
    assert_eq!(
        row["next_day"],
        (*hi + chrono::Duration::days(1))
            .format("%Y-%m-%d %H:%M:%S.000")
            .to_string()
    );
    assert_eq!(row["tls"], "\"TLSv1.3\"");
    // A timestamp with a time zone, its `Z` read as UTC.
    assert_eq!(row["noon"], "2023-07-10 12:00:00.000 UTC");
    svc.shutdown().await;
}

/// Runs `sql` on the service's Athena until it ends; returns the final GetQueryExecution.
async fn athena_run(
    svc: &trailwatch_local::Running,
    sql: &str,
) -> aws_sdk_athena::types::QueryExecution {
    let c = athena(svc.endpoint(), 1);
    let a = &svc.summary.athena;
    let id = c
        .start_query_execution()
        .query_string(sql)
        .work_group(&a.workgroup)
        .query_execution_context(
            aws_sdk_athena::types::QueryExecutionContext::builder()
                .database(&a.database)
                .build(),
        )
        .send()
        .await
        .expect("StartQueryExecution accepted")
        .query_execution_id()
        .expect("id")
        .to_string();
    for _ in 0..400 {
        let q = c
            .get_query_execution()
            .query_execution_id(&id)
            .send()
            .await
            .unwrap()
            .query_execution()
            .cloned()
            .unwrap();
        let state = q
            .status()
            .and_then(|s| s.state())
            .map(|s| s.as_str().to_string());
        if !matches!(state.as_deref(), Some("QUEUED" | "RUNNING")) {
            return q;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("Athena query never ended");
}

/// Partitions come from a trail's `AWSLogs/.../CloudTrail/REGION/YYYY/MM/DD/` path when the
/// file has one (else from the event), and `DataScannedInBytes` counts only the partitions a
/// query's partition predicates select.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn athena_partitions_come_from_trail_paths_and_bound_the_bytes_scanned() {
    let dir = std::env::temp_dir().join(format!("tw-awslogs-{}", std::process::id()));
    let day = dir.join("AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/2023/07/09");
    std::fs::create_dir_all(&day).unwrap();
    let src = std::fs::read_dir(invictus_dir().join("CloudTrail"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let text = std::fs::read_to_string(&src).unwrap();
    let records: serde_json::Value = serde_json::from_str(&text).unwrap();
    let in_file = records["Records"].as_array().unwrap().len();
    // Fresh ids so the copy does not collide with the original in LookupEvents.
    let copy: Vec<serde_json::Value> = records["Records"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r["eventID"] = serde_json::json!(format!("copy-{i}"));
            r
        })
        .collect();
    std::fs::write(
        day.join("111122223333_CloudTrail_eu-west-1_20230709T0000Z_x.json"),
        serde_json::json!({ "Records": copy }).to_string(),
    )
    .unwrap();
    let svc = start_service(|c| c.data.push(dir.clone())).await;
    let t = svc.summary.athena.table.clone();
    let q = athena_run(
        &svc,
        &format!("SELECT count(*) FROM {t} WHERE \"timestamp\" = '2023/07/09' AND account = '111122223333' AND region = 'eu-west-1'"),
    )
    .await;
    assert_eq!(q.status().unwrap().state().unwrap().as_str(), "SUCCEEDED");
    let one = q.statistics().unwrap().data_scanned_in_bytes().unwrap();
    let res = athena(svc.endpoint(), 1)
        .get_query_results()
        .query_execution_id(q.query_execution_id().unwrap())
        .send()
        .await
        .unwrap();
    let rows = res.result_set().unwrap().rows();
    assert_eq!(
        rows[1].data()[0].var_char_value(),
        Some(in_file.to_string().as_str())
    );
    let all = athena_run(&svc, &format!("SELECT count(*) FROM {t}")).await;
    let all_bytes = all.statistics().unwrap().data_scanned_in_bytes().unwrap();
    // The copied file's own text is what its partition holds.
    let copied_bytes: usize = copy.iter().map(|r| r.to_string().len()).sum();
    assert_eq!(usize::try_from(one).unwrap(), copied_bytes);
    assert!(one > 0 && one < all_bytes / 10, "{one} of {all_bytes}");
    let none = athena_run(
        &svc,
        &format!("SELECT count(*) FROM {t} WHERE \"timestamp\" = '2021/01/01'"),
    )
    .await;
    assert_eq!(none.statistics().unwrap().data_scanned_in_bytes(), Some(0));
    svc.shutdown().await;
    std::fs::remove_dir_all(dir).ok();
}

/// Starts `sql`, which must end FAILED with a message containing `why`; returns its id.
async fn fails_with(ct: &aws_sdk_cloudtrail::Client, sql: String, why: &str) -> String {
    let id = start_query(ct, sql).await;
    assert_eq!(wait_query(ct, &id).await, "FAILED");
    let d = ct.describe_query().query_id(&id).send().await.unwrap();
    assert!(
        d.error_message().unwrap_or_default().contains(why),
        "{:?}",
        d.error_message()
    );
    id
}

/// A query whose arithmetic overflows ends FAILED with a message and frees its slot: more such
/// queries than Lake's ten slots leave the service answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overflowing_query_fails_and_frees_its_slot() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    for _ in 0..12 {
        fails_with(
            &ct,
            format!("SELECT date_add('day', 9223372036854775807, eventTime) FROM {store} WHERE eventTime > '2023-01-01 00:00:00'"),
            "out of the timestamp range",
        )
        .await;
    }
    let id = start_query(&ct, format!("SELECT count(*) FROM {store}")).await;
    assert_eq!(wait_query(&ct, &id).await, "FINISHED");
    svc.shutdown().await;
}

/// Queries busy for seconds in one computation each (a `reduce` over a long array: no point at
/// which they yield), more of them than the service has threads, run on threads of their own:
/// the service keeps answering DescribeQuery and StartQuery (planned on threads apart from the
/// queries') meanwhile, and their answers are right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_queries_leave_the_service_answering() {
    let svc = start_service(|_| {}).await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let ids = futures_util::future::join_all((0..4).map(|_| {
        start_query(
            &ct,
            format!(
                "SELECT max(reduce(sequence(1, 3000), 0, (s, x) -> s + x * length(eventName), \
                 s -> s)) FROM {store}"
            ),
        )
    }))
    .await;
    let (mut worst, mut ended) = (Duration::ZERO, BTreeMap::new());
    let asked = std::time::Instant::now();
    let quick = start_query(&ct, format!("SELECT count(*) FROM {store}")).await;
    worst = worst.max(asked.elapsed());
    while ended.len() < ids.len() {
        for id in &ids {
            let asked = std::time::Instant::now();
            let d = ct.describe_query().query_id(id).send().await.unwrap();
            worst = worst.max(asked.elapsed());
            let status = d.query_status().unwrap().as_str().to_string();
            if !matches!(status.as_str(), "QUEUED" | "RUNNING") {
                ended.insert(id.clone(), status);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Each query holds a thread for seconds; on the service's own two, every request waited.
    assert!(worst < Duration::from_secs(2), "a request took {worst:?}");
    // The sum of x * length for x in 1..=3000, for the longest name.
    let longest = invictus_events()
        .iter()
        .filter_map(|e| e["eventName"].as_str())
        .map(str::len)
        .max()
        .unwrap();
    let want = (longest * 3000 * 3001 / 2).to_string();
    assert_eq!(wait_query(&ct, &quick).await, "FINISHED");
    for id in &ids {
        assert_eq!(ended[id], "FINISHED");
        let out = ct.get_query_results().query_id(id).send().await.unwrap();
        let row = &out.query_result_rows()[0];
        assert_eq!(
            row[0].values().next().map(String::as_str),
            Some(want.as_str())
        );
    }
    svc.shutdown().await;
}

/// A self cross join stops at the result cap with a clear error (FAILED), ended queries are
/// evicted past the kept number (QueryIdNotFound, as for an expired Lake query), and an SNS
/// request of 2 MB with thousands of attributes is refused at the eleventh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_queries_stop_at_the_cap_and_old_ones_are_evicted() {
    let svc = start_service(|c| {
        c.queries.max_result_rows = 10_000;
        c.queries.max_finished = 2;
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let id = fails_with(
        &ct,
        format!("SELECT a.eventID, b.eventID FROM {store} a CROSS JOIN {store} b"),
        "limit of 10000 rows",
    )
    .await;
    let mut ids = vec![id];
    for _ in 0..3 {
        let q = start_query(&ct, format!("SELECT count(*) FROM {store}")).await;
        assert_eq!(wait_query(&ct, &q).await, "FINISHED");
        ids.push(q);
    }
    // Four ended, two kept: the two oldest are gone.
    for (i, q) in ids.iter().enumerate() {
        let r = ct.get_query_results().query_id(q).send().await;
        if i < 2 {
            let e = r.unwrap_err();
            assert_eq!(code(&e), "QueryIdNotFoundException", "query {i}");
        } else {
            let out = r.unwrap_or_else(|e| panic!("query {i}: {e:?}"));
            assert_eq!(
                out.query_status()
                    .map(aws_sdk_cloudtrail::types::QueryStatus::as_str),
                Some("FINISHED"),
                "query {i}"
            );
        }
    }
    // Nearly 2 MB of attributes (the body limit): refused with SNS's own error at the 11th.
    let sns = sns(svc.endpoint());
    let topic = create_topic(&svc, "big").await;
    let mut req = sns.publish().topic_arn(&topic).message("m");
    for n in 0..9_000 {
        req = req.message_attributes(
            format!("a{n}"),
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value("x".repeat(80))
                .build()
                .unwrap(),
        );
    }
    let e = req.send().await.unwrap_err();
    let msg = format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(&e)
    );
    assert!(msg.contains("exceeds the limit of 10"), "{msg}");
    svc.shutdown().await;
}

/// Wide rows stop at the result's byte cap (FAILED, naming the limit), and ended queries are
/// evicted oldest first once their results together pass the kept bytes: which ones go is
/// recomputed from the sizes the results were read back at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn result_bytes_are_capped_and_evicted_by_size() {
    let svc = start_service(|c| {
        c.queries.max_result_bytes = 200_000;
        c.queries.max_finished_bytes = 150_000;
    })
    .await;
    let ct = cloudtrail(svc.endpoint(), 1);
    let store = svc.summary.event_data_store.clone();
    let capped = fails_with(
        &ct,
        format!("SELECT eventjson FROM {store}"),
        "limit of 200000 bytes",
    )
    .await;
    // Three results of roughly 60 KB, each read back (and measured) as soon as it finishes.
    let mut ended = vec![(capped, 0usize)];
    for k in 0..3 {
        let sql = format!(
            "SELECT eventjson FROM {store} ORDER BY eventid LIMIT 40 OFFSET {}",
            k * 40
        );
        let (status, rows, _) = run_query(&ct, &sql, 1000).await;
        assert_eq!(status, "FINISHED");
        let bytes: usize = rows.iter().flatten().map(|(_, v)| v.len()).sum();
        assert!(bytes > 40_000, "{bytes}");
        let listed = ct
            .list_queries()
            .event_data_store(&store)
            .send()
            .await
            .expect("list");
        let newest = listed
            .queries()
            .first()
            .and_then(|q| q.query_id())
            .unwrap_or_default();
        ended.push((newest.to_string(), bytes));
    }
    // Kept: the newest ones whose results fit in 150,000 bytes together.
    let mut kept = std::collections::BTreeSet::new();
    let mut total = 0;
    for (id, bytes) in ended.iter().rev() {
        if total + bytes > 150_000 {
            break;
        }
        total += bytes;
        kept.insert(id.clone());
    }
    assert!((1..=2).contains(&kept.len()), "{kept:?}");
    for (id, _) in &ended {
        let r = ct.get_query_results().query_id(id).send().await;
        match r {
            Ok(_) => assert!(kept.contains(id), "{id} was kept"),
            Err(e) => {
                assert!(!kept.contains(id), "{id} was evicted");
                assert_eq!(code(&e), "QueryIdNotFoundException");
            }
        }
    }
    svc.shutdown().await;
}
