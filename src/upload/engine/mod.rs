//! The upload itself: skip check, single PUT, multipart with resume, retries and abort.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumMode;
use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::Semaphore;

use super::buffers::{Budget, Counter, CountingBody};
use super::read::{Source, file_checksum, read_part};
use super::{
    ChecksumAlgorithm, MAX_PARTS, PartSize, Progress, ReadMode, UploadJob, UploadOutcome,
    UploadReport, format_bytes,
};
use crate::error::{Error, aws_error, error_code};

pub(crate) struct Inner {
    pub client: aws_sdk_s3::Client,
    pub part_size: PartSize,
    pub concurrency: usize,
    pub max_bytes_in_flight: u64,
    pub multipart_threshold: u64,
    pub checksum: ChecksumAlgorithm,
    pub part_attempts: u32,
    pub retry_backoff: Duration,
    pub abort_on_failure: bool,
    pub skip_unchanged: bool,
    pub verify_checksums: bool,
    pub resume: bool,
    pub unsigned_payload: bool,
    pub read_mode: ReadMode,
    pub budget: Arc<Budget>,
    pub requests: Arc<Semaphore>,
}

/// Sets the checksum value of a request builder for the configured algorithm.
macro_rules! with_checksum {
    ($req:expr, $alg:expr, $value:expr) => {
        match $alg {
            ChecksumAlgorithm::Crc64Nvme => $req.checksum_crc64_nvme($value),
            ChecksumAlgorithm::Crc32c => $req.checksum_crc32_c($value),
        }
    };
}

/// Reads the checksum of the configured algorithm from an output.
macro_rules! checksum_of {
    ($out:expr, $alg:expr) => {
        match $alg {
            ChecksumAlgorithm::Crc64Nvme => $out.checksum_crc64_nvme(),
            ChecksumAlgorithm::Crc32c => $out.checksum_crc32_c(),
        }
    };
}

/// Sends a request, unsigned-payload when configured.
macro_rules! send {
    ($inner:expr, $req:expr) => {
        if $inner.unsigned_payload {
            $req.customize().disable_payload_signing().send().await
        } else {
            $req.send().await
        }
    };
}

mod multipart;

use multipart::{Multipart, multipart};

struct FileState {
    sent: Arc<AtomicU64>,
    total: AtomicU64,
}

pub(crate) async fn upload_all(
    inner: &Arc<Inner>,
    jobs: &[UploadJob],
    progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Vec<Result<UploadReport, Error>> {
    let states: Vec<FileState> = jobs
        .iter()
        .map(|_| FileState {
            sent: Arc::new(AtomicU64::new(0)),
            total: AtomicU64::new(0),
        })
        .collect();
    // The futures are made first, then driven: a stream mapping borrowed items through a closure
    // trips the compiler's `Send` inference inside the apply executor.
    let futures: Vec<_> = jobs
        .iter()
        .zip(&states)
        .map(|(job, st)| upload_one(inner, job, st))
        .collect();
    let work = futures::stream::iter(futures)
        .buffered(inner.concurrency)
        .collect::<Vec<_>>();
    let report = |last: &mut Vec<(u64, u64)>, force: bool| {
        for (i, st) in states.iter().enumerate() {
            let now = (
                st.sent.load(Ordering::Relaxed),
                st.total.load(Ordering::Relaxed),
            );
            if (force || now != last[i]) && now.1 > 0 {
                last[i] = now;
                progress(&Progress {
                    file: i,
                    bytes_sent: now.0.min(now.1),
                    bytes_total: now.1,
                });
            }
        }
    };
    let mut last = vec![(0u64, 0u64); jobs.len()];
    let ticker = async {
        let mut last = vec![(0u64, 0u64); jobs.len()];
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            report(&mut last, false);
        }
    };
    let results = tokio::select! {
        r = work => r,
        () = ticker => unreachable!("the ticker never ends"),
    };
    report(&mut last, true);
    results
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

fn failure(job: &UploadJob, message: impl Into<String>) -> Error {
    Error::Step {
        step: format!("upload s3://{}/{}", job.bucket, job.key),
        message: message.into(),
    }
}

/// Whether a failed request is worth another attempt: throttling, 5xx, timeouts, dropped
/// connections, and a body that arrived corrupted (`BadDigest`: it is re-sent from the file's bytes).
fn retryable(e: &Error) -> bool {
    match e {
        Error::Aws(a) => {
            a.retryable
                || matches!(
                    a.code.as_deref(),
                    Some(
                        "BadDigest"
                            | "InternalError"
                            | "RequestTimeout"
                            | "SlowDown"
                            | "XAmzContentChecksumMismatch"
                            | "IncompleteBody"
                    )
                )
        }
        _ => false,
    }
}

/// Size and modification time: a file that changes under an upload is caught before completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp(u64, Option<SystemTime>);

/// The object metadata key that records the source file's [`Stamp`].
pub(crate) const STAMP_KEY: &str = "vod-pipeline-stamp";

impl Stamp {
    /// `<size>:<modification time in ns since the Unix epoch>`; `None` without a modification time.
    pub(crate) fn to_metadata(self) -> Option<String> {
        let t = self.1?.duration_since(std::time::UNIX_EPOCH).ok()?;
        Some(format!("{}:{}", self.0, t.as_nanos()))
    }

    fn of(path: &Path) -> Result<Self, Error> {
        let m = std::fs::metadata(path).map_err(io_err(path))?;
        Ok(Stamp(m.len(), m.modified().ok()))
    }
}

async fn upload_one(
    inner: &Inner,
    job: &UploadJob,
    state: &FileState,
) -> Result<UploadReport, Error> {
    let started = Instant::now();
    let path = job.file.as_path();
    let file = Source::open(path, inner.read_mode).map_err(io_err(path))?;
    let meta = file.metadata().map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(io_err(path)(std::io::Error::other("not a regular file")));
    }
    let size = meta.len();
    tracing::debug!(
        "{}: {size} bytes, {} reads",
        path.display(),
        if file.is_direct() {
            "direct"
        } else {
            "buffered"
        }
    );
    let stamp = Stamp(size, meta.modified().ok());
    let file = Arc::new(file);
    state.total.store(size, Ordering::Relaxed);
    let alg = inner.checksum;
    let report = |outcome, checksum: String, verified, e_tag| UploadReport {
        file: job.file.clone(),
        bucket: job.bucket.clone(),
        key: job.key.clone(),
        bytes: size,
        outcome,
        checksum,
        checksum_algorithm: alg,
        verified,
        e_tag,
        elapsed: started.elapsed(),
    };

    if inner.skip_unchanged
        && let Compared::Same { checksum, e_tag } = compare(inner, job, &file, size).await?
    {
        state.sent.store(size, Ordering::Relaxed);
        return Ok(report(UploadOutcome::Skipped, checksum, true, e_tag));
    }

    if size <= inner.multipart_threshold {
        let (sum, verified, e_tag) = put(inner, job, &file, size, stamp, state).await?;
        return Ok(report(UploadOutcome::Put, sum, verified, e_tag));
    }
    let mut resume = inner.resume;
    loop {
        match multipart(inner, job, &file, size, stamp, state, resume).await? {
            Multipart::Done {
                checksum,
                verified,
                e_tag,
                outcome,
            } => return Ok(report(outcome, checksum, verified, e_tag)),
            Multipart::StartOver => {
                tracing::warn!(
                    "s3://{}/{}: the resumed parts do not add up to the local file; starting over",
                    job.bucket,
                    job.key
                );
                resume = false;
                state.sent.store(0, Ordering::Relaxed);
            }
        }
    }
}

/// The object at a job's key, compared with the local file: the skip-unchanged test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compared {
    /// No object at the key.
    Absent,
    /// An object with the file's size and checksum.
    Same {
        /// The checksum, base64, in the uploader's algorithm.
        checksum: String,
        /// The object's ETag.
        e_tag: Option<String>,
    },
    /// An object of another size or checksum.
    Differs {
        /// The object's size.
        live_size: u64,
    },
}

/// Compares the job's file with the object at its key. The file is read (and hashed) only when the
/// sizes agree: a different size already means a different object.
async fn compare(
    inner: &Inner,
    job: &UploadJob,
    file: &Arc<Source>,
    size: u64,
) -> Result<Compared, Error> {
    let Some(live) = head(inner, job).await? else {
        return Ok(Compared::Absent);
    };
    if live.size == size
        && let Some(live_sum) = live.checksum
    {
        // The object records the file's size and modification time: when they still match, the
        // stored checksum stands for the file, and no byte of it is read.
        let stamp = file
            .metadata()
            .ok()
            .and_then(|m| Stamp(m.len(), m.modified().ok()).to_metadata());
        if !inner.verify_checksums && stamp.is_some() && live.stamp == stamp {
            return Ok(Compared::Same {
                checksum: live_sum,
                e_tag: live.e_tag,
            });
        }
        let alg = inner.checksum;
        let local = alg.encode(
            file_checksum(file, size, alg)
                .await
                .map_err(io_err(&job.file))?,
        );
        if local == live_sum {
            return Ok(Compared::Same {
                checksum: local,
                e_tag: live.e_tag,
            });
        }
    }
    Ok(Compared::Differs {
        live_size: live.size,
    })
}

/// [`compare`] for a file not yet opened; also returns the file's size.
pub(crate) async fn compare_file(inner: &Inner, job: &UploadJob) -> Result<(Compared, u64), Error> {
    let path = job.file.as_path();
    let file = Source::open(path, inner.read_mode).map_err(io_err(path))?;
    let size = file.metadata().map_err(io_err(path))?.len();
    let file = Arc::new(file);
    Ok((compare(inner, job, &file, size).await?, size))
}

/// What `HeadObject` says of an object.
pub(crate) struct Live {
    pub size: u64,
    pub checksum: Option<String>,
    pub e_tag: Option<String>,
    pub stamp: Option<String>,
}

/// The object's size, checksum, ETag and recorded stamp; `None` when there is none.
pub(crate) async fn head(inner: &Inner, job: &UploadJob) -> Result<Option<Live>, Error> {
    match inner
        .client
        .head_object()
        .bucket(&job.bucket)
        .key(&job.key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
    {
        Ok(o) => Ok(Some(Live {
            size: o.content_length().unwrap_or_default().max(0) as u64,
            checksum: checksum_of!(o, inner.checksum).map(str::to_owned),
            e_tag: o.e_tag().map(str::to_owned),
            stamp: o.metadata().and_then(|m| m.get(STAMP_KEY)).cloned(),
        })),
        Err(e)
            if matches!(error_code(&e), Some("NotFound" | "NoSuchKey"))
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Ok(None)
        }
        Err(e) => Err(aws_error("s3:HeadObject", &job.key, e)),
    }
}

/// The object metadata that records the file's stamp.
pub(crate) fn stamp_metadata(stamp: Stamp) -> Option<std::collections::HashMap<String, String>> {
    stamp
        .to_metadata()
        .map(|v| std::collections::HashMap::from([(STAMP_KEY.to_owned(), v)]))
}

fn content_type(job: &UploadJob) -> String {
    job.content_type
        .clone()
        .unwrap_or_else(|| crate::types::content_type(&job.key).to_owned())
}

fn backoff(inner: &Inner, attempt: u32) -> Duration {
    inner
        .retry_backoff
        .saturating_mul(1 << attempt.min(10))
        .min(Duration::from_secs(20))
}

/// One `PutObject` of the whole file: `(checksum, verified, ETag)`.
async fn put(
    inner: &Inner,
    job: &UploadJob,
    file: &Arc<Source>,
    size: u64,
    stamp: Stamp,
    state: &FileState,
) -> Result<(String, bool, Option<String>), Error> {
    let alg = inner.checksum;
    let (buf, ticket) = inner.budget.lease(size as usize).await;
    let (buf, crc) = read_part(file, buf, 0, size as usize, alg)
        .await
        .map_err(io_err(&job.file))?;
    if Stamp::of(&job.file)? != stamp {
        return Err(failure(job, "the file changed while it was being read"));
    }
    let sum = alg.encode(crc);
    let data = buf.freeze();
    let _slot = inner.requests.acquire().await;
    let mut attempt = 0;
    let out = loop {
        let counter = Counter::new(Arc::clone(&state.sent));
        let req = inner
            .client
            .put_object()
            .bucket(&job.bucket)
            .key(&job.key)
            .content_type(content_type(job))
            .set_metadata(stamp_metadata(stamp))
            .content_length(size as i64)
            .body(ByteStream::new(CountingBody::sdk_body(
                data.clone(),
                counter.clone(),
            )));
        let req = with_checksum!(req, alg, &sum);
        match send!(inner, req) {
            Ok(out) => break out,
            Err(e) => {
                counter.rewind();
                let e = aws_error("s3:PutObject", &job.key, e);
                attempt += 1;
                if !retryable(&e) || attempt >= inner.part_attempts {
                    return Err(e);
                }
                tracing::debug!("{}: attempt {attempt} failed: {e}", job.key);
                tokio::time::sleep(backoff(inner, attempt - 1)).await;
            }
        }
    };
    ticket.recycle(data);
    let e_tag = out.e_tag().map(str::to_owned);
    let (returned, verified) = match checksum_of!(out, alg) {
        Some(s) => (Some(s.to_owned()), true),
        None => match head(inner, job).await? {
            Some(super_live) => match super_live.checksum {
                Some(s) => (Some(s), true),
                None => (None, false),
            },
            None => (None, false),
        },
    };
    if let Some(r) = &returned
        && *r != sum
    {
        return Err(failure(
            job,
            format!("S3 stored checksum {r}, the file's is {sum}: the object is not what was read"),
        ));
    }
    if !verified {
        tracing::warn!(
            "s3://{}/{}: the server returned no checksum; the object is not verified",
            job.bucket,
            job.key
        );
    }
    Ok((sum, verified, e_tag))
}
