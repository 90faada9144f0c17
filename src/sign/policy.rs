//! The policy statement of a signed URL or cookie, and CloudFront's URL-safe base64.
//!
//! The formats are those of the CloudFront Developer Guide: canned policies
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-canned-policy.html>)
//! and custom policies
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html>).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Violation};

/// The latest time a policy can name: CloudFront reads `AWS:EpochTime` as a 32-bit number
/// (2038-01-19T03:14:07Z).
pub const MAX_EPOCH_TIME: u64 = 2_147_483_647;

/// Query parameters that CloudFront reserves for signed URLs; a URL to sign must not carry them.
pub const RESERVED_PARAMS: &[&str] = &[
    "Expires",
    "Policy",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

/// A custom policy: which resource, until when, from when, and from which addresses.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use vod_pipeline::sign::Policy;
///
/// let policy = Policy::builder()
///     .resource("https://d111111abcdef8.cloudfront.net/movie/*")
///     .expires(SystemTime::now() + Duration::from_secs(3600))
///     .source_ip("192.0.2.0/24")
///     .build()?;
/// assert!(policy.to_json().contains(r#""AWS:SourceIp":"192.0.2.0/24""#));
/// # Ok::<(), vod_pipeline::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    resource: String,
    expires: u64,
    starts: Option<u64>,
    source_ip: Option<ipnet::Ipv4Net>,
}

#[bon::bon]
impl Policy {
    /// Checks and builds a custom policy; every problem is reported at once.
    ///
    /// - `resource`: an `http://` or `https://` URL, with `*` (any characters) and `?` (one
    ///   character) as wildcards anywhere; `https://d111111abcdef8.cloudfront.net/movie/*` covers
    ///   every manifest and segment of one asset;
    /// - `expires`: the end of access (`DateLessThan`), at the latest 2038-01-19T03:14:07Z;
    /// - `starts`: optionally, the start of access (`DateGreaterThan`), before `expires`;
    /// - `source_ip`: optionally, one IPv4 address or CIDR range (`192.0.2.0/24`); CloudFront does
    ///   not support IPv6 ranges in policies.
    #[builder]
    pub fn new(
        #[builder(into)] resource: String,
        expires: SystemTime,
        starts: Option<SystemTime>,
        #[builder(into)] source_ip: Option<String>,
    ) -> Result<Policy, Error> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, value: &str, rule: &str| {
            problems.push(Violation {
                field: field.to_owned(),
                value: value.to_owned(),
                rule: rule.to_owned(),
            });
        };
        if !(resource.starts_with("https://") || resource.starts_with("http://")) {
            problem(
                "policy.resource",
                &resource,
                "must begin with https:// or http://",
            );
        } else if resource
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            problem(
                "policy.resource",
                &resource,
                "must not contain white space or control characters (percent-encode them)",
            );
        }
        let expires_at = epoch("policy.expires", expires, &mut problem);
        let starts_at = starts.and_then(|s| epoch("policy.starts", s, &mut problem));
        if let (Some(e), Some(s)) = (expires_at, starts_at)
            && s >= e
        {
            problem(
                "policy.starts",
                &s.to_string(),
                &format!("must be before policy.expires ({e})"),
            );
        }
        let source_ip = source_ip.and_then(|ip| match parse_ipv4_range(&ip) {
            Ok(net) => Some(net),
            Err(rule) => {
                problem("policy.source_ip", &ip, &rule);
                None
            }
        });
        if !problems.is_empty() {
            return Err(Error::InvalidSigningInput(problems));
        }
        Ok(Policy {
            resource,
            expires: expires_at.unwrap_or_default(),
            starts: starts_at,
            source_ip,
        })
    }
}

impl Policy {
    /// The policy statement as CloudFront reads it: one statement, no white space.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.resource.len() + 160);
        out.push_str(r#"{"Statement":[{"Resource":"#);
        push_json_string(&mut out, &self.resource);
        out.push_str(r#","Condition":{"DateLessThan":{"AWS:EpochTime":"#);
        out.push_str(&self.expires.to_string());
        out.push('}');
        if let Some(s) = self.starts {
            out.push_str(r#","DateGreaterThan":{"AWS:EpochTime":"#);
            out.push_str(&s.to_string());
            out.push('}');
        }
        if let Some(ip) = &self.source_ip {
            out.push_str(r#","IpAddress":{"AWS:SourceIp":""#);
            out.push_str(&ip.to_string());
            out.push('"');
            out.push('}');
        }
        out.push_str("}}]}");
        out
    }

    /// The resource (URL or wildcard pattern).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The end of access, in seconds since the Unix epoch.
    pub fn expires_epoch(&self) -> u64 {
        self.expires
    }
}

/// The canned policy of a URL: the URL itself until `expires`.
pub(crate) fn canned_json(resource: &str, expires: u64) -> String {
    let mut out = String::with_capacity(resource.len() + 80);
    out.push_str(r#"{"Statement":[{"Resource":"#);
    push_json_string(&mut out, resource);
    out.push_str(r#","Condition":{"DateLessThan":{"AWS:EpochTime":"#);
    out.push_str(&expires.to_string());
    out.push_str("}}}]}");
    out
}

fn push_json_string(out: &mut String, s: &str) {
    // serde_json's escaping of a string cannot fail.
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// Seconds since the epoch, within CloudFront's 32-bit range.
pub(crate) fn epoch(
    field: &str,
    t: SystemTime,
    problem: &mut impl FnMut(&str, &str, &str),
) -> Option<u64> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) if d.as_secs() <= MAX_EPOCH_TIME => Some(d.as_secs()),
        Ok(d) => {
            problem(
                field,
                &d.as_secs().to_string(),
                "must be at most 2147483647 (2038-01-19T03:14:07Z): CloudFront reads epoch times as 32-bit numbers",
            );
            None
        }
        Err(_) => {
            problem(field, "before 1970", "must be after 1970-01-01T00:00:00Z");
            None
        }
    }
}

/// One IPv4 address (taken as /32) or CIDR range, in CloudFront's form.
pub(crate) fn parse_ipv4_range(text: &str) -> Result<ipnet::Ipv4Net, String> {
    if text.contains(':') {
        return Err("must be an IPv4 address or CIDR range: CloudFront policies do not support IPv6 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-creating-signed-url-custom-policy.html)".to_owned());
    }
    let net = if text.contains('/') {
        text.parse::<ipnet::Ipv4Net>()
            .map_err(|_| "must be an IPv4 CIDR range such as 192.0.2.0/24".to_owned())?
    } else {
        let ip = text
            .parse::<std::net::Ipv4Addr>()
            .map_err(|_| "must be an IPv4 address or CIDR range such as 192.0.2.0/24".to_owned())?;
        ipnet::Ipv4Net::from(ip)
    };
    Ok(net.trunc())
}

/// Base64 with CloudFront's substitutions for characters that are invalid in a query string:
/// `+` to `-`, `=` to `_`, `/` to `~`.
pub fn cloudfront_base64(bytes: &[u8]) -> String {
    let mut s = base64_simd::STANDARD.encode_to_string(bytes);
    // Safe to rewrite bytes: base64 output is ASCII, and each substitute is ASCII.
    let mut out = String::with_capacity(s.len());
    for c in s.drain(..) {
        out.push(match c {
            '+' => '-',
            '=' => '_',
            '/' => '~',
            c => c,
        });
    }
    out
}

/// The inverse of [`cloudfront_base64`]; `None` when the text is not valid.
pub fn cloudfront_base64_decode(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '=',
            '~' => '/',
            c => c,
        })
        .collect();
    base64_simd::STANDARD
        .decode_to_vec(standard.as_bytes())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn canned_policy_is_the_documented_statement() {
        assert_eq!(
            canned_json(
                "https://d111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes",
                1357034400
            ),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}"#
        );
    }

    #[test]
    fn custom_policy_has_every_condition_and_escapes_the_resource() {
        let p = Policy::builder()
            .resource("https://d111111abcdef8.cloudfront.net/a\"b/*")
            .expires(at(1767290400))
            .starts(at(1767200000))
            .source_ip("192.0.2.7/24")
            .build()
            .unwrap();
        assert_eq!(
            p.to_json(),
            r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/a\"b/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"DateGreaterThan":{"AWS:EpochTime":1767200000},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"}}}]}"#
        );
        let json: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(
            json["Statement"][0]["Condition"]["IpAddress"]["AWS:SourceIp"],
            "192.0.2.0/24"
        );
        let one = Policy::builder()
            .resource("https://x/*")
            .expires(at(10))
            .source_ip("198.51.100.9")
            .build()
            .unwrap();
        assert!(one.to_json().contains(r#""198.51.100.9/32""#));
    }

    #[test]
    fn every_problem_is_named() {
        let err = Policy::builder()
            .resource("ftp://x/a")
            .expires(at(MAX_EPOCH_TIME + 1))
            .starts(at(5))
            .source_ip("2001:db8::/32")
            .build()
            .unwrap_err();
        let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["policy.resource", "policy.expires", "policy.source_ip"]
        );
        let err = Policy::builder()
            .resource("https://x/a")
            .expires(at(100))
            .starts(at(100))
            .source_ip("300.1.1.1")
            .build()
            .unwrap_err();
        let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["policy.starts", "policy.source_ip"]);
        assert!(err.to_string().contains("300.1.1.1"), "{err}");
    }

    #[test]
    fn cloudfront_base64_substitutes_and_round_trips() {
        // 0xfb 0xff encodes to "+/8=" in standard base64.
        assert_eq!(cloudfront_base64(&[0xfb, 0xff]), "-~8_");
        assert_eq!(cloudfront_base64_decode("-~8_").unwrap(), [0xfb, 0xff]);
        assert!(cloudfront_base64_decode("not base64!").is_none());
    }
}
