//! IAM resource-policy evaluation: the one evaluator for S3 bucket policies and MediaStore container policies,
//! whether the edge (CloudFront, with or without an origin access control) or an anonymous viewer asks.
//!
//! Principals: `*`, `{"AWS": "*"}`, and the service principal `cloudfront.amazonaws.com` for a request signed with
//! an origin access control. Condition keys: `aws:SourceArn`, `aws:SourceAccount`, `aws:UserAgent`, `aws:Referer`,
//! `aws:SecureTransport`; operators `String*`, `Arn*`, `Bool`, each with `IfExists`.

use crate::wire::glob;

/// Who calls, as a policy's `Principal` and `Condition` keys see it (the edge calling an origin, or an anonymous
/// viewer of a MediaStore data endpoint).
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// Signed with an origin access control of the right type: the principal is the service
    /// `cloudfront.amazonaws.com` and `aws:SourceArn` is the distribution ARN.
    pub oac: bool,
    pub dist_arn: String,
    pub secure_transport: bool,
    /// The origin's custom headers (lowercase names), as CloudFront adds them to origin requests; they
    /// feed the `aws:Referer` / `aws:UserAgent` condition keys (a common "secret Referer" setup).
    pub origin_headers: Vec<(String, String)>,
    /// A request signed by an account (its id): the principal `{"AWS": "arn:aws:iam::<account>:root"}` (or the bare
    /// account id) matches it.
    pub account: Option<String>,
}

impl Caller {
    /// An unsigned request: no service principal, no source ARN, plain HTTP, no custom headers.
    pub(crate) fn anonymous() -> Caller {
        Caller {
            oac: false,
            dist_arn: String::new(),
            secure_transport: false,
            origin_headers: Vec::new(),
            account: None,
        }
    }

    /// A request signed by `account`. The emulator serves plain HTTP on loopback in place of AWS's HTTPS
    /// endpoints, so such a request counts as `aws:SecureTransport`.
    pub(crate) fn account(account: &str) -> Caller {
        Caller {
            secure_transport: true,
            account: Some(account.to_string()),
            ..Caller::anonymous()
        }
    }
}

/// Which parts of a statement are checked, and how `Action` wildcards read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checks {
    /// Match `Resource` (a statement without one applies to every resource).
    pub resource: bool,
    /// Evaluate `Condition` (a statement without one applies).
    pub conditions: bool,
    /// `Action` patterns take `*` and `?` anywhere (IAM's rule); when false, only a trailing `*`.
    pub action_glob: bool,
}

impl Checks {
    /// Every part of the statement, as IAM evaluates a resource policy (the edge's origin requests).
    pub(crate) const ALL: Checks = Checks {
        resource: true,
        conditions: true,
        action_glob: true,
    };
    /// Principal and action only, with only a trailing `*` in actions: how this emulator's MediaStore data plane
    /// checks anonymous requests (it ignores `Resource` and `Condition`).
    pub(crate) const PRINCIPAL_AND_ACTION: Checks = Checks {
        resource: false,
        conditions: false,
        action_glob: false,
    };
}

/// A policy value as a list of strings: a string, an array (non-string items as their JSON text), a bool or a
/// number.
pub(crate) fn as_list(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| Some(x.to_string()))
            })
            .collect(),
        serde_json::Value::Bool(b) => vec![b.to_string()],
        serde_json::Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn principal_matches(p: Option<&serde_json::Value>, caller: &Caller) -> bool {
    let Some(p) = p else { return false };
    match p {
        serde_json::Value::String(s) => s == "*",
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| {
            let vals = as_list(v);
            match k.as_str() {
                "AWS" => vals.iter().any(|x| {
                    x == "*"
                        || caller
                            .account
                            .as_deref()
                            .is_some_and(|a| x == a || *x == format!("arn:aws:iam::{a}:root"))
                }),
                "Service" => caller.oac && vals.iter().any(|x| x == "cloudfront.amazonaws.com"),
                _ => false,
            }
        }),
        _ => false,
    }
}

fn condition_value(key: &str, caller: &Caller) -> Option<String> {
    let header = |name: &str| {
        caller
            .origin_headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match key.to_ascii_lowercase().as_str() {
        "aws:sourcearn" if caller.oac => Some(caller.dist_arn.clone()),
        // The distribution's account, from its ARN (`arn:aws:cloudfront::<account>:distribution/<id>`).
        "aws:sourceaccount" if caller.oac => caller.dist_arn.split(':').nth(4).map(str::to_string),
        "aws:useragent" => {
            Some(header("user-agent").unwrap_or_else(|| "Amazon CloudFront".to_string()))
        }
        "aws:referer" => header("referer"),
        "aws:securetransport" => Some(caller.secure_transport.to_string()),
        _ => None,
    }
}

fn conditions_match(c: Option<&serde_json::Value>, caller: &Caller) -> bool {
    let Some(serde_json::Value::Object(ops)) = c else {
        return c.is_none();
    };
    ops.iter().all(|(op, kv)| {
        let serde_json::Value::Object(kv) = kv else {
            return false;
        };
        kv.iter().all(|(key, want)| {
            let want = as_list(want);
            let Some(have) = condition_value(key, caller) else {
                return op.ends_with("IfExists");
            };
            let op = op.strip_suffix("IfExists").unwrap_or(op);
            match op {
                "StringEquals" | "ArnEquals" => want.contains(&have),
                "StringEqualsIgnoreCase" => want.iter().any(|w| w.eq_ignore_ascii_case(&have)),
                "StringLike" | "ArnLike" => want
                    .iter()
                    .any(|w| glob(w.as_bytes(), have.as_bytes(), false)),
                "StringNotEquals" | "ArnNotEquals" => !want.contains(&have),
                "StringNotLike" | "ArnNotLike" => !want
                    .iter()
                    .any(|w| glob(w.as_bytes(), have.as_bytes(), false)),
                "Bool" => want.iter().any(|w| w.eq_ignore_ascii_case(&have)),
                _ => false,
            }
        })
    })
}

fn action_matches(a: Option<&serde_json::Value>, action: &str, glob_wildcards: bool) -> bool {
    a.map(as_list).unwrap_or_default().iter().any(|p| {
        if glob_wildcards {
            glob(p.as_bytes(), action.as_bytes(), true)
        } else {
            let (p, action) = (p.to_ascii_lowercase(), action.to_ascii_lowercase());
            p == action
                || p.strip_suffix('*')
                    .is_some_and(|pre| action.starts_with(pre))
        }
    })
}

fn resource_matches(r: Option<&serde_json::Value>, resource: &str) -> bool {
    match r {
        None => true,
        Some(r) => as_list(r)
            .iter()
            .any(|p| glob(p.as_bytes(), resource.as_bytes(), false)),
    }
}

/// Evaluates a resource policy for `action` on `resource` by `caller` with every check ([`Checks::ALL`]).
pub(crate) fn policy_allows(
    policy: Option<&str>,
    action: &str,
    resource: &str,
    caller: &Caller,
) -> bool {
    allows(policy, action, resource, caller, Checks::ALL)
}

/// Evaluates a resource policy for `action` on `resource` by `caller`: among the statements that apply (as
/// `checks` says), an explicit Deny wins, then any Allow; otherwise (or without a readable policy) denied.
pub(crate) fn allows(
    policy: Option<&str>,
    action: &str,
    resource: &str,
    caller: &Caller,
    checks: Checks,
) -> bool {
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) else {
        return false;
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return false,
    };
    let mut allowed = false;
    for s in &statements {
        let applies = principal_matches(s.get("Principal"), caller)
            && action_matches(s.get("Action"), action, checks.action_glob)
            && (!checks.resource || resource_matches(s.get("Resource"), resource))
            && (!checks.conditions || conditions_match(s.get("Condition"), caller));
        if !applies {
            continue;
        }
        match s.get("Effect").and_then(|e| e.as_str()) {
            Some("Deny") => return false,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    allowed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(oac: bool) -> Caller {
        Caller {
            oac,
            dist_arn: "arn:aws:cloudfront::123456789012:distribution/EDIST".into(),
            secure_transport: true,
            origin_headers: vec![],
            account: None,
        }
    }

    #[test]
    fn oac_policy_requires_matching_source_arn() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"cf","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"arn:aws:mediastore:us-east-1:123456789012:container/c/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EDIST"},"Bool":{"aws:SecureTransport":"true"}}}]}"#;
        let res = "arn:aws:mediastore:us-east-1:123456789012:container/c/vod/a.m3u8";
        assert!(policy_allows(
            Some(policy),
            "mediastore:GetObject",
            res,
            &caller(true)
        ));
        assert!(
            !policy_allows(Some(policy), "mediastore:GetObject", res, &caller(false)),
            "unsigned request"
        );
        let mut other = caller(true);
        other.dist_arn = "arn:aws:cloudfront::123456789012:distribution/EOTHER".into();
        assert!(!policy_allows(
            Some(policy),
            "mediastore:GetObject",
            res,
            &other
        ));
        assert!(!policy_allows(
            Some(policy),
            "mediastore:PutObject",
            res,
            &caller(true)
        ));
        assert!(!policy_allows(
            None,
            "mediastore:GetObject",
            res,
            &caller(true)
        ));
    }

    #[test]
    fn legacy_mediastore_user_agent_policy_and_deny() {
        let policy = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"mediastore:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:UserAgent":"Amazon CloudFront"},"Bool":{"aws:SecureTransport":"true"}}}}"#;
        assert!(policy_allows(
            Some(policy),
            "mediastore:GetObject",
            "arn:x",
            &caller(false)
        ));
        let mut insecure = caller(false);
        insecure.secure_transport = false;
        assert!(!policy_allows(
            Some(policy),
            "mediastore:GetObject",
            "arn:x",
            &insecure
        ));
        let deny = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"mediastore:*","Resource":"*"}]}"#;
        assert!(!policy_allows(
            Some(deny),
            "mediastore:GetObject",
            "arn:x",
            &caller(false)
        ));
        let arn_like = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/*"}}}]}"#;
        assert!(policy_allows(
            Some(arn_like),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &caller(true)
        ));
        assert!(!policy_allows(
            Some(arn_like),
            "s3:GetObject",
            "arn:aws:s3:::other/k",
            &caller(true)
        ));
    }

    #[test]
    fn origin_custom_headers_feed_referer_conditions() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":"secret-123"}}}]}"#;
        let mut c = caller(false);
        assert!(!policy_allows(
            Some(policy),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &c
        ));
        c.origin_headers = vec![("referer".into(), "secret-123".into())];
        assert!(policy_allows(
            Some(policy),
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &c
        ));
    }
}
