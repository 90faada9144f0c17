//! The `cloudfront.private_content` section: the public keys of the trusted key group, each read and
//! checked as CloudFront checks it, and what they protect.

use std::collections::HashMap;
use std::path::Path;

use super::Collector;
use crate::sign::PublicKeyPem;
use crate::spec::input::PrivateContentSpec;
use crate::spec::model::{PrivateContent, PublicKey};
use crate::types::PipelineName;

/// Public keys in one key group (CloudFront's default quota, which AWS can raise)
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups>).
pub(crate) const MAX_PUBLIC_KEYS_PER_KEY_GROUP: usize = 5;

/// The checked section: `Some(None)` when absent, `None` when it has problems.
pub(super) fn section(
    c: &mut Collector,
    s: Option<PrivateContentSpec>,
    name: Option<&PipelineName>,
    base_dir: Option<&Path>,
) -> Option<Option<PrivateContent>> {
    let Some(s) = s else { return Some(None) };
    let before = c.violations.len();
    let field = "cloudfront.private_content.public_keys";
    if s.public_keys.is_empty() {
        c.push(
            field,
            "",
            "at least one public key (a PEM file): a key group needs one (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_KeyGroupConfig.html)",
        );
    }
    if s.public_keys.len() > MAX_PUBLIC_KEYS_PER_KEY_GROUP {
        c.push(
            field,
            s.public_keys.len().to_string(),
            format!("at most {MAX_PUBLIC_KEYS_PER_KEY_GROUP} keys: CloudFront's quota of public keys in a key group (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups)"),
        );
    }
    let protect = c.opt("cloudfront.private_content.protect", s.protect);
    let mut keys = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, given) in s.public_keys.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let path = match base_dir {
            Some(dir) if given.is_relative() => dir.join(given),
            _ => given.clone(),
        };
        let shown = given.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                c.push(
                    &at,
                    &shown,
                    format!("cannot read the public key file {}: {e}", path.display()),
                );
                continue;
            }
        };
        match PublicKeyPem::parse(&text) {
            Ok(pem) => {
                let digest = crate::names::fnv1a64(pem.pem().as_bytes());
                if let Some(first) = seen.insert(pem.pem().to_owned(), i) {
                    c.push(
                        &at,
                        &shown,
                        format!("the same key as {field}[{first}]: each key once"),
                    );
                    continue;
                }
                keys.push(PublicKey {
                    name: format!(
                        "{}-key-{digest:016x}",
                        name.map(PipelineName::as_str).unwrap_or_default()
                    ),
                    path,
                    pem,
                });
            }
            // The rule says what is wrong without the file's content (a private key given by
            // mistake must not reach an error message).
            Err(rule) => c.push(&at, &shown, format!("the file {rule}")),
        }
    }
    if c.violations.len() > before {
        return None;
    }
    Some(Some(PrivateContent {
        public_keys: keys,
        protect: protect.flatten().unwrap_or_default(),
    }))
}
