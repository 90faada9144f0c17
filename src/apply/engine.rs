//! Runs a plan's dependency graph: independent steps concurrently, a bound per service.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;

use super::{Change, Deployment, Event, StepSummary};
use crate::aws::{self, Ctx, Mode, StepReport};
use crate::error::Error;
use crate::plan::{Params, Plan, Service, Step, StepId};

pub(crate) async fn apply(plan: &Plan, ctx: &Ctx) -> Result<Deployment, Error> {
    let steps = run_forward(plan, ctx, Mode::Apply).await?;
    Ok(super::deployment(plan, ctx, steps))
}

pub(crate) async fn destroy(plan: &Plan, ctx: &Ctx) -> Result<Deployment, Error> {
    // Reverse dependencies: a step is torn down once every step that depends on it is.
    let mut dependents: HashMap<&StepId, Vec<&StepId>> = HashMap::new();
    for s in &plan.steps {
        for d in &s.depends_on {
            dependents.entry(d).or_default().push(&s.id);
        }
    }
    let order: Vec<&Step> = plan.steps.iter().rev().collect();
    let deps = |s: &'_ Step| dependents.get(&s.id).cloned().unwrap_or_default();
    let steps = run(&order, ctx, deps, |ctx, step| {
        Box::pin(aws_destroy(ctx, step))
    })
    .await?;
    let mut by_plan_order = steps;
    by_plan_order.reverse();
    Ok(super::deployment(plan, ctx, by_plan_order))
}

pub(crate) async fn run_forward(
    plan: &Plan,
    ctx: &Ctx,
    mode: Mode,
) -> Result<Vec<StepSummary>, Error> {
    let order: Vec<&Step> = plan.steps.iter().collect();
    fn deps(s: &Step) -> Vec<&StepId> {
        s.depends_on.iter().collect()
    }
    run(&order, ctx, deps, move |ctx, step| {
        Box::pin(dispatch(ctx, step, mode))
    })
    .await
}

type StepFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<StepReport, Error>> + Send + 'a>>;

async fn run<'a, D, F>(
    order: &[&'a Step],
    ctx: &'a Ctx,
    deps: D,
    exec: F,
) -> Result<Vec<StepSummary>, Error>
where
    D: Fn(&'a Step) -> Vec<&'a StepId>,
    F: Fn(&'a Ctx, &'a Step) -> StepFuture<'a>,
{
    // A configured endpoint that accepts no connection fails here, named, before any call.
    ctx.clients.check_endpoint().await?;
    let permits = ctx.options.concurrency_per_service.max(1);
    let mut semaphores: HashMap<Service, Arc<Semaphore>> = HashMap::new();
    let mut pending: Vec<&Step> = order.to_vec();
    let mut done: HashMap<&StepId, (Change, u64)> = HashMap::new();
    let mut failed: HashSet<&StepId> = HashSet::new();
    let mut first_error: Option<Error> = None;
    let mut running = FuturesUnordered::new();

    loop {
        if first_error.is_none() {
            let (ready, rest): (Vec<&Step>, Vec<&Step>) = pending
                .into_iter()
                .partition(|s| deps(s).iter().all(|d| done.contains_key(d)));
            pending = rest;
            for step in ready {
                let sem = semaphores
                    .entry(step.service)
                    .or_insert_with(|| Arc::new(Semaphore::new(permits)))
                    .clone();
                let fut = exec(ctx, step);
                running.push(async move {
                    let _permit = sem.acquire_owned().await;
                    ctx.emit(Event::StepStarted {
                        step: step.id.clone(),
                        action: step.action(),
                    });
                    let started = Instant::now();
                    // Every HTTP attempt the step's SDK calls make is counted (see aws::CallCounter).
                    let calls = Arc::new(AtomicU64::new(0));
                    let r = aws::STEP_CALLS.scope(calls.clone(), fut).await;
                    (step, r, started.elapsed(), calls.load(Ordering::Relaxed))
                });
            }
        }
        let Some((step, result, elapsed, calls)) = running.next().await else {
            break;
        };
        match result {
            Ok(report) => {
                // Later steps (the invalidation) need to know what changed.
                ctx.record(&step.id, &report.change, &report.outputs);
                ctx.emit(Event::StepFinished {
                    step: step.id.clone(),
                    change: report.change.clone(),
                    elapsed_ms: elapsed.as_millis() as u64,
                    calls,
                });
                done.insert(&step.id, (report.change, calls));
            }
            Err(e) => {
                ctx.emit(Event::StepFailed {
                    step: step.id.clone(),
                    error: e.to_string(),
                });
                failed.insert(&step.id);
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        for s in pending {
            ctx.emit(Event::StepSkipped {
                step: s.id.clone(),
                reason: "an earlier step failed".into(),
            });
        }
        return Err(e);
    }
    if let Some(s) = pending.first() {
        return Err(Error::internal(
            &s.id,
            "its dependencies never finished (a cycle in the plan?)",
        ));
    }
    Ok(order
        .iter()
        .map(|s| {
            let (change, calls) = done.remove(&s.id).unwrap_or((Change::NoOp, 0));
            StepSummary {
                id: s.id.clone(),
                action: s.action(),
                change,
                calls,
            }
        })
        .collect())
}

async fn dispatch(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    // The sweeps of what left the spec span services (`aws::orphans`).
    match &step.params {
        Params::OrphanedOutput(p) => return aws::orphans::run(ctx, step, p, mode).await,
        Params::Unused(p) => return aws::orphans::run_unused(ctx, step, p, mode).await,
        _ => {}
    }
    match step.service {
        Service::S3 => aws::s3::run(ctx, step, mode).await,
        Service::Mediaconvert => aws::mediaconvert::run(ctx, step, mode).await,
        Service::Mediastore | Service::MediastoreData => {
            aws::mediastore::run(ctx, step, mode).await
        }
        Service::Cloudfront => aws::cloudfront::run(ctx, step, mode).await,
    }
}

async fn aws_destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match step.service {
        Service::S3 => aws::s3::destroy(ctx, step).await,
        Service::Mediaconvert => aws::mediaconvert::destroy(ctx, step).await,
        Service::Mediastore | Service::MediastoreData => aws::mediastore::destroy(ctx, step).await,
        Service::Cloudfront => aws::cloudfront::destroy(ctx, step).await,
    }
}
