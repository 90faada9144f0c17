//! The `vod` CLI (`cli/`), run as a user runs it: `vod plan <spec> [--json]`.

use std::process::{Command, Output};

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
