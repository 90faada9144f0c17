//! The catalog benchmark behind `scripts/bench-catalog` (see BENCHMARKS.md): against a running
//! `vod-emulator` (`AWS_ENDPOINT_URL`), with 50 ms of latency on every call, publish N small assets
//! with the runtime client at the default concurrency, then re-apply a spec listing all of them.
//! Prints wall time, AWS calls per asset by operation (job polls apart), the mezzanine bytes read by
//! the re-apply, and the calls of one extra publish with 10 and with N assets published.
//!
//! ```text
//! cargo run --example bench_catalog -- <work dir> [assets, default 200] [latency ms, default 50]
//! ```
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::StreamExt;
use vod_pipeline::{ApplyOptions, AssetSource, Change, VodClient, VodPipeline};

type Calls = BTreeMap<String, usize>;

fn spec_text(files: &[PathBuf]) -> String {
    let files: Vec<String> = files
        .iter()
        .map(|f| format!("{:?}", f.display().to_string()))
        .collect();
    format!(
        r#"name = "bench"
region = "us-east-1"

[source]
bucket = "bench-source"
files = [{}]

[transcode]
role_arn = "arn:aws:iam::123456789012:role/MediaConvertRole"
formats = ["hls"]
segment_length = "2s"

[[transcode.abr_ladder]]
width = 320
height = 180
max_bitrate = "200k"

[s3_origin]
bucket = "bench-origin"

[cloudfront]
origin_path = "/assets"
"#,
        files.join(", ")
    )
}

async fn control(
    endpoint: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> String {
    let http = reqwest::Client::new();
    let mut req = http.request(method, format!("{endpoint}{path}"));
    if let Some(b) = body {
        req = req.body(b.to_owned());
    }
    req.send()
        .await
        .expect("emulator control")
        .text()
        .await
        .unwrap_or_default()
}

/// Calls in the emulator's request log since the last reset, by operation (viewer requests apart).
async fn calls(endpoint: &str) -> Calls {
    let text = control(endpoint, reqwest::Method::GET, "/_emulator/requests", None).await;
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
    let mut out = Calls::new();
    for e in entries {
        if e["service"] == "edge"
            || e["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/_emulator"))
        {
            continue;
        }
        let op = e["operation"].as_str().unwrap_or("?");
        *out.entry(op.to_owned()).or_default() += 1;
    }
    out
}

async fn reset(endpoint: &str) {
    control(endpoint, reqwest::Method::POST, "/_emulator/reset", None).await;
}

fn print_calls(title: &str, calls: &Calls, per: usize) {
    let total: usize = calls
        .iter()
        .filter(|(k, _)| *k != "GetJob")
        .map(|(_, v)| v)
        .sum();
    println!(
        "{title}: {:.2} calls per asset (job polls apart), {:.2} GetJob per asset",
        total as f64 / per as f64,
        *calls.get("GetJob").unwrap_or(&0) as f64 / per as f64
    );
    for (op, n) in calls {
        println!(
            "  {op:<28} {:>6}  ({:.2} per asset)",
            n,
            *n as f64 / per as f64
        );
    }
}

fn make_clips(dir: &Path, n: usize) -> Vec<PathBuf> {
    let master = dir.join("clip.mp4");
    if !master.exists() {
        let status = std::process::Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x180:rate=15",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000",
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
            ])
            .arg(&master)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "ffmpeg could not make the clip");
    }
    (0..n)
        .map(|i| {
            let p = dir.join(format!("a{i:04}.mp4"));
            if !p.exists() {
                std::fs::copy(&master, &p).expect("copy the clip");
            }
            p
        })
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let work = PathBuf::from(
        args.next()
            .ok_or("usage: bench_catalog <work dir> [assets] [latency ms]")?,
    );
    let n: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let latency: u64 = args.next().map_or(Ok(50), |s| s.parse())?;
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").map_err(|_| "set AWS_ENDPOINT_URL to the emulator")?;
    std::fs::create_dir_all(&work)?;
    if n < 11 {
        return Err("at least 11 assets".into());
    }
    // 10 assets, one extra publish measured, the rest up to n, one extra publish measured.
    let files = make_clips(&work, n + 1);
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let options = ApplyOptions::default();
    println!(
        "catalog benchmark: {n} assets, {latency} ms per call, concurrency {}",
        options.concurrency_per_service
    );

    // The infrastructure (not measured), then latency on every call.
    let infra = VodPipeline::from_toml_str(&spec_text(&[]), &work)?;
    infra.plan().apply(&config).start().join().await?;
    control(
        &endpoint,
        reqwest::Method::PUT,
        "/_emulator/knobs",
        Some(&format!(r#"{{"*": {{"latency_ms": {latency}}}}}"#)),
    )
    .await;
    let vod = VodClient::with_options(&infra, &config, options.clone());

    // Publish the catalog, measuring one extra publish once 10 assets exist.
    reset(&endpoint).await;
    let started = Instant::now();
    let publish = |files: Vec<PathBuf>| {
        let vod = vod.clone();
        async move {
            futures::stream::iter(files)
                .map(|f| {
                    let vod = vod.clone();
                    async move { vod.publish(AssetSource::file(f)).start().join().await }
                })
                .buffer_unordered(options.concurrency_per_service)
                .collect::<Vec<_>>()
                .await
        }
    };
    let first: Vec<_> = publish(files[..10].to_vec()).await;
    let mut published = first.into_iter().collect::<Result<Vec<_>, _>>()?.len();
    let mut publish_calls = calls(&endpoint).await;
    reset(&endpoint).await;
    vod.publish(AssetSource::file(&files[10]))
        .start()
        .join()
        .await?;
    let extra_at_10 = calls(&endpoint).await;
    published += 1;
    reset(&endpoint).await;
    let rest: Vec<_> = publish(files[11..n].to_vec()).await;
    published += rest.into_iter().collect::<Result<Vec<_>, _>>()?.len();
    let wall = started.elapsed();
    for (op, k) in calls(&endpoint)
        .await
        .into_iter()
        .chain(extra_at_10.clone())
    {
        *publish_calls.entry(op).or_default() += k;
    }
    println!(
        "\npublished {published} assets in {:.1} s ({:.2} assets/s)",
        wall.as_secs_f64(),
        published as f64 / wall.as_secs_f64()
    );
    print_calls("publish", &publish_calls, published);

    reset(&endpoint).await;
    vod.publish(AssetSource::file(&files[n]))
        .start()
        .join()
        .await?;
    let extra_at_n = calls(&endpoint).await;
    let total_calls = |c: &Calls| {
        c.iter()
            .filter(|(k, _)| *k != "GetJob")
            .map(|(_, v)| v)
            .sum::<usize>()
    };
    println!(
        "\none extra publish when 10 assets exist: {} calls (job polls apart) {:?}",
        total_calls(&extra_at_10),
        extra_at_10
    );
    println!(
        "one extra publish when {published} assets exist: {} calls (job polls apart) {:?}",
        total_calls(&extra_at_n),
        extra_at_n
    );
    let strip = |c: &Calls| {
        c.iter()
            .filter(|(k, _)| *k != "GetJob")
            .map(|(k, v)| (k.clone(), *v))
            .collect::<Calls>()
    };
    println!(
        "equal by operation: {}",
        strip(&extra_at_10) == strip(&extra_at_n)
    );

    // Re-apply a spec that lists every published file: nothing to do, no mezzanine byte read.
    let all = files;
    let full = VodPipeline::from_toml_str(&spec_text(&all), &work)?;
    reset(&endpoint).await;
    let read_before = vod_pipeline::upload::source_bytes_read();
    let started = Instant::now();
    let again = full.plan().apply(&config).start().join().await?;
    let wall = started.elapsed();
    let read = vod_pipeline::upload::source_bytes_read() - read_before;
    let changed = again
        .steps
        .iter()
        .filter(|s| s.change != Change::NoOp)
        .count();
    println!(
        "\nre-apply of {} assets: {:.1} s, {changed} steps changed, mezzanine bytes read: {read}",
        all.len(),
        wall.as_secs_f64()
    );
    print_calls("re-apply", &calls(&endpoint).await, all.len());
    control(
        &endpoint,
        reqwest::Method::PUT,
        "/_emulator/knobs",
        Some("{}"),
    )
    .await;
    if read != 0 || changed != 0 {
        return Err("the re-apply read mezzanine bytes or changed something".into());
    }
    Ok(())
}
