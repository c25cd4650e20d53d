//! A Sigma detection rule as a check: its detection turned into CloudTrail Lake's SQL (which the
//! local service and, rewritten, Athena also run), so a rule can be tried over history before it
//! is deployed (`trailwatch hunt`). The SQL keeps Sigma's semantics where Lake's columns allow:
//! strings compare case-insensitively (`|cased` keeps case), `*`/`?` are wildcards, `null`
//! matches an absent value, and every field test is two-valued (`COALESCE(.., false)`) so `not`
//! keeps events that lack the field. What Lake's columns cannot express is refused with the
//! reason: keyword searches, fields Lake has no column for, nested values inside its map
//! columns, and modifiers without an SQL form here.

use std::fmt::Write;

use rsigma_parser::{
    ConditionExpr, ConditionOperator, CorrelationCondition, CorrelationType, Detection,
    DetectionItem, Modifier, Quantifier, SelectorPattern, SigmaRule, SigmaString, SigmaValue,
    SpecialChar, StringPart,
};

use super::{Correlation, Rule, RuleSet};
use crate::checks::{parse_check, Check};
use crate::engine::EngineKind;

/// Why a rule has no SQL form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unconvertible(pub String);

fn no(why: impl Into<String>) -> Unconvertible {
    Unconvertible(why.into())
}

type Result<T> = std::result::Result<T, Unconvertible>;

/// Lake's top-level string columns (names as Lake documents them; Lake ignores case).
const STRINGS: &[&str] = &[
    "eventVersion",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "eventCategory",
    "sessionCredentialFromConsole",
];

/// Lake's string fields inside its struct columns.
const STRUCT_STRINGS: &[&str] = &[
    "userIdentity.type",
    "userIdentity.principalId",
    "userIdentity.arn",
    "userIdentity.accountId",
    "userIdentity.accessKeyId",
    "userIdentity.userName",
    "userIdentity.invokedBy",
    "userIdentity.identityProvider",
    "userIdentity.sessionContext.attributes.mfaAuthenticated",
    "userIdentity.sessionContext.sessionIssuer.type",
    "userIdentity.sessionContext.sessionIssuer.principalId",
    "userIdentity.sessionContext.sessionIssuer.arn",
    "userIdentity.sessionContext.sessionIssuer.accountId",
    "userIdentity.sessionContext.sessionIssuer.userName",
    "userIdentity.sessionContext.sourceIdentity",
    "userIdentity.sessionContext.ec2RoleDelivery",
    "tlsDetails.tlsVersion",
    "tlsDetails.cipherSuite",
    "tlsDetails.clientProvidedHostHeader",
];

/// Lake's `map<string,string>` columns: one key level, values as text.
const MAPS: &[&str] = &[
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
];

/// An SQL string literal, as written in a check's template (where `{{`/`}}` are braces).
fn literal(s: &str) -> String {
    let quoted = s.replace('\'', "''").replace('{', "{{").replace('}', "}}");
    format!("'{quoted}'")
}

/// A Sigma field in Lake: its SQL expression, and whether it is a value of a map column (whose
/// lists and objects Lake keeps as JSON text).
struct Column {
    expr: String,
    in_map: bool,
}

/// The SQL expression of a Sigma field.
fn column(field: &str) -> Result<Column> {
    if let Some(c) = STRINGS
        .iter()
        .chain(STRUCT_STRINGS)
        .find(|a| a.eq_ignore_ascii_case(field))
    {
        return Ok(Column {
            expr: (*c).to_string(),
            in_map: false,
        });
    }
    if let Some((map, key)) = field.split_once('.') {
        if let Some(m) = MAPS.iter().find(|m| m.eq_ignore_ascii_case(map)) {
            if key.contains('.') {
                return Err(no(format!(
                    "{field}: Lake keeps {m}'s nested values as JSON text, not as fields"
                )));
            }
            return Ok(Column {
                expr: format!("element_at({m}, {})", literal(key)),
                in_map: true,
            });
        }
    }
    Err(no(format!("{field}: no CloudTrail Lake column")))
}

/// The LIKE pattern (escape `\`) of `s`: its wildcards as `%`/`_`, its text escaped and
/// lower-cased unless `cased`.
fn pattern(s: &SigmaString, cased: bool) -> String {
    let mut out = String::new();
    for p in &s.parts {
        match p {
            StringPart::Plain(t) => {
                let t = if cased { t.clone() } else { t.to_lowercase() };
                for c in t.chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            StringPart::Special(SpecialChar::WildcardMulti) => out.push('%'),
            StringPart::Special(SpecialChar::WildcardSingle) => out.push('_'),
        }
    }
    out
}

/// The plain text of `s` (no wildcards).
fn plain(s: &SigmaString) -> String {
    s.parts
        .iter()
        .map(|p| match p {
            StringPart::Plain(t) => t.as_str(),
            StringPart::Special(SpecialChar::WildcardMulti) => "*",
            StringPart::Special(SpecialChar::WildcardSingle) => "?",
        })
        .collect()
}

/// One value's test on `col`, never NULL. A value of a map column that is a JSON list is
/// tested element by element on its text (`["a","b"]`: some `"element"` matches; a list of
/// objects never matches, as Sigma compares only scalar values). A text starting with `{` is
/// tested whole: Lake's map cannot tell an object from a string holding JSON (a policy
/// document), and rules test the latter.
fn value_test(col: &Column, v: &SigmaValue, mods: &[Modifier]) -> Result<String> {
    let has = |m: Modifier| mods.contains(&m);
    let cased = has(Modifier::Cased);
    let expr = &col.expr;
    let subject = if cased {
        expr.clone()
    } else {
        format!("lower({expr})")
    };
    let like = |p: &str| format!("{subject} LIKE {} ESCAPE '\\'", literal(p));
    let test = match v {
        SigmaValue::Null => return Ok(format!("{expr} IS NULL")),
        SigmaValue::Bool(b) => format!("{subject} = {}", literal(&b.to_string())),
        SigmaValue::Integer(n) => format!("{expr} = {}", literal(&n.to_string())),
        SigmaValue::Float(f) => format!("{expr} = {}", literal(&f.to_string())),
        SigmaValue::String(s) if has(Modifier::Re) => {
            let flags = if has(Modifier::IgnoreCase) {
                "(?i)"
            } else {
                ""
            };
            // The pattern as written: `*` and `\` are the regex's own.
            format!(
                "regexp_like({expr}, {})",
                literal(&format!("{flags}{}", s.original))
            )
        }
        SigmaValue::String(s) => {
            let pre = if has(Modifier::Contains) || has(Modifier::EndsWith) {
                "%"
            } else {
                ""
            };
            let suf = if has(Modifier::Contains) || has(Modifier::StartsWith) {
                "%"
            } else {
                ""
            };
            let body = pattern(s, cased);
            let wild = s.parts.iter().any(|p| matches!(p, StringPart::Special(_)));
            let scalar = if wild || !pre.is_empty() || !suf.is_empty() {
                like(&format!("{pre}{body}{suf}"))
            } else {
                let t = plain(s);
                let t = if cased { t } else { t.to_lowercase() };
                format!("{subject} = {}", literal(&t))
            };
            if col.in_map {
                format!(
                    "CASE WHEN {expr} LIKE {list} THEN ({expr} NOT LIKE {objects} AND {element}) \
                     ELSE {scalar} END",
                    list = literal("[%"),
                    objects = literal("[{%"),
                    element = like(&format!("%\"{pre}{body}{suf}\"%")),
                )
            } else {
                scalar
            }
        }
    };
    Ok(format!("COALESCE({test}, false)"))
}

/// Modifiers with an SQL form here.
fn supported(m: Modifier) -> bool {
    matches!(
        m,
        Modifier::Contains
            | Modifier::StartsWith
            | Modifier::EndsWith
            | Modifier::All
            | Modifier::Re
            | Modifier::IgnoreCase
            | Modifier::Cased
            | Modifier::Exists
    )
}

fn item(i: &DetectionItem) -> Result<String> {
    let field = i
        .field
        .name
        .as_deref()
        .ok_or_else(|| no("a keyword search (no field) has no column to search"))?;
    if let Some(m) = i.field.modifiers.iter().find(|m| !supported(**m)) {
        return Err(no(format!("{field}: modifier {m:?} has no SQL form here")));
    }
    let col = column(field)?;
    let mods = &i.field.modifiers;
    if mods.contains(&Modifier::Exists) {
        let want = matches!(i.values.as_slice(), [SigmaValue::Bool(true)]);
        return Ok(format!(
            "{} IS {}NULL",
            col.expr,
            if want { "NOT " } else { "" }
        ));
    }
    let tests = i
        .values
        .iter()
        .map(|v| value_test(&col, v, mods))
        .collect::<Result<Vec<_>>>()?;
    let join = if mods.contains(&Modifier::All) {
        " AND "
    } else {
        " OR "
    };
    Ok(format!("({})", tests.join(join)))
}

fn detection(d: &Detection) -> Result<String> {
    match d {
        Detection::AllOf(items) if items.is_empty() => Ok("true".into()),
        Detection::AllOf(items) => Ok(format!(
            "({})",
            items
                .iter()
                .map(item)
                .collect::<Result<Vec<_>>>()?
                .join(" AND ")
        )),
        Detection::AnyOf(ds) => Ok(format!(
            "({})",
            ds.iter()
                .map(detection)
                .collect::<Result<Vec<_>>>()?
                .join(" OR ")
        )),
        Detection::Keywords(_) => Err(no("a keyword search (no field) has no column to search")),
        _ => Err(no("an array quantifier block has no SQL form here")),
    }
}

/// Whether detection `name` is selected by a `1 of`/`all of` pattern (`*` wildcards; `them`
/// leaves out names starting with `_`).
fn selected(pattern: &SelectorPattern, name: &str) -> bool {
    match pattern {
        SelectorPattern::Them => !name.starts_with('_'),
        SelectorPattern::Pattern(p) => {
            let parts: Vec<&str> = p.split('*').collect();
            let mut rest = name;
            for (i, part) in parts.iter().enumerate() {
                if i == 0 {
                    let Some(r) = rest.strip_prefix(part) else {
                        return false;
                    };
                    rest = r;
                } else if i == parts.len() - 1 {
                    return rest.ends_with(part);
                } else {
                    match rest.find(part) {
                        Some(at) => rest = &rest[at + part.len()..],
                        None => return false,
                    }
                }
            }
            rest.is_empty() || parts.len() > 1
        }
    }
}

fn condition(rule: &SigmaRule, c: &ConditionExpr) -> Result<String> {
    let join = |parts: &[ConditionExpr], op: &str| -> Result<String> {
        Ok(format!(
            "({})",
            parts
                .iter()
                .map(|p| condition(rule, p))
                .collect::<Result<Vec<_>>>()?
                .join(op)
        ))
    };
    match c {
        ConditionExpr::And(parts) => join(parts, " AND "),
        ConditionExpr::Or(parts) => join(parts, " OR "),
        ConditionExpr::Not(inner) => Ok(format!("(NOT {})", condition(rule, inner)?)),
        ConditionExpr::Identifier(name) => rule
            .detection
            .named
            .get(name)
            .ok_or_else(|| no(format!("the condition names no detection {name}")))
            .and_then(detection),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut names: Vec<&String> = rule
                .detection
                .named
                .keys()
                .filter(|n| selected(pattern, n))
                .collect();
            names.sort();
            let parts = names
                .into_iter()
                .map(|n| detection(&rule.detection.named[n]))
                .collect::<Result<Vec<_>>>()?;
            let op = match quantifier {
                Quantifier::Any | Quantifier::Count(1) => " OR ",
                Quantifier::All => " AND ",
                Quantifier::Count(n) => {
                    return Err(no(format!("`{n} of` has no SQL form here")));
                }
            };
            if parts.is_empty() {
                return Err(no("a selector that selects no detection"));
            }
            Ok(format!("({})", parts.join(op)))
        }
    }
}

/// The rule's detection as an SQL condition over one event.
pub fn where_clause(rule: &Rule) -> Result<String> {
    let sigma = rule.sigma().map_err(|e| no(e.reason))?;
    let conditions = sigma
        .detection
        .conditions
        .iter()
        .map(|c| condition(sigma, c))
        .collect::<Result<Vec<_>>>()?;
    if conditions.is_empty() {
        return Err(no("no condition"));
    }
    Ok(conditions.join(" OR "))
}

/// The columns every check returns, from one CloudTrail event.
const FINDING_COLUMNS: &str =
    "eventID AS event_id, eventTime AS event_time, eventName AS event_name,
       eventSource AS event_source, userIdentity.arn AS principal,
       userIdentity.type AS principal_type, sourceIPAddress AS source_ip,
       awsRegion AS region, recipientAccountId AS account, errorCode AS error_code";

/// A check id from a rule's: letters, digits and '-'; anything else becomes '_'.
fn check_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A check's header lines.
fn header(id: &str, title: &str, severity: &str, control: &str) -> String {
    let one_line = |s: &str| s.replace(['\n', '\r'], " ");
    format!(
        "-- id: {}\n-- title: {}\n-- severity: {severity}\n-- control: {}\n",
        check_id(id),
        one_line(title),
        one_line(control)
    )
}

/// The rule as a check: the columns every check returns, the events of the window its
/// detection matches.
pub fn hunt_check(rule: &Rule) -> Result<Check> {
    let condition = where_clause(rule)?;
    let mut text = header(
        &rule.id,
        &rule.title,
        rule.severity.as_str(),
        &format!("Sigma rule {}", rule.source),
    );
    let _ = write!(
        text,
        "SELECT {FINDING_COLUMNS}
FROM {{event_data_store}}
WHERE eventTime >= {{window_start}} AND eventTime < {{window_end}}
  AND ({condition})
ORDER BY eventTime, eventID"
    );
    parse_check(&rule.source, &text).map_err(|e| no(format!("the SQL made does not parse: {e}")))
}

/// An `event_count` correlation as a check, where SQL can count: time is cut into buckets of
/// the correlation's timespan (aligned to the Unix epoch), and within each bucket and group
/// (its `group-by` values) every N-th event its rules match, in time order (ties by event id),
/// is a finding: the event at which the count reaches N, 2N, .... For a burst inside one
/// bucket that is what the live correlation (a sliding window that restarts when it fires)
/// reports; a burst that straddles two buckets may be missed, so a hunt can show fewer than
/// the alert paths would have raised. Other correlation types, thresholds other than `gte` /
/// `gt`, and field aliases have no SQL form here.
pub fn correlation_check(rules: &RuleSet, c: &Correlation) -> Result<Check> {
    let sigma = c.sigma().map_err(|e| no(e.reason))?;
    if sigma.correlation_type != CorrelationType::EventCount {
        return Err(no(format!(
            "{} correlations have no SQL form here (event_count has)",
            sigma.correlation_type.as_str()
        )));
    }
    let n = match &sigma.condition {
        CorrelationCondition::Threshold {
            predicates,
            field: None,
            ..
        } => match predicates.as_slice() {
            [(ConditionOperator::Gte, n)] => *n,
            [(ConditionOperator::Gt, n)] => n
                .checked_add(1)
                .ok_or_else(|| no("a threshold beyond counting"))?,
            _ => return Err(no("only a `gte` or `gt` threshold has an SQL form here")),
        },
        _ => return Err(no("only a count threshold has an SQL form here")),
    };
    if n == 0 {
        return Err(no("a threshold of 0 is met by no event at all"));
    }
    if !sigma.aliases.is_empty() {
        return Err(no("field aliases have no SQL form here"));
    }
    let span = sigma.timespan.seconds;
    if span == 0 {
        return Err(no("a timespan of 0 seconds"));
    }
    let mut matched = Vec::new();
    for name in &c.rules {
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.id == *name || r.name.as_deref() == Some(name.as_str()))
            .ok_or_else(|| no(format!("rule {name} is not loaded")))?;
        let condition = where_clause(rule).map_err(|e| no(format!("its rule {}: {e}", rule.id)))?;
        matched.push(format!("({condition})"));
    }
    let mut partition = Vec::new();
    for field in &sigma.group_by {
        partition.push(column(field)?.expr);
    }
    partition.push(format!("floor(to_unixtime(eventTime) / {span})"));
    let mut text = header(
        &c.id,
        &c.title,
        c.severity.as_str(),
        &format!("Sigma correlation {}", c.source),
    );
    let _ = write!(
        text,
        "SELECT event_id, event_time, event_name, event_source, principal, principal_type,
       source_ip, region, account, error_code
FROM (
  SELECT {FINDING_COLUMNS},
         row_number() OVER (PARTITION BY {} ORDER BY eventTime, eventID) AS tw_nth
  FROM {{event_data_store}}
  WHERE eventTime >= {{window_start}} AND eventTime < {{window_end}}
    AND ({})
) AS counted
WHERE tw_nth % {n} = 0
ORDER BY event_time, event_id",
        partition.join(", "),
        matched.join(" OR ")
    );
    parse_check(&c.source, &text).map_err(|e| no(format!("the SQL made does not parse: {e}")))
}

/// The check of the correlation `id` (bundled, or under `rules_dir`) on `engine`: how a
/// schedule runs a correlation by naming its id. `UnknownCheck` when no correlation has it;
/// `InvalidInput` with the reason when it has no SQL form, or none `engine` can run.
pub fn correlation_check_by_id(
    id: &str,
    rules_dir: Option<&std::path::Path>,
    engine: EngineKind,
) -> crate::Result<Check> {
    let (rules, errors) = RuleSet::with_extra(rules_dir);
    for e in &errors {
        tracing::warn!(error = %e, "rule not loaded");
    }
    let c = rules
        .correlations()
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| crate::Error::UnknownCheck(id.to_string()))?;
    let invalid = |why: String| {
        crate::Error::InvalidInput(format!("correlation {id} has no SQL form: {why}"))
    };
    let check = correlation_check(&rules, c).map_err(|e| invalid(e.0))?;
    if engine == EngineKind::Athena {
        check
            .template
            .check_athena()
            .map_err(|e| invalid(e.to_string()))?;
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A schedule names a correlation by its id: the counting ones are checks on both
    /// engines, the sequence one says why it is not, and an unknown id stays unknown.
    #[test]
    fn correlations_are_checks_by_id_where_sql_can_count() {
        let (rules, _) = RuleSet::bundled();
        assert_eq!(rules.correlations().len(), 3);
        for c in rules.correlations() {
            for engine in [EngineKind::Lake, EngineKind::Athena] {
                match correlation_check_by_id(&c.id, None, engine) {
                    Ok(check) => assert_eq!(check.id, c.id),
                    Err(crate::Error::InvalidInput(m)) => {
                        assert!(m.contains("temporal_ordered"), "{m}");
                    }
                    Err(e) => panic!("{}: {e}", c.id),
                }
            }
        }
        assert!(matches!(
            correlation_check_by_id("no-such-check", None, EngineKind::Lake),
            Err(crate::Error::UnknownCheck(_))
        ));
    }

    #[test]
    fn selectors_match_detection_names() {
        let p = |s: &str| SelectorPattern::Pattern(s.into());
        assert!(selected(&p("selection_*"), "selection_a"));
        assert!(!selected(&p("selection_*"), "filter"));
        assert!(selected(&p("*_main"), "filter_main"));
        assert!(selected(&p("sel"), "sel"));
        assert!(!selected(&p("sel"), "sel2"));
        assert!(!selected(&SelectorPattern::Them, "_hidden"));
    }

    #[test]
    fn values_are_quoted_and_wildcards_escaped() {
        let s = SigmaString::new("50%_o'K*");
        assert_eq!(pattern(&s, false), "50\\%\\_o'k%");
        assert_eq!(literal("o'k"), "'o''k'");
        assert_eq!(literal("${v}"), "'${{v}}'");
        assert!(column("requestParameters.a.b").is_err());
        let c = column("requestparameters.bucketName").unwrap();
        assert_eq!(c.expr, "element_at(requestParameters, 'bucketName')");
        assert!(c.in_map);
    }
}
