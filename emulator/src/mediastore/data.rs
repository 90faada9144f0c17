//! The data plane (restJson1): addressing a container, its container policy for anonymous requests
//! ([`crate::iam`]), its CORS policy ([`crate::cors`]), and dispatch to the object operations.

use super::objects::*;
use super::*;
use crate::{cors, iam};

/// Whether the container policy lets anonymous callers perform `action` (e.g. `mediastore:GetObject`): principal
/// and action only ([`iam::Checks::PRINCIPAL_AND_ACTION`]).
pub(super) fn policy_allows_anonymous(policy: Option<&str>, action: &str) -> bool {
    iam::allows(
        policy,
        action,
        "",
        &iam::Caller::anonymous(),
        iam::Checks::PRINCIPAL_AND_ACTION,
    )
}

/// Whether a request signed by `caller` may perform `op` on `resource` of a container owned by `owner`: without a
/// container policy, MediaStore's default policy applies (the owner account has full access); with one, the policy
/// decides, an explicit Deny first
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/policies-default.html>).
pub(super) fn signed_request_allowed(
    policy: Option<&str>,
    owner: &str,
    caller: &str,
    op: &str,
    resource: &str,
) -> bool {
    match policy {
        None => owner == caller,
        Some(p) => iam::allows(
            Some(p),
            &format!("mediastore:{op}"),
            resource,
            &iam::Caller::account(caller),
            iam::Checks::ALL,
        ),
    }
}

/// Resolves the container a data-plane request addresses, and the object path (no leading slash): by its endpoint
/// host (`Host`, or the path-style `/_mediastore/<endpoint host>/...`), or by name in the caller's account
/// (`/_mediastore/<ContainerName>/...`, in the request's Region first).
pub(super) fn resolve_target(st: &State, req: &Req) -> Result<(ContainerKey, String), String> {
    let host = crate::wire::host_of(&req.headers, &req.uri);
    let raw_path = req.uri.path();
    let (endpoint_host, path) = if crate::wire::mediastore_data_host(&host).is_some() {
        (Some(host.clone()), raw_path)
    } else if let Some(rest) = raw_path.strip_prefix(PATH_PREFIX) {
        let first = rest.split('/').next().unwrap_or(rest);
        let path = &rest[first.len()..];
        if crate::wire::mediastore_data_host(first).is_some() {
            (Some(first.to_string()), path)
        } else {
            let cs = st.lock();
            let account = &req.ctx.account_id;
            let c = cs
                .iter()
                .find(|c| c.name == first && &c.account == account && c.region == req.ctx.region)
                .or_else(|| cs.iter().find(|c| c.name == first && &c.account == account))
                .ok_or_else(|| format!("Container {first} does not exist in account {account}"))?;
            return Ok((
                c.key(),
                crate::wire::percent_decode(path.trim_start_matches('/')),
            ));
        }
    } else {
        return Err("A MediaStore data-plane request must address a container endpoint: the path prefix /_mediastore/<id>.data.mediastore.<region>.localhost/ (what DescribeContainer gives), the host <id>.data.mediastore.<region>.localhost, or /_mediastore/<ContainerName>/".into());
    };
    let endpoint_host = endpoint_host.unwrap_or_default();
    let cs = st.lock();
    let c = cs
        .iter()
        .find(|c| c.host() == endpoint_host)
        .ok_or_else(|| format!("No container has endpoint host {endpoint_host}"))?;
    Ok((
        c.key(),
        crate::wire::percent_decode(path.trim_start_matches('/')),
    ))
}

/// Adds the CORS headers of the container's first matching CORS rule ([`cors::DATA_PLANE`]) and `Vary: Origin`.
pub(super) fn apply_cors(
    resp: &mut Resp,
    rules: Option<&Value>,
    origin: Option<&str>,
    method: &str,
) {
    let Some(origin) = origin else { return };
    let Some(headers) = cors::container_rule(rules, origin, method, None, &cors::DATA_PLANE) else {
        return;
    };
    let h = resp.headers_mut();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.insert(n, v);
        }
    }
    h.append(http::header::VARY, HeaderValue::from_static("Origin"));
}

pub(super) async fn data(shared: &SharedRef, req: Req) -> Resp {
    let st = &shared.mediastore;
    let rid = req.ctx.request_id.clone();
    let op: &'static str = match (&req.method, req.uri.path()) {
        (&Method::OPTIONS, _) => "Preflight",
        (&Method::GET, p)
            if p == "/"
                || (p.starts_with(PATH_PREFIX)
                    && p.trim_end_matches('/').matches('/').count() == 2) =>
        {
            "ListItems"
        }
        (&Method::GET, _) => "GetObject",
        (&Method::PUT, _) => "PutObject",
        (&Method::HEAD, _) => "DescribeObject",
        (&Method::DELETE, _) => "DeleteObject",
        _ => {
            return with_op(
                err(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "Unsupported method for MediaStore data",
                    &rid,
                ),
                "Unknown",
            );
        }
    };
    let (key, path) = match resolve_target(st, &req) {
        Ok(x) => x,
        Err(e) => {
            return with_op(
                err(
                    StatusCode::NOT_FOUND,
                    "ContainerNotFoundException",
                    &e,
                    &rid,
                ),
                op,
            );
        }
    };
    let ContainerKey { name, region, .. } = key.clone();
    let (policy, cors, owner) = {
        let cs = st.lock();
        match cs.iter().find(|c| c.is(&key)) {
            Some(c) => (c.policy.clone(), c.cors.clone(), c.account.clone()),
            None => {
                return with_op(
                    err(
                        StatusCode::NOT_FOUND,
                        "ContainerNotFoundException",
                        "Container not found",
                        &rid,
                    ),
                    op,
                );
            }
        }
    };
    let origin = req
        .headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if op == "Preflight" {
        let m = req
            .headers
            .get("access-control-request-method")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("GET")
            .to_string();
        let mut r = http::Response::builder()
            .status(StatusCode::OK)
            .body(Bytes::new())
            .expect("static");
        apply_cors(&mut r, cors.as_ref(), origin.as_deref(), &m);
        if !r.headers().contains_key("access-control-allow-origin") {
            *r.status_mut() = StatusCode::FORBIDDEN;
        } else if let Some(h) = req.headers.get("access-control-request-headers") {
            r.headers_mut()
                .insert("access-control-allow-headers", h.clone());
        }
        return with_op(r, op);
    }
    let signed = !req.ctx.access_key.is_empty();
    if !signed && !policy_allows_anonymous(policy.as_deref(), &format!("mediastore:{op}")) {
        return with_op(
            err(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                &format!("Anonymous {op} is not allowed by the container policy of {name}"),
                &rid,
            ),
            op,
        );
    }
    if signed
        && !signed_request_allowed(
            policy.as_deref(),
            &owner,
            &req.ctx.account_id,
            op,
            &format!("arn:aws:mediastore:{region}:{owner}:container/{name}/{path}"),
        )
    {
        return with_op(
            err(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                &format!(
                    "User: arn:aws:iam::{}:root is not authorized to perform: mediastore:{op} on the container {name}: its container policy does not allow it",
                    req.ctx.account_id
                ),
                &rid,
            ),
            op,
        );
    }
    if op != "ListItems" && !valid_object_path(&path) {
        return with_op(validation(PATH_RULE, &rid), op);
    }
    let mut resp = match op {
        "PutObject" => put_object(st, &req, &key, &path, &rid),
        "GetObject" | "DescribeObject" => {
            get_object(st, &req, &key, &path, op == "DescribeObject", &rid)
        }
        "DeleteObject" => delete_object(st, &key, &path, &rid),
        _ => list_items(st, &req, &key, &rid),
    };
    apply_cors(
        &mut resp,
        cors.as_ref(),
        origin.as_deref(),
        req.method.as_str(),
    );
    with_op(resp, op)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_range;

    #[test]
    fn names_and_paths() {
        assert!(valid_container_name("live_1"));
        assert!(!valid_container_name("live-1"));
        assert!(!valid_container_name(""));
        assert!(valid_object_path("a/b/c.m3u8"));
        assert!(!valid_object_path("/a"));
        assert!(!valid_object_path("a//b"));
        assert!(!valid_object_path(
            &"a/".repeat(11).to_string().add_str("x")
        ));
        assert_eq!(parse_range("bytes=0-3", 10), Ok((0, 3)));
        assert_eq!(parse_range("bytes=-3", 10), Ok((7, 9)));
        assert_eq!(parse_range("bytes=5-", 10), Ok((5, 9)));
        assert!(parse_range("bytes=10-", 10).is_err());
    }

    trait AddStr {
        fn add_str(self, s: &str) -> String;
    }
    impl AddStr for String {
        fn add_str(mut self, s: &str) -> String {
            self.push_str(s);
            self
        }
    }

    #[test]
    fn anonymous_policy() {
        let p = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":["mediastore:GetObject","mediastore:DescribeObject"],"Resource":"*"}]}"#;
        assert!(policy_allows_anonymous(Some(p), "mediastore:GetObject"));
        assert!(!policy_allows_anonymous(Some(p), "mediastore:PutObject"));
        assert!(!policy_allows_anonymous(None, "mediastore:GetObject"));
    }
}
