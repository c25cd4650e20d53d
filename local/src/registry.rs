//! The function names Trino registers. Lake runs Trino, so a call to any other name is refused
//! there ("line 1:8: Function 'range' not registered"), even where DataFusion, which runs the
//! query here, has a function of that name (`range`, `array_repeat`, `struct`, `nvl`...).
//! Statements are checked as written, before the service's own rewrites add DataFusion's names.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, ObjectName, ObjectNamePart, Spanned, TableFactor, Visit, Visitor,
};
use datafusion::sql::sqlparser::tokenizer::Location;

use crate::refusal::Refusal;

/// Trino's functions by name (Trino's "List of functions and operators", lower case), plus the
/// calls its grammar spells as functions (`row`, `grouping`, `json_object`, `json_array`).
#[rustfmt::skip]
const TRINO: &[&str] = &[
    "abs", "acos", "all_match", "any_match", "any_value", "approx_distinct",
    "approx_most_frequent", "approx_percentile", "approx_set", "arbitrary", "array_agg",
    "array_distinct", "array_except", "array_first", "array_histogram", "array_intersect",
    "array_join", "array_last", "array_max", "array_min", "array_position", "array_remove",
    "array_sort", "array_union", "arrays_overlap", "asin", "at_timezone", "atan", "atan2", "avg",
    "bar", "beta_cdf", "bing_tile", "bing_tile_at", "bing_tile_coordinates", "bing_tile_polygon",
    "bing_tile_quadkey", "bing_tile_zoom_level", "bing_tiles_around", "bit_count", "bitwise_and",
    "bitwise_and_agg", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_or_agg",
    "bitwise_right_shift", "bitwise_right_shift_arithmetic", "bitwise_xor", "bitwise_xor_agg",
    "bool_and", "bool_or", "cardinality", "cast", "cbrt", "ceil", "ceiling", "char2hexint",
    "checksum", "chr", "classify", "coalesce", "codepoint", "collect", "color", "combinations",
    "concat", "concat_ws", "contains", "contains_sequence", "convex_hull_agg", "corr", "cos",
    "cosh", "cosine_distance", "cosine_similarity", "count", "count_if", "covar_pop", "covar_samp",
    "crc32", "cume_dist", "current_catalog", "current_date", "current_groups", "current_schema",
    "current_time", "current_timestamp", "current_timezone", "current_user", "date", "date_add",
    "date_diff", "date_format", "date_parse", "date_trunc", "day", "day_of_month", "day_of_week",
    "day_of_year", "degrees", "dense_rank", "dot_product", "dow", "doy", "e", "element",
    "element_at", "empty_approx_set", "ends_with", "euclidean_distance",
    "evaluate_classifier_predictions", "every", "exclude_columns", "exp", "extract", "features",
    "filter", "first_value", "flatten", "floor", "format", "format_datetime", "format_number",
    "from_base", "from_base32", "from_base64", "from_base64url", "from_big_endian_32",
    "from_big_endian_64", "from_encoded_polyline", "from_geojson_geometry", "from_hex",
    "from_ieee754_32", "from_ieee754_64", "from_iso8601_date", "from_iso8601_timestamp",
    "from_iso8601_timestamp_nanos", "from_unixtime", "from_unixtime_nanos", "from_utf8", "fusion",
    "geometric_mean", "geometry_collect_agg", "geometry_from_hadoop_shape",
    "geometry_invalid_reason", "geometry_nearest_points", "geometry_to_bing_tiles",
    "geometry_union", "geometry_union_agg", "great_circle_distance", "greatest", "grouping",
    "hamming_distance", "hash_counts", "histogram", "hmac_md5", "hmac_sha1", "hmac_sha256",
    "hmac_sha512", "hour", "human_readable_seconds", "if", "index", "infinity", "intersection",
    "intersection_cardinality", "inverse_beta_cdf", "inverse_normal_cdf", "is_finite",
    "is_infinite", "is_json_scalar", "is_nan", "jaccard_index", "json", "json_array",
    "json_array_contains", "json_array_get", "json_array_length", "json_exists", "json_extract",
    "json_extract_scalar", "json_format", "json_object", "json_parse", "json_query", "json_scalar",
    "json_serialize", "json_size", "json_value", "kurtosis", "lag", "last_day_of_month",
    "last_value", "lead", "learn_classifier", "learn_libsvm_classifier", "learn_libsvm_regressor",
    "learn_regressor", "least", "length", "levenshtein_distance", "line_interpolate_point",
    "line_interpolate_points", "line_locate_point", "listagg", "ln", "localtime", "localtimestamp",
    "log", "log10", "log2", "lower", "lpad", "ltrim", "luhn_check", "make_set_digest", "map",
    "map_agg", "map_concat", "map_entries", "map_filter", "map_from_entries", "map_keys",
    "map_union", "map_values", "map_zip_with", "max", "max_by", "md5", "merge", "merge_set_digest",
    "millisecond", "min", "min_by", "minute", "mod", "month", "multimap_agg",
    "multimap_from_entries", "murmur3", "nan", "ngrams", "none_match", "normal_cdf", "normalize",
    "now", "nth_value", "ntile", "nullif", "numeric_histogram", "objectid", "objectid_timestamp",
    "overlay", "parse_data_size", "parse_datetime", "parse_duration", "percent_rank", "pi",
    "position", "pow", "power", "qdigest_agg", "quantile_at_value", "quarter", "radians", "rand",
    "random", "rank", "reduce", "reduce_agg", "regexp_count", "regexp_extract",
    "regexp_extract_all", "regexp_like", "regexp_position", "regexp_replace", "regexp_split",
    "regr_intercept", "regr_slope", "regress", "render", "repeat", "replace", "reverse", "rgb",
    "round", "row", "row_number", "rpad", "rtrim", "second", "sequence", "set", "sha1", "sha256",
    "sha512", "shuffle", "sign", "simplify_geometry", "sin", "sinh", "skewness", "slice",
    "soundex", "spatial_partitioning", "spatial_partitions", "split", "split_part", "split_to_map",
    "split_to_multimap", "spooky_hash_v2_32", "spooky_hash_v2_64", "sqrt", "st_area",
    "st_asbinary", "st_asewkb", "st_asewkt", "st_astext", "st_boundary", "st_buffer",
    "st_centroid", "st_collect", "st_contains", "st_convexhull", "st_coorddim", "st_crosses",
    "st_difference", "st_dimension", "st_disjoint", "st_distance", "st_endpoint", "st_envelope",
    "st_envelopeaspts", "st_equals", "st_exteriorring", "st_force2d", "st_force3d",
    "st_geometries", "st_geometryfromtext", "st_geometryn", "st_geometrytype", "st_geomfrombinary",
    "st_geomfromewkt", "st_geomfromkml", "st_interiorringn", "st_interiorrings", "st_intersection",
    "st_intersects", "st_isclosed", "st_isempty", "st_isring", "st_issimple", "st_isvalid",
    "st_length", "st_linefromtext", "st_linemerge", "st_linestring", "st_makeline",
    "st_makepolygon", "st_minimumboundingcircle", "st_multi", "st_multipoint", "st_normalize",
    "st_numgeometries", "st_numinteriorring", "st_numpoints", "st_orientedenvelope", "st_overlaps",
    "st_point", "st_pointn", "st_pointonsurface", "st_points", "st_polygon", "st_polygonize",
    "st_reduceprecision", "st_relate", "st_setsrid", "st_srid", "st_startpoint",
    "st_symdifference", "st_touches", "st_transform", "st_transformxy", "st_union",
    "st_voronoipolygons", "st_within", "st_x", "st_xmax", "st_xmin", "st_y", "st_ymax", "st_ymin",
    "st_z", "starts_with", "stddev", "stddev_pop", "stddev_samp", "strpos", "substr", "substring",
    "sum", "t_cdf", "t_pdf", "tan", "tanh", "tdigest_agg", "theta_sketch_cardinality",
    "theta_sketch_union", "timestamp_objectid", "timezone", "timezone_hour", "timezone_minute",
    "title_case", "to_base", "to_base32", "to_base64", "to_base64url", "to_big_endian_32",
    "to_big_endian_64", "to_char", "to_date", "to_encoded_polyline", "to_geojson_geometry",
    "to_geometry", "to_hex", "to_ieee754_32", "to_ieee754_64", "to_iso8601", "to_milliseconds",
    "to_spherical_geography", "to_timestamp", "to_unixtime", "to_utf8", "transform",
    "transform_keys", "transform_values", "translate", "trim", "trim_array", "truncate", "try",
    "try_cast", "typeof", "upper", "url_decode", "url_encode", "url_extract_fragment",
    "url_extract_host", "url_extract_parameter", "url_extract_path", "url_extract_port",
    "url_extract_protocol", "url_extract_query", "uuid", "value_at_quantile",
    "values_at_quantiles", "var_pop", "var_samp", "variance", "version", "week", "week_of_year",
    "width_bucket", "wilson_interval_lower", "wilson_interval_upper", "with_timezone", "word_stem",
    "xxhash64", "year", "year_of_week", "yow", "zip", "zip_with", "zstd_compress",
    "zstd_decompress",
];

/// Whether Trino has a function called `name` (any case).
pub fn is_trino_function(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    TRINO.binary_search(&lower.as_str()).is_ok()
}

/// Trino's own table functions, called as `TABLE(f(...))`.
const TABLE_FUNCTIONS: &[&str] = &["exclude_columns", "sequence"];

/// The first construct in `node` (in source order) that Trino does not have: a call to a
/// function it lacks (`Function 'range' not registered`), DataFusion's `struct(...)`, a
/// function called in FROM without `TABLE(...)` or a `{...}` literal (syntax errors in Trino).
pub fn unregistered(node: &impl Visit) -> Option<Refusal> {
    struct Find(Option<Refusal>);
    impl Find {
        fn refuse(&mut self, code: &'static str, at: Location, text: String) -> ControlFlow<()> {
            self.0 = Some(Refusal::at(code, at, text));
            ControlFlow::Break(())
        }

        fn check(
            &mut self,
            name: &ObjectName,
            kind: &str,
            known: fn(&str) -> bool,
        ) -> ControlFlow<()> {
            let text = name_text(name);
            // A qualified name (`system.range`) is never one of Trino's global functions; the
            // service's hidden functions are calls only once `crate::sql` has rewritten Trino's syntax.
            if name.0.len() == 1 && (known(&text) || crate::udf::is_internal(&text)) {
                return ControlFlow::Continue(());
            }
            self.refuse(
                "FUNCTION_NOT_FOUND",
                name.span().start,
                format!("{kind} '{}' not registered", text.to_ascii_lowercase()),
            )
        }
    }
    impl Visitor for Find {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Function(f) => self.check(&f.name, "Function", is_trino_function),
                Expr::Struct { values, .. } => {
                    // sqlparser keeps no position for the keyword: it is just before the first
                    // value, as `struct(` is usually written.
                    let mut at = e.span().start;
                    if let Some(first) = values.first() {
                        at = first.span().start;
                        at.column = at.column.saturating_sub(7);
                    }
                    self.refuse(
                        "FUNCTION_NOT_FOUND",
                        at,
                        "Function 'struct' not registered".into(),
                    )
                }
                // sqlparser keeps no position for these literals.
                Expr::Dictionary(_) | Expr::Map(_) => self.refuse(
                    "SYNTAX_ERROR",
                    e.span().start,
                    "mismatched input '{'".into(),
                ),
                _ => ControlFlow::Continue(()),
            }
        }
        fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
            match t {
                // Trino's grammar has no `FROM f(...)`: its parser stops at the parenthesis.
                TableFactor::Table {
                    name,
                    args: Some(_),
                    ..
                }
                | TableFactor::Function { name, .. } => {
                    let end = name.span().end;
                    self.refuse("SYNTAX_ERROR", end, "mismatched input '('".into())
                }
                TableFactor::TableFunction {
                    expr: Expr::Function(f),
                    ..
                } => self.check(&f.name, "Table function", |n| {
                    TABLE_FUNCTIONS.contains(&n.to_ascii_lowercase().as_str())
                }),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    let mut find = Find(None);
    let _ = node.visit(&mut find);
    find.0
}

/// A function's name as written, its parts joined by dots.
fn name_text(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            ObjectNamePart::Function(f) => f.name.value.clone(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::LakeDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn first(sql: &str) -> Option<String> {
        let stmts = Parser::parse_sql(&LakeDialect, sql).expect("parses");
        unregistered(&stmts[0]).map(|r| r.to_string())
    }

    #[test]
    fn the_list_is_sorted_and_lower_case() {
        let mut sorted = TRINO.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, TRINO);
        assert!(TRINO.iter().all(|n| *n == n.to_ascii_lowercase()));
    }

    #[test]
    fn refuses_names_trino_lacks_with_trinos_message() {
        assert_eq!(
            first("SELECT count(*), max_by(a, b), IF(x, 1, 2) FROM t"),
            None
        );
        assert_eq!(
            first("SELECT eventname,\n  array_repeat(1, 3) FROM t"),
            Some("line 2:3: Function 'array_repeat' not registered".into())
        );
        assert_eq!(
            first("SELECT transform(a, x -> NVL(x, 0)) FROM t"),
            Some("line 1:26: Function 'nvl' not registered".into())
        );
        assert_eq!(
            first("SELECT * FROM range(1, 10)"),
            Some("line 1:20: mismatched input '('".into())
        );
        assert_eq!(
            first("SELECT struct(1, 2), {'a': 1}"),
            Some("line 1:8: Function 'struct' not registered".into())
        );
        // sqlparser keeps no position for a dictionary's parts: only the message is Trino's.
        assert!(first("SELECT {'a': 1}").is_some_and(|m| m.ends_with(": mismatched input '{'")));
        assert_eq!(
            first("SELECT system.abs(1)"),
            Some("line 1:8: Function 'system.abs' not registered".into())
        );
    }
}
