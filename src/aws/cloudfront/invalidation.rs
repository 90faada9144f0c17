//! The invalidation of republished assets: only the paths of assets whose publishing step updated
//! something (changed content or settings), and only on a distribution that existed before this run
//! (a new one has nothing cached). A new asset is not invalidated: nothing of it can be cached but an
//! error response, which CloudFront keeps for the error caching minimum TTL (5 s or less, as the spec
//! recommends); invalidating every new asset would spend CloudFront's in-progress quota and its
//! free invalidation paths for nothing. Not a resource: there is nothing to read back or delete.

use crate::apply::event::Change;
use crate::aws::{Ctx, Mode, StepReport};
use crate::error::Error;
use crate::plan::{InvalidationParams, OutputKey, Step, StepId};

/// The paths to invalidate: those of assets whose publishing step updated something, and only when
/// the distribution existed before this run.
fn paths_to_invalidate(ctx: &Ctx, p: &InvalidationParams) -> Vec<String> {
    if ctx.change(&StepId::Distribution) == Some(Change::Create) {
        return Vec::new();
    }
    p.assets
        .iter()
        .filter(|a| matches!(ctx.change(&a.step), Some(Change::Update { .. })))
        .map(|a| a.path.clone())
        .collect()
}

pub(super) async fn run(
    ctx: &Ctx,
    step: &Step,
    p: &InvalidationParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let paths = paths_to_invalidate(ctx, p);
    if paths.is_empty() {
        return Ok(StepReport::new(Change::NoOp));
    }
    if mode == Mode::Refresh {
        // Apply would invalidate the paths of the assets it would publish again.
        return Ok(StepReport::new(Change::Create));
    }
    let distribution_id = ctx.require(step, &p.distribution_id)?;
    // Batched with other invalidations of the distribution (see `batch`), so many publishes at
    // once stay within CloudFront's limits of invalidations in progress.
    let id = ctx.invalidate(&distribution_id, paths).await?;
    Ok(StepReport::new(Change::Create).output(OutputKey::Id, id))
}
