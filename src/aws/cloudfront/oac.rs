//! The origin access control that signs CloudFront's requests to the origin: found by name,
//! created, updated with `If-Match`, or left alone; deleted by name on destroy
//! (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html>).

use aws_sdk_cloudfront::types::{
    OriginAccessControlConfig, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginAccessControlSummary,
};
use aws_smithy_types::error::operation::BuildError;

use super::diff::Lines;
use super::{build_error, missing};
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::{OacParams, SigningBehavior, SigningProtocol};
use crate::plan::{OutputKey, Step};
use crate::spec::model::OriginKind;

/// An origin access control step.
pub(crate) struct Oac<'a> {
    p: &'a OacParams,
    want: OriginAccessControlConfig,
}

impl<'a> Oac<'a> {
    pub(crate) fn new(ctx: &Ctx, step: &Step, p: &'a OacParams) -> Result<Self, Error> {
        let want = oac_config(p, &ctx.pipeline).map_err(|e| build_error(step, e))?;
        Ok(Self { p, want })
    }

    async fn etag(&self, ctx: &Ctx, id: &str) -> Result<String, Error> {
        let out = ctx
            .clients
            .cloudfront
            .get_origin_access_control()
            .id(id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetOriginAccessControl", &self.p.name, e))?;
        out.e_tag
            .ok_or_else(|| missing("cloudfront:GetOriginAccessControl", &self.p.name, "ETag"))
    }
}

impl Resource for Oac<'_> {
    /// The id and the summary the list gives.
    type Live = (String, OriginAccessControlSummary);

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        Ok(find_oac(ctx, &self.p.name)
            .await?
            .map(|s| (s.id.clone(), s)))
    }

    fn diff(&self, (_, s): &Self::Live) -> Vec<String> {
        oac_diff(
            &s.origin_access_control_origin_type,
            &s.signing_behavior,
            &s.signing_protocol,
            &self.want,
        )
    }

    fn outputs(&self, (id, _): &Self::Live) -> Outputs {
        vec![(OutputKey::Id, id.clone())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let out = ctx
            .clients
            .cloudfront
            .create_origin_access_control()
            .origin_access_control_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:CreateOriginAccessControl", &self.p.name, e))?;
        let id = out.origin_access_control.map(|o| o.id).ok_or_else(|| {
            missing(
                "cloudfront:CreateOriginAccessControl",
                &self.p.name,
                "OriginAccessControl",
            )
        })?;
        Ok(vec![(OutputKey::Id, id)])
    }

    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("OriginAccessControlAlreadyExists")
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
            .update_origin_access_control()
            .id(&id)
            .if_match(etag)
            .origin_access_control_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:UpdateOriginAccessControl", &self.p.name, e))?;
        Ok((Change::Update { diff }, vec![(OutputKey::Id, id)]))
    }

    async fn delete(&self, ctx: &Ctx, (id, _): Self::Live) -> Result<Change, Error> {
        let etag = match self.etag(ctx, &id).await {
            Ok(e) => e,
            Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchOriginAccessControl") => {
                return Ok(Change::Absent);
            }
            Err(e) => return Err(e),
        };
        match ctx
            .clients
            .cloudfront
            .delete_origin_access_control()
            .id(&id)
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchOriginAccessControl") => Ok(Change::Absent),
            Err(e) => Err(aws_error(
                "cloudfront:DeleteOriginAccessControl",
                &self.p.name,
                e,
            )),
        }
    }
}

pub(crate) fn oac_config(
    p: &OacParams,
    pipeline: &str,
) -> Result<OriginAccessControlConfig, BuildError> {
    OriginAccessControlConfig::builder()
        .name(&p.name)
        .description(super::policy_comment(pipeline))
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
    let mut d = Lines(Vec::new());
    d.cmp(
        "origin_type",
        live_type.as_str(),
        want.origin_access_control_origin_type.as_str(),
    );
    d.cmp(
        "signing_behavior",
        live_behavior.as_str(),
        want.signing_behavior.as_str(),
    );
    d.cmp(
        "signing_protocol",
        live_protocol.as_str(),
        want.signing_protocol.as_str(),
    );
    d.0
}

pub(super) async fn exists(ctx: &Ctx, name: &str) -> Result<bool, Error> {
    Ok(find_oac(ctx, name).await?.is_some())
}

async fn find_oac(ctx: &Ctx, name: &str) -> Result<Option<OriginAccessControlSummary>, Error> {
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
