//! Distributions (create, get, list, update, delete, list by policy), their defaults and elements; validation,
//! invalidations and tags in the files below.

mod invalidations;
mod tags;
mod validate;

use super::resources::check_quantities;
use super::xml::El;
use super::{
    Ctx, Dist, Fail, Inner, Inval, Kind, Out, R, State, check_if_match, fail, page, paging,
    parse_body, util,
};
use crate::wire::{self, Req};
pub(super) use invalidations::{create_invalidation, get_invalidation, list_invalidations};
use std::collections::HashSet;
use std::time::{Instant, SystemTime};
use tags::parse_tags;
pub(super) use tags::{list_tags, tag, untag};
use validate::validate;

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
        arn: format!(
            "arn:aws:cloudfront::{}:distribution/{id}",
            req.ctx.account_id
        ),
        domain,
        config: cfg,
        etag: util::e_id(),
        last_modified: SystemTime::now(),
        deploy_at: Instant::now() + ctx.deploy_delay,
        seq,
        invalidations: Vec::new(),
        created_at: Instant::now(),
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

pub(super) fn list(state: &State, ctx: &Ctx, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let inner = state.lock();
    let mut all: Vec<&Dist> = inner
        .dists
        .values()
        .filter(|d| d.created_at.elapsed() >= ctx.list_delay)
        .collect();
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
    // The edge cache stays: CloudFront keeps serving cached objects after a configuration change until they
    // expire or are invalidated ("Origin settings", Origin domain:
    // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html). A changed
    // cache key (another cache policy, say) simply misses.
    Ok(Out::ok(distribution_el(d)).etag(&d.etag))
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
