//! The store's columns: Lake's schema first, then what Athena and LookupEvents read that Lake's
//! columns hold in another shape or not at all. The Lake and Athena tables are views that show
//! only their own columns.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, ListArray, RecordBatch, StringArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::error::Result;
use serde_json::Value;

use crate::load::Partition;
use crate::table::{athena_schema, build, get_ci, lake_schema, PARTITION_COLUMNS};

/// Each event's text length in bytes: what Lake bills and Athena reads for it.
pub const EVENT_SIZE: &str = "eventsize";
/// Prefix of Athena's columns that Lake holds in another shape (`athena_readonly` is text).
pub const ATHENA_PREFIX: &str = "athena_";
/// The `Username` LookupEvents reports.
pub const LOOKUP_USERNAME: &str = "lookup_username";
/// `userIdentity.accessKeyId`.
pub const LOOKUP_ACCESS_KEY: &str = "lookup_accesskeyid";
/// The resources' types and names (ARNs), item by item.
pub const LOOKUP_RESOURCE_TYPES: &str = "lookup_resourcetypes";
pub const LOOKUP_RESOURCE_NAMES: &str = "lookup_resourcenames";

/// One event ready to be stored: its original text, parsed once, with what it is indexed on.
pub struct Record {
    pub text: String,
    pub json: Value,
    pub time_ms: i64,
    pub partition: Partition,
}

/// Athena's columns that Lake's schema does not hold with the same name and type (the
/// partition keys aside).
pub fn athena_only() -> Vec<Field> {
    let lake = lake_schema();
    athena_schema()
        .fields()
        .iter()
        .filter(|f| !PARTITION_COLUMNS.contains(&f.name().as_str()))
        .filter(|f| {
            lake.field_with_name(f.name())
                .map_or(true, |l| l.data_type() != f.data_type())
        })
        .map(|f| f.as_ref().clone())
        .collect()
}

fn texts() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// Every column the store holds.
pub fn store_schema() -> SchemaRef {
    let mut fields: Vec<Field> = lake_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields.push(Field::new(EVENT_SIZE, DataType::Int64, false));
    fields.extend(athena_only().into_iter().map(|f| {
        let name = format!("{ATHENA_PREFIX}{}", f.name());
        f.with_name(name)
    }));
    fields.extend(
        PARTITION_COLUMNS
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false)),
    );
    fields.push(Field::new(LOOKUP_USERNAME, DataType::Utf8, true));
    fields.push(Field::new(LOOKUP_ACCESS_KEY, DataType::Utf8, true));
    fields.push(Field::new(LOOKUP_RESOURCE_TYPES, texts(), true));
    fields.push(Field::new(LOOKUP_RESOURCE_NAMES, texts(), true));
    Arc::new(Schema::new(fields))
}

/// The scalar at JSON pointer `path`, as text.
fn scalar(v: &Value, path: &str) -> Option<String> {
    match v.pointer(path)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `Username` LookupEvents reports: the IAM user name, or the role session name.
fn username(ev: &Value) -> Option<String> {
    scalar(ev, "/userIdentity/userName")
        .or_else(|| {
            let arn = scalar(ev, "/userIdentity/arn")?;
            (scalar(ev, "/userIdentity/type").as_deref() == Some("AssumedRole"))
                .then(|| arn.rsplit('/').next().map(str::to_string))
                .flatten()
        })
        .or_else(|| {
            scalar(ev, "/userIdentity/type")
                .filter(|t| t == "Root")
                .map(|_| "root".to_string())
        })
}

/// One text per resource item, for each record (NULL when it has no `resources` array).
fn resource_texts(records: &[Record], pick: impl Fn(&Value) -> Option<String>) -> ArrayRef {
    let mut flat: Vec<Option<String>> = Vec::new();
    let mut lengths = Vec::with_capacity(records.len());
    let mut valid = Vec::with_capacity(records.len());
    for r in records {
        if let Some(items) = r.json.get("resources").and_then(Value::as_array) {
            flat.extend(items.iter().map(&pick));
            lengths.push(items.len());
            valid.push(true);
        } else {
            lengths.push(0);
            valid.push(false);
        }
    }
    Arc::new(ListArray::new(
        Arc::new(Field::new("item", DataType::Utf8, true)),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(StringArray::from(flat)),
        Some(valid.into()),
    ))
}

/// The records as one batch of [`store_schema`].
pub fn batch(schema: &SchemaRef, records: &[Record]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().as_str();
            let partition = |pick: fn(&Partition) -> &str| -> ArrayRef {
                Arc::new(StringArray::from_iter_values(
                    records.iter().map(|r| pick(&r.partition)),
                ))
            };
            Ok(match name {
                "eventjson" => Arc::new(StringArray::from_iter_values(
                    records.iter().map(|r| r.text.as_str()),
                )) as ArrayRef,
                EVENT_SIZE => Arc::new(Int64Array::from_iter_values(
                    records
                        .iter()
                        .map(|r| i64::try_from(r.text.len()).unwrap_or(i64::MAX)),
                )),
                "account" => partition(|p| &p.account),
                "region" => partition(|p| &p.region),
                "timestamp" => partition(|p| &p.day),
                LOOKUP_USERNAME => Arc::new(StringArray::from_iter(
                    records.iter().map(|r| username(&r.json)),
                )),
                LOOKUP_ACCESS_KEY => Arc::new(StringArray::from_iter(
                    records
                        .iter()
                        .map(|r| scalar(&r.json, "/userIdentity/accessKeyId")),
                )),
                LOOKUP_RESOURCE_TYPES => resource_texts(records, |r| scalar(r, "/type")),
                LOOKUP_RESOURCE_NAMES => {
                    resource_texts(records, |r| scalar(r, "/ARN").or_else(|| scalar(r, "/arn")))
                }
                _ => {
                    let member = name.strip_prefix(ATHENA_PREFIX).unwrap_or(name);
                    let values: Vec<Option<&Value>> =
                        records.iter().map(|r| get_ci(&r.json, member)).collect();
                    build(f.data_type(), &values)?
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
