//! The response headers policy that sends the CORS headers from CloudFront itself: found by name,
//! created, updated with `If-Match`, or left alone; deleted by name on destroy
//! (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ResponseHeadersPolicyCorsConfig.html>).

use aws_sdk_cloudfront::types::{
    ResponseHeadersPolicyAccessControlAllowHeaders, ResponseHeadersPolicyAccessControlAllowMethods,
    ResponseHeadersPolicyAccessControlAllowMethodsValues,
    ResponseHeadersPolicyAccessControlAllowOrigins,
    ResponseHeadersPolicyAccessControlExposeHeaders, ResponseHeadersPolicyConfig,
    ResponseHeadersPolicyCorsConfig, ResponseHeadersPolicyType,
};
use aws_smithy_types::error::operation::BuildError;

use super::diff::{Lines, lower_set, set};
use super::{build_error, missing};
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::ResponseHeadersPolicyParams;
use crate::plan::{OutputKey, Step};

/// A ResponseHeadersPolicy step.
pub(crate) struct ResponseHeadersPolicy<'a> {
    p: &'a ResponseHeadersPolicyParams,
    want: ResponseHeadersPolicyConfig,
}

impl<'a> ResponseHeadersPolicy<'a> {
    pub(crate) fn new(step: &Step, p: &'a ResponseHeadersPolicyParams) -> Result<Self, Error> {
        let want = response_headers_policy_config(p).map_err(|e| build_error(step, e))?;
        Ok(Self { p, want })
    }

    async fn etag(&self, ctx: &Ctx, id: &str) -> Result<String, Error> {
        let out = ctx
            .clients
            .cloudfront
            .get_response_headers_policy()
            .id(id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetResponseHeadersPolicy", &self.p.name, e))?;
        out.e_tag
            .ok_or_else(|| missing("cloudfront:GetResponseHeadersPolicy", &self.p.name, "ETag"))
    }
}

impl Resource for ResponseHeadersPolicy<'_> {
    /// The id and the live configuration.
    type Live = (String, ResponseHeadersPolicyConfig);

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        find_response_headers_policy(ctx, &self.p.name).await
    }

    fn diff(&self, (_, live): &Self::Live) -> Vec<String> {
        response_headers_policy_diff(live, &self.want)
    }

    fn outputs(&self, (id, _): &Self::Live) -> Outputs {
        vec![(OutputKey::Id, id.clone())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let out = ctx
            .clients
            .cloudfront
            .create_response_headers_policy()
            .response_headers_policy_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:CreateResponseHeadersPolicy", &self.p.name, e))?;
        let id = out.response_headers_policy.map(|c| c.id).ok_or_else(|| {
            missing(
                "cloudfront:CreateResponseHeadersPolicy",
                &self.p.name,
                "ResponseHeadersPolicy",
            )
        })?;
        Ok(vec![(OutputKey::Id, id)])
    }

    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("ResponseHeadersPolicyAlreadyExists")
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
            .update_response_headers_policy()
            .id(&id)
            .if_match(etag)
            .response_headers_policy_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:UpdateResponseHeadersPolicy", &self.p.name, e))?;
        Ok((Change::Update { diff }, vec![(OutputKey::Id, id)]))
    }

    async fn delete(&self, ctx: &Ctx, (id, _): Self::Live) -> Result<Change, Error> {
        let etag = match self.etag(ctx, &id).await {
            Ok(e) => e,
            Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchResponseHeadersPolicy") => {
                return Ok(Change::Absent);
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
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchResponseHeadersPolicy") => Ok(Change::Absent),
            // Shared: another pipeline's distribution still uses it, and CloudFront keeps it.
            Err(e) if error_code(&e) == Some("ResponseHeadersPolicyInUse") => {
                tracing::info!(policy = %self.p.name, "kept: another distribution uses this shared policy");
                Ok(Change::NoOp)
            }
            Err(e) => Err(aws_error(
                "cloudfront:DeleteResponseHeadersPolicy",
                &self.p.name,
                e,
            )),
        }
    }
}

pub(crate) fn response_headers_policy_config(
    p: &ResponseHeadersPolicyParams,
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
        .comment(crate::names::SHARED_POLICY_COMMENT)
        .cors_config(cors.build()?)
        .build()
}

pub(crate) fn response_headers_policy_diff(
    live: &ResponseHeadersPolicyConfig,
    want: &ResponseHeadersPolicyConfig,
) -> Vec<String> {
    let mut d = Lines(Vec::new());
    let view = |c: &ResponseHeadersPolicyConfig| {
        let cors = c.cors_config.as_ref();
        (
            cors.and_then(|c| c.access_control_allow_origins.as_ref())
                .map(|o| set(o.items.iter().map(String::as_str)))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_allow_methods.as_ref())
                .map(|m| set(m.items.iter().map(|v| v.as_str())))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_allow_headers.as_ref())
                .map(|h| lower_set(h.items.iter().map(String::as_str)))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_expose_headers.as_ref())
                .and_then(|h| h.items.as_ref())
                .map(|h| lower_set(h.iter().map(String::as_str)))
                .unwrap_or_default(),
            cors.and_then(|c| c.access_control_max_age_sec)
                .map_or_else(|| "(none)".to_owned(), |v| v.to_string()),
            cors.is_some_and(|c| c.access_control_allow_credentials),
            cors.is_some_and(|c| c.origin_override),
        )
    };
    let (a, b) = (view(live), view(want));
    d.cmp_set("cors.access_control_allow_origins", &a.0, &b.0);
    d.cmp_set("cors.access_control_allow_methods", &a.1, &b.1);
    d.cmp_set("cors.access_control_allow_headers", &a.2, &b.2);
    d.cmp_set("cors.access_control_expose_headers", &a.3, &b.3);
    d.cmp("cors.access_control_max_age_sec", &a.4, &b.4);
    d.cmp("cors.access_control_allow_credentials", a.5, b.5);
    d.cmp("cors.origin_override", a.6, b.6);
    d.0
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
