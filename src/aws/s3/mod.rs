//! S3 steps: buckets ([`bucket`]), uploads of source files (here), the origin bucket's CORS
//! configuration ([`bucket_cors`]) and its policy ([`bucket_policy`]).

use std::path::Path;

mod bucket;
mod bucket_cors;
mod bucket_policy;
mod copy;
pub(crate) mod index;

use bucket::Bucket;
use bucket_cors::BucketCors;
use bucket_policy::BucketPolicy;

use super::{Ctx, Mode, StepReport, aws_error, error_code, reconcile};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::OutputKey;
use crate::plan::{Params, Step, StepId, UploadParams};
use crate::upload::Compared;

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    match &step.params {
        Params::Bucket(p) => reconcile::apply(ctx, &Bucket::new(p), mode).await,
        Params::Upload(p) => upload(ctx, step, p, mode).await,
        Params::BucketCors(p) => reconcile::apply(ctx, &BucketCors::new(p)?, mode).await,
        Params::Policy(p) if step.id == StepId::EarlyBucketPolicy => {
            // Only for a distribution an earlier apply made; nothing to do before there is one.
            match p.policy.document(|d| ctx.resolve(d))? {
                Some(want) => reconcile::apply(ctx, &BucketPolicy::new(p, Some(want)), mode).await,
                None => Ok(StepReport::new(Change::NoOp)),
            }
        }
        Params::Policy(p) => {
            let want = p.policy.document(|d| ctx.value(step, d, mode))?;
            reconcile::apply(ctx, &BucketPolicy::new(p, want), mode).await
        }
        Params::OriginCopy(p) => copy::run(ctx, step, p, mode).await,
        _ => Err(unexpected(step)),
    }
}

/// Deletes what a copy step put in the origin bucket (unpublish); returns how many objects.
pub(crate) async fn delete_copied(ctx: &Ctx, step: &Step) -> Result<usize, Error> {
    match &step.params {
        Params::OriginCopy(p) => copy::delete_all(ctx, p).await,
        _ => Err(unexpected(step)),
    }
}

pub(crate) use copy::{copied_into, record_copies_origins, recorded_copies_origins};

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match &step.params {
        // Packaged output stays with its bucket, as the jobs' does.
        Params::OrphanedOutput(_) | Params::OriginCopy(_) => Ok(StepReport::new(Change::Kept)),
        Params::Bucket(_) | Params::Upload(_) if !ctx.options.delete_buckets => {
            Ok(StepReport::new(Change::Kept))
        }
        Params::Bucket(p) => reconcile::destroy(ctx, &Bucket::new(p)).await,
        Params::Upload(p) => {
            let s3 = &ctx.clients.s3;
            match s3
                .head_object()
                .bucket(p.bucket.as_str())
                .key(&p.key)
                .send()
                .await
            {
                Ok(_) => {
                    s3.delete_object()
                        .bucket(p.bucket.as_str())
                        .key(&p.key)
                        .send()
                        .await
                        .map_err(|e| aws_error("s3:DeleteObject", &p.key, e))?;
                    Ok(StepReport::new(Change::Delete))
                }
                Err(e) if is_not_found(&e) => Ok(StepReport::new(Change::Absent)),
                Err(e) => Err(aws_error("s3:HeadObject", &p.key, e)),
            }
        }
        Params::BucketCors(p) => reconcile::destroy(ctx, &BucketCors::new(p)?).await,
        Params::Policy(p) => reconcile::destroy(ctx, &BucketPolicy::new(p, None)).await,
        _ => Err(unexpected(step)),
    }
}

fn unexpected(step: &Step) -> Error {
    Error::internal(&step.id, "the S3 executor does not handle these parameters")
}

pub(super) fn is_not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool
where
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            matches!(
                s.err().code(),
                Some("NotFound" | "NoSuchKey" | "NoSuchBucket" | "404")
            )
        }
        _ => false,
    }
}

/// How long calls on a bucket just created are retried while S3 still answers `NoSuchBucket`.
const NEW_BUCKET_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends `call` again while S3 answers `NoSuchBucket`, for the calls that follow CreateBucket
/// (tagging, policy, CORS): a new bucket can take a while to be visible to every S3 host, and until
/// then such calls may fail with `NoSuchBucket`
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>, "eventually
/// consistent"). Waits grow from 100 ms to 2 s, for [`NEW_BUCKET_WAIT`] in all; then the last
/// answer is returned.
pub(super) async fn on_new_bucket<T, E, R, F, Fut>(
    mut call: F,
) -> Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<
            Output = Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
        >,
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
{
    let deadline = tokio::time::Instant::now() + NEW_BUCKET_WAIT;
    let mut wait = std::time::Duration::from_millis(100);
    loop {
        match call().await {
            Err(e)
                if error_code(&e) == Some("NoSuchBucket")
                    && tokio::time::Instant::now() + wait < deadline =>
            {
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "NoSuchBucket right after CreateBucket; retrying"
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(std::time::Duration::from_secs(2));
            }
            answer => return answer,
        }
    }
}

async fn upload(ctx: &Ctx, step: &Step, p: &UploadParams, mode: Mode) -> Result<StepReport, Error> {
    let path = Path::new(&p.file);
    let s3 = &ctx.clients.s3;
    // Multipart above the part size, per-part retries, resume of an interrupted upload, and the
    // stored checksum verified (src/upload). The size-and-checksum skip is decided here, first, so
    // that refresh can report it without uploading.
    let uploader = crate::upload::Uploader::builder(s3.clone())
        .skip_unchanged(false)
        .verify_checksums(ctx.options.verify_source_checksums)
        .build();
    let job = crate::upload::UploadJob::new(path, p.bucket.as_str(), &p.key)
        .content_type(crate::types::content_type(&p.key));
    let (compared, size) = uploader.compare(&job).await?;
    let change = match compared {
        Compared::Absent => Change::Create,
        Compared::Same { checksum, .. } => {
            return Ok(StepReport::new(Change::NoOp).output(OutputKey::Checksum, checksum));
        }
        Compared::Differs { live_size } => Change::Update {
            diff: vec![format!(
                "{}: size {live_size} -> {size} bytes or checksum differs",
                p.key
            )],
        },
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }
    ctx.emit(Event::UploadProgress {
        step: step.id.clone(),
        bytes_sent: 0,
        bytes_total: size,
    });
    let report = uploader
        .upload(&job, &|pr| {
            ctx.emit(Event::UploadProgress {
                step: step.id.clone(),
                bytes_sent: pr.bytes_sent,
                bytes_total: pr.bytes_total,
            })
        })
        .await?;
    Ok(StepReport::new(change)
        .output(OutputKey::Etag, report.e_tag.unwrap_or_default())
        .output(OutputKey::Checksum, report.checksum))
}

#[cfg(test)]
mod mock_tests;
