//! The signatures Trino declares for the functions the service implements itself (which take
//! any argument and convert it), so that a call Trino has no signature for is refused with
//! Trino's FUNCTION_NOT_FOUND text: `Unexpected parameters (varchar(3), varchar(1), timestamp(3))
//! for function date_add. Expected: date_add(varchar(x), bigint, date), ...`.
//!
//! A call fits a signature when each argument converts implicitly to its parameter as Trino
//! converts: integers to any integer type (a literal's width is not known here), any number to
//! `double` or a decimal, any but a double to `real`, a date to a timestamp, NULL to anything;
//! an array's elements and a map's keys and values by the same rules. Text does not fit a date or time parameter (`dow('x')` is
//! refused, where the service's function would answer NULL), though it compares with a time
//! ([`crate::analysis`]). Type variables (`T`, `array(E)`) are not bound across parameters.

use datafusion::arrow::datatypes::{DataType, IntervalUnit};

/// Trino's candidates per function, as its message prints them (`name(args) constraints`); a
/// trailing `...` marks a variadic one (not printed).
#[rustfmt::skip]
const SIGNATURES: &[(&str, &[&str])] = &[
    ("slice", &["slice(array(E), bigint, bigint) E"]),
    ("sequence", &["sequence(bigint, bigint)", "sequence(bigint, bigint, bigint)", "sequence(date, date)", "sequence(date, date, interval day to second)", "sequence(date, date, interval year to month)", "sequence(timestamp(p), timestamp(p), interval day to second)", "sequence(timestamp(p), timestamp(p), interval year to month)"]),
    ("combinations", &["combinations(array(T), integer) T"]),
    ("ngrams", &["ngrams(array(T), integer) T"]),
    ("cardinality", &["cardinality(HyperLogLog)", "cardinality(array(E)) E", "cardinality(map(K,V)) K, V"]),
    ("approx_distinct", &["approx_distinct(T) T", "approx_distinct(T, double) T"]),
    ("approx_set", &["approx_set(bigint)", "approx_set(bigint, double)", "approx_set(double)", "approx_set(double, double)", "approx_set(varchar(x))", "approx_set(varchar(x), double)"]),
    ("merge", &["merge(HyperLogLog)"]),
    ("empty_approx_set", &["empty_approx_set()"]),
    ("repeat", &["repeat(T, bigint) T", "repeat(unknown, bigint)"]),
    ("trim_array", &["trim_array(array(E), bigint) E"]),
    ("shuffle", &["shuffle(array(E)) E"]),
    ("contains_sequence", &["contains_sequence(array(T), array(T)) T:comparable"]),
    ("reverse", &["reverse(array(E)) E", "reverse(char(x))", "reverse(varbinary)", "reverse(varchar(x))"]),
    ("to_utf8", &["to_utf8(char(x))", "to_utf8(varchar(x))"]),
    ("from_utf8", &["from_utf8(varbinary)", "from_utf8(varbinary, bigint)", "from_utf8(varbinary, varchar(x))"]),
    ("md5", &["md5(varbinary)"]),
    ("sha1", &["sha1(varbinary)"]),
    ("sha256", &["sha256(varbinary)"]),
    ("sha512", &["sha512(varbinary)"]),
    ("crc32", &["crc32(varbinary)"]),
    ("to_hex", &["to_hex(varbinary)"]),
    ("from_hex", &["from_hex(varbinary)", "from_hex(varchar(x))"]),
    ("to_base64", &["to_base64(varbinary)"]),
    ("from_base64", &["from_base64(varbinary)", "from_base64(varchar(x))"]),
    ("to_milliseconds", &["to_milliseconds(interval day to second)"]),
    ("parse_duration", &["parse_duration(varchar(x))"]),
    ("map_concat", &["map_concat(map(K,V)) K, V..."]),
    ("array_histogram", &["array_histogram(array(T)) T:comparable"]),
    ("split", &["split(varchar(x), varchar(y))", "split(varchar(x), varchar(y), bigint)"]),
    ("regexp_extract", &["regexp_extract(varchar(x), JoniRegExp)", "regexp_extract(varchar(x), JoniRegExp, bigint)"]),
    ("regexp_replace", &["regexp_replace(varchar(x), JoniRegExp)", "regexp_replace(varchar(x), JoniRegExp, varchar(y))", "regexp_replace(varchar, JoniRegExp, function(array(varchar),varchar(x)))"]),
    ("regexp_count", &["regexp_count(varchar(x), JoniRegExp)"]),
    ("regexp_like", &["regexp_like(varchar(x), JoniRegExp)"]),
    ("lpad", &["lpad(varchar(x), bigint, varchar(y))"]),
    ("array_position", &["array_position(array(T), T) T"]),
    ("rpad", &["rpad(varchar(x), bigint, varchar(y))"]),
    ("hamming_distance", &["hamming_distance(varchar(x), varchar(y))"]),
    ("soundex", &["soundex(varchar)"]),
    ("word_stem", &["word_stem(varchar(x))", "word_stem(varchar(x), varchar(2))"]),
    ("luhn_check", &["luhn_check(varchar)"]),
    ("codepoint", &["codepoint(varchar(1))"]),
    ("format_number", &["format_number(bigint)", "format_number(double)"]),
    ("split_to_map", &["split_to_map(varchar, varchar, varchar)"]),
    // The one-argument form is Trino's NORMALIZE(x) syntax, not a registered function.
    ("normalize", &["normalize(varchar(x))", "normalize(varchar(x), varchar(y))"]),
    ("regexp_position", &["regexp_position(varchar(x), JoniRegExp)", "regexp_position(varchar(x), JoniRegExp, integer)", "regexp_position(varchar(x), JoniRegExp, integer, integer)"]),
    ("regexp_split", &["regexp_split(varchar(x), JoniRegExp)"]),
    ("replace", &["replace(varchar(x), varchar(y))", "replace(varchar(x), varchar(y), varchar(z))"]),
    ("substr", &["substr(char(x), bigint)", "substr(char(x), bigint, bigint)", "substr(varbinary, bigint)", "substr(varbinary, bigint, bigint)", "substr(varchar(x), bigint)", "substr(varchar(x), bigint, bigint)"]),
    ("concat", &["concat(E, array(E)) E", "concat(array(E)) E...", "concat(array(E), E) E", "concat(char(x), char(y))", "concat(varbinary)...", "concat(varchar)..."]),
    ("contains", &["contains(array(T), T) T:comparable"]),
    ("url_extract_host", &["url_extract_host(varchar(x))"]),
    ("url_extract_path", &["url_extract_path(varchar(x))"]),
    ("url_extract_query", &["url_extract_query(varchar(x))"]),
    ("url_extract_port", &["url_extract_port(varchar(x))"]),
    ("url_extract_parameter", &["url_extract_parameter(varchar(x), varchar(y))"]),
    ("url_encode", &["url_encode(varchar(x))"]),
    ("url_decode", &["url_decode(varchar(x))"]),
    ("json_parse", &["json_parse(varchar(x))"]),
    ("json_array_length", &["json_array_length(json)", "json_array_length(varchar(x))"]),
    ("json_array_get", &["json_array_get(json, bigint)", "json_array_get(varchar(x), bigint)"]),
    ("json_size", &["json_size(json, JsonPath)", "json_size(varchar(x), JsonPath)"]),
    ("is_json_scalar", &["is_json_scalar(json)", "is_json_scalar(varchar(x))"]),
    ("year", &["year(date)", "year(interval year to month)", "year(timestamp(p) with time zone)", "year(timestamp(p))"]),
    ("quarter", &["quarter(date)", "quarter(timestamp(p) with time zone)", "quarter(timestamp(p))"]),
    ("month", &["month(date)", "month(interval year to month)", "month(timestamp(p) with time zone)", "month(timestamp(p))"]),
    ("day", &["day(date)", "day(interval day to second)", "day(timestamp(p) with time zone)", "day(timestamp(p))"]),
    ("day_of_week", &["day_of_week(date)", "day_of_week(timestamp(p) with time zone)", "day_of_week(timestamp(p))"]),
    ("day_of_year", &["day_of_year(date)", "day_of_year(timestamp(p) with time zone)", "day_of_year(timestamp(p))"]),
    ("week", &["week(date)", "week(timestamp(p) with time zone)", "week(timestamp(p))"]),
    ("year_of_week", &["year_of_week(date)", "year_of_week(timestamp(p) with time zone)", "year_of_week(timestamp(p))"]),
    ("hour", &["hour(interval day to second)", "hour(time(p) with time zone)", "hour(time(p))", "hour(timestamp(p) with time zone)", "hour(timestamp(p))"]),
    ("minute", &["minute(interval day to second)", "minute(time(p) with time zone)", "minute(time(p))", "minute(timestamp(p) with time zone)", "minute(timestamp(p))"]),
    ("second", &["second(interval day to second)", "second(time(p) with time zone)", "second(time(p))", "second(timestamp(p) with time zone)", "second(timestamp(p))"]),
    ("millisecond", &["millisecond(interval day to second)", "millisecond(time(p) with time zone)", "millisecond(time(p))", "millisecond(timestamp(p) with time zone)", "millisecond(timestamp(p))"]),
    ("date", &["date(timestamp(p) with time zone)", "date(timestamp(p))", "date(varchar(x))"]),
    ("last_day_of_month", &["last_day_of_month(date)", "last_day_of_month(timestamp(p) with time zone)", "last_day_of_month(timestamp(p))"]),
    ("to_iso8601", &["to_iso8601(date)", "to_iso8601(timestamp(p) with time zone)", "to_iso8601(timestamp(p))"]),
    ("from_iso8601_date", &["from_iso8601_date(varchar(x))"]),
    ("to_unixtime", &["to_unixtime(timestamp(p) with time zone)"]),
    ("from_unixtime", &["from_unixtime(double)", "from_unixtime(double, bigint, bigint)", "from_unixtime(double, varchar(x))"]),
    ("date_format", &["date_format(timestamp(p) with time zone, varchar(x))", "date_format(timestamp(p), varchar(x))"]),
    ("date_parse", &["date_parse(varchar(x), varchar(y))"]),
    ("format_datetime", &["format_datetime(timestamp(p) with time zone, varchar(x))", "format_datetime(timestamp(p), varchar(x))"]),
    ("parse_datetime", &["parse_datetime(varchar(x), varchar(y))"]),
    ("timezone_hour", &["timezone_hour(time(p) with time zone)", "timezone_hour(timestamp(p) with time zone)"]),
    ("timezone_minute", &["timezone_minute(time(p) with time zone)", "timezone_minute(timestamp(p) with time zone)"]),
    ("human_readable_seconds", &["human_readable_seconds(double)"]),
    ("map_from_entries", &["map_from_entries(array(row(K,V))) K:comparable, V"]),
    ("multimap_from_entries", &["multimap_from_entries(array(row(K,V))) K:comparable, V"]),
    ("regexp_extract_all", &["regexp_extract_all(varchar(x), JoniRegExp)", "regexp_extract_all(varchar(x), JoniRegExp, bigint)"]),
    ("levenshtein_distance", &["levenshtein_distance(varchar(x), varchar(y))"]),
    ("split_to_multimap", &["split_to_multimap(varchar, varchar, varchar)"]),
    ("url_extract_protocol", &["url_extract_protocol(varchar(x))"]),
    ("url_extract_fragment", &["url_extract_fragment(varchar(x))"]),
    ("json_array_contains", &["json_array_contains(json, bigint)", "json_array_contains(json, boolean)", "json_array_contains(json, double)", "json_array_contains(json, varchar(x))", "json_array_contains(varchar(x), bigint)", "json_array_contains(varchar(x), boolean)", "json_array_contains(varchar(x), double)", "json_array_contains(varchar(x), varchar(y))"]),
    ("from_iso8601_timestamp_nanos", &["from_iso8601_timestamp_nanos(varchar(x))"]),
    ("from_unixtime_nanos", &["from_unixtime_nanos(bigint)", "from_unixtime_nanos(decimal(p,s))"]),
    ("element_at", &["element_at(array(E), bigint) E", "element_at(map(K,V), K) K, V"]),
    ("json_extract_scalar", &["json_extract_scalar(json, JsonPath)", "json_extract_scalar(varchar(x), JsonPath)"]),
    ("json_extract", &["json_extract(json, JsonPath)", "json_extract(varchar(x), JsonPath)"]),
    ("json_format", &["json_format(json)"]),
    ("from_iso8601_timestamp", &["from_iso8601_timestamp(varchar(x))"]),
    ("date_diff", &["date_diff(varchar(x), date, date)", "date_diff(varchar(x), time(p) with time zone, time(p) with time zone)", "date_diff(varchar(x), time(p), time(p))", "date_diff(varchar(x), timestamp(p) with time zone, timestamp(p) with time zone)", "date_diff(varchar(x), timestamp(p), timestamp(p))"]),
    ("date_add", &["date_add(varchar(x), bigint, date)", "date_add(varchar(x), bigint, time(p) with time zone)", "date_add(varchar(x), bigint, time(p))", "date_add(varchar(x), bigint, timestamp(p) with time zone)", "date_add(varchar(x), bigint, timestamp(p))"]),
    ("at_timezone", &["at_timezone(timestamp(p) with time zone, interval day to second)", "at_timezone(timestamp(p) with time zone, varchar(x))"]),
    ("with_timezone", &["with_timezone(timestamp(p), varchar(x))"]),
    ("bit_count", &["bit_count(bigint, bigint)"]),
    ("bitwise_and", &["bitwise_and(bigint, bigint)"]),
    ("bitwise_or", &["bitwise_or(bigint, bigint)"]),
    ("bitwise_xor", &["bitwise_xor(bigint, bigint)"]),
    ("bitwise_not", &["bitwise_not(bigint)"]),
    ("bitwise_left_shift", &["bitwise_left_shift(bigint, integer)", "bitwise_left_shift(integer, integer)", "bitwise_left_shift(smallint, integer)", "bitwise_left_shift(tinyint, integer)"]),
    ("bitwise_right_shift", &["bitwise_right_shift(bigint, integer)", "bitwise_right_shift(integer, integer)", "bitwise_right_shift(smallint, integer)", "bitwise_right_shift(tinyint, integer)"]),
    ("bitwise_right_shift_arithmetic", &["bitwise_right_shift_arithmetic(bigint, integer)", "bitwise_right_shift_arithmetic(integer, integer)", "bitwise_right_shift_arithmetic(smallint, integer)", "bitwise_right_shift_arithmetic(tinyint, integer)"]),
    ("is_nan", &["is_nan(double)", "is_nan(real)"]),
    ("sqrt", &["sqrt(double)"]),
    ("power", &["power(double, double)"]),
    ("is_finite", &["is_finite(double)"]),
    ("is_infinite", &["is_infinite(double)"]),
    ("nan", &["nan()"]),
    ("infinity", &["infinity()"]),
    ("e", &["e()"]),
    ("width_bucket", &["width_bucket(double, array(double))", "width_bucket(double, double, double, bigint)"]),
    ("from_base", &["from_base(varchar(x), bigint)"]),
    ("to_base", &["to_base(bigint, bigint)"]),
    ("cosine_similarity", &["cosine_similarity(array(double), array(double))", "cosine_similarity(map(varchar,double), map(varchar,double))"]),
    ("cosine_distance", &["cosine_distance(array(double), array(double))", "cosine_distance(map(varchar,double), map(varchar,double))"]),
    ("euclidean_distance", &["euclidean_distance(array(double), array(double))"]),
    ("dot_product", &["dot_product(array(double), array(double))"]),
    ("great_circle_distance", &["great_circle_distance(double, double, double, double)"]),
    ("normal_cdf", &["normal_cdf(double, double, double)"]),
    ("inverse_normal_cdf", &["inverse_normal_cdf(double, double, double)"]),
    ("beta_cdf", &["beta_cdf(double, double, double)"]),
    ("inverse_beta_cdf", &["inverse_beta_cdf(double, double, double)"]),
    ("t_cdf", &["t_cdf(double, double)"]),
    ("t_pdf", &["t_pdf(double, double)"]),
    ("wilson_interval_lower", &["wilson_interval_lower(bigint, bigint, double)"]),
    ("wilson_interval_upper", &["wilson_interval_upper(bigint, bigint, double)"]),
    ("to_base64url", &["to_base64url(varbinary)"]),
    ("from_base64url", &["from_base64url(varbinary)", "from_base64url(varchar(x))"]),
    ("to_base32", &["to_base32(varbinary)"]),
    ("from_base32", &["from_base32(varbinary)", "from_base32(varchar(x))"]),
    ("hmac_md5", &["hmac_md5(varbinary, varbinary)"]),
    ("hmac_sha1", &["hmac_sha1(varbinary, varbinary)"]),
    ("hmac_sha256", &["hmac_sha256(varbinary, varbinary)"]),
    ("hmac_sha512", &["hmac_sha512(varbinary, varbinary)"]),
    ("xxhash64", &["xxhash64(varbinary)"]),
    ("murmur3", &["murmur3(varbinary)"]),
    ("to_big_endian_32", &["to_big_endian_32(integer)"]),
    ("from_big_endian_32", &["from_big_endian_32(varbinary)"]),
    ("to_big_endian_64", &["to_big_endian_64(bigint)"]),
    ("from_big_endian_64", &["from_big_endian_64(varbinary)"]),
    ("to_ieee754_32", &["to_ieee754_32(real)"]),
    ("from_ieee754_32", &["from_ieee754_32(varbinary)"]),
    ("to_ieee754_64", &["to_ieee754_64(double)"]),
    ("from_ieee754_64", &["from_ieee754_64(varbinary)"]),
    ("index", &["index(varchar, varchar)"]),
    ("char2hexint", &["char2hexint(varchar)"]),
    ("parse_data_size", &["parse_data_size(varchar(x))"]),
    ("approx_percentile", &["approx_percentile(bigint, array(double))", "approx_percentile(bigint, double)", "approx_percentile(bigint, double, array(double))", "approx_percentile(bigint, double, double)", "approx_percentile(bigint, double, double, double)", "approx_percentile(double, array(double))", "approx_percentile(double, double)", "approx_percentile(double, double, array(double))", "approx_percentile(double, double, double)", "approx_percentile(double, double, double, double)", "approx_percentile(real, array(double))", "approx_percentile(real, double)", "approx_percentile(real, double, array(double))", "approx_percentile(real, double, double)", "approx_percentile(real, double, double, double)"]),
];

/// The service's name for a function Trino calls otherwise (a rewrite's target).
const RENAMED: &[(&str, &str)] = &[(crate::udf::SUBSTR, "substr")];

/// A function's Trino signatures.
#[derive(Debug, Clone, Copy)]
pub struct Signatures {
    /// Trino's name.
    pub name: &'static str,
    candidates: &'static [&'static str],
}

/// The signatures of the function the plan calls `name`, when it is one the service
/// implements itself.
pub fn of(name: &str) -> Option<Signatures> {
    let name = RENAMED
        .iter()
        .find(|(ours, _)| *ours == name)
        .map_or(name, |(_, trino)| *trino);
    SIGNATURES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(name, candidates)| Signatures { name, candidates })
}

impl Signatures {
    /// Whether arguments of `types` fit one of the signatures.
    pub fn accept(&self, types: &[DataType]) -> bool {
        self.candidates.iter().any(|c| {
            let (params, variadic) = parameters(c);
            if variadic {
                !types.is_empty()
                    && params
                        .first()
                        .is_some_and(|p| types.iter().all(|t| fits(p, t)))
            } else {
                params.len() == types.len() && params.iter().zip(types).all(|(p, t)| fits(p, t))
            }
        })
    }

    /// Trino's list of the candidates after `Expected: `, sorted as Trino sorts them.
    pub fn expected(&self) -> String {
        let mut all: Vec<&str> = self
            .candidates
            .iter()
            .map(|c| c.strip_suffix("...").unwrap_or(c))
            .collect();
        all.sort_unstable();
        all.dedup();
        all.join(", ")
    }
}

/// A candidate's parameter types (split at the commas outside parentheses), and whether it is
/// variadic.
fn parameters(candidate: &str) -> (Vec<&str>, bool) {
    let variadic = candidate.ends_with("...");
    let Some(open) = candidate.find('(') else {
        return (Vec::new(), variadic);
    };
    let (mut depth, mut start, mut params) = (0u32, open + 1, Vec::new());
    for (i, c) in candidate.char_indices().skip(open + 1) {
        match c {
            '(' => depth = depth.saturating_add(1),
            ')' if depth == 0 => {
                let last = candidate[start..i].trim();
                if !last.is_empty() {
                    params.push(last);
                }
                break;
            }
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                params.push(candidate[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    (params, variadic)
}

/// Whether a value of type `t` converts implicitly to Trino's parameter type `param`.
fn fits(param: &str, t: &DataType) -> bool {
    let t = match t {
        DataType::Dictionary(_, v) => v.as_ref(),
        other => other,
    };
    if t.is_null() {
        return true;
    }
    let text = matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let time = matches!(
        t,
        DataType::Timestamp(..)
            | DataType::Date32
            | DataType::Date64
            | DataType::Time32(_)
            | DataType::Time64(_)
    );
    let head = param.split(['(', ' ']).next().unwrap_or(param);
    match head {
        "varchar" | "char" | "json" | "JsonPath" | "JoniRegExp" => text,
        // A literal is typed `bigint` here where Trino's is an `integer`: widths are not told apart.
        "bigint" | "integer" | "smallint" | "tinyint" => t.is_integer(),
        "double" | "decimal" => t.is_numeric(),
        // Trino converts no double to a real implicitly.
        "real" => t.is_numeric() && !matches!(t, DataType::Float64),
        "boolean" => matches!(t, DataType::Boolean),
        // A sketch is its serialized bytes.
        "varbinary" | "HyperLogLog" => matches!(
            t,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView
        ),
        "date" => matches!(t, DataType::Date32 | DataType::Date64),
        "timestamp" | "time" => time,
        "interval" if param.contains("year to month") => matches!(
            t,
            DataType::Interval(IntervalUnit::YearMonth | IntervalUnit::MonthDayNano)
        ),
        "interval" => matches!(t, DataType::Interval(_) | DataType::Duration(_)),
        "array" => match t {
            DataType::List(item)
            | DataType::LargeList(item)
            | DataType::FixedSizeList(item, _)
            | DataType::ListView(item)
            | DataType::LargeListView(item) => element_fits(
                parameters(param).0.first().copied().unwrap_or(""),
                item.data_type(),
            ),
            _ => false,
        },
        "map" => match t {
            DataType::Map(entries, _) => match (entries.data_type(), &parameters(param).0[..]) {
                (DataType::Struct(kv), [k, v]) if kv.len() == 2 => {
                    element_fits(k, kv[0].data_type()) && element_fits(v, kv[1].data_type())
                }
                _ => true,
            },
            _ => false,
        },
        "row" => matches!(t, DataType::Struct(_)),
        "unknown" => false,
        // Type variables (T, E, K, V) and lambdas take anything.
        _ => true,
    }
}

/// Whether an element (or key, or value) of type `t` converts to `param`; a type variable
/// (`E`, `K`) takes anything.
fn element_fits(param: &str, t: &DataType) -> bool {
    param.starts_with(|c: char| c.is_ascii_uppercase()) || fits(param, t)
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::TimeUnit;

    use super::*;

    const TS: DataType = DataType::Timestamp(TimeUnit::Millisecond, None);

    #[test]
    fn calls_fit_as_trino_converts() {
        let Some(add) = of("date_add") else {
            panic!("date_add has signatures");
        };
        assert!(add.accept(&[DataType::Utf8, DataType::Int64, TS]));
        assert!(add.accept(&[DataType::Utf8, DataType::Int32, DataType::Date32]));
        assert!(!add.accept(&[DataType::Utf8, DataType::Utf8, TS]));
        assert!(!add.accept(&[DataType::Utf8, DataType::Float64, TS]));
        assert!(!add.accept(&[DataType::Utf8, DataType::Int64]));
        assert!(add.accept(&[DataType::Null, DataType::Null, DataType::Null]));
        let Some(year) = of("year") else {
            panic!("year has signatures");
        };
        assert!(!year.accept(&[DataType::Int64]));
        assert!(!year.accept(&[DataType::Utf8]));
        assert!(year.accept(&[DataType::Date32]));
        let Some(concat) = of("concat") else {
            panic!("concat has signatures");
        };
        assert!(concat.accept(&[DataType::Utf8, DataType::Utf8, DataType::Utf8]));
        assert!(!concat.accept(&[DataType::Utf8, DataType::Int64]));
        assert_eq!(of(crate::udf::SUBSTR).map(|s| s.name), Some("substr"));
    }

    #[test]
    fn the_expected_list_is_sorted_as_trinos() {
        let Some(add) = of("date_add") else {
            panic!("date_add has signatures");
        };
        assert_eq!(
            add.expected(),
            "date_add(varchar(x), bigint, date), \
             date_add(varchar(x), bigint, time(p) with time zone), \
             date_add(varchar(x), bigint, time(p)), \
             date_add(varchar(x), bigint, timestamp(p) with time zone), \
             date_add(varchar(x), bigint, timestamp(p))"
        );
        assert_eq!(parameters("f(map(K,V), K) K, V").0, vec!["map(K,V)", "K"]);
    }
}
