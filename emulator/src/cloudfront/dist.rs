//! Distributions, invalidations and tags.
use super::resources::check_quantities;
use super::xml::El;
use super::{
    Ctx, Dist, Fail, Inner, Inval, Kind, Out, R, State, check_if_match, fail, page, paging,
    parse_body, util,
};
use crate::wire::{self, ACCOUNT_ID, Req};
use std::collections::HashSet;
use std::time::{Instant, SystemTime};

/// Headers CloudFront refuses as origin custom headers (besides the `X-Amz-` / `X-Edge-` prefixes).
const FORBIDDEN_ORIGIN_HEADERS: &[&str] = &[
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
    "proxy-authenticate",
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

const ERROR_CODES: &[i64] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
const RESPONSE_CODES: &[i64] = &[200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

fn inval(msg: impl Into<String>) -> Fail {
    fail(400, "InvalidArgument", msg)
}

fn quantity_list(name: &str, item: &str, values: &[&str]) -> El {
    let mut el = El::new(name).with_leaf("Quantity", values.len().to_string());
    if !values.is_empty() {
        let mut items = El::new("Items");
        for v in values {
            items.push(El::leaf(item, *v));
        }
        el.push(items);
    }
    el
}

/// All cache behaviors: the default one first, then the ordered ones.
pub(crate) fn behaviors(cfg: &El) -> Vec<&El> {
    let mut v = Vec::new();
    if let Some(d) = cfg.child("DefaultCacheBehavior") {
        v.push(d);
    }
    v.extend(cfg.items("CacheBehaviors"));
    v
}

/// Validates a DistributionConfig the way CloudFront does for the rules that matter here.
fn validate(inner: &Inner, cfg: &El, own_id: Option<&str>) -> Result<(), Fail> {
    check_quantities(cfg)?;
    for f in ["CallerReference", "Comment", "Enabled"] {
        if cfg.child(f).is_none() {
            return Err(inval(format!("The parameter {f} is required.")));
        }
    }
    if !matches!(cfg.str_at("Enabled"), "true" | "false") {
        return Err(inval("The parameter Enabled must be true or false."));
    }
    // Origins.
    let origins = cfg.items("Origins");
    if cfg.child("Origins").is_none() || origins.is_empty() {
        return Err(inval(
            "The parameter Origins is required and must contain at least one origin.",
        ));
    }
    let mut origin_ids = HashSet::new();
    for o in &origins {
        let id = o.str_at("Id");
        let domain = o.str_at("DomainName");
        if id.is_empty() || domain.is_empty() {
            return Err(inval("Each origin requires Id and DomainName."));
        }
        if !origin_ids.insert(id.to_string()) {
            return Err(inval(format!(
                "The parameter Origin Id must be unique: {id}"
            )));
        }
        let has_s3 = o.child("S3OriginConfig").is_some();
        let has_custom = o.child("CustomOriginConfig").is_some();
        if has_s3 && has_custom {
            return Err(inval(format!(
                "Origin {id} cannot have both S3OriginConfig and CustomOriginConfig."
            )));
        }
        if !has_s3 && !has_custom && o.child("VpcOriginConfig").is_none() {
            return Err(inval(format!(
                "Origin {id} requires S3OriginConfig or CustomOriginConfig."
            )));
        }
        if has_custom {
            let p = o.str_at("CustomOriginConfig/OriginProtocolPolicy");
            if !["http-only", "match-viewer", "https-only"].contains(&p) {
                return Err(inval(format!(
                    "Invalid OriginProtocolPolicy for origin {id}: {p}"
                )));
            }
        }
        let path = o.str_at("OriginPath");
        if !path.is_empty() && (!path.starts_with('/') || path.ends_with('/')) {
            return Err(inval(format!(
                "The parameter OriginPath must begin with '/' and must not end with '/': {path}"
            )));
        }
        let headers = o.items("CustomHeaders");
        if headers.len() > 10 {
            return Err(fail(
                400,
                "TooManyOriginCustomHeaders",
                "Your request contains too many origin custom headers.",
            ));
        }
        for h in headers {
            let name = h.str_at("HeaderName");
            let lower = name.to_ascii_lowercase();
            if name.is_empty()
                || FORBIDDEN_ORIGIN_HEADERS.contains(&lower.as_str())
                || lower.starts_with("x-amz-")
                || lower.starts_with("x-edge-")
            {
                return Err(inval(format!(
                    "The parameter HeaderName : {name} is not allowed."
                )));
            }
        }
        let oac = o.str_at("OriginAccessControlId");
        if !oac.is_empty() {
            let Some(oac_res) = inner.store(Kind::Oac).get(oac) else {
                return Err(fail(
                    400,
                    "InvalidOriginAccessControl",
                    format!("The origin access control {oac} does not exist."),
                ));
            };
            if !o.str_at("S3OriginConfig/OriginAccessIdentity").is_empty() {
                return Err(fail(
                    400,
                    "IllegalOriginAccessConfiguration",
                    "An origin cannot contain both an origin access control (OAC) and an origin access identity (OAI).",
                ));
            }
            let ty = oac_res.config.str_at("OriginAccessControlOriginType");
            let d = domain.to_ascii_lowercase();
            let matches = match ty {
                "s3" => {
                    d.contains(".s3.") || d.contains(".s3-") || d.ends_with(".s3.amazonaws.com")
                }
                "mediastore" => d.contains(".mediastore."),
                "mediapackagev2" => d.contains(".mediapackagev2."),
                "lambda" => d.contains(".lambda-url."),
                _ => false,
            };
            if !matches {
                return Err(fail(
                    400,
                    "InvalidDomainNameForOriginAccessControl",
                    format!(
                        "The origin access control of type {ty} cannot be used with the origin domain {domain}."
                    ),
                ));
            }
        }
    }
    let group_ids: HashSet<String> = cfg
        .items("OriginGroups")
        .iter()
        .map(|g| g.str_at("Id").to_string())
        .collect();
    // Cache behaviors.
    if cfg.child("DefaultCacheBehavior").is_none() {
        return Err(inval("The parameter DefaultCacheBehavior is required."));
    }
    let mut patterns = HashSet::new();
    for (i, b) in behaviors(cfg).into_iter().enumerate() {
        if i > 0 {
            let p = b.str_at("PathPattern");
            if p.is_empty() {
                return Err(inval(
                    "The parameter PathPattern is required for each cache behavior.",
                ));
            }
            if !patterns.insert(p.to_string()) {
                return Err(inval(format!(
                    "The path pattern {p} is used by more than one cache behavior."
                )));
            }
        }
        let target = b.str_at("TargetOriginId");
        if !origin_ids.contains(target) && !group_ids.contains(target) {
            return Err(fail(
                404,
                "NoSuchOrigin",
                format!("One or more of your origins or origin groups do not exist: {target}"),
            ));
        }
        let vpp = b.str_at("ViewerProtocolPolicy");
        if !["allow-all", "https-only", "redirect-to-https"].contains(&vpp) {
            return Err(inval(format!("Invalid ViewerProtocolPolicy: {vpp}")));
        }
        let cache_policy = b.str_at("CachePolicyId");
        if cache_policy.is_empty() {
            if b.child("ForwardedValues").is_none() {
                return Err(inval("The parameter ForwardedValues is required."));
            }
            if b.child("MinTTL").is_none() {
                return Err(inval("The parameter MinTTL is required."));
            }
            let ttl = |n: &str, d: i64| -> Result<i64, Fail> {
                match b.text_at(n) {
                    None | Some("") => Ok(d),
                    Some(t) => t
                        .parse::<i64>()
                        .ok()
                        .filter(|v| *v >= 0)
                        .ok_or_else(|| inval(format!("Invalid {n}: {t}"))),
                }
            };
            let min = ttl("MinTTL", 0)?;
            let def = ttl("DefaultTTL", 86_400.max(min))?;
            let max = ttl("MaxTTL", 31_536_000.max(def))?;
            if !(min <= def && def <= max) {
                return Err(fail(
                    400,
                    "InvalidTTLOrder",
                    "The TTL order specified is not valid: MinTTL <= DefaultTTL <= MaxTTL is required.",
                ));
            }
        } else {
            if !inner.store(Kind::CachePolicy).contains_key(cache_policy) {
                return Err(fail(
                    404,
                    "NoSuchCachePolicy",
                    format!("The cache policy does not exist: {cache_policy}"),
                ));
            }
            if b.child("ForwardedValues").is_some() {
                return Err(inval(
                    "The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior.",
                ));
            }
            for legacy in ["MinTTL", "DefaultTTL", "MaxTTL"] {
                if b.child(legacy).is_some() {
                    return Err(inval(format!(
                        "The parameter {legacy} cannot be used when a cache policy is associated to the cache behavior."
                    )));
                }
            }
        }
        let orp = b.str_at("OriginRequestPolicyId");
        if !orp.is_empty() && !inner.store(Kind::OriginRequestPolicy).contains_key(orp) {
            return Err(fail(
                404,
                "NoSuchOriginRequestPolicy",
                format!("The origin request policy does not exist: {orp}"),
            ));
        }
        let rhp = b.str_at("ResponseHeadersPolicyId");
        if !rhp.is_empty() && !inner.store(Kind::ResponseHeadersPolicy).contains_key(rhp) {
            return Err(fail(
                404,
                "NoSuchResponseHeadersPolicy",
                format!("The response headers policy does not exist: {rhp}"),
            ));
        }
        for kg in b.item_texts("TrustedKeyGroups") {
            if !inner.store(Kind::KeyGroup).contains_key(&kg) {
                return Err(fail(
                    400,
                    "TrustedKeyGroupDoesNotExist",
                    format!("The specified key group does not exist: {kg}"),
                ));
            }
        }
    }
    // Custom error responses.
    for r in cfg.items("CustomErrorResponses") {
        let code = r.i64_at("ErrorCode").unwrap_or(-1);
        if !ERROR_CODES.contains(&code) {
            return Err(fail(
                400,
                "InvalidErrorCode",
                format!("Invalid ErrorCode: {}", r.str_at("ErrorCode")),
            ));
        }
        let page = r.str_at("ResponsePagePath");
        let resp = r.str_at("ResponseCode");
        if !resp.is_empty() && !RESPONSE_CODES.contains(&resp.parse::<i64>().unwrap_or(-1)) {
            return Err(fail(
                400,
                "InvalidResponseCode",
                format!("Invalid ResponseCode: {resp}"),
            ));
        }
        if !page.is_empty() && !page.starts_with('/') {
            return Err(fail(
                400,
                "InvalidRelativePath",
                format!(
                    "The relative path is too big, is not URL-encoded, or does not begin with a slash (/): {page}"
                ),
            ));
        }
        if page.is_empty() != resp.is_empty() {
            return Err(inval(
                "ResponsePagePath and ResponseCode must be specified together.",
            ));
        }
        if let Some(t) = r.text_at("ErrorCachingMinTTL")
            && t.parse::<i64>().map(|v| v < 0).unwrap_or(true)
        {
            return Err(inval(format!("Invalid ErrorCachingMinTTL: {t}")));
        }
    }
    let root_obj = cfg.str_at("DefaultRootObject");
    if root_obj.starts_with('/') {
        return Err(fail(
            400,
            "InvalidDefaultRootObject",
            "The specified default root object is invalid: it must not begin with a slash.",
        ));
    }
    if let Some(pc) = cfg.text_at("PriceClass")
        && !["PriceClass_100", "PriceClass_200", "PriceClass_All", "None"].contains(&pc)
    {
        return Err(inval(format!("Invalid PriceClass: {pc}")));
    }
    if let Some(hv) = cfg.text_at("HttpVersion")
        && !["http1.1", "http2", "http3", "http2and3"].contains(&hv)
    {
        return Err(inval(format!("Invalid HttpVersion: {hv}")));
    }
    // Aliases (CNAMEs) are unique across distributions.
    for alias in cfg.item_texts("Aliases") {
        let a = alias.to_ascii_lowercase();
        if inner.dists.values().any(|d| {
            Some(d.id.as_str()) != own_id
                && d.config
                    .item_texts("Aliases")
                    .iter()
                    .any(|x| x.to_ascii_lowercase() == a)
        }) {
            return Err(fail(
                409,
                "CNAMEAlreadyExists",
                format!(
                    "One or more of the CNAMEs you provided are already associated with a different resource: {alias}"
                ),
            ));
        }
    }
    Ok(())
}

fn behavior_defaults(b: &mut El) {
    b.ensure(
        El::new("TrustedSigners")
            .with_leaf("Enabled", "false")
            .with_leaf("Quantity", "0"),
    );
    b.ensure(
        El::new("TrustedKeyGroups")
            .with_leaf("Enabled", "false")
            .with_leaf("Quantity", "0"),
    );
    b.ensure(
        quantity_list("AllowedMethods", "Method", &["HEAD", "GET"]).with(quantity_list(
            "CachedMethods",
            "Method",
            &["HEAD", "GET"],
        )),
    );
    if let Some(am) = b.child_mut("AllowedMethods") {
        am.ensure(quantity_list("CachedMethods", "Method", &["HEAD", "GET"]));
    }
    b.ensure(El::leaf("SmoothStreaming", "false"));
    b.ensure(El::leaf("Compress", "false"));
    b.ensure(El::new("LambdaFunctionAssociations").with_leaf("Quantity", "0"));
    b.ensure(El::new("FunctionAssociations").with_leaf("Quantity", "0"));
    b.ensure(El::leaf("FieldLevelEncryptionId", ""));
}

/// Fills in what CloudFront fills in when the client leaves it out.
fn apply_defaults(cfg: &mut El) {
    cfg.ensure(El::new("Aliases").with_leaf("Quantity", "0"));
    cfg.ensure(El::leaf("DefaultRootObject", ""));
    if let Some(items) = cfg.child_mut("Origins").and_then(|o| o.child_mut("Items")) {
        for o in &mut items.children {
            o.ensure(El::leaf("OriginPath", ""));
            o.ensure(El::new("CustomHeaders").with_leaf("Quantity", "0"));
            o.ensure(El::leaf("ConnectionAttempts", "3"));
            o.ensure(El::leaf("ConnectionTimeout", "10"));
            o.ensure(El::new("OriginShield").with_leaf("Enabled", "false"));
            o.ensure(El::leaf("OriginAccessControlId", ""));
            if let Some(c) = o.child_mut("CustomOriginConfig") {
                c.ensure(El::leaf("HTTPPort", "80"));
                c.ensure(El::leaf("HTTPSPort", "443"));
                c.ensure(quantity_list(
                    "OriginSslProtocols",
                    "SslProtocol",
                    &["TLSv1.2"],
                ));
                c.ensure(El::leaf("OriginReadTimeout", "30"));
                c.ensure(El::leaf("OriginKeepaliveTimeout", "5"));
            }
        }
    }
    cfg.ensure(El::new("OriginGroups").with_leaf("Quantity", "0"));
    if let Some(b) = cfg.child_mut("DefaultCacheBehavior") {
        behavior_defaults(b);
    }
    cfg.ensure(El::new("CacheBehaviors").with_leaf("Quantity", "0"));
    if let Some(items) = cfg
        .child_mut("CacheBehaviors")
        .and_then(|o| o.child_mut("Items"))
    {
        for b in &mut items.children {
            behavior_defaults(b);
        }
    }
    cfg.ensure(El::new("CustomErrorResponses").with_leaf("Quantity", "0"));
    cfg.ensure(
        El::new("Logging")
            .with_leaf("Enabled", "false")
            .with_leaf("IncludeCookies", "false")
            .with_leaf("Bucket", "")
            .with_leaf("Prefix", ""),
    );
    cfg.ensure(El::leaf("PriceClass", "PriceClass_All"));
    cfg.ensure(
        El::new("ViewerCertificate")
            .with_leaf("CloudFrontDefaultCertificate", "true")
            .with_leaf("SSLSupportMethod", "vip")
            .with_leaf("MinimumProtocolVersion", "TLSv1")
            .with_leaf("CertificateSource", "cloudfront"),
    );
    cfg.ensure(
        El::new("Restrictions").with(
            El::new("GeoRestriction")
                .with_leaf("RestrictionType", "none")
                .with_leaf("Quantity", "0"),
        ),
    );
    cfg.ensure(El::leaf("WebACLId", ""));
    cfg.ensure(El::leaf("HttpVersion", "http2"));
    cfg.ensure(El::leaf("IsIPV6Enabled", "false"));
    cfg.ensure(El::leaf("Staging", "false"));
}

fn active_trusted_key_groups(cfg: &El) -> El {
    let mut groups: Vec<String> = Vec::new();
    for b in behaviors(cfg) {
        if b.bool_at("TrustedKeyGroups/Enabled") == Some(true) {
            for g in b.item_texts("TrustedKeyGroups") {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
    }
    let mut el = El::new("ActiveTrustedKeyGroups")
        .with_leaf("Enabled", (!groups.is_empty()).to_string())
        .with_leaf("Quantity", groups.len().to_string());
    if !groups.is_empty() {
        let mut items = El::new("Items");
        for g in groups {
            items.push(
                El::new("KGKeyPairIds")
                    .with_leaf("KeyGroupId", g)
                    .with(El::new("KeyPairIds").with_leaf("Quantity", "0")),
            );
        }
        el.push(items);
    }
    el
}

fn in_progress_invalidations(d: &Dist, now: Instant) -> usize {
    d.invalidations.iter().filter(|i| now < i.done_at).count()
}

fn distribution_el(d: &Dist) -> El {
    let now = Instant::now();
    El::new("Distribution")
        .with_leaf("Id", &d.id)
        .with_leaf("ARN", &d.arn)
        .with_leaf("Status", d.status(now))
        .with_leaf("LastModifiedTime", util::iso8601(d.last_modified))
        .with_leaf(
            "InProgressInvalidationBatches",
            in_progress_invalidations(d, now).to_string(),
        )
        .with_leaf("DomainName", &d.domain)
        .with(
            El::new("ActiveTrustedSigners")
                .with_leaf("Enabled", "false")
                .with_leaf("Quantity", "0"),
        )
        .with(active_trusted_key_groups(&d.config))
        .with(d.config.clone())
}

fn summary_el(d: &Dist) -> El {
    let mut s = El::new("DistributionSummary")
        .with_leaf("Id", &d.id)
        .with_leaf("ARN", &d.arn)
        .with_leaf("ETag", &d.etag)
        .with_leaf("Status", d.status(Instant::now()))
        .with_leaf("LastModifiedTime", util::iso8601(d.last_modified))
        .with_leaf("DomainName", &d.domain);
    for f in [
        "Aliases",
        "Origins",
        "OriginGroups",
        "DefaultCacheBehavior",
        "CacheBehaviors",
        "CustomErrorResponses",
        "Comment",
        "PriceClass",
        "Enabled",
        "ViewerCertificate",
        "Restrictions",
        "WebACLId",
        "HttpVersion",
        "IsIPV6Enabled",
        "Staging",
    ] {
        if let Some(c) = d.config.child(f) {
            s.push(c.clone());
        }
    }
    s
}

fn no_such_distribution(id: &str) -> Fail {
    fail(
        404,
        "NoSuchDistribution",
        format!("The specified distribution does not exist: {id}"),
    )
}

pub(super) fn create(state: &State, ctx: &Ctx, req: &Req, with_tags: bool) -> R {
    let (mut cfg, tags) = if with_tags {
        let root = parse_body(&req.body, "DistributionConfigWithTags")?;
        let cfg = root
            .child("DistributionConfig")
            .cloned()
            .ok_or_else(|| inval("The parameter DistributionConfig is required."))?;
        let tags = root
            .child("Tags")
            .cloned()
            .ok_or_else(|| inval("The parameter Tags is required."))?;
        (cfg, Some(parse_tags(&tags)?))
    } else {
        (parse_body(&req.body, "DistributionConfig")?, None)
    };
    let mut inner = state.lock();
    validate(&inner, &cfg, None)?;
    let caller_ref = cfg.str_at("CallerReference").to_string();
    if caller_ref.is_empty() {
        return Err(inval("The parameter CallerReference is required."));
    }
    if let Some(existing) = inner
        .dists
        .values()
        .find(|d| d.config.str_at("CallerReference") == caller_ref)
    {
        return Err(fail(
            409,
            "DistributionAlreadyExists",
            format!(
                "The caller reference that you are using to create a distribution is associated with another distribution: {}",
                existing.id
            ),
        ));
    }
    apply_defaults(&mut cfg);
    let mut id = util::e_id();
    while inner.dists.contains_key(&id) {
        id = util::e_id();
    }
    let domain = match ctx.port() {
        Some(p) => format!("{}.cloudfront.localhost:{p}", util::domain_label()),
        None => format!("{}.cloudfront.localhost", util::domain_label()),
    };
    let seq = inner.next_seq();
    let d = Dist {
        id: id.clone(),
        arn: format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{id}"),
        domain,
        config: cfg,
        etag: util::e_id(),
        last_modified: SystemTime::now(),
        deploy_at: Instant::now() + ctx.deploy_delay,
        seq,
        invalidations: Vec::new(),
    };
    if let Some(tags) = tags {
        inner.tags.insert(d.arn.clone(), tags);
    }
    let out = Out::ok(distribution_el(&d)).etag(&d.etag).created(format!(
        "https://cloudfront.amazonaws.com/2020-05-31/distribution/{id}"
    ));
    inner.dists.insert(id, d);
    Ok(out)
}

pub(super) fn get(state: &State, id: &str, config_only: bool) -> R {
    let inner = state.lock();
    let d = inner
        .dists
        .get(id)
        .ok_or_else(|| no_such_distribution(id))?;
    let body = if config_only {
        d.config.clone()
    } else {
        distribution_el(d)
    };
    Ok(Out::ok(body).etag(&d.etag))
}

pub(super) fn list(state: &State, _ctx: &Ctx, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let inner = state.lock();
    let mut all: Vec<&Dist> = inner.dists.values().collect();
    all.sort_by_key(|d| d.seq);
    let ids: Vec<String> = all.iter().map(|d| d.id.clone()).collect();
    let (slice, next) = page(&ids, &marker, max);
    let mut out =
        El::new("DistributionList").with_leaf("Marker", marker.clone().unwrap_or_default());
    if let Some(n) = &next {
        out.push(El::leaf("NextMarker", n));
    }
    out.push(El::leaf("MaxItems", max.to_string()));
    out.push(El::leaf("IsTruncated", next.is_some().to_string()));
    out.push(El::leaf("Quantity", slice.len().to_string()));
    if !slice.is_empty() {
        let mut items = El::new("Items");
        for id in slice {
            items.push(summary_el(&inner.dists[id]));
        }
        out.push(items);
    }
    Ok(Out::ok(out))
}

pub(super) fn update(state: &State, ctx: &Ctx, req: &Req, id: &str) -> R {
    let mut inner = state.lock();
    let current = inner
        .dists
        .get(id)
        .ok_or_else(|| no_such_distribution(id))?;
    check_if_match(req, &current.etag)?;
    let old_caller_ref = current.config.str_at("CallerReference").to_string();
    let mut cfg = parse_body(&req.body, "DistributionConfig")?;
    validate(&inner, &cfg, Some(id))?;
    if cfg.str_at("CallerReference") != old_caller_ref {
        return Err(fail(
            400,
            "IllegalUpdate",
            "Origin and CallerReference cannot be updated.",
        ));
    }
    apply_defaults(&mut cfg);
    let d = inner.dists.get_mut(id).expect("present");
    d.config = cfg;
    d.etag = util::e_id();
    d.last_modified = SystemTime::now();
    d.deploy_at = Instant::now() + ctx.deploy_delay;
    let out = Out::ok(distribution_el(d)).etag(&d.etag);
    let arn_id = d.id.clone();
    drop(inner);
    // A changed config can change what the edge serves: start from a cold cache.
    state.edge.purge_distribution(&arn_id);
    Ok(out)
}

pub(super) fn delete(state: &State, req: &Req, id: &str) -> R {
    let mut inner = state.lock();
    let d = inner
        .dists
        .get(id)
        .ok_or_else(|| no_such_distribution(id))?;
    check_if_match(req, &d.etag)?;
    if d.config.bool_at("Enabled") == Some(true) {
        return Err(fail(
            409,
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled.",
        ));
    }
    if d.status(Instant::now()) != "Deployed" {
        return Err(fail(
            409,
            "DistributionNotDisabled",
            "The distribution you are trying to delete has not been disabled: its last update (Status InProgress) has not finished deploying.",
        ));
    }
    let arn = d.arn.clone();
    inner.dists.remove(id);
    inner.tags.remove(&arn);
    drop(inner);
    state.edge.purge_distribution(id);
    Ok(Out::no_content())
}

fn invalidation_el(i: &Inval) -> El {
    El::new("Invalidation")
        .with_leaf("Id", &i.id)
        .with_leaf(
            "Status",
            if Instant::now() >= i.done_at {
                "Completed"
            } else {
                "InProgress"
            },
        )
        .with_leaf("CreateTime", util::iso8601(i.create_time))
        .with(i.batch.clone())
}

pub(super) fn create_invalidation(state: &State, ctx: &Ctx, req: &Req, dist_id: &str) -> R {
    let mut inner = state.lock();
    if !inner.dists.contains_key(dist_id) {
        return Err(no_such_distribution(dist_id));
    }
    let batch = parse_body(&req.body, "InvalidationBatch")?;
    check_quantities(&batch)?;
    let caller_ref = batch.str_at("CallerReference").to_string();
    if caller_ref.is_empty() {
        return Err(inval("The parameter CallerReference is required."));
    }
    if batch.path("Paths").is_none() {
        return Err(inval("The parameter Paths is required."));
    }
    let paths = batch.item_texts("Paths");
    if paths.is_empty() {
        return Err(inval("The parameter Paths must contain at least one path."));
    }
    if paths.len() > 3000 {
        return Err(fail(
            413,
            "BatchTooLarge",
            "Invalidation batch specified is too large.",
        ));
    }
    for p in &paths {
        if !p.starts_with('/') {
            return Err(inval(format!(
                "The path {p} is not valid: paths must begin with a slash (/)."
            )));
        }
        if let Some(star) = p.find('*')
            && star != p.len() - 1
        {
            return Err(inval(format!(
                "The path {p} is not valid: the * wildcard must be the last character."
            )));
        }
    }
    let d = inner.dists.get_mut(dist_id).expect("present");
    let location = |inv: &str| {
        format!(
            "https://cloudfront.amazonaws.com/2020-05-31/distribution/{dist_id}/invalidation/{inv}"
        )
    };
    if let Some(prev) = d
        .invalidations
        .iter()
        .find(|i| i.caller_reference == caller_ref)
    {
        let mut a = prev.paths.clone();
        let mut b = paths.clone();
        a.sort();
        b.sort();
        if a == b {
            return Ok(Out::ok(invalidation_el(prev)).created(location(&prev.id)));
        }
        return Err(fail(
            400,
            "InvalidationBatchAlreadyExists",
            "The CallerReference was already used for an invalidation batch with different paths.",
        ));
    }
    let inv = Inval {
        id: util::letter_id("I"),
        caller_reference: caller_ref,
        paths: paths.clone(),
        batch,
        create_time: SystemTime::now(),
        done_at: Instant::now() + ctx.deploy_delay,
    };
    let out = Out::ok(invalidation_el(&inv)).created(location(&inv.id));
    d.invalidations.push(inv);
    drop(inner);
    state.edge.invalidate(dist_id, &paths);
    Ok(out)
}

pub(super) fn get_invalidation(state: &State, dist_id: &str, inv_id: &str) -> R {
    let inner = state.lock();
    let d = inner
        .dists
        .get(dist_id)
        .ok_or_else(|| no_such_distribution(dist_id))?;
    let i = d
        .invalidations
        .iter()
        .find(|i| i.id == inv_id)
        .ok_or_else(|| {
            fail(
                404,
                "NoSuchInvalidation",
                format!("The specified invalidation does not exist: {inv_id}"),
            )
        })?;
    Ok(Out::ok(invalidation_el(i)))
}

pub(super) fn list_invalidations(state: &State, dist_id: &str, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let inner = state.lock();
    let d = inner
        .dists
        .get(dist_id)
        .ok_or_else(|| no_such_distribution(dist_id))?;
    // Newest first, as CloudFront lists them.
    let ids: Vec<String> = d.invalidations.iter().rev().map(|i| i.id.clone()).collect();
    let (slice, next) = page(&ids, &marker, max);
    let now = Instant::now();
    let mut out =
        El::new("InvalidationList").with_leaf("Marker", marker.clone().unwrap_or_default());
    if let Some(n) = &next {
        out.push(El::leaf("NextMarker", n));
    }
    out.push(El::leaf("MaxItems", max.to_string()));
    out.push(El::leaf("IsTruncated", next.is_some().to_string()));
    out.push(El::leaf("Quantity", slice.len().to_string()));
    if !slice.is_empty() {
        let mut items = El::new("Items");
        for id in slice {
            let i = d
                .invalidations
                .iter()
                .find(|i| &i.id == id)
                .expect("listed");
            items.push(
                El::new("InvalidationSummary")
                    .with_leaf("Id", &i.id)
                    .with_leaf("CreateTime", util::iso8601(i.create_time))
                    .with_leaf(
                        "Status",
                        if now >= i.done_at {
                            "Completed"
                        } else {
                            "InProgress"
                        },
                    ),
            );
        }
        out.push(items);
    }
    Ok(Out::ok(out))
}

fn parse_tags(tags: &El) -> Result<Vec<(String, String)>, Fail> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in tags.items("") {
        let k = t.str_at("Key").to_string();
        if k.is_empty() || k.len() > 128 || k.starts_with("aws:") {
            return Err(fail(
                400,
                "InvalidTagging",
                format!("Invalid tag key: {k:?}"),
            ));
        }
        let v = t.str_at("Value").to_string();
        if v.len() > 256 {
            return Err(fail(
                400,
                "InvalidTagging",
                format!("Invalid tag value for {k}"),
            ));
        }
        out.retain(|(ek, _)| ek != &k);
        out.push((k, v));
    }
    Ok(out)
}

fn resource_arn<'a>(inner: &Inner, q: &'a [(String, String)]) -> Result<&'a str, Fail> {
    let arn = wire::query_get(q, "Resource")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| inval("The parameter Resource is required."))?;
    let prefix = format!("arn:aws:cloudfront::{ACCOUNT_ID}:");
    let Some(rest) = arn.strip_prefix(&prefix) else {
        return Err(inval(format!("Invalid resource ARN: {arn}")));
    };
    let Some(id) = rest.strip_prefix("distribution/") else {
        return Err(inval(format!(
            "Tagging is supported for distributions only here: {arn}"
        )));
    };
    if !inner.dists.contains_key(id) {
        return Err(fail(
            404,
            "NoSuchResource",
            format!("The specified resource does not exist: {arn}"),
        ));
    }
    Ok(arn)
}

pub(super) fn tag(state: &State, req: &Req, q: &[(String, String)]) -> R {
    let mut inner = state.lock();
    let arn = resource_arn(&inner, q)?.to_string();
    let tags = parse_body(&req.body, "Tags")?;
    let new = parse_tags(&tags)?;
    let entry = inner.tags.entry(arn).or_default();
    for (k, v) in new {
        entry.retain(|(ek, _)| ek != &k);
        entry.push((k, v));
    }
    if entry.len() > 50 {
        return Err(fail(
            400,
            "InvalidTagging",
            "A resource can have at most 50 tags.",
        ));
    }
    Ok(Out::no_content())
}

pub(super) fn untag(state: &State, req: &Req, q: &[(String, String)]) -> R {
    let mut inner = state.lock();
    let arn = resource_arn(&inner, q)?.to_string();
    let keys = parse_body(&req.body, "TagKeys")?;
    let keys = keys.item_texts("");
    if let Some(entry) = inner.tags.get_mut(&arn) {
        entry.retain(|(k, _)| !keys.contains(k));
    }
    Ok(Out::no_content())
}

pub(super) fn list_tags(state: &State, q: &[(String, String)]) -> R {
    let inner = state.lock();
    let arn = resource_arn(&inner, q)?;
    let mut items = El::new("Items");
    for (k, v) in inner.tags.get(arn).map(|v| v.as_slice()).unwrap_or(&[]) {
        items.push(El::new("Tag").with_leaf("Key", k).with_leaf("Value", v));
    }
    Ok(Out::ok(El::new("Tags").with(items)))
}

/// ListDistributionsByCachePolicyId / ByOriginRequestPolicyId / ByResponseHeadersPolicyId / ByKeyGroup.
pub(super) fn list_by(state: &State, kind: Kind, id: &str, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let inner = state.lock();
    if !inner.store(kind).contains_key(id) {
        return Err(fail(
            404,
            kind.no_such(),
            format!("The specified {} does not exist: {id}", kind.noun()),
        ));
    }
    let field = kind
        .reference_field()
        .expect("kinds referenced by distributions");
    let mut users: Vec<&Dist> = inner
        .dists
        .values()
        .filter(|d| {
            let mut used = false;
            d.config
                .walk(&mut |e| used |= e.name == field && e.text.trim() == id);
            used
        })
        .collect();
    users.sort_by_key(|d| d.seq);
    let ids: Vec<String> = users.iter().map(|d| d.id.clone()).collect();
    let (slice, next) = page(&ids, &marker, max);
    let mut out =
        El::new("DistributionIdList").with_leaf("Marker", marker.clone().unwrap_or_default());
    if let Some(n) = &next {
        out.push(El::leaf("NextMarker", n));
    }
    out.push(El::leaf("MaxItems", max.to_string()));
    out.push(El::leaf("IsTruncated", next.is_some().to_string()));
    out.push(El::leaf("Quantity", slice.len().to_string()));
    if !slice.is_empty() {
        let mut items = El::new("Items");
        for d in slice {
            items.push(El::leaf("DistributionId", d));
        }
        out.push(items);
    }
    Ok(Out::ok(out))
}
