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

    /// Whether `create` failed because the resource exists now: another run (a second deploy job,
    /// another process) created it between this run's read and its create. The driver then reads it
    /// again and carries on with it. No by default.
    fn created_meanwhile(&self, _error: &Error) -> bool {
        false
    }

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
            Mode::Apply => match resource.create(ctx).await {
                Ok(outputs) => (Change::Create, outputs),
                Err(e) if resource.created_meanwhile(&e) => match resource.read(ctx).await? {
                    Some(live) => reconcile_existing(ctx, resource, live, mode).await?,
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            },
        },
        Some(live) => reconcile_existing(ctx, resource, live, mode).await?,
    };
    match mode {
        Mode::Refresh => Ok(report(change, outputs)),
        Mode::Apply => Ok(report(change, resource.ready(ctx, outputs).await?)),
    }
}

/// What to do with a resource that exists: nothing when it matches, else update (apply) or report.
async fn reconcile_existing<R: Resource>(
    ctx: &Ctx,
    resource: &R,
    live: R::Live,
    mode: Mode,
) -> Result<(Change, Outputs), Error> {
    let diff = resource.diff(&live);
    Ok(match mode {
        _ if diff.is_empty() => (Change::NoOp, resource.outputs(&live)),
        Mode::Refresh => (Change::Update { diff }, resource.outputs(&live)),
        Mode::Apply => resource.update(ctx, live, diff).await?,
    })
}

/// Destroy one resource; destroying what is already gone succeeds ([`Change::Absent`]).
pub(crate) async fn destroy<R: Resource>(ctx: &Ctx, resource: &R) -> Result<StepReport, Error> {
    match resource.read(ctx).await? {
        None => Ok(StepReport::new(Change::Absent)),
        Some(live) => Ok(StepReport::new(resource.delete(ctx, live).await?)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::aws::test_support::{Rules, mock_ctx};

    /// A resource in memory: `live` is what AWS holds, `want` what the step asks for. Every call is
    /// recorded, so a test can tell which ones the driver made.
    struct Fake {
        live: Mutex<Option<u32>>,
        want: u32,
        calls: Mutex<Vec<&'static str>>,
        /// `create` loses a race: another run creates the resource first.
        loses_race: bool,
    }

    impl Fake {
        fn new(live: Option<u32>, want: u32) -> Self {
            Self {
                live: Mutex::new(live),
                want,
                calls: Mutex::new(Vec::new()),
                loses_race: false,
            }
        }
        fn call(&self, name: &'static str) {
            self.calls.lock().unwrap().push(name);
        }
        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl Resource for Fake {
        type Live = u32;

        async fn read(&self, _: &Ctx) -> Result<Option<u32>, Error> {
            self.call("read");
            Ok(*self.live.lock().unwrap())
        }
        fn diff(&self, live: &u32) -> Vec<String> {
            if *live == self.want {
                Vec::new()
            } else {
                vec![format!("value: {live} -> {}", self.want)]
            }
        }
        fn outputs(&self, live: &u32) -> Outputs {
            vec![(OutputKey::Id, live.to_string())]
        }
        fn known_outputs(&self) -> Outputs {
            vec![(OutputKey::Name, "fake".into())]
        }
        async fn create(&self, _: &Ctx) -> Result<Outputs, Error> {
            self.call("create");
            *self.live.lock().unwrap() = Some(self.want);
            if self.loses_race {
                return Err(Error::Conflict {
                    resource: "fake".into(),
                    reason: "already exists".into(),
                });
            }
            Ok(self.outputs(&self.want))
        }
        fn created_meanwhile(&self, e: &Error) -> bool {
            matches!(e, Error::Conflict { reason, .. } if reason == "already exists")
        }
        async fn update(
            &self,
            _: &Ctx,
            _: u32,
            diff: Vec<String>,
        ) -> Result<(Change, Outputs), Error> {
            self.call("update");
            *self.live.lock().unwrap() = Some(self.want);
            Ok((Change::Update { diff }, self.outputs(&self.want)))
        }
        async fn ready(&self, _: &Ctx, mut outputs: Outputs) -> Result<Outputs, Error> {
            self.call("ready");
            outputs.push((OutputKey::Status, "ready".into()));
            Ok(outputs)
        }
        async fn delete(&self, _: &Ctx, _: u32) -> Result<Change, Error> {
            self.call("delete");
            *self.live.lock().unwrap() = None;
            Ok(Change::Delete)
        }
    }

    fn ctx() -> Ctx {
        mock_ctx(Rules::default()).0
    }

    #[tokio::test]
    async fn refresh_reads_and_never_writes() {
        let ctx = ctx();
        for (live, change) in [
            (None, Change::Create),
            (Some(1), Change::NoOp),
            (
                Some(2),
                Change::Update {
                    diff: vec!["value: 2 -> 1".into()],
                },
            ),
        ] {
            let r = Fake::new(live, 1);
            let report = apply(&ctx, &r, Mode::Refresh).await.unwrap();
            assert_eq!(report.change, change, "{live:?}");
            assert_eq!(r.calls(), ["read"], "{live:?}");
        }
        // What apply would create reports what is known before it exists.
        let r = Fake::new(None, 1);
        let report = apply(&ctx, &r, Mode::Refresh).await.unwrap();
        assert_eq!(report.outputs, [(OutputKey::Name, "fake".to_owned())]);
    }

    #[tokio::test]
    async fn apply_creates_updates_or_leaves_alone_then_waits_until_ready() {
        let ctx = ctx();
        let r = Fake::new(None, 1);
        let report = apply(&ctx, &r, Mode::Apply).await.unwrap();
        assert_eq!(report.change, Change::Create);
        assert_eq!(r.calls(), ["read", "create", "ready"]);
        assert_eq!(
            report.outputs,
            [
                (OutputKey::Id, "1".to_owned()),
                (OutputKey::Status, "ready".to_owned())
            ]
        );

        let r = Fake::new(Some(2), 1);
        let report = apply(&ctx, &r, Mode::Apply).await.unwrap();
        assert_eq!(
            report.change,
            Change::Update {
                diff: vec!["value: 2 -> 1".into()]
            }
        );
        assert_eq!(r.calls(), ["read", "update", "ready"]);

        let r = Fake::new(Some(1), 1);
        let report = apply(&ctx, &r, Mode::Apply).await.unwrap();
        assert_eq!(report.change, Change::NoOp);
        assert_eq!(r.calls(), ["read", "ready"]);
    }

    #[tokio::test]
    async fn destroy_deletes_what_exists_and_succeeds_on_what_is_gone() {
        let ctx = ctx();
        let r = Fake::new(Some(1), 1);
        assert_eq!(destroy(&ctx, &r).await.unwrap().change, Change::Delete);
        assert_eq!(r.calls(), ["read", "delete"]);
        assert_eq!(destroy(&ctx, &r).await.unwrap().change, Change::Absent);
        assert_eq!(r.calls(), ["read", "delete", "read"]);
    }

    /// A create that fails because another run created the resource meanwhile reads it again and
    /// carries on: nothing left to change here.
    #[tokio::test]
    async fn a_create_that_lost_a_race_carries_on_with_the_winner() {
        let ctx = ctx();
        let r = Fake {
            loses_race: true,
            ..Fake::new(None, 1)
        };
        let report = apply(&ctx, &r, Mode::Apply).await.unwrap();
        assert_eq!(report.change, Change::NoOp);
        assert_eq!(r.calls(), ["read", "create", "read", "ready"]);
    }
}
