//! CloudFront: origin access control, cache and response headers policies, the distribution and
//! invalidations of republished assets.
//!
//! Nothing is remembered locally. Policies and the origin access control are found by name; the
//! distribution by its comment and the tag `vod-pipeline:pipeline`. Every update reads the live
//! config and its `ETag` first and sends `If-Match`; a distribution update that loses a race
//! (`PreconditionFailed`) is re-read and tried once more.

mod cache_policy;
mod config;
pub(crate) mod diff;
mod oac;
#[cfg(test)]
mod policies_tests;
mod response_headers_policy;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types::{
    DistributionConfig, DistributionConfigWithTags, DistributionSummary, InvalidationBatch, Paths,
    Tag, Tags,
};
use aws_smithy_types::error::operation::BuildError;

use super::{Ctx, Mode, StepReport, aws_error, error_code, reconcile};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::{
    Deferred, DistributionParams, InvalidationParams, OutputKey, Params, Step, StepId,
};

pub(crate) use config::{Resolved, desired_config};

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
        Params::Distribution(p) => run_distribution(ctx, step, p, mode).await,
        Params::Invalidation(p) => run_invalidation(ctx, step, p, mode).await,
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
        Params::Distribution(p) => destroy_distribution(ctx, step, p).await,
        // An invalidation is not a resource: nothing to delete.
        Params::Invalidation(_) => Ok(StepReport::new(Change::Absent)),
        _ => Err(Error::internal(&step.id, "not a CloudFront step")),
    }
}

// ---------------------------------------------------------------------------------------------
// Distribution.

// `Error` is as large as src/error.rs makes it; these plain helpers return it like the async ones.
fn resolve_value(
    ctx: &Ctx,
    step: &Step,
    value: &Deferred<String>,
    mode: Mode,
) -> Result<String, Error> {
    Ok(ctx
        .value(step, value, mode)?
        .unwrap_or_else(|| KNOWN_AFTER_APPLY.to_owned()))
}

fn resolve_all(
    ctx: &Ctx,
    step: &Step,
    p: &DistributionParams,
    mode: Mode,
) -> Result<Resolved, Error> {
    let b = &p.default_cache_behavior;
    Ok(Resolved {
        origin_domain: resolve_value(ctx, step, &p.origin.domain_name, mode)?,
        oac_id: resolve_value(ctx, step, &p.origin.origin_access_control_id, mode)?,
        cache_policy_id: b
            .cache_policy_id
            .as_ref()
            .map(|t| resolve_value(ctx, step, t, mode))
            .transpose()?,
        response_headers_policy_id: b
            .response_headers_policy_id
            .as_ref()
            .map(|t| resolve_value(ctx, step, t, mode))
            .transpose()?,
    })
}

async fn is_ours(ctx: &Ctx, arn: &str) -> Result<bool, Error> {
    match ctx
        .clients
        .cloudfront
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .tags
            .and_then(|t| t.items)
            .unwrap_or_default()
            .iter()
            .any(|t| {
                t.key == crate::names::PIPELINE_TAG
                    && t.value.as_deref() == Some(ctx.pipeline.as_str())
            })),
        // Deleted while we looked.
        Err(e) if error_code(&e) == Some("NoSuchResource") => Ok(false),
        Err(e) => Err(aws_error("cloudfront:ListTagsForResource", arn, e)),
    }
}

/// The pipeline's distribution: candidates with the planned comment first, confirmed by the tag;
/// when none of them carries it (the comment was changed), every distribution's tags are checked.
async fn find_distribution(ctx: &Ctx, comment: &str) -> Result<Option<DistributionSummary>, Error> {
    let mut all = Vec::new();
    let mut items = ctx
        .clients
        .cloudfront
        .list_distributions()
        .into_paginator()
        .items()
        .send();
    while let Some(item) = items.next().await {
        all.push(item.map_err(|e| aws_error("cloudfront:ListDistributions", comment, e))?);
    }
    let (by_comment, others): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|d| d.comment == comment);
    for d in by_comment.into_iter().chain(others) {
        if is_ours(ctx, &d.arn).await? {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

async fn get_config(ctx: &Ctx, id: &str) -> Result<(DistributionConfig, String), Error> {
    let out = ctx
        .clients
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:GetDistributionConfig", id, e))?;
    let config = out
        .distribution_config
        .ok_or_else(|| missing("cloudfront:GetDistributionConfig", id, "DistributionConfig"))?;
    let etag = out
        .e_tag
        .ok_or_else(|| missing("cloudfront:GetDistributionConfig", id, "ETag"))?;
    Ok((config, etag))
}

/// Polls `GetDistribution` until the status is `Deployed`, emitting each status seen.
async fn wait_deployed(ctx: &Ctx, step: &Step, id: &str) -> Result<String, Error> {
    let started = Instant::now();
    let mut interval = ctx.options.poll_interval.max(Duration::from_millis(1));
    loop {
        let out = ctx
            .clients
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetDistribution", id, e))?;
        let status = out.distribution.map(|d| d.status).unwrap_or_default();
        ctx.emit(Event::DistributionStatus {
            step: step.id.clone(),
            id: id.to_owned(),
            status: status.clone(),
        });
        if status == "Deployed" {
            return Ok(status);
        }
        let waited = started.elapsed();
        if waited >= ctx.options.deploy_timeout {
            return Err(Error::Timeout {
                what: format!("CloudFront distribution {id} to be Deployed (last status {status})"),
                waited_secs: waited.as_secs(),
            });
        }
        tokio::time::sleep(interval.min(ctx.options.deploy_timeout - waited)).await;
        interval = (interval * 2).min(ctx.options.max_poll_interval.max(ctx.options.poll_interval));
    }
}

struct DistOutputs {
    id: String,
    arn: String,
    domain_name: String,
    status: String,
    etag: String,
}

impl DistOutputs {
    fn report(self, change: Change) -> StepReport {
        StepReport::new(change)
            .output(OutputKey::Id, self.id)
            .output(OutputKey::Arn, self.arn)
            .output(OutputKey::DomainName, self.domain_name)
            .output(OutputKey::Status, self.status)
            .output(OutputKey::Etag, self.etag)
    }
}

enum Updated {
    /// Updated: the diff that was applied, the new ETag and status.
    Done(Vec<String>, String, String),
    /// After a re-read the live config already matched; its ETag.
    AlreadyMatches(String),
}

/// `UpdateDistribution` with `If-Match`; on `PreconditionFailed` (someone changed the distribution
/// in between) the config is read again and the update tried once more.
async fn update_distribution(
    ctx: &Ctx,
    id: &str,
    desired: &DistributionConfig,
    mut live: DistributionConfig,
    mut etag: String,
    mut diff: Vec<String>,
) -> Result<Updated, Error> {
    let mut retried = false;
    loop {
        let merged = config::overlay(live, desired);
        match ctx
            .clients
            .cloudfront
            .update_distribution()
            .id(id)
            .if_match(&etag)
            .distribution_config(merged)
            .send()
            .await
        {
            Ok(out) => {
                let etag = out.e_tag.unwrap_or_default();
                let status = out.distribution.map(|d| d.status).unwrap_or_default();
                return Ok(Updated::Done(diff, etag, status));
            }
            Err(e) if error_code(&e) == Some("PreconditionFailed") && !retried => {
                retried = true;
                let (l, t) = get_config(ctx, id).await?;
                let d = diff::diff(&l, &config::overlay(l.clone(), desired));
                if d.is_empty() {
                    return Ok(Updated::AlreadyMatches(t));
                }
                (live, etag, diff) = (l, t, d);
            }
            Err(e) => return Err(aws_error("cloudfront:UpdateDistribution", id, e)),
        }
    }
}

async fn run_distribution(
    ctx: &Ctx,
    step: &Step,
    p: &DistributionParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let resolved = resolve_all(ctx, step, p, mode)?;
    let desired = desired_config(p, &resolved).map_err(|e| build_error(step, e))?;
    let wait = mode == Mode::Apply && ctx.options.wait_for_deployment;

    let Some(found) = find_distribution(ctx, &p.comment).await? else {
        if mode == Mode::Refresh {
            return Ok(StepReport::new(Change::Create));
        }
        let tags: Vec<Tag> = p
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| build_error(step, e))?;
        let create = |config: aws_sdk_cloudfront::types::DistributionConfig| {
            let with_tags = DistributionConfigWithTags::builder()
                .distribution_config(config)
                .tags(Tags::builder().set_items(Some(tags.clone())).build())
                .build();
            ctx.clients
                .cloudfront
                .create_distribution_with_tags()
                .distribution_config_with_tags(with_tags)
                .send()
        };
        let mut result = create(desired.clone()).await;
        if let Err(e) = &result
            && super::error_code(e) == Some("DistributionAlreadyExists")
        {
            // CloudFront remembers the CallerReference of a deleted distribution. No distribution of
            // this pipeline exists (none carries its tag), so this creation gets a reference of its own.
            let mut again = desired;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            again.caller_reference = format!("{}/{now}", again.caller_reference);
            result = create(again).await;
        }
        let out = result
            .map_err(|e| aws_error("cloudfront:CreateDistributionWithTags", &step.resource, e))?;
        let d = out.distribution.ok_or_else(|| {
            missing(
                "cloudfront:CreateDistributionWithTags",
                &step.resource,
                "Distribution",
            )
        })?;
        let mut o = DistOutputs {
            id: d.id,
            arn: d.arn,
            domain_name: d.domain_name,
            status: d.status,
            etag: out.e_tag.unwrap_or_default(),
        };
        if wait {
            o.status = wait_deployed(ctx, step, &o.id).await?;
        }
        return Ok(o.report(Change::Create));
    };

    let (live, etag) = get_config(ctx, &found.id).await?;
    let diff = diff::diff(&live, &config::overlay(live.clone(), &desired));
    let mut o = DistOutputs {
        id: found.id,
        arn: found.arn,
        domain_name: found.domain_name,
        status: found.status,
        etag,
    };
    let change = if diff.is_empty() {
        Change::NoOp
    } else if mode == Mode::Refresh {
        Change::Update { diff }
    } else {
        match update_distribution(ctx, &o.id, &desired, live, o.etag.clone(), diff).await? {
            Updated::Done(diff, etag, status) => {
                o.etag = etag;
                o.status = status;
                Change::Update { diff }
            }
            Updated::AlreadyMatches(etag) => {
                o.etag = etag;
                Change::NoOp
            }
        }
    };
    if wait && o.status != "Deployed" {
        o.status = wait_deployed(ctx, step, &o.id).await?;
    }
    Ok(o.report(change))
}

async fn destroy_distribution(
    ctx: &Ctx,
    step: &Step,
    p: &DistributionParams,
) -> Result<StepReport, Error> {
    let Some(found) = find_distribution(ctx, &p.comment).await? else {
        return Ok(StepReport::new(Change::Absent));
    };
    let id = found.id;
    let gone =
        |e: &Error| matches!(e, Error::Aws(a) if a.code.as_deref() == Some("NoSuchDistribution"));
    let (mut live, mut etag) = match get_config(ctx, &id).await {
        Ok(v) => v,
        Err(e) if gone(&e) => return Ok(StepReport::new(Change::Absent)),
        Err(e) => return Err(e),
    };
    // A distribution must be disabled, and deployed so, before it can be deleted.
    let mut retried = false;
    while live.enabled {
        let mut disabled = live.clone();
        disabled.enabled = false;
        match ctx
            .clients
            .cloudfront
            .update_distribution()
            .id(&id)
            .if_match(&etag)
            .distribution_config(disabled)
            .send()
            .await
        {
            Ok(out) => {
                etag = out
                    .e_tag
                    .ok_or_else(|| missing("cloudfront:UpdateDistribution", &id, "ETag"))?;
                break;
            }
            Err(e) if error_code(&e) == Some("PreconditionFailed") && !retried => {
                retried = true;
                (live, etag) = get_config(ctx, &id).await?;
            }
            Err(e) => return Err(aws_error("cloudfront:UpdateDistribution", &id, e)),
        }
    }
    wait_deployed(ctx, step, &id).await?;
    match ctx
        .clients
        .cloudfront
        .delete_distribution()
        .id(&id)
        .if_match(&etag)
        .send()
        .await
    {
        Ok(_) => Ok(StepReport::new(Change::Delete)),
        Err(e) if error_code(&e) == Some("NoSuchDistribution") => {
            Ok(StepReport::new(Change::Absent))
        }
        Err(e) => Err(aws_error("cloudfront:DeleteDistribution", &id, e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Invalidation.

/// The MediaConvert job step behind an asset's publishing step.
fn job_step(publish_step: &StepId) -> StepId {
    match publish_step {
        StepId::Copy(asset) => StepId::Job(asset.clone()),
        other => other.clone(),
    }
}

/// The paths to invalidate: those of assets whose publishing step created or updated something,
/// and only when the distribution existed before this run (a new one has nothing cached).
fn paths_to_invalidate(ctx: &Ctx, p: &InvalidationParams) -> Vec<String> {
    if ctx.change(&StepId::Distribution) == Some(Change::Create) {
        return Vec::new();
    }
    p.assets
        .iter()
        .filter(|a| {
            matches!(
                ctx.change(&a.step),
                Some(Change::Create | Change::Update { .. })
            )
        })
        .map(|a| a.path.clone())
        .collect()
}

/// Derived from the pipeline, the paths and the job ids: the same republication is invalidated once.
fn invalidation_caller_reference(ctx: &Ctx, p: &InvalidationParams, paths: &[String]) -> String {
    let mut text = ctx.pipeline.clone();
    for a in p.assets.iter().filter(|a| paths.contains(&a.path)) {
        text.push('\0');
        text.push_str(&a.path);
        text.push('\0');
        text.push_str(
            &ctx.output(&job_step(&a.step), OutputKey::JobId)
                .unwrap_or_default(),
        );
    }
    format!(
        "vod-pipeline/{}/invalidation/{:016x}",
        ctx.pipeline,
        crate::names::fnv1a64(text.as_bytes())
    )
}

async fn run_invalidation(
    ctx: &Ctx,
    step: &Step,
    p: &InvalidationParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    if mode == Mode::Refresh {
        return Ok(StepReport::new(Change::NoOp));
    }
    let paths = paths_to_invalidate(ctx, p);
    if paths.is_empty() {
        return Ok(StepReport::new(Change::NoOp));
    }
    let distribution_id = ctx.require(step, &p.distribution_id)?;
    let batch = InvalidationBatch::builder()
        .caller_reference(invalidation_caller_reference(ctx, p, &paths))
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths))
                .build()
                .map_err(|e| build_error(step, e))?,
        )
        .build()
        .map_err(|e| build_error(step, e))?;
    let out = ctx
        .clients
        .cloudfront
        .create_invalidation()
        .distribution_id(&distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:CreateInvalidation", &distribution_id, e))?;
    let mut report = StepReport::new(Change::Create);
    if let Some(inv) = out.invalidation {
        report = report.output(OutputKey::Id, inv.id);
    }
    Ok(report)
}

/// The description every policy this crate creates carries.
fn policy_comment(pipeline: &str) -> String {
    format!("vod-pipeline {pipeline}")
}
