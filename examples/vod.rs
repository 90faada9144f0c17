//! `vod`: the command-line face of vod-pipeline.
//!
//! ```text
//! vod plan    <spec.toml> [--json] [--refresh]   the AWS calls that would create the pipeline
//! vod apply   <spec.toml> [--json] [--wait]      create or update it; prints the playback URLs last
//! vod status  <spec.toml> [--json]               what exists, and whether it matches the spec
//! vod destroy <spec.toml> [--json] [--delete-buckets]
//! ```
//!
//! Run it with `cargo run --example vod -- <command> ...`. AWS credentials, and for a local emulator
//! the endpoint (`AWS_ENDPOINT_URL`), come from the usual environment and profile settings; the Region
//! comes from the spec. Exit codes: 0 success, 2 invalid input (the problems are listed on stderr),
//! 1 anything else (AWS refused, a job failed, a timeout).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use vod_pipeline::{Change, Deployment, Error, Event, VodPipeline};

#[derive(Parser)]
#[command(
    name = "vod",
    version,
    about = "Plan, apply, inspect and destroy an AWS on-demand video pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a spec and print the plan of AWS calls that would create it.
    Plan {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Read live state and mark each step create, update or no-op (makes no change).
        #[arg(long)]
        refresh: bool,
    },
    /// Create or update the pipeline, then print the playback URLs.
    Apply {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print events as JSON lines, then one JSON object with the deployment.
        #[arg(long)]
        json: bool,
        /// Wait until the distribution is deployed.
        #[arg(long)]
        wait: bool,
    },
    /// Show what exists and whether it matches the spec.
    Status {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Tear the pipeline down in reverse order. Buckets and source media are kept by default.
    Destroy {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print events as JSON lines.
        #[arg(long)]
        json: bool,
        /// Also empty and delete the buckets, source media included.
        #[arg(long)]
        delete_buckets: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vod: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (spec, result) = runtime.block_on(run(cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vod: {}: {e}", spec.display());
            if e.is_input_error() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Prints to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{text}").and_then(|()| o.flush());
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

async fn run(cmd: Command) -> (PathBuf, Result<(), Error>) {
    match cmd {
        Command::Plan {
            spec,
            json: as_json,
            refresh,
        } => {
            let r = async {
                let plan = VodPipeline::from_toml_file(&spec)?.plan();
                if refresh {
                    let report = plan.refresh(&aws_config().await).await?;
                    out(&if as_json {
                        json(&report)
                    } else {
                        report.to_string()
                    });
                } else {
                    out(&if as_json {
                        plan.to_json()
                    } else {
                        plan.to_string()
                    });
                }
                Ok(())
            }
            .await;
            (spec, r)
        }
        Command::Status {
            spec,
            json: as_json,
        } => {
            let r = async {
                let plan = VodPipeline::from_toml_file(&spec)?.plan();
                let report = plan.refresh(&aws_config().await).await?;
                if as_json {
                    out(&json(&report));
                } else {
                    out(&format!("Status of pipeline {:?}:", report.pipeline));
                    for s in &report.steps {
                        let state = match &s.change {
                            Change::NoOp => "present, as specified".to_owned(),
                            Change::Create => "missing".to_owned(),
                            Change::Update { diff } => {
                                format!("present, differs: {}", diff.join("; "))
                            }
                            other => other.to_string(),
                        };
                        out(&format!("  {:<36} {:<45} {state}", s.id, s.action));
                    }
                }
                Ok(())
            }
            .await;
            (spec, r)
        }
        Command::Apply {
            spec,
            json: as_json,
            wait,
        } => {
            let r = async {
                let plan = VodPipeline::from_toml_file(&spec)?.plan();
                let handle = plan
                    .apply(&aws_config().await)
                    .wait_for_deployment(wait)
                    .start();
                let deployment = drive(handle, as_json).await?;
                print_deployment(&deployment, as_json);
                Ok(())
            }
            .await;
            (spec, r)
        }
        Command::Destroy {
            spec,
            json: as_json,
            delete_buckets,
        } => {
            let r = async {
                let plan = VodPipeline::from_toml_file(&spec)?.plan();
                let handle = plan
                    .destroy(&aws_config().await)
                    .delete_buckets(delete_buckets)
                    .start();
                let d = drive(handle, as_json).await?;
                if as_json {
                    out(&json(&serde_json::json!({ "destroyed": d.steps })));
                } else {
                    for s in &d.steps {
                        out(&format!("  {:<36} {}", s.id, s.change));
                    }
                }
                Ok(())
            }
            .await;
            (spec, r)
        }
    }
}

async fn aws_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// Shows the events (progress bars on a terminal, JSON lines with `--json`) and waits for the result.
async fn drive(
    mut handle: vod_pipeline::apply::RunHandle,
    as_json: bool,
) -> Result<Deployment, Error> {
    let mut events = handle.events();
    let shower = tokio::spawn(async move {
        let bars = MultiProgress::new();
        let mut by_step: HashMap<String, ProgressBar> = HashMap::new();
        let spinner = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bytes = ProgressStyle::with_template(
            "{spinner} {prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let percent =
            ProgressStyle::with_template("{spinner} {prefix:.bold} [{bar:30}] {pos}% {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        while let Some(e) = events.next().await {
            if as_json {
                out(&json(&e));
                continue;
            }
            match &e {
                Event::StepStarted { step, action } => {
                    let pb = bars.add(
                        ProgressBar::new_spinner()
                            .with_style(spinner.clone())
                            .with_prefix(step.clone())
                            .with_message(action.clone()),
                    );
                    pb.enable_steady_tick(Duration::from_millis(120));
                    by_step.insert(step.clone(), pb);
                }
                Event::UploadProgress {
                    step,
                    bytes_sent,
                    bytes_total,
                } => {
                    if let Some(pb) = by_step.get(step) {
                        pb.set_style(bytes.clone());
                        pb.set_length(*bytes_total);
                        pb.set_position(*bytes_sent);
                    }
                }
                Event::JobProgress {
                    step,
                    percent: p,
                    status,
                    phase,
                    ..
                } => {
                    if let Some(pb) = by_step.get(step) {
                        pb.set_style(percent.clone());
                        pb.set_length(100);
                        pb.set_position(p.unwrap_or(0).clamp(0, 100) as u64);
                        pb.set_message(format!("{status} {}", phase.clone().unwrap_or_default()));
                    }
                }
                Event::CopyProgress {
                    step,
                    objects_done,
                    objects_total,
                } => {
                    if let Some(pb) = by_step.get(step) {
                        pb.set_message(format!("{objects_done}/{objects_total} objects"));
                    }
                }
                Event::DistributionStatus { step, status, id } => {
                    if let Some(pb) = by_step.get(step) {
                        pb.set_message(format!("distribution {id} {status}"));
                    }
                }
                Event::StepFinished { step, .. }
                | Event::StepFailed { step, .. }
                | Event::StepSkipped { step, .. } => {
                    if let Some(pb) = by_step.remove(step) {
                        pb.finish_and_clear();
                    }
                    let _ = bars.println(e.to_string());
                }
                _ => {
                    let _ = bars.println(e.to_string());
                }
            }
        }
    });
    let result = handle.join().await;
    let _ = shower.await;
    result
}

fn print_deployment(d: &Deployment, as_json: bool) {
    if as_json {
        out(&json(d));
        return;
    }
    if let Some(dist) = &d.distribution {
        out(&format!(
            "\nDistribution {} ({}) at {}",
            dist.id, dist.status, dist.domain_name
        ));
    }
    if let Some(e) = &d.container_endpoint {
        out(&format!("MediaStore container endpoint: {e}"));
    }
    if let Some(b) = &d.origin_bucket {
        out(&format!("Origin bucket: s3://{b}"));
    }
    for j in &d.jobs {
        out(&format!(
            "MediaConvert job for {}: {} ({})",
            j.asset, j.job_id, j.status
        ));
    }
    out("\nPlayback URLs:");
    for p in &d.playback {
        out(&format!(
            "  {:<12} {:<5} {:<5} {}",
            p.asset, p.format, p.manifest, p.url
        ));
    }
}
