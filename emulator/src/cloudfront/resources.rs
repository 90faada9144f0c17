//! Cache policies, origin request policies, response headers policies, origin access controls, public
//! keys and key groups: one CRUD shape with per-kind validation.
use super::xml::El;
use super::{
    Fail, Inner, Kind, Out, R, Res, State, check_if_match, fail, page, paging, parse_body, util,
};
use crate::wire::{self, Req};
use std::time::SystemTime;

/// Every `<X><Quantity>n</Quantity><Items>..</Items></X>` must agree (`InconsistentQuantities`).
pub(crate) fn check_quantities(el: &El) -> Result<(), Fail> {
    let mut err = None;
    el.walk(&mut |e| {
        if err.is_some() {
            return;
        }
        if let Some(q) = e.child("Quantity") {
            let Ok(n) = q.text.trim().parse::<usize>() else {
                err = Some(fail(400, "InvalidArgument", format!("Invalid Quantity in {}: {}", e.name, q.text.trim())));
                return;
            };
            let items = e.child("Items").map(|i| i.children.len()).unwrap_or(0);
            if n != items {
                err = Some(fail(
                    400,
                    "InconsistentQuantities",
                    format!("The value of Quantity and the size of Items don't match in {} (Quantity {n}, {items} items).", e.name),
                ));
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn require<'a>(el: &'a El, path: &str) -> Result<&'a str, Fail> {
    match el.text_at(path) {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(fail(
            400,
            "InvalidArgument",
            format!("The parameter {path} is required."),
        )),
    }
}

fn one_of(el: &El, path: &str, allowed: &[&str]) -> Result<(), Fail> {
    let v = require(el, path)?;
    if allowed.contains(&v) {
        Ok(())
    } else {
        Err(fail(
            400,
            "InvalidArgument",
            format!(
                "Invalid value for {path}: {v}. Valid values: {}",
                allowed.join(", ")
            ),
        ))
    }
}

fn parse_ttl(el: &El, name: &str) -> Result<Option<i64>, Fail> {
    match el.text_at(name) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or_else(|| fail(400, "InvalidArgument", format!("Invalid {name}: {t}"))),
    }
}

/// Validates (and completes with CloudFront's defaults) a config of `kind`.
fn validate(inner: &Inner, kind: Kind, cfg: &mut El) -> Result<(), Fail> {
    check_quantities(cfg)?;
    require(cfg, "Name")?;
    match kind {
        Kind::CachePolicy => {
            let min = parse_ttl(cfg, "MinTTL")?
                .ok_or_else(|| fail(400, "InvalidArgument", "The parameter MinTTL is required."))?;
            let default = parse_ttl(cfg, "DefaultTTL")?.unwrap_or(86_400.max(min));
            let max = parse_ttl(cfg, "MaxTTL")?.unwrap_or(31_536_000.max(default));
            if !(min <= default && default <= max) {
                return Err(fail(
                    400,
                    "InvalidArgument",
                    "MinTTL must be less than or equal to DefaultTTL, which must be less than or equal to MaxTTL.",
                ));
            }
            cfg.set_leaf("DefaultTTL", default.to_string());
            cfg.set_leaf("MaxTTL", max.to_string());
            let p = "ParametersInCacheKeyAndForwardedToOrigin";
            if cfg.child(p).is_none() {
                return Err(fail(
                    400,
                    "InvalidArgument",
                    format!("The parameter {p} is required."),
                ));
            }
            one_of(
                cfg,
                &format!("{p}/EnableAcceptEncodingGzip"),
                &["true", "false"],
            )?;
            one_of(
                cfg,
                &format!("{p}/HeadersConfig/HeaderBehavior"),
                &["none", "whitelist"],
            )?;
            one_of(
                cfg,
                &format!("{p}/CookiesConfig/CookieBehavior"),
                &["none", "whitelist", "allExcept", "all"],
            )?;
            one_of(
                cfg,
                &format!("{p}/QueryStringsConfig/QueryStringBehavior"),
                &["none", "whitelist", "allExcept", "all"],
            )?;
            if let Some(params) = cfg.child_mut(p) {
                params.ensure(El::leaf("EnableAcceptEncodingBrotli", "false"));
            }
            if max == 0 {
                // Caching disabled: nothing may be added to the cache key, and no edge compression.
                let params = cfg.child(p).expect("checked");
                let keyed = params.str_at("HeadersConfig/HeaderBehavior") != "none"
                    || params.str_at("CookiesConfig/CookieBehavior") != "none"
                    || params.str_at("QueryStringsConfig/QueryStringBehavior") != "none"
                    || params.bool_at("EnableAcceptEncodingGzip") == Some(true)
                    || params.bool_at("EnableAcceptEncodingBrotli") == Some(true);
                if keyed {
                    return Err(fail(
                        400,
                        "InvalidArgument",
                        "When MaxTTL is 0 (caching disabled), headers, cookies and query strings cannot be included in the cache key and compression cannot be enabled.",
                    ));
                }
            }
        }
        Kind::OriginRequestPolicy => {
            one_of(
                cfg,
                "HeadersConfig/HeaderBehavior",
                &[
                    "none",
                    "whitelist",
                    "allViewer",
                    "allViewerAndWhitelistCloudFront",
                    "allExcept",
                ],
            )?;
            one_of(
                cfg,
                "CookiesConfig/CookieBehavior",
                &["none", "whitelist", "all", "allExcept"],
            )?;
            one_of(
                cfg,
                "QueryStringsConfig/QueryStringBehavior",
                &["none", "whitelist", "all", "allExcept"],
            )?;
        }
        Kind::ResponseHeadersPolicy => {
            if cfg.child("CorsConfig").is_some() {
                for part in [
                    "AccessControlAllowOrigins",
                    "AccessControlAllowHeaders",
                    "AccessControlAllowMethods",
                ] {
                    if cfg.path(&format!("CorsConfig/{part}")).is_none() {
                        return Err(fail(
                            400,
                            "InvalidArgument",
                            format!("The parameter CorsConfig.{part} is required."),
                        ));
                    }
                }
                one_of(
                    cfg,
                    "CorsConfig/AccessControlAllowCredentials",
                    &["true", "false"],
                )?;
                one_of(cfg, "CorsConfig/OriginOverride", &["true", "false"])?;
                for m in cfg.item_texts("CorsConfig/AccessControlAllowMethods") {
                    if ![
                        "GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD", "ALL",
                    ]
                    .contains(&m.as_str())
                    {
                        return Err(fail(
                            400,
                            "InvalidArgument",
                            format!("Invalid value for AccessControlAllowMethods: {m}"),
                        ));
                    }
                }
                let creds = cfg.bool_at("CorsConfig/AccessControlAllowCredentials") == Some(true);
                if creds
                    && cfg
                        .item_texts("CorsConfig/AccessControlAllowOrigins")
                        .iter()
                        .any(|o| o == "*")
                {
                    return Err(fail(
                        400,
                        "InvalidArgument",
                        "AccessControlAllowOrigins cannot contain * when AccessControlAllowCredentials is true.",
                    ));
                }
            }
        }
        Kind::Oac => {
            one_of(cfg, "SigningProtocol", &["sigv4"])?;
            one_of(cfg, "SigningBehavior", &["never", "always", "no-override"])?;
            one_of(
                cfg,
                "OriginAccessControlOriginType",
                &["s3", "mediastore", "mediapackagev2", "lambda"],
            )?;
        }
        Kind::PublicKey => {
            require(cfg, "CallerReference")?;
            let key = require(cfg, "EncodedKey")?;
            super::edge::check_public_key(key).map_err(|m| fail(400, "InvalidArgument", m))?;
        }
        Kind::KeyGroup => {
            let keys = cfg
                .path("Items")
                .map(|i| {
                    i.children
                        .iter()
                        .map(|c| c.text.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            if keys.is_empty() {
                return Err(fail(
                    400,
                    "InvalidArgument",
                    "A key group must contain at least one public key.",
                ));
            }
            if keys.len() > crate::rules::MAX_PUBLIC_KEYS_PER_KEY_GROUP {
                return Err(fail(
                    400,
                    "TooManyPublicKeysInKeyGroup",
                    format!(
                        "The number of public keys in this key group is more than the maximum allowed ({}).",
                        crate::rules::MAX_PUBLIC_KEYS_PER_KEY_GROUP
                    ),
                ));
            }
            for k in keys {
                if !inner.store(Kind::PublicKey).contains_key(&k) {
                    return Err(fail(
                        400,
                        "InvalidArgument",
                        format!("The public key {k} does not exist."),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn name_taken(inner: &Inner, kind: Kind, name: &str, except: Option<&str>) -> bool {
    inner
        .store(kind)
        .values()
        .any(|r| Some(r.id.as_str()) != except && r.config.str_at("Name") == name)
}

/// Whether anything references the resource.
fn in_use(inner: &Inner, kind: Kind, id: &str) -> bool {
    match kind.reference_field() {
        Some(field) => inner.dists.values().any(|d| {
            let mut used = false;
            d.config.walk(&mut |e| {
                if e.name == field && e.text.trim() == id {
                    used = true;
                }
            });
            used
        }),
        None => inner
            .store(Kind::KeyGroup)
            .values()
            .any(|kg| kg.config.item_texts("").iter().any(|k| k == id)),
    }
}

fn resource_el(kind: Kind, r: &Res) -> El {
    let mut el = El::new(kind.noun()).with_leaf("Id", &r.id);
    if let Some(tf) = kind.time_field() {
        el.push(El::leaf(tf, util::iso8601(r.time)));
    }
    el.with(r.config.clone())
}

fn config_root(kind: Kind) -> String {
    format!("{}Config", kind.noun())
}

pub(super) fn create(state: &State, ctx: &super::Ctx, req: &Req, kind: Kind) -> R {
    let mut cfg = parse_body(&req.body, &config_root(kind))?;
    let mut inner = state.lock();
    validate(&inner, kind, &mut cfg)?;
    // The account's quota of custom policies (the managed ones do not count).
    let quota_error = match kind {
        Kind::CachePolicy => Some("TooManyCachePolicies"),
        Kind::ResponseHeadersPolicy => Some("TooManyResponseHeadersPolicies"),
        _ => None,
    };
    if let Some(code) = quota_error
        && inner.store(kind).values().filter(|r| !r.managed).count() >= ctx.policy_quota
    {
        return Err(fail(
            400,
            code,
            format!(
                "You have reached the maximum number of custom {} resources for this AWS account ({}).",
                kind.noun(),
                ctx.policy_quota
            ),
        ));
    }
    let name = cfg.str_at("Name").to_string();
    if name_taken(&inner, kind, &name, None) {
        return Err(fail(
            409,
            kind.already_exists(),
            format!("A {} with the name {name} already exists.", kind.noun()),
        ));
    }
    let id = kind.new_id();
    let seq = inner.next_seq();
    let r = Res {
        id: id.clone(),
        config: cfg,
        etag: util::e_id(),
        time: SystemTime::now(),
        managed: false,
        seq,
    };
    let body = resource_el(kind, &r);
    let etag = r.etag.clone();
    inner.store_mut(kind).insert(id.clone(), r);
    Ok(Out::ok(body).etag(&etag).created(format!(
        "https://cloudfront.amazonaws.com/2020-05-31/{}/{id}",
        kind.segment()
    )))
}

pub(super) fn get(state: &State, kind: Kind, id: &str, config_only: bool) -> R {
    let inner = state.lock();
    let r = inner.store(kind).get(id).ok_or_else(|| {
        fail(
            404,
            kind.no_such(),
            format!("The specified {} does not exist.", kind.noun()),
        )
    })?;
    let body = if config_only {
        r.config.clone()
    } else {
        resource_el(kind, r)
    };
    Ok(Out::ok(body).etag(&r.etag))
}

pub(super) fn update(state: &State, req: &Req, kind: Kind, id: &str) -> R {
    let mut inner = state.lock();
    let current = inner
        .store(kind)
        .get(id)
        .ok_or_else(|| {
            fail(
                404,
                kind.no_such(),
                format!("The specified {} does not exist.", kind.noun()),
            )
        })?
        .clone();
    if current.managed {
        return Err(fail(
            400,
            "IllegalUpdate",
            format!(
                "The specified {} is managed by AWS and cannot be updated.",
                kind.noun()
            ),
        ));
    }
    check_if_match(req, &current.etag)?;
    let mut cfg = parse_body(&req.body, &config_root(kind))?;
    validate(&inner, kind, &mut cfg)?;
    let name = cfg.str_at("Name").to_string();
    if name_taken(&inner, kind, &name, Some(id)) {
        return Err(fail(
            409,
            kind.already_exists(),
            format!("A {} with the name {name} already exists.", kind.noun()),
        ));
    }
    if kind == Kind::PublicKey {
        for f in ["CallerReference", "Name", "EncodedKey"] {
            if cfg.str_at(f) != current.config.str_at(f) {
                return Err(fail(
                    400,
                    "CannotChangeImmutablePublicKeyFields",
                    "You can't change the value of a public key.",
                ));
            }
        }
    }
    let r = inner.store_mut(kind).get_mut(id).expect("present");
    r.config = cfg;
    r.etag = util::e_id();
    if kind != Kind::PublicKey {
        r.time = SystemTime::now();
    }
    Ok(Out::ok(resource_el(kind, r)).etag(&r.etag))
}

pub(super) fn delete(state: &State, req: &Req, kind: Kind, id: &str) -> R {
    let mut inner = state.lock();
    let current = inner
        .store(kind)
        .get(id)
        .ok_or_else(|| {
            fail(
                404,
                kind.no_such(),
                format!("The specified {} does not exist.", kind.noun()),
            )
        })?
        .clone();
    if current.managed {
        return Err(fail(
            400,
            "IllegalDelete",
            format!(
                "The specified {} is managed by AWS and cannot be deleted.",
                kind.noun()
            ),
        ));
    }
    check_if_match(req, &current.etag)?;
    if in_use(&inner, kind, id) {
        let what = if kind == Kind::PublicKey {
            "key groups"
        } else {
            "distributions"
        };
        return Err(fail(
            409,
            kind.in_use(),
            format!("The {} is in use by one or more {what}.", kind.noun()),
        ));
    }
    inner.store_mut(kind).remove(id);
    Ok(Out::no_content())
}

pub(super) fn list(state: &State, kind: Kind, q: &[(String, String)]) -> R {
    let (marker, max) = paging(q)?;
    let type_filter = wire::query_get(q, "Type").filter(|t| !t.is_empty());
    if kind.is_policy()
        && let Some(t) = type_filter
        && t != "managed"
        && t != "custom"
    {
        return Err(fail(
            400,
            "InvalidArgument",
            format!("Invalid Type: {t}. Valid values: managed, custom"),
        ));
    }
    let inner = state.lock();
    let mut all: Vec<&Res> = inner
        .store(kind)
        .values()
        .filter(|r| match type_filter {
            Some("managed") if kind.is_policy() => r.managed,
            Some("custom") if kind.is_policy() => !r.managed,
            _ => true,
        })
        .collect();
    all.sort_by_key(|r| r.seq);
    let ids: Vec<String> = all.iter().map(|r| r.id.clone()).collect();
    let (slice, next) = page(&ids, &marker, max);
    let store = inner.store(kind);
    let mut items = El::new("Items");
    for id in slice {
        let r = &store[id];
        let summary = match kind {
            Kind::CachePolicy | Kind::OriginRequestPolicy | Kind::ResponseHeadersPolicy => {
                El::new(&format!("{}Summary", kind.noun()))
                    .with_leaf("Type", if r.managed { "managed" } else { "custom" })
                    .with(resource_el(kind, r))
            }
            Kind::KeyGroup => El::new("KeyGroupSummary").with(resource_el(kind, r)),
            Kind::Oac => El::new("OriginAccessControlSummary")
                .with_leaf("Id", &r.id)
                .with_leaf("Description", r.config.str_at("Description"))
                .with_leaf("Name", r.config.str_at("Name"))
                .with_leaf("SigningProtocol", r.config.str_at("SigningProtocol"))
                .with_leaf("SigningBehavior", r.config.str_at("SigningBehavior"))
                .with_leaf(
                    "OriginAccessControlOriginType",
                    r.config.str_at("OriginAccessControlOriginType"),
                ),
            Kind::PublicKey => {
                let mut s = El::new("PublicKeySummary")
                    .with_leaf("Id", &r.id)
                    .with_leaf("Name", r.config.str_at("Name"))
                    .with_leaf("CreatedTime", util::iso8601(r.time))
                    .with_leaf("EncodedKey", r.config.str_at("EncodedKey"));
                if let Some(c) = r.config.text_at("Comment") {
                    s.push(El::leaf("Comment", c));
                }
                s
            }
        };
        items.push(summary);
    }
    let mut out = El::new(&format!("{}List", kind.noun()));
    if kind == Kind::Oac {
        out.push(El::leaf("Marker", marker.clone().unwrap_or_default()));
    }
    if let Some(n) = &next {
        out.push(El::leaf("NextMarker", n));
    }
    out.push(El::leaf("MaxItems", max.to_string()));
    if kind == Kind::Oac {
        out.push(El::leaf("IsTruncated", next.is_some().to_string()));
    }
    out.push(El::leaf("Quantity", slice.len().to_string()));
    if !slice.is_empty() {
        out.push(items);
    }
    Ok(Out::ok(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_must_match_items() {
        let ok = super::super::xml::parse(b"<A><B><Quantity>1</Quantity><Items><X>1</X></Items></B><C><Quantity>0</Quantity></C></A>").unwrap();
        assert!(check_quantities(&ok).is_ok());
        let bad = super::super::xml::parse(
            b"<A><B><Quantity>2</Quantity><Items><X>1</X></Items></B></A>",
        )
        .unwrap();
        assert_eq!(
            check_quantities(&bad).unwrap_err().1,
            "InconsistentQuantities"
        );
        let bad = super::super::xml::parse(b"<A><B><Quantity>1</Quantity></B></A>").unwrap();
        assert_eq!(
            check_quantities(&bad).unwrap_err().1,
            "InconsistentQuantities"
        );
    }

    #[test]
    fn managed_policies_are_seeded_with_real_ids() {
        let s = State::default();
        let inner = s.lock();
        for id in [
            "658327ea-f89d-4fab-a63d-7e88639e58f6",
            "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
            "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
            "08627262-05a9-4f76-9ded-b50ca2e3a84f",
        ] {
            assert!(inner.store(Kind::CachePolicy)[id].managed, "{id}");
            check_quantities(&inner.store(Kind::CachePolicy)[id].config).unwrap();
        }
        for id in [
            "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
            "59781a5b-3903-41f3-afcb-af62929ccde1",
            "216adef6-5c7f-47e4-b989-5492eafa07d3",
            "b689b0a8-53d0-40ab-baf2-68738e2966ac",
        ] {
            assert!(inner.store(Kind::OriginRequestPolicy)[id].managed, "{id}");
            check_quantities(&inner.store(Kind::OriginRequestPolicy)[id].config).unwrap();
        }
        for id in [
            "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
            "60669652-455b-4ae9-85a4-c4c02393f86c",
            "e61eb60c-9c35-4d20-a928-2b84e02af89c",
            "67f7725c-6f97-4210-82d7-5512b31e9d03",
        ] {
            assert!(inner.store(Kind::ResponseHeadersPolicy)[id].managed, "{id}");
            check_quantities(&inner.store(Kind::ResponseHeadersPolicy)[id].config).unwrap();
        }
    }
}
