//! MediaConvert: one transcoding job per asset (`mediaconvert.job.<asset>`).
//!
//! A job is not a resource that stays: what lasts is its output in S3. So "live state" is a small
//! marker object that apply writes next to the output once a job has completed,
//! `s3://<bucket>/<prefix><asset>/.vod-pipeline-job.json`, holding the job's idempotency token (which
//! the plan derives from the pipeline, the asset and every setting), its id and when it completed:
//! - same token: the outputs exist for the same settings, nothing to do ([`Change::NoOp`]);
//! - another token: the settings changed, the asset is transcoded again ([`Change::Update`]);
//! - no marker: [`Change::Create`].
//!
//! Before creating a job, apply looks for an in-flight job of the same pipeline, asset and settings
//! (`ListJobs`, status `SUBMITTED` then `PROGRESSING`, newest first, user metadata
//! `vod-pipeline:token`) and waits for it instead of starting a duplicate: an apply that crashed while
//! a job ran picks it up again. (`ClientRequestToken` alone does not cover that: MediaConvert only
//! deduplicates requests within about a minute.)
//!
//! Jobs go to the regional endpoint that the SDK resolves; `DescribeEndpoints` is deprecated and not
//! used (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/endpoints.html>).

pub(crate) mod settings;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_mediaconvert::types::{Job, JobStatus, Order};
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::OutputKey;
use crate::plan::{JobParams, Params, Step};

use crate::names::{JOB_MARKER, parse_s3_uri};

/// What the marker object holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    client_request_token: String,
    job_id: String,
    /// Unix seconds.
    completed: u64,
}

/// An S3 object location.
#[derive(Debug, Clone, PartialEq, Eq)]
struct S3Location {
    bucket: String,
    key: String,
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Where the marker lives: in the longest common folder of the output groups' parent folders, i.e.
/// `s3://<bucket>/<prefix><asset>/` for destinations `s3://<bucket>/<prefix><asset>/<format>/`.
fn marker_location(p: &JobParams) -> Option<S3Location> {
    let mut bucket: Option<&str> = None;
    let mut common: Option<Vec<&str>> = None;
    for g in &p.output_groups {
        let (b, key) = parse_s3_uri(&g.destination)?;
        if bucket.is_some_and(|x| x != b) {
            return None;
        }
        bucket = Some(b);
        // The folders of the destination, without the format's own folder.
        let mut dirs: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
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

    let change = match read_marker(ctx, step, &marker).await? {
        Some(Ok(m)) if m.client_request_token == p.client_request_token => {
            return Ok(StepReport::new(Change::NoOp)
                .output(OutputKey::JobId, m.job_id)
                .output(OutputKey::Status, JobStatus::Complete.as_str()));
        }
        Some(Ok(_)) => Change::Update {
            diff: vec!["settings changed".into()],
        },
        Some(Err(why)) => Change::Update {
            diff: vec![format!(
                "job marker {marker} unreadable ({why}): transcoding again"
            )],
        },
        None => Change::Create,
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }

    let job_id = match find_in_flight(ctx, step, p).await? {
        Some(id) => {
            tracing::info!(target: "vod_pipeline::apply", "{}: attaching to in-flight job {id}", step.id);
            id
        }
        None => create_job(ctx, step, p).await?,
    };
    wait_for_job(ctx, step, p, &job_id).await?;
    write_marker(ctx, &marker, p, &job_id).await?;
    Ok(StepReport::new(change)
        .output(OutputKey::JobId, job_id)
        .output(OutputKey::Status, JobStatus::Complete.as_str()))
}

/// MediaConvert has nothing to delete: a job's outputs live in the buckets, which the S3 steps own.
pub(crate) async fn destroy(_ctx: &Ctx, _step: &Step) -> Result<StepReport, Error> {
    Ok(StepReport::new(Change::Kept))
}

/// The marker, if any: `Some(Err(why))` when it exists but cannot be parsed.
async fn read_marker(
    ctx: &Ctx,
    step: &Step,
    loc: &S3Location,
) -> Result<Option<Result<Marker, String>>, Error> {
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
    let bytes = out.body.collect().await.map_err(|e| Error::Step {
        step: step.id.to_string(),
        message: format!("cannot read the job marker {loc}: {e}"),
    })?;
    Ok(Some(
        serde_json::from_slice::<Marker>(&bytes.into_bytes()).map_err(|e| e.to_string()),
    ))
}

async fn write_marker(
    ctx: &Ctx,
    loc: &S3Location,
    p: &JobParams,
    job_id: &str,
) -> Result<(), Error> {
    let marker = Marker {
        client_request_token: p.client_request_token.clone(),
        job_id: job_id.to_owned(),
        completed: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    let body = serde_json::to_vec_pretty(&marker).unwrap_or_default();
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

/// The newest job of this pipeline, asset and settings that is still queued or running.
async fn find_in_flight(ctx: &Ctx, step: &Step, p: &JobParams) -> Result<Option<String>, Error> {
    for status in [JobStatus::Submitted, JobStatus::Progressing] {
        let mut jobs = ctx
            .clients
            .mediaconvert
            .list_jobs()
            .status(status)
            .order(Order::Descending)
            .max_results(20)
            .into_paginator()
            .items()
            .send();
        while let Some(job) = jobs.next().await {
            let job = job.map_err(|e| aws_error("mediaconvert:ListJobs", &step.resource, e))?;
            let token = job.user_metadata().and_then(|m| m.get(settings::TOKEN_KEY));
            if token == Some(&p.client_request_token)
                && let Some(id) = job.id()
            {
                return Ok(Some(id.to_owned()));
            }
        }
    }
    Ok(None)
}

async fn create_job(ctx: &Ctx, step: &Step, p: &JobParams) -> Result<String, Error> {
    let out = ctx
        .clients
        .mediaconvert
        .create_job()
        .role(p.role_arn.as_str())
        .settings(settings::job_settings(p))
        .client_request_token(&p.client_request_token)
        .set_user_metadata(Some(settings::user_metadata(p)))
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
async fn wait_for_job(ctx: &Ctx, step: &Step, p: &JobParams, job_id: &str) -> Result<(), Error> {
    let started = tokio::time::Instant::now();
    let max = ctx.options.max_poll_interval.max(Duration::from_millis(1));
    let mut interval = ctx
        .options
        .poll_interval
        .max(Duration::from_millis(1))
        .min(max);
    loop {
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
                    Some(JobStatus::Complete) => return Ok(()),
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
