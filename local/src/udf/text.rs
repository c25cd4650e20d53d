//! Trino's string, regular expression, URL and JSON functions as CloudTrail Lake documents
//! them, where DataFusion lacks them or gives other answers (`regexp_replace` replaces every
//! match, `substr` counts a negative start from the end, `concat` of a NULL is NULL), and
//! Teradata's `index` and `char2hexint`.

use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, ListBuilder, StringArray,
    StringBuilder,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use regex::Regex;
use serde_json::Value;

use super::func::{returns_bool, returns_int64, returns_utf8, Func};
use super::{exec_err, json_path, strings};

/// The name `substr` and `substring` calls are rewritten to.
pub const SUBSTR: &str = "trino_substr";

/// The function a rewrite calls where Trino raises an error: it fails with its argument.
pub const RAISE: &str = "trino_raise";

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("split", 2..=3, returns_list, split).udf(),
        Func::new("regexp_extract", 2..=3, returns_utf8, regexp_extract).udf(),
        Func::new(
            "regexp_extract_all",
            2..=3,
            returns_list,
            regexp_extract_all,
        )
        .udf(),
        Func::new("regexp_replace", 2..=3, returns_utf8, regexp_replace).udf(),
        Func::new("regexp_count", 2..=2, returns_int64, regexp_count).udf(),
        Func::new(
            "levenshtein_distance",
            2..=2,
            returns_int64,
            levenshtein_distance,
        )
        .udf(),
        Func::new("hamming_distance", 2..=2, returns_int64, hamming_distance).udf(),
        Func::new("soundex", 1..=1, returns_utf8, soundex).udf(),
        Func::new("word_stem", 1..=2, returns_utf8, word_stem).udf(),
        Func::new("luhn_check", 1..=1, returns_bool, luhn_check).udf(),
        Func::new("codepoint", 1..=1, returns_int64, codepoint).udf(),
        Func::new("format_number", 1..=1, returns_utf8, format_number).udf(),
        Func::new("title_case", 1..=1, returns_utf8, title_case).udf(),
        Func::new("index", 2..=2, returns_int64, teradata_index).udf(),
        Func::new("char2hexint", 1..=1, returns_utf8, char2hexint).udf(),
        Func::new("split_to_map", 3..=3, returns_text_map, split_to_map).udf(),
        Func::new(
            "split_to_multimap",
            3..=3,
            returns_text_multimap,
            split_to_multimap,
        )
        .udf(),
        Func::new("normalize", 1..=2, returns_utf8, normalize).udf(),
        Func::new("regexp_position", 2..=3, returns_int64, regexp_position).udf(),
        Func::new("regexp_split", 2..=2, returns_list, regexp_split).udf(),
        Func::new("replace", 2..=3, returns_utf8, replace).udf(),
        // `substr(...)` and `substring(...)` parse as SQL's SUBSTRING, which DataFusion plans
        // with its own function: `sql::prepare` rewrites them into calls of this one.
        Func::new(SUBSTR, 2..=3, returns_utf8, substr).udf(),
        Func::new(RAISE, 1..=1, returns_utf8, raise).udf(),
        Func::new("concat", 1..=254, returns_concat, concat).udf(),
        Func::new("contains", 2..=2, returns_bool, contains).udf(),
        Func::new("url_extract_host", 1..=1, returns_utf8, url_part::<HOST>).udf(),
        Func::new("url_extract_path", 1..=1, returns_utf8, url_part::<PATH>).udf(),
        Func::new(
            "url_extract_protocol",
            1..=1,
            returns_utf8,
            url_part::<PROTOCOL>,
        )
        .udf(),
        Func::new("url_extract_query", 1..=1, returns_utf8, url_part::<QUERY>).udf(),
        Func::new(
            "url_extract_fragment",
            1..=1,
            returns_utf8,
            url_part::<FRAGMENT>,
        )
        .udf(),
        Func::new("url_extract_port", 1..=1, returns_int64, url_port).udf(),
        Func::new("url_extract_parameter", 2..=2, returns_utf8, url_parameter).udf(),
        Func::new("url_encode", 1..=1, returns_utf8, url_encode).udf(),
        Func::new("url_decode", 1..=1, returns_utf8, url_decode).udf(),
        Func::new("json_parse", 1..=1, returns_utf8, json_parse)
            .json()
            .udf(),
        Func::new("json_array_length", 1..=1, returns_int64, json_array_length).udf(),
        Func::new("json_array_get", 2..=2, returns_utf8, json_array_get)
            .json()
            .udf(),
        Func::new(
            "json_array_contains",
            2..=2,
            returns_bool,
            json_array_contains,
        )
        .udf(),
        Func::new("json_size", 2..=2, returns_int64, json_size).udf(),
        Func::new("is_json_scalar", 1..=1, returns_bool, is_json_scalar).udf(),
    ]
}

fn list_type() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

fn returns_list(_: &[DataType]) -> Result<DataType> {
    Ok(list_type())
}

/// Arrays when any argument is one, text otherwise.
fn returns_concat(types: &[DataType]) -> Result<DataType> {
    Ok(types
        .iter()
        .find(|t| matches!(t, DataType::List(_)))
        .cloned()
        .unwrap_or(DataType::Utf8))
}

/// Each row's value from `f` over the row's texts: any NULL argument gives NULL.
fn per_row<T>(
    args: &[ArrayRef],
    mut f: impl FnMut(&[&str]) -> Result<Option<T>>,
) -> Result<Vec<Option<T>>> {
    let cols = args.iter().map(strings).collect::<Result<Vec<_>>>()?;
    let rows = cols.first().map_or(0, Array::len);
    let mut out = Vec::with_capacity(rows);
    let mut row: Vec<&str> = Vec::with_capacity(cols.len());
    for i in 0..rows {
        row.clear();
        if cols.iter().any(|c| c.is_null(i)) {
            out.push(None);
            continue;
        }
        row.extend(cols.iter().map(|c| c.value(i)));
        out.push(f(&row)?);
    }
    Ok(out)
}

fn text_array(v: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn list_array(v: Vec<Option<Vec<String>>>) -> ArrayRef {
    nullable_list_array(
        v.into_iter()
            .map(|row| row.map(|items| items.into_iter().map(Some).collect()))
            .collect(),
    )
}

/// Arrays whose items may be NULL.
fn nullable_list_array(v: Vec<Option<Vec<Option<String>>>>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new());
    for row in v {
        match row {
            Some(items) => {
                for i in items {
                    b.values().append_option(i);
                }
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

/// Compiled patterns, reused while a column repeats one (the usual case: a literal).
#[derive(Default)]
pub struct Patterns(Option<(String, Regex)>);

impl Patterns {
    /// `p` compiled, or the error for an invalid expression.
    pub fn get(&mut self, p: &str) -> Result<&Regex> {
        if self.0.as_ref().is_none_or(|(q, _)| q != p) {
            let re =
                Regex::new(p).map_err(|e| exec_err(format!("Invalid regular expression: {e}")))?;
            self.0 = Some((p.to_string(), re));
        }
        self.0
            .as_ref()
            .map(|(_, r)| r)
            .ok_or_else(|| exec_err("regular expression"))
    }
}

fn group(row: &[&str]) -> Result<usize> {
    row.get(2).map_or(Ok(0), |g| {
        g.trim()
            .parse::<usize>()
            .map_err(|_| exec_err(format!("Invalid group: {g}")))
    })
}

fn split(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let (s, d) = (r[0], r[1]);
        if d.is_empty() {
            return Err(exec_err("The delimiter may not be the empty string"));
        }
        let parts: Vec<String> = match r.get(2) {
            Some(l) => {
                let limit = l
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|l| *l > 0)
                    .ok_or_else(|| exec_err("Limit must be positive"))?;
                s.splitn(limit, d).map(str::to_string).collect()
            }
            None => s.split(d).map(str::to_string).collect(),
        };
        Ok(Some(parts))
    })?;
    Ok(list_array(out))
}

fn regexp_extract(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        let g = group(r)?;
        let re = p.get(r[1])?;
        check_group(re, g)?;
        Ok(re
            .captures(r[0])
            .and_then(|c| c.get(g).map(|m| m.as_str().to_string())))
    })?;
    Ok(text_array(out))
}

fn check_group(re: &Regex, g: usize) -> Result<()> {
    if g >= re.captures_len() {
        return Err(exec_err(format!(
            "Pattern has {} groups. Cannot access group {g}",
            re.captures_len() - 1
        )));
    }
    Ok(())
}

fn regexp_extract_all(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        let g = group(r)?;
        let re = p.get(r[1])?;
        check_group(re, g)?;
        // A group that took no part in a match is a NULL item, as in Trino.
        Ok(Some(
            re.captures_iter(r[0])
                .map(|c| c.get(g).map(|m| m.as_str().to_string()))
                .collect(),
        ))
    })?;
    Ok(nullable_list_array(out))
}

/// Trino's replacement text as the regex crate's: `$g` names the longest group number that
/// exists (`$10` with one group is group 1 then `0`), `${name}` a named group, `\$` a dollar,
/// `\\` a backslash; anything else after `$` or a lone trailing `\` is an error, as in Trino.
fn replacement(r: &str, groups: usize) -> Result<String> {
    let bad = || exec_err(format!("Illegal group reference in replacement '{r}'"));
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => return Err(bad()),
            },
            '$' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut n = 0usize;
                    let mut any = false;
                    while let Some(v) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let next = n.checked_mul(10).and_then(|x| x.checked_add(v as usize));
                        match next {
                            Some(x) if x < groups => {
                                n = x;
                                any = true;
                                chars.next();
                            }
                            _ => break,
                        }
                    }
                    if !any {
                        return Err(bad());
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                Some('{') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
                        return Err(bad());
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                _ => return Err(bad()),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

fn regexp_replace(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        let re = p.get(r[1])?;
        let with = match r.get(2) {
            Some(w) => replacement(w, re.captures_len())?,
            None => String::new(),
        };
        Ok(Some(re.replace_all(r[0], with.as_str()).into_owned()))
    })?;
    Ok(text_array(out))
}

fn regexp_count(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        Ok(Some(
            i64::try_from(p.get(r[1])?.find_iter(r[0]).count()).unwrap_or(i64::MAX),
        ))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

/// The least number of single-character insertions, deletions and substitutions that turn one
/// text into the other, counted in characters (code points) as Trino counts them. As in Trino,
/// inputs whose lengths multiply past 1,000,000 are refused rather than computed.
fn levenshtein_distance(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let a: Vec<char> = r[0].chars().collect();
        let b: Vec<char> = r[1].chars().collect();
        if a.len().checked_mul(b.len()).is_none_or(|n| n > 1_000_000) {
            return Err(exec_err(
                "The combined inputs for Levenshtein distance are too large",
            ));
        }
        // One row of the edit-distance table at a time.
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        let mut cur = vec![0usize; b.len() + 1];
        for (i, ca) in a.iter().enumerate() {
            cur[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let substitute = prev[j] + usize::from(ca != cb);
                cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        Ok(Some(i64::try_from(prev[b.len()]).unwrap_or(i64::MAX)))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

/// The number of positions at which two texts of the same length (in characters) differ.
fn hamming_distance(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        if r[0].chars().count() != r[1].chars().count() {
            return Err(exec_err(
                "The input strings to hamming_distance function must have the same length",
            ));
        }
        let n = r[0]
            .chars()
            .zip(r[1].chars())
            .filter(|(x, y)| x != y)
            .count();
        Ok(Some(i64::try_from(n).unwrap_or(i64::MAX)))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

/// American Soundex's digit for a letter: `0` for a vowel (which separates equal digits), `-`
/// for H and W (which do not), `None` for anything else.
fn soundex_digit(c: char) -> Option<char> {
    Some(match c.to_ascii_uppercase() {
        'B' | 'F' | 'P' | 'V' => '1',
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => '2',
        'D' | 'T' => '3',
        'L' => '4',
        'M' | 'N' => '5',
        'R' => '6',
        'A' | 'E' | 'I' | 'O' | 'U' | 'Y' => '0',
        'H' | 'W' => '-',
        _ => return None,
    })
}

/// `soundex(s)`: the American Soundex code of the letters of `s` (others ignored), as Trino's
/// (Apache Commons Codec's) gives it; empty when `s` has no letter.
fn soundex(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let mut letters = r[0].chars().filter(char::is_ascii_alphabetic);
        let Some(first) = letters.next() else {
            return Ok(Some(String::new()));
        };
        let mut code = String::from(first.to_ascii_uppercase());
        let mut last = soundex_digit(first);
        for c in letters {
            let d = soundex_digit(c);
            if d == Some('-') {
                continue;
            }
            if let Some(digit) = d.filter(|&d| d != '0' && Some(d) != last) {
                code.push(digit);
                if code.len() == 4 {
                    break;
                }
            }
            last = d;
        }
        while code.len() < 4 {
            code.push('0');
        }
        Ok(Some(code))
    })?;
    Ok(text_array(out))
}

/// The Snowball stemmer Trino's `word_stem` uses for a language code (Trino's codes, `ir` for
/// Irish included). Trino's `de` is Lucene's German2, which reads `ae`, `oe` and `ue` as umlauts;
/// Snowball's current German, used here, does the same.
fn stemmer(code: &str) -> Option<waken_snowball::Algorithm> {
    use waken_snowball::Algorithm as A;
    Some(match code {
        "ca" => A::Catalan,
        "da" => A::Danish,
        "de" => A::German,
        "en" => A::English,
        "es" => A::Spanish,
        "eu" => A::Basque,
        "fi" => A::Finnish,
        "fr" => A::French,
        "hu" => A::Hungarian,
        "hy" => A::Armenian,
        "ir" => A::Irish,
        "it" => A::Italian,
        "lt" => A::Lithuanian,
        // Lucene's Dutch is Snowball's original one, which Snowball now calls Dutch (Porter).
        "nl" => A::DutchPorter,
        "no" => A::Norwegian,
        "pt" => A::Portuguese,
        "ro" => A::Romanian,
        "ru" => A::Russian,
        "sv" => A::Swedish,
        "tr" => A::Turkish,
        _ => return None,
    })
}

/// `word_stem(word[, lang])`: the Snowball stem of `word` (English by default), as written:
/// Trino does not lower-case it first.
fn word_stem(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let code = r.get(1).copied().unwrap_or("en");
        let algorithm =
            stemmer(code).ok_or_else(|| exec_err(format!("Unknown stemmer language: {code}")))?;
        Ok(Some(waken_snowball::stem(algorithm, r[0]).into_owned()))
    })?;
    Ok(text_array(out))
}

/// `luhn_check(digits)`: whether a string of ASCII digits passes the Luhn check; an empty string
/// does not, and any other character is an error, as in Trino.
fn luhn_check(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let digits = r[0].as_bytes();
        if digits.is_empty() {
            return Ok(Some(false));
        }
        let mut sum: u64 = 0;
        for (i, b) in digits.iter().rev().enumerate() {
            if !b.is_ascii_digit() {
                return Err(exec_err("Input contains non-digit character"));
            }
            let mut n = u64::from(b - b'0');
            if i % 2 == 1 {
                n *= 2;
                if n > 9 {
                    n -= 9;
                }
            }
            // At most 9 per digit: a string would need 2^60 digits to overflow.
            sum = sum.wrapping_add(n);
        }
        Ok(Some(sum.is_multiple_of(10)))
    })?;
    Ok(Arc::new(BooleanArray::from(out)))
}

/// `normalize(s[, form])`: `s` in Unicode normalization form NFC (the default), NFD, NFKC or
/// NFKD.
fn normalize(args: &[ArrayRef]) -> Result<ArrayRef> {
    use unicode_normalization::UnicodeNormalization;
    let out = per_row(args, |r| {
        let form = r
            .get(1)
            .map_or("NFC".to_string(), |f| f.trim().to_ascii_uppercase());
        let s = r[0];
        Ok(Some(match form.as_str() {
            "NFC" => s.nfc().collect(),
            "NFD" => s.nfd().collect(),
            "NFKC" => s.nfkc().collect(),
            "NFKD" => s.nfkd().collect(),
            other => {
                return Err(exec_err(format!(
                    "Normalization form must be one of [NFD, NFC, NFKD, NFKC]: {other}"
                )))
            }
        }))
    })?;
    Ok(text_array(out))
}

/// The 1-based character position of the first match at or after `start`, or -1.
fn regexp_position(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        let start = match r.get(2) {
            Some(s) => s
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|s| *s >= 1)
                .ok_or_else(|| exec_err("start position must be greater than zero"))?,
            None => 1,
        };
        let s = r[0];
        let Some((from, _)) = s.char_indices().nth(start - 1) else {
            return Ok(Some(-1));
        };
        Ok(Some(p.get(r[1])?.find_at(s, from).map_or(-1, |m| {
            i64::try_from(s[..m.start()].chars().count() + 1).unwrap_or(i64::MAX)
        })))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

fn regexp_split(args: &[ArrayRef]) -> Result<ArrayRef> {
    let mut p = Patterns::default();
    let out = per_row(args, |r| {
        Ok(Some(p.get(r[1])?.split(r[0]).map(str::to_string).collect()))
    })?;
    Ok(list_array(out))
}

fn replace(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        Ok(Some(r[0].replace(r[1], r.get(2).copied().unwrap_or(""))))
    })?;
    Ok(text_array(out))
}

/// Characters from `start` (1-based; negative counts from the end; 0 gives nothing), at most
/// `length` of them.
/// Fails with the first row's message.
fn raise(args: &[ArrayRef]) -> Result<ArrayRef> {
    let rows = per_row(args, |r| Ok(Some(r[0].to_string())))?;
    let message = rows.into_iter().flatten().next().unwrap_or_default();
    Err(exec_err(message))
}

fn substr(args: &[ArrayRef]) -> Result<ArrayRef> {
    let s = strings(&args[0])?;
    let start = cast(&args[1], &DataType::Int64)?;
    let start = start.as_primitive::<Int64Type>();
    let len = args.get(2).map(|l| cast(l, &DataType::Int64)).transpose()?;
    let len = len.as_ref().map(AsArray::as_primitive::<Int64Type>);
    let mut out = Vec::with_capacity(s.len());
    for i in 0..s.len() {
        if s.is_null(i) || start.is_null(i) || len.is_some_and(|l| l.is_null(i)) {
            out.push(None);
            continue;
        }
        let text = s.value(i);
        let chars = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
        let st = start.value(i);
        let from = match st {
            0 => {
                out.push(Some(String::new()));
                continue;
            }
            s if s > 0 => s - 1,
            s => chars.saturating_add(s),
        };
        let take = len.map_or(i64::MAX, |l| l.value(i).max(0));
        if from < 0 || from >= chars {
            out.push(Some(String::new()));
            continue;
        }
        out.push(Some(
            text.chars()
                .skip(usize::try_from(from).unwrap_or(usize::MAX))
                .take(usize::try_from(take).unwrap_or(usize::MAX))
                .collect(),
        ));
    }
    Ok(text_array(out))
}

/// Texts joined (NULL if any is NULL), or arrays appended one to the next.
fn concat(args: &[ArrayRef]) -> Result<ArrayRef> {
    if args
        .iter()
        .any(|a| matches!(a.data_type(), DataType::List(_)))
    {
        return concat_lists(args);
    }
    let out = per_row(args, |r| Ok(Some(r.concat())))?;
    Ok(text_array(out))
}

fn concat_lists(args: &[ArrayRef]) -> Result<ArrayRef> {
    let Some(DataType::List(item)) = args
        .iter()
        .map(|a| a.data_type().clone())
        .find(|t| matches!(t, DataType::List(_)))
    else {
        return Err(exec_err("concat: no array argument"));
    };
    let lists = args
        .iter()
        .map(|a| {
            let a = cast(a, &DataType::List(item.clone()))?;
            Ok(a.as_list::<i32>().clone())
        })
        .collect::<Result<Vec<ListArray>>>()?;
    let rows = lists.first().map_or(0, Array::len);
    let mut pieces: Vec<ArrayRef> = Vec::new();
    let mut lengths = Vec::with_capacity(rows);
    let mut valid = Vec::with_capacity(rows);
    for i in 0..rows {
        if lists.iter().any(|l| l.is_null(i)) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let mut n = 0;
        for l in &lists {
            let v = l.value(i);
            n += v.len();
            pieces.push(v);
        }
        lengths.push(n);
        valid.push(true);
    }
    let refs: Vec<&dyn Array> = pieces.iter().map(AsRef::as_ref).collect();
    let values = if refs.is_empty() {
        datafusion::arrow::array::new_empty_array(item.data_type())
    } else {
        datafusion::arrow::compute::concat(&refs)?
    };
    Ok(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::from_lengths(lengths),
        values,
        Some(NullBuffer::from(valid)),
    )?))
}

/// `contains(array, element)`; on text, whether it contains the other text.
fn contains(args: &[ArrayRef]) -> Result<ArrayRef> {
    let DataType::List(_) = args[0].data_type() else {
        let out = per_row(args, |r| Ok(Some(r[0].contains(r[1]))))?;
        return Ok(Arc::new(BooleanArray::from(out)));
    };
    let list = args[0].as_list::<i32>();
    let wanted = strings(&args[1])?;
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) || wanted.is_null(i) {
            out.push(None);
            continue;
        }
        let items = strings(&list.value(i))?;
        let w = wanted.value(i);
        // Trino: true if found; NULL if not found but the array holds a NULL; else false.
        out.push(if items.iter().any(|v| v == Some(w)) {
            Some(true)
        } else if items.null_count() > 0 {
            None
        } else {
            Some(false)
        });
    }
    Ok(Arc::new(BooleanArray::from(out)))
}

const HOST: u8 = 0;
const PATH: u8 = 1;
const PROTOCOL: u8 = 2;
const QUERY: u8 = 3;
const FRAGMENT: u8 = 4;

/// A URL's parts as written (RFC 3986, appendix B), as `java.net.URI` gives them to Trino:
/// the port only when written, the path empty when there is none, nothing lower-cased.
struct UrlParts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    fn split(s: &'a str) -> Self {
        let (rest, fragment) = match s.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (s, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let scheme_end = rest
            .find(':')
            .filter(|&i| i > 0 && !rest[..i].contains('/'));
        let (scheme, rest) = match scheme_end {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(r) => {
                let end = r.find('/').unwrap_or(r.len());
                (Some(&r[..end]), &r[end..])
            }
            None => (None, rest),
        };
        Self {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }

    /// The host and the port as written, without user information.
    fn host_port(&self) -> Option<(&'a str, Option<&'a str>)> {
        let a = self.authority?;
        let a = a.rsplit_once('@').map_or(a, |(_, h)| h);
        // An IPv6 literal keeps its colons inside brackets.
        let port_at = a.rfind(':').filter(|&i| !a[i..].contains(']'));
        Some(match port_at {
            Some(i) => (&a[..i], Some(&a[i + 1..])),
            None => (a, None),
        })
    }
}

fn url_part<const P: u8>(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let u = UrlParts::split(r[0]);
        Ok(match P {
            HOST => u
                .host_port()
                .map(|(h, _)| h.to_string())
                .filter(|h| !h.is_empty()),
            PATH => Some(u.path.to_string()),
            PROTOCOL => u.scheme.map(str::to_string),
            QUERY => Some(u.query.unwrap_or_default().to_string()),
            _ => Some(u.fragment.unwrap_or_default().to_string()),
        })
    })?;
    Ok(text_array(out))
}

fn url_port(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        Ok(UrlParts::split(r[0])
            .host_port()
            .and_then(|(_, p)| p)
            .and_then(|p| p.parse::<u16>().ok())
            .map(i64::from))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

fn url_parameter(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let query = UrlParts::split(r[0]).query.unwrap_or_default();
        Ok(url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == r[1])
            .map(|(_, v)| v.into_owned()))
    })?;
    Ok(text_array(out))
}

fn url_encode(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        Ok(Some(
            url::form_urlencoded::byte_serialize(r[0].as_bytes()).collect(),
        ))
    })?;
    Ok(text_array(out))
}

/// `+` is a space and `%XX` a byte; a `%` without two hex digits is an error, as in Trino.
fn url_decode(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        crate::percent::decode_strict(r[0])
            .map(Some)
            .map_err(exec_err)
    })?;
    Ok(text_array(out))
}

fn parse_json(s: &str) -> Option<Value> {
    serde_json::from_str(s).ok()
}

/// `codepoint(c)`: the Unicode code point of a one-character string.
fn codepoint(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let mut chars = r[0].chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(Some(i64::from(u32::from(c)))),
            _ => Err(exec_err("Input string must be a single character string")),
        }
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

/// `format_number(x)`: `x` in about three significant digits with a unit (K, M, B, T, Q for
/// each factor of 1000), halves rounded up, trailing zeros dropped: Trino's `FormatNumberFunction`
/// (a double is first cut to a whole number; a negative number keeps two decimals, as there).
fn format_number(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [x] = args else {
        return Err(exec_err("format_number takes a number"));
    };
    // Trino's `(long) value`: a double is cut toward zero, saturating, NaN giving 0.
    let whole: Vec<Option<i64>> = if matches!(
        x.data_type(),
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..)
    ) {
        let d = cast(x, &DataType::Float64)?;
        d.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
            .iter()
            .map(|v| v.map(|v| v as i64))
            .collect()
    } else {
        let n = cast(x, &DataType::Int64)?;
        n.as_primitive::<Int64Type>().iter().collect()
    };
    let out: Vec<Option<String>> = whole
        .into_iter()
        .map(|v| {
            v.map(|v| {
                let mut value = v as f64;
                let mut unit = "";
                for u in ["K", "M", "B", "T", "Q"] {
                    if value >= 1000.0 || value <= -1000.0 {
                        value /= 1000.0;
                        unit = u;
                    } else {
                        break;
                    }
                }
                // Two decimals under 10, one under 100, none above (Trino's patterns).
                let decimals: usize = if value < 10.0 {
                    2
                } else {
                    usize::from(value < 100.0)
                };
                format!("{}{unit}", half_up(value, decimals))
            })
        })
        .collect();
    Ok(text_array(out))
}

/// `v` rounded half up (away from zero on a half, Java's HALF_UP) to `decimals` places by its
/// exact binary value, as Java's `DecimalFormat` does (2.675 is 2.67499..., so 2.67), without
/// trailing zeros (the `#.##` pattern).
fn half_up(v: f64, decimals: usize) -> String {
    // The double's exact decimal digits (60 places hold every value format_number meets).
    let exact = format!("{:.60}", v.abs());
    let (int_part, frac_part) = exact.split_once('.').unwrap_or((exact.as_str(), ""));
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(decimals))
        .map(|b| b.wrapping_sub(b'0'))
        .collect();
    if frac_part
        .as_bytes()
        .get(decimals)
        .is_some_and(|d| *d >= b'5')
    {
        super::digits::carry(&mut digits);
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let (whole, frac) = text.split_at(text.len().saturating_sub(decimals));
    let frac = frac.trim_end_matches('0');
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let body = if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    };
    if v < 0.0 && body != "0" {
        format!("-{body}")
    } else {
        body
    }
}

/// `title_case(s)`: each whitespace-separated word with its first character upper case and the
/// rest lower case.
fn title_case(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let mut out = String::with_capacity(r[0].len());
        let mut start = true;
        for c in r[0].chars() {
            if c.is_whitespace() {
                start = true;
                out.push(c);
            } else if start {
                out.extend(c.to_uppercase());
                start = false;
            } else {
                out.extend(c.to_lowercase());
            }
        }
        Ok(Some(out))
    })?;
    Ok(text_array(out))
}

/// Teradata's `index(s, sub)`, which Trino answers with `strpos`: the position (in characters,
/// from 1) of the first `sub` in `s`, 0 when there is none, 1 for an empty `sub`.
fn teradata_index(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let [s, sub] = r else {
            return Err(exec_err("index takes a text and a substring"));
        };
        let at = s
            .find(sub)
            .map_or(0, |b| s[..b].chars().count().saturating_add(1));
        i64::try_from(at)
            .map(Some)
            .map_err(|_| exec_err("index: position out of range"))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

/// Teradata's `char2hexint(s)`: the UTF-16 (big-endian) code units of `s` in upper-case hex.
fn char2hexint(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        Ok(Some(r[0].encode_utf16().fold(
            String::new(),
            |mut out, u| {
                // Writing to a String cannot fail.
                let _ = write!(out, "{u:04X}");
                out
            },
        )))
    })?;
    Ok(text_array(out))
}

fn returns_text_map(_: &[DataType]) -> Result<DataType> {
    Ok(super::map::map_type(&DataType::Utf8, &DataType::Utf8))
}

fn returns_text_multimap(_: &[DataType]) -> Result<DataType> {
    Ok(super::map::map_type(
        &DataType::Utf8,
        &DataType::new_list(DataType::Utf8, true),
    ))
}

/// The entries of `split_to_map(s, entry_delimiter, key_value_delimiter)`'s text, in order,
/// with Trino's errors (`quote_bad` quotes the bad entry, as `split_to_map`'s message does).
fn split_entries<'a>(
    s: &'a str,
    entry: &str,
    kv: &str,
    quote_bad: bool,
) -> Result<Vec<(&'a str, &'a str)>> {
    if entry.is_empty() {
        return Err(exec_err("entryDelimiter is empty"));
    }
    if kv.is_empty() {
        return Err(exec_err("keyValueDelimiter is empty"));
    }
    if entry == kv {
        return Err(exec_err(
            "entryDelimiter and keyValueDelimiter must not be the same",
        ));
    }
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (pair, next) = rest.split_once(entry).unwrap_or((rest, ""));
        let mut parts = pair.split(kv);
        let (Some(k), Some(v), None) = (parts.next(), parts.next(), parts.next()) else {
            let bad = if quote_bad {
                format!("'{pair}'")
            } else {
                pair.to_string()
            };
            return Err(exec_err(format!(
                "Key-value delimiter must appear exactly once in each entry. Bad input: {bad}"
            )));
        };
        out.push((k, v));
        rest = next;
    }
    Ok(out)
}

/// `split_to_map(s, entry_delimiter, key_value_delimiter)`: a repeated key is Trino's error.
fn split_to_map(args: &[ArrayRef]) -> Result<ArrayRef> {
    let rows = per_row(args, |r| {
        let entries = split_entries(r[0], r[1], r[2], true)?;
        let mut seen = std::collections::HashSet::new();
        for (k, _) in &entries {
            if !seen.insert(*k) {
                return Err(exec_err(format!("Duplicate keys ({k}) are not allowed")));
            }
        }
        Ok(Some(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        ))
    })?;
    text_map(&rows, returns_text_map(&[])?)
}

/// `split_to_multimap(s, entry_delimiter, key_value_delimiter)`: each key once, with its values
/// in order.
fn split_to_multimap(args: &[ArrayRef]) -> Result<ArrayRef> {
    let rows = per_row(args, |r| {
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in split_entries(r[0], r[1], r[2], false)? {
            match keys.iter_mut().find(|(key, _)| key == k) {
                Some((_, vs)) => vs.push(v.to_string()),
                None => keys.push((k.to_string(), vec![v.to_string()])),
            }
        }
        Ok(Some(keys))
    })?;
    let out = returns_text_multimap(&[])?;
    let (keys, values, lengths, valid) = flatten_map_rows(&rows);
    let values: Vec<Option<Vec<String>>> = values.into_iter().map(Some).collect();
    super::map::assemble(
        &out,
        &(Arc::new(StringArray::from(keys)) as ArrayRef),
        &list_array(values),
        lengths,
        valid,
    )
}

/// Rows of entries as a map of text to text.
fn text_map(rows: &[Option<Vec<(String, String)>>], out: DataType) -> Result<ArrayRef> {
    let (keys, values, lengths, valid) = flatten_map_rows(rows);
    super::map::assemble(
        &out,
        &(Arc::new(StringArray::from(keys)) as ArrayRef),
        &(Arc::new(StringArray::from(values)) as ArrayRef),
        lengths,
        valid,
    )
}

/// Rows of entries as the keys, values, per-row lengths and validity a map is built from.
#[allow(clippy::type_complexity)]
fn flatten_map_rows<V: Clone>(
    rows: &[Option<Vec<(String, V)>>],
) -> (Vec<String>, Vec<V>, Vec<usize>, Vec<bool>) {
    let (mut keys, mut values, mut lengths, mut valid) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in rows {
        let Some(entries) = row else {
            lengths.push(0);
            valid.push(false);
            continue;
        };
        lengths.push(entries.len());
        valid.push(true);
        for (k, v) in entries {
            keys.push(k.clone());
            values.push(v.clone());
        }
    }
    (keys, values, lengths, valid)
}

fn json_parse(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        super::cast::Json::parse(r[0])
            .map(|v| Some(v.canonical()))
            .ok_or_else(|| exec_err(format!("Cannot convert value to JSON: '{}'", r[0])))
    })?;
    Ok(text_array(out))
}

fn json_array_length(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        Ok(match parse_json(r[0]) {
            Some(Value::Array(a)) => i64::try_from(a.len()).ok(),
            _ => None,
        })
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

fn json_array_get(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        // Read as `json_extract` reads: members in the document's order, an integer's digits.
        let Some(super::cast::Json::Array(a)) = super::cast::Json::parse(r[0]) else {
            return Ok(None);
        };
        let Ok(k) = r[1].trim().parse::<i64>() else {
            return Ok(None);
        };
        let n = i64::try_from(a.len()).unwrap_or(i64::MAX);
        let at = if k >= 0 { k } else { n.saturating_add(k) };
        Ok(usize::try_from(at)
            .ok()
            .and_then(|i| a.get(i))
            .map(super::cast::Json::text))
    })?;
    Ok(text_array(out))
}

fn json_array_contains(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let Some(Value::Array(a)) = parse_json(r[0]) else {
            return Ok(None);
        };
        Ok(Some(a.iter().any(|v| match v {
            Value::String(s) => s == r[1],
            Value::Number(_) | Value::Bool(_) => {
                // A number or boolean matches the text it prints as.
                let text = v.to_string();
                text == r[1]
            }
            _ => false,
        })))
    })?;
    Ok(Arc::new(BooleanArray::from(out)))
}

fn json_size(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let Some(doc) = parse_json(r[0]) else {
            return Ok(None);
        };
        Ok(json_path(&doc, r[1])?.map(|v| match v {
            Value::Array(a) => i64::try_from(a.len()).unwrap_or(i64::MAX),
            Value::Object(o) => i64::try_from(o.len()).unwrap_or(i64::MAX),
            _ => 0,
        }))
    })?;
    Ok(Arc::new(Int64Array::from(out)))
}

fn is_json_scalar(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out = per_row(args, |r| {
        let v = parse_json(r[0])
            .ok_or_else(|| exec_err(format!("Cannot convert value to JSON: '{}'", r[0])))?;
        Ok(Some(!matches!(v, Value::Array(_) | Value::Object(_))))
    })?;
    Ok(Arc::new(BooleanArray::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacements_use_trinos_syntax() {
        assert_eq!(replacement(r"$1-\$", 2).unwrap(), "${1}-$$");
        assert_eq!(replacement("$1a", 2).unwrap(), "${1}a");
        // One group: `$10` is group 1, then a zero.
        assert_eq!(replacement("$10", 2).unwrap(), "${1}0");
        assert!(replacement("$2", 2).is_err());
        assert!(replacement("$x", 2).is_err());
        assert!(replacement("a\\", 2).is_err());
    }
}
