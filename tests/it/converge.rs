//! Converge: what leaves the spec leaves AWS. Assets and formats taken out of a spec are deleted by
//! the next apply (after the new state is in place), reported by refresh, and kept with
//! `keep_orphans`; assets published at runtime are never touched.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::publish::{assert_plays, s3_client};
use vod_emulator::EmulatorHandle;
use vod_pipeline::{AssetSource, Change, Deployment, OrphanKind, VodClient, VodPipeline};

/// A copy of a shared spec in its own folder (written there under the same name, for `vod`), with
/// `sample.mp4` and `second.mp4` beside it, edited by `edit` (pairs of text to replace).
fn spec_in(dir: &Path, name: &str, edit: &[(&str, &str)]) -> VodPipeline {
    std::fs::create_dir_all(dir).unwrap();
    for f in ["sample.mp4", "second.mp4"] {
        std::fs::copy(shared_spec("sample.mp4"), dir.join(f)).unwrap();
    }
    let mut text = std::fs::read_to_string(shared_spec(name)).unwrap();
    for (from, to) in edit {
        assert!(text.contains(from), "{name} has no {from:?}");
        text = text.replace(from, to);
    }
    std::fs::write(dir.join(name), &text).unwrap();
    VodPipeline::from_toml_str(&text, dir).unwrap_or_else(|e| panic!("{e}"))
}

fn dir_for(emu: &EmulatorHandle, what: &str) -> PathBuf {
    std::env::temp_dir().join(format!("vod-converge-{what}-{}", emu.port()))
}

async fn apply(p: &VodPipeline, config: &aws_config::SdkConfig, keep: bool) -> Deployment {
    p.plan()
        .apply(config)
        .options(options())
        .wait_for_deployment(true)
        .keep_orphans(keep)
        .start()
        .join()
        .await
        .unwrap_or_else(|e| panic!("apply: {e}"))
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.expect("list");
        out.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    out
}

/// Paths a player fetches of every playback URL of an asset: each must answer `status`.
async fn urls_answer(d: &Deployment, asset: &str, format: Option<&str>, ok: bool) {
    let urls: Vec<_> = d
        .playback
        .iter()
        .filter(|p| p.asset == asset && format.is_none_or(|f| p.format.to_string() == f))
        .collect();
    assert!(!urls.is_empty(), "no URL of {asset} {format:?}");
    for p in urls {
        let r = get(&p.url, &[]).await;
        if ok {
            assert_eq!(r.status, 200, "{} -> {}", p.url, r.status);
        } else {
            assert!(
                matches!(r.status, 403 | 404),
                "{} -> {} (expected 403 or 404 once deleted)",
                p.url,
                r.status
            );
        }
    }
}

/// S3 origin: take `dash` out of the formats. Refresh lists its folder as `delete`; apply deletes
/// it from the origin after the distribution is in place; hls and cmaf still play; a second apply
/// makes no mutating call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_removed_from_the_spec_leaves_the_origin() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "format");
    let full = spec_in(&dir, "s3-origin.toml", &[]);
    let before = apply(&full, &config, false).await;
    urls_answer(&before, "sample", Some("dash"), true).await;
    let s3 = s3_client(&config);
    assert!(
        !keys(&s3, "s3-vod-origin", "assets/sample/dash/")
            .await
            .is_empty()
    );
    emu.reset_requests();

    let fewer = spec_in(
        &dir,
        "s3-origin.toml",
        &[(
            r#"formats = ["hls", "dash", "cmaf"]"#,
            r#"formats = ["hls", "cmaf"]"#,
        )],
    );
    let refresh = fewer.plan().refresh(&config).await.expect("refresh");
    assert_eq!(refresh.orphans.len(), 1, "{refresh}");
    let o = &refresh.orphans[0];
    assert_eq!(o.kind, OrphanKind::FormatOutput);
    assert_eq!(o.resource, "s3://s3-vod-origin/assets/sample/dash/");
    assert_eq!(o.change, Change::Delete);
    let json: serde_json::Value = serde_json::to_value(&refresh).unwrap();
    assert_eq!(json["orphans"][0]["change"], "delete", "{json:#}");
    assert_eq!(json["orphans"][0]["kind"], "format-output");
    assert!(
        refresh.to_string().contains("assets/sample/dash/"),
        "{refresh}"
    );
    // Refresh deleted nothing.
    assert!(
        !keys(&s3, "s3-vod-origin", "assets/sample/dash/")
            .await
            .is_empty()
    );

    // The same through `vod`: `plan --refresh --json` marks it delete; `apply --keep-orphans`
    // reports it kept and deletes nothing.
    let spec_file = dir.join("s3-origin.toml");
    let out = vod_command(&emu.endpoint_url())
        .args(["plan", "--refresh", "--json"])
        .arg(&spec_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["orphans"][0]["change"], "delete", "{json:#}");
    let out = vod_command(&emu.endpoint_url())
        .args(["apply", "--keep-orphans", "--json"])
        .arg(&spec_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    let deployment: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(deployment["orphans"][0]["change"], "kept", "{deployment:#}");
    assert_eq!(deployment["orphans"][0]["kind"], "format-output");
    assert!(
        !keys(&s3, "s3-vod-origin", "assets/sample/dash/")
            .await
            .is_empty()
    );
    let text = vod_command(&emu.endpoint_url())
        .args(["plan", "--refresh"])
        .arg(&spec_file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("- s3://s3-vod-origin/assets/sample/dash/")
            && text.contains("1 orphaned to delete"),
        "{text}"
    );

    let after = apply(&fewer, &config, false).await;
    assert_eq!(after.orphans.len(), 1, "{:#?}", after.orphans);
    assert_eq!(after.orphans[0].change, Change::Delete);
    assert_eq!(
        keys(&s3, "s3-vod-origin", "assets/sample/dash/").await,
        Vec::<String>::new()
    );
    // The DASH URL printed before now answers 403/404 through the edge; the others play.
    urls_answer(&before, "sample", Some("dash"), false).await;
    urls_answer(&after, "sample", Some("hls"), true).await;
    urls_answer(&after, "sample", Some("cmaf"), true).await;
    // The invalidation covered the format's folder.
    let invalidations: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|e| e.operation == "CreateInvalidation")
        .map(|e| e.path)
        .collect();
    assert!(!invalidations.is_empty());
    // What stays was made with the same settings: neither apply transcoded again.
    assert_eq!(
        after
            .steps
            .iter()
            .find(|s| s.id == "mediaconvert.job.sample")
            .map(|s| s.change.clone()),
        Some(Change::NoOp)
    );
    assert!(
        !emu.requests().iter().any(|e| e.operation == "CreateJob"),
        "removing a format transcoded again"
    );

    emu.reset_requests();
    let again = apply(&fewer, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert!(
        again.steps.iter().all(|s| s.change == Change::NoOp),
        "{:#?}",
        again.steps
    );
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}

/// MediaStore origin: take an asset out of the spec. With `keep_orphans` nothing is deleted and
/// the asset is reported; without, its output leaves the container and the output bucket, its URLs
/// answer 403/404 after the invalidation, its source object stays, and an asset published at
/// runtime (never in the spec) is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_removed_from_the_spec_leaves_the_origin_and_runtime_assets_stay() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "asset");
    let two = spec_in(
        &dir,
        "mediastore.toml",
        &[(
            r#"files = ["sample.mp4"]"#,
            r#"files = ["sample.mp4", "second.mp4"]"#,
        )],
    );
    let before = apply(&two, &config, false).await;
    urls_answer(&before, "second", None, true).await;

    // An asset published at runtime from a file under another name: never the spec's.
    let vod = VodClient::with_options(&two, &config, options());
    let runtime_file = dir.join("runtime.mp4");
    std::fs::copy(shared_spec("sample.mp4"), &runtime_file).unwrap();
    let runtime = vod
        .publish(AssetSource::file(&runtime_file))
        .start()
        .join()
        .await
        .expect("runtime publish");
    assert_eq!(runtime.id, "runtime");

    let s3 = s3_client(&config);
    let packaged = |asset: &str| format!("packaged/{asset}/");
    assert!(
        !keys(&s3, "seed-vod-packaged", &packaged("second"))
            .await
            .is_empty()
    );

    let one = spec_in(&dir, "mediastore.toml", &[]);
    // keep_orphans: reported, nothing deleted, no invalidation.
    emu.reset_requests();
    let kept = apply(&one, &config, true).await;
    assert_eq!(kept.orphans.len(), 1, "{:#?}", kept.orphans);
    assert_eq!(kept.orphans[0].kind, OrphanKind::AssetOutput);
    assert_eq!(kept.orphans[0].change, Change::Kept);
    assert!(
        kept.orphans[0]
            .reason
            .contains("mediastore://seed_vod/vod/second/"),
        "{}",
        kept.orphans[0].reason
    );
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
    urls_answer(&before, "second", None, true).await;

    let after = apply(&one, &config, false).await;
    let deleted: Vec<_> = after
        .orphans
        .iter()
        .map(|o| (o.kind, o.resource.as_str(), o.change.clone()))
        .collect();
    assert_eq!(
        deleted,
        [(
            OrphanKind::AssetOutput,
            "s3://seed-vod-packaged/packaged/second/",
            Change::Delete
        )]
    );
    assert_eq!(
        keys(&s3, "seed-vod-packaged", &packaged("second")).await,
        Vec::<String>::new()
    );
    urls_answer(&before, "second", None, false).await;
    urls_answer(&after, "sample", None, true).await;
    // The source media stay.
    assert_eq!(
        keys(&s3, "seed-vod-source", "uploads/second.mp4").await,
        ["uploads/second.mp4"]
    );
    // The runtime asset still plays and is still listed; the removed one is not.
    let status = vod.asset("runtime").await.expect("status");
    match status {
        vod_pipeline::AssetStatus::Published(a) => assert_plays(&a).await,
        other => panic!("the runtime asset was touched: {other:?}"),
    }
    let listed: Vec<String> = vod
        .assets()
        .await
        .expect("listing")
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert!(listed.contains(&"runtime".to_owned()), "{listed:?}");
    assert!(!listed.contains(&"second".to_owned()), "{listed:?}");

    // Converged: nothing left to delete, nothing to change.
    emu.reset_requests();
    let again = apply(&one, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}

/// Parses a fetched manifest: an HLS master playlist or a DASH MPD.
fn parses(url: &url::Url, body: &[u8]) -> bool {
    if url.path().ends_with(".m3u8") {
        matches!(
            m3u8_rs::parse_playlist_res(body),
            Ok(m3u8_rs::Playlist::MasterPlaylist(_))
        )
    } else {
        dash_mpd_core::parse(&String::from_utf8_lossy(body)).is_ok()
    }
}

/// Each orphan's kind and change, in order.
fn kinds_and_changes(orphans: &[vod_pipeline::Orphan]) -> Vec<(OrphanKind, Change)> {
    orphans.iter().map(|o| (o.kind, o.change.clone())).collect()
}

/// A viewer that fetches and parses every playback URL of a deployment, over and over, until
/// stopped: a switch of origin must not give it a single error.
struct Viewer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<(usize, Vec<String>)>,
}

impl Viewer {
    fn start(d: &Deployment) -> Self {
        let urls: Vec<url::Url> = d.playback.iter().map(|p| p.url.clone()).collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let running = stop.clone();
        let task = tokio::spawn(async move {
            let (mut fetched, mut errors) = (0, Vec::new());
            while !running.load(std::sync::atomic::Ordering::Relaxed) {
                for u in &urls {
                    let r = get(u, &[]).await;
                    fetched += 1;
                    if r.status != 200 || !parses(u, &r.body) {
                        errors.push(format!("{u} -> {}", r.status));
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            (fetched, errors)
        });
        Self { stop, task }
    }

    /// Stops it: it fetched at least once, and every fetch played.
    async fn assert_no_error(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (fetched, errors) = self.task.await.unwrap();
        assert!(fetched > 0);
        assert_eq!(
            errors,
            Vec::<String>::new(),
            "{fetched} fetches during the switch"
        );
    }
}

/// After a switch of origin in place: the new origin's early policy (`<policy>.early`) let the
/// existing distribution read it before the distribution moved (the late one had nothing left to
/// do), the distribution was updated and kept its id and domain, and every playback URL printed
/// before is the same and plays.
async fn assert_switched_in_place(before: &Deployment, after: &Deployment, policy: &str) {
    let change_of = |id: &str| {
        after
            .steps
            .iter()
            .find(|s| s.id == *id)
            .map(|s| s.change.clone())
    };
    assert_eq!(change_of(&format!("{policy}.early")), Some(Change::Create));
    assert_eq!(change_of(policy), Some(Change::NoOp));
    assert!(matches!(
        change_of("cloudfront.distribution"),
        Some(Change::Update { .. })
    ));
    let (old, new) = (
        before.distribution.clone().expect("a distribution"),
        after.distribution.clone().expect("a distribution"),
    );
    assert_eq!((new.id, new.domain_name), (old.id, old.domain_name));
    assert_eq!(after.playback, before.playback);
    for p in &before.playback {
        let r = get(&p.url, &[("Origin", "https://player.example.com")]).await;
        assert_eq!(r.status, 200, "{}", p.url);
        assert!(parses(&p.url, &r.body), "{}", p.url);
    }
}

/// The seed's own design moves off MediaStore: the whole edit is the origin section. The
/// distribution keeps its id and domain, every URL printed before plays after (and while the switch
/// runs, no viewer request gets an error), no MediaConvert job is created, and the container and
/// the MediaStore origin access control are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_off_mediastore_in_place_keeps_every_playback_url() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "switch");
    let on_mediastore = spec_in(&dir, "mediastore.toml", &[]);
    let before = apply(&on_mediastore, &config, false).await;
    assert!(!before.playback.is_empty());

    let on_s3 = spec_in(
        &dir,
        "mediastore.toml",
        &[(
            "[mediastore]\ncontainer = \"seed_vod\"",
            "[s3_origin]\nbucket = \"seed-vod-origin\"",
        )],
    );
    let refresh = on_s3.plan().refresh(&config).await.expect("refresh");
    let kinds: Vec<OrphanKind> = refresh.orphans.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [OrphanKind::OriginAccessControl, OrphanKind::Container],
        "{refresh}"
    );

    // Viewers keep playing while the switch runs.
    let viewer = Viewer::start(&before);
    emu.reset_requests();
    let after = apply(&on_s3, &config, false).await;
    viewer.assert_no_error().await;

    // The origin bucket let the existing distribution read before the distribution moved to it.
    assert_switched_in_place(&before, &after, "s3.bucket_policy.origin").await;
    let requests = emu.requests();
    assert!(
        !requests.iter().any(|e| e.operation == "CreateJob"),
        "the switch transcoded again"
    );
    let copies = requests
        .iter()
        .filter(|e| e.operation == "CopyObject")
        .count();
    assert!(copies > 0, "the output was not copied into the origin");
    let gone = kinds_and_changes(&after.orphans);
    assert_eq!(
        gone,
        [
            (OrphanKind::OriginAccessControl, Change::Delete),
            (OrphanKind::Container, Change::Delete)
        ],
        "{:#?}",
        after.orphans
    );
    let ms = aws_sdk_mediastore::Client::new(&config);
    assert!(
        ms.list_containers()
            .send()
            .await
            .unwrap()
            .containers()
            .is_empty()
    );
    let s3 = s3_client(&config);
    assert!(
        !keys(&s3, "seed-vod-origin", "vod/sample/hls/")
            .await
            .is_empty()
    );

    // Converged.
    emu.reset_requests();
    let again = apply(&on_s3, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}

/// The reverse switch, for the emulator and for accounts that still have MediaStore: an S3 origin
/// fed by copies goes back to a container under the same rules. The distribution waits for the
/// copies into the container, keeps its id and domain, no viewer request gets an error, nothing is
/// transcoded, and the S3 origin access control is deleted after the distribution left it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_back_to_mediastore_in_place_keeps_every_playback_url() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "switch-back");
    let to_s3 = (
        "[mediastore]\ncontainer = \"seed_vod\"",
        "[s3_origin]\nbucket = \"seed-vod-origin\"",
    );
    let on_s3 = spec_in(&dir, "mediastore.toml", &[to_s3]);
    let before = apply(&on_s3, &config, false).await;
    assert!(!before.playback.is_empty());

    let on_mediastore = spec_in(&dir, "mediastore.toml", &[]);
    let refresh = on_mediastore
        .plan()
        .refresh(&config)
        .await
        .expect("refresh");
    let kinds: Vec<OrphanKind> = refresh.orphans.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [OrphanKind::OriginAccessControl, OrphanKind::OriginCopies],
        "{refresh}"
    );
    let s3 = s3_client(&config);
    let copied = keys(&s3, "seed-vod-origin", "").await;
    assert!(!copied.is_empty());

    let viewer = Viewer::start(&before);
    emu.reset_requests();
    let after = apply(&on_mediastore, &config, false).await;
    viewer.assert_no_error().await;

    assert_switched_in_place(&before, &after, "mediastore.container_policy").await;
    let requests = emu.requests();
    let ops: Vec<String> = requests
        .iter()
        .map(|e| format!("{} {}", e.service, e.operation))
        .collect();
    assert!(
        !ops.contains(&"mediaconvert CreateJob".to_owned()),
        "the switch transcoded again"
    );
    // Every object went into the container before the distribution moved to it.
    let update = ops
        .iter()
        .position(|o| o == "cloudfront UpdateDistribution");
    let last_put = ops.iter().rposition(|o| o == "mediastore PutObject");
    assert!(
        matches!((last_put, update), (Some(p), Some(u)) if p < u),
        "{ops:?}"
    );
    let gone = kinds_and_changes(&after.orphans);
    assert_eq!(
        gone,
        [
            (OrphanKind::OriginAccessControl, Change::Delete),
            (OrphanKind::OriginCopies, Change::Delete)
        ],
        "{:#?}",
        after.orphans
    );
    // The copies left the bucket it no longer uses; the bucket stays.
    assert_eq!(keys(&s3, "seed-vod-origin", "").await, Vec::<String>::new());
    s3.head_bucket()
        .bucket("seed-vod-origin")
        .send()
        .await
        .expect("the bucket stays");

    // Converged.
    emu.reset_requests();
    let again = apply(&on_mediastore, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}

/// Cache settings move from policies to legacy (`ForwardedValues`): the custom cache policy the
/// distribution used is deleted, after the distribution stopped using it; the response headers
/// policy it still uses stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_policy_the_distribution_left_is_deleted_after_it() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "legacy");
    let no_files = (r#"files = ["sample.mp4"]"#, "# no files");
    let policies = spec_in(&dir, "mediastore.toml", &[no_files]);
    apply(&policies, &config, false).await;
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let custom = |t| {
        let cf = cf.clone();
        async move {
            cf.list_cache_policies()
                .r#type(t)
                .send()
                .await
                .unwrap()
                .cache_policy_list()
                .map(|l| l.quantity())
                .unwrap_or(0)
        }
    };
    use aws_sdk_cloudfront::types::CachePolicyType;
    assert_eq!(custom(CachePolicyType::Custom).await, 1);

    let legacy = spec_in(
        &dir,
        "mediastore.toml",
        &[
            no_files,
            (
                "object_caching = \"customize\"",
                "cache_settings = \"legacy\"\nobject_caching = \"customize\"",
            ),
        ],
    );
    let refresh = legacy.plan().refresh(&config).await.expect("refresh");
    let kinds = kinds_and_changes(&refresh.orphans);
    assert_eq!(
        kinds,
        [(OrphanKind::CachePolicy, Change::Delete)],
        "{refresh}"
    );
    assert_eq!(
        custom(CachePolicyType::Custom).await,
        1,
        "refresh deleted it"
    );

    emu.reset_requests();
    let after = apply(&legacy, &config, false).await;
    let kinds = kinds_and_changes(&after.orphans);
    assert_eq!(kinds, [(OrphanKind::CachePolicy, Change::Delete)]);
    assert_eq!(custom(CachePolicyType::Custom).await, 0);
    let ops: Vec<String> = emu.requests().into_iter().map(|e| e.operation).collect();
    let update = ops.iter().position(|o| o == "UpdateDistribution");
    let delete = ops.iter().position(|o| o == "DeleteCachePolicy");
    assert!(
        matches!((update, delete), (Some(u), Some(d)) if u < d),
        "{ops:?}"
    );
    // The response headers policy is still in use, and stays.
    let rhp = cf
        .list_response_headers_policies()
        .r#type(aws_sdk_cloudfront::types::ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(
        rhp.response_headers_policy_list()
            .map(|l| l.quantity())
            .unwrap_or(0),
        1
    );

    emu.reset_requests();
    let again = apply(&legacy, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}

/// A rendition leaves the ladder: the asset is transcoded again, and the segments and playlists of
/// the old rendition, which the new job did not write, leave the origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rendition_removed_from_the_ladder_leaves_the_origin() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let dir = dir_for(&emu, "rendition");
    let three = spec_in(&dir, "s3-origin.toml", &[]);
    apply(&three, &config, false).await;
    let s3 = s3_client(&config);
    let low = |keys: &[String]| keys.iter().filter(|k| k.contains("360p")).count();
    let before = keys(&s3, "s3-vod-origin", "assets/sample/").await;
    assert!(low(&before) > 0, "{before:?}");

    // The job's creation time has a one-second resolution: let the new job start a second later.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let two = spec_in(
        &dir,
        "s3-origin.toml",
        &[(
            "[[transcode.abr_ladder]]\nwidth = 640\nheight = 360\nmax_bitrate = \"730k\"\n",
            "",
        )],
    );
    let after = apply(&two, &config, false).await;
    let stale: Vec<_> = after
        .orphans
        .iter()
        .filter(|o| o.kind == OrphanKind::StaleOutput)
        .collect();
    assert_eq!(stale.len(), 1, "{:#?}", after.orphans);
    assert_eq!(stale[0].change, Change::Delete);
    let left = keys(&s3, "s3-vod-origin", "assets/sample/").await;
    assert_eq!(low(&left), 0, "{left:?}");
    // The other renditions are still there, and every manifest plays with two variants.
    assert!(left.iter().any(|k| k.contains("720p")), "{left:?}");
    for p in &after.playback {
        let r = get(&p.url, &[]).await;
        assert_eq!(r.status, 200, "{}", p.url);
        assert!(
            !String::from_utf8_lossy(&r.body).contains("360p"),
            "{}",
            p.url
        );
    }
    emu.reset_requests();
    let again = apply(&two, &config, false).await;
    assert!(again.orphans.is_empty(), "{:#?}", again.orphans);
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
}
