//! Origin fetch: the edge calls a MediaStore container or an S3 bucket of this emulator in-process, after
//! checking the origin's resource policy against the distribution ([`crate::iam`]).

use super::{OriginResp, cf_error_page, random_token};
use crate::SharedRef;
use crate::cloudfront::xml::El;
use crate::iam::{Caller, policy_allows};
use crate::wire::StoredObject;
use bytes::Bytes;
use http::Method;

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
    // What S3 stores with the object and sends back; CloudFront passes these to the viewer.
    let x = o.extra;
    for (name, value) in [
        ("content-encoding", x.content_encoding),
        ("content-disposition", x.content_disposition),
        ("content-language", x.content_language),
        ("expires", x.expires),
    ] {
        if let Some(v) = value {
            headers.push((name.to_string(), v));
        }
    }
    for (k, v) in x.metadata {
        headers.push((format!("x-amz-meta-{k}"), v));
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
pub(super) struct OriginReq<'a> {
    pub(super) origin: &'a El,
    pub(super) method: &'a Method,
    /// Viewer path (decoded), starting with `/`.
    pub(super) path: String,
    /// The viewer `Origin` header, if the behavior forwards it.
    pub(super) forwarded_origin: Option<String>,
    pub(super) acr_method: Option<String>,
    pub(super) acr_headers: Option<String>,
    pub(super) caller: Caller,
}

/// Fetches from the origin in-process.
pub(super) async fn fetch_origin(shared: &SharedRef, r: &OriginReq<'_>) -> OriginResp {
    if let Some(status) = shared.knobs.origin_error_status() {
        return OriginResp {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: Bytes::from(cf_error_page(
                &format!("{status} ERROR"),
                "The origin failed (the emulator's origin_error_status knob).",
            )),
        };
    }
    let domain = r.origin.str_at("DomainName").to_string();
    let origin_path = r.origin.str_at("OriginPath");
    let full = format!("{origin_path}{}", r.path);
    let key = full.trim_start_matches('/').to_string();
    if let Some((c, key)) = shared.mediastore.container_for_origin(&domain, &full) {
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
        let mut resp = match shared.mediastore.get_object(&c, &key) {
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
        // The bucket's CORS rules answer when the behavior forwards the viewer's `Origin`, as S3 answers any
        // request that carries one.
        let rules = shared.s3.bucket_cors(&bucket).await;
        if r.method == Method::OPTIONS {
            let (Some(origin), Some(method)) = (&r.forwarded_origin, &r.acr_method) else {
                return origin_error(
                    403,
                    "AccessForbidden",
                    "Invalid Access-Control-Request-Method: null",
                    true,
                );
            };
            let Some(rules) = rules else {
                return origin_error(403, "AccessForbidden", crate::s3::CORS_NOT_ENABLED, true);
            };
            return match crate::s3::cors_rule_headers(
                &rules,
                origin,
                method,
                r.acr_headers.as_deref(),
            ) {
                Some(headers) => OriginResp {
                    status: 200,
                    headers,
                    body: Bytes::new(),
                },
                None => origin_error(403, "AccessForbidden", crate::s3::CORS_NOT_ALLOWED, true),
            };
        }
        let cors = match (&r.forwarded_origin, &rules) {
            (Some(origin), Some(rules)) => {
                crate::s3::cors_rule_headers(rules, origin, r.method.as_str(), None)
            }
            _ => None,
        };
        let policy = shared.s3.bucket_policy(&bucket).await;
        let resource = format!("arn:aws:s3:::{bucket}/{key}");
        let mut resp = s3_get(
            shared,
            &bucket,
            &key,
            policy.as_deref(),
            &resource,
            &r.caller,
        )
        .await;
        for (k, v) in crate::s3::cors_for_actual_request(cors.unwrap_or_default()) {
            resp.set_header(&k, v);
        }
        return resp;
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

/// GetObject on an S3 origin for the edge: the bucket policy decides, and a missing key is 403 unless the policy
/// grants `s3:ListBucket` too, as S3 answers.
async fn s3_get(
    shared: &SharedRef,
    bucket: &str,
    key: &str,
    policy: Option<&str>,
    resource: &str,
    caller: &Caller,
) -> OriginResp {
    if !policy_allows(policy, "s3:GetObject", resource, caller) {
        return origin_error(403, "AccessDenied", "Access Denied", true);
    }
    match shared.s3.get_object(bucket, key).await {
        Some(o) => {
            let mut r = object_resp(o);
            r.set_header("accept-ranges", "bytes");
            r
        }
        None => {
            // Without s3:ListBucket, S3 answers 403 for a missing key.
            if policy_allows(
                policy,
                "s3:ListBucket",
                &format!("arn:aws:s3:::{bucket}"),
                caller,
            ) {
                origin_error(404, "NoSuchKey", "The specified key does not exist.", true)
            } else {
                origin_error(403, "AccessDenied", "Access Denied", true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
