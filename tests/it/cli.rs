//! The `vod` CLI (`cli/`), run as a user runs it: `vod plan <spec> [--json]`.

use std::process::{Command, Output};

use crate::common::{shared_spec, vod_command};

fn vod(args: &[&str]) -> Output {
    Command::new(crate::common::vod_bin())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("vod runs")
}

fn plan_json(spec: &str) -> serde_json::Value {
    let out = vod(&["plan", spec, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn step<'a>(plan: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

#[test]
fn plan_mediastore_json() {
    let raw = vod(&["plan", "../shared/specs/mediastore.toml", "--json"]);
    assert!(!String::from_utf8_lossy(&raw.stdout).contains("replace-with-a-secret"));
    let plan = plan_json("../shared/specs/mediastore.toml");
    let d = &step(&plan, "cloudfront.distribution")["params"];
    let cb = &d["default_cache_behavior"];
    assert_eq!(
        [&cb["min_ttl"], &cb["default_ttl"], &cb["max_ttl"]],
        [0, 86400, 31536000]
    );
    assert!(
        d["custom_error_responses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["error_caching_min_ttl"] == 5)
    );
    assert!(
        cb["cache_key_headers"]
            .as_array()
            .unwrap()
            .contains(&"Origin".into())
    );
    assert_eq!(d["origin"]["origin_path"], "/vod");
    assert_eq!(d["origin"]["origin_protocol_policy"], "https-only");
    assert_eq!(d["origin"]["custom_headers"][0]["name"], "X-Origin-Verify");
    assert_eq!(
        step(&plan, "cloudfront.origin_access_control")["params"]["origin_type"],
        "mediastore"
    );
}

#[test]
fn plan_s3_origin_json() {
    let plan = plan_json("../shared/specs/s3-origin.toml");
    assert_eq!(
        step(&plan, "cloudfront.origin_access_control")["params"]["origin_type"],
        "s3"
    );
    let d = &step(&plan, "cloudfront.distribution")["params"];
    let cb = &d["default_cache_behavior"];
    assert_eq!(cb["cache_settings"], "legacy");
    assert_eq!(cb["forwarded_values_headers"][0], "Origin");
    assert_eq!(
        [&cb["min_ttl"], &cb["default_ttl"], &cb["max_ttl"]],
        [1, 21600, 604800]
    );
    assert_eq!(d["origin"]["origin_path"], "/assets");
}

#[test]
fn plan_text_and_invalid_input_exit_code() {
    let out = vod(&["plan", "examples/specs/s3-origin.toml"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Plan for pipeline \"s3-vod\""));

    let out = vod(&["plan", "tests/data/every-error.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid pipeline: 23 problems"), "{err}");
    assert!(!err.contains("super-secret-value"));
    assert!(out.stdout.is_empty());

    let out = vod(&["plan", "no/such/spec.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read spec file"));
}

/// Issue 18: `vod --help` tells a newcomer about the environment, the emulator, the example specs
/// and the exit codes.
#[test]
fn help_names_the_environment_the_emulator_and_the_exit_codes() {
    let out = vod_command("http://127.0.0.1:9")
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Environment:",
        "AWS_ENDPOINT_URL",
        "any credentials work with the emulator",
        "cargo run -p vod-emulator",
        "examples/specs/s3-origin.toml",
        "Exit codes:",
        "2  invalid input",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
}

/// Issue 18: with nothing listening at the endpoint, `vod status` exits 1 within 5 s and names
/// the endpoint and what to check, instead of retrying a refused connection for 14 s.
#[test]
fn an_endpoint_where_nothing_listens_is_named_at_once() {
    // A port that was free a moment ago: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    // Built before the clock starts.
    let mut vod = vod_command(&endpoint);
    let started = std::time::Instant::now();
    let out = vod
        .args(["status"])
        .arg(shared_spec("s3-origin.toml"))
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    assert!(
        err.contains(&endpoint) && err.contains("cargo run -p vod-emulator"),
        "{err}"
    );
}

/// Issue 18: an `--origin` the spec does not allow is a bad flag value, reported as such before any
/// AWS call (nothing listens at the endpoint, and the exit code is 2, not 1).
#[test]
fn a_verify_origin_the_spec_does_not_allow_is_a_bad_flag() {
    let out = vod_command("http://127.0.0.1:9")
        .args(["verify", "--origin", "https://evil.example.com"])
        .arg(shared_spec("s3-origin.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--origin \"https://evil.example.com\" is not a usable value")
            && err.contains("cors_allowed_origins")
            && !err.contains("invalid pipeline"),
        "{err}"
    );
}

/// Issue 18: `vod status` before the first apply says the invalidation has nothing to do (not
/// "present"); `vod apply` with stderr going to a file (a CI log) prints plain progress lines there:
/// steps started and finished, and the job's percent every 10 %.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_before_apply_and_plain_progress_in_a_log() {
    let emu = crate::common::emulator().await;
    let spec = shared_spec("s3-origin.toml");
    let status = vod_command(&emu.endpoint_url())
        .arg("status")
        .arg(&spec)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("cloudfront.invalidation"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with("nothing to do"), "{line}");
    assert!(!text.contains("present, as specified"), "{text}");

    let apply = vod_command(&emu.endpoint_url())
        .arg("apply")
        .arg(&spec)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&apply.stderr);
    assert!(apply.status.success(), "{log}");
    assert!(
        log.contains("s3.bucket.source: s3:CreateBucket ...")
            && log.contains("s3.bucket.source: create ("),
        "{log}"
    );
    let job_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("mediaconvert.job.sample: ") && l.contains('%'))
        .collect();
    assert!(!job_lines.is_empty(), "{log}");
    assert!(job_lines.len() <= 12, "{job_lines:#?}");
    // The playback URLs still go to stdout, last.
    assert!(String::from_utf8_lossy(&apply.stdout).contains("Playback URLs:"));
}
