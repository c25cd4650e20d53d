//! SQL/JSON's query functions as Trino runs them: `json_exists`, `json_value` and
//! `json_query`, with an SQL/JSON path ([`super::json_path`]), `PASSING` parameters, the input's
//! `FORMAT JSON [ENCODING ...]`, `RETURNING`, json_query's array wrappers and `KEEP | OMIT
//! QUOTES`, and the ON EMPTY / ON ERROR behaviours (`NULL`, `ERROR`, `DEFAULT e`, `TRUE`,
//! `FALSE`, `UNKNOWN`, `EMPTY ARRAY`, `EMPTY OBJECT`).
//!
//! `crate::json_syntax` rewrites each call as one of [`JSON_EXISTS`], [`JSON_VALUE`] or
//! [`JSON_QUERY`] with its clauses as a text first ([`QuerySpec`]), then the input, the path,
//! the parameters and any DEFAULT expressions (ON EMPTY's, then ON ERROR's).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::cast::{is_json, TrinoType};
use super::json_encoding::{encode, read_json, text_at, Format, Length, Output, NOT_JSON};
use super::json_path::{Item, Path, PathError};

/// `json_exists(...)` as `crate::json_syntax` writes it.
pub const JSON_EXISTS: &str = "$json_exists";
/// `json_value(...)` as `crate::json_syntax` writes it.
pub const JSON_VALUE: &str = "$json_value";
/// `json_query(...)` as `crate::json_syntax` writes it.
pub const JSON_QUERY: &str = "$json_query";

/// An ON EMPTY or ON ERROR behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    /// NULL (json_exists: UNKNOWN).
    Null,
    /// The error is raised.
    Error,
    /// `DEFAULT e`: the expression's value (json_value).
    Default,
    /// TRUE (json_exists).
    True,
    /// FALSE (json_exists).
    False,
    /// `EMPTY ARRAY` (json_query).
    EmptyArray,
    /// `EMPTY OBJECT` (json_query).
    EmptyObject,
}

impl Behavior {
    fn name(self) -> &'static str {
        match self {
            Behavior::Null => "null",
            Behavior::Error => "error",
            Behavior::Default => "default",
            Behavior::True => "true",
            Behavior::False => "false",
            Behavior::EmptyArray => "empty array",
            Behavior::EmptyObject => "empty object",
        }
    }

    /// The behaviour a spec names (`unknown` is json_exists's NULL).
    pub fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "null" | "unknown" => Behavior::Null,
            "error" => Behavior::Error,
            "default" => Behavior::Default,
            "true" => Behavior::True,
            "false" => Behavior::False,
            "empty array" => Behavior::EmptyArray,
            "empty object" => Behavior::EmptyObject,
            other => return Err(spec_error(other)),
        })
    }
}

/// json_query's array wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// `WITHOUT [ARRAY] WRAPPER` (the default): the one item as it is.
    Without,
    /// `WITH CONDITIONAL [ARRAY] WRAPPER`: wrapped unless one array or object.
    Conditional,
    /// `WITH [UNCONDITIONAL] [ARRAY] WRAPPER`: always wrapped.
    Unconditional,
}

impl Wrapper {
    fn name(self) -> &'static str {
        match self {
            Wrapper::Without => "without",
            Wrapper::Conditional => "conditional",
            Wrapper::Unconditional => "unconditional",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "without" => Wrapper::Without,
            "conditional" => Wrapper::Conditional,
            "unconditional" => Wrapper::Unconditional,
            other => return Err(spec_error(other)),
        })
    }
}

/// A query function's clauses, as `crate::json_syntax` writes them before the arguments:
/// `input;names;formats;returning;output;wrapper;quotes;on_empty;on_error` (names and formats
/// comma-separated, one per parameter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySpec {
    /// The input's FORMAT.
    pub input: Format,
    /// Each PASSING parameter's name (as the path writes `$name`) and FORMAT.
    pub params: Vec<(String, Format)>,
    /// The RETURNING type as written, lower-case (empty: varchar).
    pub returning: String,
    /// json_query's `RETURNING ... FORMAT JSON [ENCODING ...]` (`Json` when not written).
    pub output: Format,
    /// json_query's wrapper.
    pub wrapper: Wrapper,
    /// json_query's `OMIT QUOTES` (`Some(true)`) or `KEEP QUOTES` (`Some(false)`), if written.
    pub quotes: Option<bool>,
    /// ON EMPTY.
    pub on_empty: Behavior,
    /// ON ERROR.
    pub on_error: Behavior,
}

impl QuerySpec {
    /// The clauses' defaults for the function `hidden` (json_exists's FALSE ON ERROR, NULL for
    /// the others).
    pub fn defaults(hidden: &str) -> Self {
        QuerySpec {
            input: Format::None,
            params: Vec::new(),
            returning: String::new(),
            output: Format::Json,
            wrapper: Wrapper::Without,
            quotes: None,
            on_empty: Behavior::Null,
            on_error: if hidden == JSON_EXISTS {
                Behavior::False
            } else {
                Behavior::Null
            },
        }
    }

    /// The spec as `crate::json_syntax` writes it.
    pub fn text(&self) -> String {
        let names: Vec<&str> = self.params.iter().map(|(n, _)| n.as_str()).collect();
        let formats: Vec<&str> = self.params.iter().map(|(_, f)| f.name()).collect();
        format!(
            "{};{};{};{};{};{};{};{};{}",
            self.input.name(),
            names.join(","),
            formats.join(","),
            self.returning,
            self.output.name(),
            self.wrapper.name(),
            match self.quotes {
                Some(true) => "omit",
                Some(false) => "keep",
                None => "",
            },
            self.on_empty.name(),
            self.on_error.name()
        )
    }

    fn parse(text: &str) -> Result<Self> {
        let parts: Vec<&str> = text.split(';').collect();
        let [input, names, formats, returning, output, wrapper, quotes, on_empty, on_error] =
            parts.as_slice()
        else {
            return Err(spec_error(text));
        };
        let list = |s: &str| -> Vec<String> {
            if s.is_empty() {
                Vec::new()
            } else {
                s.split(',').map(str::to_string).collect()
            }
        };
        let names = list(names);
        let formats = list(formats)
            .iter()
            .map(|f| Format::parse(f))
            .collect::<Result<Vec<_>>>()?;
        if names.len() != formats.len() {
            return Err(spec_error(text));
        }
        Ok(QuerySpec {
            input: Format::parse(input)?,
            params: names.into_iter().zip(formats).collect(),
            returning: returning.to_string(),
            output: Format::parse(output)?,
            wrapper: Wrapper::parse(wrapper)?,
            quotes: match *quotes {
                "omit" => Some(true),
                "keep" => Some(false),
                _ => None,
            },
            on_empty: Behavior::parse(on_empty)?,
            on_error: Behavior::parse(on_error)?,
        })
    }

    /// How many DEFAULT expressions follow the parameters.
    fn defaults_count(&self) -> usize {
        usize::from(self.on_empty == Behavior::Default)
            + usize::from(self.on_error == Behavior::Default)
    }
}

fn spec_error(text: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "an SQL/JSON function's clauses must be written in the statement ({text})"
    ))
}

/// Which function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Exists,
    Value,
    Query,
}

/// What a call returns.
#[derive(Debug, Clone, PartialEq)]
enum Returns {
    Boolean,
    Text(Option<Length>),
    Bytes(Format),
    Typed(TrinoType),
}

impl Returns {
    fn arrow(&self) -> DataType {
        match self {
            Returns::Boolean => DataType::Boolean,
            Returns::Text(_) => DataType::Utf8,
            Returns::Bytes(_) => DataType::Binary,
            Returns::Typed(t) => t.arrow(),
        }
    }
}

/// One of the query functions.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SqlJson {
    kind: Kind,
    signature: Signature,
}

impl SqlJson {
    fn name_of(kind: Kind) -> &'static str {
        match kind {
            Kind::Exists => JSON_EXISTS,
            Kind::Value => JSON_VALUE,
            Kind::Query => JSON_QUERY,
        }
    }

    /// The function's name in Trino's messages.
    fn trino_name(&self) -> &'static str {
        match self.kind {
            Kind::Exists => "JSON_EXISTS",
            Kind::Value => "JSON_VALUE",
            Kind::Query => "JSON_QUERY",
        }
    }

    /// The analyzer's checks: the argument count, the input's and parameters' types against
    /// their FORMATs, the path, and the returned type.
    fn check(
        &self,
        spec: &QuerySpec,
        fields: &[FieldRef],
        path: Option<&str>,
        input_type: &str,
    ) -> Result<Returns> {
        let want = 2 + spec.params.len() + spec.defaults_count();
        if fields.len() != want {
            return Err(spec_error("the arguments do not match the clauses"));
        }
        let readable =
            |f: &Field, format: Format| super::json_constructor::readable_as_json(f, format);
        if !readable(&fields[0], spec.input) {
            return Err(DataFusionError::Plan(format!(
                "Cannot read input of type {} as JSON using formatting {}",
                input_type,
                spec.input.display()
            )));
        }
        if let Some(text) = path {
            let parsed = Path::parse(text).map_err(|e| DataFusionError::Plan(e.0))?;
            for name in parsed.variables() {
                if spec.params.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                let hint = if spec
                    .params
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(&name))
                {
                    format!(". Try quoting \"{name}\" in the PASSING clause to match case")
                } else {
                    String::new()
                };
                return Err(DataFusionError::Plan(format!(
                    "no value passed for parameter {name}{hint}"
                )));
            }
        } else {
            return Err(DataFusionError::Plan(format!(
                "{}: the JSON path must be a text literal",
                self.trino_name()
            )));
        }
        for (i, (name, format)) in spec.params.iter().enumerate() {
            let f = &fields[2 + i];
            if *format != Format::None && !readable(f, *format) {
                return Err(DataFusionError::Plan(format!(
                    "Cannot read input of type {} as JSON using formatting {} (parameter {name})",
                    super::json_constructor::type_name(f),
                    format.display()
                )));
            }
        }
        // Each parameter once, as Trino's analyzer requires.
        let mut seen = std::collections::HashSet::with_capacity(spec.params.len());
        for (name, _) in &spec.params {
            if !seen.insert(name.as_str()) {
                return Err(DataFusionError::Plan(format!(
                    "{name} JSON path parameter is specified more than once"
                )));
            }
        }
        // Quotes are kept or omitted only where no wrapper makes an array.
        if let (Some(omit), Wrapper::Conditional | Wrapper::Unconditional) =
            (spec.quotes, spec.wrapper)
        {
            return Err(DataFusionError::Plan(format!(
                "{} QUOTES behavior specified with WITH {} ARRAY WRAPPER behavior",
                if omit { "OMIT" } else { "KEEP" },
                spec.wrapper.name().to_ascii_uppercase()
            )));
        }
        self.returns(spec)
    }

    /// The type a call returns, from its RETURNING clause.
    fn returns(&self, spec: &QuerySpec) -> Result<Returns> {
        let named = if spec.returning.is_empty() {
            "varchar"
        } else {
            spec.returning.as_str()
        };
        Ok(match self.kind {
            Kind::Exists => Returns::Boolean,
            Kind::Value => match super::json_encoding::output(named, Format::Json) {
                Ok(Output::Text(length)) => Returns::Text(length),
                _ => match TrinoType::parse(named) {
                    Ok(
                        t @ (TrinoType::Bigint
                        | TrinoType::Integer
                        | TrinoType::Smallint
                        | TrinoType::Tinyint
                        | TrinoType::Double
                        | TrinoType::Real
                        | TrinoType::Boolean),
                    ) => Returns::Typed(t),
                    _ => {
                        return Err(DataFusionError::Plan(format!(
                            "JSON_VALUE RETURNING {named} is not supported by trailwatch's \
                             local service (the character types, the integer types, double, \
                             real and boolean are)"
                        )))
                    }
                },
            },
            Kind::Query => match super::json_encoding::output(named, spec.output)? {
                Output::Text(length) => Returns::Text(length),
                Output::Bytes(f) => Returns::Bytes(f),
            },
        })
    }
}

impl ScalarUDFImpl for SqlJson {
    fn name(&self) -> &str {
        Self::name_of(self.kind)
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "an SQL/JSON function's type comes from its clauses".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let spec = QuerySpec::parse(
            super::literal_text(args.scalar_arguments.first().copied().flatten())
                .ok_or_else(|| spec_error("no spec"))?,
        )?;
        let path = super::literal_text(args.scalar_arguments.get(2).copied().flatten());
        let fields = args.arg_fields.get(1..).unwrap_or_default();
        // Trino names a text literal's type with its length (`varchar(15)`).
        let input_type = match super::literal_text(args.scalar_arguments.get(1).copied().flatten())
        {
            Some(text) => format!("varchar({})", text.chars().count()),
            None => fields
                .first()
                .map(|f| super::json_constructor::type_name(f))
                .unwrap_or_default(),
        };
        let returns = self.check(&spec, fields, path, &input_type)?;
        Ok(Arc::new(Field::new(self.name(), returns.arrow(), true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = |i: usize| match args.args.get(i) {
            Some(ColumnarValue::Scalar(v)) => super::literal_text(Some(v)).map(str::to_string),
            _ => None,
        };
        let spec = QuerySpec::parse(&scalar(0).ok_or_else(|| spec_error("no spec"))?)?;
        let path_text = scalar(2);
        let fields = args.arg_fields.get(1..).unwrap_or_default();
        // The analyzer's checks ran when the call was planned; the path is parsed once per
        // batch.
        let returns = self.returns(&spec)?;
        let path = Path::parse(path_text.as_deref().unwrap_or_default())
            .map_err(|e| DataFusionError::Plan(e.0))?;
        let rows = args.number_rows;
        let columns = args
            .args
            .get(1..)
            .unwrap_or_default()
            .iter()
            .map(|c| c.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let input = &columns[0];
        let params: Vec<(&str, Format, &ArrayRef, &Field)> = spec
            .params
            .iter()
            .enumerate()
            .map(|(i, (n, f))| (n.as_str(), *f, &columns[2 + i], fields[2 + i].as_ref()))
            .collect();
        let default_at = 2 + spec.params.len();
        let mut defaults = columns[default_at..].iter();
        let on_empty_default = (spec.on_empty == Behavior::Default)
            .then(|| defaults.next())
            .flatten()
            .map(default_texts)
            .transpose()?;
        let on_error_default = (spec.on_error == Behavior::Default)
            .then(|| defaults.next())
            .flatten()
            .map(default_texts)
            .transpose()?;
        let mut out: Vec<Outcome> = Vec::with_capacity(rows);
        for r in 0..rows {
            if null_at(input, r) {
                out.push(Outcome::Null);
                continue;
            }
            let result = match read_input(input, r, spec.input)? {
                // Under ERROR ON ERROR Trino's input function fails first, with no more said.
                None => Err(PathError::new(NOT_JSON)),
                Some(doc) => param_items(&params, r).and_then(|bound| path.evaluate(&doc, &bound)),
            };
            let outcome = match self.kind {
                Kind::Exists => match result {
                    Ok(items) => Outcome::Bool(!items.is_empty()),
                    Err(e) => special(spec.on_error, e)?,
                },
                Kind::Value => value_outcome(result, &returns, &spec)?,
                Kind::Query => query_outcome(result, &spec)?,
            };
            let outcome = match outcome {
                Outcome::DefaultOnEmpty => default_at_row(on_empty_default.as_ref(), r),
                Outcome::DefaultOnError => default_at_row(on_error_default.as_ref(), r),
                other => other,
            };
            out.push(outcome);
        }
        build(out, &returns)
    }
}

/// One row's result.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Null,
    Bool(bool),
    Text(String),
    DefaultOnEmpty,
    DefaultOnError,
}

/// A behaviour's result for an error or an empty result (`e` raised for ERROR).
fn special(b: Behavior, e: PathError) -> Result<Outcome> {
    if e.fatal() {
        return Err(DataFusionError::Execution(e.0));
    }
    Ok(match b {
        Behavior::Null => Outcome::Null,
        Behavior::Error => return Err(DataFusionError::Execution(e.0)),
        Behavior::True => Outcome::Bool(true),
        Behavior::False => Outcome::Bool(false),
        Behavior::EmptyArray => Outcome::Text("[]".into()),
        Behavior::EmptyObject => Outcome::Text("{}".into()),
        Behavior::Default => Outcome::DefaultOnError,
    })
}

fn on_empty(b: Behavior, e: PathError) -> Result<Outcome> {
    match b {
        Behavior::Default => Ok(Outcome::DefaultOnEmpty),
        other => special(other, e),
    }
}

/// The start of json_value's messages about its result.
const CANNOT_EXTRACT: &str = "cannot extract SQL scalar from JSON: ";

/// The start of json_query's messages about its result.
const CANNOT_CONVERT: &str = "conversion from JSON failed: ";

/// json_value's result: one scalar item, as the returned type.
fn value_outcome(
    result: std::result::Result<Vec<Item>, PathError>,
    returns: &Returns,
    spec: &QuerySpec,
) -> Result<Outcome> {
    let items = match result {
        Ok(items) => items,
        Err(e) => return special(spec.on_error, e),
    };
    let item = match items.as_slice() {
        [] => {
            return on_empty(
                spec.on_empty,
                PathError::new(format!("{CANNOT_EXTRACT}JSON path found no items")),
            )
        }
        [one] => one,
        _ => {
            return special(
                spec.on_error,
                PathError::new(format!("{CANNOT_EXTRACT}JSON path found multiple items")),
            )
        }
    };
    if let Returns::Typed(t) = returns {
        return match item {
            Item::Null => Ok(Outcome::Null),
            Item::Array(_) | Item::Object(_) | Item::BigInt(_) => special(
                spec.on_error,
                PathError::new(format!(
                    "{CANNOT_EXTRACT}JSON path found an item that cannot be converted to an SQL value"
                )),
            ),
            _ => match super::cast::cast_text(&item.json_text(), t) {
                Ok(_) => Ok(Outcome::Text(item.json_text())),
                Err(_) => special(
                    spec.on_error,
                    PathError::new(format!(
                        "{CANNOT_EXTRACT}Cannot cast value of type {} to declared return type of \
                         function JSON_VALUE: {}",
                        item.sql_type(),
                        t.name()
                    )),
                ),
            },
        };
    }
    let text = match item {
        Item::Null => return Ok(Outcome::Null),
        Item::Array(_) | Item::Object(_) => {
            return special(
                spec.on_error,
                PathError::new(format!(
                "{CANNOT_EXTRACT}JSON path found an item that cannot be converted to an SQL value"
            )),
            )
        }
        Item::BigInt(_) => {
            return special(
                spec.on_error,
                PathError::new(format!(
                "{CANNOT_EXTRACT}JSON path found an item that cannot be converted to an SQL value"
            )),
            )
        }
        Item::Bool(b) => b.to_string(),
        Item::Int(i) => i.to_string(),
        Item::Decimal(t) => t.clone(),
        Item::Double(d) => super::java_format::double_cast_text(*d),
        Item::Str(s) => s.clone(),
    };
    Ok(Outcome::Text(text))
}

/// json_query's result: the items, wrapped as the wrapper says, as one JSON text.
fn query_outcome(
    result: std::result::Result<Vec<Item>, PathError>,
    spec: &QuerySpec,
) -> Result<Outcome> {
    let items = match result {
        Ok(items) => items,
        Err(e) => return special(spec.on_error, e),
    };
    if items.is_empty() {
        return on_empty(
            spec.on_empty,
            PathError::new(format!("{CANNOT_CONVERT}JSON path found no items")),
        );
    }
    let wrap = match spec.wrapper {
        Wrapper::Without => false,
        Wrapper::Unconditional => true,
        Wrapper::Conditional => {
            !(items.len() == 1 && matches!(items[0], Item::Array(_) | Item::Object(_)))
        }
    };
    let item = if wrap {
        Item::Array(std::rc::Rc::new(items))
    } else if items.len() == 1 {
        items.into_iter().next().unwrap_or(Item::Null)
    } else {
        return special(
            spec.on_error,
            PathError::new(format!("{CANNOT_CONVERT}JSON path found multiple items")),
        );
    };
    Ok(Outcome::Text(match item {
        Item::Str(s) if spec.quotes == Some(true) => s,
        other => other.json_text(),
    }))
}

/// A DEFAULT expression's value at `r`, as text (the result column casts it).
fn default_at_row(texts: Option<&Vec<Option<String>>>, r: usize) -> Outcome {
    match texts.and_then(|t| t.get(r)).cloned().flatten() {
        Some(t) => Outcome::Text(t),
        None => Outcome::Null,
    }
}

fn default_texts(column: &ArrayRef) -> Result<Vec<Option<String>>> {
    let texts = datafusion::arrow::compute::cast(column, &DataType::Utf8)?;
    Ok(texts
        .as_string::<i32>()
        .iter()
        .map(|t| t.map(str::to_string))
        .collect())
}

/// Row `r` of the input read as JSON (`None` when it is not JSON).
fn read_input(column: &ArrayRef, r: usize, format: Format) -> Result<Option<Item>> {
    Ok(text_at(column, r, format)?.and_then(|text| first_json(&text)))
}

/// The PASSING parameters' values at row `r`: a FORMAT JSON parameter read as JSON (a NULL is
/// an empty sequence, `None`), any other as an SQL value (a NULL is JSON null).
fn param_items(
    params: &[(&str, Format, &ArrayRef, &Field)],
    r: usize,
) -> std::result::Result<HashMap<String, Option<Item>>, PathError> {
    let mut out = HashMap::with_capacity(params.len());
    for (name, format, column, field) in params {
        let formatted = *format != Format::None;
        let item = if null_at(column, r) {
            (!formatted).then_some(Item::Null)
        } else if formatted {
            let text = text_at(column, r, *format)
                .map_err(|e| PathError::new(e.to_string()))?
                .unwrap_or_default();
            // Under ERROR ON ERROR Trino's input function fails first, with no more said.
            Some(first_json(&text).ok_or_else(|| PathError::new(NOT_JSON))?)
        } else {
            Some(sql_item(column, field, r)?)
        };
        out.insert((*name).to_string(), item);
    }
    Ok(out)
}

/// Whether row `r` of `column` is NULL (every row of an untyped NULL, which Arrow's `is_null`
/// does not report).
fn null_at(column: &ArrayRef, r: usize) -> bool {
    column.data_type() == &DataType::Null || column.is_null(r)
}

/// The first JSON value of `text` as a path item (see [`read_json`]).
fn first_json(text: &str) -> Option<Item> {
    read_json(text).map(Item::from_json)
}

fn scalar_text(column: &ArrayRef, r: usize) -> std::result::Result<String, PathError> {
    crate::format::value_text(column, r).map_err(|e| PathError::new(e.to_string()))
}

/// An SQL value as a path item: numbers, booleans and text as such, anything else as its text.
fn sql_item(column: &ArrayRef, field: &Field, r: usize) -> std::result::Result<Item, PathError> {
    use datafusion::arrow::datatypes as t;
    Ok(match column.data_type() {
        DataType::Boolean => Item::Bool(column.as_boolean().value(r)),
        DataType::Int8 => Item::Int(i64::from(column.as_primitive::<t::Int8Type>().value(r))),
        DataType::Int16 => Item::Int(i64::from(column.as_primitive::<t::Int16Type>().value(r))),
        DataType::Int32 => Item::Int(i64::from(column.as_primitive::<t::Int32Type>().value(r))),
        DataType::Int64 => Item::Int(column.as_primitive::<t::Int64Type>().value(r)),
        DataType::Float32 => {
            Item::Double(f64::from(column.as_primitive::<t::Float32Type>().value(r)))
        }
        DataType::Float64 => Item::Double(column.as_primitive::<t::Float64Type>().value(r)),
        DataType::Decimal128(_, scale) => Item::Decimal(super::json_constructor::java_big_decimal(
            column.as_primitive::<t::Decimal128Type>().value(r),
            *scale,
        )),
        // A JSON value passed with no FORMAT is its JSON (as the JSON type reads in Trino).
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View if is_json(field) => {
            first_json(&scalar_text(column, r)?).unwrap_or(Item::Null)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Item::Str(scalar_text(column, r)?)
        }
        _ => Item::Str(scalar_text(column, r)?),
    })
}

/// The result column.
fn build(out: Vec<Outcome>, returns: &Returns) -> Result<ColumnarValue> {
    let texts = || {
        out.iter()
            .map(|o| match o {
                Outcome::Text(t) => Some(t.clone()),
                Outcome::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let array: ArrayRef = match returns {
        Returns::Boolean => Arc::new(BooleanArray::from(
            out.iter()
                .map(|o| match o {
                    Outcome::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )),
        Returns::Text(length) => Arc::new(StringArray::from(
            texts()
                .into_iter()
                .map(|t| match length {
                    Some(l) => t.map(|t| l.fit(t)),
                    None => t,
                })
                .collect::<Vec<_>>(),
        )),
        Returns::Bytes(encoding) => Arc::new(BinaryArray::from(
            texts()
                .iter()
                .map(|t| t.as_deref().map(|t| encode(t, *encoding)))
                .collect::<Vec<_>>()
                .iter()
                .map(|b| b.as_deref())
                .collect::<Vec<_>>(),
        )),
        Returns::Typed(t) => {
            // Each JSON scalar text cast as Trino casts JSON to the type (`"12"` to 12).
            let values = texts()
                .into_iter()
                .map(|text| match text {
                    Some(text) => {
                        super::cast::cast_text(&text, t).map_err(DataFusionError::Execution)
                    }
                    None => ScalarValue::try_from(&t.arrow()),
                })
                .collect::<Result<Vec<_>>>()?;
            if values.is_empty() {
                datafusion::arrow::array::new_empty_array(&t.arrow())
            } else {
                ScalarValue::iter_to_array(values)?
            }
        }
    };
    Ok(ColumnarValue::Array(array))
}

/// The query functions as DataFusion functions.
pub fn functions() -> Vec<ScalarUDF> {
    [Kind::Exists, Kind::Value, Kind::Query]
        .into_iter()
        .map(|kind| {
            ScalarUDF::new_from_impl(SqlJson {
                kind,
                signature: Signature::variadic_any(Volatility::Immutable),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip() {
        let spec = QuerySpec {
            input: Format::Utf16,
            params: vec![("X".into(), Format::None), ("y z".into(), Format::Json)],
            returning: "varbinary".into(),
            output: Format::Utf8,
            wrapper: Wrapper::Conditional,
            quotes: Some(true),
            on_empty: Behavior::EmptyArray,
            on_error: Behavior::Default,
        };
        assert_eq!(QuerySpec::parse(&spec.text()).expect("spec"), spec);
        assert!(QuerySpec::parse("none;;").is_err());
    }
}
