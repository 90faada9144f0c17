//! Helpers for tests that run the pipeline against the in-process emulator.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use vod_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};
use vod_pipeline::ApplyOptions;

/// Starts the emulator on a random port, with a short CloudFront deploy delay.
pub async fn emulator() -> EmulatorHandle {
    emulator_builder()
        .deploy_delay(Duration::from_millis(300))
        .start()
        .await
        .expect("emulator starts")
}

/// The emulator's builder for these tests: with AWS's service models when `VOD_EMULATOR_SERVICE_MODELS` names
/// them (CI downloads them with `emulator/scripts/service-models`), so that every request the crate sends is
/// checked against its operation's model.
pub fn emulator_builder() -> EmulatorBuilder {
    let builder = Emulator::builder();
    match std::env::var_os("VOD_EMULATOR_SERVICE_MODELS") {
        Some(dir) => builder.service_models(PathBuf::from(dir)),
        None => builder,
    }
}

/// Explicit credentials, Region and endpoint: no client ever reaches for instance metadata or AWS.
pub async fn sdk_config(emu: &EmulatorHandle) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint_url())
        .load()
        .await
}

/// Fast polling for tests.
pub fn options() -> ApplyOptions {
    let mut o = ApplyOptions::default();
    o.poll_interval = Duration::from_millis(100);
    o.max_poll_interval = Duration::from_millis(500);
    o.job_timeout = Duration::from_secs(600);
    o.deploy_timeout = Duration::from_secs(60);
    // The realism knobs hide a new distribution from `ListDistributions` for 1.5 s.
    o.listing_lag = Duration::from_secs(5);
    o
}

pub fn shared_spec(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/specs")
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: the shared specs must sit beside the repository",
        p.display()
    );
    p
}

/// A shared spec's text without its `files` line: the infrastructure only.
pub fn spec_without_files(name: &str) -> String {
    std::fs::read_to_string(shared_spec(name))
        .expect("the shared spec reads")
        .lines()
        .filter(|l| !l.trim_start().starts_with("files"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// An HTTP response as the tests need it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// GETs a URL such as `http://dabc.cloudfront.localhost:PORT/a/b.m3u8` over loopback, sending the
/// URL's host in `Host` (the emulator serves `*.localhost` names on its one port).
pub async fn get(url: impl AsRef<str>, headers: &[(&str, &str)]) -> Response {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url.as_ref();
    let u = url::Url::parse(url).expect("valid URL");
    assert!(
        u.host_str().is_some_and(|h| h.ends_with(".localhost")),
        "tests only fetch *.localhost URLs: {url}"
    );
    let port = u.port().expect("emulator URLs carry a port");
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut req = format!(
        "GET {} HTTP/1.1\r\nhost: {}:{port}\r\nconnection: close\r\n",
        &u[url::Position::BeforePath..url::Position::AfterQuery],
        u.host_str().unwrap_or_default()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + size]);
        b = &b[i + 2 + size + 2..];
    }
    out
}

/// Mutating calls in the emulator's request log: everything but reads and viewer requests.
pub fn mutating_calls(emu: &EmulatorHandle) -> Vec<String> {
    emu.requests()
        .into_iter()
        .filter(|e| e.service != "edge" && !e.path.starts_with("/_emulator"))
        .filter(|e| {
            let op = e.operation.as_str();
            !(op.starts_with("Get")
                || op.starts_with("List")
                || op.starts_with("Describe")
                || op.starts_with("Head"))
        })
        .map(|e| format!("{} {} {} -> {}", e.service, e.operation, e.path, e.status))
        .collect()
}

/// The `vod` example binary, built for this workspace first (a no-op when `cargo test --workspace`
/// already built it; `cargo test --test X` alone does not build examples).
/// `vod` pointed at the emulator: explicit credentials, Region and endpoint, no profile, no
/// instance metadata.
pub fn vod_command(endpoint_url: &str) -> std::process::Command {
    let mut c = std::process::Command::new(vod_bin());
    c.env("AWS_ENDPOINT_URL", endpoint_url)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE");
    c
}

pub fn vod_bin() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = std::process::Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--workspace", "--bin", "vod"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo runs");
            assert!(status.success(), "cargo build --workspace --bin vod failed");
            let exe = std::env::current_exe().expect("test binary path");
            let bin = exe
                .parent()
                .and_then(|d| d.parent())
                .expect("target dir")
                .join(format!("vod{}", std::env::consts::EXE_SUFFIX));
            assert!(bin.exists(), "{} is missing", bin.display());
            bin
        })
        .clone()
}
