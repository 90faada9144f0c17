//! The `Range: bytes=` request header (RFC 9110 §14.1.2), as MediaStore (one range) and the CloudFront edge
//! (one or several) serve it.

/// Why a `Range` header is not served as one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// Not one range this parser takes: no `bytes=` unit, several ranges, a number that does not parse, a suffix
    /// of zero bytes (`bytes=-0`), or a first byte after the last. CloudFront serves the whole object then;
    /// MediaStore answers 416.
    Malformed,
    /// A well-formed range that selects no byte of a representation of this length: 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a representation of `len` bytes into an inclusive range
/// `(first, last)`; `last` is clamped to the last byte.
pub fn parse_range(header: &str, len: u64) -> Result<(u64, u64), RangeError> {
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or(RangeError::Malformed)?;
    if spec.contains(',') {
        return Err(RangeError::Malformed);
    }
    parse_one(spec, len)
}

/// Parses a `Range: bytes=` header of one or more ranges, in the order given. Ranges that select no byte are left
/// out (RFC 9110 §14.2); when none is left the whole set is [`RangeError::Unsatisfiable`]. Any range that does not
/// parse makes the whole header [`RangeError::Malformed`].
pub fn parse_ranges(header: &str, len: u64) -> Result<Vec<(u64, u64)>, RangeError> {
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or(RangeError::Malformed)?;
    let mut out = Vec::new();
    for part in spec.split(',') {
        match parse_one(part, len) {
            Ok(r) => out.push(r),
            Err(RangeError::Unsatisfiable) => {}
            Err(RangeError::Malformed) => return Err(RangeError::Malformed),
        }
    }
    if out.is_empty() {
        Err(RangeError::Unsatisfiable)
    } else {
        Ok(out)
    }
}

fn parse_one(spec: &str, len: u64) -> Result<(u64, u64), RangeError> {
    let (a, b) = spec.split_once('-').ok_or(RangeError::Malformed)?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| RangeError::Malformed)?;
        if n == 0 {
            return Err(RangeError::Malformed);
        }
        if len == 0 {
            return Err(RangeError::Unsatisfiable);
        }
        return Ok((len.saturating_sub(n), len - 1));
    }
    let start: u64 = a.parse().map_err(|_| RangeError::Malformed)?;
    let end = if b.is_empty() {
        None
    } else {
        Some(b.parse::<u64>().map_err(|_| RangeError::Malformed)?)
    };
    if end.is_some_and(|e| e < start) {
        return Err(RangeError::Malformed);
    }
    if start >= len {
        return Err(RangeError::Unsatisfiable);
    }
    Ok((start, end.unwrap_or(len - 1).min(len - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_range_or_why_not() {
        assert_eq!(parse_range("bytes=0-3", 10), Ok((0, 3)));
        assert_eq!(parse_range(" bytes=2-40 ", 10), Ok((2, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Ok((7, 9)));
        assert_eq!(parse_range("bytes=-30", 10), Ok((0, 9)));
        assert_eq!(parse_range("bytes=5-", 10), Ok((5, 9)));
        assert_eq!(parse_range("bytes=10-", 10), Err(RangeError::Unsatisfiable));
        assert_eq!(parse_range("bytes=0-0", 0), Err(RangeError::Unsatisfiable));
        assert_eq!(parse_range("bytes=-3", 0), Err(RangeError::Unsatisfiable));
        for bad in [
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=1",
            "bytes=-0",
            "bytes=x-",
            "bytes=4-2",
            "bytes=20-2",
        ] {
            assert_eq!(parse_range(bad, 10), Err(RangeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn several_ranges() {
        assert_eq!(parse_ranges("bytes=0-1, 4-5", 10), Ok(vec![(0, 1), (4, 5)]));
        assert_eq!(parse_ranges("bytes=4-5,0-1", 10), Ok(vec![(4, 5), (0, 1)]));
        assert_eq!(parse_ranges("bytes=0-1,20-30", 10), Ok(vec![(0, 1)]));
        assert_eq!(
            parse_ranges("bytes=20-,30-", 10),
            Err(RangeError::Unsatisfiable)
        );
        assert_eq!(parse_ranges("bytes=0-1,x", 10), Err(RangeError::Malformed));
        assert_eq!(parse_ranges("bytes=-2", 10), Ok(vec![(8, 9)]));
    }
}
