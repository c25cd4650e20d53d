//! What a rule needs of an event before it can match: the literal values its detection requires
//! of a few top fields. The LookupEvents planner reads `eventName` / `eventSource` (what
//! LookupEvents can filter on); the in-memory rule index also `errorCode` and
//! `userIdentity.type`, so that rules such as "access denied" or "root activity" are not
//! checked against every event. Matching itself is rsigma-eval's.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A lookup key: which attribute, and its value as the rule writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    EventName(String),
    EventSource(String),
    ErrorCode(String),
    IdentityType(String),
    /// Any string value of the field at this place in [`INDEXED_FIELDS`] (a rule matching it
    /// with `startswith`, `endswith`, `contains` or `re` needs it present).
    Present(usize),
}

/// The fields keys are taken from, in order of preference (the narrowest first).
pub const INDEXED_FIELDS: [&str; 4] =
    ["eventName", "eventSource", "errorCode", "userIdentity.type"];

/// Which fields an analysis may key on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `eventName` and `eventSource`: what LookupEvents filters on.
    Lookup,
    /// Every field of [`INDEXED_FIELDS`]: the in-memory rule index.
    Index,
}

impl Key {
    /// The index form, `(position in INDEXED_FIELDS, lower-cased value)` (Sigma matches
    /// strings case-insensitively); None for [`Key::Present`], which holds no value.
    pub fn folded(&self) -> Option<(usize, String)> {
        match self {
            Key::EventName(v) => Some((0, v.to_lowercase())),
            Key::EventSource(v) => Some((1, v.to_lowercase())),
            Key::ErrorCode(v) => Some((2, v.to_lowercase())),
            Key::IdentityType(v) => Some((3, v.to_lowercase())),
            Key::Present(_) => None,
        }
    }

    /// How narrow a filter the key is: a value of a better field first, any value last.
    fn rank(&self) -> usize {
        match self {
            Key::EventName(_) => 0,
            Key::EventSource(_) => 1,
            Key::ErrorCode(_) => 2,
            Key::IdentityType(_) => 3,
            Key::Present(i) => INDEXED_FIELDS.len() + i,
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
                // Either side alone is a sound filter; keep the narrower one: the better field
                // (names before sources before error codes before identity types), then the
                // fewer values.
                let worst = |s: &BTreeSet<Key>| s.iter().map(Key::rank).max().unwrap_or(0);
                let pick_a = (worst(&a), a.len()) <= (worst(&b), b.len());
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
    // A backslash escapes in Sigma (`\\*` is a literal star): such a value is left unindexed.
    (!s.contains(['*', '?', '\\']) && !s.is_empty()).then_some(s)
}

/// The [`Key::Present`] of `field|modifiers: value` when the modifiers can only match a string
/// the field holds (the index's scope only).
fn presence(field: &str, value: &Value, scope: Scope) -> Option<Key> {
    let (base, modifiers) = field.split_once('|')?;
    let place = INDEXED_FIELDS.iter().position(|f| *f == base)?;
    let positive = modifiers.split('|').all(|m| {
        matches!(
            m,
            "contains" | "startswith" | "endswith" | "re" | "all" | "cased" | "i" | "m" | "s"
        )
    });
    let strings = match value {
        Value::String(_) => true,
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_string),
        _ => false,
    };
    (scope == Scope::Index && positive && strings).then_some(Key::Present(place))
}

/// A selection's needs: a map requiring fields of `scope` (no modifier) to be literals.
fn selection_needs(sel: &Value, scope: Scope) -> Needs {
    match sel {
        Value::Object(m) => {
            let mut found = Needs::Any;
            for (k, v) in m {
                let field = k.as_str();
                if let Some(key) = presence(field, v, scope) {
                    found = found.and(Needs::OneOf(BTreeSet::from([key])));
                    continue;
                }
                let make: fn(String) -> Key = match (field, scope) {
                    ("eventName", _) => Key::EventName,
                    ("eventSource", _) => Key::EventSource,
                    ("errorCode", Scope::Index) => Key::ErrorCode,
                    ("userIdentity.type", Scope::Index) => Key::IdentityType,
                    _ => continue,
                };
                let values: Option<BTreeSet<Key>> = match v {
                    Value::Array(items) => items.iter().map(|i| literal(i).map(make)).collect(),
                    other => literal(other).map(|s| BTreeSet::from([make(s)])),
                };
                if let Some(values) = values {
                    found = found.and(Needs::OneOf(values));
                }
            }
            found
        }
        Value::Array(items) if items.iter().all(Value::is_object) => items
            .iter()
            .map(|s| selection_needs(s, scope))
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
            // Sigma: `them` is every detection but those whose name starts with `_`.
            _ if pattern == "them" => !name.starts_with('_'),
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

/// The needs of a rule's `detection` block (its `condition` may be a string or a list, ORed),
/// keyed on the fields of `scope`.
pub fn rule_needs(detection: &Value, scope: Scope) -> Needs {
    let Value::Object(m) = detection else {
        return Needs::Any;
    };
    let mut sels = BTreeMap::new();
    let mut conditions = Vec::new();
    for (k, v) in m {
        match (Some(k.as_str()), v) {
            (Some("condition"), Value::String(c)) => conditions.push(c.clone()),
            (Some("condition"), Value::Array(cs)) => {
                conditions.extend(cs.iter().filter_map(|c| c.as_str().map(str::to_string)));
            }
            (Some("timeframe"), _) => {}
            (Some(name), sel) => {
                sels.insert(name.to_string(), selection_needs(sel, scope));
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
        rule_needs(&serde_norway::from_str(yaml).unwrap(), Scope::Lookup)
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
    fn the_index_also_keys_on_error_codes_and_identity_types() {
        let index = |yaml: &str| rule_needs(&serde_norway::from_str(yaml).unwrap(), Scope::Index);
        let keys = |k: &[Key]| Needs::OneOf(k.iter().cloned().collect());
        assert_eq!(
            index("s: {errorCode: [AccessDenied, UnauthorizedOperation]}\ncondition: s"),
            keys(&[
                Key::ErrorCode("AccessDenied".into()),
                Key::ErrorCode("UnauthorizedOperation".into())
            ])
        );
        assert_eq!(
            index("s: {eventName: X, errorCode: E}\ncondition: s"),
            names(&["X"])
        );
        assert_eq!(
            index("s: {eventName: X}\nf: {errorCode: E}\ncondition: s or f"),
            keys(&[Key::EventName("X".into()), Key::ErrorCode("E".into())])
        );
        assert_eq!(
            index("s: {userIdentity.type: Root}\nf: {eventType: AwsServiceEvent}\ncondition: s and not f"),
            keys(&[Key::IdentityType("Root".into())])
        );
        // A string-matching modifier needs the field present; `exists` and null do not.
        assert_eq!(
            index("s: {errorCode|endswith: [Denied, Operation]}\ncondition: s"),
            keys(&[Key::Present(2)])
        );
        assert_eq!(
            index("s: {eventName: X, errorCode|contains: Denied}\ncondition: s"),
            names(&["X"])
        );
        assert_eq!(
            index("s: {errorCode|exists: false}\ncondition: s"),
            Needs::Any
        );
        assert_eq!(
            index("s: {errorCode|contains: null}\ncondition: s"),
            Needs::Any
        );
        assert_eq!(
            index("s: {userAgent|contains: X}\ncondition: s"),
            Needs::Any
        );
        assert_eq!(
            needs("s: {errorCode|contains: X}\ncondition: s"),
            Needs::Any
        );
        // A null or a wildcard is no literal.
        assert_eq!(index("s: {errorCode: null}\ncondition: s"), Needs::Any);
        assert_eq!(index("s: {errorCode: '*Denied'}\ncondition: s"), Needs::Any);
        // The planner's scope never keys on them.
        assert_eq!(
            needs("s: {userIdentity.type: Root}\ncondition: s"),
            Needs::Any
        );
    }

    #[test]
    fn them_leaves_out_underscored_detections_and_escapes_are_no_literals() {
        assert_eq!(
            needs("selection: {eventSource: s}\n_helper: {eventName: X}\ncondition: all of them"),
            Needs::OneOf(BTreeSet::from([Key::EventSource("s".into())]))
        );
        assert_eq!(needs("s: {eventName: 'A\\\\B'}\ncondition: s"), Needs::Any);
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
