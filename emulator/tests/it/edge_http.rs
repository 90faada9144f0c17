//! The edge's HTTP behaviour as CloudFront's developer guide documents it: error caching, origin headers,
//! `Expires`, compression, conditional and range requests, the viewer protocol policy, S3 bucket CORS, and the
//! cache across a distribution update. Each test names the page it follows; where the guide is silent, the test
//! says what the emulator does instead (RFC 9110) and why.
#![allow(deprecated)] // ForwardedValues and the legacy TTLs are deprecated in the model but still served by CloudFront.

use crate::edge::{Env, Got, get, get_head_options, legacy_settings, start};
use aws_sdk_cloudfront::types::*;
use aws_sdk_s3::primitives::ByteStream;
use std::io::Read;
use std::time::Duration;
use vod_emulator::knobs::ServiceKnobs;

/// How a test distribution in front of one S3 bucket is set up.
struct S3Dist<'a> {
    caller: &'a str,
    bucket: &'a str,
    /// A cache policy id; `None`: legacy settings (ForwardedValues with the `Origin` header, TTLs 0 / 30 / 60).
    cache_policy: Option<String>,
    compress: bool,
    viewer_protocol: ViewerProtocolPolicy,
    /// (ErrorCode, ErrorCachingMinTTL) entries of CustomErrorResponses.
    errors: Vec<(i32, i64)>,
    /// The viewer headers legacy settings forward (and key on).
    forward: &'a [&'a str],
}

impl<'a> S3Dist<'a> {
    fn new(caller: &'a str, bucket: &'a str) -> Self {
        S3Dist {
            caller,
            bucket,
            cache_policy: None,
            compress: false,
            viewer_protocol: ViewerProtocolPolicy::AllowAll,
            errors: Vec::new(),
            forward: &["Origin"],
        }
    }
}

/// A bucket anyone may read (`s3:GetObject` for `*`), and also list when `list` is set (then a missing key is 404,
/// else 403, as S3 answers: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>).
async fn public_bucket(env: &Env, bucket: &str, list: bool) -> aws_sdk_s3::Client {
    let s3 = crate::common::s3_client(&env.emu).await;
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let mut statements = vec![
        serde_json::json!({"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
        "Resource":format!("arn:aws:s3:::{bucket}/*")}),
    ];
    if list {
        statements.push(
            serde_json::json!({"Effect":"Allow","Principal":"*","Action":"s3:ListBucket",
            "Resource":format!("arn:aws:s3:::{bucket}")}),
        );
    }
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(serde_json::json!({"Version":"2012-10-17","Statement":statements}).to_string())
        .send()
        .await
        .unwrap();
    s3
}

/// Creates the distribution; returns (id, domain, etag).
async fn s3_distribution(env: &Env, d: S3Dist<'_>) -> (String, String, String) {
    let origin = Origin::builder()
        .id("s3")
        .domain_name(format!("{}.s3.us-east-1.amazonaws.com", d.bucket))
        .origin_path("")
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let methods = get_head_options();
    let mut b = DefaultCacheBehavior::builder()
        .target_origin_id("s3")
        .viewer_protocol_policy(d.viewer_protocol)
        .compress(d.compress)
        .allowed_methods(methods);
    b = match d.cache_policy {
        Some(p) => b.cache_policy_id(p),
        None => legacy_settings(b, d.forward),
    };
    let mut c = DistributionConfig::builder()
        .caller_reference(d.caller)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(b.build().unwrap())
        .comment(d.caller)
        .enabled(true);
    if !d.errors.is_empty() {
        let mut list = CustomErrorResponses::builder().quantity(d.errors.len() as i32);
        for (code, ttl) in &d.errors {
            list = list.items(
                CustomErrorResponse::builder()
                    .error_code(*code)
                    .error_caching_min_ttl(*ttl)
                    .build()
                    .unwrap(),
            );
        }
        c = c.custom_error_responses(list.build().unwrap());
    }
    let out = env
        .cf
        .create_distribution()
        .distribution_config(c.build().unwrap())
        .send()
        .await
        .unwrap();
    let dist = out.distribution().unwrap();
    (
        dist.id().to_string(),
        dist.domain_name().to_string(),
        out.e_tag().unwrap().to_string(),
    )
}

/// A cache policy with these TTLs and compression formats, and nothing in the key.
async fn cache_policy(
    env: &Env,
    name: &str,
    ttls: (i64, i64, i64),
    gzip: bool,
    br: bool,
) -> String {
    let params = ParametersInCacheKeyAndForwardedToOrigin::builder()
        .enable_accept_encoding_gzip(gzip)
        .enable_accept_encoding_brotli(br)
        .headers_config(
            CachePolicyHeadersConfig::builder()
                .header_behavior(CachePolicyHeaderBehavior::None)
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
        .unwrap();
    let cfg = CachePolicyConfig::builder()
        .name(name)
        .min_ttl(ttls.0)
        .default_ttl(ttls.1)
        .max_ttl(ttls.2)
        .parameters_in_cache_key_and_forwarded_to_origin(params)
        .build()
        .unwrap();
    env.cf
        .create_cache_policy()
        .cache_policy_config(cfg)
        .send()
        .await
        .unwrap()
        .cache_policy()
        .unwrap()
        .id()
        .to_string()
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>, content_type: &str) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap();
}

fn knobs(env: &Env, f: impl FnOnce(&mut ServiceKnobs)) {
    let mut k = ServiceKnobs::default();
    f(&mut k);
    env.emu.set_service_knobs("edge", k).unwrap();
}

/// A 5 KB HLS playlist: compressible by type and size.
fn playlist() -> Vec<u8> {
    let mut p = String::from("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n");
    for i in 0..100 {
        p.push_str(&format!("#EXTINF:6.000,\nsegment_{i:05}.ts\n"));
    }
    p.into_bytes()
}

/// Error caching by status code: "How CloudFront processes HTTP 4xx and 5xx status codes from your origin"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>) and "Control how long
/// CloudFront caches errors"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html>).
#[tokio::test]
async fn errors_are_cached_by_status_code() {
    let env = start().await;
    let _ = public_bucket(&env, "errs-403", false).await;
    let _ = public_bucket(&env, "errs-404", true).await;
    let mut d = S3Dist::new("errs-403", "errs-403");
    d.errors = vec![(403, 5), (404, 5)];
    let (_, forbidden, _) = s3_distribution(&env, d).await;
    let mut d = S3Dist::new("errs-404", "errs-404");
    d.errors = vec![(403, 5), (404, 5)];
    let (_, not_found, _) = s3_distribution(&env, d).await;

    // GET /missing.m3u8 on a bucket without s3:ListBucket: S3 answers 403 AccessDenied with no Cache-Control.
    // 403 is cached only when the origin sends max-age or s-maxage, so both GETs reach the origin.
    for _ in 0..2 {
        let r = get(&env, &forbidden, "GET", "/missing.m3u8", &[]).await;
        assert_eq!(
            (r.status, r.x_cache(), r.h("age")),
            (403, "Error from cloudfront", None)
        );
    }
    // With s3:ListBucket, S3 answers 404 NoSuchKey: cached by default, for ErrorCachingMinTTL (5 s here).
    let first = get(&env, &not_found, "GET", "/missing.m3u8", &[]).await;
    assert_eq!(
        (first.status, first.x_cache(), first.h("age")),
        (404, "Error from cloudfront", None)
    );
    let second = get(&env, &not_found, "GET", "/missing.m3u8", &[]).await;
    assert_eq!(
        (second.status, second.x_cache()),
        (404, "Error from cloudfront")
    );
    assert_eq!(
        second.h("age"),
        Some("0"),
        "the second 404 comes from the cache"
    );

    // A 503 from the origin is cached for the default ErrorCachingMinTTL (10 s; no CustomErrorResponse for 503).
    knobs(&env, |k| k.origin_error_status = 503);
    let r = get(&env, &not_found, "GET", "/busy.m3u8", &[]).await;
    assert_eq!((r.status, r.h("age")), (503, None));
    env.emu.clear_knobs();
    let r = get(&env, &not_found, "GET", "/busy.m3u8", &[]).await;
    assert_eq!(
        (r.status, r.x_cache(), r.h("age")),
        (503, "Error from cloudfront", Some("0")),
        "the 503 is served from the cache although the origin is well again"
    );
}

/// Stale on 5xx: "How CloudFront processes HTTP 4xx and 5xx status codes from your origin", section on objects that
/// have expired (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>): an
/// expired object whose refresh gets a 5xx is served for ErrorCachingMinTTL; a 4xx is passed to the viewer.
#[tokio::test]
async fn an_expired_object_is_served_when_the_origin_answers_5xx() {
    let env = start().await;
    let s3 = public_bucket(&env, "stale", false).await;
    s3.put_object()
        .bucket("stale")
        .key("index.m3u8")
        .content_type("application/vnd.apple.mpegurl")
        .cache_control("max-age=1")
        .body(ByteStream::from_static(b"#EXTM3U\nv1\n"))
        .send()
        .await
        .unwrap();
    let mut d = S3Dist::new("stale", "stale");
    d.errors = vec![(502, 2)];
    let (_, domain, _) = s3_distribution(&env, d).await;
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!((r.status, r.x_cache()), (200, "Miss from cloudfront"));
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // GET /index.m3u8 after max-age=1 has passed, the origin answering 502: the expired copy, 200, with its Age.
    knobs(&env, |k| k.origin_error_status = 502);
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!(
        (r.status, r.x_cache(), r.body.as_slice()),
        (200, "Hit from cloudfront", &b"#EXTM3U\nv1\n"[..])
    );
    assert!(r.h("age").unwrap().parse::<u64>().unwrap() >= 1);
    // For ErrorCachingMinTTL (2 s) the origin is not asked again: the new version is not seen yet.
    env.emu.clear_knobs();
    s3.put_object()
        .bucket("stale")
        .key("index.m3u8")
        .content_type("application/vnd.apple.mpegurl")
        .cache_control("max-age=1")
        .body(ByteStream::from_static(b"#EXTM3U\nv2\n"))
        .send()
        .await
        .unwrap();
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!(r.body.as_slice(), &b"#EXTM3U\nv1\n"[..]);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!(
        (r.status, r.x_cache(), r.body.as_slice()),
        (200, "Miss from cloudfront", &b"#EXTM3U\nv2\n"[..])
    );

    // A 4xx on refresh is passed on: the object deleted, S3 answers 403 (no s3:ListBucket), no stale copy.
    s3.delete_object()
        .bucket("stale")
        .key("index.m3u8")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!((r.status, r.x_cache()), (403, "Error from cloudfront"));
    // The origin said the object is gone: a 5xx after that does not bring it back.
    knobs(&env, |k| k.origin_error_status = 502);
    let r = get(&env, &domain, "GET", "/index.m3u8", &[]).await;
    assert_eq!((r.status, r.x_cache()), (502, "Error from cloudfront"));
    env.emu.clear_knobs();
}

/// Origin headers: "Request and response behavior for Amazon S3 origins", "HTTP response headers that CloudFront
/// removes or updates" (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html>):
/// only X-Amz-Id-2, X-Amz-Request-Id, Set-Cookie, Trailer, Transfer-Encoding, Upgrade and Via are removed or changed,
/// so the object's Content-Encoding, Content-Disposition, Content-Language, Expires and x-amz-meta-* reach the viewer.
/// And `Expires` sets the TTL when there is no max-age: "Manage how long content stays in the cache (expiration)"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html>).
#[tokio::test]
async fn origin_headers_pass_through_and_expires_sets_the_ttl() {
    let env = start().await;
    let s3 = public_bucket(&env, "hdrs", false).await;
    // 4 KB that gzip cannot shrink, gzipped: over 1,000 bytes as stored, so only the origin's Content-Encoding
    // keeps the edge from compressing it again.
    let mut x: u32 = 1;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &noise).unwrap();
    let gz = gz.finish().unwrap();
    assert!(gz.len() > 1_000);
    let expires = std::time::SystemTime::now() + Duration::from_secs(6);
    s3.put_object()
        .bucket("hdrs")
        .key("meta.json")
        .content_type("application/json")
        .content_encoding("gzip")
        .content_disposition("attachment; filename=\"meta.json\"")
        .content_language("en-GB")
        .expires(aws_sdk_s3::primitives::DateTime::from(expires))
        .metadata("asset-id", "a1")
        .body(ByteStream::from(gz.clone()))
        .send()
        .await
        .unwrap();
    let policy = cache_policy(&env, "hdrs", (0, 86400, 31536000), true, false).await;
    let mut d = S3Dist::new("hdrs", "hdrs");
    d.cache_policy = Some(policy);
    d.compress = true;
    let (_, domain, _) = s3_distribution(&env, d).await;

    let gzip = [("accept-encoding", "gzip")];
    let r = get(&env, &domain, "GET", "/meta.json", &gzip).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.h("content-encoding"), Some("gzip"));
    assert_eq!(
        r.body, gz,
        "the stored gzip bytes, not decoded or encoded again"
    );
    assert_eq!(
        r.h("content-disposition"),
        Some("attachment; filename=\"meta.json\"")
    );
    assert_eq!(r.h("content-language"), Some("en-GB"));
    assert_eq!(r.h("x-amz-meta-asset-id"), Some("a1"));
    assert_eq!(
        r.h("expires"),
        Some(httpdate::fmt_http_date(expires).as_str())
    );
    assert_eq!(r.h("accept-ranges"), Some("bytes"));
    assert_eq!(r.h("x-amz-request-id"), None);
    assert_eq!(r.h("x-amz-id-2"), None);
    // DefaultTTL is a day, but Expires (6 s away when stored) decides: a hit now, a miss once it has passed.
    let hit = get(&env, &domain, "GET", "/meta.json", &gzip).await;
    assert_eq!(hit.x_cache(), "Hit from cloudfront");
    let left = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(1100)).await;
    let miss = get(&env, &domain, "GET", "/meta.json", &gzip).await;
    assert_eq!(miss.x_cache(), "Miss from cloudfront");
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Compression: "Serve compressed files"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html>) and the cache
/// key's normalised Accept-Encoding, "Understand cache policies"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cache-key-understand-cache-policy.html>).
#[tokio::test]
async fn compression_follows_compress_the_policy_and_the_viewer() {
    let env = start().await;
    let s3 = public_bucket(&env, "zip", false).await;
    let body = playlist();
    put(
        &s3,
        "zip",
        "a.m3u8",
        body.clone(),
        "application/vnd.apple.mpegurl",
    )
    .await;
    put(&s3, "zip", "seg.ts", vec![7u8; 5000], "video/mp2t").await;
    put(
        &s3,
        "zip",
        "tiny.m3u8",
        b"#EXTM3U\n".to_vec(),
        "application/vnd.apple.mpegurl",
    )
    .await;
    let both = cache_policy(&env, "zip", (0, 60, 600), true, true).await;
    let mut d = S3Dist::new("zip", "zip");
    d.cache_policy = Some(both);
    d.compress = true;
    let (_, domain, _) = s3_distribution(&env, d).await;

    // GET /a.m3u8 with Accept-Encoding: gzip -> gzip, a weak ETag, Vary: Accept-Encoding.
    let gz = get(
        &env,
        &domain,
        "GET",
        "/a.m3u8",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.h("content-encoding"), Some("gzip"));
    assert!(
        gz.h("etag").unwrap().starts_with("W/\""),
        "{:?}",
        gz.h("etag")
    );
    assert_eq!(gz.h("vary"), Some("Accept-Encoding"));
    assert_eq!(gunzip(&gz.body), body);
    // "gzip, deflate, br" with both enabled -> Brotli; a key of its own (a miss), then a hit.
    let ae = [("accept-encoding", "gzip, deflate, br")];
    let br = get(&env, &domain, "GET", "/a.m3u8", &ae).await;
    assert_eq!(
        (br.h("content-encoding"), br.x_cache()),
        (Some("br"), "Miss from cloudfront")
    );
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut plain).unwrap();
    assert_eq!(plain, body);
    let again = get(&env, &domain, "GET", "/a.m3u8", &ae).await;
    assert_eq!(
        (again.h("content-encoding"), again.x_cache()),
        (Some("br"), "Hit from cloudfront")
    );
    // No Accept-Encoding: the object as stored, strong ETag.
    let id = get(&env, &domain, "GET", "/a.m3u8", &[]).await;
    assert_eq!(
        (id.h("content-encoding"), id.body.len()),
        (None, body.len())
    );
    assert!(id.h("etag").unwrap().starts_with('"'));
    // Not on the type list, or under 1,000 bytes: not compressed.
    let ts = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!((ts.status, ts.h("content-encoding")), (200, None));
    let tiny = get(
        &env,
        &domain,
        "GET",
        "/tiny.m3u8",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!((tiny.status, tiny.h("content-encoding")), (200, None));

    // Legacy cache settings with Compress: gzip only, even for a viewer that prefers br.
    let mut d = S3Dist::new("zip-legacy", "zip");
    d.compress = true;
    let (_, legacy, _) = s3_distribution(&env, d).await;
    let r = get(
        &env,
        &legacy,
        "GET",
        "/a.m3u8",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(r.h("content-encoding"), None);
    let r = get(
        &env,
        &legacy,
        "GET",
        "/a.m3u8",
        &[("accept-encoding", "br, gzip")],
    )
    .await;
    assert_eq!(r.h("content-encoding"), Some("gzip"));
    // Compress off: never compressed.
    let (_, off, _) = s3_distribution(&env, S3Dist::new("zip-off", "zip")).await;
    let r = get(&env, &off, "GET", "/a.m3u8", &[("accept-encoding", "gzip")]).await;
    assert_eq!(r.h("content-encoding"), None);
}

/// Conditional and range requests. Ranges: "How CloudFront processes partial requests for an object (range GETs)"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RangeGETs.html>): unsorted, overlapping or
/// invalid ranges get the whole object with 200. The guide does not describe the edge's answer to If-Modified-Since,
/// If-Range or a sorted multi-range request; the edge follows RFC 9110 (§13.1.3, §13.1.5, §14.6), and passes S3's
/// `Accept-Ranges: bytes` through (it is not on the removed list of
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html>).
#[tokio::test]
async fn conditional_and_range_requests() {
    let env = start().await;
    let s3 = public_bucket(&env, "ranges", false).await;
    put(
        &s3,
        "ranges",
        "seg.ts",
        b"0123456789".to_vec(),
        "video/mp2t",
    )
    .await;
    let (_, domain, _) = s3_distribution(&env, S3Dist::new("ranges", "ranges")).await;
    let full = get(&env, &domain, "GET", "/seg.ts", &[]).await;
    assert_eq!((full.status, full.h("accept-ranges")), (200, Some("bytes")));
    let etag = full.h("etag").unwrap().to_string();
    let modified = full.h("last-modified").unwrap().to_string();

    // If-Modified-Since: the Last-Modified itself -> 304; a day earlier -> 200.
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("if-modified-since", &modified)],
    )
    .await;
    assert_eq!((r.status, r.body.len()), (304, 0));
    assert_eq!(r.h("etag"), Some(etag.as_str()));
    let earlier = httpdate::fmt_http_date(
        httpdate::parse_http_date(&modified).unwrap() - Duration::from_secs(86_400),
    );
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("if-modified-since", &earlier)],
    )
    .await;
    assert_eq!(r.status, 200);
    // If-None-Match wins over If-Modified-Since: another ETag -> 200.
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &modified),
        ],
    )
    .await;
    assert_eq!(r.status, 200);

    // If-Range with the current ETag -> the range (206); with another ETag or a weak one -> the whole object (200).
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("range", "bytes=2-4"), ("if-range", &etag)],
    )
    .await;
    assert_eq!((r.status, r.body.as_slice()), (206, &b"234"[..]));
    assert_eq!(r.h("content-range"), Some("bytes 2-4/10"));
    for other in ["\"other\"".to_string(), format!("W/{etag}")] {
        let r = get(
            &env,
            &domain,
            "GET",
            "/seg.ts",
            &[("range", "bytes=2-4"), ("if-range", &other)],
        )
        .await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"0123456789"[..]),
            "If-Range: {other}"
        );
    }
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("range", "bytes=2-4"), ("if-range", &modified)],
    )
    .await;
    assert_eq!(r.status, 206, "If-Range with the Last-Modified date");

    // Two sorted ranges -> 206 multipart/byteranges, one part each.
    let r = get(
        &env,
        &domain,
        "GET",
        "/seg.ts",
        &[("range", "bytes=0-1,5-6")],
    )
    .await;
    assert_eq!(r.status, 206);
    let ct = r.h("content-type").unwrap();
    let boundary = ct
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap_or_else(|| panic!("{ct}"));
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert_eq!(
        text.matches(&format!("--{boundary}\r\n")).count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("Content-Range: bytes 0-1/10\r\n\r\n01\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Content-Range: bytes 5-6/10\r\n\r\n56\r\n"),
        "{text}"
    );
    assert!(text.ends_with(&format!("--{boundary}--\r\n")), "{text}");
    // Unsorted or overlapping -> 200 with the whole object, as the guide says.
    for range in ["bytes=5-6,0-1", "bytes=0-4,3-6"] {
        let r = get(&env, &domain, "GET", "/seg.ts", &[("range", range)]).await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"0123456789"[..]),
            "{range}"
        );
    }
}

/// Viewer protocol policy: "Require HTTPS for communication between viewers and CloudFront"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html>):
/// redirect-to-https answers GET and HEAD with 301 to the HTTPS URL and other methods with 307; https-only answers
/// 403. The edge serves plain HTTP, so this is the `enforce_viewer_protocol` knob, off by default.
#[tokio::test]
async fn viewer_protocol_policy_when_the_knob_is_on() {
    let env = start().await;
    let s3 = public_bucket(&env, "https", false).await;
    put(
        &s3,
        "https",
        "a.m3u8",
        b"#EXTM3U\n".to_vec(),
        "application/vnd.apple.mpegurl",
    )
    .await;
    let mut d = S3Dist::new("redirect", "https");
    d.viewer_protocol = ViewerProtocolPolicy::RedirectToHttps;
    let (_, redirect, _) = s3_distribution(&env, d).await;
    let mut d = S3Dist::new("https-only", "https");
    d.viewer_protocol = ViewerProtocolPolicy::HttpsOnly;
    let (_, only, _) = s3_distribution(&env, d).await;

    // Off (the default): local http playback works whatever the policy.
    assert_eq!(
        get(&env, &redirect, "GET", "/a.m3u8", &[]).await.status,
        200
    );
    assert_eq!(get(&env, &only, "GET", "/a.m3u8", &[]).await.status, 200);

    knobs(&env, |k| k.enforce_viewer_protocol = true);
    let r: Got = get(&env, &redirect, "GET", "/a.m3u8?v=1", &[]).await;
    assert_eq!(r.status, 301);
    assert_eq!(
        r.h("location"),
        Some(format!("https://{redirect}/a.m3u8?v=1").as_str())
    );
    assert_eq!(
        get(&env, &redirect, "HEAD", "/a.m3u8", &[]).await.status,
        301
    );
    let r = get(&env, &redirect, "OPTIONS", "/a.m3u8", &[]).await;
    assert_eq!(
        r.status, 307,
        "methods other than GET and HEAD keep their method"
    );
    assert_eq!(get(&env, &only, "GET", "/a.m3u8", &[]).await.status, 403);
    // Behind a TLS proxy that says so, the request is HTTPS.
    let https = [("x-forwarded-proto", "https")];
    assert_eq!(
        get(&env, &redirect, "GET", "/a.m3u8", &https).await.status,
        200
    );
    assert_eq!(get(&env, &only, "GET", "/a.m3u8", &https).await.status, 200);
}

/// S3 bucket CORS, direct and through the edge. S3: "Using cross-origin resource sharing (CORS)"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html>) and "Troubleshooting CORS"
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors-troubleshooting.html>). CloudFront forwards the
/// origin's CORS answer when the `Origin` header reaches the origin and no response headers policy replaces it:
/// "Configure CloudFront to respect CORS settings"
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/header-caching.html>).
#[tokio::test]
async fn s3_bucket_cors_is_honoured_directly_and_through_the_edge() {
    let env = start().await;
    let s3 = public_bucket(&env, "corsb", false).await;
    put(
        &s3,
        "corsb",
        "a.m3u8",
        b"#EXTM3U\n".to_vec(),
        "application/vnd.apple.mpegurl",
    )
    .await;
    let port = env.emu.port();
    let host = format!("corsb.s3.localhost:{port}");
    // A browser's GET of a presigned URL (signed in the query) and its preflight (never signed).
    let presigned = s3
        .get_object()
        .bucket("corsb")
        .key("a.m3u8")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(300)).unwrap(),
        )
        .await
        .unwrap();
    let uri = presigned.uri();
    let after_scheme = &uri[uri.find("://").unwrap() + 3..];
    let path_and_query = after_scheme[after_scheme.find('/').unwrap()..].to_string();
    let direct = |method: &'static str, headers: Vec<(&'static str, &'static str)>| {
        let host = host.clone();
        let path = if method == "GET" {
            path_and_query.clone()
        } else {
            "/a.m3u8".to_string()
        };
        async move {
            let mut hs: Vec<(&str, &str)> = if method == "GET" {
                Vec::new()
            } else {
                vec![("host", host.as_str())]
            };
            hs.extend(headers);
            crate::common::raw_request(port, method, &path, &hs, b"")
                .await
                .unwrap()
        }
    };
    let header = |hs: &[(String, String)], name: &str| {
        hs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    };
    let app = ("origin", "https://app.example.com");
    let preflight_get = ("access-control-request-method", "GET");

    // No CORS configuration: a preflight is 403 "CORS is not enabled for this bucket".
    let (status, _, body) = direct("OPTIONS", vec![app, preflight_get]).await;
    assert_eq!(status, 403);
    assert!(
        String::from_utf8_lossy(&body).contains("CORS is not enabled for this bucket"),
        "{}",
        String::from_utf8_lossy(&body)
    );

    s3.put_bucket_cors()
        .bucket("corsb")
        .cors_configuration(
            aws_sdk_s3::types::CorsConfiguration::builder()
                .cors_rules(
                    aws_sdk_s3::types::CorsRule::builder()
                        .allowed_origins("https://*.example.com")
                        .allowed_methods("GET")
                        .allowed_methods("HEAD")
                        .allowed_headers("range")
                        .expose_headers("ETag")
                        .max_age_seconds(600)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Direct: a GET with an allowed Origin gets Allow-Origin and Expose-Headers; another origin gets none.
    let (status, hs, _) = direct("GET", vec![app]).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&hs, "access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        header(&hs, "access-control-expose-headers").as_deref(),
        Some("ETag")
    );
    let (_, hs, _) = direct("GET", vec![("origin", "https://evil.test")]).await;
    assert_eq!(header(&hs, "access-control-allow-origin"), None);
    // Direct preflights: allowed -> 200 with methods, headers, max-age; a header no rule allows -> 403.
    let (status, hs, _) = direct(
        "OPTIONS",
        vec![
            app,
            preflight_get,
            ("access-control-request-headers", "range"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&hs, "access-control-allow-methods").as_deref(),
        Some("GET, HEAD")
    );
    assert_eq!(
        header(&hs, "access-control-allow-headers").as_deref(),
        Some("range")
    );
    assert_eq!(
        header(&hs, "access-control-max-age").as_deref(),
        Some("600")
    );
    let (status, _, body) = direct(
        "OPTIONS",
        vec![
            app,
            preflight_get,
            ("access-control-request-headers", "x-custom"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("This CORS request is not allowed"));

    // Through the edge, legacy settings forwarding Origin and no response headers policy: S3's answer. A preflight
    // reaches S3 whole only when the behavior forwards Access-Control-Request-Method (and -Headers) too.
    let (_, origin_only, _) = s3_distribution(&env, S3Dist::new("corsb-origin", "corsb")).await;
    let r = get(
        &env,
        &origin_only,
        "OPTIONS",
        "/a.m3u8",
        &[app, preflight_get],
    )
    .await;
    assert_eq!(
        (r.status, r.h("access-control-allow-origin")),
        (403, None),
        "S3 sees a preflight without Access-Control-Request-Method"
    );
    let mut d = S3Dist::new("corsb", "corsb");
    d.forward = &[
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ];
    let (_, domain, _) = s3_distribution(&env, d).await;
    let r = get(&env, &domain, "GET", "/a.m3u8", &[app]).await;
    assert_eq!(
        r.h("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let r = get(
        &env,
        &domain,
        "GET",
        "/a.m3u8",
        &[("origin", "https://evil.test")],
    )
    .await;
    assert_eq!(
        r.h("access-control-allow-origin"),
        None,
        "keyed on Origin: not the cached answer"
    );
    let r = get(&env, &domain, "OPTIONS", "/a.m3u8", &[app, preflight_get]).await;
    assert_eq!(
        (r.status, r.h("access-control-allow-methods")),
        (200, Some("GET, HEAD"))
    );
    let r = get(
        &env,
        &domain,
        "OPTIONS",
        "/a.m3u8",
        &[("origin", "https://evil.test"), preflight_get],
    )
    .await;
    assert_eq!(r.status, 403);
}

/// The cache across an update. No page says an update empties the cache; "Origin settings", Origin domain
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html>) says edge
/// locations keep serving cached objects until they expire or are evicted. Only invalidations and expiry remove them.
#[tokio::test]
async fn an_update_keeps_the_cache_and_an_invalidation_empties_it() {
    let env = start().await;
    let s3 = public_bucket(&env, "upd", false).await;
    put(
        &s3,
        "upd",
        "a.m3u8",
        b"v1".to_vec(),
        "application/vnd.apple.mpegurl",
    )
    .await;
    let (id, domain, etag) = s3_distribution(&env, S3Dist::new("upd", "upd")).await;
    assert_eq!(
        get(&env, &domain, "GET", "/a.m3u8", &[]).await.x_cache(),
        "Miss from cloudfront"
    );
    put(
        &s3,
        "upd",
        "a.m3u8",
        b"v2".to_vec(),
        "application/vnd.apple.mpegurl",
    )
    .await;

    // UpdateDistribution changing only the comment: the cached v1 is still served.
    let mut cfg = env
        .cf
        .get_distribution_config()
        .id(&id)
        .send()
        .await
        .unwrap()
        .distribution_config()
        .unwrap()
        .clone();
    cfg.comment = "another comment".into();
    env.cf
        .update_distribution()
        .id(&id)
        .if_match(&etag)
        .distribution_config(cfg)
        .send()
        .await
        .unwrap();
    let r = get(&env, &domain, "GET", "/a.m3u8", &[]).await;
    assert_eq!(
        (r.x_cache(), r.body.as_slice()),
        ("Hit from cloudfront", &b"v1"[..])
    );

    env.cf
        .create_invalidation()
        .distribution_id(&id)
        .invalidation_batch(
            InvalidationBatch::builder()
                .caller_reference("upd-1")
                .paths(
                    Paths::builder()
                        .quantity(1)
                        .items("/a.m3u8")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let r = get(&env, &domain, "GET", "/a.m3u8", &[]).await;
    assert_eq!(
        (r.x_cache(), r.body.as_slice()),
        ("Miss from cloudfront", &b"v2"[..])
    );
}
