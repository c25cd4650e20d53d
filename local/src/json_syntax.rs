//! Trino's SQL/JSON function syntax, which sqlparser does not read: the constructors'
//! `json_object(KEY 'k' VALUE v FORMAT JSON ABSENT ON NULL WITH UNIQUE KEYS RETURNING ...)` and
//! `json_array(...)`, and the query functions' `json_exists`, `json_value` and
//! `json_query(input FORMAT JSON, 'lax $.a' PASSING x AS "X" RETURNING ... WITH ARRAY WRAPPER
//! OMIT QUOTES EMPTY ARRAY ON EMPTY ERROR ON ERROR)`.
//!
//! `crate::sql` tokenizes a statement once; for each such call [`rewrite`] gives the edits that
//! turn it into a call of one of the service's hidden functions, with the clauses as a text
//! first (a [`Spec`] or [`QuerySpec`]) and the expressions left where they were written:
//! `json_value(j, 'lax $.a' PASSING 1 AS "x" DEFAULT 0 ON EMPTY)` becomes
//! `"$json_value"('...', j, 'lax $.a', 1, 0)`. A call that Trino's grammar does not read is
//! left alone, for the parser to refuse.

use datafusion::sql::sqlparser::tokenizer::Token;

use crate::udf::json_constructor::{Format, Spec};
use crate::udf::sql_json::{Behavior, QuerySpec, Wrapper};

/// Whether `t` names one of the SQL/JSON functions.
pub fn is_function_word(t: &Token) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && hidden_name(&w.value).is_some())
}

/// The hidden function a call of `name` (any case) becomes, if it is an SQL/JSON function.
pub fn hidden_name(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "json_object" => crate::udf::JSON_OBJECT,
        "json_array" => crate::udf::JSON_ARRAY,
        "json_exists" => crate::udf::JSON_EXISTS,
        "json_value" => crate::udf::JSON_VALUE,
        "json_query" => crate::udf::JSON_QUERY,
        _ => return None,
    })
}

/// The edits (token index, new text) that rewrite the call whose argument list opens at
/// `open` as a call of `hidden`; `None` when Trino's grammar does not read the call.
pub fn rewrite(
    tokens: &[Token],
    close: &[Option<usize>],
    open: usize,
    hidden: &str,
) -> Option<Vec<(usize, String)>> {
    let items = Items::new(tokens, close, open);
    match hidden {
        h if h == crate::udf::JSON_OBJECT => items.constructor(open, true),
        h if h == crate::udf::JSON_ARRAY => items.constructor(open, false),
        h => items.query(open, h),
    }
}

/// The items directly inside a call's parentheses: each a token, or a whole parenthesised (or
/// bracketed) group, as (first, last) token indices; blanks and comments left out.
struct Items<'a> {
    tokens: &'a [Token],
    items: Vec<(usize, usize)>,
}

impl<'a> Items<'a> {
    fn new(tokens: &'a [Token], close: &[Option<usize>], open: usize) -> Self {
        let end = close.get(open).copied().flatten().unwrap_or(open);
        let mut items = Vec::new();
        let mut j = open + 1;
        while j < end {
            match &tokens[j] {
                Token::Whitespace(_) => j += 1,
                Token::LParen | Token::LBracket => {
                    let last = close[j].unwrap_or(j).min(end);
                    items.push((j, last));
                    j = last + 1;
                }
                _ => {
                    items.push((j, j));
                    j += 1;
                }
            }
        }
        Items { tokens, items }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    /// The first token of item `k`.
    fn token(&self, k: usize) -> Option<&Token> {
        self.items.get(k).map(|&(a, _)| &self.tokens[a])
    }

    /// Whether item `k` is the bare keyword `kw` (any case).
    fn word(&self, k: usize, kw: &str) -> bool {
        matches!(self.token(k), Some(Token::Word(w))
            if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
    }

    /// Whether items from `k` are the keywords `kws`.
    fn words(&self, k: usize, kws: &[&str]) -> bool {
        kws.iter().enumerate().all(|(i, kw)| self.word(k + i, kw))
    }

    /// The comma-separated segments of the items, as ranges of item indices.
    fn segments(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for k in 0..self.len() {
            if self.token(k) == Some(&Token::Comma) {
                out.push(start..k);
                start = k + 1;
            }
        }
        out.push(start..self.len());
        out
    }

    /// Edits blanking items `from..to`.
    fn blank(&self, edits: &mut Vec<(usize, String)>, from: usize, to: usize) {
        for &(a, b) in self.items.get(from..to).unwrap_or_default() {
            for t in a..=b {
                edits.push((t, String::new()));
            }
        }
    }

    /// `FORMAT JSON [ENCODING e]` as items `k..end`, if that is what they are.
    fn format_at(&self, k: usize, end: usize) -> Option<Format> {
        if !self.words(k, &["FORMAT", "JSON"]) {
            return None;
        }
        if k + 2 == end {
            return Some(Format::Json);
        }
        if k + 4 != end || !self.word(k + 2, "ENCODING") {
            return None;
        }
        [
            ("UTF8", Format::Utf8),
            ("UTF16", Format::Utf16),
            ("UTF32", Format::Utf32),
        ]
        .into_iter()
        .find(|(name, _)| self.word(k + 3, name))
        .map(|(_, f)| f)
    }

    /// An expression in items `from..end` with an optional trailing `FORMAT JSON [ENCODING
    /// e]`: its format (blanked in `edits`) and where the expression ends. `None` when a
    /// FORMAT is malformed or nothing precedes it.
    fn formatted(
        &self,
        from: usize,
        end: usize,
        edits: &mut Vec<(usize, String)>,
    ) -> Option<(Format, usize)> {
        match (from..end).find(|&j| self.words(j, &["FORMAT", "JSON"])) {
            Some(j) => {
                let f = self.format_at(j, end)?;
                if j == from {
                    return None;
                }
                self.blank(edits, j, end);
                Some((f, j))
            }
            None => Some((Format::None, end)),
        }
    }

    /// A type written in items `from..to`, lower-case, words spaced by one blank
    /// (`varchar(100)`, `double precision`); `None` for anything longer than a type is or with
    /// a quote in it (the spec would not hold it).
    fn type_text(&self, from: usize, to: usize) -> Option<String> {
        const MAX_TYPE_TOKENS: usize = 16;
        if to <= from {
            return None;
        }
        let (first, _) = *self.items.get(from)?;
        let (_, end) = *self.items.get(to - 1)?;
        let solid: Vec<&Token> = self.tokens[first..=end]
            .iter()
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .take(MAX_TYPE_TOKENS + 1)
            .collect();
        if solid.len() > MAX_TYPE_TOKENS {
            return None;
        }
        let mut text = String::new();
        let mut after_word = false;
        for t in solid {
            match t {
                Token::Word(w) if w.quote_style.is_none() => {
                    if after_word {
                        text.push(' ');
                    }
                    text.push_str(&w.value.to_ascii_lowercase());
                    after_word = true;
                }
                Token::LParen | Token::RParen | Token::Number(..) => {
                    text.push_str(&t.to_string());
                    after_word = false;
                }
                _ => return None,
            }
        }
        Some(text)
    }

    /// `json_object(...)` (when `object`) or `json_array(...)`: the opening parenthesis
    /// becomes `('<spec>', `, `KEY` goes, `VALUE` and `:` become commas, and the FORMAT and
    /// trailing clauses go: `json_object(KEY 'a' VALUE x FORMAT JSON ABSENT ON NULL)` reads
    /// `"$json_object"('absent;any;;json;json', 'a' , x )`.
    fn constructor(&self, open: usize, object: bool) -> Option<Vec<(usize, String)>> {
        let segments = self.segments();
        // The clauses after the last value: the first place where one begins.
        let last = segments.last()?.clone();
        let begins = |k: usize| {
            self.words(k, &["NULL", "ON", "NULL"])
                || self.words(k, &["ABSENT", "ON", "NULL"])
                || (object
                    && (self.words(k, &["WITH", "UNIQUE"])
                        || self.words(k, &["WITHOUT", "UNIQUE"])))
                || self.word(k, "RETURNING")
        };
        let clauses_at = last.clone().find(|&k| begins(k)).unwrap_or(last.end);
        let mut spec = Spec {
            null_on_null: object,
            unique_keys: false,
            returning: String::new(),
            output: Format::Json,
            formats: Vec::new(),
        };
        let mut edits: Vec<(usize, String)> = Vec::new();
        let mut k = clauses_at;
        if self.word(k, "NULL") || self.word(k, "ABSENT") {
            spec.null_on_null = self.word(k, "NULL");
            k += 3;
        }
        if object && (self.word(k, "WITH") || self.word(k, "WITHOUT")) && self.word(k + 1, "UNIQUE")
        {
            spec.unique_keys = self.word(k, "WITH");
            k += if self.word(k + 2, "KEYS") { 3 } else { 2 };
        }
        let member_clauses = k > clauses_at;
        if self.word(k, "RETURNING") {
            let (returning, output) = self.returning(k + 1, last.end)?;
            spec.returning = returning;
            spec.output = output;
            k = last.end;
        }
        if k != last.end {
            return None;
        }
        self.blank(&mut edits, clauses_at, last.end);
        let mut values = segments;
        if let Some(l) = values.last_mut() {
            l.end = clauses_at;
        }
        if values.len() == 1 && values[0].is_empty() {
            // The ON NULL and UNIQUE KEYS clauses follow members only.
            if member_clauses {
                return None;
            }
            values.clear();
        }
        for segment in &values {
            let mut from = segment.start;
            if object {
                let separator = (from..segment.end)
                    .find(|&j| self.word(j, "VALUE") || self.token(j) == Some(&Token::Colon))?;
                // `KEY k VALUE v` or `k VALUE v` or `k : v`: KEY is the keyword only before
                // VALUE (`key : 1` names a column called key).
                if self.word(from, "KEY") && self.word(separator, "VALUE") && separator > from + 1 {
                    self.blank(&mut edits, from, from + 1);
                    from += 1;
                }
                if separator == from {
                    return None;
                }
                edits.push((self.items[separator].0, ",".into()));
                from = separator + 1;
            }
            if from >= segment.end {
                return None;
            }
            let (format, _) = self.formatted(from, segment.end, &mut edits)?;
            let format = if format == Format::None && self.is_json_call(from, segment.end) {
                // A JSON-returning call is read as JSON, as if FORMAT JSON were written.
                Format::Json
            } else {
                format
            };
            spec.formats.push(format);
        }
        let separator = if values.is_empty() { "" } else { ", " };
        edits.push((open, format!("('{}'{separator}", spec.text())));
        Some(edits)
    }

    /// Whether items `from..end` are one call of a JSON-returning function (`json_object`,
    /// `json_array`, `json_query`), which Trino reads as JSON with no FORMAT written.
    fn is_json_call(&self, from: usize, end: usize) -> bool {
        end == from + 2
            && ["json_object", "json_array", "json_query"]
                .iter()
                .any(|name| self.word(from, name))
            && self.token(from + 1) == Some(&Token::LParen)
    }

    /// `RETURNING type [FORMAT JSON [ENCODING e]]` from item `from` (after RETURNING) to
    /// `end`: the type's text and the output format (`Json` when not written).
    fn returning(&self, from: usize, end: usize) -> Option<(String, Format)> {
        let type_end = (from..end).find(|&j| self.word(j, "FORMAT")).unwrap_or(end);
        let text = self.type_text(from, type_end)?;
        let output = if type_end < end {
            self.format_at(type_end, end)?
        } else {
            Format::Json
        };
        Some((text, output))
    }

    /// `json_exists`, `json_value` or `json_query` (`hidden` says which): the input's FORMAT,
    /// `PASSING` (which becomes a comma) and each parameter's `AS name` and FORMAT go into the
    /// spec, as do the trailing clauses; a `DEFAULT e ON ...` expression stays, as an argument
    /// after the parameters. A path's own `AS name` (JSON_TABLE's only) is not read.
    fn query(&self, open: usize, hidden: &str) -> Option<Vec<(usize, String)>> {
        let value = hidden == crate::udf::JSON_VALUE;
        let query = hidden == crate::udf::JSON_QUERY;
        let exists = hidden == crate::udf::JSON_EXISTS;
        let segments = self.segments();
        let [input, path, ..] = segments.as_slice() else {
            return None;
        };
        let mut edits: Vec<(usize, String)> = Vec::new();
        let mut spec = QuerySpec::defaults(hidden);
        let (input_format, _) = self.formatted(input.start, input.end, &mut edits)?;
        spec.input = input_format;
        // The path: one text literal, then `AS name` and `PASSING` perhaps.
        if !matches!(self.token(path.start), Some(Token::SingleQuotedString(_))) {
            return None;
        }
        // Everything after the path literal, as segments of parameters and then clauses.
        let last = segments.last()?.clone();
        let on = |j: usize| {
            (self.words(j, &["ON", "EMPTY"]) || self.words(j, &["ON", "ERROR"])).then_some(j)
        };
        // Where the next `ON EMPTY` / `ON ERROR` is, from each item (one pass, so that
        // finding a DEFAULT's end costs nothing per DEFAULT).
        let mut next_on = vec![None; self.len() + 1];
        for j in (0..self.len()).rev() {
            next_on[j] = on(j).or(next_on[j + 1]);
        }
        let behavior = |k: usize| -> Option<usize> {
            // A behaviour's length up to and including `ON EMPTY` / `ON ERROR`.
            if exists {
                return ["TRUE", "FALSE", "UNKNOWN", "ERROR"]
                    .iter()
                    .any(|w| self.word(k, w))
                    .then(|| on(k + 1))
                    .flatten()
                    .map(|j| j + 2 - k);
            }
            if self.word(k, "ERROR") || self.word(k, "NULL") {
                return on(k + 1).map(|j| j + 2 - k);
            }
            if query
                && self.word(k, "EMPTY")
                && (self.word(k + 1, "ARRAY") || self.word(k + 1, "OBJECT"))
            {
                return on(k + 2).map(|j| j + 2 - k);
            }
            if value && self.word(k, "DEFAULT") {
                return next_on
                    .get(k + 2)
                    .copied()
                    .flatten()
                    .filter(|&j| j < last.end)
                    .map(|j| j + 2 - k);
            }
            None
        };
        let begins = |k: usize| {
            behavior(k).is_some()
                || (!exists && self.word(k, "RETURNING"))
                || (query
                    && (self.word(k, "WITHOUT")
                        || self.word(k, "WITH")
                        || self.words(k, &["KEEP", "QUOTES"])
                        || self.words(k, &["OMIT", "QUOTES"])))
        };
        let after_path = if segments.len() == 2 {
            path.start + 1..path.end
        } else {
            path.start + 1..last.end
        };
        let clauses_at = after_path
            .clone()
            .find(|&k| k >= last.start && begins(k))
            .unwrap_or(last.end);
        // PASSING after the path (a path's `AS name` is JSON_TABLE's only).
        let mut k = path.start + 1;
        let path_end = if segments.len() == 2 {
            clauses_at
        } else {
            path.end
        };
        if k < path_end {
            if !self.word(k, "PASSING") {
                return None;
            }
            edits.push((self.items[k].0, ",".into()));
            k += 1;
            // The parameters: this segment's rest, and each later one (the last up to the
            // clauses).
            let mut params: Vec<std::ops::Range<usize>> = Vec::with_capacity(segments.len());
            params.push(k..path_end);
            for (n, s) in segments.iter().enumerate().skip(2) {
                let end = if n + 1 == segments.len() {
                    clauses_at
                } else {
                    s.end
                };
                params.push(s.start..end);
            }
            for p in params {
                // `value [FORMAT JSON ...] AS name`
                let as_at = (p.start..p.end).rev().find(|&j| self.word(j, "AS"))?;
                if as_at + 2 != p.end || as_at == p.start {
                    return None;
                }
                let name = self.name(as_at + 1)?;
                self.blank(&mut edits, as_at, p.end);
                let (format, _) = self.formatted(p.start, as_at, &mut edits)?;
                let format = if format == Format::None && self.is_json_call(p.start, as_at) {
                    Format::Json
                } else {
                    format
                };
                spec.params.push((name, format));
            }
        } else if segments.len() > 2 {
            return None;
        }
        // The clauses, in Trino's order.
        let mut k = clauses_at;
        if !exists && self.word(k, "RETURNING") {
            let end = (k + 1..last.end)
                .find(|&j| begins(j) && !self.word(j, "RETURNING"))
                .unwrap_or(last.end);
            let (returning, output) = self.returning(k + 1, end)?;
            // json_value's RETURNING takes no FORMAT.
            if value && (k + 1..end).any(|j| self.word(j, "FORMAT")) {
                return None;
            }
            spec.returning = returning;
            spec.output = output;
            self.blank(&mut edits, k, end);
            k = end;
        }
        if query && (self.word(k, "WITHOUT") || self.word(k, "WITH")) {
            let mut j = k + 1;
            spec.wrapper = if self.word(k, "WITHOUT") {
                Wrapper::Without
            } else if self.word(j, "CONDITIONAL") {
                j += 1;
                Wrapper::Conditional
            } else {
                if self.word(j, "UNCONDITIONAL") {
                    j += 1;
                }
                Wrapper::Unconditional
            };
            if self.word(j, "ARRAY") {
                j += 1;
            }
            if !self.word(j, "WRAPPER") {
                return None;
            }
            self.blank(&mut edits, k, j + 1);
            k = j + 1;
        }
        if query && (self.word(k, "KEEP") || self.word(k, "OMIT")) && self.word(k + 1, "QUOTES") {
            spec.quotes = Some(self.word(k, "OMIT"));
            let mut j = k + 2;
            if self.words(j, &["ON", "SCALAR", "STRING"]) {
                j += 3;
            }
            self.blank(&mut edits, k, j);
            k = j;
        }
        for on_empty in [true, false] {
            let Some(len) = behavior(k) else { continue };
            let end = k + len;
            // json_exists has no ON EMPTY.
            if self.word(end - 1, "EMPTY") != on_empty || (exists && on_empty) {
                continue;
            }
            let b = if self.word(k, "DEFAULT") {
                // The expression stays, as an argument: `DEFAULT` becomes a comma.
                edits.push((self.items[k].0, ",".into()));
                self.blank(&mut edits, end - 2, end);
                Behavior::Default
            } else {
                self.blank(&mut edits, k, end);
                let named = if self.word(k, "EMPTY") {
                    if self.word(k + 1, "ARRAY") {
                        "empty array"
                    } else {
                        "empty object"
                    }
                } else {
                    match self.token(k) {
                        Some(Token::Word(w)) => return_behavior(&w.value)?,
                        _ => return None,
                    }
                };
                Behavior::parse(named).ok()?
            };
            if on_empty {
                spec.on_empty = b;
            } else {
                spec.on_error = b;
            }
            k = end;
        }
        if k != last.end {
            return None;
        }
        edits.push((open, format!("('{}', ", spec.text())));
        Some(edits)
    }

    /// A parameter's name at item `k`: a bare name in upper case (Trino's SQL identifiers), a
    /// quoted one as written.
    fn name(&self, k: usize) -> Option<String> {
        match self.token(k) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            Some(Token::Word(w)) if w.quote_style == Some('"') => Some(w.value.clone()),
            _ => None,
        }
        .filter(|n| !n.is_empty() && !n.contains([';', ',', '\'', '\\']))
    }
}

/// A behaviour keyword's name in a spec.
fn return_behavior(word: &str) -> Option<&'static str> {
    Some(match word.to_ascii_uppercase().as_str() {
        "NULL" => "null",
        "ERROR" => "error",
        "TRUE" => "true",
        "FALSE" => "false",
        "UNKNOWN" => "unknown",
        _ => return None,
    })
}
