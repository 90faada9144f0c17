//! Part sizes and S3's multipart limits.

use std::fmt;
use std::str::FromStr;

use crate::error::InvalidValue;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Most parts in one multipart upload (S3's limit).
pub const MAX_PARTS: u64 = 10_000;

/// The size of each part of a multipart upload (all parts but the last have this size).
///
/// S3 accepts parts of 5 MiB to 5 GiB (the last part may be smaller) and at most
/// [`MAX_PARTS`] parts, <https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html>.
/// [`PartSize::for_object`] raises the size when a file would need more parts than that.
///
/// Parses `"16MiB"`, `"16 MiB"`, `"16M"`, `"1GiB"`, `"5242880"` (bytes) and the like; units are binary
/// (`K`/`KiB` = 1024 bytes, `M`/`MiB`, `G`/`GiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartSize(u64);

impl PartSize {
    /// 5 MiB, S3's smallest part (except the last).
    pub const MIN: PartSize = PartSize(5 * MIB);
    /// 5 GiB, S3's largest part.
    pub const MAX: PartSize = PartSize(5 * GIB);
    /// 16 MiB: large enough that per-request costs vanish, small enough to keep memory low.
    pub const DEFAULT: PartSize = PartSize(16 * MIB);

    /// A part size in bytes, within S3's 5 MiB..=5 GiB.
    pub fn new(bytes: u64) -> Result<Self, InvalidValue> {
        if (Self::MIN.0..=Self::MAX.0).contains(&bytes) {
            Ok(Self(bytes))
        } else {
            Err(InvalidValue::new(
                bytes,
                "an S3 part is 5 MiB to 5 GiB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html)",
            ))
        }
    }

    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }

    /// The part size to use for an object of `object_size` bytes: this one, or, when that would take
    /// more than [`MAX_PARTS`] parts, the smallest multiple of 1 MiB that fits in [`MAX_PARTS`].
    /// `None` when the object is too large for any multipart upload (over 10,000 × 5 GiB).
    pub fn for_object(self, object_size: u64) -> Option<PartSize> {
        if object_size.div_ceil(self.0) <= MAX_PARTS {
            return Some(self);
        }
        let needed = object_size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        (needed <= Self::MAX.0).then_some(PartSize(needed.max(Self::MIN.0)))
    }

    /// How many parts an object of `object_size` bytes takes (at least one).
    pub fn parts(self, object_size: u64) -> u64 {
        object_size.div_ceil(self.0).max(1)
    }
}

impl Default for PartSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for PartSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(self.0))
    }
}

impl FromStr for PartSize {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = parse_bytes(s).ok_or_else(|| {
            InvalidValue::new(s, "a size such as 16MiB, 64 MiB, 1GiB or 5242880 (bytes)")
        })?;
        PartSize::new(bytes).map_err(|e| InvalidValue::new(s, e.rule))
    }
}

/// Parses `"16MiB"`, `"16 M"`, `"1GiB"`, `"512KiB"`, `"5242880"`: binary units.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let mult: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        "t" | "tb" | "tib" => 1024 * GIB,
        _ => return None,
    };
    if num.contains('.') {
        let v: f64 = num.parse().ok()?;
        let b = v * mult as f64;
        (b.is_finite() && b >= 0.0 && b < u64::MAX as f64).then_some(b as u64)
    } else {
        num.parse::<u64>().ok()?.checked_mul(mult)
    }
}

/// `16 MiB`, `1.5 GiB`, `300 B`.
pub fn format_bytes(b: u64) -> String {
    let units = [
        ("TiB", 1024 * GIB),
        ("GiB", GIB),
        ("MiB", MIB),
        ("KiB", 1024),
    ];
    for (name, size) in units {
        if b >= size {
            return if b.is_multiple_of(size) {
                format!("{} {name}", b / size)
            } else {
                format!("{:.2} {name}", b as f64 / size as f64)
            };
        }
    }
    format!("{b} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert!(PartSize::new(5 * MIB - 1).is_err());
        assert!(PartSize::new(5 * MIB).is_ok());
        assert!(PartSize::new(5 * GIB).is_ok());
        assert!(PartSize::new(5 * GIB + 1).is_err());
    }

    #[test]
    fn parses_sizes() {
        assert_eq!("16MiB".parse::<PartSize>().unwrap().bytes(), 16 * MIB);
        assert_eq!("16 M".parse::<PartSize>().unwrap().bytes(), 16 * MIB);
        assert_eq!("1GiB".parse::<PartSize>().unwrap().bytes(), GIB);
        assert_eq!("5242880".parse::<PartSize>().unwrap().bytes(), 5 * MIB);
        assert!("4MiB".parse::<PartSize>().is_err());
        assert!("6GiB".parse::<PartSize>().is_err());
        assert!("lots".parse::<PartSize>().is_err());
        assert_eq!(parse_bytes("1.5KiB"), Some(1536));
        assert_eq!(PartSize::DEFAULT.to_string(), "16 MiB");
    }

    #[test]
    fn huge_files_get_larger_parts() {
        let p = PartSize::DEFAULT;
        assert_eq!(p.for_object(GIB), Some(p));
        assert_eq!(p.for_object(10_000 * 16 * MIB), Some(p));
        // 500 GiB at 16 MiB would be 32,000 parts.
        let big = p.for_object(500 * GIB).unwrap();
        assert!(big.parts(500 * GIB) <= MAX_PARTS);
        assert_eq!(big.bytes() % MIB, 0);
        assert!(big.bytes() >= 500 * GIB / MAX_PARTS);
        assert_eq!(p.for_object(MAX_PARTS * 5 * GIB), Some(PartSize::MAX));
        assert_eq!(p.for_object(MAX_PARTS * 5 * GIB + 1), None);
        assert_eq!(p.parts(0), 1);
    }
}
