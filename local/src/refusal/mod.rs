//! A statement Trino refuses, in Trino's words: where its parser or analyzer stops and what it
//! says (`line 1:8: Column 'foo' cannot be resolved`). Lake and Athena run Trino, so a query
//! they refuse is refused here with the same text, even where DataFusion, which plans it here,
//! words it otherwise ("Schema error: No field named foo").

use datafusion::common::{Column, SchemaError};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::Operator;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};

mod grouping;

use grouping::Clause;

use crate::analysis::{Mismatch, Operand, Unexpected};
use crate::dialect::LakeDialect;

/// Where Trino's analyzer or parser stops on a statement, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Trino's error name (`FUNCTION_NOT_FOUND`, `SYNTAX_ERROR`, `COLUMN_NOT_FOUND`).
    pub code: &'static str,
    /// 1-based line of the statement.
    pub line: u64,
    /// 1-based column (in characters).
    pub column: u64,
    /// The message after `line L:C: `.
    pub text: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}:{}: {}", self.line, self.column, self.text)
    }
}

impl Refusal {
    /// A refusal at `at` (a sqlparser position, 0 read as 1).
    pub fn at(code: &'static str, at: Location, text: String) -> Self {
        Self {
            code,
            line: at.line.max(1),
            column: at.column.max(1),
            text,
        }
    }
}

/// Trino's refusal for an error DataFusion's planner gave on `sql` (the statement as the user
/// wrote it, positions counted in it), when Trino's analyzer refuses the same statement:
/// - a column or row field that does not exist: `Column 'x' cannot be resolved`
///   (COLUMN_NOT_FOUND, the name in lower case as Trino canonicalises it);
/// - a name two relations share: `Column 'x' is ambiguous` (AMBIGUOUS_NAME);
/// - a call with arguments of types the function does not take: `Unexpected parameters
///   (bigint) for function upper` (FUNCTION_NOT_FOUND, at the call; Trino's list of the
///   signatures it has is not given);
/// - a comparison or arithmetic of values it cannot compare or add: `Cannot apply operator:
///   varchar = integer` (TYPE_MISMATCH, at the operator);
/// - a WHERE condition with an aggregate: `WHERE clause cannot contain aggregations, window
///   functions or grouping operations: [count(*)]` (EXPRESSION_NOT_SCALAR, at the condition);
/// - a SELECT item, HAVING condition or ORDER BY key that uses a column neither grouped nor
///   aggregated: `'upper(eventName)' must be an aggregate expression or appear in GROUP BY
///   clause` (EXPRESSION_NOT_AGGREGATE, the whole expression as Trino formats it).
///
/// The position is the reference's first occurrence in `sql`. Other errors give `None`:
/// DataFusion's own text is kept.
pub fn from_planning(e: &DataFusionError, sql: &str) -> Option<Refusal> {
    // The statement as written is read again, chains unbalanced.
    crate::nesting::on_statement_stack(sql, || translate(e, sql))
}

fn translate(e: &DataFusionError, sql: &str) -> Option<Refusal> {
    let tokens = Tokenizer::new(&LakeDialect, sql)
        .tokenize_with_location()
        .ok()?;
    let references = References::new(&tokens);
    match first_error(e) {
        DataFusionError::SchemaError(s, _) => match s.as_ref() {
            SchemaError::FieldNotFound { field, .. } => {
                Some(references.missing(field, "COLUMN_NOT_FOUND", "cannot be resolved"))
            }
            SchemaError::AmbiguousReference { field } => {
                Some(references.missing(field, "AMBIGUOUS_NAME", "is ambiguous"))
            }
            _ => None,
        },
        DataFusionError::External(x) => {
            if let Some(u) = x.downcast_ref::<Unexpected>() {
                let called = std::iter::once(&u.function)
                    .chain(&u.aliases)
                    .find_map(|name| references.call(name).map(|at| (name, at)));
                let Some((name, at)) = called else {
                    return Some(Refusal::at(
                        "FUNCTION_NOT_FOUND",
                        Location::new(1, 1),
                        u.text.clone(),
                    ));
                };
                // Trino names the function as the statement calls it (`dow`, not `day_of_week`).
                let text = if *name == u.function {
                    u.text.clone()
                } else {
                    u.text
                        .replace(
                            &format!("function {}.", u.function),
                            &format!("function {name}."),
                        )
                        .replace(&format!("{}(", u.function), &format!("{name}("))
                };
                return Some(Refusal::at("FUNCTION_NOT_FOUND", at, text));
            }
            let m = x.downcast_ref::<Mismatch>()?;
            let at = references.operator(m).unwrap_or(Location::new(1, 1));
            Some(Refusal::at("TYPE_MISMATCH", at, m.text.clone()))
        }
        DataFusionError::Plan(m) => missing_row_field(m, &references)
            .or_else(|| not_grouped(m, sql))
            .or_else(|| arithmetic(m, &references))
            .or_else(|| no_signature(m, &references))
            .or_else(|| aggregate_in_where(m, sql))
            .or_else(|| not_implemented(m, &references)),
        _ => None,
    }
}

/// The first error of `e` that says what is wrong: DataFusion wraps it in context, diagnostics
/// and collections (one per SELECT item).
fn first_error(mut e: &DataFusionError) -> &DataFusionError {
    loop {
        e = match e {
            DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => inner,
            DataFusionError::Collection(all) => match all.first() {
                Some(first) => first,
                None => return e,
            },
            other => return other,
        }
    }
}

/// DataFusion's `Aggregate functions are not allowed in the WHERE clause` as Trino says it.
fn aggregate_in_where(message: &str, sql: &str) -> Option<Refusal> {
    if !message.starts_with("Aggregate functions are not allowed in the WHERE clause") {
        return None;
    }
    let (text, at) = grouping::aggregate_in_where(sql)?;
    Some(Refusal::at("EXPRESSION_NOT_SCALAR", at, text))
}

/// DataFusion's `No function matches the given name and argument types 'upper(Int64)'` as
/// Trino says it: `Unexpected parameters (bigint) for function upper` (without the list of
/// signatures Trino appends), at the call, a literal argument typed as Trino types it.
fn no_signature(message: &str, references: &References<'_>) -> Option<Refusal> {
    let (_, rest) =
        message.split_once("No function matches the given name and argument types '")?;
    let (call, _) = rest.split_once("'.")?;
    let (name, types) = call.strip_suffix(')')?.split_once('(')?;
    // The service's own implementations of Trino's functions are named `trino_<name>`.
    let name = name
        .strip_prefix("trino_")
        .unwrap_or(name)
        .to_ascii_lowercase();
    let at = references.call_index(&name)?;
    let literals = references.literal_arguments(at);
    let types = top_level_parts(types);
    let named: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| match literals.get(i).copied().flatten() {
            Some(Token::SingleQuotedString(s)) => format!("varchar({})", s.chars().count()),
            Some(Token::Number(n, _)) if n.parse::<i32>().is_ok() => "integer".into(),
            _ => trino_type_name(t),
        })
        .collect();
    Some(Refusal::at(
        "FUNCTION_NOT_FOUND",
        references.tokens.get(at)?.span.start,
        format!(
            "Unexpected parameters ({}) for function {name}",
            named.join(", ")
        ),
    ))
}

/// A call of one of Trino's functions that the service does not implement (its geospatial,
/// machine-learning and sketch functions, among others): Lake would run it, so DataFusion's
/// "Invalid function ... Did you mean" would mislead. Refused as not supported here, by name.
fn not_implemented(message: &str, references: &References<'_>) -> Option<Refusal> {
    let (_, rest) = message.split_once("Invalid function '")?;
    let (name, _) = rest.split_once('\'')?;
    let name = name.to_ascii_lowercase();
    if !crate::registry::is_trino_function(&name) {
        return None;
    }
    let at = references.call(&name).unwrap_or(Location::new(1, 1));
    // An SQL/JSON function is left as written only when `crate::json_syntax` could not read
    // its clauses: a syntax error in Trino.
    if crate::json_syntax::hidden_name(&name).is_some() {
        return Some(Refusal::at(
            "SYNTAX_ERROR",
            at,
            format!("{name}(...) is not written as Trino's grammar reads it"),
        ));
    }
    Some(Refusal::at(
        "NOT_SUPPORTED",
        at,
        format!(
            "Function '{name}' is Trino's, and CloudTrail Lake runs it, but trailwatch's local \
             service does not implement it"
        ),
    ))
}

/// `text` split at the commas outside parentheses and quotes (DataFusion writes
/// `Timestamp(ms, "UTC")` and `Struct("a": Utf8, ...)` inside an argument list).
fn top_level_parts(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut start) = (Vec::new(), 0u32, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth = depth.saturating_add(1),
            ')' | ']' | '}' if !quoted => depth = depth.saturating_sub(1),
            ',' if !quoted && depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !text.trim().is_empty() {
        parts.push(text[start..].trim());
    }
    parts
}

/// Trino's name for a type DataFusion names `t` in its messages.
fn trino_type_name(t: &str) -> String {
    match t {
        "Utf8" | "LargeUtf8" | "Utf8View" => "varchar".into(),
        "Int8" => "tinyint".into(),
        "Int16" => "smallint".into(),
        "Int32" => "integer".into(),
        "Int64" | "UInt64" | "UInt32" => "bigint".into(),
        "Float32" => "real".into(),
        "Float64" => "double".into(),
        "Boolean" => "boolean".into(),
        "Date32" => "date".into(),
        "Null" => "unknown".into(),
        t if t.starts_with("Timestamp(ms") || t.starts_with("Timestamp(Millisecond") => {
            "timestamp(3)".into()
        }
        other => other.to_lowercase(),
    }
}

/// DataFusion's `Cannot coerce arithmetic expression Utf8 + Int64 to valid types` (its
/// planner types the SELECT list before [`crate::analysis`] sees it) as Trino says it, a
/// literal operand typed as Trino types it (`varchar(1)`, `integer`).
fn arithmetic(message: &str, references: &References<'_>) -> Option<Refusal> {
    let types = message
        .strip_prefix("Cannot coerce arithmetic expression ")?
        .strip_suffix(" to valid types")?;
    let mut parts = types.split(' ');
    let (left, symbol, right) = (parts.next()?, parts.next()?, parts.next()?);
    let op = match symbol {
        "+" => Operator::Plus,
        "-" => Operator::Minus,
        "*" => Operator::Multiply,
        "/" => Operator::Divide,
        "%" => Operator::Modulo,
        _ => return None,
    };
    // A binary operator follows an operand (not `SELECT -1` or `(-x`); of those, the one whose
    // literal neighbours have the types DataFusion names.
    let is_text = |t: &str| matches!(t, "Utf8" | "LargeUtf8" | "Utf8View");
    let fits = |token: Option<&&TokenWithSpan>, datafusion: &str| match token.map(|t| &t.token) {
        Some(Token::SingleQuotedString(_)) => is_text(datafusion),
        Some(Token::Number(..)) => !is_text(datafusion),
        _ => true,
    };
    let binary: Vec<usize> = (1..references.tokens.len())
        .filter(|&i| references.is_operator(i, op))
        .filter(|&i| match references.tokens.get(i - 1).map(|t| &t.token) {
            Some(Token::Word(w)) => w.quote_style.is_some() || w.keyword == Keyword::NoKeyword,
            Some(Token::Number(..) | Token::SingleQuotedString(_)) => true,
            Some(Token::RParen | Token::RBracket) => true,
            _ => false,
        })
        .collect();
    let at = binary
        .iter()
        .copied()
        .find(|&i| {
            fits(references.tokens.get(i - 1), left)
                && fits(references.tokens.get(i.saturating_add(1)), right)
        })
        .or_else(|| binary.first().copied())?;
    let named = |token: Option<&&TokenWithSpan>, datafusion: &str| match token.map(|t| &t.token) {
        Some(Token::SingleQuotedString(s)) => format!("varchar({})", s.chars().count()),
        Some(Token::Number(n, _)) if n.parse::<i32>().is_ok() => "integer".into(),
        _ => match datafusion {
            "Utf8" | "LargeUtf8" | "Utf8View" => "varchar".into(),
            "Int32" => "integer".into(),
            "Int64" => "bigint".into(),
            "Float64" => "double".into(),
            "Boolean" => "boolean".into(),
            other => other.to_lowercase(),
        },
    };
    let text = format!(
        "Cannot apply operator: {} {symbol} {}",
        named(
            at.checked_sub(1).and_then(|b| references.tokens.get(b)),
            left
        ),
        named(references.tokens.get(at.saturating_add(1)), right)
    );
    Some(Refusal::at(
        "TYPE_MISMATCH",
        references.tokens.get(at)?.span.start,
        text,
    ))
}

/// DataFusion's `Field x not found in struct` as Trino says it: the whole dereference
/// (`userIdentity.x`) is the column that cannot be resolved.
fn missing_row_field(message: &str, references: &References<'_>) -> Option<Refusal> {
    let field = message
        .strip_prefix("Field ")?
        .strip_suffix(" not found in struct")?;
    let found = references.find(&[field], 0, Qualifier::Required)?;
    Some(Refusal::at(
        "COLUMN_NOT_FOUND",
        found.start,
        format!("Column '{}' cannot be resolved", found.canonical),
    ))
}

/// DataFusion's `Column in SELECT must be in GROUP BY or an aggregate function: While expanding
/// wildcard, column "t.x" must appear in the GROUP BY clause ...` as Trino says it.
fn not_grouped(message: &str, sql: &str) -> Option<Refusal> {
    let clause = match message
        .strip_prefix("Column in ")?
        .split_once(" must be in GROUP BY or an aggregate function")?
        .0
    {
        "SELECT" => Clause::Select,
        "HAVING" => Clause::Having,
        "ORDER BY" => Clause::OrderBy,
        _ => return None,
    };
    let (_, rest) = message.split_once("column \"")?;
    let (expr, _) = rest.split_once("\" must appear in the GROUP BY clause")?;
    // The expression is DataFusion's display of a column, `relation.name`.
    let name = expr.rsplit('.').next().unwrap_or(expr);
    let (text, at) = grouping::offending(sql, clause, name)?;
    Some(Refusal::at(
        "EXPRESSION_NOT_AGGREGATE",
        at,
        format!("'{text}' must be an aggregate expression or appear in GROUP BY clause"),
    ))
}

/// The identifiers of a statement with their positions.
struct References<'a> {
    /// Tokens without whitespace and comments.
    tokens: Vec<&'a TokenWithSpan>,
}

/// The literal an argument is, when it is one token that is one.
fn single_literal<'t>(tokens: &[&'t Token]) -> Option<&'t Token> {
    match tokens {
        [t @ (Token::SingleQuotedString(_) | Token::Number(..))] => Some(t),
        _ => None,
    }
}

/// Whether a reference may be, or must be, a field of something written before it (`e.` of
/// `e.x`), which is then part of the reference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    /// `x.foo` is another name's field, not the column `foo`.
    Never,
    Allowed,
    Required,
}

/// A reference found in the statement.
struct Found {
    start: Location,
    /// As Trino names it in messages: parts in lower case, joined by dots.
    canonical: String,
}

impl<'a> References<'a> {
    fn new(tokens: &'a [TokenWithSpan]) -> Self {
        Self {
            tokens: tokens
                .iter()
                .filter(|t| !matches!(t.token, Token::Whitespace(_)))
                .collect(),
        }
    }

    fn word(&self, i: usize) -> Option<&Word> {
        match self.tokens.get(i).map(|t| &t.token) {
            Some(Token::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn is(&self, i: usize, token: &Token) -> bool {
        self.tokens.get(i).is_some_and(|t| &t.token == token)
    }

    /// The first reference to `parts` (a dotted name) at or after token `from`: a column, not a
    /// function's name or an alias being defined, with a qualifier before it as `qualifier`
    /// says.
    fn find(&self, parts: &[&str], from: usize, qualifier: Qualifier) -> Option<Found> {
        let n = parts.len();
        // Quoted names are folded too (the service resolves every name in any case).
        let matches = |w: &Word, part: &str| w.value.eq_ignore_ascii_case(part);
        for i in from..self.tokens.len() {
            let fits = parts.iter().enumerate().all(|(k, part)| {
                let at = i.saturating_add(k.saturating_mul(2));
                self.word(at).is_some_and(|w| matches(w, part))
                    && (k == 0 || self.is(at.saturating_sub(1), &Token::Period))
            });
            if !fits {
                continue;
            }
            let end = i.saturating_add(n.saturating_mul(2).saturating_sub(1));
            if self.is(end, &Token::LParen) {
                continue;
            }
            let before = i.checked_sub(1);
            if before
                .and_then(|b| self.word(b))
                .is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case("as"))
            {
                continue;
            }
            // A qualifier before the name: part of the reference when asked, else another
            // name's field (`x.foo` is not the column `foo`).
            let mut first = i;
            let qualified = before.is_some_and(|b| self.is(b, &Token::Period));
            if qualified != (qualifier == Qualifier::Required) && qualifier != Qualifier::Allowed {
                continue;
            }
            if qualified {
                while first >= 2
                    && self.is(first - 1, &Token::Period)
                    && self.word(first - 2).is_some()
                {
                    first -= 2;
                }
            }
            let words: Vec<&Word> = (first..end.saturating_add(1))
                .step_by(2)
                .filter_map(|k| self.word(k))
                .collect();
            return Some(Found {
                start: self.tokens.get(first)?.span.start,
                // Trino's QualifiedName: each part in lower case, quoted or not.
                canonical: words
                    .iter()
                    .map(|w| w.value.to_lowercase())
                    .collect::<Vec<_>>()
                    .join("."),
            });
        }
        None
    }

    /// The token of the first call of `function`: its name.
    fn call_index(&self, function: &str) -> Option<usize> {
        (0..self.tokens.len()).find(|&i| {
            self.word(i)
                .is_some_and(|w| w.value.eq_ignore_ascii_case(function))
                && self.is(i.saturating_add(1), &Token::LParen)
                && !(i > 0 && self.is(i - 1, &Token::Period))
        })
    }

    /// Where the first call of `function` is written: its name.
    fn call(&self, function: &str) -> Option<Location> {
        self.tokens
            .get(self.call_index(function)?)
            .map(|t| t.span.start)
    }

    /// The arguments of the call whose name is token `at`: for each, its token when it is one
    /// literal, else `None`.
    fn literal_arguments(&self, at: usize) -> Vec<Option<&Token>> {
        let mut out = Vec::new();
        let (mut depth, mut current): (u32, Vec<&Token>) = (0, Vec::new());
        for t in self.tokens.iter().skip(at.saturating_add(2)) {
            match &t.token {
                Token::LParen | Token::LBracket => depth = depth.saturating_add(1),
                Token::RParen | Token::RBracket if depth == 0 => break,
                Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => {
                    out.push(single_literal(&current));
                    current.clear();
                    continue;
                }
                _ => {}
            }
            current.push(&t.token);
        }
        if !current.is_empty() {
            out.push(single_literal(&current));
        }
        out
    }

    /// Where the operation `m` is written: its operator, the one whose neighbours are its
    /// operands (the same name or literal: 2 points each; of the same kind: 1), the first of
    /// the best.
    fn operator(&self, m: &Mismatch) -> Option<Location> {
        let fits = |t: Option<&&TokenWithSpan>, operand: &Operand| -> u8 {
            match (operand, t.map(|t| &t.token)) {
                (Operand::Number(v), Some(Token::Number(n, _))) => {
                    let same = n == v || n.parse::<f64>().ok() == v.parse::<f64>().ok();
                    if same {
                        2
                    } else {
                        1
                    }
                }
                (Operand::Text(v), Some(Token::SingleQuotedString(t))) => {
                    if t == v {
                        2
                    } else {
                        1
                    }
                }
                (Operand::Name(v), Some(Token::Word(w))) => {
                    if w.value.eq_ignore_ascii_case(v) {
                        2
                    } else {
                        1
                    }
                }
                _ => 0,
            }
        };
        (0..self.tokens.len())
            .filter(|&i| self.is_operator(i, m.op))
            .map(|i| {
                let after = match m.op {
                    // `IS [NOT] DISTINCT FROM`
                    Operator::IsDistinctFrom => i.saturating_add(3),
                    Operator::IsNotDistinctFrom => i.saturating_add(4),
                    _ => i.saturating_add(1),
                };
                let before = i.checked_sub(1).and_then(|b| self.tokens.get(b));
                let score = fits(before, &m.left) + fits(self.tokens.get(after), &m.right);
                (score, i)
            })
            .min_by_key(|&(score, i)| (std::cmp::Reverse(score), i))
            .and_then(|(_, i)| self.tokens.get(i))
            .map(|t| t.span.start)
    }

    fn is_operator(&self, i: usize, op: Operator) -> bool {
        let keyword = |k: usize, word: &str| {
            self.word(i.saturating_add(k))
                .is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
        };
        match op {
            Operator::Eq => self.is(i, &Token::Eq) || self.is(i, &Token::DoubleEq),
            Operator::NotEq => self.is(i, &Token::Neq),
            Operator::Lt => self.is(i, &Token::Lt),
            Operator::LtEq => self.is(i, &Token::LtEq),
            Operator::Gt => self.is(i, &Token::Gt),
            Operator::GtEq => self.is(i, &Token::GtEq),
            Operator::Plus => self.is(i, &Token::Plus),
            Operator::Minus => self.is(i, &Token::Minus),
            Operator::Multiply => self.is(i, &Token::Mul),
            Operator::Divide => self.is(i, &Token::Div),
            Operator::Modulo => self.is(i, &Token::Mod),
            Operator::IsDistinctFrom => keyword(0, "is") && keyword(1, "distinct"),
            Operator::IsNotDistinctFrom => {
                keyword(0, "is") && keyword(1, "not") && keyword(2, "distinct")
            }
            _ => false,
        }
    }

    /// Trino's refusal of a column reference `field` that resolves to nothing (or to two
    /// columns): `Column '<name>' <what>` at the reference.
    fn missing(&self, field: &Column, code: &'static str, what: &str) -> Refusal {
        let mut parts: Vec<&str> = Vec::new();
        if let Some(r) = &field.relation {
            parts.push(r.table());
        }
        parts.push(&field.name);
        let found = self
            .find(&parts, 0, Qualifier::Never)
            .or_else(|| self.find(&parts[parts.len().saturating_sub(1)..], 0, Qualifier::Never));
        match found {
            Some(f) => Refusal::at(code, f.start, format!("Column '{}' {what}", f.canonical)),
            None => Refusal::at(
                code,
                Location::new(1, 1),
                format!("Column '{}' {what}", field.flat_name().to_lowercase()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(sql: &str, parts: &[&str], qualifier: Qualifier) -> Option<(u64, u64, String)> {
        let tokens = Tokenizer::new(&LakeDialect, sql)
            .tokenize_with_location()
            .expect("tokens");
        let r = References::new(&tokens);
        r.find(parts, 0, qualifier)
            .map(|f| (f.start.line, f.start.column, f.canonical))
    }

    #[test]
    fn argument_types_split_at_top_level_commas() {
        assert_eq!(
            top_level_parts(r#"Struct("a": Utf8, "b": Int64), Timestamp(ms, "UTC"), Utf8"#),
            vec![
                r#"Struct("a": Utf8, "b": Int64)"#,
                r#"Timestamp(ms, "UTC")"#,
                "Utf8"
            ]
        );
        assert!(top_level_parts("").is_empty());
    }

    #[test]
    fn references_are_found_and_named_as_trino_names_them() {
        assert_eq!(
            located(
                "SELECT count(*) AS Foo, x.Foo, Foo FROM t",
                &["foo"],
                Qualifier::Never
            ),
            Some((1, 32, "foo".into()))
        );
        assert_eq!(
            located(
                "SELECT a\n  FROM t WHERE e.\"Bar\" = 1",
                &["e", "Bar"],
                Qualifier::Never
            ),
            Some((2, 16, "e.bar".into()))
        );
        assert_eq!(
            located(
                "SELECT lower(y), e.userIdentity.X FROM t",
                &["x"],
                Qualifier::Allowed
            ),
            Some((1, 18, "e.useridentity.x".into()))
        );
        assert_eq!(
            located("SELECT lower(1) FROM t", &["lower"], Qualifier::Never),
            None
        );
        assert_eq!(
            located("SELECT x, (y).x, a.x FROM t", &["x"], Qualifier::Required),
            Some((1, 15, "x".into()))
        );
    }
}
