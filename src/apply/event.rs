//! What every executor may use: the options of a run, the change a step made, and the progress events.
//! A leaf module: it imports only the plan's step ids.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::plan::id::StepId;

/// Knobs for apply, refresh and destroy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApplyOptions {
    /// Wait until the distribution's status is `Deployed` (after create, update or disable).
    pub wait_for_deployment: bool,
    /// How many calls run at once per AWS service.
    pub concurrency_per_service: usize,
    /// First interval between polls (jobs, container status, distribution status); it doubles up to
    /// [`ApplyOptions::max_poll_interval`].
    pub poll_interval: Duration,
    /// Longest interval between polls.
    pub max_poll_interval: Duration,
    /// Longest wait for one MediaConvert job.
    pub job_timeout: Duration,
    /// Longest wait for a distribution to deploy, or for a container to become active.
    pub deploy_timeout: Duration,
    /// Destroy only: also empty and delete the buckets (source media included).
    pub delete_buckets: bool,
    /// Attempts per AWS call. Calls retry with exponential backoff on throttling, 5xx, timeouts and
    /// dropped connections, in the SDK's adaptive mode (which also slows down when throttled).
    pub max_attempts: u32,
    /// At most this many MediaConvert `GetJob` polls a second, shared by every job that one apply or
    /// one [`VodClient`](crate::VodClient) waits for: 1,000 jobs in flight poll no faster than one.
    /// MediaConvert throttles its API per account and Region
    /// (<https://docs.aws.amazon.com/general/latest/gr/mediaconvert.html>). Default 10.
    pub job_polls_per_second: u32,
    /// Read and checksum every source file even when the size and modification time recorded on
    /// its object match (default `false`: such a file is not read at all, so re-applying a spec
    /// with unchanged files reads no mezzanine bytes).
    pub verify_source_checksums: bool,
    /// How long a resource that was just created may be missing from its service's listing
    /// (CloudFront's `ListDistributions` is eventually consistent). When a create is refused because
    /// the resource already exists (the same `CallerReference`) and the listing does not show it,
    /// the listing is read again, with growing waits, for this long before the resource is taken as
    /// absent and created under a reference of its own. Default 30 s.
    pub listing_lag: Duration,
    /// Apply only: keep what the pipeline owns and the spec no longer asks for (see [`Orphan`]),
    /// and only report it. By default (`false`) apply deletes it once the new state is in place.
    pub keep_orphans: bool,
    /// Publish only: start (or find) the job and return without waiting for it.
    pub(crate) start_jobs_only: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            wait_for_deployment: false,
            concurrency_per_service: 8,
            poll_interval: Duration::from_secs(2),
            max_poll_interval: Duration::from_secs(30),
            job_timeout: Duration::from_secs(6 * 3600),
            deploy_timeout: Duration::from_secs(3600),
            delete_buckets: false,
            max_attempts: 8,
            job_polls_per_second: 10,
            verify_source_checksums: false,
            listing_lag: Duration::from_secs(30),
            keep_orphans: false,
            start_jobs_only: false,
        }
    }
}

/// What a step did (apply, destroy) or would do (refresh).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Change {
    /// The resource did not exist: created (or, in refresh, would be).
    Create,
    /// The resource exists but differs: updated (or would be). `diff` says how, one line each.
    Update {
        /// What differs, such as `max_ttl: 86400 -> 31536000`.
        diff: Vec<String>,
    },
    /// The resource exists as planned: nothing to do.
    NoOp,
    /// Destroy: the resource was deleted. For an [`Orphan`]: deleted by apply, or in refresh, what
    /// apply would do.
    Delete,
    /// Destroy: the resource was already gone.
    Absent,
    /// Destroy: the resource is kept on purpose (buckets and source media, without `delete_buckets`).
    /// Apply: an [`Orphan`] kept by [`ApplyOptions::keep_orphans`].
    Kept,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Create => f.write_str("create"),
            Change::Update { .. } => f.write_str("update"),
            Change::NoOp => f.write_str("no-op"),
            Change::Delete => f.write_str("delete"),
            Change::Absent => f.write_str("absent"),
            Change::Kept => f.write_str("kept"),
        }
    }
}

/// Something the pipeline made that its spec no longer produces: the packaged output of an asset
/// or a format taken out of the spec, or a CloudFront resource the distribution stopped using.
///
/// Refresh lists each one with [`Change::Delete`] (what apply would do). Apply deletes it after the
/// new state is in place ([`Change::Delete`]), or, with [`ApplyOptions::keep_orphans`], leaves it
/// and reports it ([`Change::Kept`]). Source media and buckets are never orphans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Orphan {
    /// What it is.
    pub kind: OrphanKind,
    /// Where it is: `s3://bucket/prefix/asset/`, `mediastore://container/path/`, or a CloudFront
    /// resource's name and id.
    pub resource: String,
    /// Why it is an orphan, and how much it holds.
    pub reason: String,
    /// `delete` (deleted; in refresh, would be) or `kept`.
    #[serde(flatten)]
    pub change: Change,
}

impl fmt::Display for Orphan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.change, self.kind, self.resource, self.reason
        )
    }
}

/// The kinds of [`Orphan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OrphanKind {
    /// The packaged output of an asset that left the spec (every format, its job marker), in the
    /// output bucket and in the origin.
    AssetOutput,
    /// The packaged output of a format that left the spec, for one asset.
    FormatOutput,
    /// Objects of an asset of the spec that an earlier job wrote and the current one did not, such
    /// as the segments of a rendition that left the ladder.
    StaleOutput,
    /// A CloudFront origin access control of the origin type the pipeline no longer uses.
    OriginAccessControl,
    /// A CloudFront cache policy this crate made that the distribution no longer uses.
    CachePolicy,
    /// A CloudFront response headers policy this crate made that the distribution no longer uses.
    ResponseHeadersPolicy,
    /// The trusted key group, once private content left the spec.
    KeyGroup,
    /// A public key that left the key group.
    PublicKey,
    /// The MediaStore container, once the origin moved to S3.
    Container,
    /// What the pipeline copied into an origin bucket it no longer uses (after a switch back to
    /// MediaStore, or to another bucket). The bucket itself stays.
    OriginCopies,
}

impl OrphanKind {
    /// The kebab-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OrphanKind::AssetOutput => "asset-output",
            OrphanKind::FormatOutput => "format-output",
            OrphanKind::StaleOutput => "stale-output",
            OrphanKind::OriginAccessControl => "origin-access-control",
            OrphanKind::CachePolicy => "cache-policy",
            OrphanKind::ResponseHeadersPolicy => "response-headers-policy",
            OrphanKind::KeyGroup => "key-group",
            OrphanKind::PublicKey => "public-key",
            OrphanKind::Container => "container",
            OrphanKind::OriginCopies => "origin-copies",
        }
    }
}

impl fmt::Display for OrphanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Progress of an apply, refresh or destroy.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A step started.
    StepStarted {
        /// Step id.
        step: StepId,
        /// `service:Operation`.
        action: String,
    },
    /// A step finished.
    StepFinished {
        /// Step id.
        step: StepId,
        /// What it did.
        #[serde(flatten)]
        change: Change,
        /// How long it took.
        elapsed_ms: u64,
        /// HTTP requests it sent to AWS (retries included).
        calls: u64,
    },
    /// A step did not run because an earlier one failed.
    StepSkipped {
        /// Step id.
        step: StepId,
        /// Why.
        reason: String,
    },
    /// A step failed.
    StepFailed {
        /// Step id.
        step: StepId,
        /// The error.
        error: String,
    },
    /// Bytes of a file uploaded so far.
    UploadProgress {
        /// Step id.
        step: StepId,
        /// Bytes sent.
        bytes_sent: u64,
        /// File size.
        bytes_total: u64,
    },
    /// A MediaConvert job's status.
    JobProgress {
        /// Step id.
        step: StepId,
        /// Job id.
        job_id: String,
        /// `SUBMITTED`, `PROGRESSING`, `COMPLETE`, ...
        status: String,
        /// `PROBING`, `TRANSCODING` or `UPLOADING`.
        phase: Option<String>,
        /// Percent complete.
        percent: Option<i32>,
    },
    /// A distribution's status (`InProgress`, `Deployed`).
    DistributionStatus {
        /// Step id.
        step: StepId,
        /// Distribution id.
        id: String,
        /// Status.
        status: String,
    },
    /// Something the spec no longer produces was found (refresh), deleted or kept (apply).
    Orphan {
        /// The step that found it.
        step: StepId,
        /// What it is and what happened to it.
        orphan: Orphan,
    },
    /// Objects copied into a MediaStore container so far.
    CopyProgress {
        /// Step id.
        step: StepId,
        /// Objects done.
        objects_done: u64,
        /// Objects in all.
        objects_total: u64,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::StepStarted { step, action } => write!(f, "{step}: {action} ..."),
            Event::StepFinished {
                step,
                change,
                elapsed_ms,
                ..
            } => {
                write!(f, "{step}: {change} ({:.1} s)", *elapsed_ms as f64 / 1000.0)?;
                if let Change::Update { diff } = change {
                    for d in diff {
                        write!(f, "\n    ~ {d}")?;
                    }
                }
                Ok(())
            }
            Event::StepSkipped { step, reason } => write!(f, "{step}: skipped: {reason}"),
            Event::StepFailed { step, error } => write!(f, "{step}: FAILED: {error}"),
            Event::UploadProgress {
                step,
                bytes_sent,
                bytes_total,
            } => write!(f, "{step}: {bytes_sent}/{bytes_total} bytes"),
            Event::JobProgress {
                step,
                job_id,
                status,
                phase,
                percent,
            } => {
                write!(f, "{step}: job {job_id} {status}")?;
                if let Some(p) = phase {
                    write!(f, " {p}")?;
                }
                if let Some(p) = percent {
                    write!(f, " {p}%")?;
                }
                Ok(())
            }
            Event::DistributionStatus { step, id, status } => {
                write!(f, "{step}: distribution {id} {status}")
            }
            Event::Orphan { step, orphan } => write!(f, "{step}: {orphan}"),
            Event::CopyProgress {
                step,
                objects_done,
                objects_total,
            } => write!(f, "{step}: {objects_done}/{objects_total} objects"),
        }
    }
}
