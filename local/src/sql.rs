//! Lake SQL as DataFusion needs it: the FROM clause's bare hyphenated store ids quoted, Lake's
//! output column names derived from the SELECT list, and the eventTime bounds that decide what a
//! query scans.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    visit_expressions_mut, AccessExpr, BinaryOperator, CaseWhen, CastKind, DataType as SqlType,
    Expr, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident, JoinOperator,
    LimitClause, OrderBy, Query, Select, SelectItem, SetExpr, Spanned, Statement, Subscript,
    TableFactor, Value as SqlValue, Visit, VisitMut, Visitor, VisitorMut,
};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Span, Token, Tokenizer, Word};

use crate::dialect::LakeDialect;
use crate::refusal::Refusal;

/// A statement ready for DataFusion, with what the service needs to know about it.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The SQL DataFusion runs.
    pub sql: String,
    /// Output naming, one entry per SELECT item.
    pub names: Vec<NameSpec>,
    /// For a plain SELECT over one store: the WHERE clause as SQL, and its eventTime conjuncts.
    pub single_table: Option<SingleTable>,
}

/// A plain `SELECT ... FROM <store> WHERE ...` (no join or set operation).
#[derive(Debug, Clone)]
pub struct SingleTable {
    pub table: String,
    /// The table's alias, if it has one.
    pub alias: Option<String>,
    pub filter: Option<String>,
    pub time_filter: Option<String>,
    /// The WHERE clause's top-level conjuncts as written, each with the (lower-case) columns
    /// it reads.
    pub conjuncts: Vec<(String, BTreeSet<String>)>,
}

impl SingleTable {
    /// The conjuncts that read only `columns` (and at least one of them), joined with AND.
    pub fn filter_on(&self, columns: &[&str]) -> Option<String> {
        let parts: Vec<String> = self
            .conjuncts
            .iter()
            .filter(|(_, cols)| {
                !cols.is_empty() && cols.iter().all(|c| columns.contains(&c.as_str()))
            })
            .map(|(text, _)| format!("({text})"))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }
}

/// The columns an expression reads (last name part, lower-case).
fn columns_of(e: &Expr) -> BTreeSet<String> {
    struct Cols(BTreeSet<String>);
    impl Visitor for Cols {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Identifier(id) => {
                    self.0.insert(id.value.to_ascii_lowercase());
                }
                Expr::CompoundIdentifier(parts) => {
                    if let Some(p) = parts.last() {
                        self.0.insert(p.value.to_ascii_lowercase());
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut c = Cols(BTreeSet::new());
    let _ = e.visit(&mut c);
    c.0
}

/// How Lake names one SELECT item.
#[derive(Debug, Clone, PartialEq)]
pub enum NameSpec {
    /// A column or alias, named as written.
    Named(String),
    /// An expression with no name: Lake calls it `_col<position>`.
    Unnamed,
    /// `*` or `t.*`: the columns' own names.
    Wildcard,
}

/// Why a statement cannot run.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{0}")]
    Syntax(String),
    #[error("only a single SELECT statement is supported")]
    NotSelect,
    /// A statement Trino refuses although it parses here, with Trino's error name and message.
    #[error("{0}")]
    Analysis(Refusal),
    /// Expressions nesting deeper than [`crate::nesting::MAX_DEPTH`], or a chain longer than
    /// [`crate::nesting::MAX_CHAIN`] (STACK_OVERFLOW).
    #[error("{}", crate::nesting::TOO_LARGE)]
    TooLarge,
}

/// Quotes every bare occurrence of a known store id (outside strings, quoted names and comments),
/// since DataFusion reads `FROM 5e2676f8-9fce-...` as a subtraction.
pub fn quote_store_ids(sql: &str, ids: &[&str]) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let skip_to = match c {
            b'\'' | b'"' | b'`' => find_close(bytes, i + 1, c),
            b'-' if bytes.get(i + 1) == Some(&b'-') => find_byte(bytes, i, b'\n'),
            b'/' if bytes.get(i + 1) == Some(&b'*') => sql[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |p| i + 2 + p + 2),
            _ => 0,
        };
        if skip_to > i {
            out.push_str(&sql[i..skip_to]);
            i = skip_to;
            continue;
        }
        let word_start = i == 0 || !is_word(bytes[i - 1]);
        if word_start {
            if let Some(id) = ids.iter().find(|id| {
                let end = i + id.len();
                end <= bytes.len()
                    && bytes[i..end].eq_ignore_ascii_case(id.as_bytes())
                    && bytes.get(end).is_none_or(|b| !is_word(*b) && *b != b'-')
            }) {
                out.push('"');
                out.push_str(id);
                out.push('"');
                i += id.len();
                continue;
            }
        }
        // Advance one whole UTF-8 character.
        let ch_len = sql[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&sql[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// `at`'s line and column in `original`, given as a position in `quoted` (`original` after
/// [`quote_store_ids`]): the quotes it added are not the user's, so a message must not count
/// them.
pub fn unquoted_position(original: &str, quoted: &str, at: (u64, u64)) -> (u64, u64) {
    let mut orig = original.chars().peekable();
    let (mut line, mut column) = (1u64, 1u64);
    let (mut o_line, mut o_column) = (1u64, 1u64);
    for c in quoted.chars() {
        if (line, column) == at {
            return (o_line, o_column);
        }
        // The store id is written back in lower case: compare letters in any case.
        if orig.peek().is_some_and(|o| o.eq_ignore_ascii_case(&c)) {
            orig.next();
            if c == '\n' {
                (o_line, o_column) = (o_line.saturating_add(1), 1);
            } else {
                o_column = o_column.saturating_add(1);
            }
        }
        if c == '\n' {
            (line, column) = (line.saturating_add(1), 1);
        } else {
            column = column.saturating_add(1);
        }
    }
    (o_line, o_column)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn find_close(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut j = from;
    while j < bytes.len() {
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> usize {
    bytes[from..]
        .iter()
        .position(|&x| x == b)
        .map_or(bytes.len(), |p| from + p)
}

/// Parses a Lake statement (after [`quote_store_ids`]) and derives names and scan bounds;
/// `table_columns` are the columns of the table the statement reads (for names an UNNEST
/// shares with it). Runs on a stack of its own: the statement may nest as deep as its length
/// allows until [`crate::nesting`] balances or refuses it.
pub fn prepare(sql: &str, table_columns: &[String]) -> Result<Prepared, PrepareError> {
    crate::nesting::on_statement_stack(sql, || prepare_on_this_stack(sql, table_columns))
}

fn prepare_on_this_stack(sql: &str, table_columns: &[String]) -> Result<Prepared, PrepareError> {
    // sqlparser reads no `array(varchar)`, `map(...)` or `row(...)` type, no SQL/JSON clause
    // and no bare VALUES row, and DataFusion casts nothing to JSON: such casts and SQL/JSON
    // calls become calls of the service's own functions, and the rows get parentheses, before
    // anything parses.
    let cast_text = token_rewrites(sql);
    let sql = cast_text.as_deref().unwrap_or(sql);
    let mut query = parse_query(sql)?;
    // Before anything else walks the statement: long chains balanced, or refused.
    let balanced = crate::nesting::balance(&mut query).map_err(|_| PrepareError::TooLarge)?;
    if crate::nesting::depth(&query) > crate::nesting::MAX_DEPTH {
        return Err(PrepareError::TooLarge);
    }
    if let Some(refusal) = crate::registry::unregistered(query.as_ref()) {
        return Err(PrepareError::Analysis(refusal));
    }
    // Lake's output names come from the statement as written.
    let names = names_of_query(&query, &[]);
    let folded = fold_quoted_names(sql);
    let mut stmt = Statement::Query(match &folded {
        Some(text) => {
            let mut q = parse_query(text)?;
            crate::nesting::balance(&mut q).map_err(|_| PrepareError::TooLarge)?;
            q
        }
        None => query,
    });
    // Only a statement that needs a rewrite is re-rendered: the rest run as written.
    let rewritten = balanced
        | fetch_first(&mut stmt)?
        | unnest_joins(&mut stmt, table_columns)?
        | lambda_fields(&mut stmt)
        | field_access(&mut stmt)
        | substrings(&mut stmt)
        | conditionals(&mut stmt)
        | text_casts(&mut stmt)
        | double_literals(&mut stmt)
        | match_rewrites(&mut stmt)
        | distinct_subquery_keys(&mut stmt)
        | window_aliases(&mut stmt)
        | dedupe_outputs(&mut stmt);
    let text = if rewritten {
        stmt.to_string()
    } else {
        folded.unwrap_or_else(|| sql.to_string())
    };
    // The scan bounds and statistics filters are read from the text that runs, so they mean
    // what the query means (a rendered text parses again: it is sqlparser's own output).
    let single_table = if text == sql {
        match &stmt {
            Statement::Query(q) => single_table(&text, q),
            _ => None,
        }
    } else {
        parse_query(&text)
            .ok()
            .and_then(|q| single_table(&text, &q))
    };
    Ok(Prepared {
        sql: text,
        names,
        single_table,
    })
}

/// The one SELECT (or set operation) `sql` holds.
fn parse_query(sql: &str) -> Result<Box<Query>, PrepareError> {
    let mut stmts =
        Parser::parse_sql(&LakeDialect, sql).map_err(|e| PrepareError::Syntax(e.to_string()))?;
    if stmts.len() != 1 {
        return Err(PrepareError::NotSelect);
    }
    match stmts.pop() {
        Some(Statement::Query(query)) => Ok(query),
        _ => Err(PrepareError::NotSelect),
    }
}

/// Trino folds quoted names to lower case as it does bare ones (`"eventName"` is `eventname`,
/// an alias `"Total"` is `total` wherever it is used); DataFusion keeps a quoted name's case,
/// and the schema's names are lower-case. Every double-quoted name but a store id (which has
/// hyphens, and is kept as written) is folded, at the token level so that aliases, qualifiers
/// and columns agree. `None` when there is nothing to fold.
fn fold_quoted_names(sql: &str) -> Option<String> {
    // Kept as written: an unescaped `'it''s'` would render as `'it's'`.
    let tokens = Tokenizer::new(&LakeDialect, sql)
        .with_unescape(false)
        .tokenize()
        .ok()?;
    let foldable = |w: &Word| {
        w.quote_style == Some('"')
            && !w.value.contains('-')
            && !w.value.contains('"')
            && w.value.chars().any(|c| c.is_ascii_uppercase())
    };
    if !tokens
        .iter()
        .any(|t| matches!(t, Token::Word(w) if foldable(w)))
    {
        return None;
    }
    Some(
        tokens
            .into_iter()
            .map(|t| match t {
                Token::Word(mut w) if foldable(&w) => {
                    w.value = w.value.to_ascii_lowercase();
                    Token::Word(w).to_string()
                }
                other => other.to_string(),
            })
            .collect(),
    )
}

/// Trino's syntax that sqlparser or DataFusion cannot read, rewritten at the token level:
/// - `CAST(x AS t)` and `TRY_CAST(x AS t)` where `t` is a Trino type that DataFusion cannot
///   cast to (one naming `array`, `map`, `row` or `json`, as `array(map(varchar, json))`, that
///   the service's cast reads), as calls of the service's cast, [`crate::udf::CAST`] (or
///   [`crate::udf::TRY_CAST`]), with the type as text: `"$trino_cast"(x, 'array(varchar)')`;
/// - a JSON literal (`JSON '{"a": 1}'`), which DataFusion has no type for, as the text's
///   `json_parse`;
/// - the SQL/JSON functions, whose clauses sqlparser does not read (`json_object('k' : v
///   ABSENT ON NULL)`, `json_query(j, 'lax $.a' WITH ARRAY WRAPPER)`), as calls of the
///   service's hidden functions with the clauses as a text first (see [`crate::json_syntax`]);
/// - VALUES rows Trino writes without parentheses (`VALUES 1, 2`), in parentheses.
///
/// `None` when there is none of these. Tokens are kept as written (not unescaped, so `'it''s'`
/// renders as it was), and each rewrite is a few local edits found in linear passes over the
/// tokens (each call's items, each VALUES clause's rows, are read once).
fn token_rewrites(sql: &str) -> Option<String> {
    let tokens = Tokenizer::new(&LakeDialect, sql)
        .with_unescape(false)
        .tokenize()
        .ok()?;
    if !tokens.iter().any(|t| {
        is_composite_type_word(t)
            || crate::json_syntax::is_function_word(t)
            || matches!(t, Token::Word(w) if w.quote_style.is_none()
                && w.value.eq_ignore_ascii_case("VALUES"))
    }) {
        return None;
    }
    // Each opening parenthesis's closing one, and the first `AS` directly inside it.
    let (mut close, mut first_as) = (vec![None; tokens.len()], vec![None; tokens.len()]);
    let mut open: Vec<usize> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::LParen | Token::LBracket => open.push(i),
            Token::RParen | Token::RBracket => {
                if let Some(o) = open.pop() {
                    close[o] = Some(i);
                }
            }
            Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("AS") => {
                if let Some(&o) = open.last() {
                    first_as[o] = first_as[o].or(Some(i));
                }
            }
            _ => {}
        }
    }
    let next_solid =
        |from: usize| (from..tokens.len()).find(|&j| !matches!(tokens[j], Token::Whitespace(_)));
    let mut edits: Vec<Option<String>> = vec![None; tokens.len()];
    // Parentheses around a VALUES row, kept apart from the edits of the tokens they surround.
    let (mut before, mut after) = (vec![false; tokens.len()], vec![false; tokens.len()]);
    let mut changed = false;
    for (i, t) in tokens.iter().enumerate() {
        let Token::Word(w) = t else { continue };
        if w.quote_style.is_some() || edits[i].is_some() {
            continue;
        }
        let keyword = w.value.to_ascii_uppercase();
        if keyword == "JSON" {
            let literal = next_solid(i + 1).filter(|&j| {
                matches!(tokens[j], Token::SingleQuotedString(_)) && edits[j].is_none()
            });
            if let Some(j) = literal {
                edits[i] = Some("json_parse(".into());
                edits[j] = Some(format!("{})", tokens[j]));
                changed = true;
            }
            continue;
        }
        if keyword == "VALUES" {
            for (first, last) in bare_values_rows(&tokens, &close, i + 1) {
                before[first] = true;
                after[last] = true;
                changed = true;
            }
            continue;
        }
        if let Some(hidden) = crate::json_syntax::hidden_name(&keyword) {
            let paren = next_solid(i + 1).filter(|&j| tokens[j] == Token::LParen);
            if let Some(rewrite) =
                paren.and_then(|p| crate::json_syntax::rewrite(&tokens, &close, p, hidden))
            {
                for (at, text) in rewrite {
                    edits[at] = Some(text);
                }
                edits[i] = Some(format!("\"{hidden}\""));
                changed = true;
            }
            continue;
        }
        let name = match keyword.as_str() {
            "CAST" => crate::udf::CAST,
            "TRY_CAST" => crate::udf::TRY_CAST,
            _ => continue,
        };
        let Some(paren) = next_solid(i + 1).filter(|&j| tokens[j] == Token::LParen) else {
            continue;
        };
        let (Some(as_at), Some(end)) = (first_as[paren], close[paren]) else {
            continue;
        };
        let Some(type_text) = composite_type_text(&tokens[as_at + 1..end]) else {
            continue;
        };
        edits[i] = Some(format!("\"{name}\""));
        edits[as_at] = Some(format!(", '{type_text}'"));
        for e in &mut edits[as_at + 1..end] {
            *e = Some(String::new());
        }
        changed = true;
    }
    if !changed {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + 16);
    for (i, (t, e)) in tokens.iter().zip(edits).enumerate() {
        if before[i] {
            out.push('(');
        }
        out.push_str(&e.unwrap_or_else(|| t.to_string()));
        if after[i] {
            out.push(')');
        }
    }
    Some(out)
}

/// The rows of a VALUES clause from token `from` that Trino writes without parentheses
/// (`VALUES 1, 2`, each row one column; sqlparser reads only `VALUES (1), (2)`), as the first
/// and last token of each. A row that is one parenthesised group, or `ROW(...)`, is left as it
/// is (a scalar subquery as a row, `VALUES (SELECT 1)`, is not read). The clause ends at
/// its enclosing parenthesis, the statement's end, another `VALUES` or `SELECT` at its level
/// (so no token is scanned twice), or a word that follows a query (`ORDER`, `LIMIT`,
/// `UNION`...).
fn bare_values_rows(tokens: &[Token], close: &[Option<usize>], from: usize) -> Vec<(usize, usize)> {
    const ENDS: &[&str] = &[
        "ORDER",
        "LIMIT",
        "OFFSET",
        "FETCH",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "WINDOW",
        "VALUES",
        "SELECT",
    ];
    let keyword = |t: &Token, k: &str| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k));
    let solid_after =
        |j: usize| (j + 1..tokens.len()).find(|&k| !matches!(tokens[k], Token::Whitespace(_)));
    let mut rows = Vec::new();
    // The current row: its first and last token, and whether it needs no parentheses so far.
    let mut row: Option<(usize, usize, bool)> = None;
    let mut j = from;
    let mut finish = |row: &mut Option<(usize, usize, bool)>| {
        if let Some((first, last, as_is)) = row.take() {
            if !as_is {
                rows.push((first, last));
            }
        }
    };
    while j < tokens.len() {
        match &tokens[j] {
            Token::Whitespace(_) => {}
            Token::Comma => finish(&mut row),
            Token::RParen | Token::RBracket | Token::SemiColon => break,
            t if ENDS.iter().any(|k| keyword(t, k)) => break,
            t => {
                // `ROW(...)` is one item, as a parenthesised list is.
                let (last, as_is) = match t {
                    Token::Word(_) if keyword(t, "ROW") => match solid_after(j) {
                        Some(p) if tokens[p] == Token::LParen => (close[p].unwrap_or(p), true),
                        _ => (j, false),
                    },
                    Token::LParen => (close[j].unwrap_or(j), true),
                    Token::LBracket => (close[j].unwrap_or(j), false),
                    _ => (j, false),
                };
                row = Some(match row {
                    None => (j, last, as_is),
                    Some((first, _, _)) => (first, last, false),
                });
                j = last;
            }
        }
        j += 1;
    }
    finish(&mut row);
    rows
}

/// Whether `t` names a type that only the service's cast reaches.
fn is_composite_type_word(t: &Token) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none()
        && ["array", "map", "row", "json"].iter().any(|k| w.value.eq_ignore_ascii_case(k)))
}

/// A cast's type tokens as the service's cast reads the type (lower-case, spaced by single
/// blanks, `ARRAY<BIGINT>` as `array(bigint)`), when the type names a composite type or JSON
/// and the service's cast reads it; `None` leaves the cast to DataFusion.
fn composite_type_text(type_tokens: &[Token]) -> Option<String> {
    if !type_tokens.iter().any(is_composite_type_word) {
        return None;
    }
    let mut text = String::new();
    for t in type_tokens {
        match t {
            Token::Whitespace(_) => {
                if !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                }
            }
            // A quoted field name keeps its case; a quote would end the literal.
            Token::Word(w) if w.quote_style == Some('"') && !w.value.contains(['\'', '"']) => {
                text.push_str(&t.to_string());
            }
            Token::Word(w) if w.quote_style.is_none() => {
                text.push_str(&w.value.to_ascii_lowercase());
            }
            Token::LParen | Token::RParen | Token::Comma | Token::Number(..) => {
                text.push_str(&t.to_string());
            }
            // Trino also writes `ARRAY<BIGINT>` and `MAP<VARCHAR, ARRAY<BIGINT>>`.
            Token::Lt => text.push('('),
            Token::Gt => text.push(')'),
            Token::ShiftRight => text.push_str("))"),
            _ => return None,
        }
    }
    let text = text.trim().to_string();
    crate::udf::reads_cast_type(&text).then_some(text)
}

/// `substr(s, start[, length])` and `SUBSTRING(s FROM start FOR length)` with Trino's meaning (a
/// negative start counts from the end): DataFusion plans SQL's SUBSTRING with its own function,
/// so they become calls of [`crate::udf::SUBSTR`].
fn substrings(stmt: &mut Statement) -> bool {
    rewrite_each(stmt, |e| {
        let Expr::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } = e
        else {
            return None;
        };
        // `SUBSTRING(s FOR n)` starts at the first character.
        let from = substring_from
            .as_ref()
            .map_or_else(|| "1".to_string(), ToString::to_string);
        let mut call = format!("{}({expr}, {from}", crate::udf::SUBSTR);
        if let Some(n) = substring_for {
            call.push_str(&format!(", {n}"));
        }
        call.push(')');
        Some(call)
    })
}

/// Replaces every expression for which `text_of` gives a text with the expression it spells
/// (see [`replace_with`]); whether any changed.
fn rewrite_each(stmt: &mut Statement, mut text_of: impl FnMut(&Expr) -> Option<String>) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(stmt, |e| {
        if let Some(text) = text_of(e) {
            changed |= replace_with(e, &text);
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// Replaces `e` with the expression `text` (built from `e`'s own parts, which print as SQL that
/// parses again); should it not parse, `e` is left as it is and DataFusion reports it.
fn replace_with(e: &mut Expr, text: &str) -> bool {
    match Parser::new(&LakeDialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
    {
        Ok(parsed) => {
            *e = parsed;
            true
        }
        Err(_) => false,
    }
}

/// What an aggregate call of `e` adds around its arguments, as SQL: `DISTINCT `, its FILTER
/// condition and its ` OVER (...)`, for a rewrite to carry over to the aggregate it becomes.
struct AggregateParts {
    distinct: &'static str,
    filter: Option<String>,
    over: String,
}

fn aggregate_parts(e: &Expr) -> AggregateParts {
    let Expr::Function(f) = e else {
        return AggregateParts {
            distinct: "",
            filter: None,
            over: String::new(),
        };
    };
    let distinct = match &f.args {
        FunctionArguments::List(l)
            if matches!(
                l.duplicate_treatment,
                Some(datafusion::sql::sqlparser::ast::DuplicateTreatment::Distinct)
            ) =>
        {
            "DISTINCT "
        }
        _ => "",
    };
    AggregateParts {
        distinct,
        filter: f.filter.as_ref().map(|c| format!("({c})")),
        over: f
            .over
            .as_ref()
            .map_or_else(String::new, |w| format!(" OVER {w}")),
    }
}

/// The texts of `args` when every one is a single-quoted string.
fn constant_texts<'a>(args: &[&'a Expr]) -> Option<Vec<&'a str>> {
    args.iter()
        .map(|a| match a {
            Expr::Value(v) => match &v.value {
                SqlValue::SingleQuotedString(s) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The unnamed arguments of a call of `name` (any case), if `e` is one.
fn call_args<'a>(e: &'a Expr, name: &str) -> Option<Vec<&'a Expr>> {
    let Expr::Function(f) = e else {
        return None;
    };
    if !f.name.to_string().eq_ignore_ascii_case(name) {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
            _ => None,
        })
        .collect()
}

/// Trino's `if(condition, then[, else])`, `mod(n, m)`, `geometric_mean(x)`,
/// `reduce_agg(x, initial, input, combine)` and `try(x)`, which DataFusion lacks, and
/// `t AT TIME ZONE z` and `normalize(s, NFD)`, which it reads otherwise: a CASE, a remainder
/// (both keep the sign of the dividend), the exponential of the mean logarithm,
/// `reduce` over the gathered values, `at_timezone(t, z)`, the form as
/// a string, and [`crate::udf::TRY`], which evaluates `x` as a lambda so that it can evaluate it
/// again row by row after an error.
fn conditionals(stmt: &mut Statement) -> bool {
    rewrite_each(stmt, |e| {
        if let Some(args) = call_args(e, "if") {
            match args.as_slice() {
                [c, t] => Some(format!("CASE WHEN {c} THEN {t} END")),
                [c, t, f] => Some(format!("CASE WHEN {c} THEN {t} ELSE {f} END")),
                _ => None,
            }
        } else if let Some([n, m]) = call_args(e, "mod").as_deref() {
            Some(format!("(({n}) % ({m}))"))
        } else if let Some([x]) = call_args(e, "geometric_mean").as_deref() {
            // As Trino computes it: the exponential of the mean of the logarithms.
            let AggregateParts {
                distinct,
                filter,
                over,
            } = aggregate_parts(e);
            let filter = filter.map_or_else(String::new, |c| format!(" FILTER (WHERE {c})"));
            Some(format!(
                "exp(avg({distinct}ln(CAST({x} AS DOUBLE))){filter}{over})"
            ))
        } else if let Expr::AtTimeZone {
            timestamp,
            time_zone,
        } = e
        {
            // Trino reads a timestamp without a zone as UTC and shows the instant in the zone;
            // DataFusion would keep the wall clock instead.
            Some(format!("at_timezone({timestamp}, {time_zone})"))
        } else if let Some([x, Expr::Identifier(form)]) = call_args(e, "normalize").as_deref() {
            // Trino names the form as a keyword: `normalize(s, NFD)`.
            Some(format!(
                "normalize({x}, '{}')",
                form.value.replace('\'', "")
            ))
        } else if let Some([x, initial, input, _combine]) = call_args(e, "reduce_agg").as_deref() {
            // The non-NULL values gathered and folded by `input` in one go: the same state
            // Trino reaches by combining partial states (it requires `combine` to agree).
            let AggregateParts {
                distinct,
                filter,
                over,
            } = aggregate_parts(e);
            let filter = filter.map_or_else(String::new, |c| format!(" AND {c}"));
            Some(format!(
                "reduce(array_agg({distinct}{x}) FILTER (WHERE ({x}) IS NOT NULL{filter}){over}, \
                 {initial}, {input}, __trailwatch_state -> __trailwatch_state)"
            ))
        } else if let Some((name, texts)) = ["from_iso8601_timestamp", "parse_datetime"]
            .iter()
            .find_map(|n| Some((*n, constant_texts(&call_args(e, n)?)?)))
        {
            // Trino keeps the offset a constant text names; the hidden form carries the zone,
            // fixed here (see `crate::udf::zone::ZonedResult`).
            let zone = crate::udf::zone::constant_zone(name, &texts)?;
            let args: Vec<String> = texts
                .iter()
                .chain([&zone.as_str()])
                .map(|t| format!("'{}'", t.replace('\'', "''")))
                .collect();
            Some(format!(
                "\"{}\"({})",
                crate::udf::zone::with_zone_argument(name),
                args.join(", ")
            ))
        } else if let Some((name, [x, Expr::Value(v)])) = ["to_char", "to_timestamp", "to_date"]
            .iter()
            .find_map(|n| call_args(e, n).map(|a| (*n, a)))
            .as_ref()
            .map(|(n, a)| (*n, a.as_slice()))
        {
            // Trino's Teradata functions: a Teradata format, as the Joda pattern Trino turns it
            // into (DataFusion's functions of these names read other patterns).
            let SqlValue::SingleQuotedString(format) = &v.value else {
                return None;
            };
            let joda = match teradata_pattern(format) {
                Ok(joda) => joda.replace('\'', "''"),
                Err(message) => {
                    return Some(format!(
                        "{}('{}')",
                        crate::udf::RAISE,
                        message.replace('\'', "''")
                    ))
                }
            };
            Some(match name {
                "to_char" => format!("format_datetime({x}, '{joda}')"),
                // Teradata's timestamp has no zone (`parse_datetime` answers UTC's).
                "to_timestamp" => format!("CAST(parse_datetime({x}, '{joda}') AS TIMESTAMP(3))"),
                _ => format!("CAST(parse_datetime({x}, '{joda}') AS DATE)"),
            })
        } else if let (Some(args), Expr::Function(f)) = (call_args(e, "listagg"), e) {
            // Trino's `listagg(x, sep) WITHIN GROUP (ORDER BY ...)`: DataFusion's string_agg,
            // which also skips NULLs and gives NULL for no rows.
            let (x, sep) = match args.as_slice() {
                [x] => (x.to_string(), "''".to_string()),
                [x, sep] => (x.to_string(), sep.to_string()),
                _ => return None,
            };
            let AggregateParts {
                distinct,
                filter,
                over,
            } = aggregate_parts(e);
            let order = if f.within_group.is_empty() {
                String::new()
            } else {
                format!(
                    " ORDER BY {}",
                    f.within_group
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let filter = filter.map_or_else(String::new, |c| format!(" FILTER (WHERE {c})"));
            Some(format!(
                "string_agg({distinct}{x}, {sep}{order}){filter}{over}"
            ))
        } else if let Some([a]) = call_args(e, "array_first").as_deref() {
            Some(format!("element_at({a}, 1)"))
        } else if let Some([a]) = call_args(e, "array_last").as_deref() {
            Some(format!("element_at({a}, -1)"))
        } else if let Some([x]) = call_args(e, "try").as_deref() {
            Some(format!(
                "{}(0, {} -> {})",
                crate::udf::TRY,
                crate::udf::TRY_PARAMETER,
                deferred_literal_casts(x)
            ))
        } else {
            None
        }
    })
}

/// A Teradata date format (`yyyy-mm-dd hh24:mi:ss`, lower case) as the Joda pattern Trino reads
/// it as; Trino's error for anything else in it.
fn teradata_pattern(format: &str) -> Result<String, String> {
    // `hh` is the hour of the half day from 0 (Joda's `K`); the specifiers are lower case only.
    const TOKENS: [(&str, &str); 8] = [
        ("yyyy", "yyyy"),
        ("hh24", "HH"),
        ("yy", "yy"),
        ("mm", "MM"),
        ("dd", "dd"),
        ("hh", "KK"),
        ("mi", "mm"),
        ("ss", "ss"),
    ];
    let mut rest = format;
    let mut out = String::new();
    while let Some(c) = rest.chars().next() {
        if let Some((t, joda)) = TOKENS.iter().find(|(t, _)| rest.starts_with(t)) {
            out.push_str(joda);
            rest = &rest[t.len()..];
        } else if "-/,.;: ".contains(c) {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        } else {
            let offset = format.len() - rest.len();
            return Err(format!(
                "Failed to tokenize string [{c}] at offset [{offset}]"
            ));
        }
    }
    Ok(out)
}

/// `x` with each CAST of a literal made to depend on `try`'s lambda variable: DataFusion fails
/// the whole query when it folds a CAST of a literal that cannot be cast (`try(CAST('abc' AS
/// bigint))`) while planning; a cast left to run is one `try` can catch.
fn deferred_literal_casts(x: &Expr) -> Expr {
    let mut x = x.clone();
    let _ = visit_expressions_mut(&mut x, |e| {
        if let Expr::Cast { expr, .. } = e {
            if matches!(**expr, Expr::Value(_)) {
                let text = format!(
                    "CASE WHEN {} IS NULL THEN NULL ELSE {expr} END",
                    crate::udf::TRY_PARAMETER
                );
                replace_with(expr, &text);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    x
}

/// Trino's text for `CAST(x AS varchar)` (`TRY_CAST` too): timestamps `2023-07-10 11:42:18.000`
/// and dates `2023-07-10`, where DataFusion writes ISO 8601 with a `T`, and doubles and reals
/// in Java's scientific notation (`1.0E0`); see [`crate::udf::VARCHAR`].
fn text_casts(stmt: &mut Statement) -> bool {
    rewrite_each(stmt, |e| match e {
        Expr::Cast {
            kind: CastKind::Cast | CastKind::TryCast,
            expr,
            data_type:
                SqlType::Varchar(_)
                | SqlType::CharacterVarying(_)
                | SqlType::CharVarying(_)
                | SqlType::Nvarchar(_)
                | SqlType::Text
                | SqlType::String(_),
            ..
        } => Some(format!("{}({expr})", crate::udf::VARCHAR)),
        _ => None,
    })
}

/// Trino's DOUBLE for a number with an exponent (`1e3`, `2.5E-1`): DataFusion reads every
/// number with a fraction or exponent as a decimal (as Trino reads `0.1`, see
/// [`crate::udf`]'s decimals), so such a literal is spelled `DOUBLE '1e3'`.
fn double_literals(stmt: &mut Statement) -> bool {
    rewrite_each(stmt, |e| match e {
        Expr::Value(v) => match &v.value {
            SqlValue::Number(n, _) if n.contains(['e', 'E']) => Some(format!("DOUBLE '{n}'")),
            _ => None,
        },
        _ => None,
    })
}

/// Trino's `all_match(a, x -> p)` and `none_match(a, x -> p)`, which DataFusion lacks, through
/// its `array_any_match` (Trino's `any_match`): none matches when not any does, all match when
/// none fails (`NOT p`), with the same NULL for an undecided element. `array_sort` with a
/// comparator and `regexp_replace` with a lambda go to their lambda forms
/// ([`crate::udf::SORT`], [`crate::udf::REGEXP_REPLACE`]), DataFusion's functions keeping the
/// names; `array_sort(a)` goes to DataFusion's with `'ASC', 'NULLS LAST'`, as Trino puts NULLs
/// last.
fn match_rewrites(stmt: &mut Statement) -> bool {
    rewrite_each(stmt, |e| {
        if let Some([a, Expr::Lambda(f)]) = call_args(e, "all_match").as_deref() {
            Some(format!(
                "(NOT array_any_match({a}, {} -> NOT ({})))",
                f.params, f.body
            ))
        } else if let Some([a, f @ Expr::Lambda(_)]) = call_args(e, "none_match").as_deref() {
            Some(format!("(NOT array_any_match({a}, {f}))"))
        } else if let Some([a, f @ Expr::Lambda(_)]) = call_args(e, "array_sort").as_deref() {
            Some(format!("{}({a}, {f})", crate::udf::SORT))
        } else if let Some([a]) = call_args(e, "array_sort").as_deref() {
            // Trino puts NULL elements last; DataFusion's one-argument form puts them first.
            Some(format!("array_sort({a}, 'ASC', 'NULLS LAST')"))
        } else if let Some([s, p, f @ Expr::Lambda(_)]) = call_args(e, "regexp_replace").as_deref()
        {
            Some(format!("{}({s}, {p}, {f})", crate::udf::REGEXP_REPLACE))
        } else {
            None
        }
    })
}

/// Trino's `FETCH FIRST n ROWS ONLY` (`FETCH NEXT ROW ONLY` is one row) as the `LIMIT n`
/// DataFusion plans, in every query of the statement, its OFFSET kept. `WITH TIES` is refused:
/// DataFusion has nothing that keeps the rows tied with the last one; so are `PERCENT`, a count
/// below 1 (with Trino's message) and LIMIT beside FETCH.
fn fetch_first(stmt: &mut Statement) -> Result<bool, PrepareError> {
    struct Fetches {
        changed: bool,
    }
    impl VisitorMut for Fetches {
        type Break = PrepareError;
        fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<PrepareError> {
            let Some(fetch) = q.fetch.take() else {
                return ControlFlow::Continue(());
            };
            if fetch.percent {
                return ControlFlow::Break(PrepareError::Syntax(
                    "FETCH FIRST ... PERCENT is not Trino's".into(),
                ));
            }
            if fetch.with_ties {
                return ControlFlow::Break(PrepareError::Analysis(Refusal::at(
                    "NOT_SUPPORTED",
                    datafusion::sql::sqlparser::tokenizer::Location::new(1, 1),
                    "FETCH FIRST ... WITH TIES is not supported by the local service".into(),
                )));
            }
            if let Some(Expr::Value(v)) = &fetch.quantity {
                if let SqlValue::Number(n, _) = &v.value {
                    if n.parse::<i64>().is_ok_and(|n| n < 1) {
                        return ControlFlow::Break(PrepareError::Syntax(format!(
                            "FETCH FIRST row count must be positive (actual value: {n})"
                        )));
                    }
                }
            }
            let limit = fetch
                .quantity
                .unwrap_or_else(|| Expr::value(SqlValue::Number("1".into(), false)));
            q.limit_clause = Some(match q.limit_clause.take() {
                Some(LimitClause::LimitOffset {
                    limit: None,
                    offset,
                    limit_by,
                }) => LimitClause::LimitOffset {
                    limit: Some(limit),
                    offset,
                    limit_by,
                },
                None => LimitClause::LimitOffset {
                    limit: Some(limit),
                    offset: None,
                    limit_by: Vec::new(),
                },
                // Trino's grammar has no LIMIT beside FETCH.
                Some(_) => {
                    return ControlFlow::Break(PrepareError::Syntax(
                        "a query takes LIMIT or FETCH FIRST, not both".into(),
                    ))
                }
            });
            self.changed = true;
            ControlFlow::Continue(())
        }
    }
    let mut fetches = Fetches { changed: false };
    match stmt.visit(&mut fetches) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(fetches.changed),
    }
}

/// Trino's `FROM t CROSS JOIN UNNEST(a) AS u(x)` (or `FROM t, UNNEST(a) AS u(x)`): one row per
/// element of `a`, none for an empty or NULL array; an array of ROWs gives one column per field
/// (`UNNEST(resources) AS u(accountid, type, arn, arnprefix)`). DataFusion cannot plan an UNNEST
/// that reads the joined table's columns, but unnests in a projection: `t` becomes a derived
/// table named `t` holding its columns and the element's (see [`crate::udf::UNNEST_FIELD`]).
/// Several arrays unnest side by side, as in Trino, and WITH ORDINALITY adds the position; forms
/// this does not cover (no column names, a join before the UNNEST) are left for DataFusion to
/// refuse.
fn unnest_joins(stmt: &mut Statement, table_columns: &[String]) -> Result<bool, PrepareError> {
    struct Unnests<'a> {
        changed: bool,
        table_columns: &'a [String],
        error: Option<PrepareError>,
    }
    impl VisitorMut for Unnests<'_> {
        type Break = ();
        fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            // A table named by one of this query's WITH clauses is not the store: its
            // columns are not known here.
            let ctes: Vec<String> = q.with.as_ref().map_or_else(Vec::new, |w| {
                w.cte_tables
                    .iter()
                    .map(|c| c.alias.name.value.to_ascii_lowercase())
                    .collect()
            });
            let mut names = UnnestNames::default();
            match unnest_in(&mut q.body, self.table_columns, &ctes, &mut names)
                .and_then(|changed| names.rename_in_query(q).map(|()| changed))
            {
                Ok(changed) => {
                    self.changed |= changed;
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    self.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        }
    }
    let mut v = Unnests {
        changed: false,
        table_columns,
        error: None,
    };
    let _ = stmt.visit(&mut v);
    match v.error {
        Some(e) => Err(e),
        None => Ok(v.changed),
    }
}

/// The names the UNNEST rewrite retires: the UNNEST's own names (`u` of `u(x)`), and the
/// element columns that share a name with a column of the table (renamed `"u.x"`, which a
/// wildcard's output still calls `x`).
#[derive(Debug, Default)]
struct UnnestNames {
    gone: Vec<Ident>,
    /// (UNNEST name, column), both lower case.
    renamed: Vec<(String, String)>,
}

impl UnnestNames {
    fn hidden(alias: &str, column: &str) -> String {
        format!("{alias}.{column}")
    }

    /// `u.x` reads the element column `x` (or its renamed column), and a bare `x` that both the
    /// table and an UNNEST have is Trino's ambiguous name. `scoped`: names inside a nested
    /// query are that query's own, and left alone.
    fn rename<V: VisitMut>(
        &self,
        node: &mut V,
        bare_is_ambiguous: bool,
        scoped: bool,
    ) -> Result<(), PrepareError> {
        struct Renamer<'a> {
            names: &'a UnnestNames,
            params: Vec<String>,
            bare_is_ambiguous: bool,
            scoped: bool,
            depth: usize,
            error: Option<PrepareError>,
        }
        impl VisitorMut for Renamer<'_> {
            type Break = ();
            fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
                self.depth += 1;
                ControlFlow::Continue(())
            }
            fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
                self.depth = self.depth.saturating_sub(1);
                ControlFlow::Continue(())
            }
            fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
                if self.scoped && self.depth > 0 {
                    return ControlFlow::Continue(());
                }
                match e {
                    Expr::CompoundIdentifier(parts) if parts.len() > 1 => {
                        let first = parts[0].value.to_ascii_lowercase();
                        if self
                            .names
                            .gone
                            .iter()
                            .any(|g| g.value.eq_ignore_ascii_case(&first))
                        {
                            let column = parts[1].value.to_ascii_lowercase();
                            if self
                                .names
                                .renamed
                                .contains(&(first.clone(), column.clone()))
                            {
                                parts[1] =
                                    Ident::with_quote('"', UnnestNames::hidden(&first, &column));
                            }
                            parts.remove(0);
                            if let [only] = parts.as_slice() {
                                *e = Expr::Identifier(only.clone());
                            }
                        }
                    }
                    Expr::Identifier(id) if self.bare_is_ambiguous => {
                        let name = id.value.to_ascii_lowercase();
                        if !self.params.contains(&name)
                            && self.names.renamed.iter().any(|(_, c)| *c == name)
                        {
                            self.error = Some(PrepareError::Analysis(Refusal::at(
                                "AMBIGUOUS_NAME",
                                id.span.start,
                                format!("Column '{name}' is ambiguous"),
                            )));
                            return ControlFlow::Break(());
                        }
                    }
                    _ => {}
                }
                ControlFlow::Continue(())
            }
        }
        if self.gone.is_empty() {
            return Ok(());
        }
        // A lambda's parameter of the same name is not the column.
        let mut params: Vec<String> = Vec::new();
        let _ = visit_expressions_mut(node, |e| {
            if let Expr::Lambda(l) = e {
                params.extend(l.params.iter().map(|p| p.name.value.to_ascii_lowercase()));
            }
            ControlFlow::<()>::Continue(())
        });
        let mut renamer = Renamer {
            names: self,
            params,
            bare_is_ambiguous,
            scoped,
            depth: 0,
            error: None,
        };
        let _ = node.visit(&mut renamer);
        renamer.error.map_or(Ok(()), Err)
    }

    /// Renames in a SELECT: in FROM only the UNNEST names (an UNNEST or join condition there
    /// may read an earlier UNNEST's columns, inside the derived tables made of them); elsewhere
    /// a bare name may be ambiguous. A SELECT item `u.x` of a renamed column keeps its name `x`
    /// for the queries around it.
    fn rename_in_select(&self, select: &mut Select) -> Result<(), PrepareError> {
        self.rename(&mut select.from, false, false)?;
        for item in &mut select.projection {
            if let SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) = item {
                if let [u, column] = parts.as_slice() {
                    let key = (
                        u.value.to_ascii_lowercase(),
                        column.value.to_ascii_lowercase(),
                    );
                    if self.renamed.contains(&key) {
                        let alias = column.clone();
                        let expr = Expr::CompoundIdentifier(parts.clone());
                        *item = SelectItem::ExprWithAlias { expr, alias };
                    }
                }
            }
        }
        self.rename(&mut select.projection, true, true)?;
        self.rename(&mut select.selection, true, true)?;
        self.rename(&mut select.group_by, true, true)?;
        self.rename(&mut select.having, true, true)?;
        self.rename(&mut select.qualify, true, true)?;
        self.rename(&mut select.named_window, true, true)
    }

    /// Renames in the query's own SELECT and its ORDER BY (where a bare name may be an output
    /// column's, so is never ambiguous).
    fn rename_in_query(&self, q: &mut Query) -> Result<(), PrepareError> {
        if let SetExpr::Select(select) = q.body.as_mut() {
            self.rename_in_select(select)?;
            if let Some(order) = q.order_by.as_mut() {
                self.rename(order, false, true)?;
            }
        }
        Ok(())
    }
}

/// [`unnest_joins`] over the SELECTs of one query body.
fn unnest_in(
    body: &mut SetExpr,
    table_columns: &[String],
    ctes: &[String],
    names: &mut UnnestNames,
) -> Result<bool, PrepareError> {
    match body {
        SetExpr::Select(select) => {
            let from = &mut select.from;
            let mut changed = false;
            for twj in from.iter_mut() {
                while let Some(first) = twj.joins.first() {
                    let cross = matches!(first.join_operator, JoinOperator::CrossJoin(_));
                    let Some(derived) = cross
                        .then(|| {
                            unnested(&twj.relation, &first.relation, table_columns, ctes, names)
                        })
                        .flatten()
                    else {
                        break;
                    };
                    twj.relation = derived;
                    twj.joins.remove(0);
                    changed = true;
                }
            }
            if let [base, u] = from.as_slice() {
                if base.joins.is_empty() && u.joins.is_empty() {
                    if let Some(derived) =
                        unnested(&base.relation, &u.relation, table_columns, ctes, names)
                    {
                        from.truncate(1);
                        if let Some(base) = from.first_mut() {
                            base.relation = derived;
                            changed = true;
                        }
                    }
                }
            }
            Ok(changed)
        }
        SetExpr::SetOperation { left, right, .. } => {
            // Each side is its own SELECT, with its own names.
            let mut left_names = UnnestNames::default();
            let mut right_names = UnnestNames::default();
            let changed = unnest_in(left, table_columns, ctes, &mut left_names)?
                | unnest_in(right, table_columns, ctes, &mut right_names)?;
            if let SetExpr::Select(s) = left.as_mut() {
                left_names.rename_in_select(s)?;
            }
            if let SetExpr::Select(s) = right.as_mut() {
                right_names.rename_in_select(s)?;
            }
            Ok(changed)
        }
        _ => Ok(false),
    }
}

/// `base` with the elements of `unnest` as columns, as a derived table named as `base` is; the
/// UNNEST's own name, which no longer names a table, and its columns renamed to keep them apart
/// from the table's are recorded in `names`.
fn unnested(
    base: &TableFactor,
    unnest: &TableFactor,
    table_columns: &[String],
    ctes: &[String],
    names: &mut UnnestNames,
) -> Option<TableFactor> {
    let TableFactor::UNNEST {
        alias: Some(alias),
        array_exprs,
        with_offset: false,
        with_ordinality,
        ..
    } = unnest
    else {
        return None;
    };
    // WITH ORDINALITY: the last column is the element's position, from 1.
    let (element_columns, ordinal) = match (with_ordinality, alias.columns.split_last()) {
        (true, Some((last, rest))) if !rest.is_empty() => (rest, Some(last)),
        (true, _) => return None,
        (false, _) => (alias.columns.as_slice(), None),
    };
    // One array: its element's columns (a ROW's fields, else the element); several: one
    // column each.
    let n = element_columns.len();
    let columns: Vec<(usize, usize, usize)> = match array_exprs.len() {
        1 => (1..=n).map(|i| (0, i, n)).collect(),
        m if m == n => (0..m).map(|k| (k, 1, 1)).collect(),
        _ => return None,
    };
    let name = match base {
        TableFactor::Table { alias: Some(a), .. } | TableFactor::Derived { alias: Some(a), .. } => {
            a.name.clone()
        }
        TableFactor::Table {
            name, alias: None, ..
        } => name.0.last()?.as_ident()?.clone(),
        _ => return None,
    };
    // Element columns named like a column of the store keep apart from it: Trino tells
    // `u.x` from `t.x`, where one derived table could not.
    let known_columns: &[String] = match base {
        TableFactor::Table { name, .. }
            if !name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .is_some_and(|i| ctes.contains(&i.value.to_ascii_lowercase())) =>
        {
            table_columns
        }
        _ => &[],
    };
    let unnest_name = alias.name.value.to_ascii_lowercase();
    let mut renamed = Vec::new();
    let column_names: Vec<String> = element_columns
        .iter()
        .map(|c| {
            let lower = c.name.value.to_ascii_lowercase();
            if known_columns.iter().any(|t| t.eq_ignore_ascii_case(&lower)) {
                renamed.push((unnest_name.clone(), lower.clone()));
                Ident::with_quote('"', UnnestNames::hidden(&unnest_name, &lower)).to_string()
            } else {
                c.name.to_string()
            }
        })
        .collect();
    let hidden = |k: usize| format!("\"__trailwatch_unnest_{k}\"");
    let mut elements: Vec<String> = array_exprs
        .iter()
        .enumerate()
        .map(|(k, e)| format!("unnest({e}) AS {}", hidden(k)))
        .collect();
    let mut hidden_all: Vec<String> = (0..array_exprs.len()).map(hidden).collect();
    let quoted_alias = alias.name.value.replace('\'', "''");
    let mut fields: Vec<String> = columns
        .iter()
        .zip(&column_names)
        .map(|((k, i, n), c)| {
            format!(
                "{}({}, {i}, {n}, '{quoted_alias}') AS {c}",
                crate::udf::UNNEST_FIELD,
                hidden(*k),
            )
        })
        .collect();
    if let Some(column) = ordinal {
        // Positions 1..=n beside the elements, n the longest array's length (DataFusion pads
        // the shorter arrays it unnests side by side, as Trino does).
        // array_length counts the top level only (cardinality counts nested elements).
        let lengths: Vec<String> = array_exprs
            .iter()
            .map(|e| format!("CAST(array_length({e}) AS BIGINT)"))
            .collect();
        let longest = match lengths.as_slice() {
            [one] => one.clone(),
            _ => format!("greatest({})", lengths.join(", ")),
        };
        let position = hidden(array_exprs.len());
        elements.push(format!("unnest(range(1, {longest} + 1)) AS {position}"));
        fields.push(format!("{position} AS {}", column.name));
        hidden_all.push(position);
    }
    let text = format!(
        "(SELECT {name}.* EXCLUDE ({}), {} FROM (SELECT {name}.*, {} FROM {base}) AS {name}) AS {name}",
        hidden_all.join(", "),
        fields.join(", "),
        elements.join(", ")
    );
    let derived = Parser::new(&LakeDialect)
        .try_with_sql(&text)
        .and_then(|mut p| p.parse_table_factor())
        .ok()?;
    names.gone.push(alias.name.clone());
    names.renamed.extend(renamed);
    Some(derived)
}

/// `['field']`: reads a struct's field by name. The schema's struct fields are lower-case, as
/// Lake's names are case-insensitive.
fn field_subscript(field: &Ident) -> AccessExpr {
    let name = SqlValue::SingleQuotedString(field.value.to_ascii_lowercase());
    AccessExpr::Subscript(Subscript::Index {
        index: Expr::Value(name.with_empty_span()),
    })
}

/// Inside a lambda, `r.arn` is field `arn` of the element `r` (Trino), where DataFusion looks
/// for a column `arn` of a table `r`: it becomes `r['arn']`.
fn lambda_fields(stmt: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(stmt, |e| {
        if let Expr::Lambda(f) = e {
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| p.name.value.to_ascii_lowercase())
                .collect();
            let _ = visit_expressions_mut(&mut f.body, |b| {
                if let Expr::CompoundIdentifier(parts) = b {
                    if let [root, fields @ ..] = parts.as_slice() {
                        if !fields.is_empty() && params.contains(&root.value.to_ascii_lowercase()) {
                            let access_chain = fields.iter().map(field_subscript).collect();
                            *b = Expr::CompoundFieldAccess {
                                root: Box::new(Expr::Identifier(root.clone())),
                                access_chain,
                            };
                            changed = true;
                        }
                    }
                }
                ControlFlow::<()>::Continue(())
            });
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// Trino reads `expr.field` on any struct-typed expression (`element_at(resources, 1).arn`,
/// `resources[1].arn`); DataFusion reads it only on column names, and `expr['field']` on any
/// struct: a dot after a subscript or on a computed value becomes a subscript.
fn field_access(stmt: &mut Statement) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(stmt, |e| {
        if let Expr::CompoundFieldAccess { root, access_chain } = e {
            let mut computed = !matches!(**root, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
            for a in access_chain.iter_mut() {
                match a {
                    AccessExpr::Subscript(_) => computed = true,
                    AccessExpr::Dot(Expr::Identifier(id)) if computed => {
                        *a = field_subscript(id);
                        changed = true;
                    }
                    AccessExpr::Dot(_) => {}
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

/// The name DataFusion gives a SELECT item, near enough to tell when two collide: a column's
/// name (a cast keeps it), else the expression's text without its casts, parentheses and
/// DISTINCTs.
fn output_key(item: &SelectItem) -> Option<String> {
    fn of(e: &Expr) -> String {
        match e {
            Expr::Identifier(id) => id.value.to_ascii_lowercase(),
            Expr::CompoundIdentifier(parts) => parts
                .last()
                .map_or_else(String::new, |p| p.value.to_ascii_lowercase()),
            Expr::Cast { expr, .. } | Expr::Nested(expr) => of(expr),
            // DataFusion names IN and EXISTS subqueries alike: each such item after the first
            // gets an alias.
            other if has_subquery(other) => "\u{0}subquery".into(),
            other => {
                // DataFusion names an expression without its casts and parentheses, and a call
                // through an alias (`var_samp`) without its DISTINCT: items differing only
                // there collide. DISTINCT is dropped from every call here, which at worst gives
                // an item an internal name it did not need.
                let mut bare = other.clone();
                let _ = visit_expressions_mut(&mut bare, |e| {
                    if let Expr::Cast { expr, .. } | Expr::Nested(expr) = e {
                        *e = std::mem::replace(expr.as_mut(), Expr::value(SqlValue::Null));
                    }
                    if let Expr::Function(f) = e {
                        if let FunctionArguments::List(list) = &mut f.args {
                            list.duplicate_treatment = None;
                        }
                    }
                    ControlFlow::<()>::Continue(())
                });
                bare.to_string().to_ascii_lowercase()
            }
        }
    }
    match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_ascii_lowercase()),
        SelectItem::UnnamedExpr(e) => Some(of(e)),
        _ => None,
    }
}

/// Whether `e` holds a subquery (`x IN (SELECT ...)`, `EXISTS (...)`, `(SELECT ...)`).
fn has_subquery(e: &Expr) -> bool {
    holds(e, |x| {
        matches!(
            x,
            Expr::InSubquery { .. } | Expr::Exists { .. } | Expr::Subquery(_)
        )
    })
}

/// Whether `e` holds an IN or EXISTS subquery (a scalar subquery is named by its plan, so two
/// never collide).
fn has_predicate(e: &Expr) -> bool {
    holds(e, is_predicate)
}

/// Whether `e` itself is an IN or EXISTS subquery.
fn is_predicate(e: &Expr) -> bool {
    matches!(e, Expr::InSubquery { .. } | Expr::Exists { .. })
}

/// Whether `e` or an expression in it (subqueries' included) is `kind`.
fn holds(e: &Expr, kind: impl Fn(&Expr) -> bool) -> bool {
    use datafusion::sql::sqlparser::ast::visit_expressions;
    visit_expressions(e, |x| {
        if kind(x) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// DataFusion names every `x IN (subquery)` `IN` and every `EXISTS (...)` `EXISTS`, so an
/// aggregate grouping by two of them (`GROUP BY x IN (...), y IN (...)`) would hold two keys of
/// one name, which it refuses; Trino groups by both. In a SELECT grouping by two or more keys
/// that hold one, each such predicate (outside its subqueries) becomes `CASE WHEN n = n THEN p
/// END`, which is `p` under a name of its own: the same predicate gets the same `n` wherever the
/// SELECT list, GROUP BY, HAVING or ORDER BY repeat it, so that they still match. (Lake's
/// output names were taken from the statement before.)
fn distinct_subquery_keys(stmt: &mut Statement) -> bool {
    /// Each query whose SELECT needs it (see above).
    struct Queries {
        changed: bool,
    }
    impl VisitorMut for Queries {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            match q.body.as_mut() {
                SetExpr::Select(select) => {
                    self.changed |= tag_select(select, q.order_by.as_mut());
                }
                // Each branch of a set operation is a SELECT of its own; the ORDER BY after
                // it names the operation's columns.
                body @ SetExpr::SetOperation { .. } => {
                    for select in branches(body) {
                        self.changed |= tag_select(select, None);
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut queries = Queries { changed: false };
    let _ = stmt.visit(&mut queries);
    queries.changed
}

/// The predicates of one SELECT, each numbered by its text.
struct Tagger {
    numbers: Vec<String>,
    inside_subquery: usize,
}

/// Wraps each IN or EXISTS outside the subqueries of the expressions it visits.
impl VisitorMut for Tagger {
    type Break = ();
    fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.inside_subquery += 1;
        ControlFlow::Continue(())
    }
    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.inside_subquery = self.inside_subquery.saturating_sub(1);
        ControlFlow::Continue(())
    }
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if self.inside_subquery > 0 || !is_predicate(e) {
            return ControlFlow::Continue(());
        }
        // Named as DataFusion resolves names: unquoted identifiers in any case alike.
        let mut folded = e.clone();
        let _ = visit_expressions_mut(&mut folded, |x| {
            match x {
                Expr::Identifier(id) => fold_ident(id),
                Expr::CompoundIdentifier(parts) => parts.iter_mut().for_each(fold_ident),
                _ => {}
            }
            ControlFlow::<()>::Continue(())
        });
        let text = folded.to_string();
        let n = if let Some(i) = self.numbers.iter().position(|t| *t == text) {
            i + 1
        } else {
            self.numbers.push(text);
            self.numbers.len()
        };
        let predicate = std::mem::replace(e, Expr::value(SqlValue::Null));
        let tag = Expr::value(SqlValue::Number(n.to_string(), false));
        *e = Expr::Case {
            case_token: AttachedToken::empty(),
            end_token: AttachedToken::empty(),
            operand: None,
            conditions: vec![CaseWhen {
                condition: Expr::BinaryOp {
                    left: Box::new(tag.clone()),
                    op: BinaryOperator::Eq,
                    right: Box::new(tag),
                },
                result: predicate,
            }],
            else_result: None,
        };
        ControlFlow::Continue(())
    }
}

/// Wraps the IN and EXISTS predicates of `select` (and of the ORDER BY after it) as
/// [`distinct_subquery_keys`] says, if it groups by two keys holding one; whether it did.
fn tag_select(select: &mut Select, order: Option<&mut OrderBy>) -> bool {
    let GroupByExpr::Expressions(keys, _) = &select.group_by else {
        return false;
    };
    // A key is an expression, an output's position or an output's alias.
    let key_of = |k: &Expr| -> Option<Expr> {
        let item = match k {
            Expr::Value(v) => match &v.value {
                SqlValue::Number(n, _) => n
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| select.projection.get(i.checked_sub(1)?)),
                _ => None,
            },
            Expr::Identifier(name) => select.projection.iter().find(|item| {
                matches!(item, SelectItem::ExprWithAlias { alias, .. }
                    if alias.value.eq_ignore_ascii_case(&name.value))
            }),
            _ => None,
        };
        Some(match item {
            Some(SelectItem::ExprWithAlias { expr, .. } | SelectItem::UnnamedExpr(expr)) => {
                expr.clone()
            }
            _ => k.clone(),
        })
    };
    let with_predicates = keys.iter().filter_map(key_of).filter(has_predicate).count();
    if with_predicates < 2 {
        return false;
    }
    let mut tagger = Tagger {
        numbers: Vec::new(),
        inside_subquery: 0,
    };
    for item in &mut select.projection {
        if let SelectItem::ExprWithAlias { expr, .. } | SelectItem::UnnamedExpr(expr) = item {
            let _ = expr.visit(&mut tagger);
        }
    }
    if let GroupByExpr::Expressions(keys, _) = &mut select.group_by {
        for k in keys {
            let _ = k.visit(&mut tagger);
        }
    }
    if let Some(having) = &mut select.having {
        let _ = having.visit(&mut tagger);
    }
    if let Some(order) = order {
        let _ = order.visit(&mut tagger);
    }
    !tagger.numbers.is_empty()
}

/// The SELECTs a set operation combines (those in parenthesised queries are queries of their
/// own).
fn branches(body: &mut SetExpr) -> Vec<&mut Select> {
    match body {
        SetExpr::Select(select) => vec![select.as_mut()],
        SetExpr::SetOperation { left, right, .. } => {
            let mut out = branches(left);
            out.extend(branches(right));
            out
        }
        _ => Vec::new(),
    }
}

/// An unquoted identifier in lower case, as DataFusion reads it.
fn fold_ident(id: &mut Ident) {
    if id.quote_style.is_none() {
        id.value = id.value.to_ascii_lowercase();
    }
}

/// DataFusion fails to plan an ORDER BY over a grouped SELECT whose list holds a window
/// function without an alias (`SELECT eventName, count(*), rank() OVER (ORDER BY count(*) DESC)
/// ... GROUP BY eventName ORDER BY 3`: "Column in ORDER BY must be in GROUP BY"), which Trino
/// runs; with an alias it plans. DataFusion takes that path for any aggregating SELECT, with or
/// without GROUP BY, which the statement's text alone cannot tell: in every query with an
/// ORDER BY, each such item gets an internal alias (Lake's output names were taken from the
/// statement before; a `SELECT *` over it shows `_colN`, see [`internal_alias_name`]).
fn window_aliases(stmt: &mut Statement) -> bool {
    struct Queries {
        changed: bool,
    }
    impl VisitorMut for Queries {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            if q.order_by.is_none() {
                return ControlFlow::Continue(());
            }
            let SetExpr::Select(select) = q.body.as_mut() else {
                return ControlFlow::Continue(());
            };
            for (i, item) in select.projection.iter_mut().enumerate() {
                let SelectItem::UnnamedExpr(expr) = item else {
                    continue;
                };
                if !holds(expr, |x| matches!(x, Expr::Function(f) if f.over.is_some())) {
                    continue;
                }
                let expr = std::mem::replace(expr, Expr::value(SqlValue::Null));
                *item = SelectItem::ExprWithAlias {
                    expr,
                    alias: Ident::new(format!("_col{i}_")),
                };
                self.changed = true;
            }
            ControlFlow::Continue(())
        }
    }
    let mut queries = Queries { changed: false };
    let _ = stmt.visit(&mut queries);
    queries.changed
}

/// Trino allows output columns of one name (`SELECT eventName, eventName`, `SELECT count(*),
/// count(*)`); DataFusion does not. The later ones get internal aliases: Lake's names were
/// taken from the statement before.
fn dedupe_outputs(stmt: &mut Statement) -> bool {
    let Statement::Query(q) = stmt else {
        return false;
    };
    let SetExpr::Select(select) = q.body.as_mut() else {
        return false;
    };
    let mut seen = BTreeSet::new();
    let mut changed = false;
    for (i, item) in select.projection.iter_mut().enumerate() {
        let Some(key) = output_key(item) else {
            continue;
        };
        if seen.insert(key) {
            continue;
        }
        let alias = Ident::new(format!("_col{i}_"));
        *item = match std::mem::replace(item, SelectItem::Wildcard(Default::default())) {
            SelectItem::ExprWithAlias { expr, .. } | SelectItem::UnnamedExpr(expr) => {
                SelectItem::ExprWithAlias { expr, alias }
            }
            other => other,
        };
        changed = true;
    }
    changed
}

/// The most columns [`names_of`] names from the statement.
const MAX_NAMED_COLUMNS: usize = 10_000;

/// Lake's names for `q`'s columns, with `outer` the common table expressions it can read.
fn names_of_query(q: &Query, outer: &[&datafusion::sql::sqlparser::ast::Cte]) -> Vec<NameSpec> {
    let mut ctes: Vec<&datafusion::sql::sqlparser::ast::Cte> =
        q.with.iter().flat_map(|w| w.cte_tables.iter()).collect();
    ctes.extend(outer);
    names_of(&q.body, &ctes)
}

fn names_of(body: &SetExpr, ctes: &[&datafusion::sql::sqlparser::ast::Cte]) -> Vec<NameSpec> {
    match body {
        SetExpr::Select(select) => {
            // The source's names are found once however many stars read it.
            let mut source: Option<Vec<NameSpec>> = None;
            let mut names = Vec::with_capacity(select.projection.len());
            for item in &select.projection {
                match item {
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                        let star = source.get_or_insert_with(|| {
                            wildcard_names(select, ctes).unwrap_or_else(|| vec![NameSpec::Wildcard])
                        });
                        names.extend(star.iter().cloned());
                    }
                    other => names.push(name_of(other)),
                }
                // Stars over stars could name more columns than any result holds: DataFusion's
                // own names then.
                if names.len() > MAX_NAMED_COLUMNS {
                    return vec![NameSpec::Wildcard];
                }
            }
            names
        }
        SetExpr::Query(q) => names_of_query(q, ctes),
        // A set operation takes its column names from its first SELECT.
        SetExpr::SetOperation { left, .. } => names_of(left, ctes),
        _ => Vec::new(),
    }
}

/// The names a `*` over a SELECT's one source shows when that source is a subquery or a common
/// table expression: its own names, an unnamed column `_col` and its place in the outer
/// result, as Trino names it. None for a store or a join, whose columns are named as they are.
fn wildcard_names(
    select: &Select,
    ctes: &[&datafusion::sql::sqlparser::ast::Cte],
) -> Option<Vec<NameSpec>> {
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let named = |alias: &Option<datafusion::sql::sqlparser::ast::TableAlias>| {
        alias.as_ref().filter(|a| !a.columns.is_empty()).map(|a| {
            a.columns
                .iter()
                .map(|c| NameSpec::Named(c.name.value.clone()))
                .collect::<Vec<_>>()
        })
    };
    let names = match &from.relation {
        TableFactor::Derived {
            subquery, alias, ..
        } => named(alias).unwrap_or_else(|| names_of_query(subquery, ctes)),
        TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } => {
            if let Some(columns) = named(alias) {
                return Some(columns);
            }
            let [part] = name.0.as_slice() else {
                return None;
            };
            let id = part.as_ident()?;
            let (i, cte) = ctes
                .iter()
                .enumerate()
                .find(|(_, c)| c.alias.name.value.eq_ignore_ascii_case(&id.value))?;
            // A common table expression reads only those defined apart from itself.
            let others: Vec<_> = ctes
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect();
            named(&Some(cte.alias.clone())).unwrap_or_else(|| names_of_query(&cte.query, &others))
        }
        _ => return None,
    };
    // A VALUES body names nothing here: DataFusion's names then.
    (!names.is_empty()).then_some(names)
}

fn name_of(item: &SelectItem) -> NameSpec {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => NameSpec::Named(alias.value.clone()),
        SelectItem::UnnamedExpr(Expr::Identifier(id)) => NameSpec::Named(id.value.clone()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts
            .last()
            .map_or(NameSpec::Unnamed, |p| NameSpec::Named(p.value.clone())),
        SelectItem::UnnamedExpr(_) => NameSpec::Unnamed,
        _ => NameSpec::Wildcard,
    }
}

/// Whether `name` is an internal alias [`window_aliases`] gave an unnamed item (`_colN_`): a
/// `SELECT *` over it shows Lake's name for an unnamed column, `_col` and its position in the
/// outer result.
fn internal_alias_name(name: &str) -> bool {
    name.strip_prefix("_col")
        .and_then(|n| n.strip_suffix('_'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Lake's output names for a result with `fields` (DataFusion's names, used for wildcards).
pub fn output_names(specs: &[NameSpec], fields: &[String]) -> Vec<String> {
    let fixed = specs.iter().filter(|s| **s != NameSpec::Wildcard).count();
    let wildcards = specs.len() - fixed;
    if specs.is_empty() || (wildcards == 0 && fixed != fields.len()) {
        return fields.to_vec();
    }
    let per_wildcard = fields
        .len()
        .saturating_sub(fixed)
        .checked_div(wildcards)
        .unwrap_or(0);
    let mut out = Vec::with_capacity(fields.len());
    for spec in specs {
        match spec {
            NameSpec::Named(n) => out.push(n.clone()),
            NameSpec::Unnamed => out.push(format!("_col{}", out.len())),
            NameSpec::Wildcard => {
                for f in fields.iter().skip(out.len()).take(per_wildcard) {
                    // A column's name, qualified or not; an expression's text (`max(t.x)`,
                    // `t.a + t.b`) is DataFusion's name for a column Lake leaves unnamed.
                    let name = f.rsplit('.').next().unwrap_or(f);
                    let expression = f.contains(|c: char| {
                        !(c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '"'))
                    });
                    out.push(if internal_alias_name(name) || expression {
                        format!("_col{}", out.len())
                    } else {
                        name.to_string()
                    });
                }
            }
        }
    }
    if out.len() == fields.len() {
        out
    } else {
        fields.to_vec()
    }
}

/// The text of `e` as written in `sql`: re-rendering the AST would change how literals are
/// escaped, and the re-parsed statistics query must mean exactly what the user wrote.
fn source_text(sql: &str, e: &Expr) -> Option<String> {
    let span = e.span();
    if span == Span::empty() {
        return None;
    }
    let offset = |line: u64, column: u64| -> Option<usize> {
        let mut start = 0;
        for _ in 1..line {
            start += sql[start..].find('\n')? + 1;
        }
        let rest = &sql[start..];
        let col = usize::try_from(column).ok()?.checked_sub(1)?;
        Some(start + rest.char_indices().nth(col).map_or(rest.len(), |(i, _)| i))
    };
    let (a, b) = (
        offset(span.start.line, span.start.column)?,
        offset(span.end.line, span.end.column)?,
    );
    let text = sql.get(a..b)?;
    // Spans are not exact for every expression: keep the text only if it means the same.
    let reparsed = Parser::new(&LakeDialect)
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .ok()?;
    (reparsed.to_string() == e.to_string()).then(|| text.to_string())
}

/// The expression as written where its span is exact, else as sqlparser renders it.
fn expr_text(sql: &str, e: &Expr) -> String {
    source_text(sql, e).unwrap_or_else(|| e.to_string())
}

fn single_table(sql: &str, query: &Query) -> Option<SingleTable> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !from.joins.is_empty() {
        return None;
    }
    let TableFactor::Table { name, alias, .. } = &from.relation else {
        return None;
    };
    let table = name.0.last()?.as_ident()?.value.clone();
    let mut conjuncts = Vec::new();
    if let Some(w) = &select.selection {
        split_and(w, &mut conjuncts);
    }
    let time = conjuncts
        .iter()
        .filter(|e| is_time_bound(e))
        .map(|e| format!("({})", expr_text(sql, e)))
        .collect::<Vec<String>>();
    let filter = select
        .selection
        .as_ref()
        .map(|w| format!("({})", expr_text(sql, w)));
    Some(SingleTable {
        table,
        alias: alias.as_ref().map(|a| a.name.value.clone()),
        filter,
        time_filter: (!time.is_empty()).then(|| time.join(" AND ")),
        conjuncts: conjuncts
            .iter()
            .map(|e| (expr_text(sql, e), columns_of(e)))
            .collect(),
    })
}

fn split_and<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        Expr::Nested(inner) => split_and(inner, out),
        other => out.push(other),
    }
}

fn is_event_time(e: &Expr) -> bool {
    match e {
        Expr::Identifier(id) => id.value.eq_ignore_ascii_case("eventtime"),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|p| p.value.eq_ignore_ascii_case("eventtime")),
        _ => false,
    }
}

fn has_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// Lake prunes its storage by eventTime: a conjunct comparing eventTime with a constant bounds
/// what the query scans (and what it costs).
fn is_time_bound(e: &Expr) -> bool {
    match e {
        Expr::BinaryOp { left, op, right } => {
            matches!(
                op,
                BinaryOperator::Gt
                    | BinaryOperator::GtEq
                    | BinaryOperator::Lt
                    | BinaryOperator::LtEq
                    | BinaryOperator::Eq
            ) && ((is_event_time(left) && !has_column(right))
                || (is_event_time(right) && !has_column(left)))
        }
        Expr::Between {
            expr, low, high, ..
        } => is_event_time(expr) && !has_column(low) && !has_column(high),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "5e2676f8-9fce-46ef-8142-3e36a94e6691";

    #[test]
    fn positions_ignore_the_added_quotes() {
        let sql = format!("SELECT 1 FROM {ID} WHERE nvl(a, 1)\n AND {ID}.b = 2 AND nvl(c)");
        let quoted = quote_store_ids(&sql, &[ID]);
        let nvl = quoted.find("nvl").unwrap();
        let col = u64::try_from(quoted[..nvl].chars().count() + 1).unwrap();
        let want = u64::try_from(sql.find("nvl").unwrap() + 1).unwrap();
        assert_eq!(unquoted_position(&sql, &quoted, (1, col)), (1, want));
        let line2 = quoted.lines().nth(1).unwrap();
        let col2 = u64::try_from(line2.find("nvl").unwrap() + 1).unwrap();
        let want2 = u64::try_from(sql.lines().nth(1).unwrap().find("nvl").unwrap() + 1).unwrap();
        assert_eq!(unquoted_position(&sql, &quoted, (2, col2)), (2, want2));
    }

    #[test]
    fn quotes_bare_ids_only() {
        let sql = format!("SELECT '{ID}' AS x FROM {ID} -- {ID}\n WHERE a = \"{ID}\"");
        let out = quote_store_ids(&sql, &[ID]);
        assert_eq!(
            out,
            format!("SELECT '{ID}' AS x FROM \"{ID}\" -- {ID}\n WHERE a = \"{ID}\"")
        );
    }

    /// A star over a subquery or a common table expression names its columns as the source
    /// does (a FROM alias's column list first); stars over stars stop at a bound.
    #[test]
    fn stars_over_subqueries_name_their_columns() {
        let names = |sql: &str| prepare(sql, &[]).map(|p| p.names).unwrap_or_default();
        let named = |n: &[&str]| {
            n.iter()
                .map(|n| match *n {
                    "" => NameSpec::Unnamed,
                    "*" => NameSpec::Wildcard,
                    n => NameSpec::Named(n.into()),
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("SELECT *, 1 FROM (SELECT a, count(*), max(b) AS m FROM t GROUP BY a)"),
            named(&["a", "", "m", ""])
        );
        assert_eq!(
            names("WITH c AS (SELECT 1, 2) SELECT * FROM c AS x(p, q)"),
            named(&["p", "q"])
        );
        assert_eq!(
            names("WITH c(u, v) AS (SELECT 1, 2) SELECT c.* FROM c"),
            named(&["u", "v"])
        );
        assert_eq!(names("SELECT * FROM (SELECT * FROM t)"), named(&["*"]));
        assert_eq!(
            names("SELECT * FROM t JOIN (SELECT 1) ON true"),
            named(&["*"])
        );
        assert_eq!(names("SELECT * FROM (VALUES 1, 2)"), named(&["*"]));
        // 2^40 columns named by forty stars over stars: left to DataFusion's names, at once.
        let ctes = (1..=40)
            .map(|i| format!("c{i} AS (SELECT *, * FROM c{})", i - 1))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("WITH c0 AS (SELECT 1 AS x), {ctes} SELECT * FROM c40");
        let stars = names(&sql);
        assert!(!stars.is_empty() && stars.len() <= MAX_NAMED_COLUMNS);
        assert!(stars.iter().all(|s| *s == NameSpec::Wildcard));
        let fields: Vec<String> = ["a", "max(t.x)", "t.a + t.b", "t.e"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        assert_eq!(
            output_names(&named(&["*"]), &fields),
            ["a", "_col1", "_col2", "e"]
        );
    }

    #[test]
    fn lake_names() {
        let p = prepare(
            "SELECT eventName, userIdentity.arn, count(*), x AS Total, * FROM t WHERE eventTime > '2024-01-01' AND eventName = 'a'",
            &[],
        )
        .unwrap();
        let fields: Vec<String> = ["a", "b", "c", "d", "t.e", "f"]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        assert_eq!(
            output_names(&p.names, &fields),
            ["eventName", "arn", "_col2", "Total", "e", "f"]
        );
        let st = p.single_table.unwrap();
        assert_eq!(st.table, "t");
        assert_eq!(
            st.time_filter.as_deref(),
            Some("(eventTime > '2024-01-01')")
        );
    }

    #[test]
    fn rejects_non_select() {
        assert!(matches!(
            prepare("DROP TABLE t", &[]),
            Err(PrepareError::NotSelect)
        ));
        assert!(matches!(
            prepare("SELECT FROM WHERE <", &[]),
            Err(PrepareError::Syntax(_))
        ));
    }
}

#[cfg(test)]
mod multibyte {
    #[test]
    fn ids_next_to_multibyte_text_do_not_split_characters() {
        let id = "5e2676f8-9fce-46ef-8142-3e36a94e6691";
        let sql = format!(
            "SELECT '𝓪𝓭𝓶𝓲𝓷' AS v FROM {id} WHERE x = 'é𝓪' AND y = 1𝓪𝓭𝓶𝓲𝓷𝓪𝓭𝓶𝓲𝓷𝓪𝓭𝓶𝓲𝓷𝓪𝓭𝓶𝓲𝓷𝓪𝓭𝓶𝓲𝓷"
        );
        let out = super::quote_store_ids(&sql, &[id]);
        assert!(out.contains(&format!("FROM \"{id}\"")));
    }
}

#[cfg(test)]
mod source_text {
    #[test]
    fn filters_keep_the_statements_own_text() {
        let sql = "SELECT 1 FROM t\nWHERE u = '\\''' AND\n eventTime <= 'é𝓪'";
        let st = super::prepare(sql, &[]).unwrap().single_table.unwrap();
        assert_eq!(
            st.filter.as_deref(),
            Some("(u = '\\''' AND\n eventTime <= 'é𝓪')")
        );
        assert_eq!(st.time_filter.as_deref(), Some("(eventTime <= 'é𝓪')"));
    }
}

#[cfg(test)]
mod spans {
    #[test]
    fn parenthesised_conditions_survive() {
        let sql = "SELECT 1 FROM t WHERE eventTime >= '2023-01-01' AND (errorCode LIKE '%A' OR errorCode LIKE 'B%')";
        let st = super::prepare(sql, &[]).unwrap().single_table.unwrap();
        let f = st.filter.unwrap();
        assert!(
            super::prepare(&format!("SELECT 1 FROM t WHERE {f}"), &[]).is_ok(),
            "{f}"
        );
        assert!(f.contains("errorCode LIKE 'B%'"), "{f}");
    }
}

#[cfg(test)]
mod json_constructors {
    use super::token_rewrites;

    #[test]
    fn clauses_become_a_spec_and_the_rest_stays_as_written() {
        for (sql, want) in [
            (
                "SELECT json_object(KEY 'a' VALUE x FORMAT JSON ABSENT ON NULL)",
                "SELECT \"$json_object\"('absent;any;;json;json', 'a' , x   )",
            ),
            (
                "SELECT json_object('a' : 'it''s', 'b': 2 WITH UNIQUE KEYS RETURNING varchar(10))",
                "SELECT \"$json_object\"('null;unique;varchar(10);json;none,none', 'a' , 'it''s', 'b', 2     )",
            ),
            (
                "SELECT json_array()",
                "SELECT \"$json_array\"('absent;any;;json;')",
            ),
            (
                "SELECT json_array(json_array(1) NULL ON NULL RETURNING varbinary FORMAT JSON ENCODING UTF16)",
                "SELECT \"$json_array\"('null;any;varbinary;utf16;json', \"$json_array\"('absent;any;;json;none', 1)   )",
            ),
        ] {
            let got = token_rewrites(sql).expect(sql);
            // Blanked clauses leave their spaces: compare with runs of blanks folded.
            let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(fold(&got), fold(want), "{sql}");
        }
    }

    #[test]
    fn query_functions_keep_their_expressions_in_order() {
        for (sql, want) in [
            (
                "SELECT json_value(j FORMAT JSON, 'lax $.a + $n' PASSING x AS n, y FORMAT JSON AS \"y\" RETURNING bigint DEFAULT 0 ON EMPTY ERROR ON ERROR)",
                "SELECT \"$json_value\"('json;N,y;none,json;bigint;json;without;;default;error', j , 'lax $.a + $n' , x , y , 0 )",
            ),
            (
                "SELECT json_query(j, 'strict $[*]' WITH CONDITIONAL ARRAY WRAPPER OMIT QUOTES ON SCALAR STRING EMPTY OBJECT ON ERROR)",
                "SELECT \"$json_query\"('none;;;;json;conditional;omit;null;empty object', j, 'strict $[*]' )",
            ),
            (
                "SELECT json_exists(j, 'lax $.a' UNKNOWN ON ERROR)",
                "SELECT \"$json_exists\"('none;;;;json;without;;null;null', j, 'lax $.a' )",
            ),
        ] {
            let got = token_rewrites(sql).expect(sql);
            let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(fold(&got), fold(want), "{sql}");
        }
    }

    #[test]
    fn two_subquery_predicates_grouped_get_names_of_their_own() {
        let prepared = |sql: &str| crate::sql::prepare(sql, &[]).expect(sql).sql;
        // One such key, or none: the statement runs as written.
        for sql in [
            "SELECT x IN (SELECT y FROM t) AS a, count(*) FROM t GROUP BY 1",
            "SELECT x IN (SELECT y FROM t) AS a, x IN (SELECT z FROM t) AS b FROM t",
        ] {
            assert_eq!(prepared(sql), sql);
        }
        // The same predicate gets the same number in the SELECT list, GROUP BY and ORDER BY
        // (whatever the case of its unquoted names); one inside a subquery is left alone.
        assert_eq!(
            prepared(
                "SELECT x IN (SELECT y FROM t) AS a, EXISTS (SELECT 1 FROM t WHERE y IN \
                 (SELECT z FROM t)) AS b, count(*) FROM t GROUP BY 1, b ORDER BY X IN (SELECT Y FROM t)"
            ),
            "SELECT CASE WHEN 1 = 1 THEN x IN (SELECT y FROM t) END AS a, CASE WHEN 2 = 2 THEN \
             EXISTS (SELECT 1 FROM t WHERE y IN (SELECT z FROM t)) END AS b, count(*) FROM t \
             GROUP BY 1, b ORDER BY CASE WHEN 1 = 1 THEN X IN (SELECT Y FROM t) END"
        );
        // Each branch of a set operation on its own.
        assert_eq!(
            prepared(
                "SELECT 1 FROM t UNION ALL SELECT count(*) FROM t GROUP BY x IN (SELECT y FROM t), \
                 EXISTS (SELECT 1 FROM t)"
            ),
            "SELECT 1 FROM t UNION ALL SELECT count(*) FROM t GROUP BY CASE WHEN 1 = 1 THEN x IN \
             (SELECT y FROM t) END, CASE WHEN 2 = 2 THEN EXISTS (SELECT 1 FROM t) END"
        );
    }

    #[test]
    fn bare_values_rows_get_parentheses() {
        for (sql, want) in [
            (
                "SELECT * FROM (VALUES 1, 2 + 3, (4), -5) t(x)",
                "SELECT * FROM (VALUES (1), (2 + 3), (4), (-5)) t(x)",
            ),
            (
                "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(x, y)",
                "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(x, y)",
            ),
            (
                "VALUES 'a', 'b' ORDER BY 1",
                "VALUES ('a'), ('b') ORDER BY 1",
            ),
            (
                "SELECT * FROM (VALUES (1) + 1, f(2)) t(x)",
                "SELECT * FROM (VALUES ((1) + 1), (f(2))) t(x)",
            ),
            (
                "SELECT * FROM (VALUES ROW(1, 'a'), 3) t(x)",
                "SELECT * FROM (VALUES ROW(1, 'a'), (3)) t(x)",
            ),
        ] {
            let got = token_rewrites(sql).unwrap_or_else(|| sql.to_string());
            assert_eq!(got, want, "{sql}");
        }
    }

    #[test]
    fn calls_trinos_grammar_does_not_read_are_left_alone() {
        for sql in [
            "SELECT json_object('a')",
            "SELECT json_object(VALUE 1)",
            "SELECT json_array(1 FORMAT JSON ENCODING LATIN1)",
            "SELECT json_object('a' : 1 RETURNING)",
            "SELECT json_array(1 ABSENT ON NULL NULL ON NULL)",
            "SELECT json_value(j)",
            "SELECT json_value(j, path)",
            "SELECT json_query(j, 'lax $' WITH WRAPPER WITH WRAPPER)",
            "SELECT json_exists(j, 'lax $' NULL ON EMPTY)",
            "SELECT json_exists(j, 'lax $' TRUE ON EMPTY)",
            "SELECT json_value(j, 'lax $' PASSING x)",
        ] {
            assert_eq!(token_rewrites(sql), None, "{sql}");
        }
    }
}
