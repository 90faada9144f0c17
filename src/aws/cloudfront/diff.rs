//! Field-by-field differences between a live CloudFront configuration and the wanted one, one line
//! per field (`default_cache_behavior.max_ttl: 86400 -> 604800`): the distribution's, over
//! normalized views of the fields this crate manages, and the helpers the policies use too.
// The `legacy` cache settings use `ForwardedValues` and the TTLs on the cache behavior on purpose;
// the SDK marks them deprecated in favour of cache policies (the `policies` setting).
#![allow(deprecated)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, Origin, ViewerCertificate,
};

use crate::secret::Secret;

// The difference, over normalized views of the managed fields. Header values are held as
// `Secret`s, so no view, diff line or `Debug` output ever shows them.

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

pub(super) fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

pub(super) fn lower_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_ascii_lowercase).collect()
}

struct Shown<'a, T>(&'a T);

impl<T: fmt::Display> fmt::Display for Shown<'_, BTreeSet<T>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str("]")
    }
}

fn opt(v: &Option<impl fmt::Display>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_owned(), |v| v.to_string())
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum CertView {
    Default,
    Acm {
        arn: String,
        ssl_support_method: Option<String>,
        minimum_protocol_version: Option<String>,
    },
    Other(String),
}

impl fmt::Display for CertView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertView::Default => f.write_str("cloudfront-default"),
            CertView::Acm {
                arn,
                ssl_support_method,
                minimum_protocol_version,
            } => write!(
                f,
                "{arn} ({}, {})",
                opt(ssl_support_method),
                opt(minimum_protocol_version)
            ),
            CertView::Other(s) => f.write_str(s),
        }
    }
}

pub(super) fn cert_view(c: Option<&ViewerCertificate>) -> CertView {
    let Some(c) = c else { return CertView::Default };
    if let Some(arn) = non_empty(c.acm_certificate_arn.as_deref()) {
        return CertView::Acm {
            arn,
            ssl_support_method: c.ssl_support_method.as_ref().map(|m| m.as_str().to_owned()),
            minimum_protocol_version: c
                .minimum_protocol_version
                .as_ref()
                .map(|m| m.as_str().to_owned()),
        };
    }
    if let Some(iam) = non_empty(c.iam_certificate_id.as_deref()) {
        return CertView::Other(format!("iam:{iam}"));
    }
    CertView::Default
}

#[derive(Debug, PartialEq, Eq, Clone)]
pub(super) struct ErrorView {
    ttl: Option<i64>,
    page: Option<String>,
    response_code: Option<String>,
}

pub(super) fn error_view(c: &DistributionConfig) -> BTreeMap<i32, ErrorView> {
    c.custom_error_responses
        .as_ref()
        .and_then(|e| e.items.as_ref())
        .map(|items| {
            items
                .iter()
                .map(|e| {
                    (
                        e.error_code,
                        ErrorView {
                            ttl: e.error_caching_min_ttl,
                            page: non_empty(e.response_page_path.as_deref()),
                            response_code: non_empty(e.response_code.as_deref()),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, PartialEq, Eq)]
enum OriginKind {
    Custom {
        http_port: i32,
        https_port: i32,
        protocol_policy: String,
        ssl_protocols: BTreeSet<String>,
    },
    S3 {
        origin_access_identity: String,
    },
    Other,
}

#[derive(Debug)]
pub(super) struct OriginView {
    id: String,
    domain_name: String,
    origin_path: String,
    oac_id: Option<String>,
    /// Lowercase name -> (name as written, value).
    custom_headers: BTreeMap<String, (String, Secret)>,
    kind: OriginKind,
}

pub(super) fn origin_view(o: &Origin) -> OriginView {
    let kind = if let Some(c) = &o.custom_origin_config {
        OriginKind::Custom {
            http_port: c.http_port,
            https_port: c.https_port,
            protocol_policy: c.origin_protocol_policy.as_str().to_owned(),
            ssl_protocols: c
                .origin_ssl_protocols
                .as_ref()
                .map(|p| set(p.items.iter().map(|s| s.as_str())))
                .unwrap_or_default(),
        }
    } else if let Some(s) = &o.s3_origin_config {
        OriginKind::S3 {
            origin_access_identity: s.origin_access_identity.clone(),
        }
    } else {
        OriginKind::Other
    };
    OriginView {
        id: o.id.clone(),
        domain_name: o.domain_name.clone(),
        origin_path: o.origin_path.clone().unwrap_or_default(),
        oac_id: non_empty(o.origin_access_control_id.as_deref()),
        custom_headers: o
            .custom_headers
            .as_ref()
            .and_then(|h| h.items.as_ref())
            .map(|items| {
                items
                    .iter()
                    .map(|h| {
                        (
                            h.header_name.to_ascii_lowercase(),
                            (h.header_name.clone(), Secret::new(h.header_value.clone())),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        kind,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct ForwardedView {
    query_string: bool,
    cookies: String,
    headers: BTreeSet<String>,
}

#[derive(Debug, PartialEq, Eq)]
struct BehaviorView {
    target_origin_id: String,
    viewer_protocol_policy: String,
    allowed_methods: BTreeSet<String>,
    cached_methods: BTreeSet<String>,
    compress: bool,
    cache_policy_id: Option<String>,
    origin_request_policy_id: Option<String>,
    response_headers_policy_id: Option<String>,
    forwarded_values: Option<ForwardedView>,
    min_ttl: Option<i64>,
    default_ttl: Option<i64>,
    max_ttl: Option<i64>,
    trusted_key_groups: BTreeSet<String>,
}

/// The key groups a behavior trusts (none when `Enabled` is false).
fn trusted(t: Option<&aws_sdk_cloudfront::types::TrustedKeyGroups>) -> BTreeSet<String> {
    t.filter(|t| t.enabled)
        .and_then(|t| t.items.as_ref())
        .map(|i| set(i.iter().map(String::as_str)))
        .unwrap_or_default()
}

/// The private-media cache behaviors: path pattern to trusted key groups.
fn media_behaviors(c: &DistributionConfig) -> BTreeMap<String, BTreeSet<String>> {
    c.cache_behaviors
        .as_ref()
        .and_then(|c| c.items.as_ref())
        .map(|items| {
            items
                .iter()
                .filter(|b| {
                    crate::types::Protect::MEDIA_PATTERNS.contains(&b.path_pattern.as_str())
                })
                .map(|b| {
                    (
                        b.path_pattern.clone(),
                        trusted(b.trusted_key_groups.as_ref()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn behavior_view(b: &DefaultCacheBehavior) -> BehaviorView {
    let allowed = b.allowed_methods.as_ref();
    BehaviorView {
        target_origin_id: b.target_origin_id.clone(),
        viewer_protocol_policy: b.viewer_protocol_policy.as_str().to_owned(),
        allowed_methods: allowed
            .map(|a| set(a.items.iter().map(|m| m.as_str())))
            .unwrap_or_default(),
        cached_methods: allowed
            .and_then(|a| a.cached_methods.as_ref())
            .map(|c| set(c.items.iter().map(|m| m.as_str())))
            .unwrap_or_default(),
        compress: b.compress.unwrap_or(false),
        cache_policy_id: non_empty(b.cache_policy_id.as_deref()),
        origin_request_policy_id: non_empty(b.origin_request_policy_id.as_deref()),
        response_headers_policy_id: non_empty(b.response_headers_policy_id.as_deref()),
        forwarded_values: b.forwarded_values.as_ref().map(|f| ForwardedView {
            query_string: f.query_string,
            cookies: f
                .cookies
                .as_ref()
                .map_or_else(|| "none".to_owned(), |c| c.forward.as_str().to_owned()),
            headers: f
                .headers
                .as_ref()
                .and_then(|h| h.items.as_ref())
                .map(|i| lower_set(i.iter().map(String::as_str)))
                .unwrap_or_default(),
        }),
        min_ttl: b.min_ttl,
        default_ttl: b.default_ttl,
        max_ttl: b.max_ttl,
        trusted_key_groups: trusted(b.trusted_key_groups.as_ref()),
    }
}

pub(super) struct Lines(pub(super) Vec<String>);

impl Lines {
    pub(super) fn cmp<T: PartialEq + fmt::Display>(&mut self, field: &str, old: T, new: T) {
        if old != new {
            self.0.push(format!("{field}: {old} -> {new}"));
        }
    }
    pub(super) fn cmp_opt<T: PartialEq + fmt::Display>(
        &mut self,
        field: &str,
        old: &Option<T>,
        new: &Option<T>,
    ) {
        if old != new {
            self.0
                .push(format!("{field}: {} -> {}", opt(old), opt(new)));
        }
    }
    pub(super) fn cmp_set(&mut self, field: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
        if old != new {
            self.0
                .push(format!("{field}: {} -> {}", Shown(old), Shown(new)));
        }
    }
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// One line per managed field that differs between `old` (live) and `new` (wanted), such as
/// `default_cache_behavior.max_ttl: 86400 -> 604800`. Origin custom header values are compared but
/// never shown.
pub(crate) fn diff(old: &DistributionConfig, new: &DistributionConfig) -> Vec<String> {
    let mut d = Lines(Vec::new());
    d.cmp("comment", quoted(&old.comment), quoted(&new.comment));
    d.cmp("enabled", old.enabled, new.enabled);
    let price = |c: &DistributionConfig| {
        c.price_class
            .as_ref()
            .map_or("PriceClass_All", |p| p.as_str())
            .to_owned()
    };
    d.cmp("price_class", price(old), price(new));
    let http = |c: &DistributionConfig| {
        c.http_version
            .as_ref()
            .map_or("http2", |p| p.as_str())
            .to_owned()
    };
    d.cmp("http_version", http(old), http(new));
    let aliases = |c: &DistributionConfig| {
        c.aliases
            .as_ref()
            .and_then(|a| a.items.as_ref())
            .map(|i| set(i.iter().map(String::as_str)))
            .unwrap_or_default()
    };
    d.cmp_set("aliases", &aliases(old), &aliases(new));
    d.cmp(
        "viewer_certificate",
        cert_view(old.viewer_certificate.as_ref()),
        cert_view(new.viewer_certificate.as_ref()),
    );

    let origins = |c: &DistributionConfig| -> Vec<OriginView> {
        c.origins
            .as_ref()
            .map(|o| o.items.iter().map(origin_view).collect())
            .unwrap_or_default()
    };
    let (old_o, new_o) = (origins(old), origins(new));
    match (old_o.as_slice(), new_o.as_slice()) {
        ([a], [b]) => diff_origin(&mut d, a, b),
        _ => {
            let ids = |v: &[OriginView]| set(v.iter().map(|o| o.id.as_str()));
            let (a, b) = (ids(&old_o), ids(&new_o));
            if a != b {
                d.cmp_set("origins", &a, &b);
            }
            for n in &new_o {
                if let Some(o) = old_o.iter().find(|o| o.id == n.id) {
                    diff_origin(&mut d, o, n);
                }
            }
        }
    }

    match (&old.default_cache_behavior, &new.default_cache_behavior) {
        (Some(a), Some(b)) => diff_behavior(&mut d, &behavior_view(a), &behavior_view(b)),
        (None, Some(_)) => d.0.push("default_cache_behavior: (none) -> set".into()),
        _ => {}
    }
    let (old_m, new_m) = (media_behaviors(old), media_behaviors(new));
    for (pattern, groups) in &new_m {
        match old_m.get(pattern) {
            None => d.0.push(format!(
                "cache_behaviors[{pattern}]: added (trusted_key_groups {})",
                groups.iter().cloned().collect::<Vec<_>>().join(", ")
            )),
            Some(o) => d.cmp_set(
                &format!("cache_behaviors[{pattern}].trusted_key_groups"),
                o,
                groups,
            ),
        }
    }
    for pattern in old_m.keys().filter(|p| !new_m.contains_key(*p)) {
        d.0.push(format!("cache_behaviors[{pattern}]: removed"));
    }

    let (old_e, new_e) = (error_view(old), error_view(new));
    for (code, n) in &new_e {
        match old_e.get(code) {
            None => d.0.push(format!(
                "custom_error_responses.{code}: added (error_caching_min_ttl {})",
                opt(&n.ttl)
            )),
            Some(o) => {
                d.cmp_opt(
                    &format!("custom_error_responses.{code}.error_caching_min_ttl"),
                    &o.ttl,
                    &n.ttl,
                );
                d.cmp_opt(
                    &format!("custom_error_responses.{code}.response_page_path"),
                    &o.page,
                    &n.page,
                );
                d.cmp_opt(
                    &format!("custom_error_responses.{code}.response_code"),
                    &o.response_code,
                    &n.response_code,
                );
            }
        }
    }
    for code in old_e.keys().filter(|c| !new_e.contains_key(c)) {
        d.0.push(format!("custom_error_responses.{code}: removed"));
    }
    d.0
}

fn diff_origin(d: &mut Lines, a: &OriginView, b: &OriginView) {
    d.cmp("origin.id", &a.id, &b.id);
    d.cmp("origin.domain_name", &a.domain_name, &b.domain_name);
    d.cmp(
        "origin.origin_path",
        quoted(&a.origin_path),
        quoted(&b.origin_path),
    );
    d.cmp_opt("origin.origin_access_control_id", &a.oac_id, &b.oac_id);
    for (key, (name, value)) in &b.custom_headers {
        match a.custom_headers.get(key) {
            None => d.0.push(format!("origin custom header {name}: added")),
            Some((old_name, old_value)) => {
                if old_name != name {
                    d.0.push(format!(
                        "origin custom header {old_name}: renamed to {name}"
                    ));
                }
                if old_value != value {
                    d.0.push(format!("origin custom header {name}: value changed"));
                }
            }
        }
    }
    for (key, (name, _)) in &a.custom_headers {
        if !b.custom_headers.contains_key(key) {
            d.0.push(format!("origin custom header {name}: removed"));
        }
    }
    match (&a.kind, &b.kind) {
        (
            OriginKind::Custom {
                http_port: ha,
                https_port: sa,
                protocol_policy: pa,
                ssl_protocols: la,
            },
            OriginKind::Custom {
                http_port: hb,
                https_port: sb,
                protocol_policy: pb,
                ssl_protocols: lb,
            },
        ) => {
            d.cmp("origin.custom_origin_config.http_port", ha, hb);
            d.cmp("origin.custom_origin_config.https_port", sa, sb);
            d.cmp("origin.custom_origin_config.origin_protocol_policy", pa, pb);
            d.cmp_set("origin.custom_origin_config.origin_ssl_protocols", la, lb);
        }
        (
            OriginKind::S3 {
                origin_access_identity: x,
            },
            OriginKind::S3 {
                origin_access_identity: y,
            },
        ) => {
            d.cmp(
                "origin.s3_origin_config.origin_access_identity",
                quoted(x),
                quoted(y),
            );
        }
        (x, y) if x != y => {
            let kind = |k: &OriginKind| match k {
                OriginKind::Custom { .. } => "custom_origin_config",
                OriginKind::S3 { .. } => "s3_origin_config",
                OriginKind::Other => "other",
            };
            d.cmp("origin.kind", kind(x), kind(y));
        }
        _ => {}
    }
}

fn diff_behavior(d: &mut Lines, a: &BehaviorView, b: &BehaviorView) {
    const P: &str = "default_cache_behavior";
    d.cmp(
        &format!("{P}.target_origin_id"),
        &a.target_origin_id,
        &b.target_origin_id,
    );
    d.cmp(
        &format!("{P}.viewer_protocol_policy"),
        &a.viewer_protocol_policy,
        &b.viewer_protocol_policy,
    );
    d.cmp_set(
        &format!("{P}.allowed_methods"),
        &a.allowed_methods,
        &b.allowed_methods,
    );
    d.cmp_set(
        &format!("{P}.cached_methods"),
        &a.cached_methods,
        &b.cached_methods,
    );
    d.cmp(&format!("{P}.compress"), a.compress, b.compress);
    d.cmp_set(
        &format!("{P}.trusted_key_groups"),
        &a.trusted_key_groups,
        &b.trusted_key_groups,
    );
    d.cmp_opt(
        &format!("{P}.cache_policy_id"),
        &a.cache_policy_id,
        &b.cache_policy_id,
    );
    d.cmp_opt(
        &format!("{P}.origin_request_policy_id"),
        &a.origin_request_policy_id,
        &b.origin_request_policy_id,
    );
    d.cmp_opt(
        &format!("{P}.response_headers_policy_id"),
        &a.response_headers_policy_id,
        &b.response_headers_policy_id,
    );
    // With a cache policy, CloudFront ignores (and may or may not echo) the legacy settings.
    if b.cache_policy_id.is_some() {
        return;
    }
    match (&a.forwarded_values, &b.forwarded_values) {
        (Some(x), Some(y)) => {
            d.cmp(
                &format!("{P}.forwarded_values.query_string"),
                x.query_string,
                y.query_string,
            );
            d.cmp(
                &format!("{P}.forwarded_values.cookies"),
                &x.cookies,
                &y.cookies,
            );
            d.cmp_set(
                &format!("{P}.forwarded_values.headers"),
                &x.headers,
                &y.headers,
            );
        }
        (None, Some(y)) => d.cmp_set(
            &format!("{P}.forwarded_values.headers"),
            &BTreeSet::new(),
            &y.headers,
        ),
        _ => {}
    }
    d.cmp_opt(&format!("{P}.min_ttl"), &a.min_ttl, &b.min_ttl);
    d.cmp_opt(&format!("{P}.default_ttl"), &a.default_ttl, &b.default_ttl);
    d.cmp_opt(&format!("{P}.max_ttl"), &a.max_ttl, &b.max_ttl);
}
