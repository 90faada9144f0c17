//! The read-diff-write cycle, once for every resource: a [`Resource`] says how to read, compare,
//! create, update and delete one AWS resource; [`apply`] and [`destroy`] drive it in every mode.
//!
//! - Apply: read; create when absent, update when it differs, nothing when it matches; then wait
//!   until it can be used.
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

    /// The outputs known before the resource exists (such as a bucket's name), which refresh
    /// reports for a resource apply would create.
    fn known_outputs(&self) -> Outputs {
        Vec::new()
    }

    /// Creates the resource; returns its outputs.
    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error>;

    /// Updates the live resource to the wanted one, given what [`Resource::diff`] found; returns
    /// what changed in the end (usually `Change::Update { diff }`) and the outputs.
    async fn update(
        &self,
        ctx: &Ctx,
        live: Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error>;

    /// Apply only, after create, update or nothing: waits until the resource can be used (a
    /// container `ACTIVE` with its endpoint) and returns its outputs then. Usable at once by default.
    async fn ready(&self, _ctx: &Ctx, outputs: Outputs) -> Result<Outputs, Error> {
        Ok(outputs)
    }

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
    let (change, outputs) = match resource.read(ctx).await? {
        None => match mode {
            Mode::Refresh => return Ok(report(Change::Create, resource.known_outputs())),
            Mode::Apply => (Change::Create, resource.create(ctx).await?),
        },
        Some(live) => {
            let diff = resource.diff(&live);
            match mode {
                Mode::Refresh if diff.is_empty() => (Change::NoOp, resource.outputs(&live)),
                Mode::Refresh => (Change::Update { diff }, resource.outputs(&live)),
                Mode::Apply if diff.is_empty() => (Change::NoOp, resource.outputs(&live)),
                Mode::Apply => resource.update(ctx, live, diff).await?,
            }
        }
    };
    match mode {
        Mode::Refresh => Ok(report(change, outputs)),
        Mode::Apply => Ok(report(change, resource.ready(ctx, outputs).await?)),
    }
}

/// Destroy one resource; destroying what is already gone succeeds ([`Change::Absent`]).
pub(crate) async fn destroy<R: Resource>(ctx: &Ctx, resource: &R) -> Result<StepReport, Error> {
    match resource.read(ctx).await? {
        None => Ok(StepReport::new(Change::Absent)),
        Some(live) => Ok(StepReport::new(resource.delete(ctx, live).await?)),
    }
}
