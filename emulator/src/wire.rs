//! Shared request/response types and AWS-style error helpers used by every service module.
//!
//! CONTRACT between the service modules (do not change signatures without updating every user):
//! - every service exposes `pub async fn handle(shared: &Arc<Shared>, req: Req) -> Resp`;
//! - `Req` is a fully buffered request plus the parsed SigV4 context;
//! - `Resp` is `http::Response<Bytes>`; the router adds `x-amz-request-id` / `x-amzn-RequestId`
//!   only if the service did not set it.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};

/// A fully buffered request as the router hands it to a service.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Parsed SigV4 credential scope and identity.
    pub ctx: RequestCtx,
}

/// What the router learned from the SigV4 `Authorization` header (signature not verified).
#[derive(Debug, Clone)]
pub struct RequestCtx {
    /// The access key id from the credential scope (e.g. `test`).
    pub access_key: String,
    /// Region from the credential scope (e.g. `us-east-1`).
    pub region: String,
    /// Service from the credential scope (`s3`, `mediaconvert`, `mediastore`, `cloudfront`).
    pub service: String,
    /// A fresh request id for this request.
    pub request_id: String,
    /// The emulated account id (always [`ACCOUNT_ID`]).
    pub account_id: String,
    /// `http://127.0.0.1:PORT` of this emulator, for building endpoints in responses.
    pub base_url: String,
}

/// A buffered response.
pub type Resp = http::Response<Bytes>;

/// The account id the emulator answers as.
pub const ACCOUNT_ID: &str = "123456789012";

/// An AWS JSON (awsJson1_1 / restJson1) error: `{"__type": code, "message": msg}` plus `x-amzn-ErrorType`.
pub fn json_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Resp {
    let body = serde_json::json!({ "__type": code, "message": message, "Message": message });
    http::Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-ErrorType", code)
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(body.to_string()))
        .expect("static response parts are valid")
}

/// An AWS restXml error as CloudFront sends it: `<ErrorResponse><Error><Type>Sender</Type><Code>..`.
pub fn xml_error(status: StatusCode, code: &str, message: &str, request_id: &str) -> Resp {
    let body = format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"http://cloudfront.amazonaws.com/doc/2020-05-31/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id)
    );
    http::Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(body))
        .expect("static response parts are valid")
}

/// A JSON success response.
pub fn json_ok(status: StatusCode, value: &serde_json::Value, request_id: &str) -> Resp {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id)
        .body(Bytes::from(value.to_string()))
        .expect("static response parts are valid")
}

/// Escapes text for XML element content and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// An object as stored by S3 or MediaStore, as the edge and MediaConvert need it.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub body: Bytes,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub etag: String,
    pub last_modified: std::time::SystemTime,
}

/// `root` joined with the relative, `/`-separated path `rel`, or `None` when any segment of `rel` is empty, `.`,
/// `..` or holds a NUL or a backslash: the result is always inside `root`. Every file the emulator derives from a
/// name a client chose (a MediaStore path, a Region) goes through this, whatever was validated before.
pub fn join_inside(root: &std::path::Path, rel: &str) -> Option<std::path::PathBuf> {
    let mut out = root.to_path_buf();
    for segment in rel.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains(['\0', '\\'])
        {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::join_inside;
    use std::path::Path;

    #[test]
    fn join_inside_refuses_every_way_out() {
        let root = Path::new("/data/ms");
        assert_eq!(
            join_inside(root, "us-east-1/c/vod/a.m3u8").as_deref(),
            Some(Path::new("/data/ms/us-east-1/c/vod/a.m3u8"))
        );
        assert_eq!(
            join_inside(root, "a..b/.x/..y").as_deref(),
            Some(Path::new("/data/ms/a..b/.x/..y"))
        );
        for bad in [
            "",
            "..",
            ".",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a/",
            "a\\..\\b",
            "a\0b",
        ] {
            assert_eq!(join_inside(root, bad), None, "{bad:?}");
        }
    }
}
