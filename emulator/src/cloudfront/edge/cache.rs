//! The edge cache and the CloudFront rules that feed it: behavior selection by path pattern, cache settings
//! (cache policy or legacy `ForwardedValues`), TTLs against the origin's `Cache-Control`, cache keys, and
//! invalidation paths.

use super::OriginResp;
use crate::cloudfront::xml::El;
use crate::wire::glob;
use http::{HeaderMap, Method};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Default `ErrorCachingMinTTL`.
const DEFAULT_ERROR_TTL: u64 = 10;
/// The most entries a distribution's cache holds: at this many, expired entries go, then the oldest.
const MAX_ENTRIES: usize = 10_000;
/// The longest an expired object is served stale (an `ErrorCachingMinTTL` beyond it is cut to it).
const MAX_STALE_WINDOW: Duration = Duration::from_secs(31_536_000);

/// Error statuses CloudFront caches without caching headers from the origin
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>).
pub(crate) const CACHED_ERRORS: &[u16] = &[404, 414, 500, 501, 502, 503, 504];
/// Error statuses CloudFront caches only when the origin sends `max-age` or `s-maxage`.
pub(crate) const CACHED_WITH_HEADERS: &[u16] = &[400, 403, 405, 412, 415];
/// Error statuses whose `no-cache`, `no-store` or `private` keeps them out of the cache; CloudFront ignores those
/// directives on the others
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html>).
const NO_STORE_HONOURED: &[u16] = &[404, 410, 414, 501];

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) resp: OriginResp,
    pub(super) stored: Instant,
    pub(super) ttl: Duration,
    /// The viewer path (no query), for invalidations.
    pub(super) path: String,
    /// Until when an expired entry is served because the origin answered its refresh with a 5xx.
    pub(super) stale_until: Option<Instant>,
}

impl Entry {
    fn fresh(&self) -> bool {
        self.stored.elapsed() < self.ttl || self.stale_until.is_some_and(|t| Instant::now() < t)
    }
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

    /// The entry under `key`, fresh (`Ok`) or expired (`Err`: kept, since CloudFront serves an expired object
    /// when the origin answers 5xx); `None` when nothing is cached.
    pub(super) fn get(&self, dist_id: &str, key: &str) -> Option<Result<Entry, Entry>> {
        let all = self.lock();
        let e = all.get(dist_id)?.get(key)?;
        Some(if e.fresh() {
            Ok(e.clone())
        } else {
            Err(e.clone())
        })
    }

    /// Serves the expired entry under `key` for `window` more (CloudFront does so for `ErrorCachingMinTTL` when the
    /// origin answers the refresh with a 5xx), then asks the origin again.
    pub(super) fn keep_stale(&self, dist_id: &str, key: &str, window: Duration) {
        if let Some(e) = self.lock().get_mut(dist_id).and_then(|m| m.get_mut(key)) {
            let now = Instant::now();
            e.stale_until = Some(now.checked_add(window).unwrap_or(now + MAX_STALE_WINDOW));
        }
    }

    /// Drops the entry under `key` (an expired object the origin no longer serves).
    pub(super) fn remove(&self, dist_id: &str, key: &str) {
        if let Some(m) = self.lock().get_mut(dist_id) {
            m.remove(key);
        }
    }

    pub(super) fn put(&self, dist_id: &str, key: String, entry: Entry) {
        let mut all = self.lock();
        let m = all.entry(dist_id.to_string()).or_default();
        if m.len() >= MAX_ENTRIES {
            // Expired entries are kept for stale-on-error; at the cap they go first, then the oldest fresh ones,
            // down to three quarters of the cap, so that the scan happens once per quarter of the cap's inserts.
            m.retain(|_, e| e.fresh());
            let keep = MAX_ENTRIES * 3 / 4;
            if m.len() > keep {
                let mut by_age: Vec<(Instant, String)> =
                    m.iter().map(|(k, e)| (e.stored, k.clone())).collect();
                by_age.sort();
                for (_, k) in by_age.into_iter().take(m.len() - keep) {
                    m.remove(&k);
                }
            }
        }
        m.insert(key, entry);
    }

    /// Number of live entries for a distribution (tests).
    pub fn len(&self, dist_id: &str) -> usize {
        self.lock()
            .get(dist_id)
            .map(|m| m.values().filter(|e| e.fresh()).count())
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

/// The caching directives of an origin response.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Directives {
    max_age: Option<u64>,
    s_maxage: Option<u64>,
    /// `no-cache`, `no-store` or `private`.
    no_store: bool,
    /// Seconds until `Expires` (0 when past or unparsable-but-present, as HTTP caches read it).
    expires_in: Option<u64>,
}

impl Directives {
    fn parse(cache_control: Option<&str>, expires: Option<&str>) -> Directives {
        let mut d = Directives::default();
        for part in cache_control.unwrap_or("").split(',') {
            let part = part.trim().to_ascii_lowercase();
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (
                    k.trim().to_string(),
                    Some(v.trim().trim_matches('"').to_string()),
                ),
                None => (part.clone(), None),
            };
            match k.as_str() {
                "max-age" => d.max_age = v.and_then(|v| v.parse::<u64>().ok()),
                "s-maxage" => d.s_maxage = v.and_then(|v| v.parse::<u64>().ok()),
                "no-cache" | "no-store" | "private" => d.no_store = true,
                _ => {}
            }
        }
        d.expires_in = expires.map(|e| match httpdate::parse_http_date(e) {
            Ok(at) => at
                .duration_since(SystemTime::now())
                .map(|d| d.as_secs())
                .unwrap_or(0),
            Err(_) => 0,
        });
        d
    }

    /// `s-maxage`, else `max-age`.
    fn age(&self) -> Option<u64> {
        self.s_maxage.or(self.max_age)
    }
}

/// How long CloudFront keeps a successful origin response, given its `Cache-Control` / `Expires`
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html>): `s-maxage`, else
/// `max-age`, else `Expires`, clamped to [MinTTL, MaxTTL]; none of them: DefaultTTL; `no-cache`, `no-store` or
/// `private`: MinTTL. `None` means not cached.
pub(crate) fn success_ttl(
    s: &CacheSettings,
    cache_control: Option<&str>,
    expires: Option<&str>,
) -> Option<u64> {
    if s.all_headers {
        return None;
    }
    let d = Directives::parse(cache_control, expires);
    let ttl = if d.no_store {
        s.min
    } else if let Some(v) = d.age().or(d.expires_in) {
        v.clamp(s.min, s.max.max(s.min))
    } else {
        s.default
    };
    if ttl == 0 { None } else { Some(ttl) }
}

/// How long CloudFront keeps an error response of `status` from the origin
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html> and
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html>):
///
/// - [`CACHED_ERRORS`]: the greater of the status's `ErrorCachingMinTTL` (10 s by default) and the origin's
///   `s-maxage` / `max-age` / `Expires` (at most MaxTTL);
/// - [`CACHED_WITH_HEADERS`]: the same, but only when the origin sends `s-maxage` or `max-age`;
/// - any other status (416 among them): never;
/// - `no-cache`, `no-store` or `private` keep 404, 410, 414 and 501 out of the cache, and are ignored on the others;
/// - from an S3 origin, an `ErrorCachingMinTTL` of 0 counts as 1 s;
/// - under a cache policy whose TTLs are all 0 (CachingDisabled), nothing is cached.
///
/// `None` means not cached.
pub(crate) fn error_cache_ttl(
    cfg: &El,
    s: &CacheSettings,
    status: u16,
    s3_origin: bool,
    cache_control: Option<&str>,
    expires: Option<&str>,
) -> Option<u64> {
    // Under a policy that caches nothing (CachingDisabled: every TTL 0) no error is cached either.
    if s.all_headers || s.max == 0 {
        return None;
    }
    let d = Directives::parse(cache_control, expires);
    if d.no_store && NO_STORE_HONOURED.contains(&status) {
        return None;
    }
    let origin = if CACHED_ERRORS.contains(&status) {
        d.age().or(d.expires_in).unwrap_or(0)
    } else if CACHED_WITH_HEADERS.contains(&status) {
        d.age()?
    } else {
        return None;
    };
    let min = match error_ttl(cfg, status) {
        0 if s3_origin => 1,
        t => t,
    };
    let ttl = min.max(origin.min(s.max));
    (ttl > 0).then_some(ttl)
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
    fn errors_are_cached_as_cloudfront_documents() {
        let cfg = parse(b"<DistributionConfig><CustomErrorResponses><Quantity>2</Quantity><Items><CustomErrorResponse><ErrorCode>403</ErrorCode><ErrorCachingMinTTL>2</ErrorCachingMinTTL></CustomErrorResponse><CustomErrorResponse><ErrorCode>404</ErrorCode><ErrorCachingMinTTL>0</ErrorCachingMinTTL></CustomErrorResponse></Items></CustomErrorResponses></DistributionConfig>").unwrap();
        let s = settings(0, 86400, 600);
        let ttl = |status, s3, cc, exp| error_cache_ttl(&cfg, &s, status, s3, cc, exp);
        // Cached by default: 10 s, or the origin's max-age when longer, at most MaxTTL.
        assert_eq!(ttl(500, false, None, None), Some(10));
        assert_eq!(ttl(503, false, Some("max-age=30"), None), Some(30));
        assert_eq!(ttl(502, false, Some("max-age=9999"), None), Some(600));
        // 403 only with max-age / s-maxage, for the greater of that and ErrorCachingMinTTL.
        assert_eq!(ttl(403, false, None, None), None);
        assert_eq!(
            ttl(403, true, None, Some("Wed, 21 Oct 2099 07:28:00 GMT")),
            None
        );
        assert_eq!(ttl(403, false, Some("max-age=1"), None), Some(2));
        assert_eq!(ttl(403, false, Some("s-maxage=60"), None), Some(60));
        assert_eq!(ttl(405, false, None, None), None);
        // 404 with ErrorCachingMinTTL 0: not cached, except from S3 where 0 counts as 1 s.
        assert_eq!(ttl(404, false, None, None), None);
        assert_eq!(ttl(404, true, None, None), Some(1));
        // no-store keeps 404 / 414 / 501 out, and is ignored on the others.
        assert_eq!(ttl(404, true, Some("no-store"), None), None);
        assert_eq!(ttl(501, false, Some("private"), None), None);
        assert_eq!(ttl(500, false, Some("no-cache"), None), Some(10));
        // 416 never.
        assert_eq!(ttl(416, false, Some("max-age=60"), None), None);
        // CachingDisabled (every TTL 0): no error either.
        assert_eq!(
            error_cache_ttl(&cfg, &settings(0, 0, 0), 404, true, None, None),
            None
        );
    }

    #[test]
    fn expires_sets_the_ttl_without_max_age() {
        let s = settings(0, 86400, 31536000);
        let in_an_hour = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        let t = success_ttl(&s, None, Some(&in_an_hour)).unwrap();
        assert!((3598..=3600).contains(&t), "{t}");
        assert_eq!(
            success_ttl(&s, Some("max-age=5"), Some(&in_an_hour)),
            Some(5)
        );
        // In the past, or not a date: already expired (MinTTL 0: not cached; else MinTTL).
        assert_eq!(
            success_ttl(&s, None, Some("Thu, 01 Jan 1970 00:00:00 GMT")),
            None
        );
        assert_eq!(success_ttl(&s, None, Some("0")), None);
        assert_eq!(
            success_ttl(&settings(3, 86400, 600), None, Some("0")),
            Some(3)
        );
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
