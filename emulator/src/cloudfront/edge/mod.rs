//! The viewer edge: serves distributions by Host `<id>.cloudfront.localhost`. Owner: cloudfront.
//!
//! A viewer request is matched to a cache behavior, looked up in the edge cache (keyed as the cache
//! policy or legacy `ForwardedValues` say), and on a miss fetched in-process from the origin (a
//! MediaStore container or an S3 bucket) after checking the origin's resource policy against this
//! distribution (OAC: service principal `cloudfront.amazonaws.com` + `AWS:SourceArn`; MediaStore
//! legacy: `aws:UserAgent` "Amazon CloudFront"). TTLs follow CloudFront's rules (min/default/max
//! against the origin's `Cache-Control`), errors are cached for `ErrorCachingMinTTL` (10 s default),
//! and CORS comes from the response headers policy or, without one, from the origin's CORS rules.

mod cache;
mod compress;
mod headers;
mod origin;
mod signed;

pub use cache::Cache;
use cache::{
    CacheSettings, Entry, cache_key, cache_settings, error_cache_ttl, error_ttl, select_behavior,
    success_ttl,
};
use headers::{Conditions, apply_conditions, apply_response_headers_policy, policy_cors};
use origin::{OriginReq, fetch_origin};
pub(crate) use signed::check_public_key;

use super::xml::El;
use super::{EdgeDist, Kind};
use crate::SharedRef;
use crate::iam::Caller;
use crate::wire::{Req, Resp};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use rand::Rng;
use std::time::{Duration, Instant};

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
        // A value that is not a valid header (stored metadata, say) is left out rather than failing the response.
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            b = b.header(name, value);
        }
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
    if head && r.status != 304 {
        // A HEAD answer carries the length of what GET would send (a 304 carries none).
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

/// The account's key groups and public keys, as the signed-request check reads them.
struct AccountKeys<'a>(&'a super::State);

impl signed::Keys for AccountKeys<'_> {
    fn key_group(&self, id: &str) -> Option<El> {
        self.0.policy_config(Kind::KeyGroup, id)
    }
    fn public_key(&self, id: &str) -> Option<El> {
        self.0.policy_config(Kind::PublicKey, id)
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Whether the behavior sends the viewer's header `name` (lowercase) to the origin: it is in the cache key, or the
/// origin request policy forwards it.
fn forwards_header(shared: &SharedRef, behavior: &El, s: &CacheSettings, name: &str) -> bool {
    if s.all_headers || s.key_headers.iter().any(|h| h == name) {
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
    let listed = orp
        .item_texts("HeadersConfig/Headers")
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name));
    match orp.str_at("HeadersConfig/HeaderBehavior") {
        "allViewer" | "allViewerAndWhitelistCloudFront" => true,
        "whitelist" => listed,
        "allExcept" => !listed,
        _ => false,
    }
}

/// Whether an origin is a MediaStore container of this emulator (by endpoint host, or path-style endpoint).
fn is_mediastore_origin(shared: &SharedRef, origin: &El) -> bool {
    shared
        .mediastore
        .container_for_origin(
            origin.str_at("DomainName"),
            &format!("{}/", origin.str_at("OriginPath")),
        )
        .is_some()
}

fn caller_for(shared: &SharedRef, dist: &EdgeDist, origin: &El) -> Caller {
    let is_mediastore = is_mediastore_origin(shared, origin);
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
        account: None,
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

/// The behavior's `ViewerProtocolPolicy` for a request that came over HTTP (the edge has no TLS: a request counts
/// as HTTPS only with `X-Forwarded-Proto: https`), when the `enforce_viewer_protocol` knob is on. CloudFront
/// answers `redirect-to-https` with a 301 to the HTTPS URL for GET and HEAD, and a 307 for the other methods, and
/// `https-only` with 403
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-viewers-to-cloudfront.html>).
fn viewer_protocol(behavior: &El, req: &Req, method: &Method) -> Option<Resp> {
    let https = header_str(&req.headers, "x-forwarded-proto")
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if https {
        return None;
    }
    match behavior.str_at("ViewerProtocolPolicy") {
        "redirect-to-https" => {
            let host = header_str(&req.headers, "host").unwrap_or_default();
            let path = req.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let (status, title) = if method == Method::GET || method == Method::HEAD {
                (301, "301 Moved Permanently")
            } else {
                (307, "307 Temporary Redirect")
            };
            let r = OriginResp {
                status,
                headers: vec![
                    ("content-type".into(), "text/html".into()),
                    ("server".into(), "CloudFront".into()),
                    ("location".into(), format!("https://{host}{path}")),
                ],
                body: Bytes::from(cf_error_page(title, "This distribution only serves HTTPS.")),
            };
            Some(viewer_resp(
                r,
                "Redirect from cloudfront",
                None,
                method == Method::HEAD,
            ))
        }
        "https-only" => Some(edge_error(
            403,
            "403 ERROR",
            "This distribution only accepts HTTPS requests.",
        )),
        _ => None,
    }
}

/// 403 for a method outside the behavior's `AllowedMethods` (GET and HEAD when none are listed), 501
/// for an allowed method the edge does not forward (anything but GET, HEAD and OPTIONS).
fn method_refusal(behavior: &El, method: &Method) -> Option<Resp> {
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
        return Some(edge_error(
            403,
            "403 ERROR",
            "This distribution is not configured to allow the HTTP request method that was used for this request.",
        ));
    }
    if method != Method::GET && method != Method::HEAD && method != Method::OPTIONS {
        return Some(edge_error(
            501,
            "501 ERROR",
            "The emulator's edge forwards only GET, HEAD and OPTIONS to origins.",
        ));
    }
    None
}

/// For a behavior that trusts key groups (restricted viewer access): the 403 of a request without a valid
/// signed URL or signed cookies; `None` when it may pass.
fn signed_refusal(shared: &SharedRef, behavior: &El, req: &Req, raw_path: &str) -> Option<Resp> {
    let trusted = signed::trusted_key_groups(behavior);
    if trusted.is_empty() {
        return None;
    }
    let mut url = format!(
        "http://{}{raw_path}",
        header_str(&req.headers, "host").unwrap_or_default()
    );
    let kept: Vec<&str> = req
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or_default();
            !kv.is_empty() && !signed::RESERVED.contains(&k)
        })
        .collect();
    if !kept.is_empty() {
        url.push('?');
        url.push_str(&kept.join("&"));
    }
    let all_query = crate::wire::parse_query(req.uri.query());
    let viewer = signed::Viewer {
        url,
        query: &all_query,
        headers: &req.headers,
        ip: req.ctx.peer,
    };
    let denied = signed::check(
        &AccountKeys(&shared.cloudfront),
        &trusted,
        &viewer,
        std::time::SystemTime::now(),
    )
    .err()?;
    Some(viewer_resp(
        denied.response(),
        "Error from cloudfront",
        None,
        req.method == Method::HEAD,
    ))
}

/// Fetches from the first origin (of an origin group: the next member while the status is one of its
/// `FailoverCriteria`); returns the response and whether the origin that gave it is an S3 bucket.
async fn fetch_with_failover<'a>(
    shared: &SharedRef,
    origins: &[&'a El],
    failover_codes: &[u16],
    origin_req: impl Fn(&'a El) -> OriginReq<'a>,
) -> (OriginResp, bool) {
    let mut i = 0;
    loop {
        let origin = origins[i];
        let r = fetch_origin(shared, &origin_req(origin)).await;
        let s3_origin = origin::s3_bucket_of(origin.str_at("DomainName")).is_some();
        if i + 1 < origins.len() && failover_codes.contains(&r.status) {
            i += 1;
        } else {
            return (r, s3_origin);
        }
    }
}

/// An error the distribution has a `CustomErrorResponse` with a `ResponsePagePath` for: that page (fetched
/// through the behavior matching its path) with the `ResponseCode`. Anything else, or a page that cannot be
/// fetched, is returned as it came.
async fn custom_error_page(shared: &SharedRef, dist: &EdgeDist, r: OriginResp) -> OriginResp {
    let cfg = &dist.config;
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
        let preq = OriginReq {
            origin: o,
            method: &Method::GET,
            path: page.to_string(),
            forwarded_origin: None,
            acr_method: None,
            acr_headers: None,
            caller: caller_for(shared, dist, o),
        };
        let mut pr = fetch_origin(shared, &preq).await;
        if pr.status == 200 {
            pr.status = code as u16;
            return pr;
        }
    }
    r
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
    if shared.knobs.enforce_viewer_protocol()
        && let Some(refusal) = viewer_protocol(behavior, &req, &method)
    {
        return refusal;
    }
    if let Some(refusal) = method_refusal(behavior, &method) {
        return refusal;
    }
    // Restricted viewer access: a valid signed URL or signed cookies, or 403.
    if let Some(refusal) = signed_refusal(shared, behavior, &req, &raw_path) {
        return refusal;
    }
    let query: Vec<(String, String)> = query
        .into_iter()
        .filter(|(k, _)| !signed::RESERVED.contains(&k.as_str()))
        .collect();
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
    let compression = compress::compression(behavior, cache_policy.as_ref());
    let accept_encoding = header_str(&req.headers, "accept-encoding");
    let encoding = compress::negotiate(compression, accept_encoding.as_deref());
    let key = format!(
        "{}|ae:{}",
        cache_key(&settings, &method, &path, &query, &req.headers),
        compress::key_part(compression, accept_encoding.as_deref())
    );
    let head = method == Method::HEAD;
    let conditions = Conditions {
        if_none_match: header_str(&req.headers, "if-none-match"),
        if_modified_since: header_str(&req.headers, "if-modified-since"),
        range: header_str(&req.headers, "range"),
        if_range: header_str(&req.headers, "if-range"),
    };

    let finish = |mut r: OriginResp, x_cache: &str, age: Option<u64>| -> Resp {
        if let Some(p) = &rhp {
            apply_response_headers_policy(&mut r, p, viewer_origin.as_deref());
        }
        // Conditional and range requests are for GET and HEAD (RFC 9110 §13.1, §14.2), not preflights.
        let r = if method == Method::GET || method == Method::HEAD {
            apply_conditions(r, &conditions)
        } else {
            r
        };
        let x_cache = if r.status >= 400 {
            "Error from cloudfront"
        } else {
            x_cache
        };
        viewer_resp(r, x_cache, age, head)
    };

    let cached = if cacheable_method {
        shared.cloudfront.edge.get(&dist.id, &key)
    } else {
        None
    };
    let stale = match cached {
        Some(Ok(e)) => {
            let age = e.stored.elapsed().as_secs();
            return finish(e.resp, "Hit from cloudfront", Some(age));
        }
        Some(Err(expired)) => Some(expired),
        None => None,
    };

    let (origins, failover_codes) = target_origins(cfg, behavior.str_at("TargetOriginId"));
    if origins.is_empty() {
        return edge_error(
            502,
            "502 ERROR",
            "The cache behavior's target origin does not exist.",
        );
    }
    let forwarded = |name: &str| {
        forwards_header(shared, behavior, &settings, name)
            .then(|| header_str(&req.headers, name))
            .flatten()
    };
    let (forwarded_origin, forwarded_acr_method, forwarded_acr_headers) = (
        forwarded("origin"),
        forwarded("access-control-request-method"),
        forwarded("access-control-request-headers"),
    );
    let origin_req = |origin| OriginReq {
        origin,
        method: &method,
        path: path.clone(),
        forwarded_origin: forwarded_origin.clone(),
        acr_method: forwarded_acr_method.clone(),
        acr_headers: forwarded_acr_headers.clone(),
        caller: caller_for(shared, &dist, origin),
    };
    let (r, s3_origin) = fetch_with_failover(shared, &origins, &failover_codes, origin_req).await;
    // An expired object (not an expired error) whose refresh gets a 5xx is served for ErrorCachingMinTTL more
    // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html).
    let had_expired = stale.is_some();
    if let Some(expired) = stale
        && expired.resp.status < 400
        && (500..600).contains(&r.status)
    {
        let window = match error_ttl(cfg, r.status) {
            0 if s3_origin => 1,
            t => t,
        };
        shared
            .cloudfront
            .edge
            .keep_stale(&dist.id, &key, Duration::from_secs(window));
        let age = expired.stored.elapsed().as_secs();
        return finish(expired.resp, "Hit from cloudfront", Some(age));
    }

    // How long this response stays, from what the origin answered (an error page keeps the error's TTL).
    let ttl = if r.status < 400 {
        if r.status == 206 {
            None
        } else {
            success_ttl(&settings, r.header("cache-control"), r.header("expires"))
        }
    } else {
        error_cache_ttl(
            cfg,
            &settings,
            r.status,
            s3_origin,
            r.header("cache-control"),
            r.header("expires"),
        )
    };

    let r = custom_error_page(shared, &dist, r).await;
    let r = compress::compress(r, encoding).await;
    if had_expired && ttl.is_none_or(|t| t == 0) {
        // The origin answered the refresh with something not cached: the expired copy must not come back later.
        shared.cloudfront.edge.remove(&dist.id, &key);
    }
    if cacheable_method && let Some(t) = ttl.filter(|t| *t > 0) {
        let entry = Entry {
            resp: r.clone(),
            stored: Instant::now(),
            ttl: Duration::from_secs(t),
            path: path.clone(),
            stale_until: None,
        };
        shared.cloudfront.edge.put(&dist.id, key, entry);
    }
    finish(r, "Miss from cloudfront", None)
}
