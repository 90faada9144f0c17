//! The DistributionConfig rules CloudFront enforces that matter here: origins, custom headers, behaviors and
//! their policies, TTLs, custom error responses, aliases, quotas.

use super::*;

pub(super) const ERROR_CODES: &[i64] = &[400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
pub(super) const RESPONSE_CODES: &[i64] =
    &[200, 400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/// Validates a DistributionConfig the way CloudFront does for the rules that matter here.
pub(super) fn validate(inner: &Inner, cfg: &El, own_id: Option<&str>) -> Result<(), Fail> {
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
            if crate::rules::is_forbidden_origin_header(name) {
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
                // The emulator's path-style container endpoint: 127.0.0.1 with `/_mediastore/<endpoint host>`
                // starting the origin path (see `crate::mediastore`).
                "mediastore" => {
                    d.contains(".mediastore.")
                        || crate::mediastore::path_style_endpoint(&d, &format!("{path}/")).is_some()
                }
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
        let groups = b.item_texts("TrustedKeyGroups");
        if groups.len() > crate::rules::MAX_KEY_GROUPS_PER_CACHE_BEHAVIOR {
            return Err(fail(
                400,
                "TooManyKeyGroupsAssociatedToDistribution",
                format!(
                    "The number of key groups referenced by this distribution is more than the maximum allowed ({} per cache behavior).",
                    crate::rules::MAX_KEY_GROUPS_PER_CACHE_BEHAVIOR
                ),
            ));
        }
        if b.bool_at("TrustedKeyGroups/Enabled") == Some(true) && groups.is_empty() {
            return Err(fail(
                400,
                "InvalidArgument",
                "TrustedKeyGroups is enabled but has no key group.",
            ));
        }
        for kg in groups {
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
