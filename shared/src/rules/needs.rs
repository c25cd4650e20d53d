//! What a rule needs of an event before it can match: the literal `eventName` or `eventSource`
//! values its detection requires. The rule index and the LookupEvents planner use it; matching
//! itself is sigma-rust's.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value;

/// A lookup key: which attribute, and its value as the rule writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    EventName(String),
    EventSource(String),
}

impl Key {
    /// The index form, `(0 for eventName or 1 for eventSource, lower-cased value)`: Sigma
    /// matches strings case-insensitively.
    pub fn folded(&self) -> (usize, String) {
        match self {
            Key::EventName(v) => (0, v.to_lowercase()),
            Key::EventSource(v) => (1, v.to_lowercase()),
        }
    }
}

/// Events a rule can match: those with one of these keys, or any event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needs {
    Any,
    OneOf(BTreeSet<Key>),
}

impl Needs {
    fn and(self, other: Needs) -> Needs {
        match (self, other) {
            (Needs::Any, x) | (x, Needs::Any) => x,
            (Needs::OneOf(a), Needs::OneOf(b)) => {
                // Either side alone is a sound filter; keep the narrower one, names before sources.
                let names = |s: &BTreeSet<Key>| s.iter().all(|k| matches!(k, Key::EventName(_)));
                let pick_a = match (names(&a), names(&b)) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => a.len() <= b.len(),
                };
                Needs::OneOf(if pick_a { a } else { b })
            }
        }
    }

    fn or(self, other: Needs) -> Needs {
        match (self, other) {
            (Needs::OneOf(mut a), Needs::OneOf(b)) => {
                a.extend(b);
                Needs::OneOf(a)
            }
            _ => Needs::Any,
        }
    }
}

fn literal(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        _ => return None,
    };
    (!s.contains(['*', '?']) && !s.is_empty()).then_some(s)
}

/// A selection's needs: a map requiring `eventName` / `eventSource` (no modifier) to be literals.
fn selection_needs(sel: &Value) -> Needs {
    match sel {
        Value::Mapping(m) => {
            let mut found = Needs::Any;
            for (k, v) in m {
                let Some(field) = k.as_str() else { continue };
                let make: fn(String) -> Key = match field {
                    "eventName" => Key::EventName,
                    "eventSource" => Key::EventSource,
                    _ => continue,
                };
                let values: Option<BTreeSet<Key>> = match v {
                    Value::Sequence(items) => items.iter().map(|i| literal(i).map(make)).collect(),
                    other => literal(other).map(|s| BTreeSet::from([make(s)])),
                };
                if let Some(values) = values {
                    found = found.and(Needs::OneOf(values));
                }
            }
            found
        }
        Value::Sequence(items) if items.iter().all(Value::is_mapping) => items
            .iter()
            .map(selection_needs)
            .reduce(Needs::or)
            .unwrap_or(Needs::Any),
        _ => Needs::Any,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    OneOf,
    AllOf,
    Word(String),
}

fn tokens(cond: &str) -> Vec<Tok> {
    let spaced = cond.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let lw = w.to_ascii_lowercase();
        let of_next = words
            .get(i + 1)
            .is_some_and(|n| n.eq_ignore_ascii_case("of"));
        out.push(match lw.as_str() {
            "(" => Tok::Open,
            ")" => Tok::Close,
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "1" | "any" if of_next => {
                i += 1;
                Tok::OneOf
            }
            "all" if of_next => {
                i += 1;
                Tok::AllOf
            }
            _ => Tok::Word(w.to_string()),
        });
        i += 1;
    }
    out
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sels: &'a BTreeMap<String, Needs>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Needs {
        let mut n = self.and();
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            n = n.or(self.and());
        }
        n
    }

    fn and(&mut self) -> Needs {
        let mut n = self.unary();
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            n = n.and(self.unary());
        }
        n
    }

    fn matching(&self, pattern: &str) -> Vec<Needs> {
        let matches = |name: &str| match pattern.strip_suffix('*') {
            _ if pattern == "them" => true,
            Some(prefix) => name.starts_with(prefix),
            None => name == pattern,
        };
        self.sels
            .iter()
            .filter(|(k, _)| matches(k))
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn unary(&mut self) -> Needs {
        let tok = self.peek().cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Not) => {
                // Whatever it negates, a negation alone never narrows the events.
                self.unary();
                Needs::Any
            }
            Some(Tok::Open) => {
                let n = self.or();
                if self.peek() == Some(&Tok::Close) {
                    self.pos += 1;
                }
                n
            }
            Some(Tok::OneOf | Tok::AllOf) => {
                let Some(Tok::Word(p)) = self.peek().cloned() else {
                    return Needs::Any;
                };
                self.pos += 1;
                let parts = self.matching(&p);
                let combine = if tok == Some(Tok::OneOf) {
                    Needs::or
                } else {
                    Needs::and
                };
                parts.into_iter().reduce(combine).unwrap_or(Needs::Any)
            }
            Some(Tok::Word(w)) => self.sels.get(&w).cloned().unwrap_or(Needs::Any),
            _ => Needs::Any,
        }
    }
}

/// The needs of a rule's `detection` block (its `condition` may be a string or a list, ORed).
pub fn rule_needs(detection: &Value) -> Needs {
    let Value::Mapping(m) = detection else {
        return Needs::Any;
    };
    let mut sels = BTreeMap::new();
    let mut conditions = Vec::new();
    for (k, v) in m {
        match (k.as_str(), v) {
            (Some("condition"), Value::String(c)) => conditions.push(c.clone()),
            (Some("condition"), Value::Sequence(cs)) => {
                conditions.extend(cs.iter().filter_map(|c| c.as_str().map(str::to_string)));
            }
            (Some("timeframe"), _) => {}
            (Some(name), sel) => {
                sels.insert(name.to_string(), selection_needs(sel));
            }
            _ => {}
        }
    }
    conditions
        .iter()
        .map(|c| {
            let mut p = Parser {
                toks: tokens(c),
                pos: 0,
                sels: &sels,
            };
            let n = p.or();
            // Anything unparsed means a form this analysis does not know: stay safe.
            if p.pos < p.toks.len() {
                Needs::Any
            } else {
                n
            }
        })
        .reduce(Needs::or)
        .unwrap_or(Needs::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(yaml: &str) -> Needs {
        rule_needs(&serde_norway::from_str(yaml).unwrap())
    }

    fn names(v: &[&str]) -> Needs {
        Needs::OneOf(v.iter().map(|s| Key::EventName(s.to_string())).collect())
    }

    #[test]
    fn literal_event_names_narrow() {
        assert_eq!(
            needs("sel: {eventSource: a.amazonaws.com, eventName: [X, Y]}\ncondition: sel"),
            names(&["X", "Y"])
        );
        assert_eq!(
            needs("sel: {eventSource: s}\ncondition: sel"),
            Needs::OneOf(BTreeSet::from([Key::EventSource("s".into())]))
        );
        assert_eq!(
            needs("a: {eventName: X}\nb: {eventName: Y}\ncondition: 1 of a or b"),
            names(&["X", "Y"])
        );
        assert_eq!(
            needs("sel_a: {eventName: X}\nsel_b: {eventName: Y}\ncondition: 1 of sel_*"),
            names(&["X", "Y"])
        );
        assert_eq!(
            needs("s: {eventName: X}\nf: {userIdentity.type: Root}\ncondition: s and not f"),
            names(&["X"])
        );
    }

    #[test]
    fn anything_uncertain_matches_everything() {
        assert_eq!(
            needs("s: {eventName|contains: X}\ncondition: s"),
            Needs::Any
        );
        assert_eq!(needs("s: {eventName: 'Get*'}\ncondition: s"), Needs::Any);
        assert_eq!(
            needs("s: {eventName: X}\nf: {errorCode: E}\ncondition: s or f"),
            Needs::Any
        );
        assert_eq!(needs("s: {eventName: X}\ncondition: not s"), Needs::Any);
        assert_eq!(
            needs("s: {eventName: X}\ncondition: s | count() > 5"),
            Needs::Any
        );
    }
}
