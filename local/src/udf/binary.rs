//! Trino's binary functions: `to_utf8`/`from_utf8`, the digests (`md5`, `sha1`, `sha256`,
//! `sha512`, `crc32`), the keyed and non-cryptographic hashes (`hmac_*`, `xxhash64`,
//! `murmur3`), the encodings (`to_hex`/`from_hex`, `to_base64`/`from_base64`,
//! `to_base64url`/`from_base64url`, `to_base32`/`from_base32`) and the fixed-width numbers
//! (`to_big_endian_32`/`_64`, `to_ieee754_32`/`_64` and their inverses), so a query's
//! `to_hex(md5(to_utf8(x)))` answers as on Lake. Digests take text too (as its UTF-8).

use std::sync::Arc;

use base64::Engine;
use datafusion::arrow::array::{
    ArrayRef, AsArray, BinaryArray, Float32Array, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use sha2::Digest;

use super::func::{returns_f64, returns_int64, returns_utf8, Func};
use super::{exec_err, first_arg, float64s, int64s, strings};

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
        Func::new("to_base64url", 1..=1, returns_utf8, to_base64url).udf(),
        Func::new("from_base64url", 1..=1, returns_binary, from_base64url).udf(),
        Func::new("to_base32", 1..=1, returns_utf8, to_base32).udf(),
        Func::new("from_base32", 1..=1, returns_binary, from_base32).udf(),
        Func::new("hmac_md5", 2..=2, returns_binary, hmac::<md5::Md5>).udf(),
        Func::new("hmac_sha1", 2..=2, returns_binary, hmac::<sha1::Sha1>).udf(),
        Func::new("hmac_sha256", 2..=2, returns_binary, hmac::<sha2::Sha256>).udf(),
        Func::new("hmac_sha512", 2..=2, returns_binary, hmac::<sha2::Sha512>).udf(),
        Func::new("xxhash64", 1..=1, returns_binary, xxhash64).udf(),
        Func::new("murmur3", 1..=1, returns_binary, murmur3).udf(),
        Func::new("to_big_endian_32", 1..=1, returns_binary, to_big_endian_32).udf(),
        Func::new(
            "from_big_endian_32",
            1..=1,
            |_| Ok(DataType::Int32),
            |a| {
                fixed::<4>(
                    a,
                    |n| format!("expected 4-byte input, but got instead: {n}"),
                    |b| {
                        Arc::new(Int32Array::from_iter(
                            b.into_iter().map(|v| v.map(i32::from_be_bytes)),
                        ))
                    },
                )
            },
        )
        .udf(),
        Func::new("to_big_endian_64", 1..=1, returns_binary, to_big_endian_64).udf(),
        Func::new("from_big_endian_64", 1..=1, returns_int64, |a| {
            fixed::<8>(
                a,
                |n| format!("expected 8-byte input, but got instead: {n}"),
                |b| {
                    Arc::new(Int64Array::from_iter(
                        b.into_iter().map(|v| v.map(i64::from_be_bytes)),
                    ))
                },
            )
        })
        .udf(),
        Func::new("to_ieee754_32", 1..=1, returns_binary, to_ieee754_32).udf(),
        Func::new(
            "from_ieee754_32",
            1..=1,
            |_| Ok(DataType::Float32),
            |a| {
                fixed::<4>(
                    a,
                    |_| IEEE754_32.into(),
                    |b| {
                        Arc::new(Float32Array::from_iter(
                            b.into_iter().map(|v| v.map(f32::from_be_bytes)),
                        ))
                    },
                )
            },
        )
        .udf(),
        Func::new("to_ieee754_64", 1..=1, returns_binary, to_ieee754_64).udf(),
        Func::new("from_ieee754_64", 1..=1, returns_f64, |a| {
            fixed::<8>(
                a,
                |_| IEEE754_64.into(),
                |b| {
                    Arc::new(Float64Array::from_iter(
                        b.into_iter().map(|v| v.map(f64::from_be_bytes)),
                    ))
                },
            )
        })
        .udf(),
    ]
}

/// Trino's message for a `from_ieee754_32` input not of 4 bytes.
const IEEE754_32: &str = "Input floating-point value must be exactly 4 bytes long";
/// Trino's message for a `from_ieee754_64` input not of 8 bytes.
const IEEE754_64: &str = "Input floating-point value must be exactly 8 bytes long";

fn returns_binary(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Binary)
}

/// The one argument as bytes (text as its UTF-8).
fn bytes(args: &[ArrayRef]) -> Result<BinaryArray> {
    bytes_at(args, 0)
}

/// Argument `i` as bytes.
fn bytes_at(args: &[ArrayRef], i: usize) -> Result<BinaryArray> {
    let a = args
        .get(i)
        .ok_or_else(|| exec_err(format!("argument {} expected", i.saturating_add(1))))?;
    Ok(cast(a, &DataType::Binary)?.as_binary::<i32>().clone())
}

/// The one argument as text.
fn text(args: &[ArrayRef]) -> Result<StringArray> {
    strings(first_arg(args)?)
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

/// Java's decoder, which Trino's `from_base64` calls.
fn from_base64(args: &[ArrayRef]) -> Result<ArrayRef> {
    java_base64(args, &base64::alphabet::STANDARD)
}

/// `to_base64url(b)`: Java's URL-safe encoder, padded.
fn to_base64url(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let engine = base64::engine::general_purpose::URL_SAFE;
    let out: StringArray = b.iter().map(|v| v.map(|v| engine.encode(v))).collect();
    Ok(Arc::new(out))
}

/// Java's URL-safe decoder, which Trino's `from_base64url` calls.
fn from_base64url(args: &[ArrayRef]) -> Result<ArrayRef> {
    java_base64(args, &base64::alphabet::URL_SAFE)
}

/// Java's base-64 decoder over `alphabet`: padding optional, bits past the last byte ignored;
/// its messages for what it refuses.
fn java_base64(args: &[ArrayRef], alphabet: &base64::alphabet::Alphabet) -> Result<ArrayRef> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let b = bytes(args)?;
    let out = b
        .iter()
        .map(|v| {
            v.map(|v| {
                if v.len() == 1 {
                    return Err(exec_err(
                        "Input byte[] should at least have 2 bytes for base64 bytes",
                    ));
                }
                engine.decode(v).map_err(|e| {
                    exec_err(match e {
                        // Java prints the byte as a signed number in hex.
                        base64::DecodeError::InvalidByte(_, byte) => {
                            format!("Illegal base64 character {}", signed_hex(byte))
                        }
                        base64::DecodeError::InvalidLength(_)
                        | base64::DecodeError::InvalidLastSymbol(..) => {
                            "Last unit does not have enough valid bits".into()
                        }
                        base64::DecodeError::InvalidPadding => {
                            "Input byte array has wrong 4-byte ending unit".into()
                        }
                    })
                })
            })
            .transpose()
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

/// `Integer.toString(b, 16)` of a Java (signed) byte: `2b`, `-3f`.
fn signed_hex(b: u8) -> String {
    let v = i16::from(b.cast_signed());
    if v < 0 {
        format!("-{:x}", v.unsigned_abs())
    } else {
        format!("{v:x}")
    }
}

/// `to_base32(b)`: RFC 4648 base 32, upper case and padded, as Guava writes it.
fn to_base32(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: StringArray = b
        .iter()
        .map(|v| v.map(|v| data_encoding::BASE32.encode(v)))
        .collect();
    Ok(Arc::new(out))
}

/// Guava's base-32 decoder, which `from_base32` calls: every trailing `=` dropped, then a length
/// that can end a group and upper-case letters and digits 2-7 only (bits past the last byte
/// ignored), with Guava's messages.
fn from_base32(args: &[ArrayRef]) -> Result<ArrayRef> {
    static LENIENT: std::sync::LazyLock<Option<data_encoding::Encoding>> =
        std::sync::LazyLock::new(|| {
            let mut spec = data_encoding::BASE32_NOPAD.specification();
            spec.check_trailing_bits = false;
            spec.encoding().ok()
        });
    let engine = LENIENT
        .as_ref()
        .ok_or_else(|| exec_err("from_base32: no decoder"))?;
    // Bytes are read as UTF-8 with U+FFFD for what is not, as Trino's `toStringUtf8` reads them.
    let text: StringArray = match first_arg(args)?.as_binary_opt::<i32>() {
        Some(b) => b
            .iter()
            .map(|v| v.map(|v| String::from_utf8_lossy(v).into_owned()))
            .collect(),
        None => strings(first_arg(args)?)?,
    };
    let out = text
        .iter()
        .map(|v| {
            v.map(|s| {
                let s = s.trim_end_matches('=');
                let units = s.encode_utf16().count();
                if !matches!(units % 8, 0 | 2 | 4 | 5 | 7) {
                    return Err(exec_err(format!("Invalid input length {units}")));
                }
                if let Some(c) = s
                    .encode_utf16()
                    .find(|&c| !matches!(c, 0x41..=0x5A | 0x32..=0x37))
                {
                    return Err(exec_err(match char::from_u32(u32::from(c)) {
                        Some(ch) if c > 0x20 && c < 0x7F => format!("Unrecognized character: {ch}"),
                        _ => format!("Unrecognized character: 0x{c:x}"),
                    }));
                }
                engine
                    .decode(s.as_bytes())
                    .map_err(|e| exec_err(format!("from_base32: {e}")))
            })
            .transpose()
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

/// `hmac_<digest>(data, key)`; an empty key is refused, as Java's key spec refuses it.
fn hmac<D>(args: &[ArrayRef]) -> Result<ArrayRef>
where
    D: Digest + hmac::digest::core_api::BlockSizeUser + Clone,
    hmac::SimpleHmac<D>: hmac::Mac + hmac::digest::KeyInit,
{
    use hmac::Mac;
    let (data, key) = (bytes_at(args, 0)?, bytes_at(args, 1)?);
    let out = data
        .iter()
        .zip(key.iter())
        .map(|(d, k)| match (d, k) {
            (Some(_), Some([])) => Err(exec_err("Empty key")),
            (Some(d), Some(k)) => {
                let mut mac = <hmac::SimpleHmac<D> as Mac>::new_from_slice(k)
                    .map_err(|e| exec_err(format!("hmac: {e}")))?;
                mac.update(d);
                Ok(Some(mac.finalize().into_bytes().to_vec()))
            }
            _ => Ok(None),
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

/// XXH64 with seed 0, its eight bytes big-endian.
fn xxhash64(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out: BinaryArray = b
        .iter()
        .map(|v| v.map(|v| twox_hash::XxHash64::oneshot(0, v).to_be_bytes()))
        .collect();
    Ok(Arc::new(out))
}

/// MurmurHash3 x64 128 with seed 0: its two 64-bit halves, each little-endian.
fn murmur3(args: &[ArrayRef]) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let out = b
        .iter()
        .map(|v| {
            v.map(|mut v| {
                murmur3::murmur3_x64_128(&mut v, 0)
                    .map(u128::to_le_bytes)
                    .map_err(|e| exec_err(format!("murmur3: {e}")))
            })
            .transpose()
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

/// `to_big_endian_32(n)`: an `integer`'s four bytes, most significant first.
fn to_big_endian_32(args: &[ArrayRef]) -> Result<ArrayRef> {
    let n = int64s(first_arg(args)?)?;
    let out = n
        .iter()
        .map(|v| {
            v.map(|v| {
                i32::try_from(v)
                    .map(i32::to_be_bytes)
                    .map_err(|_| exec_err(format!("Out of range for integer: {v}")))
            })
            .transpose()
        })
        .collect::<Result<BinaryArray>>()?;
    Ok(Arc::new(out))
}

/// `to_big_endian_64(n)`: a `bigint`'s eight bytes, most significant first.
fn to_big_endian_64(args: &[ArrayRef]) -> Result<ArrayRef> {
    let n = int64s(first_arg(args)?)?;
    let out: BinaryArray = n.iter().map(|v| v.map(i64::to_be_bytes)).collect();
    Ok(Arc::new(out))
}

/// `to_ieee754_32(r)`: a `real`'s IEEE 754 bits, big-endian, NaN as it is.
fn to_ieee754_32(args: &[ArrayRef]) -> Result<ArrayRef> {
    let a = first_arg(args)?;
    let f = cast(a, &DataType::Float32)?;
    let out: BinaryArray = f
        .as_primitive::<datafusion::arrow::datatypes::Float32Type>()
        .iter()
        .map(|v| v.map(f32::to_be_bytes))
        .collect();
    Ok(Arc::new(out))
}

/// Java's `doubleToLongBits`, which writes every NaN as the canonical one.
fn to_ieee754_64(args: &[ArrayRef]) -> Result<ArrayRef> {
    let f = float64s(first_arg(args)?)?;
    let out: BinaryArray = f
        .iter()
        .map(|v| v.map(|v| if v.is_nan() { f64::NAN } else { v }.to_be_bytes()))
        .collect();
    Ok(Arc::new(out))
}

/// Each value of exactly `N` bytes, read by `read`; any other length fails with the message
/// `wrong` gives for it.
fn fixed<const N: usize>(
    args: &[ArrayRef],
    wrong: impl Fn(usize) -> String,
    read: impl Fn(Vec<Option<[u8; N]>>) -> ArrayRef,
) -> Result<ArrayRef> {
    let b = bytes(args)?;
    let values = b
        .iter()
        .map(|v| {
            v.map(|v| <[u8; N]>::try_from(v).map_err(|_| exec_err(wrong(v.len()))))
                .transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(read(values))
}
