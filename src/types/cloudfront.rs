//! CloudFront values: origin path, origin custom headers, CORS origins, enums of the distribution.

use std::fmt;

use super::{Ttl, string_newtype, text_enum};
use crate::secret::Secret;

/// The origin path: the folder of the origin that CloudFront requests objects from, such as `/vod`.
///
/// Rules (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginPath>):
/// empty, or begins with `/` and does not end with `/`. This crate also requires each segment to be
/// non-empty, not `.` or `..`, and made of URL-safe characters (`A-Z a-z 0-9 - . _ ~`), with at most
/// 255 characters in all. With a MediaStore origin each segment must also be a valid MediaStore
/// folder name (checked in the pipeline validation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OriginPath(String);
string_newtype!(OriginPath);

impl OriginPath {
    fn check(s: &str) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        let rule = "an origin path must be empty or begin with '/' and not end with '/', e.g. \"/vod\" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginPath)";
        if !s.starts_with('/') || s.ends_with('/') {
            return Err(rule.into());
        }
        if s.len() > 255 {
            return Err("an origin path is at most 255 characters".into());
        }
        for seg in s[1..].split('/') {
            if seg.is_empty() || seg == "." || seg == ".." {
                return Err("an origin path must not contain empty, '.' or '..' segments".into());
            }
            if !seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
            {
                return Err(
                    "an origin path may contain only letters, digits and - . _ ~ between slashes"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// The path's segments (`/a/b` gives `a`, `b`).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// The path as an S3 key prefix: `/assets` becomes `assets/`, the empty path stays empty.
    pub fn as_key_prefix(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("{}/", &self.0[1..])
        }
    }
}

/// Most origin custom headers per origin (CloudFront quota,
/// <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html>).
pub const MAX_CUSTOM_HEADERS: usize = 10;
/// Most characters of all origin custom header names and values together (same quota page).
pub const MAX_CUSTOM_HEADERS_TOTAL_LEN: usize = 10_240;

/// The name of an origin custom header.
///
/// Rules:
/// - an HTTP field name token (RFC 9110 §5.1: letters, digits and ``!#$%&'*+-.^_`|~``);
/// - at most 256 characters
///   (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html>);
/// - not one CloudFront refuses to add
///   (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-denylist>):
///   `Cache-Control`, `Connection`, `Content-Length`, `Cookie`, `Host`, `If-Match`, `If-Modified-Since`,
///   `If-None-Match`, `If-Range`, `If-Unmodified-Since`, `Max-Forwards`, `Pragma`,
///   `Proxy-Authorization`, `Proxy-Connection`, `Range`, `Request-Range`, `TE`, `Trailer`,
///   `Transfer-Encoding`, `Upgrade`, `Via`, `X-Real-Ip`, and any name starting with `X-Amz-` or
///   `X-Edge-` (compared without regard to case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderName(String);
string_newtype!(HeaderName);

/// Header names CloudFront refuses as origin custom headers, lowercase.
pub(crate) const FORBIDDEN_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
];

/// Prefixes (lowercase) of header names CloudFront refuses as origin custom headers (same page).
pub(crate) const FORBIDDEN_HEADER_PREFIXES: &[&str] = &["x-amz-", "x-edge-"];

impl HeaderName {
    /// Longest name CloudFront accepts.
    pub const MAX_LEN: usize = 256;

    fn check(s: &str) -> Result<(), String> {
        const PAGE: &str = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-denylist";
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
        {
            return Err(
                "a header name must be a non-empty HTTP token: letters, digits and !#$%&'*+-.^_`|~"
                    .into(),
            );
        }
        if s.len() > Self::MAX_LEN {
            return Err("an origin custom header name is at most 256 characters (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html)".into());
        }
        let lower = s.to_ascii_lowercase();
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            return Err(format!(
                "CloudFront does not allow {s} as an origin custom header ({PAGE})"
            ));
        }
        if FORBIDDEN_HEADER_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return Err(format!(
                "CloudFront does not allow origin custom headers starting with X-Amz- or X-Edge- ({PAGE})"
            ));
        }
        Ok(())
    }
}

/// An origin custom header: a name CloudFront allows and a value kept as a [`Secret`].
///
/// The value is at most 1,783 characters
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html>).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CustomHeader {
    /// The header name.
    pub name: HeaderName,
    /// The value; never printed or serialized.
    pub value: Secret,
}

impl CustomHeader {
    /// Longest value CloudFront accepts.
    pub const MAX_VALUE_LEN: usize = 1_783;

    /// A checked header. The error describes the value's length only, never the value.
    pub fn new(name: HeaderName, value: Secret) -> Result<Self, crate::error::InvalidValue> {
        if value.len() > Self::MAX_VALUE_LEN {
            return Err(crate::error::InvalidValue::new(
                format!(
                    "{} (a value of {} characters)",
                    crate::secret::REDACTED,
                    value.len()
                ),
                "an origin custom header value is at most 1783 characters (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html)",
            ));
        }
        if value.expose().chars().any(|c| c.is_control()) {
            return Err(crate::error::InvalidValue::new(
                crate::secret::REDACTED,
                "an origin custom header value must not contain control characters",
            ));
        }
        Ok(Self { name, value })
    }
}

/// An origin allowed to read the video from a browser (CORS): `*`, or `scheme://host[:port]`.
///
/// Rules: a serialized origin is a scheme, `://`, a host and an optional port, with no path, query or
/// trailing slash (<https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Origin>); the scheme here
/// is `http` or `https`, the host is lowercase, and a default port (80 for http, 443 for https) is left
/// out, because browsers send the origin exactly that way and CloudFront and MediaStore compare it
/// as text (<https://docs.aws.amazon.com/mediastore/latest/apireference/API_CorsRule.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorsOrigin(String);
string_newtype!(CorsOrigin);

impl CorsOrigin {
    fn check(s: &str) -> Result<(), String> {
        if s == "*" {
            return Ok(());
        }
        let rule = "must be \"*\" or an origin scheme://host[:port] with scheme http or https and no path, e.g. https://player.example.com";
        // Which part is wrong, in words.
        let wrong = |part: String| Err(format!("{rule}: {part}"));
        if !s.contains("://") {
            // `localhost:3000` or `x.com:443` would parse with `localhost` or `x.com` as a scheme.
            return wrong("the scheme is missing (start with https:// or http://)".into());
        }
        let url = match url::Url::parse(s) {
            Ok(url) => url,
            Err(url::ParseError::InvalidPort) => {
                return wrong("the port must be a number from 1 to 65535".into());
            }
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                return wrong("the scheme is missing (start with https:// or http://)".into());
            }
            Err(url::ParseError::EmptyHost) => return wrong("the host is missing".into()),
            Err(e) => return wrong(format!("the host is not valid ({e})")),
        };
        if !matches!(url.scheme(), "http" | "https") {
            return wrong(format!(
                "the scheme is {:?}; it must be http or https",
                url.scheme()
            ));
        }
        match url.host() {
            Some(url::Host::Domain(d)) if d.contains('*') => {
                return wrong(
                    "the host has a wildcard; CORS matches whole origins: list each origin, or allow any with \"*\"".into(),
                );
            }
            Some(url::Host::Domain(d))
                if !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') =>
            {
                return wrong(format!(
                    "the host {d:?} has characters a DNS name cannot have"
                ));
            }
            Some(_) => {}
            None => return wrong("the host is missing".into()),
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || url.path() != "/"
            || s.ends_with('/')
        {
            return wrong(
                "an origin has no path, query or fragment (not even a trailing /)".into(),
            );
        }
        let canonical = url.origin().ascii_serialization();
        if canonical != s {
            return Err(format!(
                "{rule}; write it as {canonical:?}, the way a browser sends it"
            ));
        }
        Ok(())
    }

    /// Whether this is the wildcard `*`.
    pub fn is_any(&self) -> bool {
        self.0 == "*"
    }
}

/// A CloudFront alternate domain name (CNAME), such as `video.example.com` or `*.example.com`.
///
/// Rules (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html>): a DNS
/// name of at most 253 characters, labels of 1 to 63 letters, digits and hyphens, lowercase; a
/// wildcard is allowed only as the whole first label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Alias(String);
string_newtype!(Alias);

impl Alias {
    fn check(s: &str) -> Result<(), String> {
        let rule = "must be a lowercase DNS name such as video.example.com, or *.example.com (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html)";
        if s.is_empty() || s.len() > 253 {
            return Err(rule.into());
        }
        let labels: Vec<&str> = s.split('.').collect();
        if labels.len() < 2 {
            return Err(rule.into());
        }
        for (i, l) in labels.iter().enumerate() {
            if i == 0 && *l == "*" {
                continue;
            }
            let ok = (1..=63).contains(&l.len())
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-');
            if !ok {
                return Err(rule.into());
            }
        }
        Ok(())
    }
}

/// Which edge locations serve the distribution, and so what it costs.
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PriceClass.html>)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PriceClass {
    /// North America, Europe and Israel only.
    PriceClass100,
    /// Price class 100 plus most of Asia, the Middle East and Africa.
    PriceClass200,
    /// Every edge location (CloudFront's default).
    #[default]
    PriceClassAll,
}
text_enum!(
    PriceClass,
    "price classes",
    [
        (PriceClass100, "PriceClass_100"),
        (PriceClass200, "PriceClass_200"),
        (PriceClassAll, "PriceClass_All")
    ]
);

/// What CloudFront does with plain-HTTP viewer requests.
/// (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DefaultCacheBehavior.html>)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ViewerProtocolPolicy {
    /// Redirect HTTP to HTTPS (this crate's default).
    #[default]
    RedirectToHttps,
    /// Refuse HTTP.
    HttpsOnly,
    /// Serve both.
    AllowAll,
}
text_enum!(
    ViewerProtocolPolicy,
    "viewer protocol policies",
    [
        (RedirectToHttps, "redirect-to-https"),
        (HttpsOnly, "https-only"),
        (AllowAll, "allow-all")
    ]
);

/// The highest HTTP version viewers may use.
/// (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html>)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.1 only.
    Http1_1,
    /// HTTP/2 (CloudFront's default).
    #[default]
    Http2,
    /// HTTP/3.
    Http3,
    /// HTTP/2 and HTTP/3.
    Http2And3,
}
text_enum!(
    HttpVersion,
    "HTTP versions",
    [
        (Http1_1, "http1.1"),
        (Http2, "http2"),
        (Http3, "http3"),
        (Http2And3, "http2and3")
    ]
);

/// How long CloudFront keeps objects: as the origin's `Cache-Control` headers say, or customized.
///
/// This is the console's "Object Caching" choice. With [`ObjectCaching::OriginCacheHeaders`], the
/// TTLs are CloudFront's defaults (0 / 1 day / 1 year), so the origin's `Cache-Control: max-age`
/// decides within that range. (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html>)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectCaching {
    /// Follow the origin's cache headers.
    OriginCacheHeaders,
    /// Use these TTLs (`min ≤ default ≤ max`).
    Customize {
        /// Minimum TTL.
        min: Ttl,
        /// Default TTL, used when the origin sends no cache headers.
        default: Ttl,
        /// Maximum TTL.
        max: Ttl,
    },
}

impl ObjectCaching {
    /// The (min, default, max) TTLs CloudFront is given.
    pub fn ttls(&self) -> (Ttl, Ttl, Ttl) {
        match *self {
            Self::OriginCacheHeaders => (Ttl::DEFAULT_MIN, Ttl::DEFAULT_DEFAULT, Ttl::DEFAULT_MAX),
            Self::Customize { min, default, max } => (min, default, max),
        }
    }

    /// `origin-cache-headers` or `customize`, as a spec file writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::OriginCacheHeaders => "origin-cache-headers",
            Self::Customize { .. } => "customize",
        }
    }
}

impl fmt::Display for ObjectCaching {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (min, default, max) = self.ttls();
        write!(
            f,
            "{} (min {min}, default {default}, max {max})",
            self.as_str()
        )
    }
}

/// How the cache behavior is expressed to CloudFront.
///
/// [`CacheSettings::Policies`] (the default) creates a cache policy holding the TTLs and the cache key
/// (with the `Origin` header), and attaches AWS-managed origin-request and CORS response-headers
/// policies (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-the-cache-key.html>).
/// [`CacheSettings::Legacy`] puts the TTLs and an `Origin` header whitelist (`ForwardedValues`) on the
/// cache behavior itself, as the older console steps do
/// (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ForwardedValues.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheSettings {
    /// Cache policy plus origin-request and response-headers policies.
    #[default]
    Policies,
    /// Legacy `ForwardedValues` with TTLs on the cache behavior.
    Legacy,
}
text_enum!(
    CacheSettings,
    "cache settings",
    [(Policies, "policies"), (Legacy, "legacy")]
);

/// Which requests of a private distribution must be signed
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-trusted-signers.html>).
///
/// [`Protect::All`] puts the trusted key group on the default cache behavior: every path needs a
/// signed URL or signed cookies. [`Protect::Media`] adds cache behaviors for the manifests and
/// segments ([`Protect::MEDIA_PATTERNS`]) that trust the key group, and leaves the rest (thumbnails,
/// posters) public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Protect {
    /// Every path.
    #[default]
    All,
    /// Manifests and segments only.
    Media,
}
text_enum!(Protect, "protect", [(All, "all"), (Media, "media")]);

impl Protect {
    /// The path patterns of [`Protect::Media`]: HLS and DASH manifests, and every segment kind the
    /// transcode writes (TS, fMP4 and CMAF, audio, WebVTT captions, and DASH's IMSC captions `.xml`).
    pub const MEDIA_PATTERNS: [&'static str; 9] = [
        "*.m3u8", "*.mpd", "*.ts", "*.m4s", "*.mp4", "*.cmfv", "*.cmfa", "*.vtt", "*.xml",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T: std::str::FromStr>(s: &str) -> bool {
        s.parse::<T>().is_ok()
    }

    #[test]
    fn origin_path_rules() {
        assert!(ok::<OriginPath>(""));
        assert!(ok::<OriginPath>("/vod"));
        assert!(ok::<OriginPath>("/a/b-c_d.e~f"));
        assert!(!ok::<OriginPath>("vod"));
        assert!(!ok::<OriginPath>("/vod/"));
        assert!(!ok::<OriginPath>("/"));
        assert!(!ok::<OriginPath>("/a//b"));
        assert!(!ok::<OriginPath>("/a/../b"));
        assert!(!ok::<OriginPath>("/a b"));
        assert!(!ok::<OriginPath>("/a?b"));
        let max = format!("/{}", "a".repeat(254));
        assert!(ok::<OriginPath>(&max));
        assert!(!ok::<OriginPath>(&format!("{max}a")));
        let p: OriginPath = "/assets/v1".parse().unwrap();
        assert_eq!(p.as_key_prefix(), "assets/v1/");
        assert_eq!(p.segments().collect::<Vec<_>>(), ["assets", "v1"]);
    }

    #[test]
    fn header_name_rules() {
        assert!(ok::<HeaderName>("X-Origin-Verify"));
        assert!(ok::<HeaderName>("Referer"));
        assert!(ok::<HeaderName>("X-Forwarded-For"));
        for bad in FORBIDDEN_HEADERS {
            assert!(!ok::<HeaderName>(bad), "{bad}");
            assert!(!ok::<HeaderName>(&bad.to_ascii_uppercase()), "{bad}");
        }
        assert!(!ok::<HeaderName>("X-Amz-Date"));
        assert!(!ok::<HeaderName>("x-edge-location"));
        assert!(!ok::<HeaderName>(""));
        assert!(!ok::<HeaderName>("Bad Header"));
        assert!(!ok::<HeaderName>("Bad:Header"));
        assert!(ok::<HeaderName>(&"h".repeat(256)));
        assert!(!ok::<HeaderName>(&"h".repeat(257)));
        let e = "Host".parse::<HeaderName>().unwrap_err();
        assert!(e.rule.contains("add-origin-custom-headers"), "{e}");
    }

    #[test]
    fn custom_header_value_bounds_and_redaction() {
        let n: HeaderName = "X-Origin-Verify".parse().unwrap();
        assert!(CustomHeader::new(n.clone(), Secret::new("v".repeat(1783))).is_ok());
        let e = CustomHeader::new(n.clone(), Secret::new("topsecret".repeat(200))).unwrap_err();
        assert!(!e.to_string().contains("topsecret"), "{e}");
        assert!(CustomHeader::new(n, Secret::new("a\nb")).is_err());
    }

    #[test]
    fn cors_origin_rules() {
        for good in [
            "*",
            "https://player.example.com",
            "http://localhost:8080",
            "https://a.b:8443",
        ] {
            assert!(ok::<CorsOrigin>(good), "{good}");
        }
        for bad in [
            "",
            "player.example.com",
            "https://player.example.com/",
            "https://player.example.com/path",
            "https://Player.example.com",
            "https://player.example.com:443",
            "ftp://x.com",
            "https://*.example.com",
            "https://x.com?q",
        ] {
            assert!(!ok::<CorsOrigin>(bad), "{bad}");
        }
        let e = "https://X.com:443".parse::<CorsOrigin>().unwrap_err();
        assert!(e.rule.contains("\"https://x.com\""), "{e}");
        // The message says which part is wrong.
        for (bad, part) in [
            ("https://*.example.com", "the host has a wildcard"),
            (
                "http://localhost:99999",
                "the port must be a number from 1 to 65535",
            ),
            ("ftp://x.com", "the scheme is \"ftp\""),
            ("player.example.com", "the scheme is missing"),
            ("localhost:3000", "the scheme is missing"),
            ("x.com:443", "the scheme is missing"),
            // Only the case is wrong: the canonical form is suggested.
            ("HTTPS://x.com", "write it as \"https://x.com\""),
            ("https://x.com/path", "no path, query or fragment"),
            ("https://x.com?q", "no path, query or fragment"),
            ("https://x_y.com", "characters a DNS name cannot have"),
        ] {
            let e = bad.parse::<CorsOrigin>().unwrap_err();
            assert!(e.rule.contains(part), "{bad}: {e}");
        }
    }

    #[test]
    fn alias_rules() {
        assert!(ok::<Alias>("video.example.com"));
        assert!(ok::<Alias>("*.example.com"));
        assert!(!ok::<Alias>("example"));
        assert!(!ok::<Alias>("a.*.com"));
        assert!(!ok::<Alias>("Video.example.com"));
        assert!(!ok::<Alias>("-a.example.com"));
    }

    #[test]
    fn enums_parse() {
        assert_eq!(
            "PriceClass_100".parse::<PriceClass>().unwrap(),
            PriceClass::PriceClass100
        );
        assert!("PriceClass_300".parse::<PriceClass>().is_err());
        assert_eq!(
            "redirect-to-https".parse::<ViewerProtocolPolicy>().unwrap(),
            ViewerProtocolPolicy::default()
        );
        assert_eq!(
            "http2and3".parse::<HttpVersion>().unwrap(),
            HttpVersion::Http2And3
        );
        assert_eq!(
            "legacy".parse::<CacheSettings>().unwrap(),
            CacheSettings::Legacy
        );
        let (min, d, max) = ObjectCaching::OriginCacheHeaders.ttls();
        assert_eq!((min.secs(), d.secs(), max.secs()), (0, 86_400, 31_536_000));
    }
}
