//! Small helpers: ids and timestamps.
use rand::Rng;
use std::time::{SystemTime, UNIX_EPOCH};

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// `prefix` followed by `n` random characters of `alphabet`.
fn random_id(prefix: &str, n: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    let mut s = String::from(prefix);
    for _ in 0..n {
        s.push(alphabet[rng.random_range(0..alphabet.len())] as char);
    }
    s
}

/// A CloudFront-style id: `E` + 13 uppercase alphanumerics (distributions, OACs, ETags).
pub fn e_id() -> String {
    random_id("E", 13, UPPER)
}

/// An id with another leading letter (`I` for invalidations, `K` for public keys).
pub fn letter_id(letter: &str) -> String {
    random_id(letter, 13, UPPER)
}

/// The `d` + 13 lowercase alphanumerics label of a distribution domain.
pub fn domain_label() -> String {
    random_id("d", 13, LOWER)
}

/// RFC 3339 / ISO 8601 UTC timestamp with milliseconds, as CloudFront writes them.
pub fn iso8601(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let millis = d.subsec_millis();
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_timestamps() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn ids_have_aws_shapes() {
        let e = e_id();
        assert_eq!(e.len(), 14);
        assert!(
            e.starts_with('E')
                && e.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        let d = domain_label();
        assert_eq!(d.len(), 14);
        assert!(
            d.starts_with('d')
                && d.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
