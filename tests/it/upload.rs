//! The upload engine against the in-process emulator's S3: multipart with checksums, per-part
//! retries, resume after a kill, corruption, abort, and the bound on bytes in flight.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::types::ChecksumMode;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use vod_emulator::EmulatorHandle;
use vod_emulator::knobs::ServiceKnobs;
use vod_pipeline::upload::{PartSize, ReadMode, UploadJob, UploadOutcome, Uploader};

const MIB: u64 = 1024 * 1024;

/// A file of `len` pseudo-random bytes (xorshift), different for each seed.
fn make_file(dir: &Path, name: &str, len: u64, seed: u64) -> PathBuf {
    let mut x = seed | 1;
    let mut data = Vec::with_capacity(len as usize);
    while (data.len() as u64) < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len as usize);
    let p = dir.join(name);
    std::fs::write(&p, data).expect("write test file");
    p
}

fn crc64(path: &Path) -> String {
    let data = std::fs::read(path).expect("read");
    aws_smithy_types::base64::encode(crc_fast::crc64_nvme(&data).to_be_bytes())
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vod-upload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// An S3 client for the emulator: path style, `attempts` SDK attempts, optionally another HTTP client.
fn s3(conf: &SdkConfig, http: Option<SharedHttpClient>, attempts: u32) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf)
        .force_path_style(true)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(attempts)
                .with_initial_backoff(Duration::from_millis(10)),
        );
    if let Some(h) = http {
        b = b.http_client(h);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

async fn setup(bucket: &str) -> (EmulatorHandle, SdkConfig, aws_sdk_s3::Client) {
    let emu = crate::common::emulator().await;
    let conf = crate::common::sdk_config(&emu).await;
    let client = s3(&conf, None, 3);
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    (emu, conf, client)
}

fn part(mib: u64) -> PartSize {
    PartSize::new(mib * MIB).expect("valid part size")
}

async fn stored_checksum(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Option<String> {
    client
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .ok()
        .and_then(|o| o.checksum_crc64_nvme().map(str::to_owned))
}

async fn open_uploads(client: &aws_sdk_s3::Client, bucket: &str) -> usize {
    client
        .list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .expect("list uploads")
        .uploads()
        .len()
}

fn upload_part_calls(emu: &EmulatorHandle) -> usize {
    emu.requests()
        .iter()
        .filter(|e| e.operation == "UploadPart" && e.status == 200)
        .count()
}

/// What the faulty HTTP client does to the requests of one part number.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Answer the first `n` attempts with S3's `500 InternalError` without sending them.
    Fail500(u32),
    /// Send every attempt with a wrong `x-amz-checksum-crc64nvme` (as if the body were corrupted).
    WrongChecksum,
}

/// Wraps the SDK's HTTP client and injects a fault into the UploadParts of one part number.
#[derive(Debug, Clone)]
struct Faulty {
    inner: SharedHttpClient,
    part: u32,
    fault: Fault,
    attempts: Arc<AtomicU32>,
}

impl Faulty {
    fn new(part: u32, fault: Fault) -> Self {
        Self {
            inner: aws_smithy_http_client::Builder::new().build_http(),
            part,
            fault,
            attempts: Arc::new(AtomicU32::new(0)),
        }
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    part: u32,
    fault: Fault,
    attempts: Arc<AtomicU32>,
}

impl HttpClient for Faulty {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            part: self.part,
            fault: self.fault,
            attempts: self.attempts.clone(),
        })
    }
}

impl HttpConnector for FaultyConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let uri = request.uri().to_owned();
        let ours = uri.contains(&format!("partNumber={}&", self.part))
            || uri.ends_with(&format!("partNumber={}", self.part));
        if ours && request.method() == "PUT" {
            let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
            match self.fault {
                Fault::Fail500(times) if n <= times => {
                    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>";
                    let mut resp =
                        HttpResponse::new(500.try_into().expect("status"), SdkBody::from(body));
                    resp.headers_mut().insert("content-type", "application/xml");
                    return HttpConnectorFuture::ready(Ok(resp));
                }
                Fault::WrongChecksum => {
                    // The CRC64NVME of 8 zero bytes: not this part's.
                    let wrong = aws_smithy_types::base64::encode(
                        crc_fast::crc64_nvme(&[0u8; 8]).to_be_bytes(),
                    );
                    request
                        .headers_mut()
                        .insert("x-amz-checksum-crc64nvme", wrong);
                }
                Fault::Fail500(_) => {}
            }
        }
        self.inner.call(request)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_stores_the_files_checksum() {
    multipart_upload_with(ReadMode::Buffered, "mpu").await;
}

/// The same with direct reads (`O_DIRECT` where the temporary directory's filesystem takes it; a
/// buffered read otherwise): same parts, same checksum, including the unaligned last part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_with_direct_reads() {
    multipart_upload_with(ReadMode::Direct, "mpu-direct").await;
}

async fn multipart_upload_with(mode: ReadMode, bucket: &str) {
    let (emu, _conf, client) = setup(bucket).await;
    let dir = temp_dir(bucket);
    let file = make_file(&dir, "movie.mov", 23 * MIB + 12345, 1);
    let uploader = Uploader::builder(client.clone())
        .part_size(part(5))
        .concurrency(3)
        .read_mode(mode)
        .build();
    let job = UploadJob::new(&file, bucket, "src/movie.mov");
    let events = std::sync::Mutex::new(Vec::new());
    let report = uploader
        .upload(&job, &|p| events.lock().unwrap().push(p.bytes_sent))
        .await
        .expect("upload");
    assert_eq!(
        report.outcome,
        UploadOutcome::Multipart {
            parts: 5,
            parts_sent: 5,
            parts_resumed: 0
        }
    );
    assert!(report.verified);
    let local = crc64(&file);
    assert_eq!(report.checksum, local);
    assert_eq!(
        stored_checksum(&client, bucket, "src/movie.mov").await,
        Some(local)
    );
    let head = client
        .head_object()
        .bucket(bucket)
        .key("src/movie.mov")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some((23 * MIB + 12345) as i64));
    assert_eq!(head.content_type(), Some("video/quicktime"));
    // Progress ends at the file size and never goes past it.
    let ev = events.lock().unwrap().clone();
    assert_eq!(ev.last().copied(), Some(23 * MIB + 12345));
    assert!(ev.iter().all(|&b| b <= 23 * MIB + 12345));
    assert_eq!(upload_part_calls(&emu), 5);
    assert_eq!(open_uploads(&client, bucket).await, 0);
    // Memory: never more than part size x concurrency in buffers.
    assert!(uploader.peak_bytes_in_flight() <= 3 * 5 * MIB);

    // Unchanged: a second upload is a skip, without any UploadPart or PutObject.
    emu.reset_requests();
    let again = uploader.upload(&job, &|_| {}).await.expect("upload");
    assert_eq!(again.outcome, UploadOutcome::Skipped);
    assert!(
        emu.requests()
            .iter()
            .all(|e| !matches!(e.operation.as_str(), "UploadPart" | "PutObject")),
        "{:?}",
        emu.requests()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_that_fails_twice_then_succeeds() {
    let (emu, conf, _) = setup("retry").await;
    let dir = temp_dir("retry");
    let file = make_file(&dir, "a.mp4", 16 * MIB, 2);
    let faulty = Faulty::new(2, Fault::Fail500(2));
    let attempts = faulty.attempts.clone();
    // One SDK attempt per call: the uploader's own per-part retry is what recovers.
    let client = s3(&conf, Some(SharedHttpClient::new(faulty)), 1);
    let uploader = Uploader::builder(client.clone())
        .part_size(part(5))
        .concurrency(2)
        .retry_backoff(Duration::from_millis(20))
        .build();
    let report = uploader
        .upload(&UploadJob::new(&file, "retry", "a.mp4"), &|_| {})
        .await
        .expect("the part succeeds on its third attempt");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        3,
        "part 2: two failures, one success"
    );
    assert!(matches!(
        report.outcome,
        UploadOutcome::Multipart { parts: 4, .. }
    ));
    assert_eq!(upload_part_calls(&emu), 4);
    assert_eq!(
        stored_checksum(&client, "retry", "a.mp4").await,
        Some(crc64(&file))
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_upload_resumes_with_only_the_missing_parts() {
    let (emu, conf, client) = setup("resume").await;
    let dir = temp_dir("resume");
    let file = make_file(&dir, "big.mov", 40 * MIB, 3);
    // Slow S3 down so that the kill lands midway.
    emu.set_service_knobs(
        "s3",
        ServiceKnobs {
            latency_ms: 150,
            ..Default::default()
        },
    )
    .unwrap();
    let first = Uploader::builder(s3(&conf, None, 3))
        .part_size(part(5))
        .concurrency(2)
        .build();
    let job = UploadJob::new(&file, "resume", "big.mov");
    let task = {
        let job = job.clone();
        tokio::spawn(async move { first.upload(&job, &|_| {}).await })
    };
    // "Kill" the upload once three parts are in S3: the future is dropped mid-flight.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while upload_part_calls(&emu) < 3 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort();
    assert!(task.await.is_err(), "the upload was cancelled");
    tokio::time::sleep(Duration::from_millis(500)).await;
    emu.clear_knobs();

    let uploads = client
        .list_multipart_uploads()
        .bucket("resume")
        .send()
        .await
        .unwrap();
    assert_eq!(
        uploads.uploads().len(),
        1,
        "the interrupted upload is still there"
    );
    let id = uploads.uploads()[0].upload_id().unwrap().to_owned();
    let held = client
        .list_parts()
        .bucket("resume")
        .key("big.mov")
        .upload_id(&id)
        .send()
        .await
        .unwrap()
        .parts()
        .len() as u64;
    assert!((3..8).contains(&held), "{held} parts held");

    // The next run finds it and sends only the rest.
    emu.reset_requests();
    let second = Uploader::builder(client.clone())
        .part_size(part(8)) // a different setting: the upload's own part size wins
        .concurrency(2)
        .build();
    let report = second.upload(&job, &|_| {}).await.expect("resumed upload");
    assert_eq!(
        report.outcome,
        UploadOutcome::Multipart {
            parts: 8,
            parts_sent: 8 - held,
            parts_resumed: held
        }
    );
    assert_eq!(upload_part_calls(&emu) as u64, 8 - held);
    let ops: Vec<String> = emu.requests().into_iter().map(|e| e.operation).collect();
    assert!(ops.iter().any(|o| o == "ListMultipartUploads"), "{ops:?}");
    assert!(ops.iter().any(|o| o == "ListParts"), "{ops:?}");
    assert!(!ops.iter().any(|o| o == "CreateMultipartUpload"), "{ops:?}");
    assert_eq!(
        stored_checksum(&client, "resume", "big.mov").await,
        Some(crc64(&file))
    );
    assert_eq!(open_uploads(&client, "resume").await, 0);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_part_is_detected_and_never_completed() {
    let (emu, conf, client) = setup("corrupt").await;
    let dir = temp_dir("corrupt");
    let file = make_file(&dir, "c.mov", 20 * MIB, 4);
    let faulty = Faulty::new(3, Fault::WrongChecksum);
    let attempts = faulty.attempts.clone();
    let uploader = Uploader::builder(s3(&conf, Some(SharedHttpClient::new(faulty)), 1))
        .part_size(part(5))
        .concurrency(2)
        .part_attempts(3)
        .retry_backoff(Duration::from_millis(10))
        .build();
    let err = uploader
        .upload(&UploadJob::new(&file, "corrupt", "c.mov"), &|_| {})
        .await
        .expect_err("a part whose checksum never matches fails the upload");
    assert!(err.to_string().contains("BadDigest"), "{err}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "retried, then given up");
    let ops: Vec<String> = emu.requests().into_iter().map(|e| e.operation).collect();
    assert!(
        !ops.iter().any(|o| o == "CompleteMultipartUpload"),
        "{ops:?}"
    );
    assert!(ops.iter().any(|o| o == "AbortMultipartUpload"), "{ops:?}");
    assert_eq!(open_uploads(&client, "corrupt").await, 0);
    assert!(
        client
            .head_object()
            .bucket("corrupt")
            .key("c.mov")
            .send()
            .await
            .is_err(),
        "no object was created"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_during_upload_is_aborted_and_leaves_no_upload() {
    let (emu, _conf, client) = setup("changed").await;
    let dir = temp_dir("changed");
    let file = make_file(&dir, "m.mov", 20 * MIB, 5);
    emu.set_service_knobs(
        "s3",
        ServiceKnobs {
            latency_ms: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let uploader = Uploader::builder(client.clone())
        .part_size(part(5))
        .concurrency(1)
        .build();
    let changed = std::sync::atomic::AtomicBool::new(false);
    let err = uploader
        .upload(&UploadJob::new(&file, "changed", "m.mov"), &|p| {
            if p.bytes_sent > 0 && !changed.swap(true, Ordering::SeqCst) {
                // Someone edits the file while it is being sent.
                use std::io::{Seek, SeekFrom, Write};
                let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
                f.seek(SeekFrom::Start(15 * MIB)).unwrap();
                f.write_all(b"edited").unwrap();
            }
        })
        .await
        .expect_err("the upload notices the change");
    assert!(err.to_string().contains("changed"), "{err}");
    let ops: Vec<String> = emu.requests().into_iter().map(|e| e.operation).collect();
    assert!(ops.iter().any(|o| o == "AbortMultipartUpload"), "{ops:?}");
    assert!(
        !ops.iter().any(|o| o == "CompleteMultipartUpload"),
        "{ops:?}"
    );
    assert_eq!(open_uploads(&client, "changed").await, 0);
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_files_share_one_bound_on_bytes_in_flight() {
    let (emu, _conf, client) = setup("many").await;
    let dir = temp_dir("many");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    let files = [
        make_file(&dir, "one.mov", 12 * MIB, 6),
        make_file(&dir, "a/two.mov", 11 * MIB, 7),
        make_file(&dir, "a/b/three.mov", 13 * MIB, 8),
        make_file(&dir, "a/small.json", 100_000, 9),
    ];
    let jobs = UploadJob::for_path(&dir, "many", "in").unwrap();
    let keys: Vec<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "in/a/b/three.mov",
            "in/a/small.json",
            "in/a/two.mov",
            "in/one.mov"
        ]
    );
    let uploader = Uploader::builder(client.clone())
        .part_size(part(5))
        .concurrency(4)
        .max_bytes_in_flight(10 * MIB)
        .build();
    let results = uploader.upload_all(&jobs, &|_| {}).await;
    for r in &results {
        let r = r.as_ref().expect("every file uploads");
        assert!(r.verified);
        assert_eq!(
            Some(r.checksum.clone()),
            stored_checksum(&client, "many", &r.key).await
        );
    }
    assert_eq!(results[1].as_ref().unwrap().outcome, UploadOutcome::Put);
    assert!(
        uploader.peak_bytes_in_flight() <= 10 * MIB,
        "peak {} bytes",
        uploader.peak_bytes_in_flight()
    );
    assert!(uploader.peak_bytes_in_flight() >= 5 * MIB);
    assert_eq!(upload_part_calls(&emu), 3 + 3 + 3);
    drop(files);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn part_sizes_grow_for_huge_files() {
    let p = PartSize::DEFAULT;
    let size = 400 * 1024 * MIB; // 400 GiB
    let q = p.for_object(size).unwrap();
    assert!(q.parts(size) <= vod_pipeline::upload::MAX_PARTS);
    assert!(q > p);
}

/// The object records the file's size and modification time: an unchanged file is recognised
/// without reading it (a file whose bytes changed but whose size and time were put back is taken as
/// unchanged, which shows that no byte was read), and `verify_checksums` reads and compares.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_stamp_skips_without_reading() {
    for size in [3 * MIB, 7 * MIB] {
        let bucket = "stamps";
        let (_emu, conf, client) = setup(bucket).await;
        let dir = temp_dir(&format!("stamp-{size}"));
        let path = make_file(&dir, "clip.mp4", size, 7);
        let job = UploadJob::new(&path, bucket, "clip.mp4");
        let uploader = Uploader::builder(s3(&conf, None, 3))
            .part_size(part(5))
            .build();
        let first = uploader.upload(&job, &|_| {}).await.expect("upload");
        assert_ne!(first.outcome, UploadOutcome::Skipped);
        let head = client
            .head_object()
            .bucket(bucket)
            .key("clip.mp4")
            .send()
            .await
            .unwrap();
        let stamp = head
            .metadata()
            .and_then(|m| m.get("vod-pipeline-stamp"))
            .cloned();
        assert!(
            stamp
                .as_deref()
                .is_some_and(|s| s.starts_with(&format!("{size}:"))),
            "{stamp:?}"
        );

        // Other bytes, same size and modification time.
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[0] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let again = uploader.upload(&job, &|_| {}).await.expect("upload");
        assert_eq!(again.outcome, UploadOutcome::Skipped, "{size}");
        assert_eq!(again.checksum, first.checksum);

        let verifying = Uploader::builder(s3(&conf, None, 3))
            .part_size(part(5))
            .verify_checksums(true)
            .build();
        let checked = verifying.upload(&job, &|_| {}).await.expect("upload");
        assert_ne!(checked.outcome, UploadOutcome::Skipped, "{size}");
        assert_eq!(checked.checksum, crc64(&path));
        std::fs::remove_dir_all(dir).ok();
    }
}
