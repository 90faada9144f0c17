//! Durations in whole seconds: TTLs and segment lengths.

use std::fmt;
use std::str::FromStr;

use crate::error::InvalidValue;

/// A duration in whole seconds, written `"6s"`, `"90m"`, `"6h"`, `"1d"`, `"365d"` (parsed by the
/// [`humantime`] crate; compound forms such as `"1h 30m"` work too) or as a plain number of seconds.
/// Fractions of a second are rejected: every AWS field this crate fills takes whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seconds(u64);

impl Seconds {
    /// From a number of seconds.
    pub const fn new(secs: u64) -> Self {
        Self(secs)
    }

    /// The number of seconds.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for Seconds {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rule = "must be a whole number of seconds, written like \"6s\", \"90m\", \"6h\", \"1d\" or \"365d\"";
        let t = s.trim();
        if let Ok(n) = t.parse::<u64>() {
            return Ok(Self(n));
        }
        let d = humantime::parse_duration(t).map_err(|e| match e {
            humantime::DurationError::NumberOverflow => InvalidValue::new(s, OUT_OF_RANGE),
            _ if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                InvalidValue::new(s, OUT_OF_RANGE)
            }
            _ => InvalidValue::new(s, rule),
        })?;
        if d.subsec_nanos() != 0 {
            return Err(InvalidValue::new(s, rule));
        }
        Ok(Self(d.as_secs()))
    }
}

/// The rule of a number of seconds too large to count (more than 64 bits).
const OUT_OF_RANGE: &str = "is out of range: at most 18446744073709551615 seconds";

/// The rule of a TTL above [`Ttl::MAX`].
const TTL_RANGE: &str = "is out of range: a TTL must be at most 100 years (3153600000 s); CloudFront's MinTTL, DefaultTTL and MaxTTL are whole seconds (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html)";

impl TryFrom<&str> for Seconds {
    type Error = InvalidValue;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<u64> for Seconds {
    fn from(secs: u64) -> Self {
        Self(secs)
    }
}

impl fmt::Display for Seconds {
    /// The largest unit that divides evenly: `0s`, `6s`, `90m`, `1d`, `365d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s == 0 {
            return f.write_str("0s");
        }
        for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s.is_multiple_of(n) {
                return write!(f, "{}{unit}", s / n);
            }
        }
        write!(f, "{s}s")
    }
}

impl serde::Serialize for Seconds {
    /// Serialized as the number of seconds, which is what AWS fields take.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// A CloudFront time-to-live in seconds.
///
/// Rules: a TTL is a non-negative number of seconds (`MinTTL`, `DefaultTTL`, `MaxTTL` are `Long`s,
/// <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html>); CloudFront's
/// defaults are 0, 86,400 (one day) and 31,536,000 (one year). This crate caps a TTL at
/// [`Ttl::MAX`] (100 years) to catch unit mistakes. The ordering `min ≤ default ≤ max` is checked where
/// the three meet, in the pipeline validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Ttl(Seconds);

impl Ttl {
    /// 100 years: the largest TTL this crate accepts.
    pub const MAX: Ttl = Ttl(Seconds(3_153_600_000));
    /// CloudFront's default `MinTTL`.
    pub const DEFAULT_MIN: Ttl = Ttl(Seconds(0));
    /// CloudFront's default `DefaultTTL`: one day.
    pub const DEFAULT_DEFAULT: Ttl = Ttl(Seconds(86_400));
    /// CloudFront's default `MaxTTL`: one year.
    pub const DEFAULT_MAX: Ttl = Ttl(Seconds(31_536_000));
    /// This crate's default error caching minimum TTL: 5 s, as AWS recommends for video delivery.
    pub const DEFAULT_ERROR_CACHING: Ttl = Ttl(Seconds(5));

    /// A checked TTL.
    pub fn new(secs: u64) -> Result<Self, InvalidValue> {
        if secs <= Self::MAX.secs() {
            Ok(Self(Seconds(secs)))
        } else {
            Err(InvalidValue::new(Seconds(secs), TTL_RANGE))
        }
    }

    /// The TTL in seconds.
    pub const fn secs(self) -> u64 {
        self.0.0
    }
}

impl FromStr for Ttl {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let secs: Seconds = s.parse().map_err(|e: InvalidValue| {
            // A number too large to count is out of a TTL's range too: say which range.
            if e.rule == OUT_OF_RANGE {
                InvalidValue::new(s, TTL_RANGE)
            } else {
                e
            }
        })?;
        Ttl::new(secs.get()).map_err(|e| InvalidValue::new(s, e.rule))
    }
}

impl TryFrom<&str> for Ttl {
    type Error = InvalidValue;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<u64> for Ttl {
    type Error = InvalidValue;
    fn try_from(secs: u64) -> Result<Self, Self::Error> {
        Ttl::new(secs)
    }
}

impl fmt::Display for Ttl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The length of a media segment, in whole seconds.
///
/// Rules: MediaConvert's `SegmentLength` for HLS, DASH and CMAF output groups is a whole number of
/// seconds from 1 to 2,147,483,647
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-hlsgroupsettings-segmentlength>).
/// This crate also caps it at 60 s: longer segments defeat adaptive streaming, and Apple's HLS authoring
/// specification targets 6 s. The segment length must be a multiple of the GOP length (checked in the
/// pipeline validation) so that every segment starts on a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SegmentLength(Seconds);

impl SegmentLength {
    /// The longest segment this crate accepts.
    pub const MAX_SECS: u64 = 60;

    /// A checked segment length.
    pub fn new(secs: u64) -> Result<Self, InvalidValue> {
        if (1..=Self::MAX_SECS).contains(&secs) {
            Ok(Self(Seconds(secs)))
        } else {
            Err(InvalidValue::new(
                Seconds(secs),
                "a segment length must be a whole number of seconds from 1 to 60 (MediaConvert SegmentLength: https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-hlsgroupsettings-segmentlength)",
            ))
        }
    }

    /// The length in seconds.
    pub const fn secs(self) -> u64 {
        self.0.0
    }
}

impl FromStr for SegmentLength {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let secs: Seconds = s.parse()?;
        SegmentLength::new(secs.get()).map_err(|e| InvalidValue::new(s, e.rule))
    }
}

impl TryFrom<&str> for SegmentLength {
    type Error = InvalidValue;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for SegmentLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_units() {
        let p = |s: &str| s.parse::<Seconds>().map(Seconds::get);
        assert_eq!(p("0s"), Ok(0));
        assert_eq!(p("6s"), Ok(6));
        assert_eq!(p("90m"), Ok(5400));
        assert_eq!(p("6h"), Ok(21_600));
        assert_eq!(p("1d"), Ok(86_400));
        assert_eq!(p("7d"), Ok(604_800));
        assert_eq!(p("365d"), Ok(31_536_000));
        assert_eq!(p("1h 30m"), Ok(5400));
        assert_eq!(p("42"), Ok(42));
        assert!(p("1.5s").is_err());
        assert!(p("500ms").is_err());
        assert!(p("soon").is_err());
        assert!(p("-1s").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn a_ttl_too_large_to_count_is_out_of_range_with_the_bound() {
        for big in [
            "99999999999999999999s",
            "99999999999999999999",
            "3153600001",
        ] {
            let e = big.parse::<Ttl>().unwrap_err();
            assert!(
                e.rule.starts_with("is out of range")
                    && e.rule.contains("3153600000 s")
                    && e.rule.contains("API_CachePolicyConfig"),
                "{big}: {e}"
            );
            assert_eq!(e.value, big);
        }
        // A spelling mistake is still a spelling mistake.
        let e = "9 parsecs".parse::<Ttl>().unwrap_err();
        assert!(e.rule.contains("whole number of seconds"), "{e}");
    }

    #[test]
    fn seconds_display_uses_largest_exact_unit() {
        assert_eq!(Seconds(0).to_string(), "0s");
        assert_eq!(Seconds(6).to_string(), "6s");
        assert_eq!(Seconds(5400).to_string(), "90m");
        assert_eq!(Seconds(86_400).to_string(), "1d");
        assert_eq!(Seconds(31_536_000).to_string(), "365d");
        assert_eq!(Seconds(61).to_string(), "61s");
    }

    #[test]
    fn ttl_bounds() {
        assert_eq!(Ttl::new(0).unwrap().secs(), 0);
        assert!(Ttl::new(3_153_600_000).is_ok());
        assert!(Ttl::new(3_153_600_001).is_err());
        assert!("36501d".parse::<Ttl>().is_err());
        assert_eq!("365d".parse::<Ttl>().unwrap().secs(), 31_536_000);
    }

    #[test]
    fn segment_length_bounds() {
        assert!(SegmentLength::new(0).is_err());
        assert!(SegmentLength::new(1).is_ok());
        assert!(SegmentLength::new(60).is_ok());
        assert!(SegmentLength::new(61).is_err());
        assert_eq!("6s".parse::<SegmentLength>().unwrap().secs(), 6);
        assert!("1m1s".parse::<SegmentLength>().is_err());
        assert!("2.5s".parse::<SegmentLength>().is_err());
    }
}
