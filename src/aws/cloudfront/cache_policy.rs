//! The cache policy (TTLs, and the CORS headers in the cache key): found by name, created, updated
//! with `If-Match`, or left alone; deleted by name on destroy
//! (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html>).

use aws_sdk_cloudfront::types::{
    CachePolicyConfig, CachePolicyCookieBehavior, CachePolicyCookiesConfig,
    CachePolicyHeaderBehavior, CachePolicyHeadersConfig, CachePolicyQueryStringBehavior,
    CachePolicyQueryStringsConfig, CachePolicyType, Headers,
    ParametersInCacheKeyAndForwardedToOrigin,
};
use aws_smithy_types::error::operation::BuildError;

use super::diff::{Lines, lower_set};
use super::{build_error, missing};
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::CachePolicyParams;
use crate::plan::{OutputKey, Step};

/// A CachePolicy step.
pub(crate) struct CachePolicy<'a> {
    p: &'a CachePolicyParams,
    want: CachePolicyConfig,
}

impl<'a> CachePolicy<'a> {
    pub(crate) fn new(step: &Step, p: &'a CachePolicyParams) -> Result<Self, Error> {
        let want = cache_policy_config(p).map_err(|e| build_error(step, e))?;
        Ok(Self { p, want })
    }

    async fn etag(&self, ctx: &Ctx, id: &str) -> Result<String, Error> {
        let out = ctx
            .clients
            .cloudfront
            .get_cache_policy()
            .id(id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetCachePolicy", &self.p.name, e))?;
        out.e_tag
            .ok_or_else(|| missing("cloudfront:GetCachePolicy", &self.p.name, "ETag"))
    }
}

impl Resource for CachePolicy<'_> {
    /// The id and the live configuration.
    type Live = (String, CachePolicyConfig);

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        find_cache_policy(ctx, &self.p.name).await
    }

    fn diff(&self, (_, live): &Self::Live) -> Vec<String> {
        cache_policy_diff(live, &self.want)
    }

    fn outputs(&self, (id, _): &Self::Live) -> Outputs {
        vec![(OutputKey::Id, id.clone())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let out = ctx
            .clients
            .cloudfront
            .create_cache_policy()
            .cache_policy_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:CreateCachePolicy", &self.p.name, e))?;
        let id = out
            .cache_policy
            .map(|c| c.id)
            .ok_or_else(|| missing("cloudfront:CreateCachePolicy", &self.p.name, "CachePolicy"))?;
        Ok(vec![(OutputKey::Id, id)])
    }

    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("CachePolicyAlreadyExists")
    }

    async fn update(
        &self,
        ctx: &Ctx,
        (id, _): Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let etag = self.etag(ctx, &id).await?;
        ctx.clients
            .cloudfront
            .update_cache_policy()
            .id(&id)
            .if_match(etag)
            .cache_policy_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:UpdateCachePolicy", &self.p.name, e))?;
        Ok((Change::Update { diff }, vec![(OutputKey::Id, id)]))
    }

    async fn delete(&self, ctx: &Ctx, (id, _): Self::Live) -> Result<Change, Error> {
        let etag = match self.etag(ctx, &id).await {
            Ok(e) => e,
            Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchCachePolicy") => {
                return Ok(Change::Absent);
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
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchCachePolicy") => Ok(Change::Absent),
            // Shared: another pipeline's distribution still uses it, and CloudFront keeps it.
            Err(e) if error_code(&e) == Some("CachePolicyInUse") => {
                tracing::info!(policy = %self.p.name, "kept: another distribution uses this shared policy");
                Ok(Change::NoOp)
            }
            Err(e) => Err(aws_error("cloudfront:DeleteCachePolicy", &self.p.name, e)),
        }
    }
}

pub(crate) fn cache_policy_config(p: &CachePolicyParams) -> Result<CachePolicyConfig, BuildError> {
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
        .comment(crate::names::SHARED_POLICY_COMMENT)
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
    let mut d = Lines(Vec::new());
    let opt = |v: Option<i64>| v.map_or_else(|| "(none)".to_owned(), |v| v.to_string());
    d.cmp("min_ttl", live.min_ttl, want.min_ttl);
    d.cmp("default_ttl", opt(live.default_ttl), opt(want.default_ttl));
    d.cmp("max_ttl", opt(live.max_ttl), opt(want.max_ttl));
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
                .map(|i| lower_set(i.iter().map(String::as_str)))
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
    d.cmp("enable_accept_encoding_gzip", a.0, b.0);
    d.cmp("enable_accept_encoding_brotli", a.1, b.1);
    d.cmp("headers_config.header_behavior", &a.2, &b.2);
    d.cmp_set("headers_config.headers", &a.3, &b.3);
    d.cmp("cookies_config.cookie_behavior", &a.4, &b.4);
    d.cmp("query_strings_config.query_string_behavior", &a.5, &b.5);
    d.0
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
