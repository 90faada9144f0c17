//! How much of the emulator's per-call latency an apply pays: run with
//! `cargo bench --bench apply_latency`.
//!
//! For each shared spec, apply against a fresh in-process emulator twice: with no added latency and
//! with 50 ms on every call. It prints the apply wall times, the number of HTTP calls each step made
//! (from the executor's call counter), the plan's critical path in calls (the longest dependency
//! chain, weighted by each step's calls) and what a fully serial executor would pay (all calls × 50 ms).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use vod_emulator::Emulator;
use vod_emulator::knobs::ServiceKnobs;
use vod_pipeline::plan::StepId;
use vod_pipeline::{ApplyOptions, Deployment, Plan, VodPipeline};

const LATENCY_MS: u64 = 50;

async fn apply(plan: &Plan, latency_ms: u64) -> (Duration, Deployment) {
    let emu = Emulator::builder()
        .deploy_delay(Duration::from_millis(300))
        .start()
        .await
        .expect("emulator starts");
    if latency_ms > 0 {
        emu.set_service_knobs(
            "*",
            ServiceKnobs {
                latency_ms,
                ..ServiceKnobs::default()
            },
        )
        .expect("knobs");
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint_url())
        .load()
        .await;
    let mut options = ApplyOptions::default();
    options.poll_interval = Duration::from_millis(200);
    options.max_poll_interval = Duration::from_millis(500);
    let started = Instant::now();
    let d = plan
        .apply(&config)
        .options(options)
        .start()
        .join()
        .await
        .expect("apply succeeds");
    (started.elapsed(), d)
}

/// The longest chain of dependent steps, weighted by each step's calls.
fn critical_path_calls(plan: &Plan, calls: &HashMap<StepId, u64>) -> (u64, Vec<String>) {
    let mut best: HashMap<&StepId, (u64, Vec<String>)> = HashMap::new();
    for s in &plan.steps {
        let (prev, mut chain) = s
            .depends_on
            .iter()
            .filter_map(|d| best.get(d))
            .max_by_key(|(c, _)| *c)
            .cloned()
            .unwrap_or((0, Vec::new()));
        let own = calls.get(&s.id).copied().unwrap_or(0);
        chain.push(format!("{} ({own})", s.id));
        best.insert(&s.id, (prev + own, chain));
    }
    best.into_values()
        .max_by_key(|(c, _)| *c)
        .unwrap_or_default()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        let path = format!("{}/examples/specs/{spec}", env!("CARGO_MANIFEST_DIR"));
        let plan = VodPipeline::from_toml_file(&path)
            .expect("valid spec")
            .plan();
        let (t0, _) = rt.block_on(apply(&plan, 0));
        let (t50, d) = rt.block_on(apply(&plan, LATENCY_MS));
        let calls: HashMap<StepId, u64> = d.steps.iter().map(|s| (s.id.clone(), s.calls)).collect();
        let total: u64 = calls.values().sum();
        let (cp, chain) = critical_path_calls(&plan, &calls);
        println!("{spec}: {} steps, {total} calls", plan.steps.len());
        println!(
            "  apply wall time, no added latency:   {:>6.2} s",
            t0.as_secs_f64()
        );
        println!(
            "  apply wall time, {LATENCY_MS} ms per call:     {:>6.2} s",
            t50.as_secs_f64()
        );
        println!(
            "  added by the latency:                {:>6.2} s",
            t50.as_secs_f64() - t0.as_secs_f64()
        );
        println!(
            "  critical path: {cp} sequential calls x {LATENCY_MS} ms = {:.2} s  [{}]",
            cp as f64 * LATENCY_MS as f64 / 1000.0,
            chain.join(" -> ")
        );
        println!(
            "  a serial executor: {total} calls x {LATENCY_MS} ms = {:.2} s",
            total as f64 * LATENCY_MS as f64 / 1000.0
        );
    }
}
