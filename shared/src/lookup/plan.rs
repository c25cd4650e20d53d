//! The fewest LookupEvents calls that see every event the rules can match: one call sequence per
//! eventName/eventSource value the rules require, or one unfiltered scan of the window when a
//! rule can match any event or when the scan is estimated to need fewer requests.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Attribute;
use crate::rules::{Key, Needs, RuleSet};

/// How a window is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Plan {
    /// Every event of the window, unfiltered.
    Scan,
    /// One paginated call sequence per attribute value.
    Lookups(Vec<(Attribute, String)>),
}

/// The LookupEvents attribute that selects the events of `key`, if there is one.
fn attribute(key: &Key) -> Option<(Attribute, String)> {
    match key {
        Key::EventName(v) => Some((Attribute::EventName, v.clone())),
        Key::EventSource(v) => Some((Attribute::EventSource, v.clone())),
        Key::ErrorCode(_) | Key::IdentityType(_) | Key::Present(_) => None,
    }
}

/// The keys every rule needs, or None when some rule can match any event (or needs a key
/// LookupEvents cannot select by).
pub fn keys_needed(rules: &RuleSet) -> Option<BTreeSet<Key>> {
    let mut keys = BTreeSet::new();
    for r in rules.rules() {
        match &r.needs {
            Needs::OneOf(k) if k.iter().all(|k| attribute(k).is_some()) => {
                keys.extend(k.iter().cloned());
            }
            _ => return None,
        }
    }
    Some(keys)
}

/// Chooses a plan; `scan_pages` is the estimated number of pages of an unfiltered scan.
pub fn choose(keys: Option<&BTreeSet<Key>>, scan_pages: u64) -> Plan {
    match keys {
        Some(k) if (k.len() as u64) < scan_pages => {
            match k.iter().map(attribute).collect::<Option<Vec<_>>>() {
                Some(lookups) => Plan::Lookups(lookups),
                None => Plan::Scan,
            }
        }
        _ => Plan::Scan,
    }
}

/// Requests a naive plan makes at the least: one call sequence per rule and value (a scan for a
/// rule that can match anything), one page each.
pub fn naive_calls(rules: &RuleSet) -> u64 {
    rules
        .rules()
        .iter()
        .map(|r| match &r.needs {
            Needs::Any => 1,
            Needs::OneOf(k) => k.len() as u64,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtered_calls_only_when_fewer() {
        let keys: BTreeSet<Key> = [Key::EventName("A".into()), Key::EventSource("s".into())].into();
        assert_eq!(
            choose(Some(&keys), 10),
            Plan::Lookups(vec![
                (Attribute::EventName, "A".into()),
                (Attribute::EventSource, "s".into())
            ])
        );
        assert_eq!(choose(Some(&keys), 2), Plan::Scan);
        assert_eq!(choose(None, 1000), Plan::Scan);
    }
}
