//! SQL/JSON path (`lax $.a[*]?(@.b > 1).c`, `strict $.a[last]`), as Trino reads and evaluates
//! it for `json_exists`, `json_value` and `json_query`: the mode, `$`, `@`, `$name`
//! parameters, literals, member and element accessors with wildcards, `last` and ranges, the
//! descendant accessor `..name`, the item methods, arithmetic, and filters with comparisons,
//! `&&`, `||`, `!`, `exists`, `like_regex`, `starts with` and `is unknown`.
//!
//! Lax mode unwraps an array where an accessor expects an object (one level) and wraps a
//! non-array where an accessor expects an array, and a structural error (a missing member, an
//! index out of range) yields nothing; strict mode makes each of those an error. Predicates are
//! three-valued: an error inside one makes it unknown.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::cast::Json;

/// Parentheses, unary signs and filters nested deeper than this are refused (the parser
/// recurses through about three levels for each parenthesis).
const MAX_DEPTH: usize = 300;

/// A path's failure: the functions' ON ERROR decides what becomes of an evaluation's, except
/// a `fatal` one (the path selected more items than the service holds for one row), which
/// fails the query as Trino's memory limit would.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError(pub String, pub bool);

impl PathError {
    /// A failure ON ERROR handles.
    pub fn new(message: impl Into<String>) -> Self {
        PathError(message.into(), false)
    }

    /// Whether the failure ends the query whatever ON ERROR says.
    pub fn fatal(&self) -> bool {
        self.1
    }
}

/// The items one sequence may hold (Trino stops such a query at its memory limit): `lax
/// $[0,0,0,0,0,0,0,0,0,0]...` multiplies its items at each accessor.
const MAX_ITEMS: usize = 1_000_000;

/// The items made and the pairs compared in one row's evaluation, in all: a bound on its time
/// (`$?($.a[*] == $.b[*])` compares every pair).
const MAX_WORK: usize = 200_000_000;

/// Accessors or operators in one chain (`$.a.b.c...`), each a level of the evaluator's
/// recursion.
const MAX_CHAIN: usize = 500;

/// The evaluator's recursion, bounded (queries run on deep stacks; this keeps it finite).
const MAX_EVAL_DEPTH: usize = 2_000;

/// Trino's `PathEvaluationException`: "path evaluation failed: " and what failed (nothing, for
/// an arithmetic overflow or a division by zero, whose cause Trino does not quote).
fn fail<T>(message: impl AsRef<str>) -> Result<T, PathError> {
    Err(PathError::new(format!(
        "path evaluation failed: {}",
        message.as_ref()
    )))
}

/// A path Trino's parser refuses.
fn invalid<T>(text: &str) -> Result<T, PathError> {
    Err(PathError::new(format!("Invalid JSON path: '{text}'")))
}

/// Trino's message for an item of the wrong kind.
fn wrong_type<T>(expected: &str, item: &Item) -> Result<T, PathError> {
    fail(format!(
        "invalid item type. Expected: {expected}, actual: {}",
        item.node_type()
    ))
}

/// An SQL/JSON item: a JSON value, or an SQL scalar a path computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// JSON null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (Jackson's IntNode or LongNode; an integer SQL value).
    Int(i64),
    /// An integer beyond 64 bits, as written (Jackson's BigIntegerNode).
    BigInt(String),
    /// A double (Jackson's DoubleNode; a double SQL value).
    Double(f64),
    /// A decimal literal of the path (`1.50`), as Java's `BigDecimal` writes it.
    Decimal(String),
    /// A string.
    Str(String),
    /// An array (shared: `$` and `@` name a value without copying it).
    Array(Rc<Vec<Item>>),
    /// An object, members in the document's order (shared).
    Object(Rc<Vec<(String, Item)>>),
}

impl Item {
    /// A JSON value as Jackson's `readTree` holds it (see [`Json::jackson_tree`]).
    pub fn from_json(j: Json) -> Item {
        Item::from_tree(j.jackson_tree())
    }

    fn from_tree(j: Json) -> Item {
        match j {
            Json::Null => Item::Null,
            Json::Bool(b) => Item::Bool(b),
            Json::Number(n) => Item::number(&n),
            Json::String(s) => Item::Str(s),
            Json::Array(items) => {
                Item::Array(Rc::new(items.into_iter().map(Item::from_tree).collect()))
            }
            Json::Object(members) => Item::Object(Rc::new(
                members
                    .into_iter()
                    .map(|(k, v)| (k, Item::from_tree(v)))
                    .collect(),
            )),
        }
    }

    /// A JSON number's text as Jackson types it: an integer if written as one, else a double.
    fn number(text: &str) -> Item {
        if text.contains(['.', 'e', 'E']) {
            Item::Double(text.parse().unwrap_or(f64::NAN))
        } else {
            text.parse()
                .map_or_else(|_| Item::BigInt(text.to_string()), Item::Int)
        }
    }

    /// The item as JSON text, as Jackson writes it (members in order, doubles as Java writes
    /// them, NaN and the infinities as strings).
    pub fn json_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Item::Null => out.push_str("null"),
            Item::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Item::Int(i) => out.push_str(&i.to_string()),
            Item::BigInt(s) | Item::Decimal(s) => out.push_str(s),
            Item::Double(d) => {
                let text = super::java_format::double_to_string(*d);
                if d.is_finite() {
                    out.push_str(&text);
                } else {
                    super::cast::write_string(out, &text);
                }
            }
            Item::Str(s) => super::cast::write_string(out, s),
            Item::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Item::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    super::cast::write_string(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Jackson's name for the item's node type, as Trino's messages say it.
    fn node_type(&self) -> &'static str {
        match self {
            Item::Null => "NULL",
            Item::Bool(_) => "BOOLEAN",
            Item::Int(_) | Item::BigInt(_) | Item::Double(_) | Item::Decimal(_) => "NUMBER",
            Item::Str(_) => "STRING",
            Item::Array(_) => "ARRAY",
            Item::Object(_) => "OBJECT",
        }
    }

    /// The SQL type Trino gives the item when it becomes an SQL value.
    pub fn sql_type(&self) -> &'static str {
        match self {
            Item::Null => "unknown",
            Item::Bool(_) => "boolean",
            Item::Int(i) if i32::try_from(*i).is_ok() => "integer",
            Item::Int(_) | Item::BigInt(_) => "bigint",
            Item::Double(_) => "double",
            Item::Decimal(_) => "decimal",
            Item::Str(_) => "varchar",
            Item::Array(_) => "array",
            Item::Object(_) => "object",
        }
    }

    /// The name `.type()` gives.
    fn type_name(&self) -> &'static str {
        match self {
            Item::Null => "null",
            Item::Bool(_) => "boolean",
            Item::Int(_) | Item::BigInt(_) | Item::Double(_) | Item::Decimal(_) => "number",
            Item::Str(_) => "string",
            Item::Array(_) => "array",
            Item::Object(_) => "object",
        }
    }
}

/// A parsed path: its mode and expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    lax: bool,
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Root,
    Current,
    Last,
    Variable(String),
    Literal(Item),
    Member(Box<Expr>, String),
    Wildcard(Box<Expr>),
    Descendant(Box<Expr>, String),
    Elements(Box<Expr>, Vec<(Expr, Option<Expr>)>),
    AllElements(Box<Expr>),
    Method(Box<Expr>, Method),
    Filter(Box<Expr>, Box<Pred>),
    Negate(Box<Expr>),
    Plus(Box<Expr>),
    Binary(Box<Expr>, Op, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Abs,
    Ceiling,
    Floor,
    Double,
    Size,
    Type,
    KeyValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Pred {
    /// Conjuncts (a flat list: a long chain nests no deeper than a short one).
    And(Vec<Pred>),
    /// Disjuncts.
    Or(Vec<Pred>),
    Not(Box<Pred>),
    IsUnknown(Box<Pred>),
    Exists(Box<Expr>),
    Compare(Box<Expr>, Cmp, Box<Expr>),
    LikeRegex(Box<Expr>, Pattern),
    StartsWith(Box<Expr>, Box<Expr>),
}

/// A `like_regex` pattern, compared by its text.
#[derive(Debug, Clone)]
struct Pattern(regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Dollar,
    Var(String),
    At,
    Dot,
    DotDot,
    Star,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Question,
    Plus,
    Minus,
    Slash,
    Percent,
    Cmp(Cmp),
    And,
    Or,
    Bang,
    Str(String),
    Num(Item),
    Ident(String),
}

/// The path's operators and punctuation, longest first.
const SYMBOLS: &[(&str, Tok)] = &[
    ("..", Tok::DotDot),
    ("==", Tok::Cmp(Cmp::Eq)),
    ("!=", Tok::Cmp(Cmp::Ne)),
    ("<>", Tok::Cmp(Cmp::Ne)),
    ("<=", Tok::Cmp(Cmp::Le)),
    (">=", Tok::Cmp(Cmp::Ge)),
    ("&&", Tok::And),
    ("||", Tok::Or),
    ("<", Tok::Cmp(Cmp::Lt)),
    (">", Tok::Cmp(Cmp::Gt)),
    ("!", Tok::Bang),
    ("@", Tok::At),
    (".", Tok::Dot),
    ("*", Tok::Star),
    ("[", Tok::LBracket),
    ("]", Tok::RBracket),
    ("(", Tok::LParen),
    (")", Tok::RParen),
    (",", Tok::Comma),
    ("?", Tok::Question),
    ("+", Tok::Plus),
    ("-", Tok::Minus),
    ("/", Tok::Slash),
    ("%", Tok::Percent),
];

fn lex(text: &str) -> Result<Vec<Tok>, PathError> {
    let bad = || PathError::new(format!("Invalid JSON path: '{text}'"));
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            i += 1;
            continue;
        }
        // A number before a symbol: `.5` is one.
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) {
            let (n, end) = number(&chars, i).ok_or_else(bad)?;
            out.push(Tok::Num(n));
            i = end;
            continue;
        }
        if let Some((symbol, tok)) = SYMBOLS.iter().find(|(symbol, _)| {
            symbol
                .chars()
                .enumerate()
                .all(|(k, sc)| chars.get(i + k) == Some(&sc))
        }) {
            out.push(tok.clone());
            i += symbol.chars().count();
            continue;
        }
        match c {
            '$' => {
                let start = i + 1;
                let mut j = start;
                if chars.get(start).is_some_and(|c| is_ident_start(*c)) {
                    while j < chars.len() && is_ident_part(chars[j]) {
                        j += 1;
                    }
                    out.push(Tok::Var(chars[start..j].iter().collect()));
                } else {
                    out.push(Tok::Dollar);
                }
                i = j;
            }
            '"' => {
                let (s, end) = quoted(&chars, i).ok_or_else(bad)?;
                out.push(Tok::Str(s));
                i = end;
            }
            a if is_ident_start(a) => {
                let mut j = i;
                while j < chars.len() && is_ident_part(chars[j]) {
                    j += 1;
                }
                out.push(Tok::Ident(chars[i..j].iter().collect()));
                i = j;
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

/// A double-quoted string from `chars[at]` (the quote), `""` standing for a quote (the path
/// language's only escape): its text and where it ends.
fn quoted(chars: &[char], at: usize) -> Option<(String, usize)> {
    let mut s = String::new();
    let mut i = at + 1;
    while i < chars.len() {
        if chars[i] == '"' {
            if chars.get(i + 1) == Some(&'"') {
                s.push('"');
                i += 2;
                continue;
            }
            return Some((s, i + 1));
        }
        s.push(chars[i]);
        i += 1;
    }
    None
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A number from `chars[at]`: an integer (`1`), a decimal (`1.5`, `1.`, `.5`) or a double
/// (`1e3`, `.5e1`); its item and where it ends.
fn number(chars: &[char], at: usize) -> Option<(Item, usize)> {
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(at);
    let mut fraction = false;
    if chars.get(i) == Some(&'.') {
        fraction = true;
        i = digits(i + 1);
    }
    let mut exponent = false;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            i = digits(j);
            exponent = true;
        }
    }
    let text: String = chars[at..i].iter().collect();
    if text == "." || text.is_empty() {
        return None;
    }
    let item = if exponent {
        Item::Double(text.parse().ok()?)
    } else if fraction {
        Item::Decimal(decimal_text(&text))
    } else {
        Item::number(&text)
    };
    Some((item, i))
}

/// A number literal with a minus sign before it.
fn negated(n: &Item) -> Item {
    match n {
        Item::Int(i) => Item::Int(i.wrapping_neg()),
        Item::BigInt(t) => Item::number(&format!("-{t}")),
        Item::Decimal(t) => Item::Decimal(format!("-{t}")),
        Item::Double(f) => Item::Double(-f),
        other => other.clone(),
    }
}

/// A decimal literal as Java's `BigDecimal` writes it (`.5` is `0.5`, `1.` is `1`).
fn decimal_text(text: &str) -> String {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

struct Parser<'a> {
    toks: &'a [Tok],
    at: usize,
    depth: usize,
    text: &'a str,
    /// Where a parenthesis was read as a predicate and was not one.
    failed: HashSet<usize>,
}

impl Parser<'_> {
    fn bad<T>(&self) -> Result<T, PathError> {
        invalid(self.text)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ident(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn deeper(&mut self) -> Result<(), PathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(PathError::new(format!(
                "Invalid JSON path: '{}' nests too deeply",
                self.text
            )));
        }
        Ok(())
    }

    /// A chain of `n` accessors or operators nests as deeply as `n` parentheses: bounded too
    /// (evaluating, and dropping, a path recurses through it).
    fn chain(&self, n: usize) -> Result<(), PathError> {
        if n > MAX_CHAIN {
            return Err(PathError::new(format!(
                "Invalid JSON path: '{}' is too long",
                self.text
            )));
        }
        Ok(())
    }

    fn additive(&mut self) -> Result<Expr, PathError> {
        self.deeper()?;
        let mut left = self.multiplicative()?;
        for n in 0.. {
            self.chain(n)?;
            let op = match self.peek() {
                Some(Tok::Plus) => Op::Add,
                Some(Tok::Minus) => Op::Sub,
                _ => break,
            };
            self.at += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, PathError> {
        let mut left = self.unary()?;
        for n in 0.. {
            self.chain(n)?;
            let op = match self.peek() {
                Some(Tok::Star) => Op::Mul,
                Some(Tok::Slash) => Op::Div,
                Some(Tok::Percent) => Op::Mod,
                _ => break,
            };
            self.at += 1;
            let right = self.unary()?;
            left = Expr::Binary(Box::new(left), op, Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, PathError> {
        self.deeper()?;
        let literal = match (self.peek(), self.toks.get(self.at + 1)) {
            (Some(Tok::Minus), Some(Tok::Num(n))) => Some(negated(n)),
            _ => None,
        };
        let e = if let Some(n) = literal {
            // `-1.5.floor()` is the literal -1.5's floor, as Trino's grammar reads it.
            self.at += 2;
            self.accessors_from(Expr::Literal(n))?
        } else if self.eat(&Tok::Minus) {
            Expr::Negate(Box::new(self.unary()?))
        } else if self.eat(&Tok::Plus) {
            Expr::Plus(Box::new(self.unary()?))
        } else {
            self.accessors()?
        };
        self.depth -= 1;
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, PathError> {
        let Some(t) = self.peek().cloned() else {
            return self.bad();
        };
        self.at += 1;
        Ok(match t {
            Tok::Dollar => Expr::Root,
            Tok::At => Expr::Current,
            Tok::Var(name) => Expr::Variable(name),
            Tok::Num(n) => Expr::Literal(n),
            Tok::Str(s) => Expr::Literal(Item::Str(s)),
            Tok::Ident(w) if w == "true" => Expr::Literal(Item::Bool(true)),
            Tok::Ident(w) if w == "false" => Expr::Literal(Item::Bool(false)),
            Tok::Ident(w) if w == "null" => Expr::Literal(Item::Null),
            Tok::Ident(w) if w == "last" => Expr::Last,
            Tok::LParen => {
                let e = self.additive()?;
                if !self.eat(&Tok::RParen) {
                    return self.bad();
                }
                e
            }
            _ => return self.bad(),
        })
    }

    fn accessors(&mut self) -> Result<Expr, PathError> {
        let e = self.primary()?;
        self.accessors_from(e)
    }

    fn accessors_from(&mut self, mut e: Expr) -> Result<Expr, PathError> {
        for n in 0.. {
            self.chain(n)?;
            match self.peek() {
                Some(Tok::Dot) => {
                    self.at += 1;
                    match self.peek().cloned() {
                        Some(Tok::Star) => {
                            self.at += 1;
                            e = Expr::Wildcard(Box::new(e));
                        }
                        Some(Tok::Str(key)) => {
                            self.at += 1;
                            e = Expr::Member(Box::new(e), key);
                        }
                        Some(Tok::Ident(name)) => {
                            self.at += 1;
                            if self.eat(&Tok::LParen) {
                                let m = match name.as_str() {
                                    "abs" => Method::Abs,
                                    "ceiling" => Method::Ceiling,
                                    "floor" => Method::Floor,
                                    "double" => Method::Double,
                                    "size" => Method::Size,
                                    "type" => Method::Type,
                                    "keyvalue" => Method::KeyValue,
                                    "datetime" => {
                                        return Err(PathError::new(
                                            "datetime method in JSON path is not yet supported",
                                        ))
                                    }
                                    _ => return self.bad(),
                                };
                                if !self.eat(&Tok::RParen) {
                                    return self.bad();
                                }
                                e = Expr::Method(Box::new(e), m);
                            } else {
                                e = Expr::Member(Box::new(e), name);
                            }
                        }
                        _ => return self.bad(),
                    }
                }
                Some(Tok::DotDot) => {
                    self.at += 1;
                    let Some(Tok::Ident(key) | Tok::Str(key)) = self.peek().cloned() else {
                        return self.bad();
                    };
                    self.at += 1;
                    e = Expr::Descendant(Box::new(e), key);
                }
                Some(Tok::LBracket) => {
                    self.at += 1;
                    if self.eat(&Tok::Star) {
                        if !self.eat(&Tok::RBracket) {
                            return self.bad();
                        }
                        e = Expr::AllElements(Box::new(e));
                        continue;
                    }
                    let mut subscripts = Vec::new();
                    loop {
                        let from = self.additive()?;
                        let to = if self.ident("to") {
                            self.at += 1;
                            Some(self.additive()?)
                        } else {
                            None
                        };
                        subscripts.push((from, to));
                        if self.eat(&Tok::Comma) {
                            continue;
                        }
                        if self.eat(&Tok::RBracket) {
                            break;
                        }
                        return self.bad();
                    }
                    e = Expr::Elements(Box::new(e), subscripts);
                }
                Some(Tok::Question) => {
                    self.at += 1;
                    if !self.eat(&Tok::LParen) {
                        return self.bad();
                    }
                    let p = self.disjunction()?;
                    if !self.eat(&Tok::RParen) {
                        return self.bad();
                    }
                    e = Expr::Filter(Box::new(e), Box::new(p));
                }
                _ => return Ok(e),
            }
        }
        Ok(e)
    }

    fn disjunction(&mut self) -> Result<Pred, PathError> {
        self.deeper()?;
        let mut terms = vec![self.conjunction()?];
        while self.eat(&Tok::Or) {
            terms.push(self.conjunction()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Pred::Or(terms)
        })
    }

    fn conjunction(&mut self) -> Result<Pred, PathError> {
        let mut terms = vec![self.negation()?];
        while self.eat(&Tok::And) {
            terms.push(self.negation()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Pred::And(terms)
        })
    }

    /// `!` applies to `exists(...)` or a parenthesised predicate only, as in Trino's grammar.
    fn negation(&mut self) -> Result<Pred, PathError> {
        if self.eat(&Tok::Bang) {
            let delimited = self.peek() == Some(&Tok::LParen)
                || (self.ident("exists") && self.toks.get(self.at + 1) == Some(&Tok::LParen));
            if !delimited {
                return self.bad();
            }
            self.deeper()?;
            let p = self.predicate_primary()?;
            self.depth -= 1;
            return Ok(Pred::Not(Box::new(p)));
        }
        self.predicate_primary()
    }

    fn predicate_primary(&mut self) -> Result<Pred, PathError> {
        // `( predicate )`, perhaps followed by `is unknown`; else an expression's predicate
        // (a parenthesis may open an arithmetic expression instead: tried second).
        if self.peek() == Some(&Tok::LParen) && !self.failed.contains(&self.at) {
            let (start, depth) = (self.at, self.depth);
            self.at += 1;
            if let Ok(p) = self.disjunction() {
                if self.eat(&Tok::RParen) {
                    if self.ident("is") {
                        self.at += 1;
                        if !self.ident("unknown") {
                            return self.bad();
                        }
                        self.at += 1;
                        return Ok(Pred::IsUnknown(Box::new(p)));
                    }
                    return Ok(p);
                }
            }
            // Read again as an expression; a parenthesis that opens no predicate is tried as
            // one only once (each level of `((((@ + 1)))) > 0` would double the work).
            self.failed.insert(start);
            self.at = start;
            self.depth = depth;
        }
        if self.ident("exists") && self.toks.get(self.at + 1) == Some(&Tok::LParen) {
            self.at += 2;
            let e = self.additive()?;
            if !self.eat(&Tok::RParen) {
                return self.bad();
            }
            return Ok(Pred::Exists(Box::new(e)));
        }
        let left = self.additive()?;
        if let Some(Tok::Cmp(c)) = self.peek().cloned() {
            self.at += 1;
            let right = self.additive()?;
            return Ok(Pred::Compare(Box::new(left), c, Box::new(right)));
        }
        if self.ident("like_regex") {
            self.at += 1;
            let Some(Tok::Str(pattern)) = self.peek().cloned() else {
                return self.bad();
            };
            self.at += 1;
            let mut flags = String::new();
            if self.ident("flag") {
                self.at += 1;
                let Some(Tok::Str(f)) = self.peek().cloned() else {
                    return self.bad();
                };
                self.at += 1;
                flags = f;
            }
            let mut builder = regex::RegexBuilder::new(&pattern);
            for f in flags.chars() {
                match f {
                    'i' => builder.case_insensitive(true),
                    's' => builder.dot_matches_new_line(true),
                    'm' => builder.multi_line(true),
                    'x' => builder.ignore_whitespace(true),
                    _ => return Err(PathError::new(format!("invalid flag for like_regex: {f}"))),
                };
            }
            let re = builder
                .size_limit(1 << 20)
                .build()
                .map_err(|e| PathError::new(format!("invalid pattern for like_regex: {e}")))?;
            return Ok(Pred::LikeRegex(Box::new(left), Pattern(re)));
        }
        if self.ident("starts")
            && matches!(self.toks.get(self.at + 1), Some(Tok::Ident(w)) if w == "with")
        {
            self.at += 2;
            // A text literal or a `$name`, as Trino's grammar has it.
            if !matches!(self.peek(), Some(Tok::Str(_) | Tok::Var(_))) {
                return self.bad();
            }
            let right = self.primary()?;
            return Ok(Pred::StartsWith(Box::new(left), Box::new(right)));
        }
        self.bad()
    }
}

impl Path {
    /// `text` (`lax $.a`, `strict $[0]`) parsed, or Trino's "Invalid JSON path" refusal.
    pub fn parse(text: &str) -> Result<Path, PathError> {
        let invalid = |why: &str| PathError::new(format!("Invalid JSON path: '{text}'{why}"));
        let trimmed = text.trim_start();
        // The first token as ANTLR would cut it: a word, or one character.
        let mode = match trimmed.find(|c: char| !is_ident_part(c)) {
            None => trimmed,
            Some(0) => trimmed
                .chars()
                .next()
                .map_or("", |c| &trimmed[..c.len_utf8()]),
            Some(end) => &trimmed[..end],
        };
        let lax = match mode {
            "lax" => true,
            "strict" => false,
            // ANTLR's words in Trino's message.
            _ => {
                let found = if mode.is_empty() { "<EOF>" } else { mode };
                return Err(PathError::new(format!(
                    "mismatched input '{found}' expecting {{'lax', 'strict'}}"
                )));
            }
        };
        let toks = lex(text)?;
        let mut p = Parser {
            toks: &toks[1..],
            at: 0,
            depth: 0,
            text,
            failed: HashSet::new(),
        };
        let expr = p.additive()?;
        if p.at != p.toks.len() {
            return Err(invalid(""));
        }
        Ok(Path { lax, expr })
    }

    /// The `$name` parameters the path uses.
    pub fn variables(&self) -> Vec<String> {
        fn walk(e: &Expr, out: &mut Vec<String>) {
            match e {
                Expr::Variable(n) => out.push(n.clone()),
                Expr::Member(b, _)
                | Expr::Wildcard(b)
                | Expr::Descendant(b, _)
                | Expr::AllElements(b)
                | Expr::Method(b, _)
                | Expr::Negate(b)
                | Expr::Plus(b) => walk(b, out),
                Expr::Elements(b, subs) => {
                    walk(b, out);
                    for (f, t) in subs {
                        walk(f, out);
                        if let Some(t) = t {
                            walk(t, out);
                        }
                    }
                }
                Expr::Filter(b, p) => {
                    walk(b, out);
                    pred(p, out);
                }
                Expr::Binary(l, _, r) => {
                    walk(l, out);
                    walk(r, out);
                }
                Expr::Root | Expr::Current | Expr::Last | Expr::Literal(_) => {}
            }
        }
        fn pred(p: &Pred, out: &mut Vec<String>) {
            match p {
                Pred::And(terms) | Pred::Or(terms) => {
                    for t in terms {
                        pred(t, out);
                    }
                }
                Pred::Not(a) | Pred::IsUnknown(a) => pred(a, out),
                Pred::Exists(e) | Pred::LikeRegex(e, _) => walk(e, out),
                Pred::Compare(l, _, r) | Pred::StartsWith(l, r) => {
                    walk(l, out);
                    walk(r, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.expr, &mut out);
        out
    }

    /// The sequence of items the path selects in `input`, with `params` bound to `$name`
    /// (`None`: an empty sequence, a NULL passed with FORMAT JSON).
    pub fn evaluate(
        &self,
        input: &Item,
        params: &HashMap<String, Option<Item>>,
    ) -> Result<Vec<Item>, PathError> {
        let ctx = Context {
            lax: self.lax,
            root: input,
            params,
            objects: Cell::new(0),
            produced: Cell::new(0),
            over: Cell::new(false),
        };
        let result = ctx.eval(&self.expr, None, None, 0);
        // Past a bound every step fails at once; a predicate would have made its failure
        // UNKNOWN, so the end says so whatever the result.
        if ctx.over.get() {
            return Err(PathError(
                format!(
                    "JSON path evaluation for one row passed the service's bounds \
                     ({MAX_ITEMS} items in a sequence, {MAX_WORK} items and comparisons in all)"
                ),
                true,
            ));
        }
        result
    }
}

struct Context<'a> {
    lax: bool,
    root: &'a Item,
    params: &'a HashMap<String, Option<Item>>,
    /// The objects `keyvalue()` has read in this evaluation (its `id`s).
    objects: Cell<i64>,
    /// The items made and pairs compared so far (see [`MAX_WORK`]).
    produced: Cell<usize>,
    /// Whether a bound was passed.
    over: Cell<bool>,
}

/// A three-valued predicate result.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Context<'_> {
    fn eval(
        &self,
        e: &Expr,
        current: Option<&Item>,
        last: Option<i64>,
        depth: usize,
    ) -> Result<Vec<Item>, PathError> {
        if depth > MAX_EVAL_DEPTH {
            return fail("JSON path nests too deeply");
        }
        let d = depth + 1;
        let out = self.step(e, current, last, d)?;
        self.charge(out.len())?;
        Ok(out)
    }

    /// Fails once a sequence being made holds `pending` items past [`MAX_ITEMS`], or the work
    /// so far passes [`MAX_WORK`] (checked inside the steps that multiply items).
    fn room(&self, pending: usize) -> Result<(), PathError> {
        if self.over.get()
            || pending > MAX_ITEMS
            || self.produced.get().saturating_add(pending) > MAX_WORK
        {
            self.over.set(true);
            return fail("too many items");
        }
        Ok(())
    }

    /// Counts a sequence of `n` items as work (and as a sequence, against [`MAX_ITEMS`]).
    fn charge(&self, n: usize) -> Result<(), PathError> {
        if n > MAX_ITEMS {
            self.over.set(true);
        }
        self.work(n)
    }

    /// Counts `n` items made or pairs compared against [`MAX_WORK`].
    fn work(&self, n: usize) -> Result<(), PathError> {
        let total = self.produced.get().saturating_add(n);
        self.produced.set(total);
        if self.over.get() || total > MAX_WORK {
            self.over.set(true);
            return fail("too many items");
        }
        Ok(())
    }

    fn step(
        &self,
        e: &Expr,
        current: Option<&Item>,
        last: Option<i64>,
        d: usize,
    ) -> Result<Vec<Item>, PathError> {
        Ok(match e {
            Expr::Root => vec![self.root.clone()],
            Expr::Current => match current {
                Some(c) => vec![c.clone()],
                None => return fail("accessing current filter item with no enclosing filter"),
            },
            Expr::Last => match last {
                Some(l) => vec![Item::Int(l)],
                None => return fail("accessing the last array index with no enclosing array"),
            },
            Expr::Variable(name) => match self.params.get(name) {
                Some(Some(v)) => vec![v.clone()],
                Some(None) => Vec::new(),
                None => return fail(format!("no value passed for parameter {name}")),
            },
            Expr::Literal(v) => vec![v.clone()],
            Expr::Member(base, key) => {
                let mut out = Vec::new();
                for item in self.unwrapped(self.eval(base, current, last, d)?) {
                    match item {
                        Item::Object(members) => match members.iter().find(|(k, _)| k == key) {
                            Some((_, v)) => out.push(v.clone()),
                            None if self.lax => {}
                            None => {
                                return fail(format!(
                                    "structural error: missing member '{key}' in JSON object"
                                ))
                            }
                        },
                        _ if self.lax => {}
                        other => return wrong_type("OBJECT", &other),
                    }
                }
                out
            }
            Expr::Wildcard(base) => {
                let mut out = Vec::new();
                for item in self.unwrapped(self.eval(base, current, last, d)?) {
                    match item {
                        Item::Object(members) => {
                            out.extend(members.iter().map(|(_, v)| v.clone()));
                            self.room(out.len())?;
                        }
                        _ if self.lax => {}
                        other => return wrong_type("OBJECT", &other),
                    }
                }
                out
            }
            Expr::Descendant(base, key) => {
                let mut out = Vec::new();
                for item in self.eval(base, current, last, d)? {
                    descendants(&item, key, &mut out, 0)?;
                    self.room(out.len())?;
                }
                out
            }
            Expr::Elements(base, subscripts) => {
                let mut out = Vec::new();
                for item in self.eval(base, current, last, d)? {
                    let elements = match item {
                        Item::Array(items) => items,
                        other if self.lax => Rc::new(vec![other]),
                        other => return wrong_type("ARRAY", &other),
                    };
                    if elements.is_empty() {
                        if self.lax {
                            continue;
                        }
                        return fail("structural error: invalid array subscript for empty array");
                    }
                    let size = i64::try_from(elements.len()).unwrap_or(i64::MAX);
                    let last = Some(size - 1);
                    for (from, to) in subscripts {
                        let from_at = self.index(from, current, last, d, "from")?;
                        let to_at = match to {
                            Some(t) => self.index(t, current, last, d, "to")?,
                            None => from_at,
                        };
                        if !self.lax
                            && (from_at < 0
                                || from_at >= size
                                || to_at < 0
                                || to_at >= size
                                || from_at > to_at)
                        {
                            return fail(format!(
                                "structural error: invalid array subscript: [{from_at}, {to_at}] for array of size {size}"
                            ));
                        }
                        self.room(out.len())?;
                        let mut i = from_at.max(0);
                        while i <= to_at && i < size {
                            if let Some(v) = usize::try_from(i).ok().and_then(|u| elements.get(u)) {
                                out.push(v.clone());
                            }
                            i += 1;
                        }
                    }
                }
                out
            }
            Expr::AllElements(base) => {
                let mut out = Vec::new();
                for item in self.eval(base, current, last, d)? {
                    match item {
                        Item::Array(items) => {
                            out.extend(items.iter().cloned());
                            self.room(out.len())?;
                        }
                        other if self.lax => out.push(other),
                        other => return wrong_type("ARRAY", &other),
                    }
                }
                out
            }
            Expr::Method(base, m) => {
                let items = self.eval(base, current, last, d)?;
                let items = match m {
                    Method::Size | Method::Type => items,
                    _ => self.unwrapped(items),
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.extend(self.method(*m, item)?);
                }
                out
            }
            Expr::Filter(base, pred) => {
                let mut out = Vec::new();
                for item in self.unwrapped(self.eval(base, current, last, d)?) {
                    if self.truth(pred, &item, last, d) == Truth::True {
                        out.push(item);
                    }
                }
                out
            }
            Expr::Negate(x) | Expr::Plus(x) => {
                let negate = matches!(e, Expr::Negate(_));
                let mut out = Vec::new();
                for item in self.unwrapped(self.eval(x, current, last, d)?) {
                    out.push(match (item, negate) {
                        (n @ (Item::Int(_) | Item::Double(_) | Item::Decimal(_)), false) => n,
                        (Item::Int(i), true) => {
                            Item::Int(i.checked_neg().map_or_else(|| fail(""), Ok)?)
                        }
                        (Item::Double(f), true) => Item::Double(-f),
                        (Item::Decimal(t), true) => Item::Decimal(match t.strip_prefix('-') {
                            Some(p) => p.to_string(),
                            None => format!("-{t}"),
                        }),
                        (other, _) => return wrong_type("NUMBER", &other),
                    });
                }
                out
            }
            Expr::Binary(l, op, r) => {
                let left = self.unwrapped(self.eval(l, current, last, d)?);
                let right = self.unwrapped(self.eval(r, current, last, d)?);
                let ([left], [right]) = (left.as_slice(), right.as_slice()) else {
                    return fail("arithmetic binary expression requires singleton operands");
                };
                vec![arithmetic(left, *op, right)?]
            }
        })
    }

    /// The items, with each array's elements in its place in lax mode.
    fn unwrapped(&self, items: Vec<Item>) -> Vec<Item> {
        if !self.lax || !items.iter().any(|i| matches!(i, Item::Array(_))) {
            return items;
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Array(elements) => out.extend(elements.iter().cloned()),
                other => out.push(other),
            }
        }
        out
    }

    /// A subscript's value: one number (not unwrapped); a JSON double truncated, a decimal
    /// rounded half up, as Trino converts them.
    fn index(
        &self,
        e: &Expr,
        current: Option<&Item>,
        last: Option<i64>,
        depth: usize,
        which: &str,
    ) -> Result<i64, PathError> {
        let items = self.eval(e, current, last, depth)?;
        let [item] = items.as_slice() else {
            return fail(format!(
                "array subscript '{which}' value must be singleton numeric"
            ));
        };
        let in_range = |f: f64| f.is_finite() && f.abs() < 9.2e18;
        match item {
            Item::Int(i) => Ok(*i),
            Item::Double(f) if in_range(*f) => Ok(f.trunc() as i64),
            Item::Decimal(t) => match t.parse::<f64>() {
                Ok(f) if in_range(f) => Ok(f.round() as i64),
                _ => fail(""),
            },
            Item::BigInt(_) | Item::Double(_) => {
                fail(format!("cannot convert value {} to long", item.json_text()))
            }
            other => wrong_type("NUMBER", other),
        }
    }

    fn method(&self, m: Method, item: Item) -> Result<Vec<Item>, PathError> {
        Ok(match (m, item) {
            (Method::Size, Item::Array(items)) => {
                vec![Item::Int(i64::try_from(items.len()).unwrap_or(i64::MAX))]
            }
            (Method::Size, _) if self.lax => vec![Item::Int(1)],
            (Method::Size, other) => return wrong_type("ARRAY", &other),
            (Method::Type, other) => vec![Item::Str(other.type_name().into())],
            (Method::Abs, Item::Int(i)) => {
                vec![Item::Int(i.checked_abs().map_or_else(|| fail(""), Ok)?)]
            }
            (Method::Abs, Item::Double(f)) => vec![Item::Double(f.abs())],
            (Method::Abs, Item::Decimal(t)) => {
                vec![Item::Decimal(t.trim_start_matches('-').to_string())]
            }
            (Method::Ceiling | Method::Floor, Item::Int(i)) => vec![Item::Int(i)],
            (Method::Ceiling, Item::Double(f)) => vec![Item::Double(f.ceil())],
            (Method::Floor, Item::Double(f)) => vec![Item::Double(f.floor())],
            (Method::Ceiling | Method::Floor, Item::Decimal(t)) => {
                let f: f64 = t.parse().unwrap_or(f64::NAN);
                let r = if m == Method::Ceiling {
                    f.ceil()
                } else {
                    f.floor()
                };
                vec![Item::Decimal(format!("{r:.0}"))]
            }
            (Method::Double, Item::Int(i)) => vec![Item::Double(i as f64)],
            (Method::Double, Item::Double(f)) => vec![Item::Double(f)],
            (Method::Double, Item::BigInt(t) | Item::Decimal(t)) => {
                vec![Item::Double(t.parse().unwrap_or(f64::NAN))]
            }
            (Method::Double, Item::Str(s)) => match s.trim().parse::<f64>() {
                Ok(f) => vec![Item::Double(f)],
                Err(_) => return fail(""),
            },
            (Method::KeyValue, Item::Object(members)) => {
                let id = self.objects.get();
                self.objects.set(id.saturating_add(1));
                members
                    .iter()
                    .map(|(k, v)| {
                        Item::Object(Rc::new(vec![
                            ("name".into(), Item::Str(k.clone())),
                            ("value".into(), v.clone()),
                            ("id".into(), Item::Int(id)),
                        ]))
                    })
                    .collect()
            }
            (Method::Double, other) => return wrong_type("NUMBER or TEXT", &other),
            (Method::KeyValue, other) => return wrong_type("OBJECT", &other),
            (Method::Abs | Method::Ceiling | Method::Floor, other) => {
                return wrong_type("NUMBER", &other)
            }
        })
    }

    fn truth(&self, p: &Pred, current: &Item, last: Option<i64>, depth: usize) -> Truth {
        if depth > MAX_EVAL_DEPTH {
            return Truth::Unknown;
        }
        let d = depth + 1;
        let eval = |e: &Expr| self.eval(e, Some(current), last, d);
        match p {
            // Kleene's AND and OR, left to right, stopping at the first FALSE (TRUE).
            Pred::And(terms) | Pred::Or(terms) => {
                let and = matches!(p, Pred::And(_));
                let (stop, keep) = if and {
                    (Truth::False, Truth::True)
                } else {
                    (Truth::True, Truth::False)
                };
                let mut result = keep;
                for t in terms {
                    match self.truth(t, current, last, d) {
                        x if x == stop => return stop,
                        Truth::Unknown => result = Truth::Unknown,
                        _ => {}
                    }
                }
                result
            }
            Pred::Not(a) => match self.truth(a, current, last, d) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                Truth::Unknown => Truth::Unknown,
            },
            Pred::IsUnknown(a) => {
                if self.truth(a, current, last, d) == Truth::Unknown {
                    Truth::True
                } else {
                    Truth::False
                }
            }
            Pred::Exists(e) => match eval(e) {
                Ok(items) if items.is_empty() => Truth::False,
                Ok(_) => Truth::True,
                Err(_) => Truth::Unknown,
            },
            Pred::Compare(l, c, r) => {
                let (Ok(left), Ok(right)) = (eval(l), eval(r)) else {
                    return Truth::Unknown;
                };
                if self.work(left.len().saturating_mul(right.len())).is_err() {
                    return Truth::Unknown;
                }
                self.comparison(&self.unwrapped(left), *c, &self.unwrapped(right))
            }
            Pred::LikeRegex(e, Pattern(re)) => {
                let Ok(items) = eval(e) else {
                    return Truth::Unknown;
                };
                self.text_test(&self.unwrapped(items), |s| re.is_match(s))
            }
            Pred::StartsWith(e, prefix) => {
                let (Ok(items), Ok(prefix)) = (eval(e), eval(prefix)) else {
                    return Truth::Unknown;
                };
                let [Item::Str(prefix)] = prefix.as_slice() else {
                    return Truth::Unknown;
                };
                self.text_test(&self.unwrapped(items), |s| s.starts_with(prefix.as_str()))
            }
        }
    }

    /// `starts with` and `like_regex` over a sequence: FALSE when empty; a non-text item is
    /// UNKNOWN at once; a match is TRUE at once in lax mode, and TRUE at the end in strict
    /// mode (where a later non-text item still makes it UNKNOWN).
    fn text_test(&self, items: &[Item], test: impl Fn(&str) -> bool) -> Truth {
        let mut found = false;
        for item in items {
            let Item::Str(s) = item else {
                return Truth::Unknown;
            };
            if test(s) {
                if self.lax {
                    return Truth::True;
                }
                found = true;
            }
        }
        if found {
            Truth::True
        } else {
            Truth::False
        }
    }

    /// A comparison of two sequences as Trino's predicate evaluator makes it: FALSE if either
    /// is empty; UNKNOWN if an array or object meets anything; the null rules (null == null,
    /// null != anything else); then every pair of scalars, an incomparable pair UNKNOWN at once
    /// and a true pair TRUE at once in lax mode.
    fn comparison(&self, left: &[Item], c: Cmp, right: &[Item]) -> Truth {
        if left.is_empty() || right.is_empty() {
            return Truth::False;
        }
        let kinds = |items: &[Item]| {
            let null = items.contains(&Item::Null);
            let container = items
                .iter()
                .any(|i| matches!(i, Item::Array(_) | Item::Object(_)));
            let scalar = items
                .iter()
                .any(|i| !matches!(i, Item::Null | Item::Array(_) | Item::Object(_)));
            (null, scalar, container)
        };
        let (l_null, l_scalar, l_container) = kinds(left);
        let (r_null, r_scalar, r_container) = kinds(right);
        if (l_container && (r_container || r_scalar)) || (l_scalar && r_container) {
            return Truth::Unknown;
        }
        let mut found = match c {
            Cmp::Eq => l_null && r_null,
            Cmp::Ne => {
                (l_null && (r_scalar || r_container)) || (r_null && (l_scalar || l_container))
            }
            _ => false,
        };
        if found && self.lax {
            return Truth::True;
        }
        if !l_scalar || !r_scalar {
            return if found { Truth::True } else { Truth::False };
        }
        for a in left.iter().filter(|i| !matches!(i, Item::Null)) {
            for b in right.iter().filter(|i| !matches!(i, Item::Null)) {
                match compare(a, c, b) {
                    None => return Truth::Unknown,
                    Some(true) => {
                        if self.lax {
                            return Truth::True;
                        }
                        found = true;
                    }
                    Some(false) => {}
                }
            }
        }
        if found {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// The values named `key` anywhere under `item`, depth first: an object's own member before
/// those inside its members.
fn descendants(item: &Item, key: &str, out: &mut Vec<Item>, depth: usize) -> Result<(), PathError> {
    if depth > MAX_DEPTH * 2 {
        return fail("JSON path nests too deeply");
    }
    match item {
        Item::Object(members) => {
            for (k, v) in members.iter() {
                if k == key {
                    out.push(v.clone());
                }
            }
            for (_, v) in members.iter() {
                descendants(v, key, out, depth + 1)?;
            }
        }
        Item::Array(items) => {
            for v in items.iter() {
                descendants(v, key, out, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A number as a double, if it is one.
fn as_double(i: &Item) -> Option<f64> {
    match i {
        Item::Int(n) => Some(*n as f64),
        Item::Double(f) => Some(*f),
        Item::BigInt(s) | Item::Decimal(s) => s.parse().ok(),
        _ => None,
    }
}

/// `a op b` for numbers: integers stay integers (checked; division truncates, by zero an
/// error), else doubles (by zero infinite or NaN, as Java divides).
fn arithmetic(a: &Item, op: Op, b: &Item) -> Result<Item, PathError> {
    if let (Item::Int(x), Item::Int(y)) = (a, b) {
        let r = match op {
            Op::Add => x.checked_add(*y),
            Op::Sub => x.checked_sub(*y),
            Op::Mul => x.checked_mul(*y),
            Op::Div => x.checked_div(*y),
            Op::Mod => x.checked_rem(*y),
        };
        return r.map(Item::Int).map_or_else(|| fail(""), Ok);
    }
    for operand in [a, b] {
        if !matches!(
            operand,
            Item::Int(_) | Item::Double(_) | Item::Decimal(_) | Item::BigInt(_)
        ) {
            return wrong_type("NUMBER", operand);
        }
    }
    let (Some(x), Some(y)) = (as_double(a), as_double(b)) else {
        return fail("");
    };
    Ok(Item::Double(match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div => x / y,
        Op::Mod => x % y,
    }))
}

/// One comparison of two non-null scalars: `None` where they cannot be compared (text with a
/// number, a boolean with either, an integer beyond 64 bits).
fn compare(a: &Item, c: Cmp, b: &Item) -> Option<bool> {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Item::Bool(x), Item::Bool(y)) => x.cmp(y),
        (Item::Str(x), Item::Str(y)) => x.cmp(y),
        (Item::Int(x), Item::Int(y)) => x.cmp(y),
        (Item::BigInt(_), _) | (_, Item::BigInt(_)) => return None,
        _ => match as_double(a)?.partial_cmp(&as_double(b)?) {
            Some(o) => o,
            // NaN equals nothing and is no less nor greater than anything.
            None => return Some(c == Cmp::Ne),
        },
    };
    Some(match c {
        Cmp::Eq => ord == Ordering::Equal,
        Cmp::Ne => ord != Ordering::Equal,
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        Cmp::Ge => ord != Ordering::Less,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(doc: &str, path: &str) -> Result<Vec<String>, PathError> {
        let input = Item::from_json(Json::parse(doc).expect("json"));
        let items = Path::parse(path)?.evaluate(&input, &HashMap::new())?;
        Ok(items.iter().map(Item::json_text).collect())
    }

    #[test]
    fn trinos_worked_examples() {
        let ok = |doc: &str, path: &str, want: &[&str]| {
            assert_eq!(run(doc, path).expect(path), want, "{path} over {doc}");
        };
        ok(r#"{"a":[1,2,{"b":3}]}"#, "lax $.a.b", &["3"]);
        ok("[[1,2],[3]]", "lax $[*][0]", &["1", "3"]);
        ok("[[1,2],[3]]", "lax $.size()", &["2"]);
        ok("[1,2,3]", "lax $[last]", &["3"]);
        ok("[1,2,3]", "lax $[last-1 to last]", &["2", "3"]);
        ok("[1,2,3]", "lax $[5]", &[]);
        ok("[1,2,3]", "lax $[2 to 1]", &[]);
        ok("[1,2,3]", "lax $[1,0,0]", &["2", "1", "1"]);
        ok(r#"[1,"x",3]"#, "lax $?(@ > 1)", &["3"]);
        ok(
            r#"{"key1":{"key1":false},"key2":42}"#,
            "lax $..key1",
            &[r#"{"key1":false}"#, "false"],
        );
        ok(
            r#"[{"a":1},{}, {"b":2}]"#,
            "lax $.keyvalue().id",
            &["0", "2"],
        );
        ok(r#"{"a":1.5}"#, "lax $.a.type()", &[r#""number""#]);
        ok(r#"{"a":"x y"}"#, r#"lax $."a""#, &[r#""x y""#]);
    }

    #[test]
    fn strict_mode_and_arithmetic_fail_with_trinos_words() {
        let err = |doc: &str, path: &str, want: &str| {
            let got = run(doc, path).expect_err(path).0;
            assert_eq!(got, format!("path evaluation failed: {want}"), "{path}");
        };
        err(
            r#"{"a":[1,2,{"b":3}]}"#,
            "strict $.a.b",
            "invalid item type. Expected: OBJECT, actual: ARRAY",
        );
        err(
            "[1,2,3]",
            "strict $[5]",
            "structural error: invalid array subscript: [5, 5] for array of size 3",
        );
        err(
            r#"{"a":1}"#,
            "strict $.b",
            "structural error: missing member 'b' in JSON object",
        );
        err(
            "[[1,2],[3]]",
            "lax $.floor()",
            "invalid item type. Expected: NUMBER, actual: ARRAY",
        );
        err(
            "[1,2]",
            "lax $ + 1",
            "arithmetic binary expression requires singleton operands",
        );
        err("1", "lax $ / 0", "");
        err(
            "1",
            "lax @",
            "accessing current filter item with no enclosing filter",
        );
        assert!(Path::parse("$.a").is_err());
        assert!(Path::parse("LAX $.a").is_err());
        assert!(Path::parse("lax $.a[").is_err());
        assert!(Path::parse(&format!("lax {}1{}", "(".repeat(500), ")".repeat(500))).is_err());
    }

    #[test]
    fn random_paths_never_panic() {
        use rand::{Rng, SeedableRng};
        // Pieces of the grammar, joined at random: parsing and evaluating must end in an
        // answer or an error, whatever the text.
        const PIECES: &[&str] = &[
            "lax ",
            "strict ",
            "$",
            "@",
            ".",
            "..",
            "*",
            "[",
            "]",
            "(",
            ")",
            "?",
            ",",
            " to ",
            "last",
            "a",
            "b",
            "\"a\"",
            "1",
            "-1",
            "0",
            "2.5",
            "1e3",
            "+",
            "-",
            "/",
            "%",
            "==",
            "!=",
            "<",
            ">=",
            "&&",
            "||",
            "!",
            "exists",
            "starts with ",
            "like_regex ",
            "\"^a\"",
            " flag \"i\"",
            "is unknown",
            "size()",
            "type()",
            "keyvalue()",
            "double()",
            "abs()",
            "floor()",
            "$v",
            "true",
            "null",
            " ",
            "é",
            "\u{1F600}",
        ];
        let doc = Item::from_json(
            Json::parse(r#"{"a":[1,{"a":2,"b":[3,"x"]},null],"b":{"a":true}}"#).expect("json"),
        );
        let params = HashMap::from([("v".to_string(), Some(Item::Int(1)))]);
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let n = rng.gen_range(1..24);
            let mut text = String::from(match rng.gen_range(0..3) {
                0 => "lax ",
                1 => "strict ",
                _ => "",
            });
            for _ in 0..n {
                text.push_str(PIECES[rng.gen_range(0..PIECES.len())]);
            }
            if let Ok(path) = Path::parse(&text) {
                let _ = path.evaluate(&doc, &params);
            }
        }
    }
}
