//! Page tokens: an opaque NextToken that names what it pages (a query, a list, the parameters
//! of a lookup) and where the next page starts. A token is only accepted for the same scope.

use base64::Engine;

/// The token for the page starting at `at` (an offset, or a key to continue after) of `scope`.
pub fn encode(scope: &str, at: impl std::fmt::Display) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{scope}|{at}"))
}

/// Where `token` points, if it was made for `scope`.
pub fn decode<T: std::str::FromStr>(token: &str, scope: &str) -> Option<T> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (s, off) = text.rsplit_once('|')?;
    (s == scope).then(|| off.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_only_within_their_scope() {
        let t = encode("q-1", 1000);
        assert_eq!(decode(&t, "q-1"), Some(1000usize));
        assert_eq!(decode::<usize>(&t, "q-2"), None);
        assert_eq!(decode::<usize>("not base64!", "q-1"), None);
        assert_eq!(decode(&encode("a|b", 7), "a|b"), Some(7usize));
    }
}
