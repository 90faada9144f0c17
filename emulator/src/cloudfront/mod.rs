//! CloudFront control plane (REST-XML, `/2020-05-31/`). Owner: cloudfront.
//!
//! Configs are kept as the XML trees the client sent (plus the defaults CloudFront fills in) and echoed
//! back verbatim. Distributions, cache / origin request / response headers policies (with the
//! AWS-managed ones under their real ids), origin access controls, invalidations, public keys, key
//! groups and tags. See `docs/cloudfront.md`.

mod dist;
pub mod edge;
pub(crate) mod managed;
mod resources;
mod routes;
pub(crate) mod util;
pub mod xml;

pub use routes::handle;

use crate::SharedRef;
use crate::wire::{self, Req, Resp};
use bytes::Bytes;
use http::StatusCode;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use xml::El;

/// The policy-like resources that share one CRUD shape.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Kind {
    CachePolicy,
    OriginRequestPolicy,
    ResponseHeadersPolicy,
    Oac,
    PublicKey,
    KeyGroup,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::CachePolicy,
        Kind::OriginRequestPolicy,
        Kind::ResponseHeadersPolicy,
        Kind::Oac,
        Kind::PublicKey,
        Kind::KeyGroup,
    ];

    fn from_segment(s: &str) -> Option<Kind> {
        Some(match s {
            "cache-policy" => Kind::CachePolicy,
            "origin-request-policy" => Kind::OriginRequestPolicy,
            "response-headers-policy" => Kind::ResponseHeadersPolicy,
            "origin-access-control" => Kind::Oac,
            "public-key" => Kind::PublicKey,
            "key-group" => Kind::KeyGroup,
            _ => return None,
        })
    }

    fn segment(self) -> &'static str {
        match self {
            Kind::CachePolicy => "cache-policy",
            Kind::OriginRequestPolicy => "origin-request-policy",
            Kind::ResponseHeadersPolicy => "response-headers-policy",
            Kind::Oac => "origin-access-control",
            Kind::PublicKey => "public-key",
            Kind::KeyGroup => "key-group",
        }
    }

    /// Resource root element name and operation suffix.
    fn noun(self) -> &'static str {
        match self {
            Kind::CachePolicy => "CachePolicy",
            Kind::OriginRequestPolicy => "OriginRequestPolicy",
            Kind::ResponseHeadersPolicy => "ResponseHeadersPolicy",
            Kind::Oac => "OriginAccessControl",
            Kind::PublicKey => "PublicKey",
            Kind::KeyGroup => "KeyGroup",
        }
    }

    fn list_op(self) -> &'static str {
        match self {
            Kind::CachePolicy => "ListCachePolicies",
            Kind::OriginRequestPolicy => "ListOriginRequestPolicies",
            Kind::ResponseHeadersPolicy => "ListResponseHeadersPolicies",
            Kind::Oac => "ListOriginAccessControls",
            Kind::PublicKey => "ListPublicKeys",
            Kind::KeyGroup => "ListKeyGroups",
        }
    }

    fn no_such(self) -> &'static str {
        match self {
            Kind::CachePolicy => "NoSuchCachePolicy",
            Kind::OriginRequestPolicy => "NoSuchOriginRequestPolicy",
            Kind::ResponseHeadersPolicy => "NoSuchResponseHeadersPolicy",
            Kind::Oac => "NoSuchOriginAccessControl",
            Kind::PublicKey => "NoSuchPublicKey",
            Kind::KeyGroup => "NoSuchResource",
        }
    }

    fn already_exists(self) -> &'static str {
        match self {
            Kind::CachePolicy => "CachePolicyAlreadyExists",
            Kind::OriginRequestPolicy => "OriginRequestPolicyAlreadyExists",
            Kind::ResponseHeadersPolicy => "ResponseHeadersPolicyAlreadyExists",
            Kind::Oac => "OriginAccessControlAlreadyExists",
            Kind::PublicKey => "PublicKeyAlreadyExists",
            Kind::KeyGroup => "KeyGroupAlreadyExists",
        }
    }

    fn in_use(self) -> &'static str {
        match self {
            Kind::CachePolicy => "CachePolicyInUse",
            Kind::OriginRequestPolicy => "OriginRequestPolicyInUse",
            Kind::ResponseHeadersPolicy => "ResponseHeadersPolicyInUse",
            Kind::Oac => "OriginAccessControlInUse",
            Kind::PublicKey => "PublicKeyInUse",
            Kind::KeyGroup => "ResourceInUse",
        }
    }

    /// The distribution config element that references this kind by id, if any.
    fn reference_field(self) -> Option<&'static str> {
        match self {
            Kind::CachePolicy => Some("CachePolicyId"),
            Kind::OriginRequestPolicy => Some("OriginRequestPolicyId"),
            Kind::ResponseHeadersPolicy => Some("ResponseHeadersPolicyId"),
            Kind::Oac => Some("OriginAccessControlId"),
            Kind::PublicKey => None,
            Kind::KeyGroup => Some("KeyGroup"),
        }
    }

    fn time_field(self) -> Option<&'static str> {
        match self {
            Kind::Oac => None,
            Kind::PublicKey => Some("CreatedTime"),
            _ => Some("LastModifiedTime"),
        }
    }

    fn new_id(self) -> String {
        match self {
            Kind::Oac => util::e_id(),
            Kind::PublicKey => util::letter_id("K"),
            _ => uuid::Uuid::new_v4().to_string(),
        }
    }

    fn is_policy(self) -> bool {
        matches!(
            self,
            Kind::CachePolicy | Kind::OriginRequestPolicy | Kind::ResponseHeadersPolicy
        )
    }
}

/// A stored policy-like resource.
#[derive(Debug, Clone)]
pub(crate) struct Res {
    pub id: String,
    pub config: El,
    pub etag: String,
    pub time: SystemTime,
    pub managed: bool,
    pub seq: u64,
}

/// An invalidation batch.
#[derive(Debug, Clone)]
pub(crate) struct Inval {
    pub id: String,
    pub caller_reference: String,
    pub paths: Vec<String>,
    pub batch: El,
    pub create_time: SystemTime,
    pub done_at: Instant,
}

/// A distribution.
#[derive(Debug, Clone)]
pub(crate) struct Dist {
    pub id: String,
    pub arn: String,
    /// `dxxxxxxxxxxxxx.cloudfront.localhost:PORT`
    pub domain: String,
    pub config: El,
    pub etag: String,
    pub last_modified: SystemTime,
    pub deploy_at: Instant,
    pub seq: u64,
    pub invalidations: Vec<Inval>,
    /// When it was created (the `list_delay_ms` knob hides it from `ListDistributions` until then + delay).
    pub created_at: Instant,
}

impl Dist {
    fn status(&self, now: Instant) -> &'static str {
        if now >= self.deploy_at {
            "Deployed"
        } else {
            "InProgress"
        }
    }

    /// The domain without its port.
    pub fn host(&self) -> &str {
        self.domain.split(':').next().unwrap_or(&self.domain)
    }
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub dists: BTreeMap<String, Dist>,
    pub res: HashMap<Kind, BTreeMap<String, Res>>,
    pub tags: HashMap<String, Vec<(String, String)>>,
    pub seq: u64,
}

impl Inner {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn store(&self, kind: Kind) -> &BTreeMap<String, Res> {
        self.res.get(&kind).expect("every kind has a store")
    }

    fn store_mut(&mut self, kind: Kind) -> &mut BTreeMap<String, Res> {
        self.res.get_mut(&kind).expect("every kind has a store")
    }
}

/// CloudFront state: the control plane's resources plus the edge cache.
#[derive(Debug)]
pub struct State {
    pub(crate) inner: Mutex<Inner>,
    pub(crate) edge: edge::Cache,
}

impl Default for State {
    fn default() -> Self {
        let mut res: HashMap<Kind, BTreeMap<String, Res>> =
            Kind::ALL.iter().map(|k| (*k, BTreeMap::new())).collect();
        let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_589_948_972); // 2020-05-20, when managed policies appeared
        let mut seq = 0;
        for (kind, list) in [
            (Kind::CachePolicy, managed::cache_policies()),
            (
                Kind::OriginRequestPolicy,
                managed::origin_request_policies(),
            ),
            (
                Kind::ResponseHeadersPolicy,
                managed::response_headers_policies(),
            ),
        ] {
            for (id, config) in list {
                seq += 1;
                let store = res.get_mut(&kind).expect("store");
                store.insert(
                    id.to_string(),
                    Res {
                        id: id.to_string(),
                        config,
                        etag: util::e_id(),
                        time: epoch,
                        managed: true,
                        seq,
                    },
                );
            }
        }
        State {
            inner: Mutex::new(Inner {
                dists: BTreeMap::new(),
                res,
                tags: HashMap::new(),
                seq,
            }),
            edge: edge::Cache::default(),
        }
    }
}

/// What the edge needs of a distribution.
#[derive(Debug, Clone)]
pub(crate) struct EdgeDist {
    pub id: String,
    pub arn: String,
    pub config: El,
}

impl State {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Finds the distribution serving a viewer Host (without port): its `DomainName` host, or an alias.
    pub(crate) fn edge_lookup(&self, host: &str) -> Option<EdgeDist> {
        let host = host.to_ascii_lowercase();
        let inner = self.lock();
        let found = inner
            .dists
            .values()
            .find(|d| d.host() == host)
            .or_else(|| {
                inner.dists.values().find(|d| {
                    d.config
                        .item_texts("Aliases")
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&host))
                })
            })?;
        Some(EdgeDist {
            id: found.id.clone(),
            arn: found.arn.clone(),
            config: found.config.clone(),
        })
    }

    /// A policy's config by id.
    pub(crate) fn policy_config(&self, kind: Kind, id: &str) -> Option<El> {
        self.lock().store(kind).get(id).map(|r| r.config.clone())
    }
}

/// Per-request context.
pub(crate) struct Ctx {
    pub base_url: String,
    pub deploy_delay: Duration,
    /// The `list_delay_ms` knob: how long a new distribution stays out of `ListDistributions`.
    pub list_delay: Duration,
    /// Custom cache policies, and custom response headers policies, an account may have
    /// ([`crate::rules::DEFAULT_POLICY_QUOTA`] unless configured).
    pub policy_quota: usize,
}

impl Ctx {
    fn port(&self) -> Option<&str> {
        let after_scheme = self.base_url.split("://").nth(1).unwrap_or(&self.base_url);
        let hostport = after_scheme.split('/').next().unwrap_or("");
        hostport
            .rsplit_once(':')
            .map(|(_, p)| p)
            .filter(|p| !p.is_empty())
    }
}

/// An error answer: status, AWS error code, message.
#[derive(Debug)]
pub(crate) struct Fail(pub StatusCode, pub &'static str, pub String);

pub(crate) fn fail(status: u16, code: &'static str, msg: impl Into<String>) -> Fail {
    Fail(
        StatusCode::from_u16(status).expect("valid status"),
        code,
        msg.into(),
    )
}

/// A success answer.
pub(crate) struct Out {
    pub status: StatusCode,
    pub body: Option<El>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl Out {
    fn ok(body: El) -> Out {
        Out {
            status: StatusCode::OK,
            body: Some(body),
            etag: None,
            location: None,
        }
    }
    fn etag(mut self, etag: &str) -> Out {
        self.etag = Some(etag.to_string());
        self
    }
    fn created(mut self, location: String) -> Out {
        self.status = StatusCode::CREATED;
        self.location = Some(location);
        self
    }
    fn no_content() -> Out {
        Out {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
            location: None,
        }
    }
}

type R = Result<Out, Fail>;

fn finish(op: &str, request_id: &str, r: R) -> Resp {
    let mut resp = match r {
        Ok(out) => {
            let mut b = http::Response::builder()
                .status(out.status)
                .header("x-amzn-RequestId", request_id);
            if let Some(e) = &out.etag {
                b = b.header("ETag", e.as_str());
            }
            if let Some(l) = &out.location {
                b = b.header("Location", l.as_str());
            }
            let body = match &out.body {
                Some(el) => {
                    b = b.header("content-type", "text/xml");
                    Bytes::from(el.to_document())
                }
                None => Bytes::new(),
            };
            b.body(body).expect("valid response")
        }
        Err(Fail(status, code, msg)) => crate::wire::xml_error(status, code, &msg, request_id),
    };
    if let Ok(v) = http::HeaderValue::from_str(op) {
        resp.headers_mut().insert(crate::wire::OPERATION_HEADER, v);
    }
    resp
}

/// Parses a request body whose root must be `root`.
pub(crate) fn parse_body(body: &[u8], root: &str) -> Result<El, Fail> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(fail(
            400,
            "MissingBody",
            "This operation requires a body. Ensure that the body is present and the Content-Type header is set.",
        ));
    }
    let el = xml::parse(body)
        .map_err(|e| fail(400, "MalformedInput", format!("Invalid XML document: {e}")))?;
    if el.name != root {
        return Err(fail(
            400,
            "MalformedInput",
            format!("Unexpected root element <{}>; expected <{root}>", el.name),
        ));
    }
    Ok(el)
}

/// Checks `If-Match` against the current ETag.
pub(crate) fn check_if_match(req: &Req, etag: &str) -> Result<(), Fail> {
    match req
        .headers
        .get("if-match")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        None | Some("") => Err(fail(
            400,
            "InvalidIfMatchVersion",
            "The If-Match version is missing or not valid for the resource.",
        )),
        Some(v) if v.trim_matches('"') == etag => Ok(()),
        Some(_) => Err(fail(
            412,
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to false.",
        )),
    }
}

/// Paging parameters: (marker, max items).
pub(crate) fn paging(q: &[(String, String)]) -> Result<(Option<String>, usize), Fail> {
    let marker = wire::query_get(q, "Marker")
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let max = match wire::query_get(q, "MaxItems") {
        None | Some("") => 100,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| fail(400, "InvalidArgument", format!("Invalid MaxItems: {v}")))?,
    };
    Ok((marker, max.min(1000)))
}

/// Pages over `ids` (in listing order): the page and the next marker when truncated.
pub(crate) fn page<'a>(
    ids: &'a [String],
    marker: &Option<String>,
    max: usize,
) -> (&'a [String], Option<String>) {
    let start = match marker {
        Some(m) => ids
            .iter()
            .position(|i| i == m)
            .map(|p| p + 1)
            .unwrap_or(ids.len()),
        None => 0,
    };
    let end = (start + max).min(ids.len());
    let slice = &ids[start..end];
    let next = if end < ids.len() && !slice.is_empty() {
        slice.last().cloned()
    } else {
        None
    };
    (slice, next)
}
