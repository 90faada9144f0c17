//! Apply completes while the emulator throttles and fails calls, and creates exactly what a clean
//! run creates.

use crate::common::*;
use vod_emulator::EmulatorHandle;
use vod_emulator::knobs::ServiceKnobs;
use vod_pipeline::VodPipeline;

/// Counts of everything apply creates, read back through the SDKs.
async fn inventory(emu: &EmulatorHandle) -> Vec<(&'static str, usize)> {
    let config = sdk_config(emu).await;
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    // MediaConvert jobs are regional: count them in the spec's Region (s3-origin.toml: eu-west-1).
    let mc = aws_sdk_mediaconvert::Client::from_conf(
        aws_sdk_mediaconvert::config::Builder::from(&config)
            .region(aws_sdk_mediaconvert::config::Region::new("eu-west-1"))
            .build(),
    );
    let q = |n: Option<i32>| n.unwrap_or(0) as usize;
    let mut out = vec![
        (
            "distributions",
            q(cf.list_distributions()
                .send()
                .await
                .unwrap()
                .distribution_list()
                .map(|l| l.quantity())),
        ),
        (
            "response headers policies",
            q(cf.list_response_headers_policies()
                .r#type(aws_sdk_cloudfront::types::ResponseHeadersPolicyType::Custom)
                .send()
                .await
                .unwrap()
                .response_headers_policy_list()
                .map(|l| l.quantity())),
        ),
        (
            "origin access controls",
            q(cf.list_origin_access_controls()
                .send()
                .await
                .unwrap()
                .origin_access_control_list()
                .map(|l| l.quantity())),
        ),
        (
            "buckets",
            s3.list_buckets().send().await.unwrap().buckets().len(),
        ),
        (
            "mediaconvert jobs",
            mc.list_jobs().send().await.unwrap().jobs().len(),
        ),
    ];
    let mut objects = 0;
    for b in s3.list_buckets().send().await.unwrap().buckets() {
        let name = b.name().unwrap_or_default();
        objects += s3
            .list_objects_v2()
            .bucket(name)
            .send()
            .await
            .unwrap()
            .key_count()
            .unwrap_or(0) as usize;
        let uploads = s3
            .list_multipart_uploads()
            .bucket(name)
            .send()
            .await
            .unwrap();
        assert!(
            uploads.uploads().is_empty(),
            "orphaned multipart upload in {name}"
        );
    }
    out.push(("objects", objects));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_completes_under_throttling_and_5xx() {
    let plan = VodPipeline::from_toml_file(shared_spec("s3-origin.toml"))
        .unwrap()
        .plan();

    let clean = emulator().await;
    plan.apply(&sdk_config(&clean).await)
        .options(options())
        .start()
        .join()
        .await
        .expect("clean apply");
    let expected = inventory(&clean).await;
    assert!(
        expected.contains(&("mediaconvert jobs", 1)),
        "the clean apply ran one job: {expected:?}"
    );

    let faulty = emulator().await;
    faulty
        .set_service_knobs(
            "*",
            ServiceKnobs {
                throttle_probability: 0.10,
                error_probability: 0.02,
                ..ServiceKnobs::default()
            },
        )
        .unwrap();
    plan.apply(&sdk_config(&faulty).await)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply despite faults");
    let faults = faulty
        .requests()
        .iter()
        .filter(|e| e.status == 429 || e.status == 503 || e.status >= 500 || e.operation.is_empty())
        .count();
    faulty.clear_knobs();
    assert!(faults > 0, "the knobs injected no fault");
    assert_eq!(inventory(&faulty).await, expected);
    eprintln!("faults injected and survived: {faults}; resources: {expected:?}");
}
