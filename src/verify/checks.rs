//! Pure checks on HTTP responses: status and Content-Type, CORS, cache TTLs, error caching.
//! Nothing here does I/O, so every rule is unit-tested on hand-made responses.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{CheckKind, Outcome};
use crate::types::ObjectCaching;

/// A response as a viewer received it. Header names are lowercase.
#[derive(Debug, Clone, Default)]
pub(crate) struct Response {
    pub url: String,
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: Bytes,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    fn age(&self) -> Option<u64> {
        self.header("age").and_then(|a| a.trim().parse().ok())
    }
    fn x_cache(&self) -> Option<&str> {
        self.header("x-cache")
    }
}

/// Whether the repeat GET of a missing object reached the origin although CloudFront caches that 404: worth
/// another GET before [`check_error_cache`] reports it, since an edge location spreads its cache over many servers.
pub(crate) fn missed_expected_error_hit(
    first: &Response,
    second: &Response,
    error_ttl: u64,
) -> bool {
    first.status == 404 && second.status == 404 && error_ttl > 0 && second.age().is_none()
}

/// One check's result, before the asset and format it belongs to are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub kind: CheckKind,
    pub subject: String,
    pub outcome: Outcome,
    pub detail: String,
}

impl Finding {
    pub(crate) fn pass(
        kind: CheckKind,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(kind, subject, Outcome::Pass, detail)
    }
    pub(crate) fn fail(
        kind: CheckKind,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(kind, subject, Outcome::Fail, detail)
    }
    pub(crate) fn skip(
        kind: CheckKind,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(kind, subject, Outcome::Skip, detail)
    }
    fn new(
        kind: CheckKind,
        subject: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> Self {
        Finding {
            kind,
            subject: subject.into(),
            outcome,
            detail: detail.into(),
        }
    }
}

/// The Content-Types a player accepts for a file, by its extension; `None` when the extension is
/// not a media type this crate writes (then any type but none, or an HTML page, is accepted).
pub(crate) fn expected_content_types(url: &str) -> Option<&'static [&'static str]> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let file = path.rsplit('/').next().unwrap_or(path);
    let ext = file.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        // RFC 8216 section 4: application/vnd.apple.mpegurl or audio/mpegurl; x-mpegURL is common.
        "m3u8" => &[
            "application/vnd.apple.mpegurl",
            "application/x-mpegurl",
            "audio/mpegurl",
            "audio/x-mpegurl",
        ],
        "mpd" => &["application/dash+xml"],
        "ts" => &["video/mp2t"],
        "mp4" | "m4s" | "m4v" | "m4a" | "cmfv" | "cmfa" | "cmft" | "mp4a" => &[
            "video/mp4",
            "audio/mp4",
            "application/mp4",
            "video/iso.segment",
            "audio/iso.segment",
        ],
        "aac" => &["audio/aac", "audio/x-aac"],
        "vtt" | "webvtt" => &["text/vtt"],
        "xml" | "ttml" => &["application/ttml+xml", "application/xml", "text/xml"],
        "jpg" | "jpeg" => &["image/jpeg"],
        _ => return None,
    })
}

/// A GET through the distribution: status 200, a Content-Type a player accepts, and, when an
/// allowed origin was sent, the CORS header a browser needs to hand the bytes to the player.
pub(crate) fn check_fetch(r: &Response, allowed_origin: Option<&str>) -> Finding {
    let kind = CheckKind::Fetch;
    if r.status != 200 {
        return Finding::fail(
            kind,
            &r.url,
            format!("HTTP {} (expected 200){}", r.status, x_cache_note(r)),
        );
    }
    let ct = r.header("content-type").unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ct_ok = match expected_content_types(&r.url) {
        Some(types) => types.contains(&essence.as_str()),
        None => !essence.is_empty() && essence != "text/html",
    };
    if !ct_ok {
        let want = expected_content_types(&r.url)
            .map(|t| t.join(" or "))
            .unwrap_or_else(|| "a media type".into());
        let got = if ct.is_empty() { "none" } else { ct };
        return Finding::fail(kind, &r.url, format!("Content-Type {got}; expected {want}"));
    }
    if let Some(origin) = allowed_origin {
        let cors = check_cors_allowed(r, origin);
        if cors.outcome == Outcome::Fail {
            return Finding::fail(kind, &r.url, cors.detail);
        }
    }
    Finding::pass(kind, &r.url, format!("200 {ct}, {} bytes", r.body.len()))
}

fn x_cache_note(r: &Response) -> String {
    r.x_cache().map(|x| format!(" [{x}]")).unwrap_or_default()
}

/// A request with an allowed `Origin` must get `Access-Control-Allow-Origin` for it (or `*`).
pub(crate) fn check_cors_allowed(r: &Response, origin: &str) -> Finding {
    let kind = CheckKind::CorsAllowed;
    match r.header("access-control-allow-origin") {
        Some(v) if v == origin || v == "*" => Finding::pass(
            kind,
            &r.url,
            format!("Origin {origin} -> Access-Control-Allow-Origin: {v}"),
        ),
        Some(v) => Finding::fail(
            kind,
            &r.url,
            format!(
                "Origin {origin} -> Access-Control-Allow-Origin: {v}; a browser blocks the response"
            ),
        ),
        None => Finding::fail(
            kind,
            &r.url,
            format!(
                "Origin {origin} (allowed) -> no Access-Control-Allow-Origin; a browser blocks the response"
            ),
        ),
    }
}

/// A request with an origin the pipeline does not allow must not be granted access.
pub(crate) fn check_cors_disallowed(r: &Response, origin: &str) -> Finding {
    let kind = CheckKind::CorsDisallowed;
    match r.header("access-control-allow-origin") {
        None => Finding::pass(
            kind,
            &r.url,
            format!("Origin {origin} (not allowed) -> no Access-Control-Allow-Origin"),
        ),
        Some(v) if v == origin || v == "*" => Finding::fail(
            kind,
            &r.url,
            format!(
                "Origin {origin} is not in cors_allowed_origins but got Access-Control-Allow-Origin: {v}"
            ),
        ),
        Some(v) => Finding::pass(
            kind,
            &r.url,
            format!(
                "Origin {origin} (not allowed) -> Access-Control-Allow-Origin: {v}, which a browser rejects"
            ),
        ),
    }
}

/// `s-maxage` (shared caches, CloudFront's choice) or else `max-age`, from `Cache-Control`.
pub(crate) fn origin_max_age(cache_control: Option<&str>) -> Option<u64> {
    let cc = cache_control?;
    let directive = |name: &str| {
        cc.split(',').find_map(|d| {
            let (k, v) = d.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().trim_matches('"').parse::<u64>().ok())
                .flatten()
        })
    };
    directive("s-maxage").or_else(|| directive("max-age"))
}

/// Where CloudFront takes an object's TTL from, before the min and max TTLs clamp it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OriginTtl {
    /// `s-maxage` or `max-age`.
    MaxAge(u64),
    /// `Expires` without `max-age`: the seconds from when the object was stored (now, less its
    /// `Age`) to that date.
    Expires(u64),
}

impl OriginTtl {
    fn secs(self) -> u64 {
        match self {
            OriginTtl::MaxAge(n) | OriginTtl::Expires(n) => n,
        }
    }
}

/// The origin's TTL: `s-maxage` or `max-age`, else `Expires` (a date in the past, or one that does
/// not parse, is already expired: 0).
pub(crate) fn origin_ttl(r: &Response) -> Option<OriginTtl> {
    if let Some(n) = origin_max_age(r.header("cache-control")) {
        return Some(OriginTtl::MaxAge(n));
    }
    let expires = r.header("expires")?;
    let parse = |v: &str| {
        aws_smithy_types::DateTime::from_str(
            v.trim(),
            aws_smithy_types::date_time::Format::HttpDate,
        )
        .ok()
        .map(|t| t.secs())
    };
    // Now, not the `Date` header: a cache may send the stored response's `Date`. The checks run as
    // the response arrives.
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now()).secs();
    let stored = now - r.age().unwrap_or(0) as i64;
    Some(OriginTtl::Expires(
        parse(expires).map_or(0, |at| (at - stored).max(0) as u64),
    ))
}

/// How long CloudFront keeps the object: the origin's `max-age` or `Expires` clamped to the min and
/// max TTLs, or the default TTL without either
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html>).
pub(crate) fn effective_ttl(caching: &ObjectCaching, r: &Response) -> u64 {
    let (min, default, max) = caching.ttls();
    match origin_ttl(r) {
        Some(t) => t.secs().clamp(min.secs(), max.secs()),
        None => default.secs(),
    }
}

/// Whether a repeat GET came back from CloudFront (it has `X-Cache`) as a 200 that was not a cache
/// hit although the TTL says it should be. CloudFront spreads an edge location's cache over many
/// servers, so such a miss is worth another GET before it is reported.
pub(crate) fn missed_expected_hit(r: &Response, caching: &ObjectCaching) -> bool {
    let ttl = effective_ttl(caching, r);
    r.status == 200 && ttl > 0 && r.x_cache().is_some_and(|x| !is_hit(x))
}

fn is_hit(x_cache: &str) -> bool {
    x_cache.starts_with("Hit") || x_cache.starts_with("RefreshHit")
}

/// The second GET of an object: its cache headers agree with the configured TTLs, and it was served
/// from the cache with an `Age` within the TTL CloudFront applies.
pub(crate) fn check_cache(r: &Response, caching: &ObjectCaching) -> Finding {
    let kind = CheckKind::CacheTtl;
    let (min, default, max) = caching.ttls();
    let (min, default, max) = (min.secs(), default.secs(), max.secs());
    let origin = origin_ttl(r);
    let ttl = effective_ttl(caching, r);
    match (caching, origin) {
        (ObjectCaching::Customize { .. }, Some(OriginTtl::MaxAge(n))) if n < min || n > max => {
            return Finding::fail(
                kind,
                &r.url,
                format!(
                    "the origin sends max-age={n}, outside min_ttl..max_ttl ({min}..{max} s): CloudFront caches it for {ttl} s instead"
                ),
            );
        }
        (ObjectCaching::OriginCacheHeaders, None) => {
            return Finding::fail(
                kind,
                &r.url,
                format!(
                    "no Cache-Control max-age and no Expires from the origin: with object_caching = \"origin-cache-headers\" CloudFront falls back to {default} s"
                ),
            );
        }
        _ => {}
    }
    let source = match origin {
        Some(OriginTtl::MaxAge(n)) => format!("origin max-age={n}"),
        Some(OriginTtl::Expires(n)) => format!("origin Expires, {n} s after it was stored"),
        None => format!("default_ttl {default} s"),
    };
    let Some(x_cache) = r.x_cache() else {
        return Finding::fail(kind, &r.url, "no X-Cache header: not served by CloudFront");
    };
    let hit = is_hit(x_cache);
    let age = r.age().unwrap_or(0);
    if ttl == 0 {
        return if hit && age > 0 {
            Finding::fail(
                kind,
                &r.url,
                format!("{x_cache} with Age {age} s although the TTL is 0 ({source})"),
            )
        } else {
            Finding::pass(kind, &r.url, format!("TTL 0 ({source}): {x_cache}"))
        };
    }
    if !hit {
        return Finding::fail(
            kind,
            &r.url,
            format!(
                "second GET was \"{x_cache}\": expected a cache hit, the TTL is {ttl} s ({source})"
            ),
        );
    }
    if age > ttl {
        return Finding::fail(
            kind,
            &r.url,
            format!("{x_cache} with Age {age} s, older than the TTL of {ttl} s ({source})"),
        );
    }
    Finding::pass(
        kind,
        &r.url,
        format!("{x_cache}, Age {age} s within the TTL of {ttl} s ({source})"),
    )
}

/// What CloudFront promises for a missing object, checked on two GETs of one
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html> and
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html>):
///
/// - the answer is 404, or 403 (S3 answers a missing key with 403 unless the caller may list the bucket), and the
///   same both times;
/// - a 404 is cached by default, for `error_caching_min_ttl`: the second GET must come from the cache (an `Age`)
///   no older than that; with 0 it must not be cached. An S3 origin's 0 counts as 1 s, so either is accepted then;
/// - a 403 is cached only when the origin sends `max-age` or `s-maxage`. Without one, the guide is ambiguous about
///   what a custom error response with `error_caching_min_ttl` changes, so a second GET from the origin passes,
///   and one from the cache passes when its `Age` is within `error_caching_min_ttl`. With one, it must be cached;
/// - `no-store`, `no-cache` or `private` on a 404 keep it out of the cache.
pub(crate) fn check_error_cache(
    first: &Response,
    second: &Response,
    error_ttl: u64,
    s3_origin: bool,
) -> Finding {
    let kind = CheckKind::ErrorCache;
    let status = first.status;
    if !matches!(status, 403 | 404) {
        return Finding::fail(
            kind,
            &first.url,
            format!("a missing object answered HTTP {status}; expected 403 or 404"),
        );
    }
    if second.status != status {
        return Finding::fail(
            kind,
            &first.url,
            format!("a missing object answered {status} then {}", second.status),
        );
    }
    let cache_control = first.header("cache-control");
    let origin_age = origin_max_age(cache_control);
    let no_store = cache_control.is_some_and(|cc| {
        cc.split(',').any(|d| {
            let d = d.trim().to_ascii_lowercase();
            d == "no-store" || d == "no-cache" || d == "private"
        })
    });
    let min = if error_ttl == 0 && s3_origin {
        1
    } else {
        error_ttl
    };
    let limit = min.max(origin_age.unwrap_or(0));
    // (must be cached, may be cached, why)
    let (must, may, why) = match status {
        404 if no_store => (false, false, "a 404 with no-store, no-cache or private is not cached".to_owned()),
        404 if error_ttl == 0 && s3_origin => (
            false,
            true,
            "error_caching_min_ttl 0 counts as 1 s for an S3 origin".to_owned(),
        ),
        404 if limit == 0 => (false, false, "error_caching_min_ttl is 0".to_owned()),
        404 => (
            true,
            true,
            format!("CloudFront caches a 404 for error_caching_min_ttl ({limit} s)"),
        ),
        _ if origin_age.is_some() => (
            true,
            true,
            format!("CloudFront caches a 403 with max-age for the greater of it and error_caching_min_ttl ({limit} s)"),
        ),
        _ => (
            false,
            limit > 0,
            "CloudFront caches a 403 without max-age or s-maxage only by the custom error response's reading".to_owned(),
        ),
    };
    match second.age() {
        None if must => Finding::fail(
            kind,
            &first.url,
            format!(
                "the second GET of a missing object went to the origin again: the {status} was not cached ({why})"
            ),
        ),
        None => Finding::pass(kind, &first.url, format!("{status} not cached ({why})")),
        Some(age) if !may => Finding::fail(
            kind,
            &first.url,
            format!("{status} served from the cache (Age {age} s) although it must not be: {why}"),
        ),
        Some(age) if age > limit => Finding::fail(
            kind,
            &first.url,
            format!("{status} cached with Age {age} s, older than {limit} s ({why})"),
        ),
        Some(age) => Finding::pass(
            kind,
            &first.url,
            format!("{status} answered from the error cache, Age {age} s within {limit} s ({why})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Ttl;

    fn resp(url: &str, status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            url: url.into(),
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Bytes::from_static(b"#EXTM3U\n"),
        }
    }

    fn customize(min: u64, default: u64, max: u64) -> ObjectCaching {
        ObjectCaching::Customize {
            min: Ttl::new(min).unwrap(),
            default: Ttl::new(default).unwrap(),
            max: Ttl::new(max).unwrap(),
        }
    }

    #[test]
    fn fetch_needs_200_a_media_content_type_and_cors() {
        let ok = resp(
            "http://d.localhost/a/x.m3u8",
            200,
            &[
                ("content-type", "application/vnd.apple.mpegurl"),
                ("access-control-allow-origin", "https://p.example"),
            ],
        );
        assert_eq!(
            check_fetch(&ok, Some("https://p.example")).outcome,
            Outcome::Pass
        );
        let mut wrong_type = ok.clone();
        wrong_type
            .headers
            .insert("content-type".into(), "binary/octet-stream".into());
        let f = check_fetch(&wrong_type, None);
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(f.detail.contains("binary/octet-stream"), "{}", f.detail);
        let mut not_found = ok.clone();
        not_found.status = 404;
        assert!(check_fetch(&not_found, None).detail.contains("HTTP 404"));
        let mut no_cors = ok.clone();
        no_cors.headers.remove("access-control-allow-origin");
        assert_eq!(check_fetch(&no_cors, None).outcome, Outcome::Pass);
        let f = check_fetch(&no_cors, Some("https://p.example"));
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(
            f.detail.contains("no Access-Control-Allow-Origin"),
            "{}",
            f.detail
        );
        // Parameters and case do not matter; TS and fMP4 segments have their own types.
        let ts = resp(
            "http://d/x_00001.ts",
            200,
            &[("content-type", "video/MP2T")],
        );
        assert_eq!(check_fetch(&ts, None).outcome, Outcome::Pass);
        let mpd = resp(
            "http://d/x.mpd",
            200,
            &[("content-type", "application/dash+xml; charset=utf-8")],
        );
        assert_eq!(check_fetch(&mpd, None).outcome, Outcome::Pass);
        let m4s = resp(
            "http://d/x.mp4",
            200,
            &[("content-type", "application/vnd.apple.mpegurl")],
        );
        assert_eq!(check_fetch(&m4s, None).outcome, Outcome::Fail);
    }

    #[test]
    fn cors_allowed_and_disallowed() {
        let with = |v: &str| resp("u", 200, &[("access-control-allow-origin", v)]);
        let without = resp("u", 200, &[]);
        assert_eq!(
            check_cors_allowed(&with("https://a"), "https://a").outcome,
            Outcome::Pass
        );
        assert_eq!(
            check_cors_allowed(&with("*"), "https://a").outcome,
            Outcome::Pass
        );
        assert_eq!(
            check_cors_allowed(&with("https://b"), "https://a").outcome,
            Outcome::Fail
        );
        assert_eq!(
            check_cors_allowed(&without, "https://a").outcome,
            Outcome::Fail
        );
        assert_eq!(
            check_cors_disallowed(&without, "https://evil").outcome,
            Outcome::Pass
        );
        assert_eq!(
            check_cors_disallowed(&with("*"), "https://evil").outcome,
            Outcome::Fail
        );
        assert_eq!(
            check_cors_disallowed(&with("https://evil"), "https://evil").outcome,
            Outcome::Fail
        );
        assert_eq!(
            check_cors_disallowed(&with("https://a"), "https://evil").outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn a_miss_is_retried_only_where_a_hit_is_expected() {
        let r = |status: u16, x_cache: Option<&str>, cc: &str| Response {
            url: "http://d.localhost/a.ts".into(),
            status,
            headers: x_cache
                .map(|x| ("x-cache".to_owned(), x.to_owned()))
                .into_iter()
                .chain([("cache-control".to_owned(), cc.to_owned())])
                .collect(),
            body: Bytes::new(),
        };
        let c = customize(0, 86_400, 31_536_000);
        let miss = Some("Miss from cloudfront");
        assert!(missed_expected_hit(&r(200, miss, "max-age=60"), &c));
        assert!(!missed_expected_hit(
            &r(200, Some("Hit from cloudfront"), "max-age=60"),
            &c
        ));
        assert!(!missed_expected_hit(
            &r(200, Some("RefreshHit from cloudfront"), "max-age=60"),
            &c
        ));
        assert!(
            !missed_expected_hit(&r(200, miss, "max-age=0"), &c),
            "TTL 0: no hit expected"
        );
        assert!(!missed_expected_hit(&r(404, miss, "max-age=60"), &c));
        assert!(
            !missed_expected_hit(&r(200, None, "max-age=60"), &c),
            "not CloudFront"
        );
    }

    #[test]
    fn max_age_parsing() {
        assert_eq!(origin_max_age(Some("max-age=600")), Some(600));
        assert_eq!(
            origin_max_age(Some("public, max-age=600, s-maxage=60")),
            Some(60)
        );
        assert_eq!(origin_max_age(Some("no-cache")), None);
        assert_eq!(origin_max_age(Some("max-age=abc")), None);
        assert_eq!(origin_max_age(None), None);
    }

    #[test]
    fn cache_ttl_agrees_with_the_configured_ttls() {
        let c = customize(0, 86_400, 31_536_000);
        let hit = |cc: &str, age: &str| {
            resp(
                "u",
                200,
                &[
                    ("cache-control", cc),
                    ("x-cache", "Hit from cloudfront"),
                    ("age", age),
                ],
            )
        };
        assert_eq!(
            check_cache(&hit("max-age=86400", "3"), &c).outcome,
            Outcome::Pass
        );
        // Older than the TTL: a wrong TTL somewhere.
        let f = check_cache(&hit("max-age=60", "61"), &c);
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(
            f.detail.contains("older than the TTL of 60 s"),
            "{}",
            f.detail
        );
        // The origin's max-age is outside min..max: CloudFront overrides it.
        let f = check_cache(&hit("max-age=600", "0"), &customize(3600, 86_400, 604_800));
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(
            f.detail
                .contains("outside min_ttl..max_ttl (3600..604800 s)"),
            "{}",
            f.detail
        );
        // No header: the default TTL applies.
        let no_cc = resp(
            "u",
            200,
            &[("x-cache", "Hit from cloudfront"), ("age", "5")],
        );
        let f = check_cache(&no_cc, &customize(1, 21_600, 604_800));
        assert_eq!(f.outcome, Outcome::Pass, "{}", f.detail);
        assert!(f.detail.contains("default_ttl 21600 s"));
        // A miss on the second GET although the TTL is a day.
        let miss = resp("u", 200, &[("x-cache", "Miss from cloudfront")]);
        assert_eq!(check_cache(&miss, &c).outcome, Outcome::Fail);
        // Not CloudFront at all.
        assert_eq!(check_cache(&resp("u", 200, &[]), &c).outcome, Outcome::Fail);
        // origin-cache-headers needs a Cache-Control from the origin.
        let f = check_cache(&no_cc, &ObjectCaching::OriginCacheHeaders);
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(f.detail.contains("origin-cache-headers"));
        // Expires without max-age sets the TTL: counted from when the object was stored (Date less
        // Age), clamped to the TTLs; origin-cache-headers accepts it.
        let in_a_minute = aws_smithy_types::DateTime::from(
            std::time::SystemTime::now() + std::time::Duration::from_secs(60),
        )
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap();
        let expiring = |age: &str| {
            resp(
                "u",
                200,
                &[
                    ("expires", in_a_minute.as_str()),
                    ("x-cache", "Hit from cloudfront"),
                    ("age", age),
                ],
            )
        };
        // Stored 30 s ago, expiring in 60 s (give or take the clock's second): a TTL of about 90 s.
        let f = check_cache(&expiring("30"), &c);
        assert_eq!(f.outcome, Outcome::Pass, "{}", f.detail);
        assert!(f.detail.contains("origin Expires"), "{}", f.detail);
        // Expires in the past: already expired, so a hit with any Age is older than its TTL.
        let expired = resp(
            "u",
            200,
            &[
                ("expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
                ("x-cache", "Hit from cloudfront"),
                ("age", "5"),
            ],
        );
        assert_eq!(
            check_cache(&expired, &c).outcome,
            Outcome::Fail,
            "served after Expires"
        );
        assert_eq!(
            check_cache(&expiring("5"), &ObjectCaching::OriginCacheHeaders).outcome,
            Outcome::Pass
        );
        // TTL 0: a miss is right.
        assert_eq!(
            check_cache(&miss, &customize(0, 0, 0)).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn error_cache_within_the_error_caching_min_ttl() {
        let first = resp("u", 404, &[("x-cache", "Error from cloudfront")]);
        let cached = |age: &str| {
            resp(
                "u",
                404,
                &[("x-cache", "Error from cloudfront"), ("age", age)],
            )
        };
        let mediastore =
            |a: &Response, b: &Response, ttl| check_error_cache(a, b, ttl, false).outcome;
        assert_eq!(mediastore(&first, &cached("0"), 5), Outcome::Pass);
        assert_eq!(mediastore(&first, &cached("9"), 5), Outcome::Fail);
        let f = check_error_cache(&first, &first, 5, false);
        assert_eq!(f.outcome, Outcome::Fail);
        assert!(f.detail.contains("not cached"), "{}", f.detail);
        assert_eq!(mediastore(&first, &first, 0), Outcome::Pass);
        assert_eq!(mediastore(&first, &cached("0"), 0), Outcome::Fail);
        let found = resp("u", 200, &[]);
        assert!(
            check_error_cache(&found, &found, 5, false)
                .detail
                .contains("HTTP 200")
        );
    }

    /// What CloudFront documents for a missing object on an S3 origin without `s3:ListBucket` (a 403 from S3,
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>) or with it (a 404), and what it does
    /// not allow (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>).
    #[test]
    fn error_cache_accepts_what_cloudfront_documents_for_an_s3_origin() {
        let s3 = |a: &Response, b: &Response, ttl| check_error_cache(a, b, ttl, true);
        let denied = resp("u", 403, &[("x-cache", "Error from cloudfront")]);
        let denied_cached = |age: &str| resp("u", 403, &[("age", age)]);
        let missing = resp("u", 404, &[]);
        let missing_cached = |age: &str| resp("u", 404, &[("age", age)]);
        // Accepted: a 403 without max-age not cached (the status-code page's reading) ...
        let f = s3(&denied, &denied, 2);
        assert_eq!(f.outcome, Outcome::Pass, "{}", f.detail);
        assert!(f.detail.contains("403 not cached"), "{}", f.detail);
        // ... or cached within error_caching_min_ttl (the custom error response's reading);
        assert_eq!(s3(&denied, &denied_cached("1"), 2).outcome, Outcome::Pass);
        // a 404 cached within error_caching_min_ttl; with 0, S3's 1 s floor allows either.
        assert_eq!(s3(&missing, &missing_cached("0"), 2).outcome, Outcome::Pass);
        assert_eq!(s3(&missing, &missing_cached("1"), 0).outcome, Outcome::Pass);
        assert_eq!(s3(&missing, &missing, 0).outcome, Outcome::Pass);
        assert_eq!(s3(&denied, &denied, 0).outcome, Outcome::Pass);
        // Refused: a 404 not cached although CloudFront caches it by default;
        assert_eq!(s3(&missing, &missing, 2).outcome, Outcome::Fail);
        // a cached error older than its TTL;
        assert_eq!(s3(&denied, &denied_cached("9"), 2).outcome, Outcome::Fail);
        assert_eq!(s3(&missing, &missing_cached("3"), 0).outcome, Outcome::Fail);
        // a 403 with max-age that was not cached;
        let denied_max_age = resp("u", 403, &[("cache-control", "max-age=30")]);
        assert_eq!(
            s3(&denied_max_age, &denied_max_age, 2).outcome,
            Outcome::Fail
        );
        assert_eq!(
            s3(&denied_max_age, &resp("u", 403, &[("age", "20")]), 2).outcome,
            Outcome::Pass
        );
        // a 404 with no-store that was cached;
        let no_store = resp("u", 404, &[("cache-control", "no-store")]);
        assert_eq!(
            s3(&no_store, &resp("u", 404, &[("age", "0")]), 2).outcome,
            Outcome::Fail
        );
        // another status, or a status that changes.
        assert_eq!(s3(&resp("u", 200, &[]), &missing, 2).outcome, Outcome::Fail);
        assert_eq!(s3(&resp("u", 500, &[]), &missing, 2).outcome, Outcome::Fail);
        assert_eq!(s3(&denied, &missing, 2).outcome, Outcome::Fail);
    }
}
