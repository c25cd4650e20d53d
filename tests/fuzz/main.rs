//! A budgeted mutational fuzzer for the local service's input surfaces: the trail-log loader,
//! the Lake SQL rewrite, Lake's request handlers (queries planned and run to the end) and
//! SNS's form handler. Inputs are seeds (real trail logs, the bundled checks, SNS requests,
//! the files in `tests/fuzz/corpus/<target>/`) changed by random byte edits, dictionary tokens
//! and splices. Any panic, on any thread (query tasks included), is a finding: its input is
//! saved as `tests/fuzz/corpus/<target>/crash-<hash>` so it becomes a regression seed.
//!
//! `trailwatch-fuzz --seconds 0` replays the seeds and corpora only (what CI runs);
//! `scripts/fuzz` runs every target for ten minutes.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use trailwatch_local::{Config, QueryTiming, Running};

/// Panics seen so far (by the hook, on every thread) and the last one's message.
static PANICS: AtomicU64 = AtomicU64::new(0);
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

const TARGETS: [&str; 4] = ["loader", "sql", "lake", "sns"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus_dir(target: &str) -> PathBuf {
    repo().join("tests/fuzz/corpus").join(target)
}

/// Tokens the mutator inserts: fragments that reach deeper than random bytes do.
fn dictionary(target: &str) -> &'static [&'static str] {
    match target {
        "loader" => &[
            "{",
            "}",
            "[",
            "]",
            "\"Records\":",
            "\"eventTime\":",
            "\"eventID\":",
            "\"1970-01-01T00:00:00Z\"",
            "\"9999-12-31T23:59:59Z\"",
            "\"+275760-09-13T00:00:00Z\"",
            "null",
            "true",
            "1e999",
            "-0",
            "\"resources\":[",
            "\"userIdentity\":{",
            "\"requestParameters\":",
            "\\u0000",
            "\\ud800",
            "\n",
        ],
        "sns" => &[
            "&",
            "=",
            "%",
            "%ZZ",
            "%00",
            "Action=Publish",
            "Action=PublishBatch",
            "Action=CreateTopic",
            "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz",
            "Message=",
            "PublishBatchRequestEntries.member.1.",
            "Id=a",
            "MessageAttributes.entry.1.Name=x",
            "MessageAttributes.entry.1.Value.DataType=String",
            "MessageAttributes.entry.1.Value.StringValue=",
            ".member.99999999999999999999.",
            "Subject=",
            "MessageGroupId=g",
            "Name=fuzz",
        ],
        _ => &[
            " SELECT ",
            " FROM ",
            " WHERE ",
            " GROUP BY ",
            " ORDER BY ",
            " LIMIT ",
            " UNION ALL ",
            " JOIN ",
            "(",
            ")",
            ",",
            "'",
            "\"",
            "9223372036854775807",
            "-9223372036854775808",
            "1e308",
            "0",
            "date_add('day', ",
            "date_diff('second', ",
            "element_at(",
            "substr(",
            "regexp_replace(",
            "regexp_extract(",
            "format_datetime(",
            "date_format(",
            "from_unixtime(",
            "to_unixtime(",
            "json_extract(",
            "split(",
            "url_decode(",
            "mod(",
            "if(",
            "CAST(",
            "transform(resources, r -> r.arn)",
            "all_match(",
            "none_match(",
            " x -> ",
            " CROSS JOIN UNNEST(resources) AS t(r)",
            " WITH ORDINALITY AS t(x, n)",
            "zip_with(",
            "reduce(",
            "transform_keys(requestparameters, (k, v) -> ",
            "transform_values(",
            "map_filter(",
            "(s, x) -> s + x",
            "try(",
            "map_concat(",
            "map_from_entries(ARRAY[ROW('a', 1)])",
            "multimap_from_entries(",
            "map_zip_with(",
            "(k, v1, v2) -> ",
            "array_sort(split(eventname, 'e'), (x, y) -> ",
            "regexp_replace(eventname, '(A)', g -> g[1])",
            "combinations(",
            "ngrams(",
            "zip(",
            "histogram(",
            "approx_most_frequent(3, ",
            "map_agg(",
            "multimap_agg(",
            "set_agg(",
            "sequence(date(eventtime), ",
            " INTERVAL '1' MONTH",
            "parse_duration(",
            "to_milliseconds(",
            "human_readable_seconds(",
            "cardinality(",
            "repeat(",
            "at_timezone(eventtime, 'America/New_York')",
            "with_timezone(",
            " AT TIME ZONE 'Asia/Kolkata'",
            "timezone_hour(",
            "soundex(",
            "word_stem(eventname, 'hy')",
            "luhn_check(",
            "checksum(",
            "numeric_histogram(2, length(eventname), ",
            "reduce_agg(length(eventname), 0, (s, x) -> s + x, (a, b) -> a + b)",
            "range(",
            "json_query(eventjson, 'lax $.userIdentity')",
            "json_value(eventjson, 'strict $.resources[last].ARN' ",
            "json_exists(eventjson, 'lax $?(@.eventName starts with $p)' PASSING 'Get' AS \"p\" ",
            "json_query(eventjson, 'lax $..accountId' WITH CONDITIONAL ARRAY WRAPPER ",
            "'lax $.a[*]?(@ > 1 && exists(@.b) || !(@.c == null)).keyvalue()'",
            "'strict $[0 to last, 2].size() * -1.5e0 % 2'",
            " DEFAULT 'x' ON EMPTY",
            " ERROR ON ERROR",
            " EMPTY ARRAY ON EMPTY",
            " OMIT QUOTES",
            " RETURNING bigint",
            " FORMAT JSON",
            " ENCODING UTF16",
            "json_object(",
            "json_array(",
            " KEY 'k' VALUE ",
            "'k' : ",
            " ABSENT ON NULL",
            " WITH UNIQUE KEYS",
            " RETURNING varbinary FORMAT JSON ENCODING UTF32",
            "split_to_map(",
            "array_histogram(",
            "listagg(eventname, ',') WITHIN GROUP (ORDER BY eventname)",
            "skewness(",
            "map_union(",
            "to_char(eventtime, 'yyyy-mm-dd hh24:mi')",
            " CROSS JOIN UNNEST(split(eventname, 'e')) AS t(eventname)",
            "normalize(eventname, NFKD)",
            ", UNNEST(",
            "from_hex(",
            "to_utf8(",
            "md5(",
            " AS varchar)",
            " AS bigint)",
            "eventtime",
            "eventjson",
            "useridentity.arn",
            "requestparameters",
            "resources[1].arn",
            "now()",
            "interval '1' day",
            "'%Y-%m-%d'",
            "'yyyy-MM-dd HH:mm:ss'",
            "'.*'",
            "'(a|b)*'",
            "count(*)",
            "min_by(",
            "approx_percentile(",
            "format('%s %d %.2f %,d %x %e %g %-5s %2$s %<s %n %%', ",
            "format('%0",
            "'%#.0e'",
            "typeof(",
            "bitwise_left_shift(",
            "bitwise_right_shift_arithmetic(TINYINT '-8', ",
            "bit_count(",
            "width_bucket(",
            "ARRAY[0.5, 1.5, infinity()]",
            "from_base(",
            "to_base(",
            "cosine_similarity(map(ARRAY['a'], ARRAY[1e0]), ",
            "great_circle_distance(",
            "inverse_beta_cdf(",
            "t_pdf(",
            "wilson_interval_lower(",
            "from_base32(",
            "from_base64url(",
            "hmac_sha256(to_utf8(eventname), ",
            "murmur3(",
            "from_big_endian_64(",
            "from_ieee754_32(",
            "parse_data_size('2.3MB')",
            "9223372036854775807",
            "0.1",
            "1e3",
            "99999999999999999999.5",
            "1.0 / 3.0",
            " / 0.7",
            "avg(length(eventname) * 0.01)",
            "round(2.345, 2)",
            "truncate(",
            "sign(",
            "CASE WHEN readonly THEN 1 ELSE 0.5 END",
            " UNION ALL SELECT 2e0",
            "{store}",
        ],
    }
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    match target {
        "loader" => {
            let dir = repo().join("events/cloudtrail/invictus-ir/CloudTrail");
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            files.sort();
            // Small files: the mutator's edits land everywhere, not in one giant record.
            files.retain(|f| std::fs::metadata(f).is_ok_and(|m| m.len() < 20_000));
            out.extend(files.iter().take(6).filter_map(|f| std::fs::read(f).ok()));
        }
        "sns" => {
            out.extend(
                [
                    "Action=CreateTopic&Name=fuzz",
                    "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz&Message=hi&Subject=s",
                    "Action=PublishBatch&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=%7B%7D&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType=String&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=v",
                ]
                .map(|s| s.as_bytes().to_vec()),
            );
        }
        _ => {
            let mut checks: Vec<PathBuf> = std::fs::read_dir(repo().join("checks"))
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            checks.sort();
            for c in checks {
                if let Ok(sql) = std::fs::read_to_string(&c) {
                    let sql = sql
                        .replace("{window_start}", "'2023-07-10 00:00:00'")
                        .replace("{window_end}", "'2023-07-11 00:00:00'")
                        .replace("{event_data_store}", "{store}");
                    out.push(sql.into_bytes());
                }
            }
            out.push(
                b"SELECT date_add('day', 3, eventtime), day_of_week(eventtime), element_at(resources, 1).arn, \
                  regexp_extract(useragent, '([a-z]+)/', 1), json_extract_scalar(eventjson, '$.eventName') FROM {store} LIMIT 5"
                    .to_vec(),
            );
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    out.extend(files.iter().filter_map(|f| std::fs::read(f).ok()));
    out
}

/// One random edit of `input`.
fn mutate(rng: &mut SmallRng, input: &mut Vec<u8>, dict: &[&str], others: &[Vec<u8>]) {
    let len = input.len();
    let at = if len == 0 { 0 } else { rng.gen_range(0..=len) };
    match rng.gen_range(0..6) {
        0 if len > 0 => {
            let i = rng.gen_range(0..len);
            input[i] ^= 1 << rng.gen_range(0..8);
        }
        1 => input.insert(at, rng.gen()),
        2 if len > 0 => {
            let end = (at + rng.gen_range(1..=16)).min(len);
            input.drain(at.min(end)..end);
        }
        3 if len > 0 => {
            let start = rng.gen_range(0..len);
            let end = (start + rng.gen_range(1..=64)).min(len);
            let piece = input[start..end].to_vec();
            input.splice(at..at, piece);
        }
        4 if !others.is_empty() => {
            let other = &others[rng.gen_range(0..others.len())];
            if !other.is_empty() {
                let start = rng.gen_range(0..other.len());
                let end = (start + rng.gen_range(1..=256)).min(other.len());
                input.splice(at..at, other[start..end].iter().copied());
            }
        }
        _ => {
            let token = dict[rng.gen_range(0..dict.len())];
            input.splice(at..at, token.bytes());
        }
    }
}

/// Everything a target needs between inputs.
struct Harness {
    rt: tokio::runtime::Runtime,
    service: Running,
    sns: trailwatch_local::sns::Sns,
}

impl Harness {
    fn new() -> anyhow::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let data = repo().join("events/cloudtrail/invictus-ir");
        let service = rt.block_on(trailwatch_local::start(Config {
            data: vec![data],
            addr: "127.0.0.1:0".parse()?,
            queries: QueryTiming {
                queued: Duration::ZERO,
                running: Duration::ZERO,
                run_limit: Duration::from_secs(10),
                ..QueryTiming::default()
            },
            lookup_rate: 0.0,
            ..Config::default()
        }))?;
        let sns = trailwatch_local::sns::Sns::new("us-east-1", "000000000000");
        Ok(Self { rt, service, sns })
    }

    /// Runs one input through `target`.
    fn run(&self, target: &str, input: &[u8]) {
        match target {
            "loader" => {
                let text = String::from_utf8_lossy(input);
                let path =
                    Path::new("AWSLogs/123456789012/CloudTrail/us-east-1/2023/07/10/fuzz.json");
                let _ = trailwatch_local::store::parse_text(path, &text);
            }
            "sql" => {
                let sql = String::from_utf8_lossy(input).replace("{store}", "fuzzstore");
                let quoted = trailwatch_local::sql::quote_store_ids(&sql, &["fuzz-store"]);
                let columns =
                    trailwatch_local::table::column_names(&trailwatch_local::table::lake_schema());
                let _ = trailwatch_local::sql::prepare(&quoted, &columns);
            }
            "sns" => {
                let form = trailwatch_local::sns::parse_form(input);
                let _ = self.sns.handle(&form, 0);
            }
            _ => {
                let store = self.service.summary.event_data_store.clone();
                let sql = String::from_utf8_lossy(input).replace("{store}", &store);
                let lake = Arc::clone(&self.service.shared.lake);
                self.rt.block_on(async move {
                    let Ok(started) = lake.start_query(&json!({ "QueryStatement": sql })).await
                    else {
                        return;
                    };
                    let id = started["QueryId"].clone();
                    for _ in 0..2000 {
                        let Ok(d) = lake.describe_query(&json!({ "QueryId": id })) else {
                            return;
                        };
                        if !matches!(d["QueryStatus"].as_str(), Some("QUEUED" | "RUNNING")) {
                            let _ = lake.get_query_results(&json!({ "QueryId": id }));
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    // Still running at the end: cancel it so the next input has a slot.
                    let _ = lake.cancel_query(&json!({ "QueryId": id }));
                });
            }
        }
    }
}

fn save_crash(target: &str, input: &[u8]) -> PathBuf {
    let mut h = DefaultHasher::new();
    input.hash(&mut h);
    let dir = corpus_dir(target);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("crash-{:016x}", h.finish()));
    let _ = std::fs::write(&path, input);
    path
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut only, mut seconds, mut seed) = (None, 600u64, 1u64);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--target" => only = args.next(),
            "--seconds" => seconds = args.next().unwrap_or_default().parse()?,
            "--seed" => seed = args.next().unwrap_or_default().parse()?,
            other => anyhow::bail!("unknown argument {other} (--target T --seconds N --seed S)"),
        }
    }
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = info.to_string();
        }
    }));
    let harness = Harness::new()?;
    let mut found = 0u64;
    for target in TARGETS
        .iter()
        .filter(|t| only.as_deref().is_none_or(|o| o == **t))
    {
        let corpus = seeds(target);
        let dict = dictionary(target);
        let mut rng = SmallRng::seed_from_u64(seed);
        let (mut execs, mut crashes) = (0u64, 0u64);
        let mut check = |input: &[u8], harness: &Harness| {
            let before = PANICS.load(Ordering::SeqCst);
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| harness.run(target, input)));
            execs += 1;
            if PANICS.load(Ordering::SeqCst) != before {
                crashes += 1;
                let path = save_crash(target, input);
                let msg = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
                eprintln!(
                    "[fuzz] {target}: panic ({msg}); input saved as {}",
                    path.display()
                );
            }
        };
        // The seeds and corpus first: a replay is what CI runs.
        for input in &corpus {
            check(input, &harness);
        }
        let end = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < end && !corpus.is_empty() {
            let mut input = corpus[rng.gen_range(0..corpus.len())].clone();
            for _ in 0..rng.gen_range(1..=4) {
                mutate(&mut rng, &mut input, dict, &corpus);
            }
            check(&input, &harness);
        }
        println!(
            "{}",
            json!({"target": target, "seconds": seconds, "inputs": execs, "corpus": corpus.len(), "panics": crashes})
        );
        found += crashes;
    }
    harness.rt.block_on(harness.service.shutdown());
    if found > 0 {
        anyhow::bail!("{found} inputs panicked (saved under tests/fuzz/corpus/)");
    }
    Ok(())
}
