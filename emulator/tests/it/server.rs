//! Server, router, knobs and request log.

use std::time::{Duration, Instant};
use vod_emulator::knobs::ServiceKnobs;

#[tokio::test]
async fn starts_on_random_port_and_answers_control_endpoints() {
    let emu = crate::common::start().await;
    assert!(emu.port() > 0);
    assert_eq!(
        emu.endpoint_url(),
        format!("http://127.0.0.1:{}", emu.port())
    );
    let (status, _, body) =
        crate::common::raw_request(emu.port(), "GET", "/_emulator/health", &[], b"")
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("ready"));
    let (status, _, _) = crate::common::raw_request(emu.port(), "GET", "/_emulator/nope", &[], b"")
        .await
        .unwrap();
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unsigned_and_unknown_service_requests_get_aws_errors() {
    let emu = crate::common::start().await;
    let (status, headers, body) = crate::common::raw_request(emu.port(), "GET", "/", &[], b"")
        .await
        .unwrap();
    assert_eq!(status, 403);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "x-amzn-errortype" && v == "MissingAuthenticationTokenException")
    );
    assert!(String::from_utf8_lossy(&body).contains("Missing Authentication Token"));

    let auth = "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";
    let (status, headers, _) =
        crate::common::raw_request(emu.port(), "POST", "/", &[("authorization", auth)], b"{}")
            .await
            .unwrap();
    assert_eq!(status, 403);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "x-amzn-errortype" && v == "UnrecognizedClientException")
    );
    assert!(headers.iter().any(|(k, _)| k == "x-amzn-requestid"));
}

#[tokio::test]
async fn request_log_names_operations_and_resets() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("logged").send().await.unwrap();
    s3.list_buckets().send().await.unwrap();
    let log = emu.requests();
    let ops: Vec<_> = log
        .iter()
        .map(|e| (e.service.as_str(), e.operation.as_str(), e.status))
        .collect();
    assert_eq!(
        ops,
        vec![("s3", "CreateBucket", 200), ("s3", "ListBuckets", 200)]
    );

    // Over HTTP too, and the operation header never leaks to clients.
    let (status, headers, body) =
        crate::common::raw_request(emu.port(), "GET", "/_emulator/requests", &[], b"")
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert!(!headers.iter().any(|(k, _)| k == "x-emulator-operation"));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v[0]["operation"], "CreateBucket");
    assert_eq!(v[1]["path"], "/");
    let (status, _, _) =
        crate::common::raw_request(emu.port(), "POST", "/_emulator/reset", &[], b"")
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn throttling_knob_returns_service_throttling_errors() {
    let emu = crate::common::start().await;
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    // No retries, so the injected error surfaces.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
            .build(),
    );
    let ms = aws_sdk_mediastore::Client::from_conf(
        aws_sdk_mediastore::config::Builder::from(&conf)
            .retry_config(aws_sdk_mediastore::config::retry::RetryConfig::disabled())
            .build(),
    );
    emu.set_service_knobs(
        "s3",
        ServiceKnobs {
            throttle_probability: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    emu.set_service_knobs(
        "mediastore",
        ServiceKnobs {
            throttle_probability: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    let e = s3.list_buckets().send().await.unwrap_err();
    let raw = e.raw_response().unwrap();
    assert_eq!(raw.status().as_u16(), 503);
    let se = e.into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&se),
        Some("SlowDown")
    );
    let e = ms.list_containers().send().await.unwrap_err();
    let se = e.into_service_error();
    assert_eq!(
        aws_sdk_mediastore::error::ProvideErrorMetadata::code(&se),
        Some("ThrottlingException")
    );

    // Over HTTP: PUT /_emulator/knobs replaces everything.
    let knobs = r#"{"s3":{"error_probability":1.0}}"#;
    let (status, _, _) = crate::common::raw_request(
        emu.port(),
        "PUT",
        "/_emulator/knobs",
        &[("content-type", "application/json")],
        knobs.as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let e = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 500);
    let se = e.into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&se),
        Some("InternalError")
    );
    ms.list_containers().send().await.unwrap();
    let (status, _, _) = crate::common::raw_request(
        emu.port(),
        "PUT",
        "/_emulator/knobs",
        &[],
        br#"{"s3":{"error_probability":2}}"#,
    )
    .await
    .unwrap();
    assert_eq!(status, 400);

    // With retries (the default), a throttled service recovers once the knob is cleared.
    emu.clear_knobs();
    s3.list_buckets().send().await.unwrap();
    let log = emu.requests();
    assert!(log.iter().any(|e| e.status == 503 && e.service == "s3"));
}

#[tokio::test]
async fn latency_knob_delays_requests() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.list_buckets().send().await.unwrap();
    emu.set_service_knobs(
        "*",
        ServiceKnobs {
            latency_ms: 300,
            ..Default::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    s3.list_buckets().send().await.unwrap();
    let elapsed = t.elapsed();
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn dropped_connections_make_the_sdk_retry_then_fail() {
    let emu = crate::common::start().await;
    let s3 = crate::common::s3_client(&emu).await;
    emu.set_service_knobs(
        "s3",
        ServiceKnobs {
            drop_probability: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    let t = Instant::now();
    let e = s3.list_buckets().send().await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(20));
    assert!(
        matches!(
            e,
            aws_sdk_s3::error::SdkError::DispatchFailure(_)
                | aws_sdk_s3::error::SdkError::ResponseError(_)
        ),
        "{e:?}"
    );
    let attempts = emu.requests().iter().filter(|r| r.status == 0).count();
    assert_eq!(attempts, 3, "standard retry mode makes 3 attempts");
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let emu = crate::common::start().await;
    let port = emu.port();
    let dir = emu.data_dir().to_path_buf();
    assert!(dir.is_dir());
    emu.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    );
    let emu2 = crate::common::start().await;
    drop(emu2);
}

#[tokio::test]
async fn temp_data_dir_is_removed_on_drop() {
    let emu = crate::common::start().await;
    let dir = emu.data_dir().to_path_buf();
    drop(emu);
    assert!(!dir.exists());
}

#[tokio::test]
async fn throttling_and_error_codes_of_cloudfront_and_mediaconvert() {
    let emu = crate::common::start().await;
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    let cf = aws_sdk_cloudfront::Client::from_conf(
        aws_sdk_cloudfront::config::Builder::from(&conf)
            .retry_config(aws_sdk_cloudfront::config::retry::RetryConfig::disabled())
            .build(),
    );
    let mc = aws_sdk_mediaconvert::Client::from_conf(
        aws_sdk_mediaconvert::config::Builder::from(&conf)
            .retry_config(aws_sdk_mediaconvert::config::retry::RetryConfig::disabled())
            .build(),
    );
    emu.set_service_knobs(
        "*",
        ServiceKnobs {
            throttle_probability: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    let e = cf.list_distributions().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 400);
    assert_eq!(
        aws_sdk_cloudfront::error::ProvideErrorMetadata::code(&e.into_service_error()),
        Some("Throttling")
    );
    let e = mc.list_queues().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 429);
    assert!(e.into_service_error().is_too_many_requests_exception());

    emu.set_knobs(
        [(
            "*".to_string(),
            ServiceKnobs {
                error_probability: 1.0,
                ..Default::default()
            },
        )]
        .into(),
    )
    .unwrap();
    let e = cf.list_distributions().send().await.unwrap_err();
    assert_eq!(e.raw_response().unwrap().status().as_u16(), 500);
    let e = mc.list_queues().send().await.unwrap_err();
    assert!(e.into_service_error().is_internal_server_error_exception());
    let log = emu.requests();
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|e| e.operation.is_empty()), "{log:?}");
    assert_eq!(
        log.iter().map(|e| e.service.as_str()).collect::<Vec<_>>(),
        vec!["cloudfront", "mediaconvert", "cloudfront", "mediaconvert"]
    );
}

/// Starts the `vod-emulator` binary with `args` and returns it with the first line it printed,
/// which must say "ready".
fn spawn_binary(args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    spawn_binary_with_stderr(args, std::process::Stdio::null())
}

fn spawn_binary_with_stderr(
    args: &[&std::ffi::OsStr],
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vod-emulator"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("ready"), "{line}");
    (child, line)
}

/// Sends `sig` to `child` with `kill(2)`, straight from this process, and waits (10 s at most) for
/// it to exit.
async fn signal_and_wait(
    child: &mut std::process::Child,
    sig: libc::c_int,
) -> std::process::ExitStatus {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) has no memory-safety preconditions; `pid` is our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "did not stop on signal {sig}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn binary_prints_ready_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("vod-emulator-bin-test-{}", std::process::id()));
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--deploy-delay",
        "250ms",
        "--data-dir",
    ];
    let mut args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    args.push(dir.as_os_str());
    let (mut child, line) = spawn_binary(&args);
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line}"));
    let (status, _, _) = crate::common::raw_request(port, "GET", "/_emulator/health", &[], b"")
        .await
        .unwrap();
    assert_eq!(status, 200);
    let status = signal_and_wait(&mut child, libc::SIGTERM).await;
    assert!(status.success(), "{status:?}");
    assert!(dir.join("s3").is_dir(), "a given data dir is kept");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A supervisor may signal the emulator the instant it prints "ready". The signal handlers must
/// already be installed then, or the default action kills the process (exit by signal, not 0).
/// No fork stands between reading the line and the signal, so the window is as narrow as a
/// supervisor's; before the fix most rounds failed on a loaded machine.
#[tokio::test]
async fn binary_stops_cleanly_on_a_signal_sent_as_soon_as_it_is_ready() {
    for round in 0..20 {
        let sig = if round % 2 == 0 {
            libc::SIGTERM
        } else {
            libc::SIGINT
        };
        let (mut child, _) = spawn_binary(&["--listen".as_ref(), "127.0.0.1:0".as_ref()]);
        let status = signal_and_wait(&mut child, sig).await;
        assert!(status.success(), "round {round}, signal {sig}: {status:?}");
    }
}

/// A supervisor that stops reading stderr: the emulator still shuts down cleanly. It says "shutting down" on
/// stderr; with `eprintln!` that write panicked on the closed pipe and the shutdown never ran.
#[tokio::test]
async fn binary_stops_cleanly_when_its_stderr_is_closed() {
    let (mut child, _) = spawn_binary_with_stderr(
        &["--listen".as_ref(), "127.0.0.1:0".as_ref()],
        std::process::Stdio::piped(),
    );
    drop(child.stderr.take());
    let status = signal_and_wait(&mut child, libc::SIGTERM).await;
    assert!(status.success(), "{status:?}");
}
