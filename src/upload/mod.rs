//! Uploading mezzanine files into S3: fast, verified, resumable.
//!
//! [`Uploader`] sends a file with one `PutObject` below a threshold and a multipart upload above it.
//! Parts are read straight from the file (positioned reads, no shared cursor) into a bounded set of
//! buffers: at most [`UploaderBuilder::max_bytes_in_flight`] bytes are held at once (by default part
//! size × concurrency), across every file of the uploader, whatever their sizes. Reads go through
//! the page cache by default; [`ReadMode::Direct`] goes around it (Linux `O_DIRECT`), for huge
//! masters on a host shared with other work.
//!
//! Integrity: every part carries its CRC64NVME (or CRC32C) checksum, which S3 verifies; the
//! full-object checksum is combined from the parts' and sent with `CompleteMultipartUpload`, where S3
//! verifies it against what it assembled; the checksum S3 returns (or, failing that, `HeadObject`'s)
//! is compared with the local one. Payloads are sent unsigned (`UNSIGNED-PAYLOAD`, with the checksum
//! header instead), so no SHA-256 of the body is computed: the checksums carry the integrity.
//!
//! Failures: each part is retried on its own ([`UploaderBuilder::part_attempts`], on top of the SDK's
//! retries); an upload that fails for good is aborted (`AbortMultipartUpload`), so nothing is left
//! behind. An upload that is interrupted instead (the process is killed, or the future dropped)
//! resumes on the next run: the uploader finds the multipart upload of the key
//! (`ListMultipartUploads`), lists its parts (`ListParts`), compares their sizes and checksums with the
//! local file, and sends only the rest. An object already in S3 with the same size and checksum is
//! skipped.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_pipeline::upload::{PartSize, UploadJob, Uploader};
//! let config = aws_config::load_from_env().await;
//! let uploader = Uploader::builder(aws_sdk_s3::Client::new(&config))
//!     .part_size(PartSize::new(32 * 1024 * 1024)?)
//!     .concurrency(8)
//!     .build();
//! let job = UploadJob::new("movie.mov", "my-vod-source", "uploads/movie.mov");
//! let report = uploader
//!     .upload(&job, &|p| eprintln!("{}/{} bytes", p.bytes_sent, p.bytes_total))
//!     .await?;
//! println!("{} bytes, checksum {} ({:?})", report.bytes, report.checksum, report.outcome);
//! # Ok(()) }
//! ```

mod buffers;
mod engine;

pub(crate) use engine::Compared;
mod part_size;
mod read;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;

pub use part_size::{MAX_PARTS, PartSize, format_bytes, parse_bytes};
pub use read::source_bytes_read;

/// The checksum sent with every part and verified for the whole object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-64/NVME, S3's default and the fastest to compute.
    #[default]
    Crc64Nvme,
    /// CRC-32C (Castagnoli).
    Crc32c,
}

impl ChecksumAlgorithm {
    fn crc(self) -> crc_fast::CrcAlgorithm {
        match self {
            ChecksumAlgorithm::Crc64Nvme => crc_fast::CrcAlgorithm::Crc64Nvme,
            ChecksumAlgorithm::Crc32c => crc_fast::CrcAlgorithm::Crc32Iscsi,
        }
    }

    /// The value as S3 writes it: big-endian bytes, base64.
    fn encode(self, v: u64) -> String {
        match self {
            ChecksumAlgorithm::Crc64Nvme => aws_smithy_types::base64::encode(v.to_be_bytes()),
            ChecksumAlgorithm::Crc32c => aws_smithy_types::base64::encode((v as u32).to_be_bytes()),
        }
    }

    fn s3(self) -> aws_sdk_s3::types::ChecksumAlgorithm {
        match self {
            ChecksumAlgorithm::Crc64Nvme => aws_sdk_s3::types::ChecksumAlgorithm::Crc64Nvme,
            ChecksumAlgorithm::Crc32c => aws_sdk_s3::types::ChecksumAlgorithm::Crc32C,
        }
    }
}

/// How the uploader reads files.
///
/// Either way, parts are read into page-aligned buffers: on x86-64 the kernel copies into an
/// aligned buffer about three times faster than into one a few bytes off (measured on this
/// project's benchmark machine: 0.15 against 0.43 s of CPU per GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReadMode {
    /// Through the page cache, with the kernel's read-ahead. The fastest when the file is already
    /// in memory (just rendered, or read before) or the disk is slower than the network.
    #[default]
    Buffered,
    /// Around the page cache where the system allows it (`O_DIRECT` on Linux): the disk writes
    /// each part straight into its buffer, so the CPU copies no byte out of the cache (half the
    /// read cost again), and a master of hundreds of GiB does not push everything else out of
    /// memory, which matters on a host shared with other work. Every byte then comes from the
    /// disk, even when it was in memory. Falls back to [`ReadMode::Buffered`] on its own where the
    /// filesystem refuses (tmpfs before Linux 6.6, some network and FUSE filesystems), and on other
    /// systems.
    Direct,
}

crate::types::text_enum!(
    ReadMode,
    "read modes",
    [(Buffered, "buffered"), (Direct, "direct")]
);

/// One file to upload, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadJob {
    /// The local file.
    pub file: PathBuf,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// `Content-Type`; by default from the file extension.
    pub content_type: Option<String>,
}

impl UploadJob {
    /// Upload `file` to `s3://bucket/key`.
    pub fn new(
        file: impl Into<PathBuf>,
        bucket: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            bucket: bucket.into(),
            key: key.into(),
            content_type: None,
        }
    }

    /// Sets the `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The jobs for a file or a directory (recursively, in path order) under `s3://bucket/prefix`.
    ///
    /// A file goes to `prefix` itself when `prefix` is non-empty and does not end with `/`, else to
    /// `prefix` + its file name. A directory's files go to `prefix/` + their path relative to it, with
    /// `/` separators.
    pub fn for_path(path: &Path, bucket: &str, prefix: &str) -> Result<Vec<UploadJob>, Error> {
        let io = |p: &Path| {
            let p = p.to_owned();
            move |source| Error::Io { path: p, source }
        };
        let meta = std::fs::metadata(path).map_err(io(path))?;
        if meta.is_file() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = if prefix.is_empty() || prefix.ends_with('/') {
                format!("{prefix}{name}")
            } else {
                prefix.to_owned()
            };
            return Ok(vec![UploadJob::new(path, bucket, key)]);
        }
        let mut files = Vec::new();
        let mut stack = vec![path.to_owned()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
                let entry = entry.map_err(io(&dir))?;
                let p = entry.path();
                let ft = entry.file_type().map_err(io(&p))?;
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
                    files.push(p);
                }
            }
        }
        files.sort();
        let base = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_owned()
        } else {
            format!("{prefix}/")
        };
        Ok(files
            .into_iter()
            .map(|f| {
                let rel = f
                    .strip_prefix(path)
                    .unwrap_or(&f)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                UploadJob::new(&f, bucket, format!("{base}{rel}"))
            })
            .collect())
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UploadOutcome {
    /// Sent with one `PutObject`.
    Put,
    /// Sent as a multipart upload.
    Multipart {
        /// Parts in all.
        parts: u64,
        /// Parts sent by this run.
        parts_sent: u64,
        /// Parts found in S3 from an interrupted run and kept.
        parts_resumed: u64,
    },
    /// Already in S3 with the same size and checksum: nothing sent.
    Skipped,
}

/// The result for one file.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct UploadReport {
    /// The local file.
    pub file: PathBuf,
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
    /// The file's size.
    pub bytes: u64,
    /// What was done.
    pub outcome: UploadOutcome,
    /// The full-object checksum (base64), as S3 reports it.
    pub checksum: String,
    /// The checksum algorithm.
    pub checksum_algorithm: ChecksumAlgorithm,
    /// Whether S3 returned the object's checksum and it matched the local one. `false` only with
    /// a server that returns no checksum (S3 always does).
    pub verified: bool,
    /// The object's ETag.
    pub e_tag: Option<String>,
    /// Wall time for this file.
    pub elapsed: Duration,
}

/// Progress of one file: bytes handed to the network (or found already in S3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Progress {
    /// Index of the file in the job list.
    pub file: usize,
    /// Bytes sent so far (a part that fails and is retried counts again from zero).
    pub bytes_sent: u64,
    /// The file's size.
    pub bytes_total: u64,
}

/// Uploads files into S3. Cheap to clone; clones share the bound on bytes in flight.
#[derive(Clone)]
pub struct Uploader {
    inner: Arc<engine::Inner>,
}

impl std::fmt::Debug for Uploader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.inner;
        f.debug_struct("Uploader")
            .field("part_size", &i.part_size)
            .field("concurrency", &i.concurrency)
            .field("max_bytes_in_flight", &i.max_bytes_in_flight)
            .field("multipart_threshold", &i.multipart_threshold)
            .field("checksum", &i.checksum)
            .field("read_mode", &i.read_mode)
            .finish_non_exhaustive()
    }
}

/// Settings for an [`Uploader`].
#[derive(Clone)]
#[must_use]
pub struct UploaderBuilder {
    client: aws_sdk_s3::Client,
    part_size: PartSize,
    concurrency: usize,
    max_bytes_in_flight: Option<u64>,
    multipart_threshold: Option<u64>,
    checksum: ChecksumAlgorithm,
    part_attempts: u32,
    retry_backoff: Duration,
    abort_on_failure: bool,
    skip_unchanged: bool,
    verify_checksums: bool,
    resume: bool,
    unsigned_payload: bool,
    read_mode: ReadMode,
}

impl UploaderBuilder {
    /// Read and checksum a file to compare it with its object even when the size and modification
    /// time recorded on the object (metadata `vod-pipeline-stamp`) match the file's (default
    /// `false`: a matching stamp and a stored checksum mean the same object, and no byte is read).
    pub fn verify_checksums(mut self, verify: bool) -> Self {
        self.verify_checksums = verify;
        self
    }
    /// Part size (default [`PartSize::DEFAULT`], 16 MiB); raised automatically for files that would
    /// need more than [`MAX_PARTS`] parts.
    pub fn part_size(mut self, part_size: PartSize) -> Self {
        self.part_size = part_size;
        self
    }
    /// Requests in flight at once, across all files (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
    /// Most bytes held in part buffers at once, across all files (default part size × concurrency).
    pub fn max_bytes_in_flight(mut self, bytes: u64) -> Self {
        self.max_bytes_in_flight = Some(bytes.max(1));
        self
    }
    /// Files up to this size go in one `PutObject` (default: the part size).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = Some(bytes);
        self
    }
    /// The checksum algorithm (default CRC64NVME).
    pub fn checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.checksum = algorithm;
        self
    }
    /// Attempts per part (and per `PutObject`), each with the SDK's own retries (default 4).
    pub fn part_attempts(mut self, n: u32) -> Self {
        self.part_attempts = n.max(1);
        self
    }
    /// First wait between attempts of a part; it doubles each time, up to 20 s (default 250 ms).
    pub fn retry_backoff(mut self, first: Duration) -> Self {
        self.retry_backoff = first;
        self
    }
    /// Abort the multipart upload when it fails for good (default `true`). With `false` its parts
    /// stay in S3 for a later run to resume.
    pub fn abort_on_failure(mut self, abort: bool) -> Self {
        self.abort_on_failure = abort;
        self
    }
    /// Skip a file whose object already has the same size and checksum (default `true`; this reads
    /// the whole file once when the sizes agree).
    pub fn skip_unchanged(mut self, skip: bool) -> Self {
        self.skip_unchanged = skip;
        self
    }
    /// Resume an interrupted multipart upload of the same key (default `true`).
    pub fn resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }
    /// Send bodies as `UNSIGNED-PAYLOAD` with a checksum header instead of a SHA-256 of every body
    /// (default `true`). Headers are still signed.
    pub fn unsigned_payload(mut self, unsigned: bool) -> Self {
        self.unsigned_payload = unsigned;
        self
    }
    /// How files are read (default [`ReadMode::Buffered`]).
    pub fn read_mode(mut self, mode: ReadMode) -> Self {
        self.read_mode = mode;
        self
    }
    /// The uploader.
    pub fn build(self) -> Uploader {
        let max = self
            .max_bytes_in_flight
            .unwrap_or(self.part_size.bytes() * self.concurrency as u64);
        Uploader {
            inner: Arc::new(engine::Inner {
                client: self.client,
                part_size: self.part_size,
                concurrency: self.concurrency,
                max_bytes_in_flight: max,
                multipart_threshold: self
                    .multipart_threshold
                    .unwrap_or(self.part_size.bytes())
                    .min(PartSize::MAX.bytes()),
                checksum: self.checksum,
                part_attempts: self.part_attempts,
                retry_backoff: self.retry_backoff,
                abort_on_failure: self.abort_on_failure,
                skip_unchanged: self.skip_unchanged,
                verify_checksums: self.verify_checksums,
                resume: self.resume,
                unsigned_payload: self.unsigned_payload,
                read_mode: self.read_mode,
                budget: buffers::Budget::new(max),
                requests: Arc::new(tokio::sync::Semaphore::new(self.concurrency)),
            }),
        }
    }
}

impl Uploader {
    /// Settings, starting from the defaults, for this S3 client. For a local endpoint, build the
    /// client with `force_path_style(true)`.
    pub fn builder(client: aws_sdk_s3::Client) -> UploaderBuilder {
        UploaderBuilder {
            client,
            part_size: PartSize::DEFAULT,
            concurrency: 8,
            max_bytes_in_flight: None,
            multipart_threshold: None,
            checksum: ChecksumAlgorithm::default(),
            part_attempts: 4,
            retry_backoff: Duration::from_millis(250),
            abort_on_failure: true,
            skip_unchanged: true,
            verify_checksums: false,
            resume: true,
            unsigned_payload: true,
            read_mode: ReadMode::default(),
        }
    }

    /// Uploads one file. `progress` is called at most every 100 ms while bytes move, and once at the end.
    pub async fn upload(
        &self,
        job: &UploadJob,
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<UploadReport, Error> {
        self.upload_all(std::slice::from_ref(job), progress)
            .await
            .pop()
            .unwrap_or_else(|| {
                Err(Error::internal(
                    format!("upload {}", job.file.display()),
                    "no result",
                ))
            })
    }

    /// Compares a job's file with the object at its key, without uploading: what
    /// [`UploaderBuilder::skip_unchanged`] decides. Also returns the file's size.
    pub(crate) async fn compare(&self, job: &UploadJob) -> Result<(Compared, u64), Error> {
        engine::compare_file(&self.inner, job).await
    }

    /// Uploads many files concurrently, under the uploader's one bound on bytes in flight. Returns
    /// one result per job, in order; a failed file does not stop the others.
    pub async fn upload_all(
        &self,
        jobs: &[UploadJob],
        progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Vec<Result<UploadReport, Error>> {
        engine::upload_all(&self.inner, jobs, progress).await
    }

    /// The most bytes held in part buffers at once so far (all uploads of this uploader).
    pub fn peak_bytes_in_flight(&self) -> u64 {
        self.inner.budget.peak()
    }

    /// The bound on bytes held in part buffers.
    pub fn max_bytes_in_flight(&self) -> u64 {
        self.inner.max_bytes_in_flight
    }
}
