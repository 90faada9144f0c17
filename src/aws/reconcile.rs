//! The read-diff-write cycle, once for every resource: a [`Resource`] says how to read, compare,
//! create, update and delete one AWS resource; [`apply`] and [`destroy`] drive it in every mode.
//!
//! - Apply: read; create when absent, update when it differs, nothing when it matches.
//! - Refresh: read; report what apply would do, and call nothing that writes.
//! - Destroy: read; delete when present.

use super::{Ctx, Mode, StepReport};
use crate::apply::event::Change;
use crate::error::Error;
use crate::plan::OutputKey;

/// Values a resource makes known to later steps, such as its id.
pub(crate) type Outputs = Vec<(OutputKey, String)>;

/// One AWS resource a step manages.
pub(crate) trait Resource {
    /// What reading the live resource gives (its id, its configuration, an ETag ...).
    type Live;

    /// Reads the live resource; `None` when it does not exist.
    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error>;

    /// What differs between the live resource and the wanted one, one line per field, such as
    /// `max_ttl: 86400 -> 31536000`; empty when they match.
    fn diff(&self, live: &Self::Live) -> Vec<String>;

    /// The outputs of an existing resource.
    fn outputs(&self, live: &Self::Live) -> Outputs;

    /// Creates the resource; returns its outputs.
    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error>;

    /// Updates the live resource to the wanted one; returns its outputs.
    async fn update(&self, ctx: &Ctx, live: Self::Live) -> Result<Outputs, Error>;

    /// Deletes the live resource: [`Change::Delete`], or [`Change::Absent`] when it went away in
    /// the meantime.
    async fn delete(&self, ctx: &Ctx, live: Self::Live) -> Result<Change, Error>;
}

fn report(change: Change, outputs: Outputs) -> StepReport {
    StepReport { change, outputs }
}

/// Apply or refresh one resource.
pub(crate) async fn apply<R: Resource>(
    ctx: &Ctx,
    resource: &R,
    mode: Mode,
) -> Result<StepReport, Error> {
    let Some(live) = resource.read(ctx).await? else {
        return match mode {
            Mode::Refresh => Ok(StepReport::new(Change::Create)),
            Mode::Apply => Ok(report(Change::Create, resource.create(ctx).await?)),
        };
    };
    let diff = resource.diff(&live);
    if diff.is_empty() {
        return Ok(report(Change::NoOp, resource.outputs(&live)));
    }
    let outputs = match mode {
        Mode::Refresh => resource.outputs(&live),
        Mode::Apply => resource.update(ctx, live).await?,
    };
    Ok(report(Change::Update { diff }, outputs))
}

/// Destroy one resource; destroying what is already gone succeeds ([`Change::Absent`]).
pub(crate) async fn destroy<R: Resource>(ctx: &Ctx, resource: &R) -> Result<StepReport, Error> {
    match resource.read(ctx).await? {
        None => Ok(StepReport::new(Change::Absent)),
        Some(live) => Ok(StepReport::new(resource.delete(ctx, live).await?)),
    }
}
