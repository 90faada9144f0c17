//! The policies' pure parts: the configurations a step asks for and their differences.

use aws_sdk_cloudfront::types::{
    CachePolicyCookieBehavior, CachePolicyHeaderBehavior, CachePolicyQueryStringBehavior,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols,
};

use super::cache_policy::*;
use super::oac::*;
use super::response_headers_policy::*;
use crate::VodPipeline;
use crate::plan::{Params, Plan};

fn plan(file: &str) -> Plan {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
    VodPipeline::from_toml_file(format!("{dir}/{file}"))
        .unwrap()
        .plan()
}

#[test]
fn cache_policy_config_and_diff() {
    let plan = plan("mediastore.toml");
    let Params::CachePolicy(p) = &plan.step("cloudfront.cache_policy").unwrap().params else {
        panic!()
    };
    let want = cache_policy_config(p).unwrap();
    // Named after its configuration (issue 16: pipelines with the same settings share it), not
    // after the pipeline; the comment names no pipeline either.
    assert_eq!(want.name, p.name);
    assert!(
        want.name.starts_with("vod-cache-") && want.name.len() == "vod-cache-".len() + 16,
        "{}",
        want.name
    );
    assert!(!want.name.contains("seed-vod"));
    assert_eq!(
        want.comment.as_deref(),
        Some(crate::names::SHARED_POLICY_COMMENT)
    );
    // Another TTL is another configuration, so another policy.
    let mut other = p.clone();
    other.max_ttl = "7d".parse().unwrap();
    other.name = String::new();
    let mut same = p.clone();
    same.name = String::new();
    assert_ne!(
        crate::names::shared_policy_name("cache", &serde_json::to_string(&other).unwrap()),
        crate::names::shared_policy_name("cache", &serde_json::to_string(&same).unwrap())
    );
    assert_eq!(
        crate::names::shared_policy_name("cache", &serde_json::to_string(&same).unwrap()),
        want.name
    );
    assert_eq!(
        (want.min_ttl, want.default_ttl, want.max_ttl),
        (0, Some(86_400), Some(31_536_000))
    );
    let params = want
        .parameters_in_cache_key_and_forwarded_to_origin
        .as_ref()
        .unwrap();
    assert!(
        params.enable_accept_encoding_gzip && params.enable_accept_encoding_brotli == Some(true)
    );
    let h = params.headers_config.as_ref().unwrap();
    assert_eq!(h.header_behavior, CachePolicyHeaderBehavior::Whitelist);
    assert_eq!(h.headers.as_ref().unwrap().quantity, 3);
    assert_eq!(
        params.cookies_config.as_ref().unwrap().cookie_behavior,
        CachePolicyCookieBehavior::None
    );
    assert_eq!(
        params
            .query_strings_config
            .as_ref()
            .unwrap()
            .query_string_behavior,
        CachePolicyQueryStringBehavior::None
    );
    assert!(cache_policy_diff(&want, &want).is_empty());

    // Header names compare without regard to order or case.
    let mut live = want.clone();
    let lp = live
        .parameters_in_cache_key_and_forwarded_to_origin
        .as_mut()
        .unwrap();
    let items = lp
        .headers_config
        .as_mut()
        .unwrap()
        .headers
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap();
    items.reverse();
    items[0] = items[0].to_ascii_lowercase();
    assert!(cache_policy_diff(&live, &want).is_empty());
    live.max_ttl = Some(86_400);
    live.parameters_in_cache_key_and_forwarded_to_origin
        .as_mut()
        .unwrap()
        .enable_accept_encoding_brotli = None;
    assert_eq!(
        cache_policy_diff(&live, &want),
        [
            "max_ttl: 86400 -> 31536000",
            "enable_accept_encoding_brotli: false -> true"
        ]
    );
}

#[test]
fn response_headers_policy_config_and_diff() {
    let plan = plan("mediastore.toml");
    let Params::ResponseHeadersPolicy(p) = &plan
        .step("cloudfront.response_headers_policy")
        .unwrap()
        .params
    else {
        panic!()
    };
    let want = response_headers_policy_config(p).unwrap();
    let cors = want.cors_config.as_ref().unwrap();
    assert_eq!(
        cors.access_control_allow_origins.as_ref().unwrap().items,
        ["https://player.example.com"]
    );
    assert_eq!(
        cors.access_control_allow_methods.as_ref().unwrap().quantity,
        3
    );
    assert_eq!(
        cors.access_control_allow_headers.as_ref().unwrap().items,
        ["*"]
    );
    assert_eq!(
        cors.access_control_expose_headers
            .as_ref()
            .unwrap()
            .quantity,
        3
    );
    assert_eq!(cors.access_control_max_age_sec, Some(3000));
    assert!(!cors.access_control_allow_credentials && cors.origin_override);
    assert!(response_headers_policy_diff(&want, &want).is_empty());

    let mut live = want.clone();
    let c = live.cors_config.as_mut().unwrap();
    c.access_control_allow_origins.as_mut().unwrap().items = vec!["https://old.example.com".into()];
    c.origin_override = false;
    assert_eq!(
        response_headers_policy_diff(&live, &want),
        [
            "cors.access_control_allow_origins: [https://old.example.com] -> [https://player.example.com]",
            "cors.origin_override: false -> true"
        ]
    );
}

#[test]
fn oac_config_and_diff() {
    let plan = plan("s3-origin.toml");
    let Params::OriginAccessControl(p) = &plan
        .step("cloudfront.origin_access_control")
        .unwrap()
        .params
    else {
        panic!()
    };
    let want = oac_config(p, "s3-vod").unwrap();
    assert_eq!(want.name, "s3-vod-s3-oac");
    assert_eq!(
        want.origin_access_control_origin_type,
        OriginAccessControlOriginTypes::S3
    );
    assert_eq!(
        want.signing_behavior,
        OriginAccessControlSigningBehaviors::Always
    );
    assert_eq!(
        want.signing_protocol,
        OriginAccessControlSigningProtocols::Sigv4
    );
    assert!(
        oac_diff(
            &want.origin_access_control_origin_type,
            &want.signing_behavior,
            &want.signing_protocol,
            &want
        )
        .is_empty()
    );
    assert_eq!(
        oac_diff(
            &OriginAccessControlOriginTypes::S3,
            &OriginAccessControlSigningBehaviors::NoOverride,
            &OriginAccessControlSigningProtocols::Sigv4,
            &want
        ),
        ["signing_behavior: no-override -> always"]
    );
}
