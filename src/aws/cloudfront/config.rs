//! The distribution's configuration, pure: the config a plan step asks for, how it is laid over a
//! live config (keeping what this crate does not manage). The field-by-field difference is in
//! `diff.rs`.
//!
//! Member names and rules follow the API reference:
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html>.
// The `legacy` cache settings use `ForwardedValues` and the TTLs on the cache behavior on purpose;
// the SDK marks them deprecated in favour of cache policies (the `policies` setting).
#![allow(deprecated)]

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CookiePreference,
    CustomErrorResponse, CustomErrorResponses, CustomHeaders, CustomOriginConfig,
    DefaultCacheBehavior, DistributionConfig, ForwardedValues, Headers, HttpVersion, ItemSelection,
    Method, MinimumProtocolVersion, Origin, OriginCustomHeader, OriginProtocolPolicy,
    OriginSslProtocols, Origins, PriceClass, S3OriginConfig, SslProtocol, SslSupportMethod,
    TrustedKeyGroups, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_smithy_types::error::operation::BuildError;

use super::diff::{cert_view, error_view};
use crate::plan::DistributionParams;

use crate::types::{CacheSettings, Protect};

/// The values of a distribution step that earlier steps produce (its `${…}` placeholders, filled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The origin's domain name (for MediaStore, the container's data endpoint host).
    pub origin_domain: String,
    /// What goes before the spec's origin path: the path of the container's data endpoint (empty on AWS).
    pub origin_path_prefix: String,
    /// The origin access control's id.
    pub oac_id: String,
    /// The cache policy's id (cache settings `policies`).
    pub cache_policy_id: Option<String>,
    /// The response headers policy's id (cache settings `policies`, with CORS origins).
    pub response_headers_policy_id: Option<String>,
    /// The trusted key group's id (private content).
    pub trusted_key_group_id: Option<String>,
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
        .origin_path(format!(
            "{}{}",
            r.origin_path_prefix,
            o.origin_path.as_str()
        ))
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
    // The default cache behavior and, for private media, one cache behavior per media path
    // pattern, with the same settings: the SDK has a builder type for each, with the same setters.
    macro_rules! configure {
        ($builder:expr) => {{
            let behavior = $builder
                .target_origin_id(&o.id)
                .viewer_protocol_policy(ViewerProtocolPolicy::from(
                    b.viewer_protocol_policy.to_string().as_str(),
                ))
                .allowed_methods(
                    AllowedMethods::builder()
                        .quantity(allowed.len() as i32)
                        .set_items(Some(allowed.clone()))
                        .cached_methods(
                            CachedMethods::builder()
                                .quantity(cached.len() as i32)
                                .set_items(Some(cached.clone()))
                                .build()?,
                        )
                        .build()?,
                )
                .compress(b.compress)
                // A response headers policy (CORS) goes with either cache setting.
                .set_response_headers_policy_id(r.response_headers_policy_id.clone());
            match b.cache_settings {
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
                    .set_origin_request_policy_id(
                        b.origin_request_policy.as_ref().map(|m| m.id.clone()),
                    ),
            }
        }};
    }
    let trusted = match &r.trusted_key_group_id {
        Some(id) => Some(
            TrustedKeyGroups::builder()
                .enabled(true)
                .quantity(1)
                .items(id)
                .build()?,
        ),
        None => None,
    };
    let protect = p.trusted_key_group.as_ref().map(|t| t.protect);
    let mut behavior = configure!(DefaultCacheBehavior::builder());
    if protect == Some(Protect::All) {
        behavior = behavior.set_trusted_key_groups(trusted.clone());
    }
    let media_behaviors = if protect == Some(Protect::Media) {
        Protect::MEDIA_PATTERNS
            .iter()
            .map(|pattern| {
                configure!(CacheBehavior::builder().path_pattern(*pattern))
                    .set_trusted_key_groups(trusted.clone())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
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
        .set_cache_behaviors(if media_behaviors.is_empty() {
            None
        } else {
            Some(
                CacheBehaviors::builder()
                    .quantity(media_behaviors.len() as i32)
                    .set_items(Some(media_behaviors))
                    .build()?,
            )
        })
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
    // The media behaviors of private content are this crate's; any other cache behavior is kept.
    let others: Vec<CacheBehavior> = live
        .cache_behaviors
        .take()
        .map(|c| c.items.unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !Protect::MEDIA_PATTERNS.contains(&c.path_pattern.as_str()))
        .collect();
    let ours: Vec<CacheBehavior> = desired
        .cache_behaviors
        .as_ref()
        .and_then(|c| c.items.clone())
        .unwrap_or_default();
    let all: Vec<CacheBehavior> = ours.into_iter().chain(others).collect();
    live.cache_behaviors = if all.is_empty() {
        None
    } else {
        CacheBehaviors::builder()
            .quantity(all.len() as i32)
            .set_items(Some(all))
            .build()
            .ok()
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
    l.trusted_key_groups = d.trusted_key_groups.clone();
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VodPipeline;
    use crate::aws::cloudfront::diff::{diff, origin_view};
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
            origin_path_prefix: String::new(),
            oac_id: "E1OAC".into(),
            cache_policy_id: policies.then(|| "cp-1".into()),
            response_headers_policy_id: Some("rhp-1".into()),
            trusted_key_group_id: None,
        }
    }

    /// A data endpoint with a path (the emulator's path-style endpoint) puts it before the spec's origin path.
    #[test]
    fn the_endpoint_path_goes_before_the_origin_path() {
        let p = spec("mediastore.toml", |t| t);
        let mut r = resolved(true);
        r.origin_domain = "127.0.0.1".into();
        r.origin_path_prefix = "/_mediastore/abc.data.mediastore.us-east-1.localhost".into();
        let c = desired_config(&p, &r).unwrap();
        let o = &c.origins.as_ref().unwrap().items[0];
        assert_eq!(o.domain_name, "127.0.0.1");
        assert_eq!(
            o.origin_path.as_deref(),
            Some("/_mediastore/abc.data.mediastore.us-east-1.localhost/vod")
        );
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
