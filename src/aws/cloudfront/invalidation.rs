//! The invalidation of republished assets: only the paths of assets whose publishing step created or
//! updated something, and only on a distribution that existed before this run (a new one has nothing
//! cached). Not a resource: there is nothing to read back or delete.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};

use super::build_error;
use crate::apply::event::Change;
use crate::aws::{Ctx, Mode, StepReport, aws_error};
use crate::error::Error;
use crate::plan::{InvalidationParams, OutputKey, Step, StepId};

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

pub(super) async fn run(
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
