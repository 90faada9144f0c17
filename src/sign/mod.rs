//! CloudFront signed URLs and signed cookies, for private content.
//!
//! A distribution whose cache behaviors trust a key group (the spec's
//! `[cloudfront.private_content]`) serves a request only when it carries a valid signature made
//! with the private key of a public key in that group
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html>).
//! A [`Signer`] makes those signatures. It needs no AWS call and no network: a service builds one
//! at start-up from the key-pair id (the id CloudFront gave the public key) and the private key,
//! and signs per request.
//!
//! - [`Signer::sign_url`]: a URL with a canned policy (the URL itself, until a time);
//! - [`Signer::sign_url_with_policy`]: a URL with a custom [`Policy`] (a start time, an IPv4
//!   range, a wildcard resource);
//! - [`Signer::cookies`]: signed cookies for a custom policy, usually for an asset's folder
//!   (`https://d…cloudfront.net/<asset>/*`), which is what HLS and DASH players need: every
//!   manifest and segment is a separate request, and the browser sends the cookies with each.
//!
//! Signatures use SHA-256 (`Hash-Algorithm=SHA256`, or the `CloudFront-Hash-Algorithm` cookie),
//! which CloudFront accepts alongside its default SHA-1; the key is RSA 2048 (PKCS #1 v1.5) or ECDSA
//! P-256 (DER signature). The crypto is `aws-lc-rs`, the library the AWS SDK's TLS already uses.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use vod_pipeline::sign::Signer;
//!
//! # let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys/ec256.pem"))?;
//! let signer = Signer::from_pem("K2JCJMDEHXQW5F", pem)?;
//! let url = url::Url::parse("https://d111111abcdef8.cloudfront.net/movie/index.m3u8")?;
//! let signed = signer.sign_url(&url, SystemTime::now() + Duration::from_secs(3600))?;
//! assert!(signed.query().unwrap().contains("Key-Pair-Id=K2JCJMDEHXQW5F"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod key;
mod policy;

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use url::Url;

use crate::error::{Error, Violation};

pub use key::{KeyAlgorithm, PublicKeyPem};
pub(crate) use policy::canned_json;
pub use policy::{
    MAX_EPOCH_TIME, Policy, RESERVED_PARAMS, cloudfront_base64, cloudfront_base64_decode,
};

/// The value of `Hash-Algorithm` (URLs) and `CloudFront-Hash-Algorithm` (cookies).
pub const HASH_ALGORITHM: &str = "SHA256";

/// Signs CloudFront URLs and cookies with one private key. Cheap to clone; safe to share across
/// tasks. Its `Debug` shows the key-pair id and the algorithm, never the key.
#[derive(Clone)]
pub struct Signer {
    key_pair_id: Arc<str>,
    key: Arc<key::PrivateKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_pair_id", &self.key_pair_id)
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

fn violation(field: &str, value: &str, rule: impl Into<String>) -> Violation {
    Violation {
        field: field.to_owned(),
        value: value.to_owned(),
        rule: rule.into(),
    }
}

impl Signer {
    /// A signer from the key-pair id (CloudFront's id of the public key, such as `K2JCJMDEHXQW5F`)
    /// and the PEM text of the private key: PKCS #8 (`PRIVATE KEY`), PKCS #1 (`RSA PRIVATE KEY`)
    /// or SEC 1 (`EC PRIVATE KEY`); RSA 2048 or ECDSA P-256. Errors name the problem and never
    /// contain the key.
    pub fn from_pem(
        key_pair_id: impl Into<String>,
        private_key_pem: impl AsRef<[u8]>,
    ) -> Result<Self, Error> {
        let key_pair_id = key_pair_id.into();
        let mut problems = Vec::new();
        if let Err(rule) = check_key_pair_id(&key_pair_id) {
            problems.push(violation("key_pair_id", &key_pair_id, rule));
        }
        let key = match key::PrivateKey::from_pem(private_key_pem.as_ref()) {
            Ok(k) => Some(k),
            Err(rule) => {
                problems.push(violation("private_key", "<redacted>", rule));
                None
            }
        };
        match key {
            Some(key) if problems.is_empty() => Ok(Signer {
                key_pair_id: key_pair_id.into(),
                key: Arc::new(key),
            }),
            _ => Err(Error::InvalidSigningInput(problems)),
        }
    }

    /// [`Signer::from_pem`] with the private key read from a file.
    pub fn from_pem_file(
        key_pair_id: impl Into<String>,
        path: impl AsRef<Path>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_pem(key_pair_id, pem)
    }

    /// The key-pair id that signed URLs and cookies carry.
    pub fn key_pair_id(&self) -> &str {
        &self.key_pair_id
    }

    /// RSA 2048 or ECDSA P-256.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.key.algorithm()
    }

    /// Signs `url` with a canned policy: exactly this URL (with its own query string, if any) until
    /// `expires`. Appends `Expires`, `Signature`, `Key-Pair-Id` and `Hash-Algorithm`.
    pub fn sign_url(&self, url: &Url, expires: SystemTime) -> Result<Url, Error> {
        let expires = canned_expiry(url, expires)?;
        let signature = self.signature(canned_json(url.as_str(), expires).as_bytes())?;
        Ok(with_params(
            url,
            &[
                ("Expires", &expires.to_string()),
                ("Signature", &signature),
                ("Key-Pair-Id", &self.key_pair_id),
                ("Hash-Algorithm", HASH_ALGORITHM),
            ],
        ))
    }

    /// Signs `url` with a custom policy. Appends `Policy`, `Signature`, `Key-Pair-Id` and
    /// `Hash-Algorithm`. The policy's resource must cover the URL (it may be a wildcard such as
    /// the asset's folder); CloudFront refuses the request otherwise.
    pub fn sign_url_with_policy(&self, url: &Url, policy: &Policy) -> Result<Url, Error> {
        let mut problems = Vec::new();
        check_url(url, &mut problems);
        if !problems.is_empty() {
            return Err(Error::InvalidSigningInput(problems));
        }
        let json = policy.to_json();
        let signature = self.signature(json.as_bytes())?;
        Ok(with_params(
            url,
            &[
                ("Policy", &cloudfront_base64(json.as_bytes())),
                ("Signature", &signature),
                ("Key-Pair-Id", &self.key_pair_id),
                ("Hash-Algorithm", HASH_ALGORITHM),
            ],
        ))
    }

    /// Signed cookies for a custom policy: `CloudFront-Policy`, `CloudFront-Signature`,
    /// `CloudFront-Key-Pair-Id` and `CloudFront-Hash-Algorithm`. With a wildcard resource for an
    /// asset's folder, one set of cookies admits every manifest and segment of that asset.
    pub fn cookies(&self, policy: &Policy) -> Result<SignedCookies, Error> {
        let json = policy.to_json();
        Ok(SignedCookies {
            policy: Some(cloudfront_base64(json.as_bytes())),
            expires: None,
            signature: self.signature(json.as_bytes())?,
            key_pair_id: self.key_pair_id.to_string(),
        })
    }

    /// Signed cookies with a canned policy for exactly one URL: `CloudFront-Expires` instead of
    /// `CloudFront-Policy`. (For a player, which requests many files, use [`Signer::cookies`].)
    pub fn canned_cookies(&self, url: &Url, expires: SystemTime) -> Result<SignedCookies, Error> {
        let expires = canned_expiry(url, expires)?;
        Ok(SignedCookies {
            policy: None,
            expires: Some(expires),
            signature: self.signature(canned_json(url.as_str(), expires).as_bytes())?,
            key_pair_id: self.key_pair_id.to_string(),
        })
    }

    fn signature(&self, message: &[u8]) -> Result<String, Error> {
        self.key
            .sign_sha256(message)
            .map(|sig| cloudfront_base64(&sig))
            .map_err(|m| Error::internal("CloudFront signer", m))
    }
}

/// A set of CloudFront signed cookies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignedCookies {
    policy: Option<String>,
    expires: Option<u64>,
    signature: String,
    key_pair_id: String,
}

impl SignedCookies {
    /// The cookies as (name, value) pairs, in the order CloudFront documents them.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(4);
        if let Some(p) = &self.policy {
            out.push(("CloudFront-Policy", p.clone()));
        }
        if let Some(e) = self.expires {
            out.push(("CloudFront-Expires", e.to_string()));
        }
        out.push(("CloudFront-Signature", self.signature.clone()));
        out.push(("CloudFront-Key-Pair-Id", self.key_pair_id.clone()));
        out.push(("CloudFront-Hash-Algorithm", HASH_ALGORITHM.to_owned()));
        out
    }

    /// A request `Cookie` header value carrying all of them (for a client that is not a browser).
    pub fn cookie_header(&self) -> String {
        self.pairs()
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `Set-Cookie` header values for a browser: `Path` limits them to the asset's folder, `Domain`
    /// (if given) to the distribution's domain; `Secure` and `HttpOnly` always, and no `Expires` or
    /// `Max-Age`, as CloudFront recommends (the policy carries the expiry; the browser drops the
    /// cookies when it closes).
    pub fn set_cookie_headers(&self, domain: Option<&str>, path: &str) -> Vec<String> {
        self.pairs()
            .into_iter()
            .map(|(n, v)| {
                let mut h = format!("{n}={v}; Path={path}");
                if let Some(d) = domain {
                    h.push_str("; Domain=");
                    h.push_str(d);
                }
                h.push_str("; Secure; HttpOnly");
                h
            })
            .collect()
    }
}

/// CloudFront's public key ids are upper-case letters and digits (`K2JCJMDEHXQW5F`; legacy key
/// pairs `APKA…`).
fn check_key_pair_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(
            "must be the id CloudFront gave the public key: letters and digits, such as K2JCJMDEHXQW5F"
                .to_owned(),
        );
    }
    Ok(())
}

/// The URL and expiry of a canned policy, checked: the expiry in epoch seconds.
fn canned_expiry(url: &Url, expires: SystemTime) -> Result<u64, Error> {
    let mut problems = Vec::new();
    check_url(url, &mut problems);
    let expires = policy::epoch("expires", expires, &mut |f, v, r| {
        problems.push(violation(f, v, r))
    });
    match expires {
        Some(e) if problems.is_empty() => Ok(e),
        _ => Err(Error::InvalidSigningInput(problems)),
    }
}

fn check_url(url: &Url, problems: &mut Vec<Violation>) {
    if !matches!(url.scheme(), "https" | "http") {
        problems.push(violation(
            "url",
            url.as_str(),
            "must be an https:// or http:// URL",
        ));
    }
    if url.fragment().is_some() {
        problems.push(violation(
            "url",
            url.as_str(),
            "must not have a fragment (#…)",
        ));
    }
    if let Some(reserved) = url
        .query_pairs()
        .map(|(k, _)| k)
        .find(|k| RESERVED_PARAMS.contains(&k.as_ref()))
    {
        problems.push(violation(
            "url",
            url.as_str(),
            format!(
                "already has the parameter {reserved}, which CloudFront reserves for signed URLs"
            ),
        ));
    }
}

/// The URL with the parameters appended as they are (every value here is URL-safe already).
fn with_params(url: &Url, params: &[(&str, &str)]) -> Url {
    let mut query = url.query().unwrap_or_default().to_owned();
    for (k, v) in params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(k);
        query.push('=');
        query.push_str(v);
    }
    let mut out = url.clone();
    out.set_query(Some(&query));
    out
}

#[cfg(test)]
mod tests;
