//! Routing: control endpoints, viewer edge and MediaStore data plane by Host, then SigV4 credential scope.
//! Knobs (latency, faults) are applied here before dispatch; every request is logged. Owner: core.
use crate::SharedRef;
use crate::knobs::Fault;
use crate::log::LogEntry;
use crate::wire::{
    self, OPERATION_HEADER, Req, RequestCtx, Resp, host_of, is_edge_host, mediastore_data_host,
    s3_xml_error,
};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};

/// Returned to hyper to close the connection without a response (a `drop` knob or a broken body).
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the emulator")
    }
}
impl std::error::Error for DropConnection {}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Edge,
    S3,
    MediaConvert,
    MediaStore,
    CloudFront,
}

impl Target {
    fn service(self) -> &'static str {
        match self {
            Target::Edge => "edge",
            Target::S3 => "s3",
            Target::MediaConvert => "mediaconvert",
            Target::MediaStore => "mediastore",
            Target::CloudFront => "cloudfront",
        }
    }
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Serves one HTTP request.
pub async fn dispatch(
    shared: &SharedRef,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Full<Bytes>>, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(DropConnection),
    };
    let request_id = new_request_id();
    let host = host_of(&parts.headers, &parts.uri);
    let path = parts.uri.path().to_string();
    let method = parts.method.clone();

    let edge = is_edge_host(&host);
    let ms_host = mediastore_data_host(&host).map(|(_, region)| region.to_string());
    if !edge && ms_host.is_none() && path.starts_with("/_emulator/") {
        return Ok(finish(control(
            shared,
            &parts.method,
            &path,
            &body,
            &request_id,
        )));
    }

    let scope = crate::sigv4::scope_of(&parts.headers, &parts.uri);
    let target = if edge {
        Ok(Target::Edge)
    } else if ms_host.is_some() || path.starts_with("/_mediastore/") {
        Ok(Target::MediaStore)
    } else {
        match &scope {
            // A browser's CORS preflight is never signed: on a host that is not an edge or a MediaStore data
            // endpoint it is for S3, which answers it from the bucket's CORS rules.
            None if method == http::Method::OPTIONS
                && parts.headers.contains_key(http::header::ORIGIN)
                && parts
                    .headers
                    .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD) =>
            {
                Ok(Target::S3)
            }
            None => Err(wire::json_error(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token: requests to the emulator must be signed with AWS Signature Version 4 (any credentials), unless they address a viewer edge host (*.cloudfront.localhost) or a MediaStore data endpoint",
                &request_id,
            )),
            Some(s) => match s.service.as_str() {
                "s3" => Ok(Target::S3),
                "mediaconvert" => Ok(Target::MediaConvert),
                "mediastore" => Ok(Target::MediaStore),
                "cloudfront" => Ok(Target::CloudFront),
                other => Err(wire::json_error(
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    &format!(
                        "The credential scope names service '{other}', which this emulator does not serve (it serves s3, mediaconvert, mediastore, cloudfront)"
                    ),
                    &request_id,
                )),
            },
        }
    };
    // The Region names folders of the emulator's data directory (MediaStore containers): refuse any that is not
    // a Region name, as AWS refuses a credential scoped to an unknown Region.
    let target = match (target, &scope) {
        (Ok(t), Some(s)) if t != Target::Edge && !crate::sigv4::valid_region(&s.region) => {
            Err(invalid_region_response(t, &s.region, &request_id))
        }
        (target, _) => target,
    };
    let target = match target {
        Ok(t) => t,
        Err(resp) => {
            let service = scope
                .as_ref()
                .map(|s| s.service.clone())
                .unwrap_or_else(|| "unknown".into());
            shared.log.record(LogEntry {
                method: method.to_string(),
                service,
                operation: String::new(),
                status: resp.status().as_u16(),
                path,
            });
            return Ok(finish(resp));
        }
    };

    let region = scope
        .as_ref()
        .map(|s| s.region.clone())
        .or(ms_host)
        .unwrap_or_else(|| "us-east-1".to_string());
    let access_key = scope
        .as_ref()
        .map(|s| s.access_key.clone())
        .unwrap_or_default();
    let ctx = RequestCtx {
        account_id: crate::wire::account_for(&access_key, &shared.config.default_account_id),
        access_key,
        region,
        service: target.service().to_string(),
        request_id: request_id.clone(),
        base_url: shared.config.base_url.clone(),
        peer: parts
            .extensions
            .get::<crate::wire::PeerAddr>()
            .map(|p| p.0.ip()),
    };

    let (latency, fault) = shared.knobs.decide(target.service(), method.as_str());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(fault) = fault {
        let resp = match fault {
            Fault::Drop => None,
            Fault::Throttle => Some(throttle_response(target, &request_id)),
            Fault::Error => Some(internal_error_response(target, &request_id)),
        };
        shared.log.record(LogEntry {
            method: method.to_string(),
            service: target.service().to_string(),
            operation: String::new(),
            status: resp.as_ref().map(|r| r.status().as_u16()).unwrap_or(0),
            path,
        });
        return match resp {
            None => Err(DropConnection),
            Some(r) => Ok(finish(r)),
        };
    }

    let req = Req {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        ctx,
    };
    if let Some(resp) = model_violation(shared, target, &req) {
        shared.log.record(LogEntry {
            method: method.to_string(),
            service: target.service().to_string(),
            operation: resp.1,
            status: resp.0.status().as_u16(),
            path,
        });
        let mut resp = resp.0;
        add_request_id(&mut resp, target, &request_id);
        return Ok(finish(resp));
    }
    let mut resp = match target {
        Target::Edge => {
            let mut resp = crate::cloudfront::edge::handle(shared, req).await;
            if shared.knobs.drop_cors("edge") {
                let cors: Vec<_> = resp
                    .headers()
                    .keys()
                    .filter(|k| k.as_str().starts_with("access-control-"))
                    .cloned()
                    .collect();
                for k in cors {
                    resp.headers_mut().remove(k);
                }
            }
            resp
        }
        Target::S3 => crate::s3::handle(shared, req).await,
        Target::MediaConvert => crate::mediaconvert::handle(shared, req).await,
        Target::MediaStore => crate::mediastore::handle(shared, req).await,
        Target::CloudFront => crate::cloudfront::handle(shared, req).await,
    };
    let operation = resp
        .headers_mut()
        .remove(OPERATION_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string))
        .unwrap_or_default();
    shared.log.record(LogEntry {
        method: method.to_string(),
        service: target.service().to_string(),
        operation,
        status: resp.status().as_u16(),
        path,
    });
    if target != Target::Edge {
        add_request_id(&mut resp, target, &request_id);
    }
    Ok(finish(resp))
}

/// With service models loaded ([`crate::models`]): the service's validation error, and the operation, for a
/// request that breaks its operation's model.
fn model_violation(shared: &SharedRef, target: Target, req: &Req) -> Option<(Resp, String)> {
    let models = shared.models.as_ref()?;
    let raw_path = req.uri.path();
    let (service, path) = match target {
        Target::Edge => return None,
        Target::S3 => match crate::s3::virtual_host_bucket(req) {
            Some(bucket) => ("s3", format!("/{bucket}{raw_path}")),
            None => ("s3", raw_path.to_string()),
        },
        Target::MediaConvert => ("mediaconvert", raw_path.to_string()),
        Target::CloudFront => ("cloudfront", raw_path.to_string()),
        Target::MediaStore if req.headers.contains_key("x-amz-target") => {
            ("mediastore", raw_path.to_string())
        }
        // The data plane, without the emulator's `/_mediastore/<endpoint host or name>` addressing prefix.
        Target::MediaStore => match raw_path.strip_prefix(crate::mediastore::PATH_PREFIX) {
            Some(rest) => {
                let first = rest.split('/').next().unwrap_or(rest);
                ("mediastore-data", rest[first.len()..].to_string())
            }
            None => ("mediastore-data", raw_path.to_string()),
        },
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let err = models
        .check(&crate::models::ModelRequest {
            service,
            method: req.method.as_str(),
            path: &path,
            query: req.uri.query(),
            headers: &req.headers,
            body: &req.body,
        })
        .err()?;
    let id = &req.ctx.request_id;
    let resp = match target {
        Target::S3 => s3_xml_error(StatusCode::BAD_REQUEST, "InvalidArgument", &err.message, id),
        Target::CloudFront => {
            wire::xml_error(StatusCode::BAD_REQUEST, "InvalidArgument", &err.message, id)
        }
        Target::MediaConvert => wire::json_error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            &err.message,
            id,
        ),
        _ => wire::json_error(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            &err.message,
            id,
        ),
    };
    Some((resp, err.operation))
}

fn add_request_id(resp: &mut Resp, target: Target, request_id: &str) {
    let h = resp.headers_mut();
    let Ok(v) = HeaderValue::from_str(request_id) else {
        return;
    };
    if target == Target::S3 {
        if !h.contains_key("x-amz-request-id") {
            h.insert("x-amz-request-id", v.clone());
        }
        if !h.contains_key("x-amz-id-2") {
            h.insert("x-amz-id-2", v);
        }
    } else if !h.contains_key("x-amzn-requestid") {
        h.insert("x-amzn-RequestId", v);
    }
}

fn finish(resp: Resp) -> http::Response<Full<Bytes>> {
    resp.map(Full::new)
}

fn invalid_region_response(target: Target, region: &str, request_id: &str) -> Resp {
    let message = format!(
        "Credential should be scoped to a valid region, not '{region}' (lowercase letters, digits and hyphens)"
    );
    match target {
        Target::S3 => s3_xml_error(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            &message,
            request_id,
        ),
        Target::CloudFront => wire::xml_error(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            &message,
            request_id,
        ),
        _ => wire::json_error(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            &message,
            request_id,
        ),
    }
}

fn throttle_response(target: Target, request_id: &str) -> Resp {
    match target {
        Target::S3 => s3_xml_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "SlowDown",
            "Please reduce your request rate.",
            request_id,
        ),
        Target::MediaConvert => wire::json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Too many requests (injected by the emulator's throttle knob)",
            request_id,
        ),
        Target::MediaStore => wire::json_error(
            StatusCode::BAD_REQUEST,
            "ThrottlingException",
            "Rate exceeded (injected by the emulator's throttle knob)",
            request_id,
        ),
        Target::CloudFront => wire::xml_error(
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Rate exceeded",
            request_id,
        ),
        Target::Edge => http::Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header("content-type", "text/plain")
            .header("x-cache", "Error from cloudfront")
            .body(Bytes::from_static(
                b"503 Service Unavailable (injected by the emulator's throttle knob)\n",
            ))
            .expect("static response parts are valid"),
    }
}

fn internal_error_response(target: Target, request_id: &str) -> Resp {
    match target {
        Target::S3 => s3_xml_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
            request_id,
        ),
        Target::MediaConvert => wire::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerErrorException",
            "Internal error (injected by the emulator's error knob)",
            request_id,
        ),
        Target::MediaStore => wire::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal error (injected by the emulator's error knob)",
            request_id,
        ),
        Target::CloudFront => {
            let mut r = wire::xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "Internal error",
                request_id,
            );
            let body = String::from_utf8_lossy(r.body())
                .replace("<Type>Sender</Type>", "<Type>Receiver</Type>");
            *r.body_mut() = Bytes::from(body);
            r
        }
        Target::Edge => http::Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .header("content-type", "text/plain")
            .header("x-cache", "Error from cloudfront")
            .body(Bytes::from_static(
                b"500 Internal Server Error (injected by the emulator's error knob)\n",
            ))
            .expect("static response parts are valid"),
    }
}

/// `/_emulator/...` control endpoints.
fn control(
    shared: &SharedRef,
    method: &Method,
    path: &str,
    body: &Bytes,
    request_id: &str,
) -> Resp {
    let json = |status: StatusCode, v: serde_json::Value| wire::json_ok(status, &v, request_id);
    match (method.as_str(), path) {
        ("GET", "/_emulator/requests") => json(
            StatusCode::OK,
            serde_json::to_value(shared.log.entries()).unwrap_or_default(),
        ),
        ("POST", "/_emulator/reset") | ("DELETE", "/_emulator/requests") => {
            shared.log.clear();
            json(StatusCode::OK, serde_json::json!({"reset": true}))
        }
        ("GET", "/_emulator/knobs") => json(
            StatusCode::OK,
            serde_json::to_value(shared.knobs.get()).unwrap_or_default(),
        ),
        ("PUT", "/_emulator/knobs") | ("POST", "/_emulator/knobs") => {
            let parsed: Result<crate::knobs::KnobsConfig, _> = if body.is_empty() {
                Ok(Default::default())
            } else {
                serde_json::from_slice(body)
            };
            match parsed
                .map_err(|e| e.to_string())
                .and_then(|k| shared.knobs.set(k))
            {
                Ok(()) => json(
                    StatusCode::OK,
                    serde_json::to_value(shared.knobs.get()).unwrap_or_default(),
                ),
                Err(e) => wire::json_error(
                    StatusCode::BAD_REQUEST,
                    "ValidationException",
                    &e,
                    request_id,
                ),
            }
        }
        ("GET", "/_emulator/health") => {
            json(StatusCode::OK, serde_json::json!({"status": "ready"}))
        }
        _ => wire::json_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "unknown control endpoint (GET /_emulator/requests, POST /_emulator/reset, GET|PUT /_emulator/knobs, GET /_emulator/health)",
            request_id,
        ),
    }
}
