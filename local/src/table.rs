//! CloudTrail Lake's and Athena's event schemas as Arrow schemas, and JSON values turned into
//! Arrow arrays of their types.
//!
//! Lake exposes lower-case columns; nested JSON objects become structs where Lake has structs and
//! `map<string,string>` where it has maps, with nested values below a map key kept as JSON text.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, ListArray, MapArray, StringArray, StructArray,
    TimestampMillisecondArray,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};
use datafusion::error::Result;
use serde_json::Value;

use crate::load::parse_time_ms;

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

fn strukt(name: &str, fields: Vec<Field>) -> Field {
    Field::new(name, DataType::Struct(Fields::from(fields)), true)
}

fn map_type() -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", DataType::Utf8, false),
        Field::new("value", DataType::Utf8, true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(entries), false)),
        false,
    )
}

fn map(name: &str) -> Field {
    Field::new(name, map_type(), true)
}

fn strings(names: &[&str]) -> Vec<Field> {
    names.iter().map(|n| utf8(n)).collect()
}

/// The structs both documented schemas share.
fn session_issuer() -> Field {
    strukt(
        "sessionissuer",
        strings(&["type", "principalid", "arn", "accountid", "username"]),
    )
}

fn addendum() -> Field {
    strukt(
        "addendum",
        strings(&[
            "reason",
            "updatedfields",
            "originalrequestid",
            "originaleventid",
        ]),
    )
}

fn tls_details() -> Field {
    strukt(
        "tlsdetails",
        strings(&["tlsversion", "ciphersuite", "clientprovidedhostheader"]),
    )
}

/// The event data store schema, exactly as CloudTrail Lake documents it ("Supported SQL schemas
/// for event data stores": lower-case names, in its order). Its `inscopeof.credentiaisissuedto`
/// is spelt here as the records spell it (`credentialsIssuedTo`); `eventjsonchecksum`, whose
/// algorithm is not documented, is NULL.
pub fn lake_schema() -> SchemaRef {
    let session_context = strukt(
        "sessioncontext",
        vec![
            strukt(
                "attributes",
                vec![
                    Field::new(
                        "creationdate",
                        DataType::Timestamp(TimeUnit::Millisecond, None),
                        true,
                    ),
                    utf8("mfaauthenticated"),
                ],
            ),
            session_issuer(),
            strukt(
                "webidfederationdata",
                vec![utf8("federatedprovider"), map("attributes")],
            ),
            utf8("sourceidentity"),
            utf8("ec2roledelivery"),
            utf8("ec2issuedinvpc"),
        ],
    );
    let mut identity = strings(&[
        "type",
        "principalid",
        "arn",
        "accountid",
        "accesskeyid",
        "username",
    ]);
    identity.push(session_context);
    identity.push(strukt(
        "onbehalfof",
        strings(&["userid", "identitystorearn"]),
    ));
    identity.push(strukt(
        "inscopeof",
        strings(&[
            "sourcearn",
            "sourceaccount",
            "issuertype",
            "credentialsissuedto",
        ]),
    ));
    identity.extend(strings(&["invokedby", "identityprovider"]));
    let resource = strukt("item", strings(&["accountid", "type", "arn", "arnprefix"]));
    let fields = vec![
        utf8("eventversion"),
        strukt("useridentity", identity),
        Field::new(
            "eventtime",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            true,
        ),
        utf8("eventsource"),
        utf8("eventname"),
        utf8("awsregion"),
        utf8("sourceipaddress"),
        utf8("useragent"),
        utf8("errorcode"),
        utf8("errormessage"),
        map("requestparameters"),
        map("responseelements"),
        map("additionaleventdata"),
        utf8("requestid"),
        utf8("eventid"),
        Field::new("readonly", DataType::Boolean, true),
        Field::new("resources", DataType::List(Arc::new(resource)), true),
        utf8("eventtype"),
        utf8("apiversion"),
        Field::new("managementevent", DataType::Boolean, true),
        utf8("recipientaccountid"),
        utf8("sharedeventid"),
        utf8("annotation"),
        utf8("vpcendpointid"),
        utf8("vpcendpointaccountid"),
        map("serviceeventdetails"),
        map("addendum"),
        map("edgedevicedetails"),
        map("insightdetails"),
        utf8("eventcategory"),
        tls_details(),
        utf8("sessioncredentialfromconsole"),
        utf8("eventjson"),
        utf8("eventjsonchecksum"),
    ];
    Arc::new(Schema::new(fields))
}

/// The CloudTrail table as AWS documents it for Athena (partition projection), lower-case:
/// JSON objects below the top level are JSON text, `eventtime` and `readonly` are text, and the
/// projected partition keys `account`, `region` and `timestamp` (`yyyy/MM/dd`) come last.
pub fn athena_schema() -> SchemaRef {
    let session_issuer = session_issuer();
    let web_identity = strukt(
        "webidfederationdata",
        vec![utf8("federatedprovider"), map("attributes")],
    );
    let session_context = strukt(
        "sessioncontext",
        vec![
            strukt("attributes", strings(&["mfaauthenticated", "creationdate"])),
            session_issuer,
            utf8("ec2roledelivery"),
            web_identity,
            utf8("sourceidentity"),
        ],
    );
    let mut identity = strings(&[
        "type",
        "principalid",
        "arn",
        "accountid",
        "invokedby",
        "accesskeyid",
        "username",
    ]);
    identity.push(strukt(
        "onbehalfof",
        strings(&["userid", "identitystorearn"]),
    ));
    identity.push(session_context);
    let resource = strukt("item", strings(&["arn", "accountid", "type"]));
    let mut fields = strings(&["eventversion"]);
    fields.push(strukt("useridentity", identity));
    fields.extend(strings(&[
        "eventtime",
        "eventsource",
        "eventname",
        "awsregion",
        "sourceipaddress",
        "useragent",
        "errorcode",
        "errormessage",
        "requestparameters",
        "responseelements",
        "additionaleventdata",
        "requestid",
        "eventid",
        "readonly",
    ]));
    fields.push(Field::new(
        "resources",
        DataType::List(Arc::new(resource)),
        true,
    ));
    fields.extend(strings(&[
        "eventtype",
        "apiversion",
        "recipientaccountid",
        "serviceeventdetails",
        "sharedeventid",
        "vpcendpointid",
        "vpcendpointaccountid",
        "eventcategory",
    ]));
    fields.push(addendum());
    fields.extend(strings(&[
        "sessioncredentialfromconsole",
        "edgedevicedetails",
    ]));
    fields.push(tls_details());
    fields.extend(strings(&PARTITION_COLUMNS));
    Arc::new(Schema::new(fields))
}

/// A schema's column names, as the SQL rewrite needs them.
pub fn column_names(schema: &Schema) -> Vec<String> {
    schema.fields().iter().map(|f| f.name().clone()).collect()
}

/// The Athena table's projected partition keys, in order.
pub const PARTITION_COLUMNS: [&str; 3] = ["account", "region", "timestamp"];

/// A JSON object's member by Lake's case-insensitive column name.
pub(crate) fn get_ci<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A JSON value as Lake prints it in a string column: strings bare, anything else as JSON text.
pub fn json_to_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// An Arrow array of type `dt` from JSON values, as Lake (or Athena) shapes them: strings bare,
/// objects as structs or maps, nested values below a map key as JSON text.
pub(crate) fn build(dt: &DataType, values: &[Option<&Value>]) -> Result<ArrayRef> {
    Ok(match dt {
        DataType::Utf8 => Arc::new(StringArray::from_iter(
            values.iter().map(|v| v.and_then(json_to_text)),
        )),
        DataType::Boolean => Arc::new(BooleanArray::from_iter(values.iter().map(
            |v| match (*v)? {
                Value::Bool(b) => Some(*b),
                Value::String(s) => s.parse().ok(),
                _ => None,
            },
        ))),
        DataType::Timestamp(TimeUnit::Millisecond, None) => {
            Arc::new(TimestampMillisecondArray::from_iter(
                values
                    .iter()
                    .map(|v| v.and_then(Value::as_str).and_then(parse_time_ms)),
            ))
        }
        DataType::Struct(fields) => {
            let valid: Vec<bool> = values
                .iter()
                .map(|v| matches!(v, Some(Value::Object(_))))
                .collect();
            let children = fields
                .iter()
                .map(|f| {
                    let child: Vec<Option<&Value>> = values
                        .iter()
                        .map(|v| v.and_then(|v| get_ci(v, f.name())))
                        .collect();
                    build(f.data_type(), &child)
                })
                .collect::<Result<Vec<_>>>()?;
            Arc::new(StructArray::try_new(
                fields.clone(),
                children,
                Some(NullBuffer::from(valid)),
            )?)
        }
        DataType::Map(entries, _) => {
            let mut keys = Vec::new();
            let mut vals = Vec::new();
            let mut lengths = Vec::with_capacity(values.len());
            let mut valid = Vec::with_capacity(values.len());
            for v in values {
                if let Some(Value::Object(obj)) = v {
                    for (k, val) in obj {
                        keys.push(k.clone());
                        vals.push(json_to_text(val));
                    }
                    lengths.push(obj.len());
                    valid.push(true);
                } else {
                    lengths.push(0);
                    valid.push(false);
                }
            }
            let DataType::Struct(entry_fields) = entries.data_type() else {
                return Err(datafusion::error::DataFusionError::Internal(
                    "map entries must be a struct".into(),
                ));
            };
            let entry_struct = StructArray::try_new(
                entry_fields.clone(),
                vec![
                    Arc::new(StringArray::from(keys)) as ArrayRef,
                    Arc::new(StringArray::from(vals)) as ArrayRef,
                ],
                None,
            )?;
            Arc::new(MapArray::try_new(
                entries.clone(),
                OffsetBuffer::from_lengths(lengths),
                entry_struct,
                Some(NullBuffer::from(valid)),
                false,
            )?)
        }
        DataType::List(item) => {
            let mut flat = Vec::new();
            let mut lengths = Vec::with_capacity(values.len());
            let mut valid = Vec::with_capacity(values.len());
            for v in values {
                if let Some(Value::Array(items)) = v {
                    flat.extend(items.iter().map(Some));
                    lengths.push(items.len());
                    valid.push(true);
                } else {
                    lengths.push(0);
                    valid.push(false);
                }
            }
            let child = build(item.data_type(), &flat)?;
            Arc::new(ListArray::try_new(
                item.clone(),
                OffsetBuffer::from_lengths(lengths),
                child,
                Some(NullBuffer::from(valid)),
            )?)
        }
        other => {
            return Err(datafusion::error::DataFusionError::NotImplemented(format!(
                "column type {other}"
            )))
        }
    })
}
