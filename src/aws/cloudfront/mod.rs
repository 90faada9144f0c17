//! CloudFront: origin access control, cache and response headers policies, the public keys and key
//! group of private content, the distribution and invalidations of republished assets.
//!
//! Nothing is remembered locally. Policies and the origin access control are found by name; the
//! distribution by its comment and the tag `vod-pipeline:pipeline`. Every update reads the live
//! config and its `ETag` first and sends `If-Match`; a distribution update that loses a race
//! (`PreconditionFailed`) is re-read and tried once more.

pub(crate) mod batch;
mod cache_policy;
mod config;
pub(crate) mod diff;
mod distribution;
mod invalidation;
mod key_group;
mod oac;
#[cfg(test)]
mod policies_tests;
mod response_headers_policy;
#[cfg(test)]
mod tests;
pub(crate) mod unused;

use aws_smithy_types::error::operation::BuildError;

use super::{Ctx, Mode, StepReport, aws_error, reconcile};
use crate::apply::event::Change;
use crate::aws::reconcile::Resource as _;
use crate::error::Error;
use crate::plan::{Params, Step, StepId};
use distribution::Distribution;
#[cfg(test)]
use distribution::wait_deployed;

#[cfg(test)]
use config::{Resolved, desired_config};

/// What a value that an earlier step has yet to create shows as in a refresh diff.
const KNOWN_AFTER_APPLY: &str = "(known after apply)";

fn build_error(step: &Step, e: BuildError) -> Error {
    Error::internal(
        &step.id,
        format!("cannot build the CloudFront request: {e}"),
    )
}

fn missing(operation: &str, resource: &str, what: &str) -> Error {
    Error::IncompleteResponse {
        operation: operation.to_owned(),
        resource: resource.to_owned(),
        field: what.to_owned(),
    }
}

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    match &step.params {
        Params::OriginAccessControl(p) => {
            reconcile::apply(ctx, &oac::Oac::new(ctx, step, p)?, mode).await
        }
        Params::CachePolicy(p) => {
            reconcile::apply(ctx, &cache_policy::CachePolicy::new(step, p)?, mode).await
        }
        Params::ResponseHeadersPolicy(p) => {
            let policy = response_headers_policy::ResponseHeadersPolicy::new(step, p)?;
            reconcile::apply(ctx, &policy, mode).await
        }
        Params::PublicKey(p) => {
            reconcile::apply(ctx, &key_group::PublicKey::new(ctx, step, p)?, mode).await
        }
        Params::KeyGroup(p) => {
            reconcile::apply(ctx, &key_group::KeyGroup::new(ctx, step, p, mode)?, mode).await
        }
        Params::Distribution(p) => {
            reconcile::apply(ctx, &Distribution::new(ctx, step, p, mode)?, mode).await
        }
        Params::Invalidation(p) => invalidation::run(ctx, step, p, mode).await,
        Params::ExistingDistribution(p) => {
            // Read only, in every mode: the distribution an earlier apply made, if any.
            let mut report = StepReport::new(Change::NoOp);
            if let Some(d) = distribution::find_distribution(ctx, &p.comment).await? {
                report = report
                    .output(crate::plan::OutputKey::Id, d.id)
                    .output(crate::plan::OutputKey::Arn, d.arn);
            }
            Ok(report)
        }
        _ => Err(Error::internal(&step.id, "not a CloudFront step")),
    }
}

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match &step.params {
        Params::OriginAccessControl(p) => {
            reconcile::destroy(ctx, &oac::Oac::new(ctx, step, p)?).await
        }
        Params::CachePolicy(p) => {
            reconcile::destroy(ctx, &cache_policy::CachePolicy::new(step, p)?).await
        }
        Params::ResponseHeadersPolicy(p) => {
            let policy = response_headers_policy::ResponseHeadersPolicy::new(step, p)?;
            reconcile::destroy(ctx, &policy).await
        }
        Params::PublicKey(p) => {
            reconcile::destroy(ctx, &key_group::PublicKey::new(ctx, step, p)?).await
        }
        Params::KeyGroup(p) => {
            let group = key_group::KeyGroup::new(ctx, step, p, Mode::Refresh)?;
            reconcile::destroy(ctx, &group).await
        }
        Params::Distribution(p) => {
            // Destroy does not need the values of other steps: a value not known shows as such.
            let distribution = Distribution::new(ctx, step, p, Mode::Refresh)?;
            match distribution.read(ctx).await? {
                Some(live) => Ok(StepReport::new(distribution.delete(ctx, live).await?)),
                // Not listed, but an apply got as far as the origin access control: the
                // distribution may have been created moments ago, so look again over the listing
                // lag before calling it absent (the OAC could not be deleted while it is in use).
                None if distribution::may_be_unlisted(ctx, p).await? => {
                    reconcile::destroy(ctx, &distribution).await
                }
                None => Ok(StepReport::new(Change::Absent)),
            }
        }
        // An invalidation is not a resource: nothing to delete.
        Params::Invalidation(_) => Ok(StepReport::new(Change::Absent)),
        // A read, and a sweep of what the spec left: nothing of their own to delete (destroy
        // deletes the spec's origin through its own steps).
        Params::ExistingDistribution(_) | Params::Unused(_) => Ok(StepReport::new(Change::Absent)),
        _ => Err(Error::internal(&step.id, "not a CloudFront step")),
    }
}

/// Deletes the pipeline's origin access control of `origin_type` (named as the plan names it),
/// with `If-Match`: [`Change::Delete`], or [`Change::Absent`] when there is none.
pub(crate) async fn delete_oac(
    ctx: &Ctx,
    step: &Step,
    name: &str,
    origin_type: crate::spec::model::OriginKind,
) -> Result<Change, Error> {
    let p = crate::plan::OacParams {
        name: name.to_owned(),
        origin_type,
        signing_behavior: crate::plan::SigningBehavior::Always,
        signing_protocol: crate::plan::SigningProtocol::Sigv4,
    };
    Ok(reconcile::destroy(ctx, &oac::Oac::new(ctx, step, &p)?)
        .await?
        .change)
}

/// Whether an origin access control named `name` exists.
pub(crate) async fn oac_exists(ctx: &Ctx, name: &str) -> Result<bool, Error> {
    oac::exists(ctx, name).await
}

/// The description every policy this crate creates carries.
fn policy_comment(pipeline: &str) -> String {
    format!("vod-pipeline {pipeline}")
}

/// Custom cache policies, and custom response headers policies, an account may have by default
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies>).
/// AWS raises it on request, so refresh warns rather than refuses.
pub(crate) const DEFAULT_POLICY_QUOTA: usize = 20;

/// Warnings for the policies an apply would create (`creates`: the steps refresh marks as creates)
/// when the account already has [`DEFAULT_POLICY_QUOTA`] custom policies of that kind.
pub(crate) async fn quota_warnings(ctx: &Ctx, creates: &[&StepId]) -> Result<Vec<String>, Error> {
    use aws_sdk_cloudfront::types::{CachePolicyType, ResponseHeadersPolicyType};
    let cf = &ctx.clients.cloudfront;
    let mut warnings = Vec::new();
    if creates.contains(&&StepId::CachePolicy) {
        let n = cf
            .list_cache_policies()
            .r#type(CachePolicyType::Custom)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListCachePolicies", "custom", e))?
            .cache_policy_list
            .map_or(0, |l| l.quantity.max(0) as usize);
        if n >= DEFAULT_POLICY_QUOTA {
            warnings.push(format!(
                "the account has {n} custom cache policies and apply would create one more, above CloudFront's default quota of {DEFAULT_POLICY_QUOTA}: the create will fail with TooManyCachePolicies unless the quota was raised (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies)"
            ));
        }
    }
    if creates.contains(&&StepId::ResponseHeadersPolicy) {
        let n = cf
            .list_response_headers_policies()
            .r#type(ResponseHeadersPolicyType::Custom)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListResponseHeadersPolicies", "custom", e))?
            .response_headers_policy_list
            .map_or(0, |l| l.quantity.max(0) as usize);
        if n >= DEFAULT_POLICY_QUOTA {
            warnings.push(format!(
                "the account has {n} custom response headers policies and apply would create one more, above CloudFront's default quota of {DEFAULT_POLICY_QUOTA}: the create will fail with TooManyResponseHeadersPolicies unless the quota was raised (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies)"
            ));
        }
    }
    Ok(warnings)
}
