//! The `cloudfront` section: origin path and custom headers, object and error caching, CORS,
//! aliases and certificate, and the distribution's other settings.

use std::collections::HashSet;

use super::Collector;
use super::origin::mediastore_folder_rule;
use crate::secret::Secret;
use crate::spec::input::{CloudFrontSpec, Input, ObjectCachingMode};
use crate::spec::model::{CloudFront, Origin};
use crate::types::*;

/// Most CORS origins (MediaStore `AllowedOrigins`,
/// <https://docs.aws.amazon.com/mediastore/latest/apireference/API_CorsRule.html>).
const MAX_CORS_ORIGINS: usize = 100;
/// Most alternate domain names per distribution (CloudFront quota).
const MAX_ALIASES: usize = 100;
/// Longest distribution comment (`DistributionConfig.Comment`).
const MAX_COMMENT: usize = 128;

pub(super) fn section(
    c: &mut Collector,
    s: CloudFrontSpec,
    name: Option<&PipelineName>,
    origin: Option<&Origin>,
) -> Option<CloudFront> {
    let before = c.violations.len();
    let comment = match s.comment {
        Some(cm) if cm.chars().count() > MAX_COMMENT => {
            c.push("cloudfront.comment", cm, "a distribution comment is at most 128 characters (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html)");
            String::new()
        }
        Some(cm) => cm,
        None => name
            .map(|n| format!("{n} on-demand video"))
            .unwrap_or_default(),
    };
    let origin_path = c
        .opt("cloudfront.origin_path", s.origin_path)
        .map(Option::unwrap_or_default);
    if let (Some(Origin::MediaStore { .. }), Some(p)) = (origin, origin_path.as_ref()) {
        for seg in p.segments() {
            if let Err(rule) = mediastore_folder_rule(seg) {
                c.push(
                    "cloudfront.origin_path",
                    p.as_str(),
                    format!("with a MediaStore origin, folder {seg:?} {rule}"),
                );
            }
        }
    }

    let headers = custom_headers(c, s.origin_custom_headers);

    let mode = c.opt("cloudfront.object_caching", s.object_caching);
    let min = c.opt("cloudfront.min_ttl", s.min_ttl);
    let default = c.opt("cloudfront.default_ttl", s.default_ttl);
    let max = c.opt("cloudfront.max_ttl", s.max_ttl);
    let object_caching = match (mode, min, default, max) {
        (Some(mode), Some(min), Some(default), Some(max)) => {
            let any_ttl = min.is_some() || default.is_some() || max.is_some();
            match mode.unwrap_or(if any_ttl {
                ObjectCachingMode::Customize
            } else {
                ObjectCachingMode::OriginCacheHeaders
            }) {
                ObjectCachingMode::OriginCacheHeaders => {
                    for (f, v) in [("min_ttl", min), ("default_ttl", default), ("max_ttl", max)] {
                        if let Some(v) = v {
                            c.push(
                                format!("cloudfront.{f}"),
                                v.to_string(),
                                "TTLs are only used with object_caching = \"customize\"; with \"origin-cache-headers\" the origin's Cache-Control decides",
                            );
                        }
                    }
                    Some(ObjectCaching::OriginCacheHeaders)
                }
                ObjectCachingMode::Customize => {
                    let min = min.unwrap_or(Ttl::DEFAULT_MIN);
                    let max = max.unwrap_or(Ttl::DEFAULT_MAX);
                    // CloudFront: when MinTTL is above the 1-day default, DefaultTTL defaults to MinTTL.
                    let default = default.unwrap_or(if min > Ttl::DEFAULT_DEFAULT {
                        min
                    } else {
                        Ttl::DEFAULT_DEFAULT
                    });
                    const PAGE: &str = "(https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html)";
                    if min > default {
                        c.push("cloudfront.min_ttl", min.to_string(), format!("must be at most default_ttl ({default}): CloudFront requires min <= default <= max {PAGE}"));
                    }
                    if default > max {
                        c.push("cloudfront.max_ttl", max.to_string(), format!("must be at least default_ttl ({default}): CloudFront requires min <= default <= max {PAGE}"));
                    }
                    Some(ObjectCaching::Customize { min, default, max })
                }
            }
        }
        _ => None,
    };
    let error_ttl = c
        .opt("cloudfront.error_caching_min_ttl", s.error_caching_min_ttl)
        .map(|t| t.unwrap_or(Ttl::DEFAULT_ERROR_CACHING));

    let mut cors = Vec::new();
    for (i, o) in s.cors_allowed_origins.into_iter().enumerate() {
        let field = format!("cloudfront.cors_allowed_origins[{i}]");
        if let Some(o) = c.get(&field, o) {
            if cors.contains(&o) {
                c.push(field, o.as_str(), "each origin may be listed once");
            } else {
                cors.push(o);
            }
        }
    }
    if cors.len() > MAX_CORS_ORIGINS {
        c.push("cloudfront.cors_allowed_origins", format!("{} origins", cors.len()), "at most 100 allowed origins (https://docs.aws.amazon.com/mediastore/latest/apireference/API_CorsRule.html)");
    }
    if cors.len() > 1 && cors.iter().any(CorsOrigin::is_any) {
        c.push(
            "cloudfront.cors_allowed_origins",
            "*",
            "\"*\" already allows every origin: list it alone",
        );
    }

    let cache_settings = c
        .opt("cloudfront.cache_settings", s.cache_settings)
        .map(Option::unwrap_or_default);
    if let (Some(ObjectCaching::Customize { max, .. }), Some(CacheSettings::Policies)) =
        (&object_caching, &cache_settings)
        && max.secs() == 0
    {
        c.push(
            "cloudfront.max_ttl",
            max.to_string(),
            "a max_ttl of 0 disables caching, and CloudFront then refuses a cache policy that puts headers in the cache key or enables compression, as the pipeline's policy does (the Origin header, for CORS) (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cache-key-understand-cache-policy.html): give max_ttl above 0, or set cache_settings = \"legacy\"",
        );
    }
    let price_class = c
        .opt("cloudfront.price_class", s.price_class)
        .map(Option::unwrap_or_default);
    let vpp = c
        .opt(
            "cloudfront.viewer_protocol_policy",
            s.viewer_protocol_policy,
        )
        .map(Option::unwrap_or_default);
    let http_version = c
        .opt("cloudfront.http_version", s.http_version)
        .map(Option::unwrap_or_default);
    let mut aliases = Vec::new();
    for (i, a) in s.aliases.into_iter().enumerate() {
        let field = format!("cloudfront.aliases[{i}]");
        if let Some(a) = c.get(&field, a) {
            if aliases.contains(&a) {
                c.push(field, a.as_str(), "each alias may be listed once");
            } else {
                aliases.push(a);
            }
        }
    }
    if aliases.len() > MAX_ALIASES {
        c.push("cloudfront.aliases", format!("{} aliases", aliases.len()), "at most 100 alternate domain names per distribution (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html)");
    }
    let cert = c.opt("cloudfront.acm_certificate_arn", s.acm_certificate_arn);
    match (&cert, aliases.is_empty()) {
        (Some(None), false) => c.push(
            "cloudfront.acm_certificate_arn",
            "",
            "alternate domain names need an ACM certificate (in us-east-1) that covers them (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html)",
        ),
        (Some(Some(arn)), true) => c.push("cloudfront.acm_certificate_arn", arn.as_str(), "a certificate is only used with aliases: add the alternate domain names it covers"),
        _ => {}
    }

    if c.violations.len() > before {
        return None;
    }
    Some(CloudFront {
        comment,
        origin_path: origin_path?,
        custom_headers: headers?,
        object_caching: object_caching?,
        error_caching_min_ttl: error_ttl?,
        cors_allowed_origins: cors,
        cache_settings: cache_settings?,
        price_class: price_class?,
        viewer_protocol_policy: vpp?,
        http_version: http_version?,
        aliases,
        acm_certificate_arn: cert?,
        enabled: s.enabled.unwrap_or(true),
        private_content: None,
    })
}

fn custom_headers(c: &mut Collector, given: Vec<(String, Secret)>) -> Option<Vec<CustomHeader>> {
    const LIMITS: &str =
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html";
    let before = c.violations.len();
    let mut out: Vec<CustomHeader> = Vec::new();
    let mut seen = HashSet::new();
    let mut total = 0usize;
    for (name, value) in given {
        let field = format!("cloudfront.origin_custom_headers.{name}");
        total += name.len() + value.len();
        let Some(hn) = c.get::<HeaderName>(&field, Input::Text(name.clone())) else {
            continue;
        };
        if !seen.insert(name.to_ascii_lowercase()) {
            c.push(
                field,
                name,
                "each header may be set once (names compare without regard to case)",
            );
            continue;
        }
        match CustomHeader::new(hn, value) {
            Ok(h) => out.push(h),
            Err(e) => c.invalid(field, e),
        }
    }
    if seen.len() > MAX_CUSTOM_HEADERS {
        c.push(
            "cloudfront.origin_custom_headers",
            format!("{} headers", seen.len()),
            format!("CloudFront allows at most 10 origin custom headers per origin ({LIMITS})"),
        );
    }
    if total > MAX_CUSTOM_HEADERS_TOTAL_LEN {
        c.push(
            "cloudfront.origin_custom_headers",
            format!("{total} characters"),
            format!("the names and values of all origin custom headers together are at most 10240 characters ({LIMITS})"),
        );
    }
    (c.violations.len() == before).then_some(out)
}
