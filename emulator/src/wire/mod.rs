//! Shared request/response types and the wire-level helpers every service module uses: AWS-style errors
//! ([`errors`]), Host parsing ([`host`]), percent-decoding and query strings ([`query`]), `Range` ([`range`]) and
//! the `*`/`?` wildcard matching AWS uses in paths, policies and CORS rules ([`glob`](mod@glob)).
//!
//! CONTRACT between the service modules (do not change signatures without updating every user):
//! - every service exposes `pub async fn handle(shared: &Arc<Shared>, req: Req) -> Resp`;
//! - `Req` is a fully buffered request plus the parsed SigV4 context;
//! - `Resp` is `http::Response<Bytes>`; the router adds `x-amz-request-id` / `x-amzn-RequestId`
//!   only if the service did not set it.

pub mod errors;
pub mod glob;
pub mod host;
pub mod query;
pub mod range;

pub use errors::{json_error, json_ok, s3_xml_error, xml_error, xml_escape};
pub use glob::glob;
pub use host::{host_of, is_edge_host, mediastore_data_host};
pub use query::{parse_query, percent_decode, query_get};
pub use range::{RangeError, parse_range, parse_ranges};

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

/// The response header a service sets to name the AWS operation; the router strips it before sending.
pub const OPERATION_HEADER: &str = "x-emulator-operation";

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
    /// The caller's account: its access key id when that is 12 digits, else the emulator's default account
    /// ([`account_for`]).
    pub account_id: String,
    /// `http://127.0.0.1:PORT` of this emulator, for building endpoints in responses.
    pub base_url: String,
    /// The address of the client that sent the request (the viewer, at the edge).
    pub peer: Option<std::net::IpAddr>,
}

/// The connection's peer address, put in the request's extensions by the server.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::SocketAddr);

/// A buffered response.
pub type Resp = http::Response<Bytes>;

/// The emulator's default account id (`--account-id` changes it).
pub const ACCOUNT_ID: &str = "123456789012";

/// The account a request acts as: an access key id of 12 digits is that account (as LocalStack and moto take it),
/// any other is `default`.
pub fn account_for(access_key: &str, default: &str) -> String {
    if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
        access_key.to_string()
    } else {
        default.to_string()
    }
}

/// An object as stored by S3 or MediaStore, as the edge and MediaConvert need it.
#[derive(Debug, Clone)]
pub struct StoredObject {
    pub body: Bytes,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub etag: String,
    pub last_modified: std::time::SystemTime,
    /// The representation headers S3 keeps with an object (MediaStore keeps none of them).
    pub extra: ObjectHeaders,
}

/// What S3 stores with an object beside its type and caching: sent back on GET and HEAD, and passed through
/// CloudFront to viewers.
#[derive(Debug, Clone, Default)]
pub struct ObjectHeaders {
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    /// An HTTP date, as S3 answers it.
    pub expires: Option<String>,
    /// User metadata, the names without `x-amz-meta-`, lowercase.
    pub metadata: Vec<(String, String)>,
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
