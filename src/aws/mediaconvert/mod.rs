//! MediaConvert: one transcoding job per asset (`mediaconvert.job.<asset>`).
//!
//! A job is not a resource that stays: what lasts is its output in S3. So "live state" is a small
//! marker object that apply writes next to the output once a job has completed,
//! `s3://<bucket>/<prefix><asset>/.vod-pipeline-job.json`, holding the job's idempotency token (which
//! the plan derives from the pipeline, the asset and every setting), its id and when it completed:
//! - same token: the outputs exist for the same settings, nothing to do ([`Change::NoOp`]);
//! - another token, but the output already holds every output group the plan asks for, each made
//!   with the same settings (a format left the spec, nothing else changed): nothing to do
//!   ([`Change::NoOp`]); the marker records a token per output group ([`group_tokens`]) for this;
//! - another token otherwise: the settings changed, the asset is transcoded again ([`Change::Update`]);
//! - no marker: [`Change::Create`].
//!
//! The token also covers the source's content: the full-object checksum that the upload step (or,
//! for an object already in S3, the runtime client) makes known. Changed content under the same
//! asset id is transcoded again.
//!
//! Before creating a job, a publisher takes the asset's claim ([`claim`]): of several publishers of
//! the same content, exactly one starts the job and the others wait for it; an apply that crashed
//! while its job ran finds the job again through the claim.
//!
//! Polling `GetJob` goes through the clients' shared rate limit
//! ([`ApplyOptions::job_polls_per_second`](crate::ApplyOptions)), so that many jobs in flight do not
//! flood MediaConvert.
//!
//! Jobs go to the regional endpoint that the SDK resolves; `DescribeEndpoints` is deprecated and not
//! used (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/endpoints.html>).

pub(crate) mod claim;
pub(crate) mod settings;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_mediaconvert::types::{Job, JobStatus};
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::{JobParams, Params, Step};
use crate::plan::{OutputKey, StepId};

use crate::names::{JOB_MARKER, parse_s3_uri};

/// What the marker object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Marker {
    pub client_request_token: String,
    pub job_id: String,
    /// Unix seconds.
    pub completed: u64,
    /// The job's input, `s3://bucket/key` (absent in markers of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// When the job was created, Unix seconds (absent in markers of earlier versions): objects of
    /// the asset last written before it are not this job's output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_created: Option<u64>,
    /// The token of each output group alone, by destination ([`group_tokens`]; absent in markers
    /// of earlier versions and with a job template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, String>>,
}

impl Marker {
    /// Whether the output this marker describes holds every output group of `wanted` (destination
    /// to token), each made with the same settings: then a job that only drops groups is not needed.
    fn covers(&self, wanted: Option<&BTreeMap<String, String>>) -> bool {
        match (&self.groups, wanted) {
            (Some(have), Some(wanted)) if !wanted.is_empty() => wanted
                .iter()
                .all(|(dest, token)| have.get(dest) == Some(token)),
            _ => false,
        }
    }
}

/// An S3 object location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Where the marker lives: in the longest common folder of the output groups' parent folders, i.e.
/// `s3://<bucket>/<prefix><asset>/` for destinations `s3://<bucket>/<prefix><asset>/<format>/`.
pub(crate) fn marker_location(p: &JobParams) -> Option<S3Location> {
    let mut bucket: Option<&str> = None;
    let mut common: Option<Vec<&str>> = None;
    for g in &p.output_groups {
        let (b, key) = parse_s3_uri(&g.destination)?;
        if bucket.is_some_and(|x| x != b) {
            return None;
        }
        bucket = Some(b);
        // The folders of the destination, without the format's own folder (nor the base name
        // that a destination may end with).
        let mut dirs: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
        if !key.ends_with('/') {
            dirs.pop();
        }
        dirs.pop();
        common = Some(match common {
            None => dirs,
            Some(c) => c
                .iter()
                .zip(&dirs)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let dirs = common?;
    let mut key: String = dirs.iter().map(|d| format!("{d}/")).collect();
    key.push_str(JOB_MARKER);
    Some(S3Location {
        bucket: bucket?.to_owned(),
        key,
    })
}

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    let Params::Job(p) = &step.params else {
        return Err(Error::internal(
            &step.id,
            format!("mediaconvert cannot run a {} step", step.operation),
        ));
    };
    let marker = marker_location(p).ok_or_else(|| Error::Step {
        step: step.id.to_string(),
        message: "the output groups need s3:// destinations in one bucket".into(),
    })?;

    let token = effective_token(ctx, p);
    let groups = group_tokens(ctx, p);
    let change = match read_marker(ctx, &marker).await? {
        Some(Ok(m)) if m.client_request_token == token => {
            return Ok(StepReport::new(Change::NoOp)
                .output(OutputKey::JobId, m.job_id)
                .output(OutputKey::Status, JobStatus::Complete.as_str()));
        }
        // A format left the spec and what stays was made with the same settings (the sweep of
        // orphaned output deletes the format's folder). Apply records the job's output as what the
        // plan asks for now, so that a format put back later is transcoded again.
        Some(Ok(m)) if m.covers(groups.as_ref()) => {
            if mode == Mode::Apply {
                let narrowed = Marker {
                    client_request_token: token.clone(),
                    groups: groups.clone(),
                    ..m.clone()
                };
                put_marker(ctx, &marker, &narrowed).await?;
            }
            return Ok(StepReport::new(Change::NoOp)
                .output(OutputKey::JobId, m.job_id)
                .output(OutputKey::Status, JobStatus::Complete.as_str()));
        }
        Some(Ok(_)) => Change::Update {
            diff: vec![if token == p.client_request_token {
                "settings changed".into()
            } else {
                "settings or source content changed".into()
            }],
        },
        Some(Err(why)) => Change::Update {
            diff: vec![format!(
                "job marker {marker} unreadable ({why}): transcoding again"
            )],
        },
        None => Change::Create,
    };
    let claim_at = claim::location(&marker, &token);
    if mode == Mode::Refresh {
        // A job of these settings that failed, or still runs, is what a status must show.
        return Ok(StepReport::new(
            match claimed_job_state(ctx, &claim_at).await? {
                Some(state) => Change::Update { diff: vec![state] },
                None => change,
            },
        ));
    }

    let job_id = start_or_join(ctx, step, p, &marker, &claim_at, &token).await?;
    if ctx.options.start_jobs_only {
        // The claim names the job: the next publish of the same content attaches to it.
        return Ok(StepReport::new(change)
            .output(OutputKey::JobId, job_id)
            .output(OutputKey::Status, "STARTED"));
    }
    // On failure the claim stays: it names the failed job, so the asset's status reports the
    // failure, and the next publish of the same content starts a new job.
    let created = wait_for_job(ctx, step, p, &job_id).await?;
    write_marker(ctx, &marker, p, (&token, groups), &job_id, created).await?;
    if let Some(index) = &p.published_index {
        crate::aws::s3::index::record(ctx, index, &job_id).await?;
    }
    claim::release(ctx, &claim_at).await?;
    Ok(StepReport::new(change)
        .output(OutputKey::JobId, job_id)
        .output(OutputKey::Status, JobStatus::Complete.as_str()))
}

/// The job's idempotency token: the plan's (pipeline, asset and every setting) combined with the
/// content checksums of the source and its captions, when the upload steps made them known. At most
/// 64 characters, as MediaConvert allows.
pub(crate) fn effective_token(ctx: &Ctx, p: &JobParams) -> String {
    content_token(&p.client_request_token, &checksums(ctx, p))
}

/// The content checksums of the source and its captions, when the upload steps made them known.
fn checksums(ctx: &Ctx, p: &JobParams) -> Vec<String> {
    [
        StepId::Upload(p.asset.clone()),
        StepId::UploadCaptions(p.asset.clone()),
    ]
    .iter()
    .filter_map(|s| ctx.output(s, OutputKey::Checksum))
    .filter(|c| !c.is_empty())
    .collect()
}

/// The token of each output group alone, by destination: the job's settings with only that group
/// (every other setting, the input and the source's checksums included), hashed like the job's
/// token. Equal tokens mean the group's output would be made again the same way. `None` with a job
/// template, whose output groups the plan does not know.
pub(crate) fn group_tokens(ctx: &Ctx, p: &JobParams) -> Option<BTreeMap<String, String>> {
    if p.job_template.is_some() {
        return None;
    }
    let sums = checksums(ctx, p);
    let mut out = BTreeMap::new();
    for g in &p.output_groups {
        let mut one = p.clone();
        one.output_groups = vec![g.clone()];
        one.client_request_token = String::new();
        let settings = serde_json::to_string(&one).ok()?;
        let plan_token = format!("group-{:016x}", crate::names::fnv1a64(settings.as_bytes()));
        out.insert(g.destination.clone(), content_token(&plan_token, &sums));
    }
    Some(out)
}

/// `<pipeline>-<hash of the plan's token and the checksums>`: as long as the plan's token.
pub(crate) fn content_token(plan_token: &str, checksums: &[String]) -> String {
    if checksums.is_empty() {
        return plan_token.to_owned();
    }
    let name = plan_token.rsplit_once('-').map_or(plan_token, |(n, _)| n);
    let mut text = plan_token.to_owned();
    for c in checksums {
        text.push('\0');
        text.push_str(c);
    }
    format!("{name}-{:016x}", crate::names::fnv1a64(text.as_bytes()))
}

/// Starts the job, or finds the one another publisher of the same content started.
async fn start_or_join(
    ctx: &Ctx,
    step: &Step,
    p: &JobParams,
    marker: &S3Location,
    claim_at: &S3Location,
    token: &str,
) -> Result<String, Error> {
    let started = tokio::time::Instant::now();
    let mut job_token = token.to_owned();
    'take: loop {
        if claim::take(ctx, claim_at, token).await? {
            let id = create_job(ctx, step, p, &job_token).await?;
            claim::record(ctx, claim_at, token, &id).await?;
            return Ok(id);
        }
        loop {
            match claim::read(ctx, claim_at).await? {
                Some(held) => match held.body.job_id {
                    Some(id) => {
                        if let Some(failed) = failed_job(ctx, &id).await? {
                            // A failed attempt: start again, with a token MediaConvert has not seen.
                            tracing::info!(target: "vod_pipeline::apply", "{}: job {id} ended {failed}; starting a new one", step.id);
                            claim::release(ctx, claim_at).await?;
                            job_token = content_token(token, &[id]);
                            continue 'take;
                        }
                        tracing::info!(target: "vod_pipeline::apply", "{}: attaching to job {id} of another publisher", step.id);
                        return Ok(id);
                    }
                    None if held.age >= claim::GRACE => {
                        tracing::warn!(target: "vod_pipeline::apply", "{}: claim {claim_at} names no job after {}s; taking it over", step.id, held.age.as_secs());
                        let id = create_job(ctx, step, p, &job_token).await?;
                        claim::record(ctx, claim_at, token, &id).await?;
                        return Ok(id);
                    }
                    None => {}
                },
                None => {
                    // Released: the other publisher finished (the marker says so), or gave up.
                    if let Some(Ok(m)) = read_marker(ctx, marker).await?
                        && m.client_request_token == token
                    {
                        return Ok(m.job_id);
                    }
                    continue 'take;
                }
            }
            if started.elapsed() >= ctx.options.job_timeout {
                return Err(Error::Timeout {
                    what: format!("the job another publisher claimed at {claim_at}"),
                    waited_secs: started.elapsed().as_secs(),
                });
            }
            tokio::time::sleep(ctx.options.poll_interval.max(Duration::from_millis(1))).await;
        }
    }
}

/// What the job a claim names is doing, when it has not completed: failed (with MediaConvert's error
/// code and message) or still running. `None` without a claim, or when the claim names no job yet.
async fn claimed_job_state(ctx: &Ctx, claim_at: &S3Location) -> Result<Option<String>, Error> {
    let Some(job_id) = claim::read(ctx, claim_at)
        .await?
        .and_then(|held| held.body.job_id)
    else {
        return Ok(None);
    };
    ctx.clients.job_polls.acquire().await;
    let out = match ctx.clients.mediaconvert.get_job().id(&job_id).send().await {
        Ok(out) => out,
        Err(e) if matches!(error_code(&e), Some("NotFoundException")) => return Ok(None),
        Err(e) => return Err(aws_error("mediaconvert:GetJob", &job_id, e)),
    };
    let Some(job) = out.job() else {
        return Ok(None);
    };
    Ok(match job.status() {
        Some(JobStatus::Error | JobStatus::Canceled) => Some(format!(
            "job {job_id} {}{}: {}; apply starts a new job",
            job.status().map_or("ERROR", JobStatus::as_str),
            job.error_code()
                .map(|c| format!(" (error code {c})"))
                .unwrap_or_default(),
            job.error_message().unwrap_or(match job.status() {
                Some(JobStatus::Canceled) => "the job was canceled",
                _ => "MediaConvert gave no message",
            }),
        )),
        Some(s @ (JobStatus::Submitted | JobStatus::Progressing)) => Some(format!(
            "job {job_id} {}{}; apply waits for it",
            s.as_str(),
            job.job_percent_complete()
                .map(|p| format!(" {p}%"))
                .unwrap_or_default()
        )),
        _ => None,
    })
}

/// `Some(status)` when the job ended without output (`ERROR`, `CANCELED`).
async fn failed_job(ctx: &Ctx, job_id: &str) -> Result<Option<String>, Error> {
    ctx.clients.job_polls.acquire().await;
    match ctx.clients.mediaconvert.get_job().id(job_id).send().await {
        Ok(out) => Ok(out
            .job()
            .and_then(Job::status)
            .filter(|s| matches!(s, JobStatus::Error | JobStatus::Canceled))
            .map(|s| s.as_str().to_owned())),
        // A job MediaConvert no longer knows (jobs are kept for 90 days) cannot be waited for.
        Err(e) if matches!(error_code(&e), Some("NotFoundException")) => {
            Ok(Some("NOT_FOUND".into()))
        }
        Err(e) => Err(aws_error("mediaconvert:GetJob", job_id, e)),
    }
}

/// MediaConvert has nothing to delete: a job's outputs live in the buckets, which the S3 steps own.
pub(crate) async fn destroy(_ctx: &Ctx, _step: &Step) -> Result<StepReport, Error> {
    Ok(StepReport::new(Change::Kept))
}

/// The marker, if any: `Some(Err(why))` when it exists but cannot be parsed.
pub(crate) async fn read_marker(
    ctx: &Ctx,
    loc: &S3Location,
) -> Result<Option<Result<Marker, String>>, Error> {
    Ok(get_object(ctx, loc, "the job marker")
        .await?
        .map(|(bytes, _)| serde_json::from_slice::<Marker>(&bytes).map_err(|e| e.to_string())))
}

/// A small object's bytes and its last modification, `None` when it (or its bucket) does not exist.
/// A body that breaks off is read again (twice at most): the marker and the claim are rewritten and
/// deleted by other publishers while this one reads them.
pub(crate) async fn get_object(
    ctx: &Ctx,
    loc: &S3Location,
    what: &str,
) -> Result<Option<(bytes::Bytes, Option<SystemTime>)>, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let out = match ctx
            .clients
            .s3
            .get_object()
            .bucket(&loc.bucket)
            .key(&loc.key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || matches!(
                        error_code(&e),
                        Some("NoSuchKey" | "NotFound" | "NoSuchBucket")
                    );
                return if missing {
                    Ok(None)
                } else {
                    Err(aws_error("s3:GetObject", &loc.to_string(), e))
                };
            }
        };
        let modified = out
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok());
        match out.body.collect().await {
            Ok(bytes) => return Ok(Some((bytes.into_bytes(), modified))),
            Err(e) if attempt >= 3 => {
                return Err(Error::Step {
                    step: loc.to_string(),
                    message: format!("cannot read {what}: {e}"),
                });
            }
            Err(e) => {
                tracing::debug!("{loc}: reading {what} broke off ({e}); reading it again");
                tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
            }
        }
    }
}

async fn write_marker(
    ctx: &Ctx,
    loc: &S3Location,
    p: &JobParams,
    (token, groups): (&str, Option<BTreeMap<String, String>>),
    job_id: &str,
    job_created: Option<u64>,
) -> Result<(), Error> {
    let marker = Marker {
        job_created,
        groups,
        client_request_token: token.to_owned(),
        job_id: job_id.to_owned(),
        completed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        source: Some(p.input.clone()),
    };
    put_marker(ctx, loc, &marker).await
}

async fn put_marker(ctx: &Ctx, loc: &S3Location, marker: &Marker) -> Result<(), Error> {
    let body = serde_json::to_vec_pretty(marker).unwrap_or_default();
    ctx.clients
        .s3
        .put_object()
        .bucket(&loc.bucket)
        .key(&loc.key)
        .content_type("application/json")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| aws_error("s3:PutObject", &loc.to_string(), e))?;
    Ok(())
}

async fn create_job(ctx: &Ctx, step: &Step, p: &JobParams, token: &str) -> Result<String, Error> {
    let out = ctx
        .clients
        .mediaconvert
        .create_job()
        .role(p.role_arn.as_str())
        .settings(settings::job_settings(p))
        .client_request_token(token)
        .set_user_metadata(Some(settings::user_metadata(p, token)))
        .set_queue(settings::queue(p))
        .set_priority(settings::priority(p))
        .set_acceleration_settings(settings::acceleration(p))
        .status_update_interval(settings::status_update_interval(p))
        .set_job_template(p.job_template.clone())
        .send()
        .await
        .map_err(|e| aws_error("mediaconvert:CreateJob", &step.resource, e))?;
    out.job()
        .and_then(Job::id)
        .map(str::to_owned)
        .ok_or_else(|| Error::IncompleteResponse {
            operation: "mediaconvert:CreateJob".into(),
            resource: step.resource.clone(),
            field: "Job.Id".into(),
        })
}

/// Polls `GetJob` until the job completes, doubling the interval up to the maximum. Throttling and
/// other transient errors while polling are retried until the job timeout.
/// Waits until the job completes; returns when it was created (Unix seconds), if MediaConvert says.
async fn wait_for_job(
    ctx: &Ctx,
    step: &Step,
    p: &JobParams,
    job_id: &str,
) -> Result<Option<u64>, Error> {
    let started = tokio::time::Instant::now();
    let max = ctx.options.max_poll_interval.max(Duration::from_millis(1));
    let mut interval = ctx
        .options
        .poll_interval
        .max(Duration::from_millis(1))
        .min(max);
    loop {
        ctx.clients.job_polls.acquire().await;
        match ctx.clients.mediaconvert.get_job().id(job_id).send().await {
            Ok(out) => {
                let job = out.job().ok_or_else(|| Error::IncompleteResponse {
                    operation: "mediaconvert:GetJob".into(),
                    resource: job_id.to_owned(),
                    field: "Job".into(),
                })?;
                let status = job.status().cloned();
                ctx.emit(Event::JobProgress {
                    step: step.id.clone(),
                    job_id: job_id.to_owned(),
                    status: status
                        .as_ref()
                        .map_or("UNKNOWN", JobStatus::as_str)
                        .to_owned(),
                    phase: job.current_phase().map(|ph| ph.as_str().to_owned()),
                    percent: job.job_percent_complete(),
                });
                match status {
                    Some(JobStatus::Complete) => {
                        return Ok(job.created_at().and_then(|t| u64::try_from(t.secs()).ok()));
                    }
                    Some(s @ (JobStatus::Error | JobStatus::Canceled)) => {
                        let message = job.error_message().map(str::to_owned).unwrap_or_else(|| {
                            if s == JobStatus::Canceled {
                                "the job was canceled".into()
                            } else {
                                "no error message".into()
                            }
                        });
                        return Err(Error::Job {
                            asset: p.asset.clone(),
                            job_id: job_id.to_owned(),
                            status: s.as_str().to_owned(),
                            code: job.error_code(),
                            message,
                        });
                    }
                    _ => {}
                }
            }
            Err(e) => {
                let err = aws_error("mediaconvert:GetJob", job_id, e);
                if !matches!(&err, Error::Aws(a) if a.retryable) {
                    return Err(err);
                }
                tracing::warn!(target: "vod_pipeline::apply", "{}: polling job {job_id}: {err}", step.id);
            }
        }
        let waited = started.elapsed();
        if waited >= ctx.options.job_timeout {
            return Err(Error::Timeout {
                what: format!("MediaConvert job {job_id} for asset {:?}", p.asset),
                waited_secs: waited.as_secs(),
            });
        }
        tokio::time::sleep(interval.min(ctx.options.job_timeout - waited)).await;
        interval = interval.saturating_mul(2).min(max);
    }
}

#[cfg(test)]
mod tests;
