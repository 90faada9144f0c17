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

use aws_smithy_types::error::operation::BuildError;

use super::{Ctx, Mode, StepReport, reconcile};
use crate::apply::event::Change;
use crate::error::Error;
use crate::plan::{Params, Step};
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
            reconcile::apply(ctx, &cache_policy::CachePolicy::new(ctx, step, p)?, mode).await
        }
        Params::ResponseHeadersPolicy(p) => {
            let policy = response_headers_policy::ResponseHeadersPolicy::new(ctx, step, p)?;
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
        _ => Err(Error::internal(&step.id, "not a CloudFront step")),
    }
}

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match &step.params {
        Params::OriginAccessControl(p) => {
            reconcile::destroy(ctx, &oac::Oac::new(ctx, step, p)?).await
        }
        Params::CachePolicy(p) => {
            reconcile::destroy(ctx, &cache_policy::CachePolicy::new(ctx, step, p)?).await
        }
        Params::ResponseHeadersPolicy(p) => {
            let policy = response_headers_policy::ResponseHeadersPolicy::new(ctx, step, p)?;
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
            reconcile::destroy(ctx, &distribution).await
        }
        // An invalidation is not a resource: nothing to delete.
        Params::Invalidation(_) => Ok(StepReport::new(Change::Absent)),
        _ => Err(Error::internal(&step.id, "not a CloudFront step")),
    }
}

/// The description every policy this crate creates carries.
fn policy_comment(pipeline: &str) -> String {
    format!("vod-pipeline {pipeline}")
}
