//! `vod apply` killed (SIGKILL) at several points; apply again completes with no duplicate
//! distribution, job, policy or object, and no orphaned multipart upload.

use std::process::Stdio;

use crate::common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use vod_emulator::EmulatorHandle;
use vod_pipeline::VodPipeline;

/// Runs `vod apply <spec> --json` against the emulator and kills it at the first event `at` matches.
/// Returns the event line it was killed at.
async fn apply_and_kill(
    emu: &EmulatorHandle,
    spec: &str,
    at: impl Fn(&serde_json::Value) -> bool,
) -> String {
    let mut child = tokio::process::Command::from(vod_command(&emu.endpoint_url()))
        .args(["apply", shared_spec(spec).to_str().unwrap(), "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("vod starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.expect("read stdout") {
        if serde_json::from_str::<serde_json::Value>(&line).is_ok_and(|e| at(&e)) {
            child.start_kill().expect("kill");
            child.wait().await.expect("reaped");
            return line;
        }
    }
    panic!("vod apply {spec} finished before the kill point");
}

fn is(event: &'static str, step: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |e| e["event"] == event && e["step"] == step
}

async fn count_everything(emu: &EmulatorHandle, region: &str) -> Vec<(&'static str, usize)> {
    let config = sdk_config(emu).await;
    let cf = aws_sdk_cloudfront::Client::new(&config);
    // MediaConvert jobs are regional: count them in the pipeline's Region.
    let mc = aws_sdk_mediaconvert::Client::from_conf(
        aws_sdk_mediaconvert::config::Builder::from(&config)
            .region(aws_sdk_mediaconvert::config::Region::new(region.to_owned()))
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let q = |n: Option<i32>| n.unwrap_or(0) as usize;
    let mut uploads = 0;
    for b in s3.list_buckets().send().await.unwrap().buckets() {
        uploads += s3
            .list_multipart_uploads()
            .bucket(b.name().unwrap())
            .send()
            .await
            .unwrap()
            .uploads()
            .len();
    }
    vec![
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
            "origin access controls",
            q(cf.list_origin_access_controls()
                .send()
                .await
                .unwrap()
                .origin_access_control_list()
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
            "mediaconvert jobs",
            mc.list_jobs().send().await.unwrap().jobs().len(),
        ),
        ("multipart uploads in progress", uploads),
    ]
}

async fn crash_then_recover(spec: &str, at: impl Fn(&serde_json::Value) -> bool) {
    let emu = emulator().await;
    let killed_at = apply_and_kill(&emu, spec, at).await;
    let pipeline = VodPipeline::from_toml_file(shared_spec(spec)).unwrap();
    let plan = pipeline.plan();
    let config = sdk_config(&emu).await;
    let d = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_or_else(|e| panic!("apply after a kill at {killed_at}: {e}"));
    assert_eq!(
        count_everything(&emu, pipeline.region().as_str()).await,
        [
            ("distributions", 1),
            ("origin access controls", 1),
            ("response headers policies", 1),
            ("mediaconvert jobs", 1),
            ("multipart uploads in progress", 0)
        ],
        "after a kill at {killed_at}"
    );
    // Every playback URL serves.
    for p in &d.playback {
        assert_eq!(
            get(&p.url, &[]).await.status,
            200,
            "{} after a kill at {killed_at}",
            p.url
        );
    }
    // And a third apply changes nothing.
    emu.reset_requests();
    plan.apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap();
    assert_eq!(
        mutating_calls(&emu),
        Vec::<String>::new(),
        "after a kill at {killed_at}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_upload() {
    crash_then_recover("s3-origin.toml", is("step_finished", "s3.upload.sample")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_the_job_runs() {
    crash_then_recover(
        "s3-origin.toml",
        is("job_progress", "mediaconvert.job.sample"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_the_distribution_is_created() {
    crash_then_recover(
        "s3-origin.toml",
        is("step_started", "cloudfront.distribution"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_copying_into_the_container() {
    crash_then_recover(
        "mediastore.toml",
        is("copy_progress", "mediastore.copy.sample"),
    )
    .await;
}
