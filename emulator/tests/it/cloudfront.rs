//! CloudFront control plane, driven with the official aws-sdk-cloudfront.
#![allow(deprecated)] // ForwardedValues and the legacy TTLs are deprecated in the model but still served by CloudFront.

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::ProvideErrorMetadata;
use aws_sdk_cloudfront::types::*;
use std::time::Duration;
use vod_emulator::{Emulator, EmulatorHandle};

const DEPLOY: Duration = Duration::from_millis(1000);
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const USE_ORIGIN_CC: &str = "83da9c7e-98b4-4e11-a168-04f0df8e2c65";
const MEDIAPACKAGE: &str = "08627262-05a9-4f76-9ded-b50ca2e3a84f";
const CORS_S3_ORIGIN: &str = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf";
const CORS_CUSTOM_ORIGIN: &str = "59781a5b-3903-41f3-afcb-af62929ccde1";
const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
const ALL_VIEWER_EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
const CORS_WITH_PREFLIGHT: &str = "5cc3b908-e619-4b99-88e5-2cf7f45965bd";
const SIMPLE_CORS: &str = "60669652-455b-4ae9-85a4-c4c02393f86c";
const CORS_AND_SECURITY: &str = "e61eb60c-9c35-4d20-a928-2b84e02af89c";
const SECURITY_HEADERS: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";

async fn start() -> (EmulatorHandle, Client) {
    let emu = Emulator::builder()
        .deploy_delay(DEPLOY)
        .start()
        .await
        .expect("emulator starts");
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    (emu, Client::new(&conf))
}

fn code<E: ProvideErrorMetadata>(e: E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

fn s3_origin(id: &str, domain: &str, oac: Option<&str>) -> Origin {
    let mut b = Origin::builder()
        .id(id)
        .domain_name(domain)
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build());
    if let Some(oac) = oac {
        b = b.origin_access_control_id(oac);
    }
    b.build().unwrap()
}

fn origins(items: Vec<Origin>) -> Origins {
    Origins::builder()
        .quantity(items.len() as i32)
        .set_items(Some(items))
        .build()
        .unwrap()
}

fn behavior_with_policy(target: &str, cache_policy: &str) -> DefaultCacheBehavior {
    DefaultCacheBehavior::builder()
        .target_origin_id(target)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .cache_policy_id(cache_policy)
        .build()
        .unwrap()
}

fn config(caller: &str, origin: Origin, behavior: DefaultCacheBehavior) -> DistributionConfig {
    DistributionConfig::builder()
        .caller_reference(caller)
        .origins(origins(vec![origin]))
        .default_cache_behavior(behavior)
        .comment("test distribution")
        .enabled(true)
        .build()
        .unwrap()
}

fn simple_config(caller: &str) -> DistributionConfig {
    config(
        caller,
        s3_origin("o1", "media.s3.us-east-1.amazonaws.com", None),
        behavior_with_policy("o1", CACHING_OPTIMIZED),
    )
}

/// A legacy (ForwardedValues) config with many optional parts set, to check they come back as sent.
fn rich_config(caller: &str) -> DistributionConfig {
    let origin = Origin::builder()
        .id("ms")
        .domain_name("abcdefghijkl.data.mediastore.us-east-1.localhost")
        .origin_path("/vod")
        .custom_headers(
            CustomHeaders::builder()
                .quantity(1)
                .items(
                    OriginCustomHeader::builder()
                        .header_name("X-Origin-Secret")
                        .header_value("s3cr3t")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id("ms")
        .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
        .forwarded_values(
            ForwardedValues::builder()
                .query_string(false)
                .cookies(
                    CookiePreference::builder()
                        .forward(ItemSelection::None)
                        .build()
                        .unwrap(),
                )
                .headers(
                    Headers::builder()
                        .quantity(1)
                        .items("Origin")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .min_ttl(0)
        .default_ttl(60)
        .max_ttl(600)
        .build()
        .unwrap();
    DistributionConfig::builder()
        .caller_reference(caller)
        .aliases(
            Aliases::builder()
                .quantity(1)
                .items(format!("{caller}.video.example"))
                .build()
                .unwrap(),
        )
        .default_root_object("index.html")
        .origins(origins(vec![origin]))
        .default_cache_behavior(behavior)
        .custom_error_responses(
            CustomErrorResponses::builder()
                .quantity(1)
                .items(
                    CustomErrorResponse::builder()
                        .error_code(404)
                        .error_caching_min_ttl(5)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .comment("rich")
        .logging(
            LoggingConfig::builder()
                .enabled(true)
                .include_cookies(false)
                .bucket("logs.s3.amazonaws.com")
                .prefix("cf/")
                .build(),
        )
        .price_class(PriceClass::PriceClass100)
        .enabled(true)
        .viewer_certificate(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(true)
                .build(),
        )
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(false)
        .build()
        .unwrap()
}

async fn wait_deployed(cf: &Client, id: &str) {
    for _ in 0..100 {
        let d = cf.get_distribution().id(id).send().await.unwrap();
        if d.distribution().unwrap().status() == "Deployed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("distribution {id} never deployed");
}

#[tokio::test]
async fn managed_policies_are_listed_with_real_ids_and_are_read_only() {
    let (_emu, cf) = start().await;
    let list = cf
        .list_cache_policies()
        .r#type(CachePolicyType::Managed)
        .send()
        .await
        .unwrap();
    let list = list.cache_policy_list().unwrap();
    let ids: Vec<&str> = list
        .items()
        .iter()
        .map(|s| s.cache_policy().unwrap().id())
        .collect();
    for id in [
        CACHING_OPTIMIZED,
        CACHING_DISABLED,
        USE_ORIGIN_CC,
        MEDIAPACKAGE,
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(
        list.items()
            .iter()
            .all(|s| s.r#type() == &CachePolicyType::Managed)
    );
    let custom = cf
        .list_cache_policies()
        .r#type(CachePolicyType::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(custom.cache_policy_list().unwrap().quantity(), 0);

    let opt = cf
        .get_cache_policy()
        .id(CACHING_OPTIMIZED)
        .send()
        .await
        .unwrap();
    let cfg = opt.cache_policy().unwrap().cache_policy_config().unwrap();
    assert_eq!(cfg.name(), "Managed-CachingOptimized");
    assert_eq!(
        (cfg.min_ttl(), cfg.default_ttl(), cfg.max_ttl()),
        (1, Some(86400), Some(31536000))
    );
    assert!(opt.e_tag().is_some());
    let mp = cf
        .get_cache_policy_config()
        .id(MEDIAPACKAGE)
        .send()
        .await
        .unwrap();
    let params = mp
        .cache_policy_config()
        .unwrap()
        .parameters_in_cache_key_and_forwarded_to_origin()
        .unwrap();
    assert_eq!(
        params.headers_config().unwrap().headers().unwrap().items(),
        ["Origin"]
    );

    let orp = cf
        .list_origin_request_policies()
        .r#type(OriginRequestPolicyType::Managed)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = orp
        .origin_request_policy_list()
        .unwrap()
        .items()
        .iter()
        .map(|s| s.origin_request_policy().unwrap().id())
        .collect();
    for id in [
        CORS_S3_ORIGIN,
        CORS_CUSTOM_ORIGIN,
        ALL_VIEWER,
        ALL_VIEWER_EXCEPT_HOST,
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let rhp = cf
        .list_response_headers_policies()
        .r#type(ResponseHeadersPolicyType::Managed)
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = rhp
        .response_headers_policy_list()
        .unwrap()
        .items()
        .iter()
        .map(|s| s.response_headers_policy().unwrap().id())
        .collect();
    for id in [
        CORS_WITH_PREFLIGHT,
        SIMPLE_CORS,
        CORS_AND_SECURITY,
        SECURITY_HEADERS,
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
    let simple = cf
        .get_response_headers_policy()
        .id(SIMPLE_CORS)
        .send()
        .await
        .unwrap();
    let cors = simple
        .response_headers_policy()
        .unwrap()
        .response_headers_policy_config()
        .unwrap()
        .cors_config()
        .unwrap();
    assert_eq!(cors.access_control_allow_origins().unwrap().items(), ["*"]);

    // Managed policies cannot be changed or deleted.
    let etag = opt.e_tag().unwrap();
    let e = cf
        .update_cache_policy()
        .id(CACHING_OPTIMIZED)
        .if_match(etag)
        .cache_policy_config(cfg.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "IllegalUpdate");
    let e = cf
        .delete_cache_policy()
        .id(CACHING_OPTIMIZED)
        .if_match(etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "IllegalDelete");
    let e = cf
        .get_cache_policy()
        .id("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchCachePolicy");
}

fn cache_policy_config(name: &str, min: i64, default: i64, max: i64) -> CachePolicyConfig {
    CachePolicyConfig::builder()
        .name(name)
        .comment("custom")
        .min_ttl(min)
        .default_ttl(default)
        .max_ttl(max)
        .parameters_in_cache_key_and_forwarded_to_origin(
            ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(true)
                .headers_config(
                    CachePolicyHeadersConfig::builder()
                        .header_behavior(CachePolicyHeaderBehavior::Whitelist)
                        .headers(
                            Headers::builder()
                                .quantity(1)
                                .items("Origin")
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    CachePolicyCookiesConfig::builder()
                        .cookie_behavior(CachePolicyCookieBehavior::None)
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(CachePolicyQueryStringBehavior::None)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn cache_policy_crud_etags_and_in_use() {
    let (_emu, cf) = start().await;
    let created = cf
        .create_cache_policy()
        .cache_policy_config(cache_policy_config("hls", 0, 5, 60))
        .send()
        .await
        .unwrap();
    let id = created.cache_policy().unwrap().id().to_string();
    let etag1 = created.e_tag().unwrap().to_string();
    assert!(
        created
            .location()
            .unwrap()
            .ends_with(&format!("/2020-05-31/cache-policy/{id}"))
    );
    let e = cf
        .create_cache_policy()
        .cache_policy_config(cache_policy_config("hls", 0, 5, 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "CachePolicyAlreadyExists");
    let e = cf
        .create_cache_policy()
        .cache_policy_config(cache_policy_config("bad-ttl", 10, 5, 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidArgument");
    let e = cf
        .create_cache_policy()
        .cache_policy_config(cache_policy_config("keyed-but-uncached", 0, 0, 0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(e),
        "InvalidArgument",
        "MaxTTL 0 with Origin in the cache key"
    );

    let got = cf.get_cache_policy_config().id(&id).send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag1.as_str()));
    let cfg = got.cache_policy_config().unwrap();
    assert_eq!(cfg.default_ttl(), Some(5));
    assert_eq!(
        cfg.parameters_in_cache_key_and_forwarded_to_origin()
            .unwrap()
            .headers_config()
            .unwrap()
            .headers()
            .unwrap()
            .items(),
        ["Origin"]
    );

    let e = cf
        .update_cache_policy()
        .id(&id)
        .cache_policy_config(cache_policy_config("hls", 0, 6, 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidIfMatchVersion");
    let e = cf
        .update_cache_policy()
        .id(&id)
        .if_match("EWRONG")
        .cache_policy_config(cache_policy_config("hls", 0, 6, 60))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PreconditionFailed");
    let updated = cf
        .update_cache_policy()
        .id(&id)
        .if_match(&etag1)
        .cache_policy_config(cache_policy_config("hls", 0, 6, 60))
        .send()
        .await
        .unwrap();
    let etag2 = updated.e_tag().unwrap().to_string();
    assert_ne!(etag1, etag2);
    assert_eq!(
        updated
            .cache_policy()
            .unwrap()
            .cache_policy_config()
            .unwrap()
            .default_ttl(),
        Some(6)
    );

    let custom = cf
        .list_cache_policies()
        .r#type(CachePolicyType::Custom)
        .send()
        .await
        .unwrap();
    let custom = custom.cache_policy_list().unwrap();
    assert_eq!(custom.quantity(), 1);
    assert_eq!(custom.items()[0].r#type(), &CachePolicyType::Custom);

    // In use by a distribution: refused.
    let d = cf
        .create_distribution()
        .distribution_config(config(
            "uses-policy",
            s3_origin("o1", "b.s3.us-east-1.amazonaws.com", None),
            behavior_with_policy("o1", &id),
        ))
        .send()
        .await
        .unwrap();
    let e = cf
        .delete_cache_policy()
        .id(&id)
        .if_match(&etag2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "CachePolicyInUse");
    let users = cf
        .list_distributions_by_cache_policy_id()
        .cache_policy_id(&id)
        .send()
        .await
        .unwrap();
    let users = users.distribution_id_list().unwrap();
    assert_eq!(users.items(), [d.distribution().unwrap().id()]);
    let e = cf
        .list_distributions_by_cache_policy_id()
        .cache_policy_id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchCachePolicy");
    // Remove the distribution, then the policy goes.
    let dist = d.distribution().unwrap();
    let mut dc = dist.distribution_config().unwrap().clone();
    dc.enabled = false;
    let up = cf
        .update_distribution()
        .id(dist.id())
        .if_match(d.e_tag().unwrap())
        .distribution_config(dc)
        .send()
        .await
        .unwrap();
    wait_deployed(&cf, dist.id()).await;
    cf.delete_distribution()
        .id(dist.id())
        .if_match(up.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    let e = cf.delete_cache_policy().id(&id).send().await.unwrap_err();
    assert_eq!(code(e), "InvalidIfMatchVersion");
    cf.delete_cache_policy()
        .id(&id)
        .if_match(&etag2)
        .send()
        .await
        .unwrap();
    let e = cf.get_cache_policy().id(&id).send().await.unwrap_err();
    assert_eq!(code(e), "NoSuchCachePolicy");
}

#[tokio::test]
async fn origin_request_and_response_headers_policies() {
    let (_emu, cf) = start().await;
    let orp_cfg = |name: &str| {
        OriginRequestPolicyConfig::builder()
            .name(name)
            .headers_config(
                OriginRequestPolicyHeadersConfig::builder()
                    .header_behavior(OriginRequestPolicyHeaderBehavior::Whitelist)
                    .headers(
                        Headers::builder()
                            .quantity(2)
                            .items("Origin")
                            .items("Access-Control-Request-Method")
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .cookies_config(
                OriginRequestPolicyCookiesConfig::builder()
                    .cookie_behavior(OriginRequestPolicyCookieBehavior::None)
                    .build()
                    .unwrap(),
            )
            .query_strings_config(
                OriginRequestPolicyQueryStringsConfig::builder()
                    .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    let orp = cf
        .create_origin_request_policy()
        .origin_request_policy_config(orp_cfg("fwd-origin"))
        .send()
        .await
        .unwrap();
    let orp_id = orp.origin_request_policy().unwrap().id().to_string();
    let e = cf
        .create_origin_request_policy()
        .origin_request_policy_config(orp_cfg("fwd-origin"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "OriginRequestPolicyAlreadyExists");
    let got = cf
        .get_origin_request_policy()
        .id(&orp_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.origin_request_policy()
            .unwrap()
            .origin_request_policy_config()
            .unwrap()
            .headers_config()
            .unwrap()
            .headers()
            .unwrap()
            .quantity(),
        2
    );

    let rhp_cfg = |name: &str, origins: &[&str]| {
        let mut o = ResponseHeadersPolicyAccessControlAllowOrigins::builder()
            .quantity(origins.len() as i32);
        for x in origins {
            o = o.items(*x);
        }
        ResponseHeadersPolicyConfig::builder()
            .name(name)
            .cors_config(
                ResponseHeadersPolicyCorsConfig::builder()
                    .access_control_allow_origins(o.build().unwrap())
                    .access_control_allow_headers(
                        ResponseHeadersPolicyAccessControlAllowHeaders::builder()
                            .quantity(1)
                            .items("*")
                            .build()
                            .unwrap(),
                    )
                    .access_control_allow_methods(
                        ResponseHeadersPolicyAccessControlAllowMethods::builder()
                            .quantity(2)
                            .items(ResponseHeadersPolicyAccessControlAllowMethodsValues::Get)
                            .items(ResponseHeadersPolicyAccessControlAllowMethodsValues::Head)
                            .build()
                            .unwrap(),
                    )
                    .access_control_allow_credentials(false)
                    .access_control_max_age_sec(600)
                    .origin_override(true)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    let rhp = cf
        .create_response_headers_policy()
        .response_headers_policy_config(rhp_cfg("cors", &["https://app.example"]))
        .send()
        .await
        .unwrap();
    let rhp_id = rhp.response_headers_policy().unwrap().id().to_string();
    let etag = rhp.e_tag().unwrap().to_string();
    let e = cf
        .create_response_headers_policy()
        .response_headers_policy_config(rhp_cfg("cors", &["*"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "ResponseHeadersPolicyAlreadyExists");
    let up = cf
        .update_response_headers_policy()
        .id(&rhp_id)
        .if_match(&etag)
        .response_headers_policy_config(rhp_cfg(
            "cors",
            &["https://app.example", "https://b.example"],
        ))
        .send()
        .await
        .unwrap();
    assert_ne!(up.e_tag().unwrap(), etag);
    let cfg = cf
        .get_response_headers_policy_config()
        .id(&rhp_id)
        .send()
        .await
        .unwrap();
    let cors = cfg
        .response_headers_policy_config()
        .unwrap()
        .cors_config()
        .unwrap();
    assert_eq!(cors.access_control_allow_origins().unwrap().quantity(), 2);
    assert_eq!(cors.access_control_max_age_sec(), Some(600));

    // Referenced by a distribution: both refuse deletion.
    let mut b = behavior_with_policy("o1", CACHING_DISABLED);
    b.origin_request_policy_id = Some(orp_id.clone());
    b.response_headers_policy_id = Some(rhp_id.clone());
    cf.create_distribution()
        .distribution_config(config(
            "policies",
            s3_origin("o1", "b.s3.amazonaws.com", None),
            b,
        ))
        .send()
        .await
        .unwrap();
    let e = cf
        .delete_origin_request_policy()
        .id(&orp_id)
        .if_match(orp.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "OriginRequestPolicyInUse");
    let e = cf
        .delete_response_headers_policy()
        .id(&rhp_id)
        .if_match(up.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "ResponseHeadersPolicyInUse");
    let e = cf
        .get_origin_request_policy()
        .id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchOriginRequestPolicy");
    let e = cf
        .get_response_headers_policy()
        .id("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchResponseHeadersPolicy");
}

fn oac_config(name: &str, ty: OriginAccessControlOriginTypes) -> OriginAccessControlConfig {
    OriginAccessControlConfig::builder()
        .name(name)
        .description("oac")
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(ty)
        .build()
        .unwrap()
}

#[tokio::test]
async fn origin_access_controls() {
    let (_emu, cf) = start().await;
    let s3 = cf
        .create_origin_access_control()
        .origin_access_control_config(oac_config("s3-oac", OriginAccessControlOriginTypes::S3))
        .send()
        .await
        .unwrap();
    let s3_id = s3.origin_access_control().unwrap().id().to_string();
    assert!(s3_id.starts_with('E') && s3_id.len() == 14, "{s3_id}");
    let ms = cf
        .create_origin_access_control()
        .origin_access_control_config(oac_config(
            "ms-oac",
            OriginAccessControlOriginTypes::Mediastore,
        ))
        .send()
        .await
        .unwrap();
    let ms_id = ms.origin_access_control().unwrap().id().to_string();
    let e = cf
        .create_origin_access_control()
        .origin_access_control_config(oac_config("s3-oac", OriginAccessControlOriginTypes::S3))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "OriginAccessControlAlreadyExists");

    let list = cf.list_origin_access_controls().send().await.unwrap();
    let list = list.origin_access_control_list().unwrap();
    assert_eq!(list.quantity(), 2);
    assert!(!list.is_truncated());
    assert!(list.items().iter().any(|s| s.id() == ms_id
        && s.origin_access_control_origin_type() == &OriginAccessControlOriginTypes::Mediastore));

    let got = cf
        .get_origin_access_control_config()
        .id(&s3_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.origin_access_control_config()
            .unwrap()
            .signing_behavior(),
        &OriginAccessControlSigningBehaviors::Always
    );
    let mut changed = oac_config("s3-oac", OriginAccessControlOriginTypes::S3);
    changed.signing_behavior = OriginAccessControlSigningBehaviors::NoOverride;
    let e = cf
        .update_origin_access_control()
        .id(&s3_id)
        .if_match("EBAD")
        .origin_access_control_config(changed.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PreconditionFailed");
    let up = cf
        .update_origin_access_control()
        .id(&s3_id)
        .if_match(s3.e_tag().unwrap())
        .origin_access_control_config(changed)
        .send()
        .await
        .unwrap();
    assert_ne!(up.e_tag(), s3.e_tag());

    // A MediaStore OAC on an S3 domain is refused; an unknown OAC too.
    let e = cf
        .create_distribution()
        .distribution_config(config(
            "wrong-oac",
            s3_origin("o1", "b.s3.us-east-1.amazonaws.com", Some(&ms_id)),
            behavior_with_policy("o1", CACHING_OPTIMIZED),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidDomainNameForOriginAccessControl");
    let e = cf
        .create_distribution()
        .distribution_config(config(
            "no-oac",
            s3_origin("o1", "b.s3.us-east-1.amazonaws.com", Some("EDOESNOTEXIST1")),
            behavior_with_policy("o1", CACHING_OPTIMIZED),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidOriginAccessControl");

    cf.create_distribution()
        .distribution_config(config(
            "with-oac",
            s3_origin("o1", "b.s3.us-east-1.amazonaws.com", Some(&s3_id)),
            behavior_with_policy("o1", CACHING_OPTIMIZED),
        ))
        .send()
        .await
        .unwrap();
    let e = cf
        .delete_origin_access_control()
        .id(&s3_id)
        .if_match(up.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "OriginAccessControlInUse");
    cf.delete_origin_access_control()
        .id(&ms_id)
        .if_match(ms.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    let e = cf
        .get_origin_access_control()
        .id(&ms_id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchOriginAccessControl");
}

#[tokio::test]
async fn distribution_lifecycle_etags_and_deploy() {
    let (emu, cf) = start().await;
    let created = cf
        .create_distribution()
        .distribution_config(rich_config("life"))
        .send()
        .await
        .unwrap();
    let d = created.distribution().unwrap();
    let id = d.id().to_string();
    assert!(
        id.starts_with('E')
            && id.len() == 14
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        d.arn(),
        format!("arn:aws:cloudfront::123456789012:distribution/{id}")
    );
    assert_eq!(d.status(), "InProgress");
    let domain = d.domain_name();
    let (label, port) = domain
        .split_once(".cloudfront.localhost:")
        .expect("domain has the emulator port");
    assert_eq!(port, emu.port().to_string());
    assert!(
        label.starts_with('d')
            && label.len() == 14
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{label}"
    );
    assert!(
        created
            .location()
            .unwrap()
            .ends_with(&format!("/2020-05-31/distribution/{id}"))
    );
    let etag1 = created.e_tag().unwrap().to_string();
    assert_eq!(d.in_progress_invalidation_batches(), 0);

    // The config comes back as sent.
    let got = cf.get_distribution_config().id(&id).send().await.unwrap();
    assert_eq!(got.e_tag(), Some(etag1.as_str()));
    let c = got.distribution_config().unwrap();
    assert_eq!(c.comment(), "rich");
    assert_eq!(c.default_root_object(), Some("index.html"));
    assert_eq!(c.aliases().unwrap().items(), ["life.video.example"]);
    let o = &c.origins().unwrap().items()[0];
    assert_eq!(o.origin_path(), Some("/vod"));
    let h = &o.custom_headers().unwrap().items()[0];
    assert_eq!(
        (h.header_name(), h.header_value()),
        ("X-Origin-Secret", "s3cr3t")
    );
    assert_eq!(
        o.custom_origin_config().unwrap().origin_protocol_policy(),
        &OriginProtocolPolicy::HttpsOnly
    );
    let b = c.default_cache_behavior().unwrap();
    assert_eq!(
        b.forwarded_values().unwrap().headers().unwrap().items(),
        ["Origin"]
    );
    assert_eq!(
        (b.min_ttl(), b.default_ttl(), b.max_ttl()),
        (Some(0), Some(60), Some(600))
    );
    assert_eq!(
        c.custom_error_responses().unwrap().items()[0].error_caching_min_ttl(),
        Some(5)
    );
    assert_eq!(c.logging().unwrap().prefix(), "cf/");
    assert_eq!(c.price_class(), Some(&PriceClass::PriceClass100));
    assert_eq!(c.http_version(), Some(&HttpVersion::Http2and3));
    assert_eq!(c.is_ipv6_enabled(), Some(false));
    // Defaults CloudFront fills in.
    assert_eq!(o.connection_attempts(), Some(3));
    assert_eq!(o.connection_timeout(), Some(10));

    let full = cf.get_distribution().id(&id).send().await.unwrap();
    assert_eq!(full.e_tag(), Some(etag1.as_str()));
    wait_deployed(&cf, &id).await;

    // Updates need the current ETag.
    let mut cfg = c.clone();
    cfg.comment = "changed".into();
    let e = cf
        .update_distribution()
        .id(&id)
        .distribution_config(cfg.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidIfMatchVersion");
    let e = cf
        .update_distribution()
        .id(&id)
        .if_match("EWRONGETAG1234")
        .distribution_config(cfg.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PreconditionFailed");
    let up = cf
        .update_distribution()
        .id(&id)
        .if_match(&etag1)
        .distribution_config(cfg.clone())
        .send()
        .await
        .unwrap();
    let etag2 = up.e_tag().unwrap().to_string();
    assert_ne!(etag1, etag2);
    assert_eq!(up.distribution().unwrap().status(), "InProgress");
    assert_eq!(
        up.distribution()
            .unwrap()
            .distribution_config()
            .unwrap()
            .comment(),
        "changed"
    );
    let e = cf
        .update_distribution()
        .id(&id)
        .if_match(&etag1)
        .distribution_config(cfg.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PreconditionFailed", "the old ETag is stale");
    let mut other_ref = cfg.clone();
    other_ref.caller_reference = "another".into();
    let e = cf
        .update_distribution()
        .id(&id)
        .if_match(&etag2)
        .distribution_config(other_ref)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "IllegalUpdate");

    // Delete: refused while enabled, and while the disabling is still deploying.
    let e = cf
        .delete_distribution()
        .id(&id)
        .if_match(&etag2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "DistributionNotDisabled");
    let e = cf.delete_distribution().id(&id).send().await.unwrap_err();
    assert_eq!(code(e), "InvalidIfMatchVersion");
    cfg.enabled = false;
    let off = cf
        .update_distribution()
        .id(&id)
        .if_match(&etag2)
        .distribution_config(cfg)
        .send()
        .await
        .unwrap();
    let etag3 = off.e_tag().unwrap().to_string();
    let e = cf
        .delete_distribution()
        .id(&id)
        .if_match(&etag3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "DistributionNotDisabled", "still InProgress");
    wait_deployed(&cf, &id).await;
    let e = cf
        .delete_distribution()
        .id(&id)
        .if_match(&etag2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PreconditionFailed");
    cf.delete_distribution()
        .id(&id)
        .if_match(&etag3)
        .send()
        .await
        .unwrap();
    let e = cf.get_distribution().id(&id).send().await.unwrap_err();
    assert_eq!(code(e), "NoSuchDistribution");
    let e = cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchDistribution");
}

#[tokio::test]
async fn caller_reference_reuse_is_refused() {
    let (_emu, cf) = start().await;
    cf.create_distribution()
        .distribution_config(simple_config("same-ref"))
        .send()
        .await
        .unwrap();
    let e = cf
        .create_distribution()
        .distribution_config(simple_config("same-ref"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "DistributionAlreadyExists");
    let list = cf.list_distributions().send().await.unwrap();
    assert_eq!(list.distribution_list().unwrap().quantity(), 1);
}

#[tokio::test]
async fn distribution_validation_errors() {
    let (_emu, cf) = start().await;
    let origin = || s3_origin("o1", "b.s3.us-east-1.amazonaws.com", None);
    let create = |c: DistributionConfig| cf.create_distribution().distribution_config(c).send();

    let mut legacy = rich_config("ttl");
    let b = legacy.default_cache_behavior.as_mut().unwrap();
    b.min_ttl = Some(100);
    b.default_ttl = Some(10);
    assert_eq!(code(create(legacy).await.unwrap_err()), "InvalidTTLOrder");

    assert_eq!(
        code(
            create(config(
                "cp",
                origin(),
                behavior_with_policy("o1", "11111111-1111-1111-1111-111111111111")
            ))
            .await
            .unwrap_err()
        ),
        "NoSuchCachePolicy"
    );

    let mut b = behavior_with_policy("o1", CACHING_OPTIMIZED);
    b.origin_request_policy_id = Some("nope".into());
    assert_eq!(
        code(create(config("orp", origin(), b)).await.unwrap_err()),
        "NoSuchOriginRequestPolicy"
    );
    let mut b = behavior_with_policy("o1", CACHING_OPTIMIZED);
    b.response_headers_policy_id = Some("nope".into());
    assert_eq!(
        code(create(config("rhp", origin(), b)).await.unwrap_err()),
        "NoSuchResponseHeadersPolicy"
    );

    assert_eq!(
        code(
            create(config(
                "tgt",
                origin(),
                behavior_with_policy("missing", CACHING_OPTIMIZED)
            ))
            .await
            .unwrap_err()
        ),
        "NoSuchOrigin"
    );

    let mut bad_header = rich_config("hdr");
    bad_header.origins.as_mut().unwrap().items[0]
        .custom_headers
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .header_name = "Host".into();
    assert_eq!(
        code(create(bad_header).await.unwrap_err()),
        "InvalidArgument"
    );
    let mut amz_header = rich_config("hdr2");
    amz_header.origins.as_mut().unwrap().items[0]
        .custom_headers
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .header_name = "X-Amz-Date".into();
    assert_eq!(
        code(create(amz_header).await.unwrap_err()),
        "InvalidArgument"
    );

    let mut inconsistent = simple_config("qty");
    inconsistent.origins.as_mut().unwrap().quantity = 2;
    assert_eq!(
        code(create(inconsistent).await.unwrap_err()),
        "InconsistentQuantities"
    );

    let mut both = behavior_with_policy("o1", CACHING_OPTIMIZED);
    both.min_ttl = Some(0);
    assert_eq!(
        code(create(config("both", origin(), both)).await.unwrap_err()),
        "InvalidArgument"
    );

    let mut err_code = rich_config("errcode");
    err_code
        .custom_error_responses
        .as_mut()
        .unwrap()
        .items
        .as_mut()
        .unwrap()[0]
        .error_code = 418;
    assert_eq!(
        code(create(err_code).await.unwrap_err()),
        "InvalidErrorCode"
    );

    let mut root = simple_config("root");
    root.default_root_object = Some("/index.html".into());
    assert_eq!(
        code(create(root).await.unwrap_err()),
        "InvalidDefaultRootObject"
    );

    create(rich_config("alias")).await.unwrap();
    let mut dup_alias = rich_config("alias2");
    dup_alias.aliases = Some(
        Aliases::builder()
            .quantity(1)
            .items("alias.video.example")
            .build()
            .unwrap(),
    );
    assert_eq!(
        code(create(dup_alias).await.unwrap_err()),
        "CNAMEAlreadyExists"
    );
}

#[tokio::test]
async fn list_distributions_paginates() {
    let (_emu, cf) = start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let d = cf
            .create_distribution()
            .distribution_config(simple_config(&format!("page-{i}")))
            .send()
            .await
            .unwrap();
        ids.push(d.distribution().unwrap().id().to_string());
    }
    let p1 = cf.list_distributions().max_items(2).send().await.unwrap();
    let l1 = p1.distribution_list().unwrap();
    assert!(l1.is_truncated());
    assert_eq!(l1.quantity(), 2);
    assert_eq!(l1.max_items(), 2);
    let got: Vec<&str> = l1.items().iter().map(|s| s.id()).collect();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    let s = &l1.items()[0];
    assert_eq!(s.comment(), "test distribution");
    assert!(s.enabled());
    assert!(s.domain_name().contains(".cloudfront.localhost:"));
    assert_eq!(
        s.default_cache_behavior().unwrap().cache_policy_id(),
        Some(CACHING_OPTIMIZED)
    );
    let next = l1.next_marker().unwrap().to_string();
    let p2 = cf
        .list_distributions()
        .marker(next)
        .max_items(2)
        .send()
        .await
        .unwrap();
    let l2 = p2.distribution_list().unwrap();
    assert!(!l2.is_truncated());
    assert_eq!(
        l2.items().iter().map(|s| s.id()).collect::<Vec<_>>(),
        [ids[2].as_str()]
    );
    assert!(l2.next_marker().is_none());
}

#[tokio::test]
async fn invalidations_progress_to_completed() {
    let (_emu, cf) = start().await;
    let d = cf
        .create_distribution()
        .distribution_config(simple_config("inv"))
        .send()
        .await
        .unwrap();
    let id = d.distribution().unwrap().id().to_string();
    let batch = |r: &str, paths: &[&str]| {
        let mut p = Paths::builder().quantity(paths.len() as i32);
        for x in paths {
            p = p.items(*x);
        }
        InvalidationBatch::builder()
            .paths(p.build().unwrap())
            .caller_reference(r)
            .build()
            .unwrap()
    };
    let inv = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("r1", &["/vod/*", "/index.m3u8"]))
        .send()
        .await
        .unwrap();
    let i = inv.invalidation().unwrap();
    assert_eq!(i.status(), "InProgress");
    assert!(i.id().starts_with('I'));
    assert!(
        inv.location()
            .unwrap()
            .ends_with(&format!("/distribution/{id}/invalidation/{}", i.id()))
    );
    assert_eq!(
        cf.get_distribution()
            .id(&id)
            .send()
            .await
            .unwrap()
            .distribution()
            .unwrap()
            .in_progress_invalidation_batches(),
        1
    );
    // Same caller reference and paths: the same invalidation.
    let again = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("r1", &["/index.m3u8", "/vod/*"]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.invalidation().unwrap().id(), i.id());
    let e = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("r1", &["/other"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidationBatchAlreadyExists");
    let e = cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(batch("r2", &["no-slash"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidArgument");
    let e = cf
        .create_invalidation()
        .distribution_id("ENOSUCHDIST123")
        .invalidation_batch(batch("r3", &["/a"]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchDistribution");

    tokio::time::sleep(DEPLOY + Duration::from_millis(100)).await;
    let got = cf
        .get_invalidation()
        .distribution_id(&id)
        .id(i.id())
        .send()
        .await
        .unwrap();
    assert_eq!(got.invalidation().unwrap().status(), "Completed");
    assert_eq!(
        got.invalidation()
            .unwrap()
            .invalidation_batch()
            .unwrap()
            .paths()
            .unwrap()
            .quantity(),
        2
    );
    let list = cf
        .list_invalidations()
        .distribution_id(&id)
        .send()
        .await
        .unwrap();
    let list = list.invalidation_list().unwrap();
    assert_eq!(list.quantity(), 1);
    assert_eq!(list.items()[0].status(), "Completed");
    let e = cf
        .get_invalidation()
        .distribution_id(&id)
        .id("INOPE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchInvalidation");
}

#[tokio::test]
async fn tags_on_distributions() {
    let (_emu, cf) = start().await;
    let tags = Tags::builder()
        .items(Tag::builder().key("team").value("video").build().unwrap())
        .build();
    let d = cf
        .create_distribution_with_tags()
        .distribution_config_with_tags(
            DistributionConfigWithTags::builder()
                .distribution_config(simple_config("tagged"))
                .tags(tags)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = d.distribution().unwrap().arn().to_string();
    assert!(d.e_tag().is_some());
    let listed = cf
        .list_tags_for_resource()
        .resource(&arn)
        .send()
        .await
        .unwrap();
    let items = listed.tags().unwrap().items();
    assert_eq!(items.len(), 1);
    assert_eq!((items[0].key(), items[0].value()), ("team", Some("video")));

    cf.tag_resource()
        .resource(&arn)
        .tags(
            Tags::builder()
                .items(Tag::builder().key("env").value("test").build().unwrap())
                .items(Tag::builder().key("team").value("media").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let listed = cf
        .list_tags_for_resource()
        .resource(&arn)
        .send()
        .await
        .unwrap();
    let mut kv: Vec<(String, String)> = listed
        .tags()
        .unwrap()
        .items()
        .iter()
        .map(|t| (t.key().to_string(), t.value().unwrap_or("").to_string()))
        .collect();
    kv.sort();
    assert_eq!(
        kv,
        [
            ("env".to_string(), "test".to_string()),
            ("team".to_string(), "media".to_string())
        ]
    );
    cf.untag_resource()
        .resource(&arn)
        .tag_keys(TagKeys::builder().items("team").build())
        .send()
        .await
        .unwrap();
    let listed = cf
        .list_tags_for_resource()
        .resource(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.tags().unwrap().items().len(), 1);
    let e = cf
        .list_tags_for_resource()
        .resource("arn:aws:cloudfront::123456789012:distribution/ENOSUCH12345678")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "NoSuchResource");
    let e = cf
        .list_tags_for_resource()
        .resource("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "InvalidArgument");
}

#[tokio::test]
async fn public_keys_and_key_groups() {
    let (_emu, cf) = start().await;
    // CloudFront takes RSA 2048 or ECDSA P-256 keys: a PEM that is not one is refused.
    let fake = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest\n-----END PUBLIC KEY-----\n";
    for bad in [
        fake.to_owned(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/keys/rsa1024.pub.pem"
        ))
        .unwrap(),
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/keys/ec256.pem"
        ))
        .unwrap(),
    ] {
        let e = cf
            .create_public_key()
            .public_key_config(
                PublicKeyConfig::builder()
                    .caller_reference("bad")
                    .name("bad")
                    .encoded_key(bad)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(e), "InvalidArgument");
    }
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/keys/rsa2048.pub.pem"
    ))
    .unwrap();
    let pem = pem.as_str();
    let pk = cf
        .create_public_key()
        .public_key_config(
            PublicKeyConfig::builder()
                .caller_reference("pk1")
                .name("signer")
                .encoded_key(pem)
                .comment("c")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let pk_id = pk.public_key().unwrap().id().to_string();
    assert_eq!(
        pk.public_key()
            .unwrap()
            .public_key_config()
            .unwrap()
            .encoded_key(),
        pem
    );
    let got = cf.get_public_key().id(&pk_id).send().await.unwrap();
    assert_eq!(
        got.public_key()
            .unwrap()
            .public_key_config()
            .unwrap()
            .name(),
        "signer"
    );
    let list = cf.list_public_keys().send().await.unwrap();
    assert_eq!(list.public_key_list().unwrap().items()[0].id(), pk_id);

    let kg = cf
        .create_key_group()
        .key_group_config(
            KeyGroupConfig::builder()
                .name("signers")
                .items(&pk_id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let kg_id = kg.key_group().unwrap().id().to_string();
    let e = cf
        .create_key_group()
        .key_group_config(
            KeyGroupConfig::builder()
                .name("signers")
                .items(&pk_id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "KeyGroupAlreadyExists");
    let list = cf.list_key_groups().send().await.unwrap();
    assert_eq!(
        list.key_group_list().unwrap().items()[0]
            .key_group()
            .unwrap()
            .key_group_config()
            .unwrap()
            .items(),
        [pk_id.as_str()]
    );
    let e = cf
        .delete_public_key()
        .id(&pk_id)
        .if_match(pk.e_tag().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "PublicKeyInUse");
    cf.delete_key_group()
        .id(&kg_id)
        .if_match(kg.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    let e = cf.get_key_group().id(&kg_id).send().await.unwrap_err();
    assert_eq!(code(e), "NoSuchResource");
    cf.delete_public_key()
        .id(&pk_id)
        .if_match(pk.e_tag().unwrap())
        .send()
        .await
        .unwrap();
    let e = cf.get_public_key().id(&pk_id).send().await.unwrap_err();
    assert_eq!(code(e), "NoSuchPublicKey");

    // At most 5 public keys in a key group (CloudFront's quota).
    let mut ids = Vec::new();
    for i in 0..6 {
        let k = cf
            .create_public_key()
            .public_key_config(
                PublicKeyConfig::builder()
                    .caller_reference(format!("q{i}"))
                    .name(format!("quota-{i}"))
                    .encoded_key(pem)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        ids.push(k.public_key().unwrap().id().to_string());
    }
    let group = |n: usize| {
        KeyGroupConfig::builder()
            .name(format!("quota-{n}"))
            .set_items(Some(ids[..n].to_vec()))
            .build()
            .unwrap()
    };
    let e = cf
        .create_key_group()
        .key_group_config(group(6))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(e), "TooManyPublicKeysInKeyGroup");
    cf.create_key_group()
        .key_group_config(group(5))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn requests_are_logged_with_operation_names() {
    let (emu, cf) = start().await;
    cf.list_distributions().send().await.unwrap();
    let _ = cf.get_distribution().id("ENOPE").send().await;
    let log = emu.requests();
    let ops: Vec<&str> = log
        .iter()
        .filter(|e| e.service == "cloudfront")
        .map(|e| e.operation.as_str())
        .collect();
    assert!(
        ops.contains(&"ListDistributions") && ops.contains(&"GetDistribution"),
        "{ops:?}"
    );
}

/// Realism knobs: `list_delay_ms` keeps a new distribution out of `ListDistributions` for a while
/// (GetDistribution finds it at once), and `requests_per_second` throttles a burst with CloudFront's
/// `Throttling` error while requests within the rate pass.
#[tokio::test]
async fn listing_delay_and_rate_throttling_knobs() {
    let (emu, cf) = start().await;
    emu.set_service_knobs(
        "cloudfront",
        vod_emulator::knobs::ServiceKnobs {
            list_delay_ms: 400,
            ..Default::default()
        },
    )
    .unwrap();
    let created = cf
        .create_distribution()
        .distribution_config(simple_config("late-listed"))
        .send()
        .await
        .unwrap();
    let id = created.distribution().unwrap().id().to_string();
    let listed = |cf: Client| async move {
        cf.list_distributions()
            .send()
            .await
            .unwrap()
            .distribution_list()
            .map(|l| l.quantity())
            .unwrap_or(0)
    };
    assert_eq!(listed(cf.clone()).await, 0, "not listed yet");
    cf.get_distribution()
        .id(&id)
        .send()
        .await
        .expect("found by id at once");
    tokio::time::sleep(std::time::Duration::from_millis(450)).await;
    assert_eq!(listed(cf.clone()).await, 1, "listed after the delay");

    // 2 requests a second per method, with the SDK's retries off: a burst of 6 GETs is throttled.
    emu.set_service_knobs(
        "cloudfront",
        vod_emulator::knobs::ServiceKnobs {
            requests_per_second: 2.0,
            ..Default::default()
        },
    )
    .unwrap();
    let once = Client::from_conf(
        aws_sdk_cloudfront::config::Builder::from(
            &crate::common::sdk_config(&emu.endpoint_url()).await,
        )
        .retry_config(aws_sdk_cloudfront::config::retry::RetryConfig::disabled())
        .build(),
    );
    let mut throttled = 0;
    for _ in 0..6 {
        match once.get_distribution().id(&id).send().await {
            Ok(_) => {}
            Err(e) => {
                assert_eq!(code(e), "Throttling");
                throttled += 1;
            }
        }
    }
    assert!((3..=4).contains(&throttled), "{throttled} of 6 throttled");
    // With the SDK's retries (backoff, up to 10 attempts), the same burst completes.
    let patient = Client::from_conf(
        aws_sdk_cloudfront::config::Builder::from(
            &crate::common::sdk_config(&emu.endpoint_url()).await,
        )
        .retry_config(
            aws_sdk_cloudfront::config::retry::RetryConfig::standard().with_max_attempts(10),
        )
        .build(),
    );
    for _ in 0..6 {
        patient
            .get_distribution()
            .id(&id)
            .send()
            .await
            .expect("retried within the rate");
    }
}
