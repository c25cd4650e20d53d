//! Decimal digits as numbers are rounded by hand (Java's HALF_UP on a number's decimal text):
//! shared by `format_number` and `format`.

/// Adds one unit in the last place of `digits` (each 0-9, most significant first), carrying;
/// whether a new leading digit was added (`99` becomes `100`).
pub fn carry(digits: &mut Vec<u8>) -> bool {
    let mut i = digits.len();
    loop {
        if i == 0 {
            digits.insert(0, 1);
            return true;
        }
        i -= 1;
        if digits[i] == 9 {
            digits[i] = 0;
        } else {
            digits[i] += 1;
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn carries_through_nines() {
        let mut d = vec![1, 9, 9];
        assert!(!super::carry(&mut d));
        assert_eq!(d, vec![2, 0, 0]);
        let mut d = vec![9, 9];
        assert!(super::carry(&mut d));
        assert_eq!(d, vec![1, 0, 0]);
        let mut d = Vec::new();
        assert!(super::carry(&mut d));
        assert_eq!(d, vec![1]);
    }
}
