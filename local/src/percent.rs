//! Percent-decoding (`+` is a space, `%XX` a byte) of form bodies and of URL text.

/// A hex digit's value.
fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The byte that `%XX` at the start of `s` stands for, if it is one.
fn escape(s: &[u8]) -> Option<u8> {
    match s {
        [b'%', h, l, ..] => Some(hex(*h)? << 4 | hex(*l)?),
        _ => None,
    }
}

/// Decodes as the `url` crate's form decoder does: a `%` without two hex digits stays as it
/// is, and bytes that are not UTF-8 become U+FFFD. Runs of plain bytes are copied whole (a
/// PublishBatch carries up to 256 KiB of percent-encoded JSON).
pub fn decode_lenient(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.iter().position(|&b| b == b'%' || b == b'+') {
        out.extend_from_slice(&rest[..at]);
        rest = &rest[at..];
        let (byte, used) = match (rest.first(), escape(rest)) {
            (Some(b'+'), _) => (b' ', 1),
            (_, Some(b)) => (b, 3),
            _ => (b'%', 1),
        };
        out.push(byte);
        rest = rest.get(used..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Decodes as Trino's `url_decode` does: a `%` without two hex digits is an error.
pub fn decode_strict(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    if let Some(i) = bytes
        .iter()
        .enumerate()
        .position(|(i, &b)| b == b'%' && escape(&bytes[i..]).is_none())
    {
        return Err(format!("url_decode: incomplete escape at {i} in '{s}'"));
    }
    Ok(decode_lenient(bytes))
}
