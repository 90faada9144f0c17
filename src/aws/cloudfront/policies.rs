//! Origin access control, cache policy and response headers policy: found by name, created, updated
//! with `If-Match`, or left alone; deleted by name on destroy.
//!
//! API reference: <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html>,
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html>,
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html>.

use std::collections::BTreeSet;

use aws_sdk_cloudfront::types::{
    CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig,
    CachePolicyHeaderBehavior, CachePolicyHeadersConfig, CachePolicyQueryStringBehavior,
    CachePolicyQueryStringsConfig, CachePolicyType, Headers, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, ParametersInCacheKeyAndForwardedToOrigin,
    ResponseHeadersPolicyAccessControlAllowHeaders, ResponseHeadersPolicyAccessControlAllowMethods,
    ResponseHeadersPolicyAccessControlAllowMethodsValues,
    ResponseHeadersPolicyAccessControlAllowOrigins,
    ResponseHeadersPolicyAccessControlExposeHeaders, ResponseHeadersPolicyConfig,
    ResponseHeadersPolicyCorsConfig, ResponseHeadersPolicyType,
};
use aws_smithy_types::error::operation::BuildError;

use super::{Plan, build_error, missing};
use crate::apply::event::Change;
use crate::aws::{Ctx, Mode, StepReport, aws_error};
use crate::error::Error;
use crate::plan::{CachePolicyParams, OacParams, ResponseHeadersPolicyParams, Step};
use crate::plan::{OutputKey, SigningBehavior, SigningProtocol};
use crate::spec::model::OriginKind;

fn comment(pipeline: &str) -> String {
    format!("vod-pipeline {pipeline}")
}

fn line<T: PartialEq + std::fmt::Display>(out: &mut Vec<String>, field: &str, old: T, new: T) {
    if old != new {
        out.push(format!("{field}: {old} -> {new}"));
    }
}

fn set_line(out: &mut Vec<String>, field: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
    if old != new {
        let show = |s: &BTreeSet<String>| {
            format!("[{}]", s.iter().cloned().collect::<Vec<_>>().join(", "))
        };
        out.push(format!("{field}: {} -> {}", show(old), show(new)));
    }
}

fn lower_set<'a>(items: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    items.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn plain_set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------------
// Origin access control.

pub(crate) fn oac_config(
    p: &OacParams,
    pipeline: &str,
) -> Result<OriginAccessControlConfig, BuildError> {
    OriginAccessControlConfig::builder()
        .name(&p.name)
        .description(comment(pipeline))
        .origin_access_control_origin_type(match p.origin_type {
            OriginKind::MediaStore => OriginAccessControlOriginTypes::Mediastore,
            OriginKind::S3 => OriginAccessControlOriginTypes::S3,
        })
        .signing_behavior(match p.signing_behavior {
            SigningBehavior::Always => OriginAccessControlSigningBehaviors::Always,
        })
        .signing_protocol(match p.signing_protocol {
            SigningProtocol::Sigv4 => OriginAccessControlSigningProtocols::Sigv4,
        })
        .build()
}

pub(crate) fn oac_diff(
    live_type: &OriginAccessControlOriginTypes,
    live_behavior: &OriginAccessControlSigningBehaviors,
    live_protocol: &OriginAccessControlSigningProtocols,
    want: &OriginAccessControlConfig,
) -> Vec<String> {
    let mut d = Vec::new();
    line(
        &mut d,
        "origin_type",
        live_type.as_str(),
        want.origin_access_control_origin_type.as_str(),
    );
    line(
        &mut d,
        "signing_behavior",
        live_behavior.as_str(),
        want.signing_behavior.as_str(),
    );
    line(
        &mut d,
        "signing_protocol",
        live_protocol.as_str(),
        want.signing_protocol.as_str(),
    );
    d
}

async fn find_oac(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_cloudfront::types::OriginAccessControlSummary>, Error> {
    let mut items = ctx
        .clients
        .cloudfront
        .list_origin_access_controls()
        .into_paginator()
        .items()
        .send();
    while let Some(item) = items.next().await {
        let item = item.map_err(|e| aws_error("cloudfront:ListOriginAccessControls", name, e))?;
        if item.name == name {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

async fn oac_etag(ctx: &Ctx, id: &str, name: &str) -> Result<String, Error> {
    let out = ctx
        .clients
        .cloudfront
        .get_origin_access_control()
        .id(id)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:GetOriginAccessControl", name, e))?;
    out.e_tag
        .ok_or_else(|| missing("cloudfront:GetOriginAccessControl", name, "ETag"))
}

pub(crate) async fn run_oac(
    ctx: &Ctx,
    step: &Step,
    p: &OacParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let want = oac_config(p, &ctx.pipeline).map_err(|e| build_error(step, e))?;
    let cf = &ctx.clients.cloudfront;
    let found = find_oac(ctx, &p.name).await?;
    let plan = match &found {
        None => Plan::Create,
        Some(s) => {
            let d = oac_diff(
                &s.origin_access_control_origin_type,
                &s.signing_behavior,
                &s.signing_protocol,
                &want,
            );
            if d.is_empty() {
                Plan::NoOp(s.id.clone())
            } else {
                Plan::Update(s.id.clone(), d)
            }
        }
    };
    match (plan, mode) {
        (Plan::Create, Mode::Refresh) => Ok(StepReport::new(Change::Create)),
        (Plan::Create, Mode::Apply) => {
            let out = cf
                .create_origin_access_control()
                .origin_access_control_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:CreateOriginAccessControl", &p.name, e))?;
            let id = out.origin_access_control.map(|o| o.id).ok_or_else(|| {
                missing(
                    "cloudfront:CreateOriginAccessControl",
                    &p.name,
                    "OriginAccessControl",
                )
            })?;
            Ok(StepReport::new(Change::Create).output(OutputKey::Id, id))
        }
        (Plan::NoOp(id), _) => Ok(StepReport::new(Change::NoOp).output(OutputKey::Id, id)),
        (Plan::Update(id, diff), Mode::Refresh) => {
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
        (Plan::Update(id, diff), Mode::Apply) => {
            let etag = oac_etag(ctx, &id, &p.name).await?;
            cf.update_origin_access_control()
                .id(&id)
                .if_match(etag)
                .origin_access_control_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:UpdateOriginAccessControl", &p.name, e))?;
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
    }
}

pub(crate) async fn destroy_oac(ctx: &Ctx, p: &OacParams) -> Result<StepReport, Error> {
    let Some(found) = find_oac(ctx, &p.name).await? else {
        return Ok(StepReport::new(Change::Absent));
    };
    let etag = match oac_etag(ctx, &found.id, &p.name).await {
        Ok(e) => e,
        Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchOriginAccessControl") => {
            return Ok(StepReport::new(Change::Absent));
        }
        Err(e) => return Err(e),
    };
    match ctx
        .clients
        .cloudfront
        .delete_origin_access_control()
        .id(&found.id)
        .if_match(etag)
        .send()
        .await
    {
        Ok(_) => Ok(StepReport::new(Change::Delete)),
        Err(e) if crate::aws::error_code(&e) == Some("NoSuchOriginAccessControl") => {
            Ok(StepReport::new(Change::Absent))
        }
        Err(e) => Err(aws_error(
            "cloudfront:DeleteOriginAccessControl",
            &p.name,
            e,
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Cache policy.

pub(crate) fn cache_policy_config(
    p: &CachePolicyParams,
    pipeline: &str,
) -> Result<CachePolicyConfig, BuildError> {
    let headers = if p.cache_key_headers.is_empty() {
        CachePolicyHeadersConfig::builder()
            .header_behavior(CachePolicyHeaderBehavior::None)
            .build()?
    } else {
        CachePolicyHeadersConfig::builder()
            .header_behavior(CachePolicyHeaderBehavior::Whitelist)
            .headers(
                Headers::builder()
                    .quantity(p.cache_key_headers.len() as i32)
                    .set_items(Some(p.cache_key_headers.clone()))
                    .build()?,
            )
            .build()?
    };
    CachePolicyConfig::builder()
        .name(&p.name)
        .comment(comment(pipeline))
        .min_ttl(p.min_ttl.secs() as i64)
        .default_ttl(p.default_ttl.secs() as i64)
        .max_ttl(p.max_ttl.secs() as i64)
        .parameters_in_cache_key_and_forwarded_to_origin(
            ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(p.compression)
                .enable_accept_encoding_brotli(p.compression)
                .headers_config(headers)
                .cookies_config(
                    CachePolicyCookiesConfig::builder()
                        .cookie_behavior(CachePolicyCookieBehavior::from(p.cookies.as_str()))
                        .build()?,
                )
                .query_strings_config(
                    CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(CachePolicyQueryStringBehavior::from(
                            p.query_strings.as_str(),
                        ))
                        .build()?,
                )
                .build()?,
        )
        .build()
}

pub(crate) fn cache_policy_diff(live: &CachePolicyConfig, want: &CachePolicyConfig) -> Vec<String> {
    let mut d = Vec::new();
    let opt = |v: Option<i64>| v.map_or_else(|| "(none)".to_owned(), |v| v.to_string());
    line(&mut d, "min_ttl", live.min_ttl, want.min_ttl);
    line(
        &mut d,
        "default_ttl",
        opt(live.default_ttl),
        opt(want.default_ttl),
    );
    line(&mut d, "max_ttl", opt(live.max_ttl), opt(want.max_ttl));
    let params = |c: &CachePolicyConfig| {
        let p = c.parameters_in_cache_key_and_forwarded_to_origin.as_ref();
        let headers = p.and_then(|p| p.headers_config.as_ref());
        (
            p.is_some_and(|p| p.enable_accept_encoding_gzip),
            p.and_then(|p| p.enable_accept_encoding_brotli)
                .unwrap_or(false),
            headers
                .map_or("none", |h| h.header_behavior.as_str())
                .to_owned(),
            headers
                .and_then(|h| h.headers.as_ref())
                .and_then(|h| h.items.as_ref())
                .map(|i| lower_set(i.iter()))
                .unwrap_or_default(),
            p.and_then(|p| p.cookies_config.as_ref())
                .map_or("none", |c| c.cookie_behavior.as_str())
                .to_owned(),
            p.and_then(|p| p.query_strings_config.as_ref())
                .map_or("none", |q| q.query_string_behavior.as_str())
                .to_owned(),
        )
    };
    let (a, b) = (params(live), params(want));
    line(&mut d, "enable_accept_encoding_gzip", a.0, b.0);
    line(&mut d, "enable_accept_encoding_brotli", a.1, b.1);
    line(&mut d, "headers_config.header_behavior", &a.2, &b.2);
    set_line(&mut d, "headers_config.headers", &a.3, &b.3);
    line(&mut d, "cookies_config.cookie_behavior", &a.4, &b.4);
    line(
        &mut d,
        "query_strings_config.query_string_behavior",
        &a.5,
        &b.5,
    );
    d
}

async fn find_cache_policy(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<(String, CachePolicyConfig)>, Error> {
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .clients
            .cloudfront
            .list_cache_policies()
            .r#type(CachePolicyType::Custom)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListCachePolicies", name, e))?;
        let Some(list) = out.cache_policy_list else {
            return Ok(None);
        };
        for s in list.items.unwrap_or_default() {
            if let Some(cp) = s.cache_policy
                && let Some(cfg) = cp.cache_policy_config
                && cfg.name == name
            {
                return Ok(Some((cp.id, cfg)));
            }
        }
        match list.next_marker.filter(|m| !m.is_empty()) {
            Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
            _ => return Ok(None),
        }
    }
}

async fn cache_policy_etag(ctx: &Ctx, id: &str, name: &str) -> Result<String, Error> {
    let out = ctx
        .clients
        .cloudfront
        .get_cache_policy()
        .id(id)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:GetCachePolicy", name, e))?;
    out.e_tag
        .ok_or_else(|| missing("cloudfront:GetCachePolicy", name, "ETag"))
}

pub(crate) async fn run_cache_policy(
    ctx: &Ctx,
    step: &Step,
    p: &CachePolicyParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let want = cache_policy_config(p, &ctx.pipeline).map_err(|e| build_error(step, e))?;
    let cf = &ctx.clients.cloudfront;
    let plan = match find_cache_policy(ctx, &p.name).await? {
        None => Plan::Create,
        Some((id, live)) => {
            let d = cache_policy_diff(&live, &want);
            if d.is_empty() {
                Plan::NoOp(id)
            } else {
                Plan::Update(id, d)
            }
        }
    };
    match (plan, mode) {
        (Plan::Create, Mode::Refresh) => Ok(StepReport::new(Change::Create)),
        (Plan::Create, Mode::Apply) => {
            let out = cf
                .create_cache_policy()
                .cache_policy_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:CreateCachePolicy", &p.name, e))?;
            let id = out
                .cache_policy
                .map(|c| c.id)
                .ok_or_else(|| missing("cloudfront:CreateCachePolicy", &p.name, "CachePolicy"))?;
            Ok(StepReport::new(Change::Create).output(OutputKey::Id, id))
        }
        (Plan::NoOp(id), _) => Ok(StepReport::new(Change::NoOp).output(OutputKey::Id, id)),
        (Plan::Update(id, diff), Mode::Refresh) => {
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
        (Plan::Update(id, diff), Mode::Apply) => {
            let etag = cache_policy_etag(ctx, &id, &p.name).await?;
            cf.update_cache_policy()
                .id(&id)
                .if_match(etag)
                .cache_policy_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:UpdateCachePolicy", &p.name, e))?;
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
    }
}

pub(crate) async fn destroy_cache_policy(
    ctx: &Ctx,
    p: &CachePolicyParams,
) -> Result<StepReport, Error> {
    let Some((id, _)) = find_cache_policy(ctx, &p.name).await? else {
        return Ok(StepReport::new(Change::Absent));
    };
    let etag = match cache_policy_etag(ctx, &id, &p.name).await {
        Ok(e) => e,
        Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchCachePolicy") => {
            return Ok(StepReport::new(Change::Absent));
        }
        Err(e) => return Err(e),
    };
    match ctx
        .clients
        .cloudfront
        .delete_cache_policy()
        .id(&id)
        .if_match(etag)
        .send()
        .await
    {
        Ok(_) => Ok(StepReport::new(Change::Delete)),
        Err(e) if crate::aws::error_code(&e) == Some("NoSuchCachePolicy") => {
            Ok(StepReport::new(Change::Absent))
        }
        Err(e) => Err(aws_error("cloudfront:DeleteCachePolicy", &p.name, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Response headers policy (CORS).

pub(crate) fn response_headers_policy_config(
    p: &ResponseHeadersPolicyParams,
    pipeline: &str,
) -> Result<ResponseHeadersPolicyConfig, BuildError> {
    let origins: Vec<String> = p.allow_origins.iter().map(|o| o.to_string()).collect();
    let methods: Vec<ResponseHeadersPolicyAccessControlAllowMethodsValues> = p
        .allow_methods
        .iter()
        .map(|m| ResponseHeadersPolicyAccessControlAllowMethodsValues::from(m.as_str()))
        .collect();
    let mut cors = ResponseHeadersPolicyCorsConfig::builder()
        .access_control_allow_origins(
            ResponseHeadersPolicyAccessControlAllowOrigins::builder()
                .quantity(origins.len() as i32)
                .set_items(Some(origins))
                .build()?,
        )
        .access_control_allow_methods(
            ResponseHeadersPolicyAccessControlAllowMethods::builder()
                .quantity(methods.len() as i32)
                .set_items(Some(methods))
                .build()?,
        )
        .access_control_allow_headers(
            ResponseHeadersPolicyAccessControlAllowHeaders::builder()
                .quantity(p.allow_headers.len() as i32)
                .set_items(Some(p.allow_headers.clone()))
                .build()?,
        )
        .access_control_allow_credentials(false)
        .access_control_max_age_sec(p.max_age_seconds as i32)
        .origin_override(p.origin_override);
    if !p.expose_headers.is_empty() {
        cors = cors.access_control_expose_headers(
            ResponseHeadersPolicyAccessControlExposeHeaders::builder()
                .quantity(p.expose_headers.len() as i32)
                .set_items(Some(p.expose_headers.clone()))
                .build()?,
        );
    }
    ResponseHeadersPolicyConfig::builder()
        .name(&p.name)
        .comment(comment(pipeline))
        .cors_config(cors.build()?)
        .build()
}

pub(crate) fn response_headers_policy_diff(
    live: &ResponseHeadersPolicyConfig,
    want: &ResponseHeadersPolicyConfig,
) -> Vec<String> {
    let mut d = Vec::new();
    let view = |c: &ResponseHeadersPolicyConfig| {
        let cors = c.cors_config.as_ref();
        (
            cors.and_then(|c| c.access_control_allow_origins.as_ref())
                .map(|o| plain_set(o.items.iter().map(String::as_str)))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_allow_methods.as_ref())
                .map(|m| plain_set(m.items.iter().map(|v| v.as_str())))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_allow_headers.as_ref())
                .map(|h| lower_set(h.items.iter()))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_expose_headers.as_ref())
                .and_then(|h| h.items.as_ref())
                .map(|h| lower_set(h.iter()))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_max_age_sec)
                .map_or_else(|| "(none)".to_owned(), |v| v.to_string()),
            cors.is_some_and(|c| c.access_control_allow_credentials),
            cors.is_some_and(|c| c.origin_override),
        )
    };
    let (a, b) = (view(live), view(want));
    set_line(&mut d, "cors.access_control_allow_origins", &a.0, &b.0);
    set_line(&mut d, "cors.access_control_allow_methods", &a.1, &b.1);
    set_line(&mut d, "cors.access_control_allow_headers", &a.2, &b.2);
    set_line(&mut d, "cors.access_control_expose_headers", &a.3, &b.3);
    line(&mut d, "cors.access_control_max_age_sec", &a.4, &b.4);
    line(&mut d, "cors.access_control_allow_credentials", a.5, b.5);
    line(&mut d, "cors.origin_override", a.6, b.6);
    d
}

async fn find_response_headers_policy(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<(String, ResponseHeadersPolicyConfig)>, Error> {
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .clients
            .cloudfront
            .list_response_headers_policies()
            .r#type(ResponseHeadersPolicyType::Custom)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListResponseHeadersPolicies", name, e))?;
        let Some(list) = out.response_headers_policy_list else {
            return Ok(None);
        };
        for s in list.items.unwrap_or_default() {
            if let Some(rp) = s.response_headers_policy
                && let Some(cfg) = rp.response_headers_policy_config
                && cfg.name == name
            {
                return Ok(Some((rp.id, cfg)));
            }
        }
        match list.next_marker.filter(|m| !m.is_empty()) {
            Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
            _ => return Ok(None),
        }
    }
}

async fn response_headers_policy_etag(ctx: &Ctx, id: &str, name: &str) -> Result<String, Error> {
    let out = ctx
        .clients
        .cloudfront
        .get_response_headers_policy()
        .id(id)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:GetResponseHeadersPolicy", name, e))?;
    out.e_tag
        .ok_or_else(|| missing("cloudfront:GetResponseHeadersPolicy", name, "ETag"))
}

pub(crate) async fn run_response_headers_policy(
    ctx: &Ctx,
    step: &Step,
    p: &ResponseHeadersPolicyParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let want =
        response_headers_policy_config(p, &ctx.pipeline).map_err(|e| build_error(step, e))?;
    let cf = &ctx.clients.cloudfront;
    let plan = match find_response_headers_policy(ctx, &p.name).await? {
        None => Plan::Create,
        Some((id, live)) => {
            let d = response_headers_policy_diff(&live, &want);
            if d.is_empty() {
                Plan::NoOp(id)
            } else {
                Plan::Update(id, d)
            }
        }
    };
    match (plan, mode) {
        (Plan::Create, Mode::Refresh) => Ok(StepReport::new(Change::Create)),
        (Plan::Create, Mode::Apply) => {
            let out = cf
                .create_response_headers_policy()
                .response_headers_policy_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:CreateResponseHeadersPolicy", &p.name, e))?;
            let id = out.response_headers_policy.map(|c| c.id).ok_or_else(|| {
                missing(
                    "cloudfront:CreateResponseHeadersPolicy",
                    &p.name,
                    "ResponseHeadersPolicy",
                )
            })?;
            Ok(StepReport::new(Change::Create).output(OutputKey::Id, id))
        }
        (Plan::NoOp(id), _) => Ok(StepReport::new(Change::NoOp).output(OutputKey::Id, id)),
        (Plan::Update(id, diff), Mode::Refresh) => {
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
        (Plan::Update(id, diff), Mode::Apply) => {
            let etag = response_headers_policy_etag(ctx, &id, &p.name).await?;
            cf.update_response_headers_policy()
                .id(&id)
                .if_match(etag)
                .response_headers_policy_config(want)
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:UpdateResponseHeadersPolicy", &p.name, e))?;
            Ok(StepReport::new(Change::Update { diff }).output(OutputKey::Id, id))
        }
    }
}

pub(crate) async fn destroy_response_headers_policy(
    ctx: &Ctx,
    p: &ResponseHeadersPolicyParams,
) -> Result<StepReport, Error> {
    let Some((id, _)) = find_response_headers_policy(ctx, &p.name).await? else {
        return Ok(StepReport::new(Change::Absent));
    };
    let etag = match response_headers_policy_etag(ctx, &id, &p.name).await {
        Ok(e) => e,
        Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchResponseHeadersPolicy") => {
            return Ok(StepReport::new(Change::Absent));
        }
        Err(e) => return Err(e),
    };
    match ctx
        .clients
        .cloudfront
        .delete_response_headers_policy()
        .id(&id)
        .if_match(etag)
        .send()
        .await
    {
        Ok(_) => Ok(StepReport::new(Change::Delete)),
        Err(e) if crate::aws::error_code(&e) == Some("NoSuchResponseHeadersPolicy") => {
            Ok(StepReport::new(Change::Absent))
        }
        Err(e) => Err(aws_error(
            "cloudfront:DeleteResponseHeadersPolicy",
            &p.name,
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VodPipeline;
    use crate::plan::{Params, Plan};

    fn plan(file: &str) -> Plan {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
        VodPipeline::from_toml_file(format!("{dir}/{file}"))
            .unwrap()
            .plan()
    }

    #[test]
    fn cache_policy_config_and_diff() {
        let plan = plan("mediastore.toml");
        let Params::CachePolicy(p) = &plan.step("cloudfront.cache_policy").unwrap().params else {
            panic!()
        };
        let want = cache_policy_config(p, "seed-vod").unwrap();
        assert_eq!(want.name, "seed-vod-cache");
        assert_eq!(
            (want.min_ttl, want.default_ttl, want.max_ttl),
            (0, Some(86_400), Some(31_536_000))
        );
        let params = want
            .parameters_in_cache_key_and_forwarded_to_origin
            .as_ref()
            .unwrap();
        assert!(
            params.enable_accept_encoding_gzip
                && params.enable_accept_encoding_brotli == Some(true)
        );
        let h = params.headers_config.as_ref().unwrap();
        assert_eq!(h.header_behavior, CachePolicyHeaderBehavior::Whitelist);
        assert_eq!(h.headers.as_ref().unwrap().quantity, 3);
        assert_eq!(
            params.cookies_config.as_ref().unwrap().cookie_behavior,
            CachePolicyCookieBehavior::None
        );
        assert_eq!(
            params
                .query_strings_config
                .as_ref()
                .unwrap()
                .query_string_behavior,
            CachePolicyQueryStringBehavior::None
        );
        assert!(cache_policy_diff(&want, &want).is_empty());

        // Header names compare without regard to order or case.
        let mut live = want.clone();
        let lp = live
            .parameters_in_cache_key_and_forwarded_to_origin
            .as_mut()
            .unwrap();
        let items = lp
            .headers_config
            .as_mut()
            .unwrap()
            .headers
            .as_mut()
            .unwrap()
            .items
            .as_mut()
            .unwrap();
        items.reverse();
        items[0] = items[0].to_ascii_lowercase();
        assert!(cache_policy_diff(&live, &want).is_empty());
        live.max_ttl = Some(86_400);
        live.parameters_in_cache_key_and_forwarded_to_origin
            .as_mut()
            .unwrap()
            .enable_accept_encoding_brotli = None;
        assert_eq!(
            cache_policy_diff(&live, &want),
            [
                "max_ttl: 86400 -> 31536000",
                "enable_accept_encoding_brotli: false -> true"
            ]
        );
    }

    #[test]
    fn response_headers_policy_config_and_diff() {
        let plan = plan("mediastore.toml");
        let Params::ResponseHeadersPolicy(p) = &plan
            .step("cloudfront.response_headers_policy")
            .unwrap()
            .params
        else {
            panic!()
        };
        let want = response_headers_policy_config(p, "seed-vod").unwrap();
        let cors = want.cors_config.as_ref().unwrap();
        assert_eq!(
            cors.access_control_allow_origins.as_ref().unwrap().items,
            ["https://player.example.com"]
        );
        assert_eq!(
            cors.access_control_allow_methods.as_ref().unwrap().quantity,
            3
        );
        assert_eq!(
            cors.access_control_allow_headers.as_ref().unwrap().items,
            ["*"]
        );
        assert_eq!(
            cors.access_control_expose_headers
                .as_ref()
                .unwrap()
                .quantity,
            3
        );
        assert_eq!(cors.access_control_max_age_sec, Some(3000));
        assert!(!cors.access_control_allow_credentials && cors.origin_override);
        assert!(response_headers_policy_diff(&want, &want).is_empty());

        let mut live = want.clone();
        let c = live.cors_config.as_mut().unwrap();
        c.access_control_allow_origins.as_mut().unwrap().items =
            vec!["https://old.example.com".into()];
        c.origin_override = false;
        assert_eq!(
            response_headers_policy_diff(&live, &want),
            [
                "cors.access_control_allow_origins: [https://old.example.com] -> [https://player.example.com]",
                "cors.origin_override: false -> true"
            ]
        );
    }

    #[test]
    fn oac_config_and_diff() {
        let plan = plan("s3-origin.toml");
        let Params::OriginAccessControl(p) = &plan
            .step("cloudfront.origin_access_control")
            .unwrap()
            .params
        else {
            panic!()
        };
        let want = oac_config(p, "s3-vod").unwrap();
        assert_eq!(want.name, "s3-vod-s3-oac");
        assert_eq!(
            want.origin_access_control_origin_type,
            OriginAccessControlOriginTypes::S3
        );
        assert_eq!(
            want.signing_behavior,
            OriginAccessControlSigningBehaviors::Always
        );
        assert_eq!(
            want.signing_protocol,
            OriginAccessControlSigningProtocols::Sigv4
        );
        assert!(
            oac_diff(
                &want.origin_access_control_origin_type,
                &want.signing_behavior,
                &want.signing_protocol,
                &want
            )
            .is_empty()
        );
        assert_eq!(
            oac_diff(
                &OriginAccessControlOriginTypes::S3,
                &OriginAccessControlSigningBehaviors::NoOverride,
                &OriginAccessControlSigningProtocols::Sigv4,
                &want
            ),
            ["signing_behavior: no-override -> always"]
        );
    }
}
