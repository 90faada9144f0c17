//! Viewer response headers: conditional and `Range` requests, and the response headers policy (CORS, security headers, custom and
//! removed headers).

use super::{ALL_METHODS, OriginResp};
use crate::cloudfront::xml::El;
use crate::wire::glob;
use bytes::Bytes;

/// The most ranges a `multipart/byteranges` answer holds; more get the whole object.
const MAX_PARTS: usize = 50;

/// The viewer's conditional and range request headers.
#[derive(Debug, Default, Clone)]
pub(crate) struct Conditions {
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub range: Option<String>,
    pub if_range: Option<String>,
}

/// Answers a 200 with the viewer's conditions (RFC 9110 §13.2.2 order): 304 when `If-None-Match` matches the
/// ETag (weak comparison), or, without `If-None-Match`, when the object was not modified after
/// `If-Modified-Since`; else the `Range` ([`apply_range`]), unless an `If-Range` does not hold, in which case
/// the whole object. Other statuses are unchanged.
pub(crate) fn apply_conditions(r: OriginResp, c: &Conditions) -> OriginResp {
    if r.status != 200 {
        return r;
    }
    let not_modified = match (&c.if_none_match, &c.if_modified_since) {
        (Some(inm), _) => r.header("etag").is_some_and(|etag| {
            inm.split(',')
                .map(str::trim)
                .any(|t| t == "*" || opaque(t) == opaque(etag))
        }),
        (None, Some(ims)) => match (
            httpdate::parse_http_date(ims),
            r.header("last-modified")
                .and_then(|lm| httpdate::parse_http_date(lm).ok()),
        ) {
            (Ok(since), Some(modified)) => modified <= since,
            _ => false,
        },
        (None, None) => false,
    };
    if not_modified {
        let mut nm = r;
        nm.status = 304;
        nm.body = Bytes::new();
        for h in [
            "content-type",
            "content-encoding",
            "content-language",
            "content-disposition",
        ] {
            nm.remove_header(h);
        }
        return nm;
    }
    let range = match (&c.range, &c.if_range) {
        (Some(_), Some(if_range)) if !if_range_holds(if_range, &r) => None,
        (range, _) => range.as_deref(),
    };
    apply_range(r, range)
}

/// An entity tag without its weakness indicator (weak comparison, RFC 9110 §8.8.3.2).
fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// `If-Range` (RFC 9110 §13.1.5): an entity tag must match the response's ETag by strong comparison (a weak one
/// never does); a date must equal its `Last-Modified` exactly.
fn if_range_holds(if_range: &str, r: &OriginResp) -> bool {
    let if_range = if_range.trim();
    if if_range.starts_with("W/") {
        return false;
    }
    if if_range.starts_with('"') {
        return r
            .header("etag")
            .is_some_and(|etag| !etag.starts_with("W/") && etag == if_range);
    }
    match (
        httpdate::parse_http_date(if_range),
        r.header("last-modified")
            .and_then(|lm| httpdate::parse_http_date(lm).ok()),
    ) {
        (Ok(date), Some(modified)) => date == modified,
        _ => false,
    }
}

/// Applies a `Range: bytes=` header to a 200 response; other responses unchanged. One range gives a 206 with
/// `Content-Range`; several sorted ranges that do not overlap give a 206 `multipart/byteranges` (at most
/// [`MAX_PARTS`], and not of a compressed body); ranges that are unsorted, overlap or do not parse give the whole
/// object (200), as CloudFront serves them; ranges that select no byte give 416.
pub(crate) fn apply_range(r: OriginResp, range: Option<&str>) -> OriginResp {
    let Some(range) = range else { return r };
    if r.status != 200 {
        return r;
    }
    let len = r.body.len() as u64;
    let ranges = match crate::wire::parse_ranges(range, len) {
        Ok(x) => x,
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
    // Unsorted or overlapping ranges: the whole object, as CloudFront answers. So too for more than
    // `MAX_PARTS` ranges (RFC 9110 §14.2 lets a server refuse to amplify), and for several ranges of a compressed
    // body, whose parts could not be decoded on their own.
    if ranges.windows(2).any(|w| w[1].0 <= w[0].1)
        || ranges.len() > MAX_PARTS
        || (ranges.len() > 1 && r.header("content-encoding").is_some())
    {
        return r;
    }
    let mut out = r.clone();
    out.status = 206;
    out.set_header("accept-ranges", "bytes");
    if let [(start, end)] = ranges[..] {
        out.body = r.body.slice(start as usize..=end as usize);
        out.set_header("content-range", format!("bytes {start}-{end}/{len}"));
        return out;
    }
    let boundary = super::random_token(24);
    let part_type = r
        .header("content-type")
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut body = Vec::new();
    for (start, end) in ranges {
        body.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: {part_type}\r\nContent-Range: bytes {start}-{end}/{len}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&r.body[start as usize..=end as usize]);
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out.body = Bytes::from(body);
    out.remove_header("content-range");
    out.set_header(
        "content-type",
        format!("multipart/byteranges; boundary={boundary}"),
    );
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
pub(super) fn apply_response_headers_policy(
    r: &mut OriginResp,
    policy: &El,
    viewer_origin: Option<&str>,
) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::xml::parse;

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
    fn several_ranges() {
        let r = OriginResp {
            status: 200,
            headers: vec![("content-type".into(), "video/mp2t".into())],
            body: Bytes::from_static(b"0123456789"),
        };
        let m = apply_range(r.clone(), Some("bytes=0-1,5-6"));
        assert_eq!(m.status, 206);
        assert!(
            m.header("content-type")
                .unwrap()
                .starts_with("multipart/byteranges; boundary=")
        );
        assert_eq!(apply_range(r.clone(), Some("bytes=5-6,0-1")).status, 200);
        assert_eq!(apply_range(r.clone(), Some("bytes=0-4,3-6")).status, 200);
        let many = (0..60)
            .map(|i| format!("{i}-{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut big = r.clone();
        big.body = Bytes::from(vec![b'x'; 100]);
        assert_eq!(apply_range(big, Some(&format!("bytes={many}"))).status, 200);
        let mut gz = r.clone();
        gz.set_header("content-encoding", "gzip");
        assert_eq!(apply_range(gz.clone(), Some("bytes=0-1,5-6")).status, 200);
        assert_eq!(apply_range(gz, Some("bytes=0-1")).status, 206);
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
}
