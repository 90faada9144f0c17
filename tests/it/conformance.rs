//! Rules AWS enforces on live state (issue 16), against the in-process emulator: each one fails
//! the apply with an error that names what is wrong, before anything is written.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::common::*;
use vod_pipeline::{Error, VodPipeline};

/// The spec's Region is eu-west-1; a bucket of the same account in us-east-2 with the origin
/// bucket's name is refused by refresh and apply, naming both Regions; nothing is written to it,
/// and no distribution is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_in_another_region_is_an_error_naming_both() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let us = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .region(aws_sdk_s3::config::Region::new("us-east-2"))
            .force_path_style(true)
            .build(),
    );
    us.create_bucket()
        .bucket("s3-vod-origin")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::UsEast2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let head = us
        .head_bucket()
        .bucket("s3-vod-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-2"));

    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    let pipeline = VodPipeline::from_toml_str(&spec_without_files("s3-origin.toml"), &dir).unwrap();
    let plan = pipeline.plan();
    let check = |err: &Error| {
        let text = err.to_string();
        assert!(
            text.contains("s3://s3-vod-origin")
                && text.contains("us-east-2")
                && text.contains("eu-west-1"),
            "{text}"
        );
    };
    let refresh = plan.refresh(&config).await;
    match refresh {
        Err(e) => check(&e),
        Ok(r) => panic!("refresh accepted a bucket in another Region: {r:?}"),
    }
    emu.reset_requests();
    let err = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_err();
    check(&err);
    let writes: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.operation.starts_with("Put") || r.operation.starts_with("Create"))
        .filter(|r| r.operation.contains("Distribution") || r.path.starts_with("/s3-vod-origin"))
        .map(|r| format!("{} {}", r.operation, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

/// S3 is eventually consistent right after CreateBucket: with the emulator answering
/// `NoSuchBucket` for 1.5 s to every other request on a new bucket, both shared specs' infrastructure
/// still applies (tagging, policy and CORS are retried), and destroys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applies_while_new_buckets_are_not_yet_visible() {
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        let emu = emulator().await;
        emu.set_service_knobs(
            "s3",
            vod_emulator::knobs::ServiceKnobs {
                new_bucket_window_ms: 1500,
                ..Default::default()
            },
        )
        .unwrap();
        let config = sdk_config(&emu).await;
        let dir = shared_spec(spec).parent().unwrap().to_owned();
        let pipeline = VodPipeline::from_toml_str(&spec_without_files(spec), &dir).unwrap();
        let plan = pipeline.plan();
        let started = std::time::Instant::now();
        plan.apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: {e}"));
        let refused = emu
            .requests()
            .iter()
            .filter(|r| r.operation == "NewBucketWindow")
            .count();
        assert!(refused > 0, "{spec}: the knob refused nothing");
        assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
        // Everything is in place: a refresh finds nothing to do.
        let refresh = plan.refresh(&config).await.unwrap();
        assert!(
            refresh
                .steps
                .iter()
                .all(|s| s.change == vod_pipeline::Change::NoOp),
            "{spec}: {refresh}"
        );
        plan.destroy(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: destroy: {e}"));
    }
}

/// The emulator takes the account from the credentials: a spec whose role is in account
/// 210987654321 applies (and transcodes) when the access key id is `210987654321`; with another
/// access key id the emulator acts as its default account, and the PassRole refusal names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_comes_from_the_access_key_id() {
    let text = std::fs::read_to_string(shared_spec("s3-origin.toml"))
        .unwrap()
        .replace("arn:aws:iam::123456789012:", "arn:aws:iam::210987654321:");
    assert!(text.contains("arn:aws:iam::210987654321:role/"));
    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    let pipeline = VodPipeline::from_toml_str(&text, &dir).unwrap();
    let emu = emulator().await;
    let err = pipeline
        .plan()
        .apply(&config_as(&emu, "test").await)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_err();
    let text = format!("{err} {:?}", std::error::Error::source(&err));
    assert!(
        text.contains("iam:PassRole") && text.contains("arn:aws:iam::123456789012:user/"),
        "{text}"
    );

    let emu = emulator().await;
    let deployment = pipeline
        .plan()
        .apply(&config_as(&emu, "210987654321").await)
        .options(options())
        .start()
        .join()
        .await
        .expect("the role is the caller's account's");
    let dist = deployment.distribution.expect("a distribution");
    assert!(
        dist.arn
            .starts_with("arn:aws:cloudfront::210987654321:distribution/"),
        "{}",
        dist.arn
    );
    assert!(!deployment.playback.is_empty());
}

/// An SDK configuration for the emulator with the access key id `key`.
async fn config_as(emu: &vod_emulator::EmulatorHandle, key: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            key, "test", None, None, "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint_url())
        .load()
        .await
}
