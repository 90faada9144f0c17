//! The distribution's configuration, pure: the config a plan step asks for, how it is laid over a
//! live config (keeping what this crate does not manage), and the field-by-field difference.
//!
//! Member names and rules follow the API reference:
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html>.
// The `legacy` cache settings use `ForwardedValues` and the TTLs on the cache behavior on purpose;
// the SDK marks them deprecated in favour of cache policies (the `policies` setting).
#![allow(deprecated)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CookiePreference, CustomErrorResponse,
    CustomErrorResponses, CustomHeaders, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, ForwardedValues, Headers, HttpVersion, ItemSelection, Method,
    MinimumProtocolVersion, Origin, OriginCustomHeader, OriginProtocolPolicy, OriginSslProtocols,
    Origins, PriceClass, S3OriginConfig, SslProtocol, SslSupportMethod, ViewerCertificate,
    ViewerProtocolPolicy,
};
use aws_smithy_types::error::operation::BuildError;

use crate::plan::DistributionParams;

use crate::secret::Secret;
use crate::types::CacheSettings;

/// The values of a distribution step that earlier steps produce (its `${…}` placeholders, filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The origin's domain name (for MediaStore, the container's data endpoint host).
    pub origin_domain: String,
    /// The origin access control's id.
    pub oac_id: String,
    /// The cache policy's id (cache settings `policies`).
    pub cache_policy_id: Option<String>,
    /// The response headers policy's id (cache settings `policies`, with CORS origins).
    pub response_headers_policy_id: Option<String>,
}

/// A list's `Items`: left out when empty (`Quantity` 0), as the API reference shows it.
fn items<T>(v: Vec<T>) -> Option<Vec<T>> {
    if v.is_empty() { None } else { Some(v) }
}

fn methods(names: &[String]) -> Vec<Method> {
    names.iter().map(|m| Method::from(m.as_str())).collect()
}

fn headers(names: &[String]) -> Result<Headers, BuildError> {
    Headers::builder()
        .quantity(names.len() as i32)
        .set_items(items(names.to_vec()))
        .build()
}

/// The distribution config a plan step describes, with placeholders resolved. Pure.
pub(crate) fn desired_config(
    p: &DistributionParams,
    r: &Resolved,
) -> Result<DistributionConfig, BuildError> {
    let o = &p.origin;
    let custom_headers = o
        .custom_headers
        .iter()
        .map(|h| {
            OriginCustomHeader::builder()
                .header_name(h.name.as_str())
                .header_value(h.value.expose())
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut origin = Origin::builder()
        .id(&o.id)
        .domain_name(&r.origin_domain)
        .origin_path(o.origin_path.as_str())
        .custom_headers(
            CustomHeaders::builder()
                .quantity(custom_headers.len() as i32)
                .set_items(items(custom_headers))
                .build()?,
        )
        .origin_access_control_id(&r.oac_id);
    origin = if o.kind == crate::spec::model::OriginKind::S3 {
        // With origin access control, OriginAccessIdentity is present and empty.
        origin.s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
    } else {
        let policy = o.origin_protocol_policy.as_deref().unwrap_or("https-only");
        origin.custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::from(policy))
                .origin_ssl_protocols(
                    OriginSslProtocols::builder()
                        .quantity(1)
                        .items(SslProtocol::TlSv12)
                        .build()?,
                )
                .build()?,
        )
    };
    let origin = origin.build()?;

    let b = &p.default_cache_behavior;
    let allowed = methods(&b.allowed_methods);
    let cached = methods(&b.cached_methods);
    let mut behavior = DefaultCacheBehavior::builder()
        .target_origin_id(&o.id)
        .viewer_protocol_policy(ViewerProtocolPolicy::from(
            b.viewer_protocol_policy.to_string().as_str(),
        ))
        .allowed_methods(
            AllowedMethods::builder()
                .quantity(allowed.len() as i32)
                .set_items(Some(allowed))
                .cached_methods(
                    CachedMethods::builder()
                        .quantity(cached.len() as i32)
                        .set_items(Some(cached))
                        .build()?,
                )
                .build()?,
        )
        .compress(b.compress);
    // A response headers policy (CORS) goes with either cache setting.
    behavior = behavior.set_response_headers_policy_id(r.response_headers_policy_id.clone());
    behavior = match b.cache_settings {
        CacheSettings::Legacy => {
            let names = b
                .forwarded_values_headers
                .clone()
                .unwrap_or_else(|| b.cache_key_headers.clone());
            behavior
                .forwarded_values(
                    ForwardedValues::builder()
                        .query_string(false)
                        .cookies(
                            CookiePreference::builder()
                                .forward(ItemSelection::None)
                                .build()?,
                        )
                        .headers(headers(&names)?)
                        .build()?,
                )
                .min_ttl(b.min_ttl.secs() as i64)
                .default_ttl(b.default_ttl.secs() as i64)
                .max_ttl(b.max_ttl.secs() as i64)
        }
        _ => behavior
            .set_cache_policy_id(r.cache_policy_id.clone())
            .set_origin_request_policy_id(b.origin_request_policy.as_ref().map(|m| m.id.clone())),
    };

    let errors = p
        .custom_error_responses
        .iter()
        .map(|e| {
            CustomErrorResponse::builder()
                .error_code(i32::from(e.error_code))
                .error_caching_min_ttl(e.error_caching_min_ttl.secs() as i64)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;

    let viewer_certificate = match &p.viewer_certificate {
        crate::plan::ViewerCertificate::CloudFrontDefault => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
        crate::plan::ViewerCertificate::Acm(arn) => ViewerCertificate::builder()
            .acm_certificate_arn(arn.as_str())
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .build(),
    };
    let aliases: Vec<String> = p.aliases.iter().map(|a| a.to_string()).collect();

    DistributionConfig::builder()
        .caller_reference(&p.caller_reference)
        .comment(&p.comment)
        .enabled(p.enabled)
        .price_class(PriceClass::from(p.price_class.to_string().as_str()))
        .http_version(HttpVersion::from(p.http_version.to_string().as_str()))
        .aliases(
            Aliases::builder()
                .quantity(aliases.len() as i32)
                .set_items(items(aliases))
                .build()?,
        )
        .viewer_certificate(viewer_certificate)
        .origins(Origins::builder().quantity(1).items(origin).build()?)
        .default_cache_behavior(behavior.build()?)
        .custom_error_responses(
            CustomErrorResponses::builder()
                .quantity(errors.len() as i32)
                .set_items(items(errors))
                .build()?,
        )
        .build()
}

/// `live` with every field this crate manages taken from `desired`. Whatever else the live config
/// holds (logging, restrictions, origin timeouts, function associations, …) is kept as it is, so an
/// update changes only what the plan describes.
pub(crate) fn overlay(
    mut live: DistributionConfig,
    desired: &DistributionConfig,
) -> DistributionConfig {
    live.comment = desired.comment.clone();
    live.enabled = desired.enabled;
    live.price_class = desired.price_class.clone();
    live.http_version = desired.http_version.clone();
    live.aliases = desired.aliases.clone();
    if cert_view(live.viewer_certificate.as_ref()) != cert_view(desired.viewer_certificate.as_ref())
    {
        live.viewer_certificate = desired.viewer_certificate.clone();
    }
    if error_view(&live) != error_view(desired) {
        live.custom_error_responses = desired.custom_error_responses.clone();
    }

    let live_origins: Vec<Origin> = live.origins.take().map(|o| o.items).unwrap_or_default();
    let desired_origins: &[Origin] = desired.origins.as_ref().map_or(&[], |o| o.items.as_slice());
    let merged: Vec<Origin> = desired_origins
        .iter()
        .map(|d| match live_origins.iter().find(|l| l.id == d.id) {
            Some(l) => merge_origin(l.clone(), d),
            None => d.clone(),
        })
        .collect();
    let mut origins = desired.origins.clone();
    if let Some(o) = origins.as_mut() {
        o.quantity = merged.len() as i32;
        o.items = merged;
    }
    live.origins = origins;

    live.default_cache_behavior = match (
        live.default_cache_behavior.take(),
        &desired.default_cache_behavior,
    ) {
        (Some(l), Some(d)) => Some(merge_behavior(l, d)),
        (_, d) => d.clone(),
    };
    live
}

fn merge_origin(mut l: Origin, d: &Origin) -> Origin {
    l.domain_name = d.domain_name.clone();
    l.origin_path = d.origin_path.clone();
    l.custom_headers = d.custom_headers.clone();
    l.origin_access_control_id = d.origin_access_control_id.clone();
    match (&d.custom_origin_config, &d.s3_origin_config) {
        (Some(dc), _) => {
            let mut c = l.custom_origin_config.take().unwrap_or_else(|| dc.clone());
            c.http_port = dc.http_port;
            c.https_port = dc.https_port;
            c.origin_protocol_policy = dc.origin_protocol_policy.clone();
            c.origin_ssl_protocols = dc.origin_ssl_protocols.clone();
            l.custom_origin_config = Some(c);
            l.s3_origin_config = None;
            l.vpc_origin_config = None;
        }
        (None, Some(ds)) => {
            let mut s = l.s3_origin_config.take().unwrap_or_else(|| ds.clone());
            s.origin_access_identity = ds.origin_access_identity.clone();
            l.s3_origin_config = Some(s);
            l.custom_origin_config = None;
            l.vpc_origin_config = None;
        }
        (None, None) => {}
    }
    l
}

fn merge_behavior(mut l: DefaultCacheBehavior, d: &DefaultCacheBehavior) -> DefaultCacheBehavior {
    l.target_origin_id = d.target_origin_id.clone();
    l.viewer_protocol_policy = d.viewer_protocol_policy.clone();
    l.allowed_methods = d.allowed_methods.clone();
    l.compress = d.compress;
    l.cache_policy_id = d.cache_policy_id.clone();
    l.origin_request_policy_id = d.origin_request_policy_id.clone();
    l.response_headers_policy_id = d.response_headers_policy_id.clone();
    l.forwarded_values = d.forwarded_values.clone();
    l.min_ttl = d.min_ttl;
    l.default_ttl = d.default_ttl;
    l.max_ttl = d.max_ttl;
    l
}

// ---------------------------------------------------------------------------------------------
// The difference, over normalized views of the managed fields. Header values are held as
// `Secret`s, so no view, diff line or `Debug` output ever shows them.

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

fn lower_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
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
enum CertView {
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

fn cert_view(c: Option<&ViewerCertificate>) -> CertView {
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
struct ErrorView {
    ttl: Option<i64>,
    page: Option<String>,
    response_code: Option<String>,
}

fn error_view(c: &DistributionConfig) -> BTreeMap<i32, ErrorView> {
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
struct OriginView {
    id: String,
    domain_name: String,
    origin_path: String,
    oac_id: Option<String>,
    /// Lowercase name -> (name as written, value).
    custom_headers: BTreeMap<String, (String, Secret)>,
    kind: OriginKind,
}

fn origin_view(o: &Origin) -> OriginView {
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
    }
}

struct Lines(Vec<String>);

impl Lines {
    fn cmp<T: PartialEq + fmt::Display>(&mut self, field: &str, old: T, new: T) {
        if old != new {
            self.0.push(format!("{field}: {old} -> {new}"));
        }
    }
    fn cmp_opt<T: PartialEq + fmt::Display>(
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
    fn cmp_set(&mut self, field: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VodPipeline;
    use crate::plan::Params;

    fn spec(file: &str, edit: impl Fn(String) -> String) -> DistributionParams {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        let p = VodPipeline::from_toml_str(&edit(text), dir).unwrap();
        let plan = p.plan();
        match &plan.step("cloudfront.distribution").unwrap().params {
            Params::Distribution(d) => (**d).clone(),
            other => panic!("unexpected params {other:?}"),
        }
    }

    fn resolved(policies: bool) -> Resolved {
        Resolved {
            origin_domain: "abc.data.mediastore.us-east-1.amazonaws.com".into(),
            oac_id: "E1OAC".into(),
            cache_policy_id: policies.then(|| "cp-1".into()),
            response_headers_policy_id: Some("rhp-1".into()),
        }
    }

    #[test]
    fn mediastore_with_policies() {
        let p = spec("mediastore.toml", |t| t);
        let c = desired_config(&p, &resolved(true)).unwrap();
        assert_eq!(c.caller_reference, "vod-pipeline/seed-vod/distribution");
        assert_eq!(c.comment, "seed-vod on-demand video");
        assert!(c.enabled);
        assert_eq!(c.price_class, Some(PriceClass::PriceClassAll));
        assert_eq!(c.http_version, Some(HttpVersion::Http2));
        assert_eq!(c.aliases.as_ref().unwrap().quantity, 0);
        let vc = c.viewer_certificate.as_ref().unwrap();
        assert_eq!(vc.cloud_front_default_certificate, Some(true));
        assert!(vc.acm_certificate_arn.is_none());

        let origins = c.origins.as_ref().unwrap();
        assert_eq!(origins.quantity, 1);
        let o = &origins.items[0];
        assert_eq!(o.id, "seed-vod-mediastore");
        assert_eq!(o.domain_name, "abc.data.mediastore.us-east-1.amazonaws.com");
        assert_eq!(o.origin_path.as_deref(), Some("/vod"));
        assert_eq!(o.origin_access_control_id.as_deref(), Some("E1OAC"));
        let h = o.custom_headers.as_ref().unwrap();
        assert_eq!(h.quantity, 1);
        let h0 = &h.items.as_ref().unwrap()[0];
        assert_eq!(
            (h0.header_name.as_str(), h0.header_value.as_str()),
            ("X-Origin-Verify", "replace-with-a-secret")
        );
        assert!(o.s3_origin_config.is_none());
        let co = o.custom_origin_config.as_ref().unwrap();
        assert_eq!((co.http_port, co.https_port), (80, 443));
        assert_eq!(co.origin_protocol_policy, OriginProtocolPolicy::HttpsOnly);
        let ssl = co.origin_ssl_protocols.as_ref().unwrap();
        assert_eq!(
            (ssl.quantity, ssl.items.as_slice()),
            (1, &[SslProtocol::TlSv12][..])
        );

        let b = c.default_cache_behavior.as_ref().unwrap();
        assert_eq!(b.target_origin_id, "seed-vod-mediastore");
        assert_eq!(
            b.viewer_protocol_policy,
            ViewerProtocolPolicy::RedirectToHttps
        );
        let am = b.allowed_methods.as_ref().unwrap();
        assert_eq!(am.quantity, 3);
        assert_eq!(am.items, [Method::Get, Method::Head, Method::Options]);
        assert_eq!(
            am.cached_methods.as_ref().unwrap().items,
            [Method::Get, Method::Head, Method::Options]
        );
        assert_eq!(b.compress, Some(true));
        assert_eq!(b.cache_policy_id.as_deref(), Some("cp-1"));
        assert_eq!(
            b.origin_request_policy_id.as_deref(),
            Some("59781a5b-3903-41f3-afcb-af62929ccde1")
        );
        assert_eq!(b.response_headers_policy_id.as_deref(), Some("rhp-1"));
        assert!(b.forwarded_values.is_none());
        assert_eq!((b.min_ttl, b.default_ttl, b.max_ttl), (None, None, None));

        let e = c.custom_error_responses.as_ref().unwrap();
        assert_eq!(e.quantity, 10);
        for r in e.items.as_ref().unwrap() {
            assert_eq!(r.error_caching_min_ttl, Some(5));
            assert!(r.response_page_path.is_none() && r.response_code.is_none());
        }
        // The secret is in the request, never in Debug output.
        assert!(!format!("{c:?}").contains("replace-with-a-secret"));
    }

    #[test]
    fn s3_origin_legacy() {
        let p = spec("s3-origin.toml", |t| t);
        let mut r = resolved(false);
        r.origin_domain = "s3-vod-origin.s3.eu-west-1.amazonaws.com".into();
        let c = desired_config(&p, &r).unwrap();
        assert_eq!(c.price_class, Some(PriceClass::PriceClass100));
        let o = &c.origins.as_ref().unwrap().items[0];
        assert_eq!(o.id, "s3-vod-s3");
        assert_eq!(o.origin_path.as_deref(), Some("/assets"));
        assert_eq!(o.custom_headers.as_ref().unwrap().quantity, 0);
        assert!(o.custom_origin_config.is_none());
        assert_eq!(
            o.s3_origin_config.as_ref().unwrap().origin_access_identity,
            ""
        );
        let b = c.default_cache_behavior.as_ref().unwrap();
        assert!(b.cache_policy_id.is_none() && b.origin_request_policy_id.is_none());
        assert_eq!(b.response_headers_policy_id.as_deref(), Some("rhp-1"));
        let f = b.forwarded_values.as_ref().unwrap();
        assert!(!f.query_string);
        assert_eq!(f.cookies.as_ref().unwrap().forward, ItemSelection::None);
        let h = f.headers.as_ref().unwrap();
        assert_eq!(h.quantity, 3);
        assert_eq!(
            h.items.as_deref().unwrap(),
            [
                "Origin",
                "Access-Control-Request-Method",
                "Access-Control-Request-Headers"
            ]
        );
        assert_eq!(
            (b.min_ttl, b.default_ttl, b.max_ttl),
            (Some(1), Some(21_600), Some(604_800))
        );
        assert_eq!(
            c.custom_error_responses
                .as_ref()
                .unwrap()
                .items
                .as_ref()
                .unwrap()[0]
                .error_caching_min_ttl,
            Some(2)
        );
    }

    #[test]
    fn s3_origin_with_policies_and_mediastore_legacy() {
        let p = spec("s3-origin.toml", |t| {
            t.replace(
                "cache_settings = \"legacy\"",
                "cache_settings = \"policies\"",
            )
        });
        let c = desired_config(&p, &resolved(true)).unwrap();
        let b = c.default_cache_behavior.as_ref().unwrap();
        assert_eq!(
            b.origin_request_policy_id.as_deref(),
            Some("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf")
        );
        assert!(b.forwarded_values.is_none());
        assert!(
            c.origins.as_ref().unwrap().items[0]
                .s3_origin_config
                .is_some()
        );

        let p = spec("mediastore.toml", |t| {
            t.replace(
                "object_caching",
                "cache_settings = \"legacy\"\nobject_caching",
            )
        });
        let c = desired_config(&p, &resolved(false)).unwrap();
        let b = c.default_cache_behavior.as_ref().unwrap();
        assert!(b.forwarded_values.is_some() && b.cache_policy_id.is_none());
        assert_eq!(b.max_ttl, Some(31_536_000));
        assert!(
            c.origins.as_ref().unwrap().items[0]
                .custom_origin_config
                .is_some()
        );
    }

    #[test]
    fn acm_certificate_and_aliases() {
        let p = spec("mediastore.toml", |t| {
            t.replace(
                "[cloudfront]\n",
                "[cloudfront]\naliases = [\"video.example.com\"]\nacm_certificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012\"\n",
            )
        });
        let c = desired_config(&p, &resolved(true)).unwrap();
        let vc = c.viewer_certificate.as_ref().unwrap();
        assert!(vc.cloud_front_default_certificate.is_none());
        assert!(
            vc.acm_certificate_arn
                .as_deref()
                .unwrap()
                .starts_with("arn:aws:acm:us-east-1:")
        );
        assert_eq!(vc.ssl_support_method, Some(SslSupportMethod::SniOnly));
        assert_eq!(
            vc.minimum_protocol_version,
            Some(MinimumProtocolVersion::TlSv122021)
        );
        assert_eq!(
            c.aliases.as_ref().unwrap().items.as_deref().unwrap(),
            ["video.example.com"]
        );
    }

    /// A live config as CloudFront returns it: defaults filled in, lists reordered, extra settings.
    fn as_cloudfront_returns(mut c: DistributionConfig) -> DistributionConfig {
        c.viewer_certificate = Some(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .ssl_support_method(SslSupportMethod::Vip)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv1)
                .build(),
        );
        c.is_ipv6_enabled = Some(true);
        c.web_acl_id = Some(String::new());
        if let Some(o) = c.origins.as_mut() {
            for o in &mut o.items {
                o.connection_attempts = Some(3);
                o.connection_timeout = Some(10);
                if let Some(co) = o.custom_origin_config.as_mut() {
                    co.origin_read_timeout = Some(30);
                    co.origin_keepalive_timeout = Some(5);
                }
            }
        }
        if let Some(b) = c.default_cache_behavior.as_mut() {
            b.smooth_streaming = Some(false);
            b.field_level_encryption_id = Some(String::new());
            if let Some(a) = b.allowed_methods.as_mut() {
                a.items.reverse();
            }
            if let Some(h) = b
                .forwarded_values
                .as_mut()
                .and_then(|f| f.headers.as_mut())
                .and_then(|h| h.items.as_mut())
            {
                h.reverse();
            }
        }
        if let Some(e) = c
            .custom_error_responses
            .as_mut()
            .and_then(|e| e.items.as_mut())
        {
            for r in e.iter_mut() {
                r.response_page_path = Some(String::new());
                r.response_code = Some(String::new());
            }
            e.reverse();
        }
        c
    }

    #[test]
    fn unchanged_live_config_has_no_diff_and_overlay_keeps_unmanaged_fields() {
        for (file, policies) in [("mediastore.toml", true), ("s3-origin.toml", false)] {
            let desired = desired_config(&spec(file, |t| t), &resolved(policies)).unwrap();
            let live = as_cloudfront_returns(desired.clone());
            let merged = overlay(live.clone(), &desired);
            assert_eq!(diff(&live, &merged), Vec::<String>::new(), "{file}");
            assert_eq!(merged.is_ipv6_enabled, Some(true));
            let o = &merged.origins.as_ref().unwrap().items[0];
            assert_eq!(o.connection_attempts, Some(3));
            // Unchanged certificate: the live one is kept as CloudFront returned it.
            assert_eq!(merged.viewer_certificate, live.viewer_certificate);
        }
    }

    #[test]
    fn diff_names_fields_and_hides_secrets() {
        let desired = desired_config(&spec("s3-origin.toml", |t| t), &resolved(false)).unwrap();
        let mut live = as_cloudfront_returns(desired.clone());
        let b = live.default_cache_behavior.as_mut().unwrap();
        b.max_ttl = Some(86_400);
        b.compress = Some(false);
        live.comment = "old".into();
        live.enabled = false;
        let lines = diff(&live, &overlay(live.clone(), &desired));
        assert!(
            lines.contains(&"default_cache_behavior.max_ttl: 86400 -> 604800".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"default_cache_behavior.compress: false -> true".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"enabled: false -> true".to_owned()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"comment: \"old\" -> \"s3-vod on-demand video\"".to_owned()),
            "{lines:?}"
        );
        assert_eq!(lines.len(), 4, "{lines:?}");

        // Secrets: a changed header value is reported without either value.
        let p = spec("mediastore.toml", |t| t);
        let desired = desired_config(&p, &resolved(true)).unwrap();
        let mut live = as_cloudfront_returns(desired.clone());
        let o = &mut live.origins.as_mut().unwrap().items[0];
        let h = o.custom_headers.as_mut().unwrap().items.as_mut().unwrap();
        h[0].header_value = "old-secret-value".into();
        o.custom_headers
            .as_mut()
            .unwrap()
            .items
            .as_mut()
            .unwrap()
            .push(
                OriginCustomHeader::builder()
                    .header_name("X-Extra")
                    .header_value("extra-secret")
                    .build()
                    .unwrap(),
            );
        o.custom_headers.as_mut().unwrap().quantity = 2;
        let merged = overlay(live.clone(), &desired);
        let lines = diff(&live, &merged);
        assert_eq!(
            lines,
            [
                "origin custom header X-Origin-Verify: value changed",
                "origin custom header X-Extra: removed"
            ]
        );
        for text in [
            format!("{lines:?}"),
            lines.join("\n"),
            format!(
                "{:?}",
                origin_view(&merged.origins.as_ref().unwrap().items[0])
            ),
        ] {
            for secret in ["old-secret-value", "extra-secret", "replace-with-a-secret"] {
                assert!(!text.contains(secret), "{text}");
            }
        }
        // The update carries the new value.
        let sent = &merged.origins.as_ref().unwrap().items[0]
            .custom_headers
            .as_ref()
            .unwrap();
        assert_eq!(sent.quantity, 1);
        assert_eq!(
            sent.items.as_ref().unwrap()[0].header_value,
            "replace-with-a-secret"
        );
    }

    #[test]
    fn switching_cache_settings_and_origin_shows_and_clears() {
        let legacy = desired_config(&spec("s3-origin.toml", |t| t), &resolved(false)).unwrap();
        let policies = desired_config(
            &spec("s3-origin.toml", |t| {
                t.replace(
                    "cache_settings = \"legacy\"",
                    "cache_settings = \"policies\"",
                )
            }),
            &resolved(true),
        )
        .unwrap();
        let live = as_cloudfront_returns(legacy);
        let merged = overlay(live.clone(), &policies);
        let lines = diff(&live, &merged);
        assert!(
            lines
                .iter()
                .any(|l| l == "default_cache_behavior.cache_policy_id: (none) -> cp-1"),
            "{lines:?}"
        );
        let b = merged.default_cache_behavior.as_ref().unwrap();
        assert!(b.forwarded_values.is_none() && b.min_ttl.is_none() && b.max_ttl.is_none());
        assert_eq!(
            b.smooth_streaming,
            Some(false),
            "unmanaged behavior fields are kept"
        );

        // An origin of another kind replaces the old one.
        let ms = desired_config(&spec("mediastore.toml", |t| t), &resolved(true)).unwrap();
        let merged = overlay(live.clone(), &ms);
        let lines = diff(&live, &merged);
        assert!(
            lines
                .iter()
                .any(|l| l == "origin.id: s3-vod-s3 -> seed-vod-mediastore"),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l == "origin.kind: s3_origin_config -> custom_origin_config"),
            "{lines:?}"
        );
        let origins = merged.origins.as_ref().unwrap();
        assert_eq!(origins.quantity, 1);
        assert!(origins.items[0].s3_origin_config.is_none());
    }
}
