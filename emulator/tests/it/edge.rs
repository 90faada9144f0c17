//! The viewer edge: distributions served by Host `dxxxx.cloudfront.localhost:PORT` from MediaStore and S3
//! origins, with caching, origin access policies, CORS, error caching and invalidations.
#![allow(deprecated)] // ForwardedValues and the legacy TTLs are deprecated in the model but still served by CloudFront.

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::*;
use aws_sdk_mediastoredata::primitives::ByteStream;
use std::collections::HashMap;
use std::time::Duration;
use vod_emulator::{Emulator, EmulatorHandle};

const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
const MEDIAPACKAGE: &str = "08627262-05a9-4f76-9ded-b50ca2e3a84f";

pub(crate) struct Env {
    pub(crate) emu: EmulatorHandle,
    pub(crate) cf: Client,
    pub(crate) ms: aws_sdk_mediastore::Client,
}

pub(crate) async fn start() -> Env {
    let emu = Emulator::builder()
        .deploy_delay(Duration::from_millis(100))
        .start()
        .await
        .expect("emulator starts");
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    Env {
        cf: Client::new(&conf),
        ms: aws_sdk_mediastore::Client::new(&conf),
        emu,
    }
}

/// Creates an ACTIVE container; returns (endpoint, endpoint host without port).
async fn container(env: &Env, name: &str) -> (String, String) {
    env.ms
        .create_container()
        .container_name(name)
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let d = env
            .ms
            .describe_container()
            .container_name(name)
            .send()
            .await
            .unwrap();
        let c = d.container().unwrap();
        if c.status().map(|s| s.as_str()) == Some("ACTIVE") {
            // The path-style endpoint ends with the endpoint host, which still addresses the container as a
            // CloudFront origin domain.
            let endpoint = c.endpoint().unwrap().to_string();
            let host = endpoint.rsplit('/').next().unwrap().to_string();
            assert!(
                host.ends_with(".data.mediastore.us-east-1.localhost"),
                "{endpoint}"
            );
            return (endpoint, host);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("container {name} never became ACTIVE");
}

async fn put(
    endpoint: &str,
    path: &str,
    body: &'static [u8],
    content_type: &str,
    cache_control: Option<&str>,
) {
    let data = aws_sdk_mediastoredata::Client::new(&crate::common::sdk_config(endpoint).await);
    let mut req = data
        .put_object()
        .path(path)
        .content_type(content_type)
        .body(ByteStream::from_static(body));
    if let Some(cc) = cache_control {
        req = req.cache_control(cc);
    }
    req.send().await.unwrap();
}

async fn oac(env: &Env, name: &str, ty: OriginAccessControlOriginTypes) -> String {
    let cfg = OriginAccessControlConfig::builder()
        .name(name)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(ty)
        .build()
        .unwrap();
    env.cf
        .create_origin_access_control()
        .origin_access_control_config(cfg)
        .send()
        .await
        .unwrap()
        .origin_access_control()
        .unwrap()
        .id()
        .to_string()
}

struct DistSpec<'a> {
    caller: &'a str,
    domain: &'a str,
    origin_path: &'a str,
    oac: Option<&'a str>,
    s3: bool,
    cache_policy: Option<&'a str>,
    response_headers_policy: Option<&'a str>,
    error_ttl_404: Option<i64>,
    /// (ResponsePagePath, ResponseCode) for 404.
    error_page_404: Option<(&'a str, &'a str)>,
}

impl<'a> DistSpec<'a> {
    fn new(caller: &'a str, domain: &'a str) -> Self {
        DistSpec {
            caller,
            domain,
            origin_path: "",
            oac: None,
            s3: false,
            cache_policy: Some(CACHING_OPTIMIZED),
            response_headers_policy: None,
            error_ttl_404: None,
            error_page_404: None,
        }
    }
}

/// GET, HEAD and OPTIONS allowed; GET and HEAD cached.
pub(crate) fn get_head_options() -> AllowedMethods {
    AllowedMethods::builder()
        .quantity(3)
        .items(Method::Get)
        .items(Method::Head)
        .items(Method::Options)
        .cached_methods(
            CachedMethods::builder()
                .quantity(2)
                .items(Method::Get)
                .items(Method::Head)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// Legacy cache settings: `ForwardedValues` with these headers (no query strings, no cookies), TTLs 0 / 30 / 60.
pub(crate) fn legacy_settings(
    b: aws_sdk_cloudfront::types::builders::DefaultCacheBehaviorBuilder,
    headers: &[&str],
) -> aws_sdk_cloudfront::types::builders::DefaultCacheBehaviorBuilder {
    let mut list = Headers::builder().quantity(headers.len() as i32);
    for h in headers {
        list = list.items(*h);
    }
    b.forwarded_values(
        ForwardedValues::builder()
            .query_string(false)
            .cookies(
                CookiePreference::builder()
                    .forward(ItemSelection::None)
                    .build()
                    .unwrap(),
            )
            .headers(list.build().unwrap())
            .build()
            .unwrap(),
    )
    .min_ttl(0)
    .default_ttl(30)
    .max_ttl(60)
}

/// Creates a distribution; returns (id, arn, domain, etag).
async fn distribution(env: &Env, spec: DistSpec<'_>) -> (String, String, String, String) {
    let mut o = Origin::builder()
        .id("origin")
        .domain_name(spec.domain)
        .origin_path(spec.origin_path);
    o = if spec.s3 {
        o.s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
    } else {
        o.custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .unwrap(),
        )
    };
    if let Some(id) = spec.oac {
        o = o.origin_access_control_id(id);
    }
    let methods = get_head_options();
    let mut b = DefaultCacheBehavior::builder()
        .target_origin_id("origin")
        .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
        .allowed_methods(methods);
    b = match spec.cache_policy {
        Some(p) => b.cache_policy_id(p),
        None => legacy_settings(b, &["Origin"]),
    };
    if let Some(p) = spec.response_headers_policy {
        b = b.response_headers_policy_id(p);
    }
    let mut c = DistributionConfig::builder()
        .caller_reference(spec.caller)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(o.build().unwrap())
                .build()
                .unwrap(),
        )
        .default_cache_behavior(b.build().unwrap())
        .comment(spec.caller)
        .enabled(true);
    if spec.error_ttl_404.is_some() || spec.error_page_404.is_some() {
        let mut r = CustomErrorResponse::builder()
            .error_code(404)
            .set_error_caching_min_ttl(spec.error_ttl_404);
        if let Some((page, code)) = spec.error_page_404 {
            r = r.response_page_path(page).response_code(code);
        }
        c = c.custom_error_responses(
            CustomErrorResponses::builder()
                .quantity(1)
                .items(r.build().unwrap())
                .build()
                .unwrap(),
        );
    }
    let out = env
        .cf
        .create_distribution()
        .distribution_config(c.build().unwrap())
        .send()
        .await
        .unwrap();
    let d = out.distribution().unwrap();
    (
        d.id().to_string(),
        d.arn().to_string(),
        d.domain_name().to_string(),
        out.e_tag().unwrap().to_string(),
    )
}

/// MediaStore's default container policy statement: the account's full access over HTTPS
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/policies-default.html>). A policy without it
/// locks the account's own signed requests out.
fn account_access(container_arn: &str) -> serde_json::Value {
    serde_json::json!({
        "Sid": "MediaStoreFullAccess",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "mediastore:*",
        "Resource": format!("{container_arn}/*"),
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}
    })
}

fn oac_policy(container_arn: &str, dist_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "CloudFrontOAC",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["mediastore:GetObject", "mediastore:DescribeObject"],
            "Resource": format!("{container_arn}/*"),
            "Condition": {
                "StringEquals": {"AWS:SourceArn": dist_arn},
                "Bool": {"aws:SecureTransport": "true"}
            }
        }]
    })
    .to_string()
}

async fn container_arn(env: &Env, name: &str) -> String {
    env.ms
        .describe_container()
        .container_name(name)
        .send()
        .await
        .unwrap()
        .container()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

pub(crate) struct Got {
    pub(crate) status: u16,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Got {
    pub(crate) fn h(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub(crate) fn x_cache(&self) -> &str {
        self.h("x-cache").unwrap_or("<none>")
    }
}

pub(crate) async fn get(
    env: &Env,
    domain: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Got {
    let mut hs = vec![("host", domain)];
    hs.extend_from_slice(headers);
    let (status, headers, body) =
        crate::common::raw_request(env.emu.port(), method, path, &hs, b"")
            .await
            .unwrap();
    Got {
        status,
        headers: headers.into_iter().collect(),
        body,
    }
}

/// A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method: GET`) for `path`.
async fn preflight(env: &Env, domain: &str, path: &str, origin: &str) -> Got {
    get(
        env,
        domain,
        "OPTIONS",
        path,
        &[("origin", origin), ("access-control-request-method", "GET")],
    )
    .await
}

#[tokio::test]
async fn mediastore_origin_with_oac_hit_after_miss() {
    let env = start().await;
    let (endpoint, host) = container(&env, "vod").await;
    put(
        &endpoint,
        "vod/show/index.m3u8",
        b"#EXTM3U\n",
        "application/vnd.apple.mpegurl",
        Some("max-age=60"),
    )
    .await;
    put(
        &endpoint,
        "vod/show/seg0.ts",
        b"0123456789",
        "video/MP2T",
        None,
    )
    .await;
    let oac_id = oac(&env, "ms", OriginAccessControlOriginTypes::Mediastore).await;
    let mut spec = DistSpec::new("ms-oac", &host);
    spec.origin_path = "/vod";
    spec.oac = Some(&oac_id);
    let (_id, arn, domain, _) = distribution(&env, spec).await;
    assert!(domain.ends_with(&format!(".cloudfront.localhost:{}", env.emu.port())));
    env.ms
        .put_container_policy()
        .container_name("vod")
        .policy(oac_policy(&container_arn(&env, "vod").await, &arn))
        .send()
        .await
        .unwrap();

    let first = get(&env, &domain, "GET", "/show/index.m3u8", &[]).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.body, b"#EXTM3U\n");
    assert_eq!(first.x_cache(), "Miss from cloudfront");
    assert_eq!(
        first.h("content-type"),
        Some("application/vnd.apple.mpegurl")
    );
    assert!(first.h("via").unwrap().ends_with("(CloudFront)"));
    assert!(first.h("x-amz-cf-id").is_some());
    assert!(first.h("age").is_none());
    let second = get(&env, &domain, "GET", "/show/index.m3u8", &[]).await;
    assert_eq!(second.x_cache(), "Hit from cloudfront");
    assert_eq!(second.body, b"#EXTM3U\n");
    assert!(second.h("age").is_some());
    let etag = second.h("etag").expect("the origin's ETag").to_string();
    let not_modified = get(
        &env,
        &domain,
        "GET",
        "/show/index.m3u8",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!((not_modified.status, not_modified.body.len()), (304, 0));
    let head = get(&env, &domain, "HEAD", "/show/index.m3u8", &[]).await;
    assert_eq!((head.status, head.x_cache()), (200, "Hit from cloudfront"));
    assert_eq!((head.h("content-length"), head.body.len()), (Some("8"), 0));

    // Ranges pass through (served from the cached object).
    let r = get(
        &env,
        &domain,
        "GET",
        "/show/seg0.ts",
        &[("range", "bytes=2-5")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, b"2345");
    assert_eq!(r.h("content-range"), Some("bytes 2-5/10"));
    assert_eq!(r.h("content-type"), Some("video/MP2T"));
    let r = get(
        &env,
        &domain,
        "GET",
        "/show/seg0.ts",
        &[("range", "bytes=8-")],
    )
    .await;
    assert_eq!(
        (r.status, r.x_cache(), r.body.as_slice()),
        (206, "Hit from cloudfront", &b"89"[..])
    );

    // The origin path is applied: /vod is not part of the viewer path.
    let missing = get(&env, &domain, "GET", "/vod/show/index.m3u8", &[]).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.x_cache(), "Error from cloudfront");

    let log = env.emu.requests();
    assert!(
        log.iter().any(|e| e.service == "edge"),
        "edge requests are logged"
    );
}

#[tokio::test]
async fn origin_policy_must_allow_this_distribution() {
    let env = start().await;
    let (endpoint, host) = container(&env, "locked").await;
    put(&endpoint, "a.txt", b"secret", "text/plain", None).await;
    put(&endpoint, "n.txt", b"secret", "text/plain", None).await;
    let oac_id = oac(&env, "ms", OriginAccessControlOriginTypes::Mediastore).await;
    let mut spec = DistSpec::new("allowed", &host);
    spec.oac = Some(&oac_id);
    let (_, allowed_arn, allowed_domain, _) = distribution(&env, spec).await;
    let mut spec = DistSpec::new("other", &host);
    spec.oac = Some(&oac_id);
    let (_, _, other_domain, _) = distribution(&env, spec).await;
    let (_, _, unsigned_domain, _) = distribution(&env, DistSpec::new("unsigned", &host)).await;

    // No container policy: nobody gets in.
    let r = get(&env, &allowed_domain, "GET", "/n.txt", &[]).await;
    assert_eq!((r.status, r.x_cache()), (403, "Error from cloudfront"));

    let arn = container_arn(&env, "locked").await;
    env.ms
        .put_container_policy()
        .container_name("locked")
        .policy(oac_policy(&arn, &allowed_arn))
        .send()
        .await
        .unwrap();
    let ok = get(&env, &allowed_domain, "GET", "/a.txt", &[]).await;
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"secret"[..]));
    let denied = get(&env, &other_domain, "GET", "/a.txt", &[]).await;
    assert_eq!(
        denied.status, 403,
        "another distribution's ARN does not match AWS:SourceArn"
    );
    assert!(String::from_utf8_lossy(&denied.body).contains("AccessDenied"));
    let unsigned = get(&env, &unsigned_domain, "GET", "/a.txt", &[]).await;
    assert_eq!(
        unsigned.status, 403,
        "without an OAC the request is not from the CloudFront service principal"
    );

    // The legacy MediaStore form: Principal * with aws:UserAgent "Amazon CloudFront".
    // With MediaStore's default statement beside it: the account keeps its own access.
    let legacy = serde_json::json!({"Version":"2012-10-17","Statement":[account_access(&arn), {"Sid":"CloudFrontRead","Effect":"Allow","Principal":"*",
        "Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":format!("{arn}/*"),
        "Condition":{"StringEquals":{"aws:UserAgent":"Amazon CloudFront"},"Bool":{"aws:SecureTransport":"true"}}}]});
    env.ms
        .put_container_policy()
        .container_name("locked")
        .policy(legacy.to_string())
        .send()
        .await
        .unwrap();
    put(&endpoint, "b.txt", b"open", "text/plain", None).await;
    let ok = get(&env, &unsigned_domain, "GET", "/b.txt", &[]).await;
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"open"[..]));
    // The earlier 403 had no Cache-Control, so it was not cached (CloudFront caches a 403 only with max-age or
    // s-maxage: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html): the
    // new policy applies at once.
    let refreshed = get(&env, &unsigned_domain, "GET", "/a.txt", &[]).await;
    assert_eq!(
        (refreshed.status, refreshed.x_cache()),
        (200, "Miss from cloudfront"),
        "a 403 without max-age is not cached"
    );
    assert!(refreshed.h("age").is_none());
}

#[tokio::test]
async fn cors_from_the_origin_keyed_on_origin_header() {
    let env = start().await;
    let (endpoint, host) = container(&env, "corsy").await;
    put(
        &endpoint,
        "v/index.m3u8",
        b"#EXTM3U\n",
        "application/vnd.apple.mpegurl",
        None,
    )
    .await;
    let oac_id = oac(&env, "ms", OriginAccessControlOriginTypes::Mediastore).await;
    // Elemental-MediaPackage puts Origin in the cache key (and so forwards it to the origin).
    let mut spec = DistSpec::new("keyed", &host);
    spec.oac = Some(&oac_id);
    spec.cache_policy = Some(MEDIAPACKAGE);
    let (_, keyed_arn, keyed, _) = distribution(&env, spec).await;
    // CachingOptimized does not: the origin never sees Origin, so no CORS headers ever.
    let mut spec = DistSpec::new("unkeyed", &host);
    spec.oac = Some(&oac_id);
    let (_, unkeyed_arn, unkeyed, _) = distribution(&env, spec).await;
    let arn = container_arn(&env, "corsy").await;
    let policy = serde_json::json!({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},
        "Action":"mediastore:GetObject","Resource":format!("{arn}/*"),
        "Condition":{"ArnLike":{"AWS:SourceArn":[keyed_arn, unkeyed_arn]}}}]});
    env.ms
        .put_container_policy()
        .container_name("corsy")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let rule = aws_sdk_mediastore::types::CorsRule::builder()
        .allowed_origins("https://app.example")
        .allowed_methods(aws_sdk_mediastore::types::MethodName::Get)
        .allowed_methods(aws_sdk_mediastore::types::MethodName::Head)
        .allowed_headers("*")
        .max_age_seconds(3000)
        .expose_headers("ETag")
        .build()
        .unwrap();
    env.ms
        .put_cors_policy()
        .container_name("corsy")
        .cors_policy(rule)
        .send()
        .await
        .unwrap();

    let app = get(
        &env,
        &keyed,
        "GET",
        "/v/index.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!((app.status, app.x_cache()), (200, "Miss from cloudfront"));
    assert_eq!(
        app.h("access-control-allow-origin"),
        Some("https://app.example")
    );
    let evil = get(
        &env,
        &keyed,
        "GET",
        "/v/index.m3u8",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(
        (evil.status, evil.x_cache()),
        (200, "Miss from cloudfront"),
        "another Origin is another cache entry"
    );
    assert_eq!(evil.h("access-control-allow-origin"), None);
    let app2 = get(
        &env,
        &keyed,
        "GET",
        "/v/index.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!(app2.x_cache(), "Hit from cloudfront");
    assert_eq!(
        app2.h("access-control-allow-origin"),
        Some("https://app.example")
    );
    let none = get(&env, &keyed, "GET", "/v/index.m3u8", &[]).await;
    assert_eq!(
        (none.x_cache(), none.h("access-control-allow-origin")),
        ("Miss from cloudfront", None)
    );

    let u1 = get(
        &env,
        &unkeyed,
        "GET",
        "/v/index.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!(
        (u1.status, u1.h("access-control-allow-origin")),
        (200, None)
    );
    let u2 = get(
        &env,
        &unkeyed,
        "GET",
        "/v/index.m3u8",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(
        u2.x_cache(),
        "Hit from cloudfront",
        "Origin is not in this cache key"
    );
}

#[tokio::test]
async fn response_headers_policy_cors_and_preflight() {
    let env = start().await;
    let (endpoint, host) = container(&env, "rhp").await;
    put(
        &endpoint,
        "x.m3u8",
        b"#EXTM3U\n",
        "application/vnd.apple.mpegurl",
        None,
    )
    .await;
    let arn = container_arn(&env, "rhp").await;
    let public = serde_json::json!({"Version":"2012-10-17","Statement":[account_access(&arn), {"Effect":"Allow","Principal":"*","Action":"mediastore:GetObject","Resource":format!("{arn}/*"),
        "Condition":{"StringEquals":{"aws:UserAgent":"Amazon CloudFront"}}}]});
    env.ms
        .put_container_policy()
        .container_name("rhp")
        .policy(public.to_string())
        .send()
        .await
        .unwrap();
    let cfg = ResponseHeadersPolicyConfig::builder()
        .name("app-cors")
        .cors_config(
            ResponseHeadersPolicyCorsConfig::builder()
                .access_control_allow_origins(
                    ResponseHeadersPolicyAccessControlAllowOrigins::builder()
                        .quantity(1)
                        .items("https://app.example")
                        .build()
                        .unwrap(),
                )
                .access_control_allow_headers(
                    ResponseHeadersPolicyAccessControlAllowHeaders::builder()
                        .quantity(1)
                        .items("Range")
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
        .unwrap();
    let rhp = env
        .cf
        .create_response_headers_policy()
        .response_headers_policy_config(cfg)
        .send()
        .await
        .unwrap();
    let rhp_id = rhp.response_headers_policy().unwrap().id().to_string();
    let mut spec = DistSpec::new("rhp", &host);
    spec.response_headers_policy = Some(&rhp_id);
    let (_, _, domain, _) = distribution(&env, spec).await;

    let ok = get(
        &env,
        &domain,
        "GET",
        "/x.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.h("access-control-allow-origin"),
        Some("https://app.example")
    );
    // The policy applies per viewer request, so a cached object gets the right answer for each Origin.
    let evil = get(
        &env,
        &domain,
        "GET",
        "/x.m3u8",
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(
        (evil.x_cache(), evil.h("access-control-allow-origin")),
        ("Hit from cloudfront", None)
    );
    let pre = preflight(&env, &domain, "/x.m3u8", "https://app.example").await;
    assert_eq!(pre.status, 200);
    assert_eq!(
        pre.h("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(pre.h("access-control-allow-methods"), Some("GET, HEAD"));
    assert_eq!(pre.h("access-control-allow-headers"), Some("Range"));
    assert_eq!(pre.h("access-control-max-age"), Some("600"));
    let pre_evil = preflight(&env, &domain, "/x.m3u8", "https://evil.example").await;
    assert_eq!(pre_evil.h("access-control-allow-origin"), None);
    // POST is not an allowed method of the behavior.
    let post = get(&env, &domain, "POST", "/x.m3u8", &[]).await;
    assert_eq!(post.status, 403);

    // The `drop_cors` knob strips every CORS header, preflights included; clearing it restores them.
    env.emu
        .set_service_knobs(
            "edge",
            vod_emulator::knobs::ServiceKnobs {
                drop_cors: true,
                ..Default::default()
            },
        )
        .unwrap();
    let dropped = get(
        &env,
        &domain,
        "GET",
        "/x.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!(dropped.status, 200);
    assert!(
        dropped
            .headers
            .keys()
            .all(|k| !k.starts_with("access-control-")),
        "{:?}",
        dropped.headers
    );
    let pre_dropped = preflight(&env, &domain, "/x.m3u8", "https://app.example").await;
    assert_eq!(pre_dropped.h("access-control-allow-origin"), None);
    env.emu.clear_knobs();
    let back = get(
        &env,
        &domain,
        "GET",
        "/x.m3u8",
        &[("origin", "https://app.example")],
    )
    .await;
    assert_eq!(
        back.h("access-control-allow-origin"),
        Some("https://app.example")
    );
}

#[tokio::test]
async fn errors_are_cached_then_invalidation_clears_the_cache() {
    let env = start().await;
    let (endpoint, host) = container(&env, "errs").await;
    let arn = container_arn(&env, "errs").await;
    let public = serde_json::json!({"Version":"2012-10-17","Statement":[account_access(&arn), {"Effect":"Allow","Principal":"*","Action":"mediastore:GetObject","Resource":format!("{arn}/*"),
        "Condition":{"StringEquals":{"aws:UserAgent":"Amazon CloudFront"}}}]});
    env.ms
        .put_container_policy()
        .container_name("errs")
        .policy(public.to_string())
        .send()
        .await
        .unwrap();
    let mut spec = DistSpec::new("errs", &host);
    spec.error_ttl_404 = Some(1);
    spec.cache_policy = None; // legacy ForwardedValues: DefaultTTL 30
    let (dist_id, _, domain, _) = distribution(&env, spec).await;

    let miss = get(&env, &domain, "GET", "/late.m3u8", &[]).await;
    assert_eq!(
        (miss.status, miss.x_cache()),
        (404, "Error from cloudfront")
    );
    assert!(miss.h("age").is_none());
    put(
        &endpoint,
        "late.m3u8",
        b"v1",
        "application/vnd.apple.mpegurl",
        None,
    )
    .await;
    let cached = get(&env, &domain, "GET", "/late.m3u8", &[]).await;
    assert_eq!(
        (cached.status, cached.x_cache()),
        (404, "Error from cloudfront"),
        "the 404 is served from the cache"
    );
    assert!(cached.h("age").is_some());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = get(&env, &domain, "GET", "/late.m3u8", &[]).await;
    assert_eq!(
        (fresh.status, fresh.x_cache(), fresh.body.as_slice()),
        (200, "Miss from cloudfront", &b"v1"[..])
    );

    // A changed object is not seen until invalidated.
    put(
        &endpoint,
        "late.m3u8",
        b"v2",
        "application/vnd.apple.mpegurl",
        None,
    )
    .await;
    let stale = get(&env, &domain, "GET", "/late.m3u8", &[]).await;
    assert_eq!(
        (stale.x_cache(), stale.body.as_slice()),
        ("Hit from cloudfront", &b"v1"[..])
    );
    let batch = InvalidationBatch::builder()
        .paths(
            Paths::builder()
                .quantity(1)
                .items("/late*")
                .build()
                .unwrap(),
        )
        .caller_reference("inv-1")
        .build()
        .unwrap();
    env.cf
        .create_invalidation()
        .distribution_id(&dist_id)
        .invalidation_batch(batch)
        .send()
        .await
        .unwrap();
    let after = get(&env, &domain, "GET", "/late.m3u8", &[]).await;
    assert_eq!(
        (after.x_cache(), after.body.as_slice()),
        ("Miss from cloudfront", &b"v2"[..])
    );
}

#[tokio::test]
async fn s3_origin_with_oac_bucket_policy() {
    let env = start().await;
    let s3 = crate::common::s3_client(&env.emu).await;
    s3.create_bucket()
        .bucket("media-bucket")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("media-bucket")
        .key("hls/index.m3u8")
        .content_type("application/vnd.apple.mpegurl")
        .cache_control("max-age=2")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"#EXTM3U\n",
        ))
        .send()
        .await
        .unwrap();
    let oac_id = oac(&env, "s3", OriginAccessControlOriginTypes::S3).await;
    let domain_name = "media-bucket.s3.us-east-1.amazonaws.com";
    let mut spec = DistSpec::new("s3", domain_name);
    spec.s3 = true;
    spec.oac = Some(&oac_id);
    let (_, arn, domain, _) = distribution(&env, spec).await;
    let mut spec = DistSpec::new("s3-other", domain_name);
    spec.s3 = true;
    spec.oac = Some(&oac_id);
    let (_, _, other, _) = distribution(&env, spec).await;

    // (Error responses are cached for 10 s, so each check below uses a path of its own.)
    let denied = get(&env, &other, "GET", "/hls/index.m3u8", &[]).await;
    assert_eq!(denied.status, 403, "no bucket policy");
    let policy = serde_json::json!({"Version":"2008-10-17","Statement":[{"Sid":"AllowCloudFrontServicePrincipal","Effect":"Allow",
        "Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media-bucket/*",
        "Condition":{"StringEquals":{"AWS:SourceArn": arn}}}]});
    s3.put_bucket_policy()
        .bucket("media-bucket")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let ok = get(&env, &domain, "GET", "/hls/other.m3u8", &[]).await;
    assert_eq!(
        ok.status, 403,
        "missing key without s3:ListBucket is a 403, as S3 answers"
    );
    let ok = get(&env, &domain, "GET", "/hls/index.m3u8?x=1", &[]).await;
    assert_eq!((ok.status, ok.body.as_slice()), (200, &b"#EXTM3U\n"[..]));
    assert_eq!(ok.h("content-type"), Some("application/vnd.apple.mpegurl"));
    assert_eq!(ok.h("cache-control"), Some("max-age=2"));
    assert_eq!(
        get(&env, &domain, "GET", "/hls/index.m3u8", &[])
            .await
            .x_cache(),
        "Hit from cloudfront",
        "query strings are not in the key"
    );
    s3.put_object()
        .bucket("media-bucket")
        .key("hls/b.m3u8")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"b"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get(&env, &other, "GET", "/hls/b.m3u8", &[]).await.status,
        403,
        "the policy names another distribution"
    );
    assert_eq!(
        get(&env, &domain, "GET", "/hls/b.m3u8", &[]).await.status,
        200
    );
    // max-age=2 from the origin (between MinTTL 1 and MaxTTL) bounds the cache time.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        get(&env, &domain, "GET", "/hls/index.m3u8", &[])
            .await
            .x_cache(),
        "Miss from cloudfront"
    );
}

#[tokio::test]
async fn disabled_and_unknown_distributions() {
    let env = start().await;
    let (_, host) = container(&env, "dis").await;
    let (id, _, domain, etag) = distribution(&env, DistSpec::new("dis", &host)).await;
    let cfg = env
        .cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap();
    let mut c = cfg.distribution_config().unwrap().clone();
    c.enabled = false;
    env.cf
        .update_distribution()
        .id(&id)
        .if_match(&etag)
        .distribution_config(c)
        .send()
        .await
        .unwrap();
    let r = get(&env, &domain, "GET", "/a", &[]).await;
    assert_eq!((r.status, r.x_cache()), (403, "Error from cloudfront"));
    let port = env.emu.port();
    let r = get(
        &env,
        &format!("dnosuchdist0000.cloudfront.localhost:{port}"),
        "GET",
        "/a",
        &[],
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn custom_error_response_page() {
    let env = start().await;
    let (endpoint, host) = container(&env, "pages").await;
    put(
        &endpoint,
        "errors/404.html",
        b"<h1>not here</h1>",
        "text/html",
        None,
    )
    .await;
    let arn = container_arn(&env, "pages").await;
    let public = serde_json::json!({"Version":"2012-10-17","Statement":[account_access(&arn), {"Effect":"Allow","Principal":"*","Action":"mediastore:GetObject","Resource":format!("{arn}/*"),
        "Condition":{"StringEquals":{"aws:UserAgent":"Amazon CloudFront"}}}]});
    env.ms
        .put_container_policy()
        .container_name("pages")
        .policy(public.to_string())
        .send()
        .await
        .unwrap();
    let mut spec = DistSpec::new("pages", &host);
    spec.error_page_404 = Some(("/errors/404.html", "404"));
    let (_, _, domain, _) = distribution(&env, spec).await;
    let r = get(&env, &domain, "GET", "/missing.m3u8", &[]).await;
    assert_eq!(
        (r.status, r.body.as_slice()),
        (404, &b"<h1>not here</h1>"[..])
    );
    assert_eq!(r.h("content-type"), Some("text/html"));
    assert_eq!(r.x_cache(), "Error from cloudfront");
}
