//! collect-results: reads a finished query page by page, turns rows into alerts as it goes
//! (never holding the whole result), and hands back a continuation when its time runs short.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tokio_util::task::AbortOnDropHandle;

use super::poll::PollState;
use super::{Deps, QueryRef};
use crate::alert::deliver::{Cutoff, Delivered, Delivery};
use crate::alert::{Alert, AlertSink, EventSummary, Origin, Raiser};
use crate::engine::{QueryStatus, Row};
use crate::error::{Error, Result};
use crate::ledger::Ledger;

/// Time kept in reserve: one page fetch and publish must fit in it.
pub const RESERVE: Duration = Duration::from_secs(10);
/// Publishing a page (after its claims) must start with this much time left, or the page is
/// handed back for the next invocation: one cut off between publishing and recording would
/// publish the page again.
pub const PUBLISH_RESERVE: Duration = Duration::from_secs(5);

/// collect-results' input: the query, its final poll (statistics), and the previous
/// invocation's progress, if any.
#[derive(Debug, Clone, Deserialize)]
pub struct CollectInput {
    pub query: QueryRef,
    #[serde(default)]
    pub poll: Option<PollState>,
    #[serde(default)]
    pub collect: Option<CollectState>,
}

/// Progress and the summary the state machine keeps (never the rows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectState {
    /// All pages read.
    pub done: bool,
    /// Where the next invocation continues.
    pub next_token: Option<String>,
    pub rows: u64,
    pub pages: u64,
    pub alerts_sent: u64,
    pub notifications: u64,
    pub bytes_scanned: i64,
    pub estimated_cost_usd: f64,
    pub invocations: u64,
}

impl CollectState {
    /// A collection not yet begun, with the bytes scanned its final poll reported.
    pub fn starting(poll: Option<&PollState>) -> Self {
        Self {
            bytes_scanned: poll.map_or(0, |p| p.bytes_scanned),
            ..Self::default()
        }
    }
}

/// A result row as the alert's event fields, by the checks' column names.
pub fn finding(row: &Row) -> EventSummary {
    // One pass over the row (a collect runs this on every result row); a column named twice
    // (in any case) gives its first value.
    const NAMES: [&str; 9] = [
        "event_id",
        "event_time",
        "event_name",
        "event_source",
        "principal",
        "principal_type",
        "source_ip",
        "region",
        "account",
    ];
    let mut found: [Option<&str>; 9] = [None; 9];
    for (k, v) in row {
        if let Some(i) = NAMES.iter().position(|n| k.eq_ignore_ascii_case(n)) {
            found[i].get_or_insert(v.as_str());
        }
    }
    let [event_id, event_time, event_name, event_source, principal, principal_type, source_ip, region, account] =
        found.map(Option::unwrap_or_default);
    let mut e = EventSummary {
        event_id: event_id.to_string(),
        event_time: crate::window::normalize_event_time(event_time),
        event_name: event_name.to_string(),
        event_source: event_source.to_string(),
        principal: principal.to_string(),
        principal_type: principal_type.to_string(),
        source_ip: source_ip.to_string(),
        region: region.to_string(),
        account: account.to_string(),
    };
    if e.event_id.is_empty() {
        // Ad-hoc SQL may not select an event id; the row itself identifies the finding.
        let text: Vec<String> = row.iter().map(|(k, v)| format!("{k}={v}")).collect();
        e.event_id = crate::alert::alert_id("row", &text.join("\u{1f}"));
    }
    e
}

/// Reads pages from where `st` left off until done or until less than [`RESERVE`] is left before
/// `deadline`, handing each page's index (0-based) and rows to `on_page` (which returns what
/// it delivered) and updating `st`. A page whose alerts were deferred (too little time left to
/// publish them) is left for the continuation. Rows are never accumulated here.
pub async fn pages(
    deps: &Deps,
    q: &QueryRef,
    st: &mut CollectState,
    deadline: SystemTime,
    mut on_page: impl AsyncFnMut(u64, &[Row]) -> Result<Delivered>,
) -> Result<()> {
    if st.done {
        return Ok(());
    }
    if st.pages == 0 {
        // Athena's result pages carry no status or statistics: make sure there is something to
        // collect, and take the bytes scanned for the summary, once.
        let d = deps.engine.describe(&q.query_id).await?;
        if d.status != QueryStatus::Finished {
            return Err(Error::InvalidInput(format!(
                "query {} is {}, not FINISHED: nothing to collect",
                q.query_id, d.status
            )));
        }
        if st.bytes_scanned == 0 {
            st.bytes_scanned = d.bytes_scanned;
        }
    }
    st.invocations += 1;
    // Each page is read on a task of its own: receiving and decoding a thousand rows is CPU
    // work, which then runs on another worker thread while this one turns the page before into
    // alerts. Dropping the handle (time short, an error) aborts the read.
    let fetch = |token: Option<String>| {
        let engine = Arc::clone(&deps.engine);
        let (id, size) = (q.query_id.clone(), deps.config.page_size);
        let task = AbortOnDropHandle::new(tokio::spawn(async move {
            engine.page(&id, token.as_deref(), size).await
        }));
        async move {
            match task.await {
                Ok(page) => page,
                // A panic stays a panic, as it was when the page was read on this task: a bug
                // must not be retried as if it were an outage.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(Error::Transient(format!("reading a result page: {e}"))),
            }
        }
    };
    let mut page = fetch(st.next_token.clone()).await?;
    loop {
        match page.status {
            Some(QueryStatus::Finished) | None => {}
            Some(other) => {
                return Err(Error::InvalidInput(format!(
                    "query {} is {other}, not FINISHED: nothing to collect",
                    q.query_id
                )))
            }
        }
        // The next page is read while this one's alerts go out; it is dropped unused when the
        // time runs short (the continuation reads it again).
        let (sent, next) = match page.next_token.clone() {
            Some(token) => {
                let (sent, next) = tokio::join!(on_page(st.pages, &page.rows), fetch(Some(token)));
                (sent?, Some(next))
            }
            None => (on_page(st.pages, &page.rows).await?, None),
        };
        st.alerts_sent += sent.alerts;
        st.notifications += sent.notifications;
        if sent.deferred > 0 {
            // The page is read again by the continuation; what of it went out is skipped then.
            tracing::info!(
                page = st.pages,
                deferred = sent.deferred,
                "time short before publishing: handing back a continuation"
            );
            return Ok(());
        }
        st.rows += page.rows.len() as u64;
        st.pages += 1;
        if let Some(b) = page.bytes_scanned {
            st.bytes_scanned = b;
        }
        st.estimated_cost_usd = q.engine.cost_usd(st.bytes_scanned);
        st.next_token = page.next_token;
        let Some(next) = next else {
            st.done = true;
            return Ok(());
        };
        let left = deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if left < RESERVE {
            tracing::info!(
                rows = st.rows,
                pages = st.pages,
                "time short: handing back a continuation"
            );
            return Ok(());
        }
        page = next?;
    }
}

/// The alerts for one page of a check's rows.
pub fn alerts_for(q: &QueryRef, rows: &[Row]) -> Vec<Alert> {
    let by = Raiser {
        origin: Origin::Check,
        id: &q.check_id,
        title: &q.title,
        severity: q.severity,
        author: None,
        tags: &[],
    };
    rows.iter().map(|r| Alert::new(&by, finding(r))).collect()
}

/// Publishes one page's findings unless `cutoff` has passed. One ledger key per alert (rule +
/// event): a retried invocation, a re-run or an overlapping window publishes a finding once;
/// the query is the owner, so a retry of this collection takes over the claims it left.
pub async fn publish_page(
    sink: &dyn AlertSink,
    ledger: Option<&dyn Ledger>,
    cutoff: Cutoff,
    q: &QueryRef,
    index: u64,
    rows: &[Row],
) -> Result<Delivered> {
    let delivery = Delivery {
        sink,
        ledger,
        owner: &q.query_id,
        cutoff,
    };
    let d = delivery.send(&alerts_for(q, rows)).await?;
    if d.skipped > 0 {
        tracing::info!(
            page = index,
            skipped = d.skipped,
            "findings already delivered"
        );
    }
    Ok(d)
}

/// collect-results: collects, publishing each page's findings as alerts.
pub async fn handle(
    deps: &Deps,
    input: CollectInput,
    deadline: SystemTime,
) -> Result<CollectState> {
    let q = &input.query;
    let mut st = input
        .collect
        .unwrap_or_else(|| CollectState::starting(input.poll.as_ref()));
    if st.done {
        return Ok(st);
    }
    let sink = deps
        .alerts
        .as_ref()
        .ok_or_else(|| Error::Config("TRAILWATCH_ALERT_TOPIC_ARN is not set".into()))?;
    pages(
        deps,
        q,
        &mut st,
        deadline,
        async |index: u64, rows: &[Row]| {
            let cutoff = Cutoff::new(Some(deadline), PUBLISH_RESERVE);
            publish_page(
                sink.as_ref(),
                deps.ledger.as_deref(),
                cutoff,
                q,
                index,
                rows,
            )
            .await
        },
    )
    .await?;
    tracing::info!(
        rows = st.rows,
        pages = st.pages,
        alerts = st.alerts_sent,
        done = st.done,
        "collected"
    );
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rows_decode_by_column_name_in_any_case_and_order() {
        let e = finding(&row(&[
            ("SOURCE_IP", "10.0.0.1"),
            ("event_id", "e-1"),
            ("Principal", "arn:aws:iam::1:user/a"),
            ("region", "eu-west-1"),
        ]));
        assert_eq!(
            (
                e.event_id.as_str(),
                e.source_ip.as_str(),
                e.principal.as_str(),
                e.region.as_str()
            ),
            ("e-1", "10.0.0.1", "arn:aws:iam::1:user/a", "eu-west-1")
        );
        assert_eq!(e.event_name, "");
    }

    #[test]
    fn rows_without_an_event_id_get_a_stable_one() {
        let a = finding(&row(&[("eventname", "X"), ("n", "3")]));
        let b = finding(&row(&[("eventname", "X"), ("n", "3")]));
        let c = finding(&row(&[("eventname", "X"), ("n", "4")]));
        assert_eq!(a.event_id, b.event_id);
        assert_ne!(a.event_id, c.event_id);
        assert_eq!(a.event_id.len(), 32);
    }
}
