//! The claim that makes one publisher, of all those publishing the same content at once, start the
//! job. Without a state file: a small object beside the job marker,
//! `<output prefix><asset>/.vod-pipeline-claim-<token>.json`, written with `If-None-Match: *`
//! (S3 conditional writes, <https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html>).
//! S3 lets exactly one such write succeed; the others get `412 Precondition Failed`.
//!
//! - The winner starts the job, then records the job id in the claim.
//! - Every other publisher reads the claim until it names a job, and waits for that job.
//! - A claim that names no job after [`GRACE`] (its writer died before `CreateJob`) is taken over:
//!   `CreateJob` with the same `ClientRequestToken` still starts at most one job.
//! - The claim is deleted once the job marker is written; from then on the marker answers.
//!
//! An apply that crashed while its job ran finds the claim again and attaches to the job, so no
//! listing of in-flight jobs is needed (a `ListJobs` scan costs more the more jobs are in flight).

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::S3Location;
use crate::aws::{Ctx, aws_error};
use crate::error::Error;
use crate::names::CLAIM_PREFIX;

/// How long a claim may name no job before another publisher takes it over.
pub(crate) const GRACE: Duration = Duration::from_secs(120);

/// What a claim holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClaimBody {
    pub client_request_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
}

/// A claim read back: its body and its age.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    pub body: ClaimBody,
    pub age: Duration,
}

/// The claim for one token, beside the marker.
pub(crate) fn location(marker: &S3Location, token: &str) -> S3Location {
    let dir = marker
        .key
        .rsplit_once('/')
        .map_or(String::new(), |(d, _)| format!("{d}/"));
    S3Location {
        bucket: marker.bucket.clone(),
        key: format!("{dir}{CLAIM_PREFIX}{token}.json"),
    }
}

/// Writes the claim if no claim for this token exists. `true` when this call created it.
pub(crate) async fn take(ctx: &Ctx, loc: &S3Location, token: &str) -> Result<bool, Error> {
    let body = ClaimBody {
        client_request_token: token.to_owned(),
        job_id: None,
    };
    match put(ctx, loc, &body, true).await {
        Ok(()) => Ok(true),
        Err(e) if is_precondition_failed(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records the job id in a claim this publisher holds.
pub(crate) async fn record(
    ctx: &Ctx,
    loc: &S3Location,
    token: &str,
    job_id: &str,
) -> Result<(), Error> {
    let body = ClaimBody {
        client_request_token: token.to_owned(),
        job_id: Some(job_id.to_owned()),
    };
    put(ctx, loc, &body, false).await
}

/// The claim, if it exists.
pub(crate) async fn read(ctx: &Ctx, loc: &S3Location) -> Result<Option<Held>, Error> {
    Ok(super::get_object(ctx, loc, "the claim")
        .await?
        .map(|(bytes, modified)| Held {
            // An unreadable claim names no job: after the grace period it is taken over.
            body: serde_json::from_slice(&bytes).unwrap_or_default(),
            age: modified
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .unwrap_or_default(),
        }))
}

/// Deletes the claim (gone already is fine).
pub(crate) async fn release(ctx: &Ctx, loc: &S3Location) -> Result<(), Error> {
    ctx.clients
        .s3
        .delete_object()
        .bucket(&loc.bucket)
        .key(&loc.key)
        .send()
        .await
        .map_err(|e| aws_error("s3:DeleteObject", &loc.to_string(), e))?;
    Ok(())
}

async fn put(ctx: &Ctx, loc: &S3Location, body: &ClaimBody, if_absent: bool) -> Result<(), Error> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut req = ctx
        .clients
        .s3
        .put_object()
        .bucket(&loc.bucket)
        .key(&loc.key)
        .content_type("application/json")
        .body(ByteStream::from(bytes));
    if if_absent {
        req = req.if_none_match("*");
    }
    req.send()
        .await
        .map_err(|e| aws_error("s3:PutObject", &loc.to_string(), e))?;
    Ok(())
}

fn is_precondition_failed(e: &Error) -> bool {
    matches!(e, Error::Aws(a) if a.code.as_deref() == Some("PreconditionFailed")
        // Two conditional writes racing on the same key: S3 answers 409 to the loser.
        || a.code.as_deref() == Some("ConditionalRequestConflict"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_sits_beside_the_marker() {
        let marker = S3Location {
            bucket: "out".into(),
            key: "packaged/clip/.vod-pipeline-job.json".into(),
        };
        assert_eq!(
            location(&marker, "p-0123").to_string(),
            "s3://out/packaged/clip/.vod-pipeline-claim-p-0123.json"
        );
    }
}
