//! The way in: a signed request becomes the anonymous request s3s serves (signature removed, `aws-chunked`
//! decoded), and the answer gets its operation name.

use super::*;

/// Query parameters of a presigned URL's signature (removed before s3s sees the request).
const PRESIGN_PARAMS: [&str; 7] = [
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-signedheaders",
    "x-amz-signature",
    "x-amz-security-token",
];

fn strip_presign_query(uri: &http::Uri) -> http::Uri {
    let Some(q) = uri.query() else {
        return uri.clone();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|pair| {
            let k = pair.split('=').next().unwrap_or("");
            !PRESIGN_PARAMS.contains(&k.to_ascii_lowercase().as_str())
        })
        .collect();
    let pq = if kept.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    pq.parse().unwrap_or_else(|_| uri.clone())
}

/// Longest validity of a SigV4 presigned URL, in seconds (7 days).
const MAX_PRESIGN_EXPIRES: u64 = 604_800;

/// Why a presigned URL is refused, as S3 answers it: `(status, code, message)`. `None` for a request that is not
/// presigned, or one still valid. (Signatures are not verified; `X-Amz-Date` and `X-Amz-Expires` are, so that an
/// expired link fails here as it does on AWS:
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html>.)
pub(crate) fn presign_refusal(
    uri: &http::Uri,
    now: std::time::SystemTime,
) -> Option<(u16, &'static str, String)> {
    let q = uri.query()?;
    let param = |name: &str| {
        q.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            k.eq_ignore_ascii_case(name)
                .then(|| crate::wire::percent_decode(v))
        })
    };
    param("X-Amz-Signature")?;
    let bad = |msg: &str| Some((400, "AuthorizationQueryParametersError", msg.to_owned()));
    let Some(expires) = param("X-Amz-Expires").and_then(|v| v.parse::<u64>().ok()) else {
        return bad("X-Amz-Expires must be a number of seconds");
    };
    if expires > MAX_PRESIGN_EXPIRES {
        return bad("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    }
    let Some(signed) = param("X-Amz-Date").as_deref().and_then(amz_date) else {
        return bad("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    };
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if now > signed.saturating_add(expires as i64) {
        return Some((403, "AccessDenied", "Request has expired".into()));
    }
    None
}

/// `yyyyMMddTHHmmssZ` to Unix seconds.
fn amz_date(d: &str) -> Option<i64> {
    let b = d.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| d.get(r)?.parse::<u16>().ok();
    let date = time::Date::from_calendar_date(
        i32::from(num(0..4)?),
        time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?,
        u8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(num(9..11)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(13..15)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Trailing headers of an aws-chunked body, lowercased name and value.
pub type Trailers = Vec<(String, String)>;

/// Decodes an `aws-chunked` body (`size[;chunk-signature=..]\r\n data \r\n ... 0\r\n trailers \r\n`).
/// Returns the payload and the trailing headers.
pub fn decode_aws_chunked(body: &[u8]) -> Result<(Vec<u8>, Trailers), String> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0usize;
    let line = |pos: &mut usize| -> Result<&[u8], String> {
        let rest = &body[*pos..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("aws-chunked: missing CRLF")?;
        *pos += end + 2;
        Ok(&rest[..end])
    };
    loop {
        let header = line(&mut pos)?;
        let header = std::str::from_utf8(header).map_err(|_| "aws-chunked: bad chunk header")?;
        let size_hex = header.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("aws-chunked: bad chunk size `{size_hex}`"))?;
        if size == 0 {
            break;
        }
        if pos + size + 2 > body.len() {
            return Err("aws-chunked: truncated chunk".into());
        }
        out.extend_from_slice(&body[pos..pos + size]);
        pos += size;
        if &body[pos..pos + 2] != b"\r\n" {
            return Err("aws-chunked: missing CRLF after chunk data".into());
        }
        pos += 2;
    }
    let mut trailers = Vec::new();
    while pos < body.len() {
        let l = match line(&mut pos) {
            Ok(l) => l,
            Err(_) => &body[pos..],
        };
        if l.is_empty() {
            if pos >= body.len() {
                break;
            }
            continue;
        }
        let l = String::from_utf8_lossy(l).to_string();
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k != "x-amz-trailer-signature" {
                trailers.push((k, v.trim().to_string()));
            }
        }
        if pos >= body.len() {
            break;
        }
    }
    Ok((out, trailers))
}

/// Turns a signed request into the anonymous, plain-bodied request s3s serves without an auth provider.
fn to_anonymous(req: &Req) -> Result<(http::Uri, HeaderMap, Bytes), String> {
    let mut headers = req.headers.clone();
    headers.remove(http::header::AUTHORIZATION);
    let sha = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let encodings: Vec<String> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let chunked = sha.starts_with("STREAMING-")
        || encodings
            .iter()
            .any(|e| e.eq_ignore_ascii_case("aws-chunked"));
    let mut body = req.body.clone();
    if chunked {
        let (payload, trailers) = decode_aws_chunked(&req.body)?;
        if let Some(expected) = headers
            .get("x-amz-decoded-content-length")
            .and_then(|v| v.to_str().ok())
            && expected.parse::<usize>().ok() != Some(payload.len())
        {
            return Err(format!(
                "aws-chunked: decoded {} bytes but x-amz-decoded-content-length is {expected}",
                payload.len()
            ));
        }
        body = Bytes::from(payload);
        headers.remove("x-amz-decoded-content-length");
        headers.remove("x-amz-trailer");
        headers.remove(http::header::CONTENT_ENCODING);
        let rest: Vec<&String> = encodings
            .iter()
            .filter(|e| !e.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        if !rest.is_empty() {
            let joined = rest
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                headers.insert(http::header::CONTENT_ENCODING, v);
            }
        }
        for (k, v) in trailers {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                headers.insert(k, v);
            }
        }
    }
    headers.remove("x-amz-content-sha256");
    headers.remove(http::header::TRANSFER_ENCODING);
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Ok((strip_presign_query(&req.uri), headers, body))
}

/// A best-effort operation name for requests s3s answered without reaching [`Emu`] (parse errors, unknown ops).
fn guess_operation(method: &http::Method, uri: &http::Uri) -> &'static str {
    let path = uri.path().trim_start_matches('/');
    let has_key = path.contains('/') && !path.ends_with('/')
        || path.split_once('/').is_some_and(|(_, k)| !k.is_empty());
    match (method.as_str(), path.is_empty(), has_key) {
        ("GET", true, _) => "ListBuckets",
        ("PUT", false, false) => "CreateBucket",
        ("DELETE", false, false) => "DeleteBucket",
        ("HEAD", false, false) => "HeadBucket",
        ("GET", false, false) => "ListObjects",
        ("PUT", false, true) => "PutObject",
        ("GET", false, true) => "GetObject",
        ("HEAD", false, true) => "HeadObject",
        ("DELETE", false, true) => "DeleteObject",
        _ => "Unknown",
    }
}

/// The bucket of a virtual-hosted-style request (`<bucket>.s3.localhost`), `None` for path style.
pub(crate) fn virtual_host_bucket(req: &Req) -> Option<String> {
    let host = crate::wire::host_of(&req.headers, &req.uri);
    let vh = s3s::host::S3Host::parse_host_header(&super::store::EmuHost, &host).ok()?;
    vh.bucket().map(str::to_string)
}

/// The bucket a request addresses (virtual-hosted or path style), and whether it addresses the bucket itself
/// rather than an object in it.
fn addressed_bucket(req: &Req) -> Option<(String, bool)> {
    let path = req.uri.path();
    if let Some(bucket) = virtual_host_bucket(req) {
        let whole_bucket = path.trim_start_matches('/').is_empty();
        return Some((bucket, whole_bucket));
    }
    let rest = path.trim_start_matches('/');
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (crate::wire::percent_decode(bucket), key.is_empty()))
}

/// Serves an S3 request.
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    let request_id = req.ctx.request_id.clone();
    if let Some((status, code, message)) = presign_refusal(&req.uri, std::time::SystemTime::now()) {
        let mut r = crate::wire::s3_xml_error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
            code,
            &message,
            &request_id,
        );
        r.headers_mut().insert(
            crate::wire::OPERATION_HEADER,
            HeaderValue::from_static("Presigned"),
        );
        return r;
    }
    // CORS (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html): a preflight is answered from the
    // bucket's rules; an actual request with an `Origin` gets the matching rule's headers.
    let origin = req
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let cors_bucket = origin
        .as_ref()
        .and_then(|_| addressed_bucket(&req))
        .map(|b| b.0);
    let method = req.method.clone();
    if req.method == http::Method::OPTIONS
        && let (Some(origin), Some(bucket)) = (&origin, &cors_bucket)
    {
        return preflight(shared, &req, bucket, origin).await;
    }
    let mut resp = serve(shared, req).await;
    if let (Some(origin), Some(bucket)) = (&origin, &cors_bucket)
        && let Some(rules) = shared.s3.bucket_cors(bucket).await
        && let Some(h) = bucket_cors::rule_headers(&rules, origin, method.as_str(), None)
    {
        for (k, v) in bucket_cors::for_actual_request(h) {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                resp.headers_mut().insert(k, v);
            }
        }
    }
    resp
}

/// A CORS preflight (`OPTIONS`) on a bucket or object: 200 with the matching rule's headers, else S3's 403.
async fn preflight(shared: &SharedRef, req: &Req, bucket: &str, origin: &str) -> Resp {
    let header = |name: &str| {
        req.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let error = |status: StatusCode, code: &str, message: &str| {
        let mut r = crate::wire::s3_xml_error(status, code, message, &req.ctx.request_id);
        r.headers_mut().insert(
            crate::wire::OPERATION_HEADER,
            HeaderValue::from_static("PreflightRequest"),
        );
        r
    };
    let refuse = |message: &str| error(StatusCode::FORBIDDEN, "AccessForbidden", message);
    let Some(method) = header("access-control-request-method") else {
        return refuse("Invalid Access-Control-Request-Method: null");
    };
    if !shared.s3.bucket_exists(bucket).await {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        );
    }
    let Some(rules) = shared.s3.bucket_cors(bucket).await else {
        return refuse(bucket_cors::NOT_ENABLED);
    };
    let Some(h) = bucket_cors::rule_headers(
        &rules,
        origin,
        &method,
        header("access-control-request-headers").as_deref(),
    ) else {
        return refuse(bucket_cors::NOT_ALLOWED);
    };
    let mut b = http::Response::builder()
        .status(StatusCode::OK)
        .header(crate::wire::OPERATION_HEADER, "PreflightRequest")
        .header(http::header::CONTENT_LENGTH, "0");
    for (k, v) in h {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            b = b.header(k, v);
        }
    }
    b.body(Bytes::new()).unwrap_or_default()
}

/// Serves a request that is not a preflight.
async fn serve(shared: &SharedRef, req: Req) -> Resp {
    let request_id = req.ctx.request_id.clone();
    // The `new_bucket_window_ms` knob: a bucket just created is not yet visible to the other requests.
    let window = shared.knobs.new_bucket_window();
    if !window.is_zero()
        && let Some((bucket, whole_bucket)) = addressed_bucket(&req)
        && !(whole_bucket && req.method == http::Method::PUT && req.uri.query().is_none())
        && shared
            .s3
            .bucket_age(&bucket)
            .is_some_and(|age| age < window)
    {
        let mut r = crate::wire::s3_xml_error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            &request_id,
        );
        r.headers_mut().insert(
            crate::wire::OPERATION_HEADER,
            HeaderValue::from_static("NewBucketWindow"),
        );
        return r;
    }
    let (uri, headers, body) = match to_anonymous(&req) {
        Ok(x) => x,
        Err(e) => {
            let mut r = crate::wire::s3_xml_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                &e,
                &request_id,
            );
            r.headers_mut().insert(
                crate::wire::OPERATION_HEADER,
                HeaderValue::from_static("Unknown"),
            );
            return r;
        }
    };
    let mut hreq = http::Request::builder()
        .method(req.method.clone())
        .uri(uri.clone());
    if let Some(h) = hreq.headers_mut() {
        *h = headers;
    }
    let mut hreq = match hreq.body(s3s::Body::from(body)) {
        Ok(r) => r,
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                &e.to_string(),
                &request_id,
            );
        }
    };
    let slot = OpSlot::default();
    hreq.extensions_mut().insert(slot.clone());
    hreq.extensions_mut()
        .insert(ScopeRegion(req.ctx.region.clone()));
    let resp = match shared.s3.service.call(hreq).await {
        Ok(r) => r,
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("{e:?}"),
                &request_id,
            );
        }
    };
    let (mut parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &e.to_string(),
                &request_id,
            );
        }
    };
    let op = slot
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| guess_operation(&req.method, &uri));
    parts
        .headers
        .insert(crate::wire::OPERATION_HEADER, HeaderValue::from_static(op));
    if req.method == http::Method::HEAD {
        // Keep the object's Content-Length on HEAD (the body is empty by definition).
        return http::Response::from_parts(parts, Bytes::new());
    }
    let mut bytes = bytes;
    if parts.status.as_u16() >= 400
        && bytes.windows(8).any(|w| w == b"</Error>")
        && !bytes.windows(11).any(|w| w == b"<RequestId>")
    {
        // s3s's error bodies lack the RequestId/HostId that S3 sends.
        let text = String::from_utf8_lossy(&bytes).replacen(
            "</Error>",
            &format!(
                "<RequestId>{rid}</RequestId><HostId>{rid}</HostId></Error>",
                rid = crate::wire::xml_escape(&request_id)
            ),
            1,
        );
        bytes = Bytes::from(text);
    }
    if !parts.headers.contains_key(http::header::CONTENT_LENGTH) || !bytes.is_empty() {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    }
    http::Response::from_parts(parts, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_signed_and_unsigned_aws_chunked() {
        let signed = b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=ghi\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:zzz\r\n\r\n";
        let (body, trailers) = decode_aws_chunked(signed).unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
        let unsigned = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc64nvme:AAAA\r\n\r\n";
        let (body, trailers) = decode_aws_chunked(unsigned).unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(trailers[0].0, "x-amz-checksum-crc64nvme");
        let no_trailer = b"3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(
            decode_aws_chunked(no_trailer).unwrap(),
            (b"abc".to_vec(), vec![])
        );
        assert!(decode_aws_chunked(b"10\r\nshort\r\n").is_err());
        assert!(decode_aws_chunked(b"zz\r\n").is_err());
    }

    #[test]
    fn strips_presigned_query() {
        let uri: http::Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&partNumber=1&X-Amz-Signature=00".parse().unwrap();
        assert_eq!(strip_presign_query(&uri).to_string(), "/b/k?partNumber=1");
        let uri: http::Uri = "/b/k?X-Amz-Signature=00".parse().unwrap();
        assert_eq!(strip_presign_query(&uri).to_string(), "/b/k");
    }

    #[test]
    fn presigned_urls_expire() {
        let at = |secs: u64| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        // 2025-01-01T00:00:00Z is 1735689600.
        let uri: http::Uri = "/b/k?X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-Signature=00"
            .parse()
            .unwrap();
        assert_eq!(presign_refusal(&uri, at(1_735_689_600 + 60)), None);
        let (status, code, msg) = presign_refusal(&uri, at(1_735_689_600 + 61)).unwrap();
        assert_eq!((status, code), (403, "AccessDenied"));
        assert_eq!(msg, "Request has expired");
        let week: http::Uri =
            "/b/k?X-Amz-Date=20250101T000000Z&X-Amz-Expires=604801&X-Amz-Signature=00"
                .parse()
                .unwrap();
        assert_eq!(
            presign_refusal(&week, at(1_735_689_600)).unwrap().1,
            "AuthorizationQueryParametersError"
        );
        let signed_header: http::Uri = "/b/k?partNumber=1".parse().unwrap();
        assert_eq!(presign_refusal(&signed_header, at(0)), None);
    }
}
