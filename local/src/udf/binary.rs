//! Trino's binary functions: `to_utf8`/`from_utf8`, the digests (`md5`, `sha1`, `sha256`,
//! `sha512`, `crc32`) and the encodings (`to_hex`/`from_hex`, `to_base64`/`from_base64`), so a
//! query's `to_hex(md5(to_utf8(x)))` answers as on Lake. Digests take text too (as its UTF-8).

use std::sync::Arc;

use base64::Engine;
use datafusion::arrow::array::{ArrayRef, AsArray, BinaryArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use sha2::Digest;

use super::func::{returns_int64, returns_utf8, Func};
use super::{exec_err, strings};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("to_utf8", 1..=1, returns_binary, to_utf8).udf(),
        Func::new("from_utf8", 1..=1, returns_utf8, from_utf8).udf(),
        Func::new("md5", 1..=1, returns_binary, digest::<md5::Md5>).udf(),
        Func::new("sha1", 1..=1, returns_binary, digest::<sha1::Sha1>).udf(),
        Func::new("sha256", 1..=1, returns_binary, digest::<sha2::Sha256>).udf(),
        Func::new("sha512", 1..=1, returns_binary, digest::<sha2::Sha512>).udf(),
        Func::new("crc32", 1..=1, returns_int64, crc32).udf(),
        Func::new("to_hex", 1..=1, returns_utf8, to_hex).udf(),
        Func::new("from_hex", 1..=1, returns_binary, from_hex).udf(),
        Func::new("to_base64", 1..=1, returns_utf8, to_base64).udf(),
        Func::new("from_base64", 1..=1, returns_binary, from_base64).udf(),
    ]
}

fn returns_binary(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Binary)
}

/// The one argument as bytes (text as its UTF-8).
fn bytes(args: &[ArrayRef]) -> Result<BinaryArray> {
    let a = args
        .first()
        .ok_or_else(|| exec_err("one argument expected"))?;
    Ok(cast(a, &DataType::Binary)?.as_binary::<i32>().clone())
}

/// The one argument as text.
fn text(args: &[ArrayRef]) -> Result<StringArray> {
    strings(
        args.first()
            .ok_or_else(|| exec_err("one argument expected"))?,
    )
}

fn to_utf8(args: &[ArrayRef]) -> Result<ArrayRef> {
    let t: ArrayRef = Arc::new(text(args)?);
    Ok(cast(&t, &DataType::Binary)?)
}

/// Invalid UTF-8 becomes U+FFFD, as Trino replaces it.
fn from_utf8(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: StringArray = b
        .iter()
        .map(|v| v.map(|v| String::from_utf8_lossy(v).into_owned()))
        .collect();
    Ok(Arc::new(out))
}

fn digest<D: Digest>(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: BinaryArray = b.iter().map(|v| v.map(|v| D::digest(v).to_vec())).collect();
    Ok(Arc::new(out))
}

fn crc32(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: Int64Array = b
        .iter()
        .map(|v| v.map(|v| i64::from(crc32fast::hash(v))))
        .collect();
    Ok(Arc::new(out))
}

/// Upper-case hex, as Trino writes it.
fn to_hex(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: StringArray = b.iter().map(|v| v.map(hex::encode_upper)).collect();
    Ok(Arc::new(out))
}

fn to_base64(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let engine = base64::engine::general_purpose::STANDARD;
    let out: StringArray = b.iter().map(|v| v.map(|v| engine.encode(v))).collect();
    Ok(Arc::new(out))
}

/// Each text decoded by `decode`; a text it refuses fails the query, naming the function.
fn decode_each(
    args: &[ArrayRef],
    name: &str,
    decode: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<ArrayRef> {
    let t = text(args)?;
    let out = t
        .iter()
        .map(|v| {
            v.map(|s| decode(s).ok_or_else(|| exec_err(format!("{name}: invalid input {s:?}"))))
                .transpose()
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

fn from_hex(args: &[ArrayRef]) -> Result<ArrayRef> {
    decode_each(args, "from_hex", |s| hex::decode(s).ok())
}

fn from_base64(args: &[ArrayRef]) -> Result<ArrayRef> {
    let engine = base64::engine::general_purpose::STANDARD;
    decode_each(args, "from_base64", |s| engine.decode(s).ok())
}
