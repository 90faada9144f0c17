//! The viewer edge: serves distributions by Host `<id>.cloudfront.localhost`. Owner: cloudfront.
//!
//! A viewer request is matched to a cache behavior, looked up in the edge cache (keyed as the cache
//! policy or legacy `ForwardedValues` say), and on a miss fetched in-process from the origin (a
//! MediaStore container or an S3 bucket) after checking the origin's resource policy against this
//! distribution (OAC: service principal `cloudfront.amazonaws.com` + `AWS:SourceArn`; MediaStore
//! legacy: `aws:UserAgent` "Amazon CloudFront"). TTLs follow CloudFront's rules (min/default/max
//! against the origin's `Cache-Control`), errors are cached for `ErrorCachingMinTTL` (10 s default),
//! and CORS comes from the response headers policy or, without one, from the origin's CORS rules.

use crate::SharedRef;
use crate::cloudfront::xml::El;
use crate::cloudfront::{EdgeDist, Kind};
use crate::iam::{Caller, policy_allows};
use crate::wire::{Req, Resp, StoredObject, glob};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Error status codes CloudFront caches (416 is customisable but never cached).
const CACHEABLE_ERRORS: &[u16] = &[400, 403, 404, 405, 414, 500, 501, 502, 503, 504];
/// Default `ErrorCachingMinTTL`.
const DEFAULT_ERROR_TTL: u64 = 10;
const ALL_METHODS: &str = "GET, DELETE, HEAD, OPTIONS, PATCH, POST, PUT";

/// A response as stored in the edge cache (and as it came from the origin).
#[derive(Debug, Clone)]
pub(crate) struct OriginResp {
    pub status: u16,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl OriginResp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        self.headers.retain(|(k, _)| k != name);
        self.headers.push((name.to_string(), value));
    }
    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| k != name);
    }
}

#[derive(Debug, Clone)]
struct Entry {
    resp: OriginResp,
    stored: Instant,
    ttl: Duration,
    /// The viewer path (no query), for invalidations.
    path: String,
}

/// The edge cache: per distribution, cache key -> entry.
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, HashMap<String, Entry>>>,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, Entry>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops everything cached for a distribution.
    pub fn purge_distribution(&self, dist_id: &str) {
        self.lock().remove(dist_id);
    }

    /// Drops cached paths (a trailing `*` matches a prefix). All query-string and header variants of a
    /// path go with it.
    pub fn invalidate(&self, dist_id: &str, paths: &[String]) {
        let mut all = self.lock();
        if let Some(m) = all.get_mut(dist_id) {
            m.retain(|_, e| !paths.iter().any(|p| invalidation_matches(p, &e.path)));
        }
    }

    fn get(&self, dist_id: &str, key: &str) -> Option<Entry> {
        let mut all = self.lock();
        let m = all.get_mut(dist_id)?;
        match m.get(key) {
            Some(e) if e.stored.elapsed() < e.ttl => Some(e.clone()),
            Some(_) => {
                m.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, dist_id: &str, key: String, entry: Entry) {
        self.lock()
            .entry(dist_id.to_string())
            .or_default()
            .insert(key, entry);
    }

    /// Number of live entries for a distribution (tests).
    pub fn len(&self, dist_id: &str) -> usize {
        self.lock()
            .get(dist_id)
            .map(|m| m.values().filter(|e| e.stored.elapsed() < e.ttl).count())
            .unwrap_or(0)
    }

    /// Whether nothing is cached at all.
    pub fn is_empty(&self) -> bool {
        self.lock().values().all(|m| m.is_empty())
    }
}

/// Whether an invalidation path covers a cached viewer path.
pub(crate) fn invalidation_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// CloudFront path pattern matching: `*` any run of characters (including `/`), `?` one character;
/// case-sensitive; the leading `/` of the pattern is optional.
pub(crate) fn path_pattern_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    let path = path.strip_prefix('/').unwrap_or(path);
    glob(pattern.as_bytes(), path.as_bytes(), false)
}

/// The cache settings of a behavior, from its cache policy or legacy `ForwardedValues`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CacheSettings {
    pub min: u64,
    pub default: u64,
    pub max: u64,
    /// Lowercase header names in the cache key.
    pub key_headers: Vec<String>,
    /// All viewer headers are forwarded (legacy `*`): nothing is cached.
    pub all_headers: bool,
    /// Query strings: "none" | "all" | "whitelist" | "allExcept", with names.
    pub qs_behavior: String,
    pub qs_names: Vec<String>,
}

fn num(el: &El, path: &str, default: u64) -> u64 {
    el.text_at(path)
        .and_then(|t| t.parse().ok())
        .unwrap_or(default)
}

/// Reads the cache settings of a behavior. `policy` is the cache policy config when the behavior uses one.
pub(crate) fn cache_settings(behavior: &El, policy: Option<&El>) -> CacheSettings {
    match policy {
        Some(p) => {
            let params = p.child("ParametersInCacheKeyAndForwardedToOrigin");
            let empty = El::default();
            let params = params.unwrap_or(&empty);
            let key_headers = if params.str_at("HeadersConfig/HeaderBehavior") == "whitelist" {
                params
                    .item_texts("HeadersConfig/Headers")
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect()
            } else {
                Vec::new()
            };
            CacheSettings {
                min: num(p, "MinTTL", 0),
                default: num(p, "DefaultTTL", 86_400),
                max: num(p, "MaxTTL", 31_536_000),
                key_headers,
                all_headers: false,
                qs_behavior: params
                    .text_at("QueryStringsConfig/QueryStringBehavior")
                    .unwrap_or("none")
                    .to_string(),
                qs_names: params.item_texts("QueryStringsConfig/QueryStrings"),
            }
        }
        None => {
            let fv = behavior.child("ForwardedValues");
            let empty = El::default();
            let fv = fv.unwrap_or(&empty);
            let headers: Vec<String> = fv
                .item_texts("Headers")
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            let qs = fv.bool_at("QueryString") == Some(true);
            let qs_keys = fv.item_texts("QueryStringCacheKeys");
            let (qs_behavior, qs_names) = match (qs, qs_keys.is_empty()) {
                (false, _) => ("none".to_string(), Vec::new()),
                (true, true) => ("all".to_string(), Vec::new()),
                (true, false) => ("whitelist".to_string(), qs_keys),
            };
            CacheSettings {
                min: num(behavior, "MinTTL", 0),
                default: num(behavior, "DefaultTTL", 86_400),
                max: num(behavior, "MaxTTL", 31_536_000),
                all_headers: headers.iter().any(|h| h == "*"),
                key_headers: headers.into_iter().filter(|h| h != "*").collect(),
                qs_behavior,
                qs_names,
            }
        }
    }
}

/// How long CloudFront keeps a successful origin response, given its `Cache-Control` / `Expires`.
/// `None` means not cached.
pub(crate) fn success_ttl(
    s: &CacheSettings,
    cache_control: Option<&str>,
    expires: Option<&str>,
) -> Option<u64> {
    if s.all_headers {
        return None;
    }
    let mut max_age = None;
    let mut s_maxage = None;
    let mut no_store = false;
    if let Some(cc) = cache_control {
        for d in cc.split(',') {
            let d = d.trim().to_ascii_lowercase();
            let (k, v) = match d.split_once('=') {
                Some((k, v)) => (
                    k.trim().to_string(),
                    Some(v.trim().trim_matches('"').to_string()),
                ),
                None => (d.clone(), None),
            };
            match k.as_str() {
                "max-age" => max_age = v.and_then(|v| v.parse::<u64>().ok()),
                "s-maxage" => s_maxage = v.and_then(|v| v.parse::<u64>().ok()),
                "no-cache" | "no-store" | "private" => no_store = true,
                _ => {}
            }
        }
    }
    let ttl = if no_store {
        s.min
    } else if let Some(v) = s_maxage.or(max_age) {
        v.clamp(s.min, s.max.max(s.min))
    } else if let Some(exp) = expires.and_then(|e| httpdate::parse_http_date(e).ok()) {
        let secs = exp
            .duration_since(SystemTime::now())
            .map(|d| d.as_secs())
            .unwrap_or(0);
        secs.clamp(s.min, s.max.max(s.min))
    } else {
        s.default
    };
    if ttl == 0 { None } else { Some(ttl) }
}

/// `ErrorCachingMinTTL` for a status code from `CustomErrorResponses` (10 s when not configured).
pub(crate) fn error_ttl(cfg: &El, status: u16) -> u64 {
    cfg.items("CustomErrorResponses")
        .into_iter()
        .find(|r| r.i64_at("ErrorCode") == Some(status as i64))
        .and_then(|r| r.i64_at("ErrorCachingMinTTL"))
        .map(|v| v.max(0) as u64)
        .unwrap_or(DEFAULT_ERROR_TTL)
}

/// The cache key: method class, path, the query strings and headers the settings include.
pub(crate) fn cache_key(
    s: &CacheSettings,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> String {
    let class = if method == Method::OPTIONS {
        "OPTIONS"
    } else {
        "GET"
    };
    let mut qs: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| match s.qs_behavior.as_str() {
            "all" => true,
            "whitelist" => s.qs_names.iter().any(|n| n == k),
            "allExcept" => !s.qs_names.iter().any(|n| n == k),
            _ => false,
        })
        .cloned()
        .collect();
    qs.sort();
    let qs: Vec<String> = qs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let hs: Vec<String> = s
        .key_headers
        .iter()
        .map(|h| {
            format!(
                "{h}:{}",
                headers
                    .get(h.as_str())
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
            )
        })
        .collect();
    format!("{class} {path}?{}|{}", qs.join("&"), hs.join("|"))
}

/// Matches a viewer path to a cache behavior: the first ordered behavior whose pattern matches, else
/// the default.
pub(crate) fn select_behavior<'a>(cfg: &'a El, path: &str) -> Option<&'a El> {
    cfg.items("CacheBehaviors")
        .into_iter()
        .find(|b| path_pattern_matches(b.str_at("PathPattern"), path))
        .or_else(|| cfg.child("DefaultCacheBehavior"))
}

// ---------------------------------------------------------------------------------------------
// Origin access: resource policies.
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Origins.
// ---------------------------------------------------------------------------------------------

/// An S3 origin domain to its bucket: `<bucket>.s3[.-]<region>.amazonaws.com` or `<bucket>.s3.amazonaws.com`.
pub(crate) fn s3_bucket_of(domain: &str) -> Option<String> {
    let d = domain.to_ascii_lowercase();
    if !d.ends_with(".amazonaws.com") {
        return None;
    }
    let idx = d.rfind(".s3.").or_else(|| d.rfind(".s3-"))?;
    let bucket = &domain[..idx];
    if bucket.is_empty() {
        None
    } else {
        Some(bucket.to_string())
    }
}

fn xml_error_body(code: &str, message: &str) -> Bytes {
    Bytes::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        crate::wire::xml_escape(code),
        crate::wire::xml_escape(message),
        random_token(16)
    ))
}

fn origin_error(status: u16, code: &str, message: &str, xml: bool) -> OriginResp {
    if xml {
        OriginResp {
            status,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: xml_error_body(code, message),
        }
    } else {
        let body = serde_json::json!({ "__type": code, "Message": message }).to_string();
        OriginResp {
            status,
            headers: vec![
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("x-amzn-errortype".into(), code.into()),
            ],
            body: Bytes::from(body),
        }
    }
}

fn object_resp(o: StoredObject) -> OriginResp {
    let mut headers = vec![
        (
            "content-type".to_string(),
            o.content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        ),
        (
            "etag".to_string(),
            if o.etag.starts_with('"') {
                o.etag.clone()
            } else {
                format!("\"{}\"", o.etag)
            },
        ),
        (
            "last-modified".to_string(),
            httpdate::fmt_http_date(o.last_modified),
        ),
    ];
    if let Some(cc) = &o.cache_control {
        headers.push(("cache-control".into(), cc.clone()));
    }
    OriginResp {
        status: 200,
        headers,
        body: o.body,
    }
}

/// The origin's CORS answer, without a response headers policy (MediaStore CORS policy rules, as the edge reads
/// them: [`crate::cors::EDGE`]).
fn mediastore_cors(
    rules: Option<&serde_json::Value>,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Option<Vec<(String, String)>> {
    crate::cors::container_rule(rules, origin, method, request_headers, &crate::cors::EDGE)
}

/// What the edge sends to the origin.
struct OriginReq<'a> {
    origin: &'a El,
    method: &'a Method,
    /// Viewer path (decoded), starting with `/`.
    path: String,
    /// The viewer `Origin` header, if the behavior forwards it.
    forwarded_origin: Option<String>,
    acr_method: Option<String>,
    acr_headers: Option<String>,
    caller: Caller,
}

/// Fetches from the origin in-process.
async fn fetch_origin(shared: &SharedRef, r: &OriginReq<'_>) -> OriginResp {
    let domain = r.origin.str_at("DomainName").to_string();
    let origin_path = r.origin.str_at("OriginPath");
    let full = format!("{origin_path}{}", r.path);
    let key = full.trim_start_matches('/').to_string();
    if let Some(c) = shared.mediastore.container_by_host(&domain) {
        if c.status != "ACTIVE" {
            return origin_error(
                404,
                "ContainerNotFoundException",
                "The container is not active",
                false,
            );
        }
        let preflight = r.method == Method::OPTIONS;
        let action = if r.method == Method::HEAD {
            "mediastore:DescribeObject"
        } else {
            "mediastore:GetObject"
        };
        let resource = format!("{}/{key}", c.arn);
        if !preflight && !policy_allows(c.policy.as_deref(), action, &resource, &r.caller) {
            return origin_error(
                403,
                "AccessDeniedException",
                "User is not authorized to perform this action",
                false,
            );
        }
        let cors = match &r.forwarded_origin {
            Some(o) => {
                let m = if preflight {
                    r.acr_method.clone().unwrap_or_default()
                } else {
                    r.method.to_string()
                };
                let rh = if preflight {
                    r.acr_headers.as_deref()
                } else {
                    None
                };
                mediastore_cors(c.cors_policy.as_ref(), o, &m, rh)
            }
            None => None,
        };
        if preflight {
            return match (&r.forwarded_origin, cors) {
                (Some(_), Some(h)) => OriginResp {
                    status: 200,
                    headers: h,
                    body: Bytes::new(),
                },
                _ => origin_error(
                    403,
                    "AccessDeniedException",
                    "CORSResponse: This CORS request is not allowed.",
                    false,
                ),
            };
        }
        let mut resp = match shared.mediastore.get_object(&c.name, &key) {
            Some(o) => object_resp(o),
            None => origin_error(
                404,
                "ObjectNotFoundException",
                &format!("Object not found: {key}"),
                false,
            ),
        };
        if let Some(h) = cors {
            for (k, v) in h {
                if k != "access-control-allow-headers" && k != "access-control-max-age" {
                    resp.set_header(&k, v);
                }
            }
            resp.set_header("vary", "Origin");
        }
        return resp;
    }
    if let Some(bucket) = s3_bucket_of(&domain) {
        if !shared.s3.bucket_exists(&bucket).await {
            return origin_error(
                404,
                "NoSuchBucket",
                "The specified bucket does not exist",
                true,
            );
        }
        if r.method == Method::OPTIONS {
            return origin_error(
                403,
                "AccessForbidden",
                "CORSResponse: CORS is not enabled for this bucket.",
                true,
            );
        }
        let policy = shared.s3.bucket_policy(&bucket).await;
        let resource = format!("arn:aws:s3:::{bucket}/{key}");
        if !policy_allows(policy.as_deref(), "s3:GetObject", &resource, &r.caller) {
            return origin_error(403, "AccessDenied", "Access Denied", true);
        }
        return match shared.s3.get_object(&bucket, &key).await {
            Some(o) => object_resp(o),
            None => {
                // Without s3:ListBucket, S3 answers 403 for a missing key.
                if policy_allows(
                    policy.as_deref(),
                    "s3:ListBucket",
                    &format!("arn:aws:s3:::{bucket}"),
                    &r.caller,
                ) {
                    origin_error(404, "NoSuchKey", "The specified key does not exist.", true)
                } else {
                    origin_error(403, "AccessDenied", "Access Denied", true)
                }
            }
        };
    }
    OriginResp {
        status: 502,
        headers: vec![("content-type".into(), "text/html".into())],
        body: Bytes::from(cf_error_page(
            "502 ERROR",
            "CloudFront wasn't able to connect to the origin (only MediaStore containers and S3 buckets of this emulator are reachable).",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Viewer side.
// ---------------------------------------------------------------------------------------------

fn random_token(n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect()
}

fn cf_error_page(title: &str, detail: &str) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" \"http://www.w3.org/TR/html4/loose.dtd\">\n<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n<H1>{}</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size=\"1px\">\n{}\n</BODY></HTML>",
        crate::wire::xml_escape(title),
        crate::wire::xml_escape(detail)
    )
}

fn viewer_resp(mut r: OriginResp, x_cache: &str, age: Option<u64>, head: bool) -> Resp {
    let mut b = http::Response::builder()
        .status(StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY));
    r.remove_header("content-length");
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    b = b
        .header("x-cache", x_cache)
        .header(
            "via",
            format!(
                "1.1 {}.cloudfront.localhost (CloudFront)",
                random_token(32).to_ascii_lowercase()
            ),
        )
        .header("x-amz-cf-pop", "LOC50-P1")
        .header("x-amz-cf-id", format!("{}==", random_token(54)))
        .header(crate::wire::OPERATION_HEADER, "EdgeRequest");
    if let Some(a) = age {
        b = b.header("age", a.to_string());
    }
    if head {
        // A HEAD answer carries the length of what GET would send.
        b = b.header("content-length", r.body.len().to_string());
    }
    let body = if head { Bytes::new() } else { r.body };
    b.body(body).expect("valid response")
}

fn edge_error(status: u16, title: &str, detail: &str) -> Resp {
    let r = OriginResp {
        status,
        headers: vec![
            ("content-type".into(), "text/html".into()),
            ("server".into(), "CloudFront".into()),
        ],
        body: Bytes::from(cf_error_page(title, detail)),
    };
    viewer_resp(r, "Error from cloudfront", None, false)
}

/// Applies a single `Range: bytes=` range to a 200 response (206 / 416); other responses unchanged.
pub(crate) fn apply_range(r: OriginResp, range: Option<&str>) -> OriginResp {
    let Some(range) = range else { return r };
    if r.status != 200 {
        return r;
    }
    let len = r.body.len() as u64;
    let (start, end) = match crate::wire::parse_range(range, len) {
        Ok(x) => x,
        // Several ranges or a range CloudFront does not take: serve the whole object, as allowed.
        Err(crate::wire::RangeError::Malformed) => return r,
        Err(crate::wire::RangeError::Unsatisfiable) => {
            let mut out = OriginResp {
                status: 416,
                headers: Vec::new(),
                body: Bytes::new(),
            };
            out.set_header("content-range", format!("bytes */{len}"));
            if let Some(ct) = r.header("content-type") {
                out.set_header("content-type", ct.to_string());
            }
            return out;
        }
    };
    let mut out = r.clone();
    out.status = 206;
    out.body = r.body.slice(start as usize..=end as usize);
    out.set_header("content-range", format!("bytes {start}-{end}/{len}"));
    out.set_header("accept-ranges", "bytes");
    out
}

/// CORS headers from a response headers policy's `CorsConfig` for a viewer `Origin`; `None` when
/// the origin is not allowed (no CORS headers then).
pub(crate) fn policy_cors(
    cors: &El,
    origin: &str,
    preflight: bool,
) -> Option<Vec<(String, String)>> {
    let origins = cors.item_texts("AccessControlAllowOrigins");
    let any = origins.iter().any(|o| o == "*");
    if !any
        && !origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin) || glob(o.as_bytes(), origin.as_bytes(), true))
    {
        return None;
    }
    let creds = cors.bool_at("AccessControlAllowCredentials") == Some(true);
    let mut out = vec![(
        "access-control-allow-origin".to_string(),
        if any && !creds {
            "*".to_string()
        } else {
            origin.to_string()
        },
    )];
    if creds {
        out.push(("access-control-allow-credentials".into(), "true".into()));
    }
    if preflight {
        let methods = cors.item_texts("AccessControlAllowMethods");
        let m = if methods.iter().any(|m| m == "ALL") {
            ALL_METHODS.to_string()
        } else {
            methods.join(", ")
        };
        out.push(("access-control-allow-methods".into(), m));
        let headers = cors.item_texts("AccessControlAllowHeaders");
        if !headers.is_empty() {
            out.push(("access-control-allow-headers".into(), headers.join(", ")));
        }
        if let Some(age) = cors
            .text_at("AccessControlMaxAgeSec")
            .filter(|a| !a.is_empty())
        {
            out.push(("access-control-max-age".into(), age.to_string()));
        }
    } else {
        let expose = cors.item_texts("AccessControlExposeHeaders");
        if !expose.is_empty() {
            out.push(("access-control-expose-headers".into(), expose.join(", ")));
        }
    }
    Some(out)
}

/// Applies a response headers policy to a response on its way to the viewer.
fn apply_response_headers_policy(r: &mut OriginResp, policy: &El, viewer_origin: Option<&str>) {
    if let (Some(cors), Some(origin)) = (policy.child("CorsConfig"), viewer_origin) {
        let override_origin = cors.bool_at("OriginOverride") == Some(true);
        if override_origin || r.header("access-control-allow-origin").is_none() {
            if override_origin {
                for h in [
                    "access-control-allow-origin",
                    "access-control-allow-credentials",
                    "access-control-expose-headers",
                ] {
                    r.remove_header(h);
                }
            }
            if let Some(h) = policy_cors(cors, origin, false) {
                for (k, v) in h {
                    r.set_header(&k, v);
                }
            }
        }
    }
    if let Some(sec) = policy.child("SecurityHeadersConfig") {
        let mut set = |name: &str, el: Option<&El>, value: String| {
            if let Some(el) = el
                && (el.bool_at("Override") == Some(true) || r.header(name).is_none())
            {
                r.set_header(name, value);
            }
        };
        let hsts = sec.child("StrictTransportSecurity");
        if let Some(h) = hsts {
            let mut v = format!("max-age={}", h.str_at("AccessControlMaxAgeSec"));
            if h.bool_at("IncludeSubdomains") == Some(true) {
                v.push_str("; includeSubDomains");
            }
            if h.bool_at("Preload") == Some(true) {
                v.push_str("; preload");
            }
            set("strict-transport-security", hsts, v);
        }
        set(
            "x-content-type-options",
            sec.child("ContentTypeOptions"),
            "nosniff".into(),
        );
        let fo = sec.child("FrameOptions");
        set(
            "x-frame-options",
            fo,
            fo.map(|f| f.str_at("FrameOption").to_string())
                .unwrap_or_default(),
        );
        let rp = sec.child("ReferrerPolicy");
        set(
            "referrer-policy",
            rp,
            rp.map(|f| f.str_at("ReferrerPolicy").to_string())
                .unwrap_or_default(),
        );
        let csp = sec.child("ContentSecurityPolicy");
        set(
            "content-security-policy",
            csp,
            csp.map(|f| f.str_at("ContentSecurityPolicy").to_string())
                .unwrap_or_default(),
        );
        if let Some(x) = sec.child("XSSProtection") {
            let mut v = if x.bool_at("Protection") == Some(true) {
                "1".to_string()
            } else {
                "0".to_string()
            };
            if x.bool_at("ModeBlock") == Some(true) {
                v.push_str("; mode=block");
            }
            if let Some(u) = x.text_at("ReportUri").filter(|u| !u.is_empty()) {
                v.push_str(&format!("; report={u}"));
            }
            set("x-xss-protection", Some(x), v);
        }
    }
    for h in policy.items("CustomHeadersConfig") {
        let name = h.str_at("Header").to_ascii_lowercase();
        if h.bool_at("Override") == Some(true) || r.header(&name).is_none() {
            r.set_header(&name, h.str_at("Value").to_string());
        }
    }
    for h in policy.items("RemoveHeadersConfig") {
        r.remove_header(&h.str_at("Header").to_ascii_lowercase());
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Whether the behavior sends the viewer's `Origin` header to the origin (cache key or origin
/// request policy).
fn forwards_origin_header(shared: &SharedRef, behavior: &El, s: &CacheSettings) -> bool {
    if s.all_headers || s.key_headers.iter().any(|h| h == "origin") {
        return true;
    }
    let orp_id = behavior.str_at("OriginRequestPolicyId");
    if orp_id.is_empty() {
        return false;
    }
    let Some(orp) = shared
        .cloudfront
        .policy_config(Kind::OriginRequestPolicy, orp_id)
    else {
        return false;
    };
    match orp.str_at("HeadersConfig/HeaderBehavior") {
        "allViewer" => true,
        "whitelist" | "allViewerAndWhitelistCloudFront" => {
            orp.str_at("HeadersConfig/HeaderBehavior") == "allViewerAndWhitelistCloudFront"
                || orp
                    .item_texts("HeadersConfig/Headers")
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case("origin"))
        }
        "allExcept" => !orp
            .item_texts("HeadersConfig/Headers")
            .iter()
            .any(|h| h.eq_ignore_ascii_case("origin")),
        _ => false,
    }
}

fn caller_for(shared: &SharedRef, dist: &EdgeDist, origin: &El, is_mediastore: bool) -> Caller {
    let oac_id = origin.str_at("OriginAccessControlId");
    let oac = if oac_id.is_empty() {
        false
    } else {
        match shared.cloudfront.policy_config(Kind::Oac, oac_id) {
            Some(c) => {
                let ty = c.str_at("OriginAccessControlOriginType");
                c.str_at("SigningBehavior") != "never"
                    && ((is_mediastore && ty == "mediastore") || (!is_mediastore && ty == "s3"))
            }
            None => false,
        }
    };
    let secure = !matches!(
        origin.text_at("CustomOriginConfig/OriginProtocolPolicy"),
        Some("http-only")
    );
    let origin_headers = origin
        .items("CustomHeaders")
        .into_iter()
        .map(|h| {
            (
                h.str_at("HeaderName").to_ascii_lowercase(),
                h.str_at("HeaderValue").to_string(),
            )
        })
        .collect();
    Caller {
        oac,
        dist_arn: dist.arn.clone(),
        secure_transport: secure,
        origin_headers,
    }
}

/// Resolves the origin (or the primary origin of an origin group) a behavior targets.
fn target_origins<'a>(cfg: &'a El, target: &str) -> (Vec<&'a El>, Vec<u16>) {
    let origins = cfg.items("Origins");
    if let Some(o) = origins.iter().find(|o| o.str_at("Id") == target) {
        return (vec![*o], Vec::new());
    }
    if let Some(g) = cfg
        .items("OriginGroups")
        .into_iter()
        .find(|g| g.str_at("Id") == target)
    {
        let members: Vec<&El> = g
            .items("Members")
            .into_iter()
            .filter_map(|m| {
                origins
                    .iter()
                    .find(|o| o.str_at("Id") == m.str_at("OriginId"))
                    .copied()
            })
            .collect();
        let codes = g
            .item_texts("FailoverCriteria/StatusCodes")
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect();
        return (members, codes);
    }
    (Vec::new(), Vec::new())
}

/// Serves a viewer request. `req.ctx` is not meaningful here (viewer requests are unsigned).
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    let host = header_str(&req.headers, "host")
        .or_else(|| req.uri.host().map(str::to_string))
        .unwrap_or_default();
    let host = host.split(':').next().unwrap_or("").to_string();
    let Some(dist) = shared.cloudfront.edge_lookup(&host) else {
        return edge_error(
            403,
            "403 ERROR",
            "Bad request. We can't connect to the server for this app or website at this time.",
        );
    };
    let cfg = &dist.config;
    if cfg.bool_at("Enabled") != Some(true) {
        return edge_error(403, "403 ERROR", "The distribution is disabled.");
    }
    let raw_path = req.uri.path().to_string();
    let path = crate::wire::percent_decode(&raw_path.replace('+', "%2B"));
    let path = if path == "/" && !cfg.str_at("DefaultRootObject").is_empty() {
        format!("/{}", cfg.str_at("DefaultRootObject"))
    } else {
        path
    };
    let query = crate::wire::parse_query(req.uri.query());
    let Some(behavior) = select_behavior(cfg, &path) else {
        return edge_error(502, "502 ERROR", "The distribution has no cache behavior.");
    };
    let method = req.method.clone();
    let allowed = behavior.item_texts("AllowedMethods");
    let allowed = if allowed.is_empty() {
        vec!["GET".to_string(), "HEAD".to_string()]
    } else {
        allowed
    };
    if !allowed
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method.as_str()))
    {
        return edge_error(
            403,
            "403 ERROR",
            "This distribution is not configured to allow the HTTP request method that was used for this request.",
        );
    }
    if method != Method::GET && method != Method::HEAD && method != Method::OPTIONS {
        return edge_error(
            501,
            "501 ERROR",
            "The emulator's edge forwards only GET, HEAD and OPTIONS to origins.",
        );
    }
    let cache_policy = match behavior.str_at("CachePolicyId") {
        "" => None,
        id => shared.cloudfront.policy_config(Kind::CachePolicy, id),
    };
    let settings = cache_settings(behavior, cache_policy.as_ref());
    let rhp = match behavior.str_at("ResponseHeadersPolicyId") {
        "" => None,
        id => shared
            .cloudfront
            .policy_config(Kind::ResponseHeadersPolicy, id),
    };
    let viewer_origin = header_str(&req.headers, "origin");
    let acr_method = header_str(&req.headers, "access-control-request-method");
    let preflight = method == Method::OPTIONS && viewer_origin.is_some() && acr_method.is_some();

    // A response headers policy with a CORS config answers preflights at the edge.
    if preflight && let Some(cors) = rhp.as_ref().and_then(|p| p.child("CorsConfig")) {
        let headers =
            policy_cors(cors, viewer_origin.as_deref().unwrap_or(""), true).unwrap_or_default();
        let r = OriginResp {
            status: 200,
            headers,
            body: Bytes::new(),
        };
        return viewer_resp(r, "Miss from cloudfront", None, false);
    }

    let cached_methods = behavior.item_texts("AllowedMethods/CachedMethods");
    let cacheable_method =
        method != Method::OPTIONS || cached_methods.iter().any(|m| m == "OPTIONS");
    let key = cache_key(&settings, &method, &path, &query, &req.headers);
    let head = method == Method::HEAD;
    let range = header_str(&req.headers, "range");
    let if_none_match = header_str(&req.headers, "if-none-match");

    let finish = |mut r: OriginResp, x_cache: &str, age: Option<u64>| -> Resp {
        if let Some(p) = &rhp {
            apply_response_headers_policy(&mut r, p, viewer_origin.as_deref());
        }
        let r = match (&if_none_match, r.header("etag")) {
            (Some(inm), Some(etag))
                if r.status == 200
                    && inm.split(',').any(|t| t.trim() == etag || t.trim() == "*") =>
            {
                let mut nm = r.clone();
                nm.status = 304;
                nm.body = Bytes::new();
                nm.remove_header("content-type");
                nm
            }
            _ => apply_range(r, range.as_deref()),
        };
        let x_cache = if r.status >= 400 {
            "Error from cloudfront"
        } else {
            x_cache
        };
        viewer_resp(r, x_cache, age, head)
    };

    if cacheable_method && let Some(e) = shared.cloudfront.edge.get(&dist.id, &key) {
        let age = e.stored.elapsed().as_secs();
        return finish(e.resp, "Hit from cloudfront", Some(age));
    }

    let (origins, failover_codes) = target_origins(cfg, behavior.str_at("TargetOriginId"));
    if origins.is_empty() {
        return edge_error(
            502,
            "502 ERROR",
            "The cache behavior's target origin does not exist.",
        );
    }
    let forward_origin = forwards_origin_header(shared, behavior, &settings);
    let mut resp = None;
    for (i, origin) in origins.iter().enumerate() {
        let is_mediastore = shared
            .mediastore
            .container_by_host(origin.str_at("DomainName"))
            .is_some();
        let oreq = OriginReq {
            origin,
            method: &method,
            path: path.clone(),
            forwarded_origin: if forward_origin {
                viewer_origin.clone()
            } else {
                None
            },
            acr_method: if forward_origin {
                acr_method.clone()
            } else {
                None
            },
            acr_headers: if forward_origin {
                header_str(&req.headers, "access-control-request-headers")
            } else {
                None
            },
            caller: caller_for(shared, &dist, origin, is_mediastore),
        };
        let r = fetch_origin(shared, &oreq).await;
        let retry = i + 1 < origins.len() && failover_codes.contains(&r.status);
        resp = Some(r);
        if !retry {
            break;
        }
    }
    let mut r = resp.expect("at least one origin");

    // Custom error responses with a response page.
    let mut ttl = None;
    if r.status >= 400
        && let Some(cer) = cfg
            .items("CustomErrorResponses")
            .into_iter()
            .find(|c| c.i64_at("ErrorCode") == Some(r.status as i64))
        && let Some(code) = cer.i64_at("ResponseCode")
        && let page = cer.str_at("ResponsePagePath")
        && !page.is_empty()
        && let Some(pb) = select_behavior(cfg, page)
        && let Some(o) = target_origins(cfg, pb.str_at("TargetOriginId"))
            .0
            .first()
            .copied()
    {
        let is_ms = shared
            .mediastore
            .container_by_host(o.str_at("DomainName"))
            .is_some();
        let preq = OriginReq {
            origin: o,
            method: &Method::GET,
            path: page.to_string(),
            forwarded_origin: None,
            acr_method: None,
            acr_headers: None,
            caller: caller_for(shared, &dist, o, is_ms),
        };
        let pr = fetch_origin(shared, &preq).await;
        if pr.status == 200 {
            let status = r.status;
            r = pr;
            r.status = code as u16;
            ttl = Some(error_ttl(cfg, status));
        }
    }
    let ttl = match ttl {
        Some(t) => Some(t),
        None if r.status < 400 && r.status != 206 => {
            success_ttl(&settings, r.header("cache-control"), r.header("expires"))
        }
        None if CACHEABLE_ERRORS.contains(&r.status) => {
            // The greater of ErrorCachingMinTTL and the origin's own max-age / s-maxage / Expires.
            let origin_ttl = success_ttl(
                &CacheSettings {
                    min: 0,
                    default: 0,
                    max: u64::MAX,
                    ..settings.clone()
                },
                r.header("cache-control"),
                r.header("expires"),
            );
            Some(error_ttl(cfg, r.status).max(origin_ttl.unwrap_or(0)))
        }
        None => None,
    };
    if cacheable_method && let Some(t) = ttl.filter(|t| *t > 0) {
        let entry = Entry {
            resp: r.clone(),
            stored: Instant::now(),
            ttl: Duration::from_secs(t),
            path: path.clone(),
        };
        shared.cloudfront.edge.put(&dist.id, key, entry);
    }
    finish(r, "Miss from cloudfront", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::xml::parse;

    #[test]
    fn path_patterns_match_like_cloudfront() {
        assert!(path_pattern_matches("/vod/*", "/vod/a/b.m3u8"));
        assert!(path_pattern_matches("vod/*", "/vod/a/b.m3u8"));
        assert!(path_pattern_matches("*.m3u8", "/x/y/index.m3u8"));
        assert!(!path_pattern_matches("*.m3u8", "/x/y/seg.ts"));
        assert!(path_pattern_matches("/img/?.png", "/img/a.png"));
        assert!(!path_pattern_matches("/img/?.png", "/img/ab.png"));
        assert!(!path_pattern_matches("/VOD/*", "/vod/a"));
    }

    #[test]
    fn invalidation_paths() {
        assert!(invalidation_matches("/*", "/a/b"));
        assert!(invalidation_matches("/vod/*", "/vod/x.ts"));
        assert!(!invalidation_matches("/vod/*", "/live/x.ts"));
        assert!(invalidation_matches("/a.m3u8", "/a.m3u8"));
        assert!(!invalidation_matches("/a.m3u8", "/a.m3u8x"));
    }

    fn settings(min: u64, default: u64, max: u64) -> CacheSettings {
        CacheSettings {
            min,
            default,
            max,
            key_headers: vec![],
            all_headers: false,
            qs_behavior: "none".into(),
            qs_names: vec![],
        }
    }

    #[test]
    fn ttls_clamp_origin_cache_control() {
        let s = settings(1, 86400, 31536000);
        assert_eq!(success_ttl(&s, None, None), Some(86400));
        assert_eq!(success_ttl(&s, Some("max-age=60"), None), Some(60));
        assert_eq!(
            success_ttl(&s, Some("max-age=60, s-maxage=5"), None),
            Some(5)
        );
        assert_eq!(success_ttl(&s, Some("max-age=0"), None), Some(1));
        assert_eq!(success_ttl(&s, Some("no-cache"), None), Some(1));
        let s = settings(0, 0, 31536000);
        assert_eq!(success_ttl(&s, None, None), None);
        assert_eq!(
            success_ttl(&s, Some("max-age=99999999999"), None),
            Some(31536000)
        );
        assert_eq!(success_ttl(&s, Some("no-store"), None), None);
        let s = settings(0, 0, 0);
        assert_eq!(success_ttl(&s, Some("max-age=600"), None), None);
    }

    #[test]
    fn error_ttl_defaults_to_ten_seconds() {
        let cfg = parse(b"<DistributionConfig><CustomErrorResponses><Quantity>1</Quantity><Items><CustomErrorResponse><ErrorCode>404</ErrorCode><ErrorCachingMinTTL>3</ErrorCachingMinTTL></CustomErrorResponse></Items></CustomErrorResponses></DistributionConfig>").unwrap();
        assert_eq!(error_ttl(&cfg, 404), 3);
        assert_eq!(error_ttl(&cfg, 403), 10);
    }

    #[test]
    fn cache_key_includes_origin_only_when_configured() {
        let mut h1 = HeaderMap::new();
        h1.insert("origin", "https://a.example".parse().unwrap());
        let mut h2 = HeaderMap::new();
        h2.insert("origin", "https://b.example".parse().unwrap());
        let s = settings(0, 1, 1);
        assert_eq!(
            cache_key(&s, &Method::GET, "/x", &[], &h1),
            cache_key(&s, &Method::GET, "/x", &[], &h2)
        );
        let mut s2 = s.clone();
        s2.key_headers = vec!["origin".into()];
        assert_ne!(
            cache_key(&s2, &Method::GET, "/x", &[], &h1),
            cache_key(&s2, &Method::GET, "/x", &[], &h2)
        );
        assert_eq!(
            cache_key(&s2, &Method::HEAD, "/x", &[], &h1),
            cache_key(&s2, &Method::GET, "/x", &[], &h1)
        );
    }

    #[test]
    fn cache_settings_from_policy_and_legacy() {
        let policy = parse(br#"<CachePolicyConfig><Name>p</Name><MinTTL>0</MinTTL><DefaultTTL>86400</DefaultTTL><MaxTTL>31536000</MaxTTL><ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip><HeadersConfig><HeaderBehavior>whitelist</HeaderBehavior><Headers><Quantity>1</Quantity><Items><Name>Origin</Name></Items></Headers></HeadersConfig><CookiesConfig><CookieBehavior>none</CookieBehavior></CookiesConfig><QueryStringsConfig><QueryStringBehavior>whitelist</QueryStringBehavior><QueryStrings><Quantity>1</Quantity><Items><Name>m</Name></Items></QueryStrings></QueryStringsConfig></ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>"#).unwrap();
        let s = cache_settings(&El::default(), Some(&policy));
        assert_eq!(s.key_headers, vec!["origin".to_string()]);
        assert_eq!((s.min, s.default, s.max), (0, 86400, 31536000));
        let q = vec![
            ("m".to_string(), "1".to_string()),
            ("x".to_string(), "2".to_string()),
        ];
        assert!(cache_key(&s, &Method::GET, "/a", &q, &HeaderMap::new()).contains("?m=1|"));
        let legacy = parse(br#"<DefaultCacheBehavior><ForwardedValues><QueryString>false</QueryString><Cookies><Forward>none</Forward></Cookies><Headers><Quantity>1</Quantity><Items><Name>Origin</Name></Items></Headers></ForwardedValues><MinTTL>0</MinTTL><DefaultTTL>5</DefaultTTL><MaxTTL>10</MaxTTL></DefaultCacheBehavior>"#).unwrap();
        let s = cache_settings(&legacy, None);
        assert_eq!((s.min, s.default, s.max), (0, 5, 10));
        assert_eq!(s.key_headers, vec!["origin".to_string()]);
        assert_eq!(s.qs_behavior, "none");
    }

    #[test]
    fn s3_domains_map_to_buckets() {
        assert_eq!(
            s3_bucket_of("my-bucket.s3.us-east-1.amazonaws.com").as_deref(),
            Some("my-bucket")
        );
        assert_eq!(
            s3_bucket_of("my.dotted.bucket.s3.amazonaws.com").as_deref(),
            Some("my.dotted.bucket")
        );
        assert_eq!(
            s3_bucket_of("b.s3-eu-west-1.amazonaws.com").as_deref(),
            Some("b")
        );
        assert_eq!(
            s3_bucket_of("abc.data.mediastore.us-east-1.localhost"),
            None
        );
    }

    #[test]
    fn ranges() {
        let r = OriginResp {
            status: 200,
            headers: vec![("content-type".into(), "video/mp2t".into())],
            body: Bytes::from_static(b"0123456789"),
        };
        let p = apply_range(r.clone(), Some("bytes=2-4"));
        assert_eq!((p.status, &p.body[..]), (206, &b"234"[..]));
        assert_eq!(p.header("content-range"), Some("bytes 2-4/10"));
        assert_eq!(&apply_range(r.clone(), Some("bytes=-3")).body[..], b"789");
        assert_eq!(&apply_range(r.clone(), Some("bytes=8-")).body[..], b"89");
        assert_eq!(apply_range(r.clone(), Some("bytes=20-")).status, 416);
        assert_eq!(apply_range(r, None).status, 200);
    }

    #[test]
    fn response_headers_policy_cors() {
        let cors = parse(br#"<CorsConfig><AccessControlAllowOrigins><Quantity>1</Quantity><Items><Origin>https://app.example</Origin></Items></AccessControlAllowOrigins><AccessControlAllowHeaders><Quantity>1</Quantity><Items><Header>*</Header></Items></AccessControlAllowHeaders><AccessControlAllowMethods><Quantity>2</Quantity><Items><Method>GET</Method><Method>HEAD</Method></Items></AccessControlAllowMethods><AccessControlAllowCredentials>false</AccessControlAllowCredentials><AccessControlMaxAgeSec>600</AccessControlMaxAgeSec><OriginOverride>true</OriginOverride></CorsConfig>"#).unwrap();
        let h = policy_cors(&cors, "https://app.example", false).unwrap();
        assert_eq!(
            h[0],
            (
                "access-control-allow-origin".to_string(),
                "https://app.example".to_string()
            )
        );
        assert!(policy_cors(&cors, "https://evil.example", false).is_none());
        let p = policy_cors(&cors, "https://app.example", true).unwrap();
        assert!(p.contains(&(
            "access-control-allow-methods".to_string(),
            "GET, HEAD".to_string()
        )));
        assert!(p.contains(&("access-control-max-age".to_string(), "600".to_string())));
    }

    #[test]
    fn mediastore_cors_rules() {
        let rules = serde_json::json!([{"AllowedOrigins":["https://app.example"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"],"MaxAgeSeconds":3000,"ExposeHeaders":["ETag"]}]);
        let h = mediastore_cors(Some(&rules), "https://app.example", "GET", None).unwrap();
        assert!(h.contains(&(
            "access-control-allow-origin".to_string(),
            "https://app.example".to_string()
        )));
        assert!(h.contains(&(
            "access-control-expose-headers".to_string(),
            "ETag".to_string()
        )));
        assert!(mediastore_cors(Some(&rules), "https://evil.example", "GET", None).is_none());
        assert!(mediastore_cors(Some(&rules), "https://app.example", "PUT", None).is_none());
        let any = serde_json::json!([{"AllowedOrigins":["*"],"AllowedMethods":["GET"],"AllowedHeaders":["*"]}]);
        assert_eq!(
            mediastore_cors(Some(&any), "https://x", "GET", None).unwrap()[0].1,
            "*"
        );
    }

    #[test]
    fn behavior_selection() {
        let cfg = parse(br#"<DistributionConfig><DefaultCacheBehavior><TargetOriginId>d</TargetOriginId></DefaultCacheBehavior><CacheBehaviors><Quantity>2</Quantity><Items><CacheBehavior><PathPattern>*.m3u8</PathPattern><TargetOriginId>m</TargetOriginId></CacheBehavior><CacheBehavior><PathPattern>/vod/*</PathPattern><TargetOriginId>v</TargetOriginId></CacheBehavior></Items></CacheBehaviors></DistributionConfig>"#).unwrap();
        assert_eq!(
            select_behavior(&cfg, "/vod/a.m3u8")
                .unwrap()
                .str_at("TargetOriginId"),
            "m"
        );
        assert_eq!(
            select_behavior(&cfg, "/vod/a.ts")
                .unwrap()
                .str_at("TargetOriginId"),
            "v"
        );
        assert_eq!(
            select_behavior(&cfg, "/x.ts")
                .unwrap()
                .str_at("TargetOriginId"),
            "d"
        );
    }
}
