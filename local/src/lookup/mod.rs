//! LookupEvents (event history) as AWS serves it: each region's events (the region the request
//! is signed for), one lookup attribute, newest first, 90 days back from the service clock,
//! NextToken bound to the parameters, the rate limit per account and region, and optionally
//! events that reach history late, as they do in AWS.

mod arrival;
mod rate;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::functions_nested::expr_fn::array_has;
use datafusion::logical_expr::{create_udf, ColumnarValue, Expr, ScalarUDF, Volatility};
use datafusion::prelude::{col, lit, SessionContext};
use serde_json::{json, Value};

pub use arrival::Arrival;
use rate::RateLimit;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::page_token;
use crate::request::page_size;
use crate::store::columns::{
    LOOKUP_ACCESS_KEY, LOOKUP_RESOURCE_NAMES, LOOKUP_RESOURCE_TYPES, LOOKUP_USERNAME,
};
use crate::store::{session_config, EventStore, StoreError};

const NINETY_DAYS_MS: i64 = 90 * 86_400_000;

/// The lookup attribute keys AWS accepts.
pub const ATTRIBUTE_KEYS: [&str; 8] = [
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
];

/// The event history: a query over the event store per request, newest first.
pub struct EventHistory {
    ctx: SessionContext,
    clock: Clock,
    limit: RateLimit,
    /// When each event becomes visible (its time plus its delay), if any arrive late.
    arrival: Option<ScalarUDF>,
}

/// Where a page continues: after this (time, event id) in newest-first order.
struct After {
    time_ms: i64,
    event_id: String,
}

/// `time:id`, the id in hex so that no character of it can be mistaken for a separator.
impl std::fmt::Display for After {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.time_ms)?;
        self.event_id.bytes().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl std::str::FromStr for After {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (t, hex) = s.split_once(':').ok_or(())?;
        if hex.len() % 2 != 0 {
            return Err(());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or(())?;
        Ok(Self {
            time_ms: t.parse().map_err(|_| ())?,
            event_id: String::from_utf8(bytes).map_err(|_| ())?,
        })
    }
}

fn time(ms: i64) -> Expr {
    lit(ScalarValue::TimestampMillisecond(Some(ms), None))
}

/// The UDF giving the millisecond an event (`eventid`, `eventtime`) reaches event history.
fn arrival_udf(arrival: &Arrival) -> Option<ScalarUDF> {
    if arrival.late_share <= 0.0 || arrival.max_delay.is_zero() {
        return None;
    }
    let arrival = arrival.clone();
    Some(create_udf(
        "trailwatch_visible_ms",
        vec![
            DataType::Utf8,
            DataType::Timestamp(TimeUnit::Millisecond, None),
        ],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let (Some(ids), Some(times)) = (arrays.first(), arrays.get(1)) else {
                return Err(DataFusionError::Internal("two arguments expected".into()));
            };
            let ids = cast(ids, &DataType::Utf8)?;
            let ids = ids.as_string::<i32>();
            let times = times.as_primitive::<TimestampMillisecondType>();
            let out: Int64Array = ids
                .iter()
                .zip(times.iter())
                .map(|(id, t)| Some(t?.saturating_add(arrival.delay_ms(id.unwrap_or_default()))))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    ))
}

/// The store column a lookup attribute matches, and how.
fn attribute_filter(key: &str, value: &str) -> Option<Expr> {
    let eq = |c: &str| Some(col(c).eq(lit(value.to_string())));
    match key {
        "EventId" => eq("eventid"),
        "EventName" => eq("eventname"),
        "ReadOnly" => eq("athena_readonly"),
        "Username" => eq(LOOKUP_USERNAME),
        "EventSource" => eq("eventsource"),
        "AccessKeyId" => eq(LOOKUP_ACCESS_KEY),
        "ResourceType" => Some(array_has(
            col(LOOKUP_RESOURCE_TYPES),
            lit(value.to_string()),
        )),
        "ResourceName" => Some(array_has(
            col(LOOKUP_RESOURCE_NAMES),
            lit(value.to_string()),
        )),
        _ => None,
    }
}

/// A text column of a result batch, as text (whatever string type the scan produced).
fn texts(b: &RecordBatch, name: &str) -> Result<Vec<Option<String>>, ApiError> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| ApiError::internal(format!("lookup result has no {name}")))?;
    let c = cast(c, &DataType::Utf8).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(c.as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A list-of-text column of a result batch, row by row.
fn text_lists(b: &RecordBatch, name: &str) -> Result<Vec<Vec<Option<String>>>, ApiError> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| ApiError::internal(format!("lookup result has no {name}")))?;
    let lists = c
        .as_list_opt::<i32>()
        .ok_or_else(|| ApiError::internal(format!("{name} is not a list")))?;
    (0..lists.len())
        .map(|i| {
            if lists.is_null(i) {
                return Ok(Vec::new());
            }
            let items = cast(&lists.value(i), &DataType::Utf8)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(items
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect())
        })
        .collect()
}

fn internal(e: DataFusionError) -> ApiError {
    ApiError::internal(e.strip_backtrace())
}

impl EventHistory {
    /// Serves lookups from the event store, limited to `rate` requests per second.
    pub fn new(
        store: &EventStore,
        clock: Clock,
        rate: f64,
        arrival: &Arrival,
    ) -> Result<Self, StoreError> {
        let ctx = SessionContext::new_with_config(session_config());
        ctx.register_table("events", store.table.clone())?;
        Ok(Self {
            ctx,
            clock,
            limit: RateLimit::new(rate),
            arrival: arrival_udf(arrival),
        })
    }

    /// LookupEvents in `region`.
    pub async fn lookup(&self, req: &Value, region: &str) -> Result<Value, ApiError> {
        if !self.limit.try_take(region) {
            return Err(ApiError::client("ThrottlingException", "Rate exceeded"));
        }
        let attrs = req
            .get("LookupAttributes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if attrs.len() > 1 {
            return Err(ApiError::client(
                "InvalidLookupAttributesException",
                "You cannot specify more than one lookup attribute.",
            ));
        }
        let filter = match attrs.first() {
            None => None,
            Some(a) => {
                let key = a
                    .get("AttributeKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let value = a
                    .get("AttributeValue")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                match attribute_filter(key, value) {
                    Some(f) if !value.is_empty() => Some((key.to_string(), value.to_string(), f)),
                    _ => {
                        return Err(ApiError::client(
                            "InvalidLookupAttributesException",
                            format!("Invalid lookup attribute {key:?}."),
                        ))
                    }
                }
            }
        };
        let max = page_size(req, "MaxResults", 50, 50).ok_or_else(|| {
            ApiError::client(
                "InvalidMaxResultsException",
                "MaxResults must be between 1 and 50.",
            )
        })?;
        if let Some(cat) = req.get("EventCategory").and_then(Value::as_str) {
            if cat != "insight" {
                return Err(ApiError::client(
                    "InvalidEventCategoryException",
                    "EventCategory must be insight.",
                ));
            }
            // No Insights events are loaded.
            return Ok(json!({"Events": []}));
        }
        let secs = |k: &str| {
            req.get(k)
                .and_then(Value::as_f64)
                .map(|s| (s * 1000.0) as i64)
        };
        let now = self.clock.now_ms();
        let (start, end) = (secs("StartTime"), secs("EndTime"));
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(ApiError::client(
                    "InvalidTimeRangeException",
                    "Start time must be earlier than end time.",
                ));
            }
        }
        let start = start
            .unwrap_or(i64::MIN)
            .max(now.saturating_sub(NINETY_DAYS_MS));
        let end = end.unwrap_or(now).min(now);
        // The token is only valid with the parameters that produced it.
        let mut h = DefaultHasher::new();
        (
            filter.as_ref().map(|(k, v, _)| (k, v)),
            secs("StartTime"),
            secs("EndTime"),
            max,
        )
            .hash(&mut h);
        let scope = format!("{:x}", h.finish());
        let after = match req.get("NextToken").and_then(Value::as_str) {
            None => None,
            Some(t) => Some(page_token::decode::<After>(t, &scope).ok_or_else(|| {
                ApiError::client(
                    "InvalidNextTokenException",
                    "A token that was passed is not valid for these parameters.",
                )
            })?),
        };
        let mut pred = col("awsregion")
            .eq(lit(region.to_string()))
            .and(col("eventtime").gt_eq(time(start)))
            .and(col("eventtime").lt_eq(time(end)));
        if let Some(udf) = &self.arrival {
            pred = pred.and(
                udf.call(vec![col("eventid"), col("eventtime")])
                    .lt_eq(lit(now)),
            );
        }
        if let Some(a) = &after {
            pred = pred.and(
                col("eventtime").lt(time(a.time_ms)).or(col("eventtime")
                    .eq(time(a.time_ms))
                    .and(col("eventid").gt(lit(a.event_id.clone())))),
            );
        }
        if let Some((_, _, f)) = filter {
            pred = pred.and(f);
        }
        let batches = self
            .ctx
            .table("events")
            .await
            .and_then(|df| df.filter(pred))
            .and_then(|df| {
                df.sort(vec![
                    col("eventtime").sort(false, false),
                    col("eventid").sort(true, false),
                ])
            })
            .and_then(|df| df.limit(0, Some(max.saturating_add(1))))
            .and_then(|df| {
                df.select_columns(&[
                    "eventid",
                    "eventname",
                    "eventtime",
                    "eventsource",
                    "athena_readonly",
                    LOOKUP_USERNAME,
                    LOOKUP_ACCESS_KEY,
                    LOOKUP_RESOURCE_TYPES,
                    LOOKUP_RESOURCE_NAMES,
                    "eventjson",
                ])
            })
            .map_err(internal)?
            .collect()
            .await
            .map_err(internal)?;
        let mut events = Vec::new();
        let mut last = None;
        for b in &batches {
            let times = cast(
                b.column(2),
                &DataType::Timestamp(TimeUnit::Millisecond, None),
            )
            .map_err(|e| ApiError::internal(e.to_string()))?;
            let times = times.as_primitive::<TimestampMillisecondType>();
            let ids = texts(b, "eventid")?;
            let names = texts(b, "eventname")?;
            let sources = texts(b, "eventsource")?;
            let read_only = texts(b, "athena_readonly")?;
            let users = texts(b, LOOKUP_USERNAME)?;
            let keys = texts(b, LOOKUP_ACCESS_KEY)?;
            let types = text_lists(b, LOOKUP_RESOURCE_TYPES)?;
            let names_of = text_lists(b, LOOKUP_RESOURCE_NAMES)?;
            let json_text = texts(b, "eventjson")?;
            for i in 0..b.num_rows() {
                if events.len() == max {
                    break;
                }
                let time_ms = times.value(i);
                let id = ids[i].clone().unwrap_or_default();
                // The same event in two files (an organization trail and an account trail, a
                // file and its .gz copy) is one event in event history.
                if last
                    .as_ref()
                    .is_some_and(|l: &After| l.time_ms == time_ms && l.event_id == id)
                {
                    continue;
                }
                let resources: Vec<Value> = types[i]
                    .iter()
                    .zip(names_of[i].iter())
                    .map(|(t, n)| json!({"ResourceType": t, "ResourceName": n}))
                    .collect();
                let mut v = json!({
                    "EventId": id,
                    "EventName": names[i].as_deref().unwrap_or_default(),
                    "EventTime": time_ms as f64 / 1000.0,
                    "EventSource": sources[i].as_deref().unwrap_or_default(),
                    "Resources": resources,
                    "CloudTrailEvent": json_text[i],
                });
                for (k, val) in [
                    ("ReadOnly", &read_only[i]),
                    ("Username", &users[i]),
                    ("AccessKeyId", &keys[i]),
                ] {
                    if let Some(x) = val {
                        v[k] = json!(x);
                    }
                }
                events.push(v);
                last = Some(After {
                    time_ms,
                    event_id: id,
                });
            }
        }
        let more = batches.iter().map(RecordBatch::num_rows).sum::<usize>() > max;
        let mut out = json!({ "Events": events });
        if let (true, Some(last)) = (more, last) {
            out["NextToken"] = json!(page_token::encode(&scope, last));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_positions_round_trip_whatever_the_id_holds() {
        for id in ["e4bad408-6272-4892-bf47-bd41b435ce40", "a|b:c", "", "é|:"] {
            let after = After {
                time_ms: -5,
                event_id: id.to_string(),
            };
            let token = page_token::encode("scope|x", &after);
            let back: After = page_token::decode(&token, "scope|x").unwrap();
            assert_eq!((back.time_ms, back.event_id.as_str()), (-5, id));
        }
        assert!("1:4".parse::<After>().is_err());
        assert!("1:zz".parse::<After>().is_err());
    }
}
