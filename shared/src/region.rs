//! AWS region names: they go into host names (console links, endpoints), so only a value of a
//! region's shape is used.

/// Whether `s` has the shape of an AWS region name (`us-east-1`, `us-gov-west-1`, `eu-central-2`).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_shapes() {
        for r in [
            "us-east-1",
            "us-gov-west-1",
            "eu-central-2",
            "ap-southeast-3",
            "il-central-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "",
            "evil.com/x",
            "us-east-1.evil.com",
            "US-EAST-1",
            "us-east",
            "x-y-1",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }
}
