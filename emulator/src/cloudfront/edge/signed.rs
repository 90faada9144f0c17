//! Trusted key groups at the edge: a cache behavior with `TrustedKeyGroups` serves a request only
//! when it carries a valid signed URL or signed cookies, as CloudFront documents
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html>,
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-cookies.html>).
//!
//! - The URL's `Key-Pair-Id`, `Signature` and `Expires` (canned) or `Policy` (custom) win; without
//!   them, the `CloudFront-*` cookies are read.
//! - The key must be a public key of one of the behavior's trusted key groups.
//! - `Hash-Algorithm` / `CloudFront-Hash-Algorithm` is `SHA1` (the default) or `SHA256`.
//! - RSA signatures are PKCS #1 v1.5; ECDSA P-256 signatures are DER.
//! - The policy's `DateLessThan` must be in the future, `DateGreaterThan` (if any) in the past, the
//!   viewer's address in `IpAddress` (if any), and the request URL must match `Resource` (with `*`
//!   and `?` wildcards; a policy without `Resource` admits every URL).
//!
//! Refusals are 403 with CloudFront's XML error body. The signature parameters are taken out of the
//! query before the cache key is made (and the edge forwards no query string to origins).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use bytes::Bytes;
use http::HeaderMap;

use super::OriginResp;
use crate::cloudfront::xml::El;

/// Query parameters CloudFront reserves for signed URLs.
pub(super) const RESERVED: &[&str] = &[
    "Expires",
    "Policy",
    "Signature",
    "Key-Pair-Id",
    "Hash-Algorithm",
];

/// Why a request was refused: CloudFront's error code and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Denied {
    pub code: &'static str,
    pub message: &'static str,
}

const MISSING_KEY: Denied = Denied {
    code: "MissingKey",
    message: "Missing Key-Pair-Id query parameter or cookie value",
};
const UNKNOWN_KEY: Denied = Denied {
    code: "InvalidKey",
    message: "Unknown Key",
};
const MALFORMED: Denied = Denied {
    code: "MalformedPolicy",
    message: "Malformed Policy",
};
const DENIED: Denied = Denied {
    code: "AccessDenied",
    message: "Access denied",
};

impl Denied {
    /// CloudFront's 403 answer.
    pub(super) fn response(self) -> OriginResp {
        OriginResp {
            status: 403,
            headers: vec![
                ("content-type".into(), "text/xml".into()),
                ("server".into(), "CloudFront".into()),
            ],
            body: Bytes::from(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{}</Code><Message>{}</Message></Error>",
                self.code, self.message
            )),
        }
    }
}

/// What a viewer request offers: its URL (without the signature parameters), its query and cookies,
/// and its address.
pub(crate) struct Viewer<'a> {
    /// `http://host[:port]/path[?query]`, the signature parameters removed.
    pub url: String,
    pub query: &'a [(String, String)],
    pub headers: &'a HeaderMap,
    pub ip: Option<IpAddr>,
}

/// The key groups a behavior trusts (none: the behavior is public).
pub(crate) fn trusted_key_groups(behavior: &El) -> Vec<String> {
    if behavior.bool_at("TrustedKeyGroups/Enabled") == Some(true) {
        behavior.item_texts("TrustedKeyGroups")
    } else {
        Vec::new()
    }
}

/// What the edge needs to know of the account's key groups and public keys.
pub(crate) trait Keys {
    /// A key group's config (`KeyGroupConfig`), by id.
    fn key_group(&self, id: &str) -> Option<El>;
    /// A public key's config (`PublicKeyConfig`), by id.
    fn public_key(&self, id: &str) -> Option<El>;
}

/// Checks a request against the behavior's trusted key groups.
pub(crate) fn check(
    keys: &impl Keys,
    groups: &[String],
    viewer: &Viewer,
    now: SystemTime,
) -> Result<(), Denied> {
    let from_url = |name: &str| {
        viewer
            .query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let url_signed = ["Signature", "Policy", "Expires", "Key-Pair-Id"]
        .iter()
        .any(|p| from_url(p).is_some());
    let cookies = cookies(viewer.headers);
    let get = |url_name: &str, cookie_name: &str| -> Option<String> {
        if url_signed {
            from_url(url_name)
        } else {
            cookies
                .iter()
                .find(|(k, _)| k == cookie_name)
                .map(|(_, v)| v.clone())
        }
    };
    let key_id = get("Key-Pair-Id", "CloudFront-Key-Pair-Id")
        .filter(|k| !k.is_empty())
        .ok_or(MISSING_KEY)?;
    let encoded_key = groups
        .iter()
        .filter_map(|g| keys.key_group(g))
        .find(|g| items(g).contains(&key_id))
        .and_then(|_| keys.public_key(&key_id))
        .map(|k| k.str_at("EncodedKey").to_string())
        .ok_or(UNKNOWN_KEY)?;
    let signature = get("Signature", "CloudFront-Signature")
        .and_then(|s| decode(&s))
        .ok_or(DENIED)?;
    let (policy, canned) = match get("Policy", "CloudFront-Policy") {
        Some(p) => (decode(&p).ok_or(MALFORMED)?, false),
        None => {
            let expires = get("Expires", "CloudFront-Expires").ok_or(MALFORMED)?;
            let expires: u64 = expires.trim().parse().map_err(|_| MALFORMED)?;
            (canned_policy(&viewer.url, expires).into_bytes(), true)
        }
    };
    let sha256 = match get("Hash-Algorithm", "CloudFront-Hash-Algorithm").as_deref() {
        None | Some("SHA1") => false,
        Some("SHA256") => true,
        Some(_) => return Err(DENIED),
    };
    if !verify(&encoded_key, sha256, &policy, &signature) {
        return Err(DENIED);
    }
    let statement = parse_policy(&policy).ok_or(MALFORMED)?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now >= statement.date_less_than {
        return Err(DENIED);
    }
    if statement.date_greater_than.is_some_and(|t| now <= t) {
        return Err(DENIED);
    }
    if let Some((net, prefix)) = statement.source_ip {
        let inside = match viewer.ip {
            Some(IpAddr::V4(ip)) => in_range(ip, net, prefix),
            Some(IpAddr::V6(ip)) => ip
                .to_ipv4_mapped()
                .is_some_and(|ip| in_range(ip, net, prefix)),
            None => false,
        };
        if !inside {
            return Err(DENIED);
        }
    }
    if !canned
        && let Some(resource) = &statement.resource
        && !crate::wire::glob::glob(resource.as_bytes(), viewer.url.as_bytes(), false)
    {
        return Err(DENIED);
    }
    Ok(())
}

fn items(group: &El) -> Vec<String> {
    group
        .path("Items")
        .map(|i| {
            i.children
                .iter()
                .map(|c| c.text.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// CloudFront's URL-safe base64 (`-`, `_`, `~` for `+`, `=`, `/`).
fn decode(text: &str) -> Option<Vec<u8>> {
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

fn canned_policy(url: &str, expires: u64) -> String {
    format!(
        "{{\"Statement\":[{{\"Resource\":{},\"Condition\":{{\"DateLessThan\":{{\"AWS:EpochTime\":{expires}}}}}}}]}}",
        serde_json::Value::from(url)
    )
}

fn verify(encoded_key: &str, sha256: bool, message: &[u8], signature: &[u8]) -> bool {
    let Ok((_, der)) = pem_rfc7468::decode_vec(encoded_key.trim().as_bytes()) else {
        return false;
    };
    let algorithms: [&'static dyn VerificationAlgorithm; 2] = if sha256 {
        [
            &signature::RSA_PKCS1_2048_8192_SHA256,
            &signature::ECDSA_P256_SHA256_ASN1,
        ]
    } else {
        [
            &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            &signature::ECDSA_P256_SHA1_ASN1,
        ]
    };
    algorithms.into_iter().any(|alg| {
        ParsedPublicKey::new(alg, &der).is_ok_and(|k| k.verify_sig(message, signature).is_ok())
    })
}

/// A public key as CloudFront takes it: PEM `PUBLIC KEY`, RSA 2048 or ECDSA P-256.
pub(crate) fn check_public_key(pem: &str) -> Result<(), String> {
    let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
        .map_err(|_| "The encoded key is not a valid PEM public key.".to_string())?;
    if label != "PUBLIC KEY" {
        return Err(format!(
            "The encoded key is a PEM {label}, not a PUBLIC KEY."
        ));
    }
    if let Ok(rsa) = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&der) {
        return if rsa.key_size_bits() == 2048 {
            Ok(())
        } else {
            Err("CloudFront supports RSA 2048 or ECDSA 256 keys for signed URLs and signed cookies.".into())
        };
    }
    if ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &der).is_ok() {
        return Ok(());
    }
    Err("CloudFront supports RSA 2048 or ECDSA 256 keys for signed URLs and signed cookies.".into())
}

struct Statement {
    resource: Option<String>,
    date_less_than: u64,
    date_greater_than: Option<u64>,
    source_ip: Option<(Ipv4Addr, u8)>,
}

/// One statement with a required `DateLessThan`; anything else is a malformed policy.
fn parse_policy(bytes: &[u8]) -> Option<Statement> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let statements = v.get("Statement")?.as_array()?;
    let [s] = statements.as_slice() else {
        return None;
    };
    let cond = s.get("Condition")?;
    let epoch = |name: &str| {
        cond.get(name)
            .and_then(|c| c.get("AWS:EpochTime"))
            .and_then(|t| t.as_u64())
    };
    let resource = match s.get("Resource") {
        None => None,
        Some(r) => Some(r.as_str()?.to_string()),
    };
    let source_ip = match cond.get("IpAddress") {
        None => None,
        Some(ip) => Some(parse_cidr(ip.get("AWS:SourceIp")?.as_str()?)?),
    };
    Some(Statement {
        resource,
        date_less_than: epoch("DateLessThan")?,
        date_greater_than: match cond.get("DateGreaterThan") {
            None => None,
            Some(_) => Some(epoch("DateGreaterThan")?),
        },
        source_ip,
    })
}

fn parse_cidr(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (ip, prefix) = match text.split_once('/') {
        Some((ip, p)) => (ip, p.parse::<u8>().ok().filter(|p| *p <= 32)?),
        None => (text, 32),
    };
    Some((ip.parse().ok()?, prefix))
}

fn in_range(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_read_as_cloudfront_documents() {
        let p = parse_policy(br#"{"Statement":[{"Resource":"http://d/a/*","Condition":{"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateLessThan":{"AWS:EpochTime":20},"DateGreaterThan":{"AWS:EpochTime":10}}}]}"#).unwrap();
        assert_eq!(p.resource.as_deref(), Some("http://d/a/*"));
        assert_eq!((p.date_less_than, p.date_greater_than), (20, Some(10)));
        assert_eq!(p.source_ip, Some((Ipv4Addr::new(192, 0, 2, 0), 24)));
        // DateLessThan is required; two statements are not allowed.
        assert!(parse_policy(br#"{"Statement":[{"Resource":"x","Condition":{}}]}"#).is_none());
        assert!(parse_policy(br#"{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}"#).is_none());
        assert!(parse_policy(b"not json").is_none());
    }

    #[test]
    fn ranges_and_base64() {
        let (net, p) = parse_cidr("192.0.2.0/24").unwrap();
        assert!(in_range(Ipv4Addr::new(192, 0, 2, 200), net, p));
        assert!(!in_range(Ipv4Addr::new(192, 0, 3, 1), net, p));
        assert!(in_range(
            Ipv4Addr::new(10, 1, 2, 3),
            Ipv4Addr::new(0, 0, 0, 0),
            0
        ));
        assert!(parse_cidr("192.0.2.0/33").is_none());
        assert_eq!(decode("-~8_").unwrap(), [0xfb, 0xff]);
    }

    /// Signatures made by OpenSSL 3.0 (`openssl dgst -sha1|-sha256 -sign`) over the canned policy of
    /// `https://d111111abcdef8.cloudfront.net/movie/index.m3u8` until 1767290400, with the test
    /// keys of `tests/data/keys/`: SHA-1 is CloudFront's default (and what AWS CLI v1 signs with).
    #[test]
    fn openssl_signatures_verify_with_their_hash_algorithm_only() {
        let key = |f: &str| {
            std::fs::read_to_string(format!(
                "{}/../tests/data/keys/{f}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap()
        };
        let policy = canned_policy(
            "https://d111111abcdef8.cloudfront.net/movie/index.m3u8",
            1767290400,
        );
        let (rsa, ec) = (key("rsa2048.pub.pem"), key("ec256.pub.pem"));
        for (public, sha256, sig) in [
            (
                &rsa,
                false,
                "DUvbcxXVdqiBe-PE8IFgqgq7o28e1IJTjq43Z94-Z-IzsCXDJQ30wn6~FEo~tRSS2ICiegdDE312epWS537~r7kjGM0ZZcVslQc-7TZ27FxR5dFzAYSmYsAnFSsPfHj8464HdD8svUF7PHih3U7gq12CxYsq1XK--xIV7NgzQak8jkpUWkxuxNrg6u6NWHxc~mXaTz3oSF3HmNmTGwmmURvffftfOT5umdX-885yMlyf9YeceTkHKfwzusRavqke2Xaxjz3wtG2MqcsLg2QKEPG27RUmKlaf0pr3RgubbuEF-DnVMlkCmXWm5p7~72vwRyiMT1WHVtFbklg5wzb3Lg__",
            ),
            (
                &ec,
                false,
                "MEYCIQDljAcJRjP-WVCarxy6CYnBVaf45UxW7t82ZlSdbnUToAIhAKX3xYDSSih4s1l~wq27Zs-8P4UC2c0FvHmUy8BYR2u2",
            ),
            (
                &rsa,
                true,
                "USRiMHVrdiG1~7luYvcg2J-kpw82o3rAKStux9ofMNXdKpg1EOiIuSCqrejzhwLrReu-zGHlkRK4OaTZi4qIYGhAeoJ-NgPQzFzRO7vuhyqoOoCEwMTO1Hw4S9jgV5c7FMNWi-o8qTHCRhhZvOl82pu3gvnBWC9yb5zP51U9kjUQa3nRr8apWc0OR5VvJbBQ-GInNoNPumnnJl8QoWKa85gKGJb-d2sVGlm1EfwxI8R2UTpBra6EFYdxhKO9uzeSQnx6m7EAUtQYjhNm0j3URdAwKU-8rGZFFzv8z9iX9zL~5oVeuryPzl9a0MhcGi39v5Oj11Lh98UP0UpNwL-lag__",
            ),
            (
                &ec,
                true,
                "MEQCIDI6bMiEEZUDjVAgbwM8IjWiaZ~Hjv59yg3f~i0PpKb~AiBmX1C8JJvqPBS7RWlkOTcrQGhshgVxy81gi1DBEQbxmQ__",
            ),
        ] {
            let sig = decode(sig).unwrap();
            assert!(
                verify(public, sha256, policy.as_bytes(), &sig),
                "sha256={sha256}"
            );
            assert!(
                !verify(public, !sha256, policy.as_bytes(), &sig),
                "the other hash must fail"
            );
            let other = canned_policy(
                "https://d111111abcdef8.cloudfront.net/movie/other.m3u8",
                1767290400,
            );
            assert!(
                !verify(public, sha256, other.as_bytes(), &sig),
                "another policy must fail"
            );
        }
        assert!(check_public_key(&rsa).is_ok() && check_public_key(&ec).is_ok());
        assert!(check_public_key(&key("rsa1024.pub.pem")).is_err());
        assert!(check_public_key(&key("ec384.pub.pem")).is_err());
        assert!(check_public_key(&key("rsa2048.pem")).is_err());
    }
}
