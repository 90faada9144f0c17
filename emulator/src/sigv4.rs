//! SigV4 credential-scope parsing (signatures are parsed, never verified). Owner: core.

use crate::wire::percent_decode;

/// The credential scope of a SigV4-signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
}

/// Parses `Credential=AK/DATE/REGION/SERVICE/aws4_request` (or the bare credential value).
pub fn parse_credential(value: &str) -> Option<Scope> {
    let value = value.trim();
    let value = value.strip_prefix("Credential=").unwrap_or(value);
    let mut parts = value.rsplitn(5, '/');
    let terminator = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let date = parts.next()?;
    let access_key = parts.next()?;
    if terminator != "aws4_request"
        || access_key.is_empty()
        || service.is_empty()
        || region.is_empty()
    {
        return None;
    }
    Some(Scope {
        access_key: access_key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
    })
}

/// Whether `region` has the form of an AWS Region name (`us-east-1`, `eu-central-2`, `local`): 1 to 32 lowercase
/// letters, digits and hyphens, not starting or ending with a hyphen. The emulator keeps per-Region state in folders
/// named after it, so nothing else may pass.
pub fn valid_region(region: &str) -> bool {
    (1..=32).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// Parses an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header.
pub fn parse_authorization(header: &str) -> Option<Scope> {
    let rest = header.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    rest.split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("Credential="))
        .and_then(parse_credential)
}

/// Parses the `X-Amz-Credential` query parameter of a presigned URL (query string without `?`).
pub fn parse_presigned(query: &str) -> Option<Scope> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k.eq_ignore_ascii_case("X-Amz-Credential") {
            parse_credential(&percent_decode(v))
        } else {
            None
        }
    })
}

/// Finds the credential scope of a request: the `Authorization` header first, then a presigned query.
pub fn scope_of(headers: &http::HeaderMap, uri: &http::Uri) -> Option<Scope> {
    if let Some(auth) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        return parse_authorization(auth);
    }
    uri.query().and_then(parse_presigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-4",
            "local",
            "us-gov-west-1",
        ] {
            assert!(valid_region(ok), "{ok}");
        }
        for bad in [
            "",
            "..",
            ".",
            "us-east-1/..",
            "US-EAST-1",
            "-x",
            "x-",
            "a.b",
            "a\\b",
            &"a".repeat(33),
        ] {
            assert!(!valid_region(bad), "{bad}");
        }
    }

    #[test]
    fn parses_header() {
        let s = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/mediastore/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(s.access_key, "test");
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.service, "mediastore");
        assert!(parse_authorization("Bearer x").is_none());
    }

    #[test]
    fn parses_presigned() {
        let s = parse_presigned("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20250101%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=1").unwrap();
        assert_eq!(s.service, "s3");
        assert_eq!(s.region, "eu-west-1");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
