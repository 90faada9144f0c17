//! The runtime client against the in-process emulator: infrastructure-only apply, then publish from
//! a local file and from S3, status, listing, republish, concurrent publishers and unpublish.

use std::time::Duration;

use crate::common::*;
use vod_emulator::EmulatorHandle;
use vod_pipeline::{AssetSource, AssetStatus, Change, PublishedAsset, VodClient, VodPipeline};

/// The shared spec without its `files`: infrastructure only.
pub fn infra_only(spec: &str) -> VodPipeline {
    let without = spec_without_files(spec);
    let dir = shared_spec(spec).parent().unwrap().to_owned();
    VodPipeline::from_toml_str(&without, &dir).expect("valid without files")
}

pub async fn deploy_infra(spec: &str) -> (EmulatorHandle, aws_config::SdkConfig, VodPipeline) {
    deploy_infra_on(emulator().await, spec).await
}

async fn deploy_infra_on(
    emu: EmulatorHandle,
    spec: &str,
) -> (EmulatorHandle, aws_config::SdkConfig, VodPipeline) {
    let config = sdk_config(&emu).await;
    let pipeline = infra_only(spec);
    pipeline
        .plan()
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("infrastructure apply succeeds");
    (emu, config, pipeline)
}

pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

fn sample() -> std::path::PathBuf {
    shared_spec("sample.mp4")
}

/// Every manifest of the asset is served through the edge and parses; the first variant playlist
/// and its first segment are served too.
pub async fn assert_plays(asset: &PublishedAsset) {
    assert!(!asset.playback.is_empty(), "{asset:?}");
    for p in &asset.playback {
        assert!(
            p.url.path().starts_with(&format!("/{}/", asset.id)),
            "{}",
            p.url
        );
        let r = get(&p.url, &[]).await;
        assert_eq!(r.status, 200, "{} -> {}", p.url, r.status);
        match p.manifest.as_str() {
            "m3u8" => {
                let Ok(m3u8_rs::Playlist::MasterPlaylist(m)) = m3u8_rs::parse_playlist_res(&r.body)
                else {
                    panic!("{} is not a master playlist", p.url)
                };
                let variant = p.url.join(&m.variants[0].uri).unwrap();
                let v = get(&variant, &[]).await;
                assert_eq!(v.status, 200, "{variant}");
                let Ok(m3u8_rs::Playlist::MediaPlaylist(media)) =
                    m3u8_rs::parse_playlist_res(&v.body)
                else {
                    panic!("{variant} is not a media playlist")
                };
                let seg = variant.join(&media.segments[0].uri).unwrap();
                let s = get(&seg, &[]).await;
                assert_eq!(s.status, 200, "{seg}");
                assert!(!s.body.is_empty(), "{seg}");
            }
            _ => {
                dash_mpd_core::parse(&String::from_utf8_lossy(&r.body))
                    .unwrap_or_else(|e| panic!("{}: {e}", p.url));
            }
        }
    }
}

fn count(emu: &EmulatorHandle, operation: &str) -> usize {
    emu.requests()
        .iter()
        .filter(|e| e.operation == operation)
        .count()
}

async fn publish_status_unpublish(spec: &str) {
    let (emu, config, pipeline) = deploy_infra(spec).await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    let s3 = s3_client(&config);
    let source_bucket = pipeline.source().bucket.to_string();

    // From a local file, with a progress watcher that sees the job move.
    let mut handle = vod.publish(AssetSource::file(sample())).start();
    let watcher = {
        let vod = vod.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..2000 {
                let s = vod.asset("sample").await.expect("status");
                let done = matches!(s, AssetStatus::Published(_));
                seen.push(s);
                if done {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            seen
        })
    };
    let events = handle.events();
    let from_file = handle.join().await.expect("publish from a file");
    drop(events);
    assert_eq!(from_file.id, "sample");
    assert_eq!(from_file.change, Change::Create);
    assert_plays(&from_file).await;
    let seen = watcher.await.unwrap();
    // Progress while the job runs: MediaConvert's percent and phase, as `GetJob` reports them.
    assert!(
        seen.iter().any(|s| matches!(
            s,
            AssetStatus::Transcoding {
                job_id: Some(_),
                percent: Some(_),
                phase: Some(_),
            }
        )),
        "{spec}: no transcoding progress while the job ran: {seen:?}"
    );
    assert!(
        matches!(seen.last(), Some(AssetStatus::Published(_))),
        "{seen:?}"
    );

    // From an object a plain S3 client put, published under another id.
    s3.put_object()
        .bucket(&source_bucket)
        .key("uploads/browser-clip.mp4")
        .body(std::fs::read(sample()).unwrap().into())
        .send()
        .await
        .unwrap();
    let from_s3 = vod
        .publish(
            AssetSource::s3(&format!("s3://{source_bucket}/uploads/browser-clip.mp4")).unwrap(),
        )
        .id("from-s3".parse().unwrap())
        .start()
        .join()
        .await
        .expect("publish from S3");
    assert_eq!(from_s3.id, "from-s3");
    assert_plays(&from_s3).await;

    // The catalog, from live state.
    let listed = vod.assets().await.expect("assets");
    let ids: Vec<&str> = listed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["from-s3", "sample"], "{spec}");
    assert_eq!(listed[1].playback, from_file.playback);
    assert_eq!(listed[1].job_id, from_file.job_id);
    assert_eq!(listed[0].playback, from_s3.playback);
    match vod.asset("from-s3").await.unwrap() {
        AssetStatus::Published(a) => assert_eq!(a.job_id, from_s3.job_id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        vod.asset("never-published").await.unwrap(),
        AssetStatus::NotFound
    );

    // The same content again: nothing transcoded, no mutating call.
    emu.reset_requests();
    let again = VodClient::with_options(&pipeline, &config, options())
        .publish(AssetSource::file(sample()))
        .start()
        .join()
        .await
        .expect("publish again");
    assert_eq!(again.change, Change::NoOp);
    assert_eq!(again.job_id, from_file.job_id);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new(), "{spec}");

    // Unpublish: the edge stops serving it, the source stays.
    let manifest = from_file.playback[0].url.clone();
    assert_eq!(get(&manifest, &[]).await.status, 200);
    let gone = vod.unpublish("sample").send().await.expect("unpublish");
    assert!(gone.objects_deleted > 0, "{gone:?}");
    assert_eq!(gone.source_deleted, None);
    let after = get(&manifest, &[]).await;
    assert!(
        matches!(after.status, 403 | 404),
        "{spec}: {manifest} still served after unpublish: {}",
        after.status
    );
    s3.head_object()
        .bucket(&source_bucket)
        .key(pipeline.source().prefix.join("sample.mp4"))
        .send()
        .await
        .expect("the source media stays");
    assert_eq!(vod.asset("sample").await.unwrap(), AssetStatus::NotFound);
    let ids: Vec<String> = vod
        .assets()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, ["from-s3"]);
    // The other asset still plays.
    assert_plays(&from_s3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_status_unpublish_s3_origin() {
    publish_status_unpublish("s3-origin.toml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_status_unpublish_mediastore() {
    publish_status_unpublish("mediastore.toml").await;
}

/// Two publishers (two clients, as two processes would be) of the same new file at once: one
/// `CreateJob`, and both get its URLs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_publishers_start_one_job() {
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    emu.reset_requests();
    let a = VodClient::with_options(&pipeline, &config, options());
    let b = VodClient::with_options(&pipeline, &config, options());
    let (ra, rb) = tokio::join!(
        a.publish(AssetSource::file(sample())).start().join(),
        b.publish(AssetSource::file(sample())).start().join()
    );
    let (ra, rb) = (ra.expect("first publisher"), rb.expect("second publisher"));
    assert_eq!(count(&emu, "CreateJob"), 1, "{:#?}", mutating_calls(&emu));
    assert_eq!(ra.job_id, rb.job_id);
    assert_eq!(ra.playback, rb.playback);
    assert_plays(&ra).await;
}

/// Changed content under the same id is transcoded again, and its old paths are invalidated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn republishing_changed_content_transcodes_and_invalidates() {
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    let first = vod
        .publish(AssetSource::file(sample()))
        .start()
        .join()
        .await
        .unwrap();
    // The same bytes plus a trailing byte are other content (MP4 readers ignore trailing data).
    let dir = std::env::temp_dir().join(format!("vod-republish-{}", emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let changed = dir.join("sample.mp4");
    let mut bytes = std::fs::read(sample()).unwrap();
    bytes.push(0);
    std::fs::write(&changed, bytes).unwrap();
    emu.reset_requests();
    let second = vod
        .publish(AssetSource::file(&changed))
        .start()
        .join()
        .await
        .unwrap();
    assert!(
        matches!(second.change, Change::Update { .. }),
        "{:?}",
        second.change
    );
    assert_ne!(second.job_id, first.job_id);
    assert_eq!(count(&emu, "CreateJob"), 1);
    assert_eq!(count(&emu, "CreateInvalidation"), 1);
    assert_plays(&second).await;
    // The index names the new job only: the earlier job's entry is gone.
    let listed = vod.assets().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].job_id, second.job_id);
    let index = s3_client(&config)
        .list_objects_v2()
        .bucket(pipeline.transcode().output_bucket.as_str())
        .prefix(format!(
            "{}.vod-pipeline/assets/sample/",
            pipeline.transcode().output_prefix
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(index.contents().len(), 1, "{:?}", index.contents());
}

/// Bad input is refused before any AWS call, with the field, the value and the rule.
#[tokio::test]
async fn invalid_input_makes_no_call() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let pipeline = infra_only("mediastore.toml");
    let vod = pipeline.client(&config);
    emu.reset_requests();
    for (source, id, field) in [
        (AssetSource::file("/no/such/file.mp4"), None, "source"),
        (AssetSource::file(sample()), Some("ab"), "id"),
        (AssetSource::file(sample()), Some("a/../b"), "id"),
    ] {
        let mut p = vod.publish(source);
        if let Some(id) = id {
            match id.parse() {
                Ok(id) => p = p.id(id),
                Err(e) => {
                    assert!(id.contains('/'), "{id}: {e}");
                    continue;
                }
            }
        }
        let err = p.start().join().await.unwrap_err();
        assert!(err.is_input_error(), "{err}");
        assert_eq!(err.violations()[0].field, field, "{err}");
    }
    assert!(AssetSource::s3("s3://Bad_Bucket/k").is_err());
    assert!(AssetSource::s3("s3://bucket/").is_err());
    let err = vod.asset("-bad").await.unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert_eq!(emu.requests().len(), 0, "{:?}", emu.requests());
}

/// A browser-style upload: presigned URLs, the parts PUT with a plain HTTP client (no SDK), the
/// upload completed, published and played; a small file takes one presigned PUT; an expired URL is
/// refused as S3 refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_style_upload_then_publish() {
    use vod_pipeline::client::UploadKind;
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    let http = reqwest::Client::new();

    // Above the part size: the sample, then a `free` box of padding (valid MP4), 6 MiB in all.
    let mut bytes = std::fs::read(sample()).unwrap();
    let pad = 6 * 1024 * 1024 - bytes.len();
    bytes.extend(u32::try_from(pad).unwrap().to_be_bytes());
    bytes.extend(b"free");
    bytes.extend(vec![0u8; pad - 8]);
    emu.reset_requests();
    let urls = vod
        .upload_url("browser", bytes.len() as u64)
        .content_type("video/mp4")
        .expires_in(Duration::from_secs(600))
        .part_size(vod_pipeline::PartSize::MIN)
        .send()
        .await
        .expect("upload URLs");
    assert_eq!(count(&emu, "CreateMultipartUpload"), 1);
    let UploadKind::Multipart {
        upload_id, parts, ..
    } = &urls.kind
    else {
        panic!("a multipart upload: {urls:?}")
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts.iter().map(|p| p.length).sum::<u64>(),
        bytes.len() as u64
    );
    // While the parts arrive, the asset is uploading.
    assert_eq!(vod.asset("browser").await.unwrap(), AssetStatus::Uploading);
    for part in parts {
        let start = part.offset as usize;
        let body = bytes[start..start + part.length as usize].to_vec();
        let r = http.put(&part.url).body(body).send().await.unwrap();
        assert!(
            r.status().is_success(),
            "part {}: {}",
            part.number,
            r.status()
        );
    }
    assert_eq!(count(&emu, "UploadPart"), 2);
    let object = vod
        .complete_upload("browser", upload_id, "mp4")
        .await
        .expect("completes");
    assert_eq!(object, urls.object);
    let s3 = s3_client(&config);
    let (bucket, key) = object.trim_start_matches("s3://").split_once('/').unwrap();
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(bytes.len() as i64));
    let asset = vod
        .publish(AssetSource::s3(&object).unwrap())
        .start()
        .join()
        .await
        .expect("publish the uploaded object");
    assert_eq!(asset.id, "browser");
    assert_plays(&asset).await;

    // Below the part size: one presigned PUT, with the signed Content-Type.
    let small = std::fs::read(sample()).unwrap();
    let urls = vod
        .upload_url("small", small.len() as u64)
        .send()
        .await
        .unwrap();
    let UploadKind::Single { url } = &urls.kind else {
        panic!("one PUT: {urls:?}")
    };
    let r = http
        .put(url)
        .header("content-type", &urls.content_type)
        .body(small.clone())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (bucket, key) = urls
        .object
        .trim_start_matches("s3://")
        .split_once('/')
        .unwrap();
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(small.len() as i64));

    // Expired: refused with S3's answer, nothing written.
    let late = vod
        .upload_url("late", 3)
        .expires_in(Duration::from_secs(1))
        .send()
        .await
        .unwrap();
    let UploadKind::Single { url } = &late.kind else {
        panic!("one PUT")
    };
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = http
        .put(url)
        .header("content-type", "video/mp4")
        .body(b"abc".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("<Code>AccessDenied</Code>") && text.contains("Request has expired"),
        "{text}"
    );
    let (bucket, key) = late
        .object
        .trim_start_matches("s3://")
        .split_once('/')
        .unwrap();
    assert!(
        s3.head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .is_err()
    );
}

/// Every problem of an upload URL request at once, before any AWS call.
#[tokio::test]
async fn upload_url_input_is_checked_first() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let vod = infra_only("s3-origin.toml").client(&config);
    emu.reset_requests();
    let err = vod
        .upload_url("-bad", 0)
        .content_type("text/html")
        .expires_in(Duration::from_secs(8 * 24 * 3600))
        .send()
        .await
        .unwrap_err();
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["id", "size", "content_type", "expires"], "{err}");
    assert_eq!(emu.requests().len(), 0);
}

/// The content commands of `vod` against a deployed pipeline: publish (with `--json`), assets,
/// asset, upload-url, unpublish, and exit code 2 for invalid input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vod_content_commands() {
    let (emu, _config, _pipeline) = deploy_infra("s3-origin.toml").await;
    let dir = std::env::temp_dir().join(format!("vod-cli-content-{}", emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("infra.toml");
    std::fs::write(&spec, spec_without_files("s3-origin.toml")).unwrap();
    let spec = spec.to_str().unwrap().to_owned();
    let sample = sample();
    let sample = sample.to_str().unwrap().to_owned();
    let url = emu.endpoint_url();
    let vod = move |args: Vec<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                vod_command(&url).args(&args).output().expect("vod runs")
            })
            .await
            .unwrap()
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    let out = vod(args(&["publish", &spec, &sample, "--json"])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap()).expect("a JSON asset last");
    assert_eq!(last["id"], "sample");
    assert_eq!(last["change"], "create");
    let first_url = last["playback"][0]["url"].as_str().unwrap().to_owned();

    let out = vod(args(&["assets", &spec])).await;
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sample  published") && stdout.contains(&first_url),
        "{stdout}"
    );

    let out = vod(args(&["upload-url", &spec, "clip", "--size", "40MiB"])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("vod complete-upload")
            && stdout.contains("--upload-id")
            && stdout.contains("vod publish"),
        "{stdout}"
    );

    // Invalid input: exit code 2, the problem on stderr, before any AWS call.
    emu.reset_requests();
    for bad in [
        args(&["publish", &spec, &sample, &sample, "--id", "x1"]),
        args(&["publish", &spec, "s3://Not_A_Bucket/k.mp4"]),
        args(&["upload-url", &spec, "clip", "--size", "0"]),
        args(&["asset", &spec, "../etc"]),
    ] {
        let out = vod(bad.clone()).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(emu.requests().len(), 0, "{:?}", emu.requests());

    let out = vod(args(&["unpublish", &spec, "sample"])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vod(args(&["asset", &spec, "sample", "--json"])).await;
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["status"], "not-found");
}

/// `wait(false)` starts the job and returns; publishing the same source again attaches to that job
/// (no second `CreateJob`) and finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_without_waiting_then_finish() {
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    emu.reset_requests();
    let started = vod
        .publish(AssetSource::file(sample()))
        .wait(false)
        .start()
        .join()
        .await
        .unwrap();
    assert!(!started.published);
    let status = vod.asset("sample").await.unwrap();
    assert!(
        matches!(status, AssetStatus::Transcoding { job_id: Some(ref j), .. } if *j == started.job_id),
        "{status:?}"
    );
    let done = vod
        .publish(AssetSource::file(sample()))
        .start()
        .join()
        .await
        .unwrap();
    assert!(done.published);
    assert_eq!(done.job_id, started.job_id);
    assert_eq!(count(&emu, "CreateJob"), 1);
    assert_plays(&done).await;
}

/// 100 unpublishes at once: CloudFront allows 15 wildcard paths in progress per distribution (the
/// emulator enforces it), so the paths are batched into few invalidations that wait for room; every
/// unpublish succeeds, none fails with TooManyInvalidationsInProgress.
///
/// An invalidation stays in progress for three seconds here, longer than the 100 unpublishes take
/// to reach the batcher even on a loaded CI machine (one second was not always: a CI run saw 27
/// batches), so that the quota, not the arrival times, decides the batches: once at the limit, a
/// waiting batch takes in what arrives until it holds 15 paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_unpublishes_at_once_share_few_invalidations() {
    let emu = crate::common::emulator_builder()
        .deploy_delay(Duration::from_secs(3))
        .start()
        .await
        .expect("emulator starts");
    let (emu, config, pipeline) = deploy_infra_on(emu, "s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    vod.assets().await.unwrap(); // the infrastructure looked up once
    emu.reset_requests();
    let results = futures::future::join_all((0..100).map(|i| {
        let vod = vod.clone();
        async move { vod.unpublish(&format!("asset-{i}")).send().await }
    }))
    .await;
    for r in &results {
        let r = r.as_ref().expect("every unpublish succeeds");
        assert_eq!(r.objects_deleted, 0);
    }
    let log = emu.requests();
    let created = log
        .iter()
        .filter(|e| e.operation == "CreateInvalidation" && e.status == 201)
        .count();
    let refused = log
        .iter()
        .filter(|e| e.operation == "CreateInvalidation" && e.status == 400)
        .count();
    eprintln!("{created} invalidations created, {refused} refused at the quota");
    assert!(
        (7..=20).contains(&created),
        "{created} invalidations for 100 wildcard paths, at most 15 each"
    );
    assert!(
        refused >= 1,
        "the quota was never reached: {created} created"
    );
    let ids: std::collections::HashSet<&str> = results
        .iter()
        .map(|r| r.as_ref().unwrap().invalidation_id.as_str())
        .collect();
    assert_eq!(ids.len(), created);
}

/// A job that fails: the publish returns MediaConvert's error, the asset's status says failed with
/// the code and message, and publishing again starts a new job rather than reattaching to the failed
/// one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_reported_and_retried() {
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    let dir = std::env::temp_dir().join(format!("vod-broken-{}", emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.mp4");
    // An MP4 header (so the client's media sniff lets it through) and nothing a decoder can use.
    let mut bytes = vec![0, 0, 0, 0x18];
    bytes.extend(b"ftypisom\0\0\x02\0isomiso2");
    bytes.extend(b"this is not a video".repeat(40));
    std::fs::write(&broken, bytes).unwrap();
    emu.reset_requests();
    let err = vod
        .publish(AssetSource::file(&broken))
        .start()
        .join()
        .await
        .unwrap_err();
    let vod_pipeline::Error::Job { job_id, .. } = &err else {
        panic!("{err:?}")
    };
    match vod.asset("broken").await.unwrap() {
        AssetStatus::Failed {
            job_id: failed,
            code,
            message,
        } => {
            assert_eq!(&failed, job_id);
            assert!(code.is_some(), "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let again = vod
        .publish(AssetSource::file(&broken))
        .start()
        .join()
        .await
        .unwrap_err();
    let vod_pipeline::Error::Job { job_id: second, .. } = &again else {
        panic!("{again:?}")
    };
    assert_ne!(second, job_id, "a new job, not the failed one");
    assert_eq!(count(&emu, "CreateJob"), 2);
}

/// A file that is not media fails the publish with an input error naming it, before any AWS call:
/// the same sniff as a spec's source files.
#[tokio::test]
async fn a_file_that_is_not_media_is_refused_before_any_call() {
    let (emu, config, pipeline) = deploy_infra("s3-origin.toml").await;
    let vod = VodClient::with_options(&pipeline, &config, options());
    let dir = std::env::temp_dir().join(format!("vod-not-media-{}", emu.port()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("notes.mp4");
    std::fs::write(&text, b"this is not a video").unwrap();
    let empty = dir.join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    emu.reset_requests();
    for (file, rule) in [
        (&text, "is not a media file MediaConvert reads"),
        (&empty, "is empty (0 bytes)"),
    ] {
        let err = vod
            .publish(AssetSource::file(file))
            .start()
            .join()
            .await
            .unwrap_err();
        let vod_pipeline::Error::Invalid(v) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(v.0[0].field, "source", "{err}");
        assert_eq!(v.0[0].value, file.display().to_string());
        assert!(v.0[0].rule.contains(rule), "{err}");
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}
