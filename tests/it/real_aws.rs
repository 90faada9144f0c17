//! The whole flow against real AWS, run only when asked for explicitly. It creates real resources
//! (buckets, a MediaConvert job, a CloudFront distribution, and a MediaStore container for a
//! MediaStore spec), which cost money, and destroys them at the end, buckets included.
//!
//! ```sh
//! VOD_REAL_AWS_SPEC=path/to/spec.toml \
//! VOD_REAL_AWS_ACCESS_KEY_ID=... VOD_REAL_AWS_SECRET_ACCESS_KEY=... [VOD_REAL_AWS_SESSION_TOKEN=...] \
//!   cargo test --test it real_aws -- --ignored --nocapture
//! ```
//!
//! The credentials are taken from these variables only (never from a profile, the environment's
//! usual `AWS_*` variables or instance metadata), and the Region from the spec, so the test cannot
//! reach an account by accident. The spec's `transcode.role_arn` must be a MediaConvert role of that
//! account, and its bucket names must be free.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use vod_pipeline::{ApplyOptions, VodPipeline};

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test runs against real AWS only with explicit credentials (see tests/it/real_aws.rs)")
    })
}

#[tokio::test]
#[ignore = "creates real AWS resources: set VOD_REAL_AWS_SPEC and VOD_REAL_AWS_* credentials, run with --ignored"]
async fn apply_verify_destroy_on_real_aws() {
    let spec = required("VOD_REAL_AWS_SPEC");
    let credentials = aws_sdk_s3::config::Credentials::new(
        required("VOD_REAL_AWS_ACCESS_KEY_ID"),
        required("VOD_REAL_AWS_SECRET_ACCESS_KEY"),
        std::env::var("VOD_REAL_AWS_SESSION_TOKEN").ok(),
        None,
        "vod-pipeline-real-aws-test",
    );
    let pipeline = VodPipeline::from_toml_file(&spec).expect("the spec is valid");
    let config = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(credentials)
        .region(Region::new(pipeline.region().to_string()))
        .load()
        .await;
    let plan = pipeline.plan();
    let mut options = ApplyOptions::default();
    options.deploy_timeout = Duration::from_secs(30 * 60);
    let applied = plan
        .apply(&config)
        .options(options.clone())
        .wait_for_deployment(true)
        .start()
        .join()
        .await;
    // Verify what was deployed, then destroy whatever happened, then judge.
    let report = match &applied {
        Ok(d) => Some(d.verify(&pipeline).run().await),
        Err(_) => None,
    };
    let destroyed = plan
        .destroy(&config)
        .options(options)
        .delete_buckets(true)
        .start()
        .join()
        .await;
    let deployment = applied.expect("apply succeeds");
    for p in &deployment.playback {
        println!("{} {} {}", p.asset, p.format, p.url);
    }
    let report = report.expect("verified").expect("verify runs");
    println!("{report}");
    assert!(report.passed(), "{report}");
    destroyed.expect("destroy succeeds");
}
