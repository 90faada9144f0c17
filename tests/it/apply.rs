//! Apply, re-apply, fetch and destroy both shared specs against the in-process emulator.

use crate::common::*;
use vod_pipeline::{Change, VodPipeline};

/// Steps that act on what an earlier apply left (its distribution, what left the spec): on a first
/// apply they find nothing and do nothing.
fn finds_nothing_on_a_first_apply(id: &str) -> bool {
    [
        "cloudfront.existing_distribution",
        "s3.bucket_policy.origin.early",
        "mediastore.container_policy.early",
        "s3.orphaned_output",
        "cloudfront.orphans",
    ]
    .contains(&id)
}

async fn apply_fetch_reapply_destroy(spec: &str, allowed_origin: &str, ladder: usize) {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let plan = VodPipeline::from_toml_file(shared_spec(spec))
        .expect("the spec is valid")
        .plan();

    // Apply.
    let deployment = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply succeeds");
    assert!(
        deployment.steps.iter().all(|s| s.change == Change::Create
            || s.id == "cloudfront.invalidation"
            || (finds_nothing_on_a_first_apply(&s.id.to_string()) && s.change == Change::NoOp)),
        "{:#?}",
        deployment.steps
    );
    let dist = deployment.distribution.as_ref().expect("a distribution");
    assert!(
        dist.domain_name.contains(".cloudfront.localhost:"),
        "{}",
        dist.domain_name
    );
    assert_eq!(deployment.jobs.len(), 1);
    assert_eq!(deployment.playback.len(), plan.playback.len());

    // Every playback URL can be fetched as printed, with CORS for the allowed origin.
    for p in &deployment.playback {
        let r = get(&p.url, &[("Origin", allowed_origin)]).await;
        assert_eq!(
            r.status,
            200,
            "{} -> {} {}",
            p.url,
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some(allowed_origin),
            "{}: {:?}",
            p.url,
            r.headers
        );
        match p.manifest.as_str() {
            "m3u8" => match m3u8_rs::parse_playlist_res(&r.body) {
                Ok(m3u8_rs::Playlist::MasterPlaylist(m)) => {
                    assert_eq!(
                        m.variants.len(),
                        ladder,
                        "{}: variants {:?}",
                        p.url,
                        m.variants.iter().map(|v| v.resolution).collect::<Vec<_>>()
                    )
                }
                other => panic!("{} is not a master playlist: {other:?}", p.url),
            },
            _ => {
                let mpd = dash_mpd_core::parse(&String::from_utf8_lossy(&r.body))
                    .unwrap_or_else(|e| panic!("{}: {e}", p.url));
                let video: usize = mpd.periods[0]
                    .adaptations
                    .iter()
                    .filter(|a| {
                        a.contentType.as_deref() == Some("video")
                            || a.mimeType.as_deref() == Some("video/mp4")
                    })
                    .map(|a| a.representations.len())
                    .sum();
                assert_eq!(video, ladder, "{}", p.url);
            }
        }
        // A disallowed origin gets no CORS header.
        let r = get(&p.url, &[("Origin", "https://evil.example.com")]).await;
        assert_eq!(r.header("access-control-allow-origin"), None, "{}", p.url);
    }

    // A second apply of the unchanged pipeline makes no mutating call.
    emu.reset_requests();
    let again = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("second apply succeeds");
    assert!(
        again.steps.iter().all(|s| s.change == Change::NoOp),
        "{:#?}",
        again.steps
    );
    assert_eq!(mutating_calls(&emu), Vec::<String>::new());
    assert_eq!(again.playback, deployment.playback);

    // Refresh agrees.
    let refresh = plan.refresh(&config).await.expect("refresh succeeds");
    assert!(
        refresh.steps.iter().all(|s| s.change == Change::NoOp),
        "{refresh}"
    );

    verify_playback(&emu, &config, spec, &deployment, allowed_origin).await;

    // Destroy leaves no distribution, container or policy; the source media stay.
    plan.destroy(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("destroy succeeds");
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let dists = cf.list_distributions().send().await.unwrap();
    assert_eq!(
        dists.distribution_list().map(|l| l.quantity()).unwrap_or(0),
        0
    );
    let custom = cf
        .list_cache_policies()
        .r#type(aws_sdk_cloudfront::types::CachePolicyType::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(
        custom
            .cache_policy_list()
            .map(|l| l.quantity())
            .unwrap_or(0),
        0
    );
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
        0
    );
    let oacs = cf.list_origin_access_controls().send().await.unwrap();
    assert_eq!(
        oacs.origin_access_control_list()
            .map(|l| l.quantity())
            .unwrap_or(0),
        0
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
    let pipeline = VodPipeline::from_toml_file(shared_spec(spec)).unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    for a in pipeline.assets() {
        s3.head_object()
            .bucket(pipeline.source().bucket.as_str())
            .key(&a.source_key)
            .send()
            .await
            .expect("source media kept");
    }
    // Destroying again is success: everything is already gone.
    let d = plan
        .destroy(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("second destroy succeeds");
    assert!(
        d.steps
            .iter()
            .all(|s| matches!(s.change, Change::Absent | Change::Kept)),
        "{:#?}",
        d.steps
    );

    // Applying again after a destroy creates a new distribution (CloudFront remembers the
    // CallerReference of the deleted one), and every URL plays again.
    let again = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply after destroy succeeds");
    let dists = cf.list_distributions().send().await.unwrap();
    assert_eq!(
        dists.distribution_list().map(|l| l.quantity()).unwrap_or(0),
        1
    );
    for p in &again.playback {
        assert_eq!(get(&p.url, &[]).await.status, 200, "{}", p.url);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mediastore_spec() {
    apply_fetch_reapply_destroy("mediastore.toml", "https://player.example.com", 6).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_origin_spec() {
    apply_fetch_reapply_destroy("s3-origin.toml", "https://app.example.com", 3).await;
}

/// `Deployment::verify` and `vod verify` pass on the deployment read back from live state, and fail,
/// naming the URL and the missing header, when the emulator's edge drops every CORS header.
async fn verify_playback(
    emu: &vod_emulator::EmulatorHandle,
    config: &aws_config::SdkConfig,
    spec: &str,
    applied: &vod_pipeline::Deployment,
    allowed_origin: &str,
) {
    use vod_pipeline::{CheckKind, Outcome};
    let pipeline = VodPipeline::from_toml_file(shared_spec(spec)).unwrap();
    let live = pipeline
        .plan()
        .deployment(config)
        .await
        .expect("live state");
    assert_eq!(live.playback, applied.playback);
    let report = live.verify(&pipeline).run().await.expect("verify runs");
    assert!(report.passed(), "{report}");
    assert_eq!(report.allowed_origin.as_deref(), Some(allowed_origin));
    // Every rung of the ladder, in every format: one variant check each.
    let variants = report
        .checks
        .iter()
        .filter(|c| c.kind == CheckKind::Variant)
        .count();
    assert_eq!(
        variants,
        pipeline.transcode().abr_ladder.renditions().len() * live.playback.len(),
        "{report}"
    );
    for kind in [
        CheckKind::CorsAllowed,
        CheckKind::CorsDisallowed,
        CheckKind::CacheTtl,
        CheckKind::ErrorCache,
        CheckKind::Manifest,
    ] {
        assert!(
            report.checks.iter().any(|c| c.kind == kind),
            "no {kind} check: {report}"
        );
    }
    // The pipeline's state objects are not served (issue 16): one check per marker and asset.
    let hidden: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.kind == CheckKind::StateHidden)
        .collect();
    assert_eq!(hidden.len(), 2, "{report}");
    assert!(
        hidden.iter().all(|c| c.outcome == Outcome::Pass),
        "{report}"
    );
    if spec == "s3-origin.toml" {
        // The job marker is in the origin bucket, under the origin path: only the bucket policy's
        // Deny keeps it from viewers.
        let marker = crate::publish::s3_client(config)
            .get_object()
            .bucket("s3-vod-origin")
            .key("assets/sample/.vod-pipeline-job.json")
            .send()
            .await
            .expect("the job marker is at the origin");
        assert!(marker.content_length().unwrap_or(0) > 0);
        let edge = get(
            format!(
                "{}/sample/.vod-pipeline-job.json",
                live.playback[0].url.origin().ascii_serialization()
            ),
            &[],
        )
        .await;
        assert_eq!(edge.status, 403, "{}", String::from_utf8_lossy(&edge.body));
    }
    let cli = |args: &[&str]| {
        vod_command(&emu.endpoint_url())
            .args(args)
            .output()
            .expect("vod runs")
    };
    let spec_path = shared_spec(spec);
    let spec_path = spec_path.to_str().unwrap();
    let ok = cli(&["verify", spec_path]);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");

    // The edge drops the CORS policy: every allowed-origin check fails, precisely.
    emu.set_service_knobs(
        "edge",
        vod_emulator::knobs::ServiceKnobs {
            drop_cors: true,
            ..Default::default()
        },
    )
    .unwrap();
    let broken = live.verify(&pipeline).run().await.expect("verify runs");
    assert!(!broken.passed());
    let manifest = &live.playback[0].url;
    let expected = format!(
        "Origin {allowed_origin} (allowed) -> no Access-Control-Allow-Origin; a browser blocks the response"
    );
    assert!(
        broken.failures().any(|c| c.kind == CheckKind::CorsAllowed
            && c.subject == manifest.as_str()
            && c.detail == expected),
        "{broken}"
    );
    // Nothing but CORS fails, and every fetch with the allowed origin does.
    assert!(
        broken
            .failures()
            .all(|c| c.detail.contains("no Access-Control-Allow-Origin")),
        "{broken}"
    );
    assert_eq!(
        broken
            .checks
            .iter()
            .filter(|c| c.kind == CheckKind::Fetch && c.outcome == Outcome::Pass)
            .count(),
        0,
        "{broken}"
    );
    let failed = cli(&["verify", spec_path, "--json"]);
    assert_eq!(failed.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&failed.stdout).expect("JSON report");
    assert!(
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["outcome"] == "fail"
                && c["kind"] == "cors-allowed"
                && c["detail"] == expected.as_str()),
        "{json}"
    );
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("playback checks failed"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    emu.clear_knobs();
}

/// A spec without files deploys its infrastructure only: a distribution and the origin, no job and no
/// playback URL; applying again makes no mutating call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infrastructure_only() {
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        let emu = emulator().await;
        let config = sdk_config(&emu).await;
        let without = spec_without_files(spec);
        let dir = shared_spec(spec).parent().unwrap().to_owned();
        let plan = VodPipeline::from_toml_str(&without, &dir)
            .expect("valid without files")
            .plan();
        let deployment = plan
            .apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .expect("apply succeeds");
        // Everything is created; the sweep of what left the spec finds nothing to do.
        assert!(
            deployment.steps.iter().all(|s| s.change == Change::Create
                || (finds_nothing_on_a_first_apply(&s.id.to_string()) && s.change == Change::NoOp)),
            "{spec}: {:#?}",
            deployment.steps
        );
        assert!(deployment.distribution.is_some(), "{spec}");
        assert!(deployment.jobs.is_empty(), "{spec}");
        assert!(deployment.playback.is_empty(), "{spec}");
        emu.reset_requests();
        let again = plan
            .apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .expect("apply again succeeds");
        assert!(
            again.steps.iter().all(|s| s.change == Change::NoOp),
            "{spec}: {:#?}",
            again.steps
        );
        assert_eq!(mutating_calls(&emu), Vec::<String>::new(), "{spec}");
    }
}

/// Two applies of the same spec started together, as two deploy jobs of a CI system would: both
/// succeed, and there is one distribution, one origin access control and one of each policy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_applies_at_once() {
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        two_applies_of(spec).await;
    }
}

async fn two_applies_of(spec: &str) {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let plan = VodPipeline::from_toml_file(shared_spec(spec))
        .expect("the spec is valid")
        .plan();
    let run = || plan.apply(&config).options(options()).start().join();
    let (a, b) = tokio::join!(run(), run());
    let (a, b) = (a.expect("first apply"), b.expect("second apply"));
    let dist = |d: &vod_pipeline::Deployment| d.distribution.as_ref().map(|x| x.id.clone());
    assert_eq!(dist(&a), dist(&b));
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let count = |n: Option<i32>| n.unwrap_or(0);
    let dists = cf.list_distributions().send().await.unwrap();
    assert_eq!(count(dists.distribution_list().map(|l| l.quantity())), 1);
    let oacs = cf.list_origin_access_controls().send().await.unwrap();
    assert_eq!(
        count(oacs.origin_access_control_list().map(|l| l.quantity())),
        1
    );
    let custom = cf
        .list_cache_policies()
        .r#type(aws_sdk_cloudfront::types::CachePolicyType::Custom)
        .send()
        .await
        .unwrap();
    // One of each policy the plan has (s3-origin.toml uses the legacy cache settings: no cache policy).
    let planned = |id: &str| i32::from(plan.step(id).is_some());
    assert_eq!(
        count(custom.cache_policy_list().map(|l| l.quantity())),
        planned("cloudfront.cache_policy")
    );
    let rhp = cf
        .list_response_headers_policies()
        .r#type(aws_sdk_cloudfront::types::ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .unwrap();
    assert_eq!(
        count(rhp.response_headers_policy_list().map(|l| l.quantity())),
        1
    );
}
