//! `vod`: the command-line face of vod-pipeline.
//!
//! ```text
//! vod plan    <spec.toml> [--json] [--refresh]   the AWS calls that would create the pipeline
//!                                               (--refresh: and what left the spec, to delete)
//! vod apply   <spec.toml> [--json] [--wait] [--verify-checksums] [--keep-orphans]
//!                                               create or update it, delete what left the spec;
//!                                               prints the playback URLs last
//! vod status  <spec.toml> [--json]               what exists, and whether it matches the spec
//! vod destroy <spec.toml> [--json] [--delete-buckets]
//! vod verify  <spec.toml> [--json] [--origin URL] [--disallowed-origin URL] [--key PEM --key-pair-id ID]
//!                                               fetch the playback URLs as a player does and check them
//! vod upload  <file-or-dir> s3://bucket/prefix [--part-size 16MiB] [--concurrency N] [--read-mode buffered|direct] [--json]
//!
//! vod publish    <spec.toml> <file-or-s3-uri>... [--id ID] [--json] [--no-wait]
//! vod assets     <spec.toml> [--json]             every published asset, with its URLs
//! vod asset      <spec.toml> <id> [--json]        one asset's live status
//! vod unpublish  <spec.toml> <id> [--delete-source]
//! vod upload-url <spec.toml> <id> --size BYTES [--content-type T] [--expires 1h] [--json]
//! vod complete-upload <spec.toml> <id> --upload-id ID [--content-type T]
//! vod sign       <spec.toml> <url-or-asset> --key <private.pem> --key-pair-id <id> [--expires 1h] [--ip CIDR] [--cookies] [--json]
//! ```
//!
//! `apply` deploys the infrastructure (and publishes the spec's `files`, if any); `publish` and the
//! commands after it work on the content of a deployed pipeline, one asset at a time.
//!
//! Install it with `cargo install --path cli` (or run it with `cargo run -p vod-cli -- <command> ...`).
//! AWS credentials, and for a local emulator
//! the endpoint (`AWS_ENDPOINT_URL`), come from the usual environment and profile settings; the Region
//! comes from the spec. Exit codes: 0 success, 2 invalid input (the problems are listed on stderr),
//! 1 anything else (AWS refused, a job failed, a timeout, a failed playback check).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod content;
mod progress;
mod sign;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use progress::drive;
use vod_pipeline::{Change, Deployment, Error, VodPipeline};

/// What `vod --help` says after the commands.
const AFTER_HELP: &str = "\
Environment:
  AWS credentials come from the usual places: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
  AWS_PROFILE and ~/.aws, SSO, a credential process, web identity, or instance metadata.
  The Region comes from the spec, not from AWS_REGION.
  AWS_ENDPOINT_URL sends every call to another endpoint, such as the local emulator.

The emulator (no AWS account needed):
  cargo run -p vod-emulator            # serves S3, MediaConvert, MediaStore and CloudFront on 127.0.0.1:4566
  export AWS_ENDPOINT_URL=http://127.0.0.1:4566
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test   # any credentials work with the emulator
  vod apply --wait examples/specs/s3-origin.toml

Example specs: examples/specs/s3-origin.toml (recommended) and examples/specs/mediastore.toml.

Exit codes:
  0  success
  1  AWS refused, a job failed, a timeout, an endpoint that cannot be reached, a failed playback check
  2  invalid input (every problem is listed on stderr)";

#[derive(Parser)]
#[command(
    name = "vod",
    version,
    about = "Plan, apply, inspect and destroy an AWS on-demand video pipeline",
    after_help = AFTER_HELP
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
        /// Read and checksum every source file, even those whose size and modification time
        /// match what their object records (by default such files are not read).
        #[arg(long)]
        verify_checksums: bool,
        /// Keep what the pipeline made and the spec no longer produces (the output of assets and
        /// formats taken out of the spec, policies and origin resources the distribution stopped
        /// using), and only report it. By default apply deletes it, after the new state is in place.
        #[arg(long)]
        keep_orphans: bool,
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
    /// Fetch the playback URLs as a player does and check them against the spec: manifests,
    /// the ladder, first segments, Content-Types, CORS, cache TTLs and the error cache. Each check
    /// asserts only what CloudFront documents (README, "What `vod verify` checks").
    /// Exit code 0 when every check passes, 1 when one fails.
    Verify {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The Origin to send as allowed (default: the first of cors_allowed_origins).
        #[arg(long)]
        origin: Option<vod_pipeline::types::CorsOrigin>,
        /// The Origin to send as not allowed (default: https://not-allowed.vod-pipeline.invalid).
        #[arg(long)]
        disallowed_origin: Option<vod_pipeline::types::CorsOrigin>,
        /// How far above a rung's cap an advertised bandwidth may be, in percent.
        #[arg(long, default_value_t = 10)]
        bandwidth_tolerance: u32,
        /// For a private pipeline: the private key (PEM) of a public key in the key group. Every
        /// GET then carries signed cookies, and an unsigned GET must be refused.
        #[arg(long, requires = "key_pair_id")]
        key: Option<PathBuf>,
        /// For a private pipeline: the key-pair id of that key (`vod status` shows it).
        #[arg(long, requires = "key")]
        key_pair_id: Option<String>,
    },
    /// Upload a file, or a directory's files, into S3: multipart, checksummed, resumable.
    Upload {
        /// A file, or a directory (its files are uploaded recursively).
        path: PathBuf,
        /// Where to: `s3://bucket/key` for a file, `s3://bucket/prefix/` for a file or a directory.
        dest: S3Url,
        /// Part size of multipart uploads (5MiB to 5GiB; raised automatically past 10,000 parts).
        #[arg(long, default_value = "16MiB")]
        part_size: vod_pipeline::PartSize,
        /// Requests in flight at once (memory is about part size x concurrency).
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// `buffered` reads through the page cache; `direct` reads around it where the filesystem
        /// allows (Linux `O_DIRECT`): less CPU, and a huge file does not evict the rest of memory.
        #[arg(long, default_value = "buffered")]
        read_mode: vod_pipeline::upload::ReadMode,
        /// Print one JSON line per file, then a summary line.
        #[arg(long)]
        json: bool,
    },
    /// Publish assets to a deployed pipeline: local files (uploaded first) or s3:// objects.
    /// Prints each asset's playback URLs.
    Publish(content::PublishArgs),
    /// List every published asset with its playback URLs, from live state.
    Assets(content::AssetsArgs),
    /// One asset's live status: not found, uploading, transcoding (percent), copying, published, failed.
    Asset(content::AssetArgs),
    /// Remove an asset from the origin and the edge caches (the source media is kept by default).
    Unpublish(content::UnpublishArgs),
    /// Presigned URLs to upload a mezzanine into the source bucket without AWS credentials (a
    /// browser, curl); prints them and the commands that finish the upload and publish it.
    UploadUrl(content::UploadUrlArgs),
    /// Complete a presigned multipart upload started by `vod upload-url`.
    CompleteUpload(content::CompleteUploadArgs),
    /// Sign a URL, or a published asset's manifests, for a private pipeline: signed URLs, or
    /// signed cookies for the asset's folder (`--cookies`). Signing a URL makes no AWS call.
    Sign(sign::SignArgs),
}

/// `s3://bucket/prefix`.
#[derive(Debug, Clone)]
struct S3Url {
    bucket: String,
    prefix: String,
}

impl std::str::FromStr for S3Url {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{s:?} is not an s3://bucket/prefix URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{s:?} names no bucket"));
        }
        Ok(S3Url {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
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
        Ok(code) => code,
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
pub(crate) fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{text}").and_then(|()| o.flush());
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
}

async fn run(cmd: Command) -> (PathBuf, Result<ExitCode, Error>) {
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
                Ok(ExitCode::SUCCESS)
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
                let report = plan.deployment(&aws_config().await).await?;
                if as_json {
                    out(&json(&serde_json::json!({
                        "pipeline": report.pipeline,
                        "steps": report.steps,
                        "key_group": report.key_group,
                    })));
                } else {
                    out(&format!("Status of pipeline {:?}:", report.pipeline));
                    for s in &report.steps {
                        let state = match &s.change {
                            // An action or a read (the invalidation, the sweeps): nothing exists
                            // to be present.
                            Change::NoOp if !s.id.is_resource() => "nothing to do".to_owned(),
                            Change::Create if !s.id.is_resource() => "to run".to_owned(),
                            Change::NoOp => "present, as specified".to_owned(),
                            Change::Create => "missing".to_owned(),
                            Change::Update { diff } => {
                                format!("present, differs: {}", diff.join("; "))
                            }
                            other => other.to_string(),
                        };
                        out(&format!("  {:<36} {:<45} {state}", s.id, s.action));
                    }
                    if let Some(g) = &report.key_group {
                        let id = if g.id.is_empty() {
                            "(not created)"
                        } else {
                            g.id.as_str()
                        };
                        out(&format!("Key group {} ({id}), sign with one of:", g.name));
                        for k in &g.public_keys {
                            let kid = if k.key_pair_id.is_empty() {
                                "(not created)"
                            } else {
                                k.key_pair_id.as_str()
                            };
                            out(&format!(
                                "  key-pair id {kid:<16} {} ({})",
                                k.file, k.algorithm
                            ));
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            .await;
            (spec, r)
        }
        Command::Apply {
            spec,
            json: as_json,
            wait,
            verify_checksums,
            keep_orphans,
        } => {
            let r = async {
                let plan = VodPipeline::from_toml_file(&spec)?.plan();
                let handle = plan
                    .apply(&aws_config().await)
                    .wait_for_deployment(wait)
                    .verify_checksums(verify_checksums)
                    .keep_orphans(keep_orphans)
                    .start();
                let deployment = drive(handle, as_json).await?;
                print_deployment(&deployment, as_json);
                Ok(ExitCode::SUCCESS)
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
                Ok(ExitCode::SUCCESS)
            }
            .await;
            (spec, r)
        }
        Command::Verify {
            spec,
            json: as_json,
            origin,
            disallowed_origin,
            bandwidth_tolerance,
            key,
            key_pair_id,
        } => {
            let r = async {
                let pipeline = VodPipeline::from_toml_file(&spec)?;
                // The flags, before any AWS call; a problem names the flag, not the spec.
                if let Err(Error::Invalid(problems)) = vod_pipeline::verify::check_origins(
                    &pipeline,
                    origin.as_ref(),
                    disallowed_origin.as_ref(),
                ) {
                    for p in problems.iter() {
                        let flag = match p.field.as_str() {
                            "allowed_origin" => "--origin",
                            _ => "--disallowed-origin",
                        };
                        eprintln!(
                            "vod verify: {flag} {:?} is not a usable value for this spec: it {}",
                            p.value, p.rule
                        );
                    }
                    return Ok(ExitCode::from(2));
                }
                let signer = match (key, key_pair_id) {
                    (Some(key), Some(id)) => Some(vod_pipeline::Signer::from_pem_file(id, key)?),
                    _ => None,
                };
                let deployment = pipeline.plan().deployment(&aws_config().await).await?;
                let report = deployment
                    .verify(&pipeline)
                    .maybe_allowed_origin(origin)
                    .maybe_disallowed_origin(disallowed_origin)
                    .bandwidth_tolerance_percent(bandwidth_tolerance)
                    .maybe_signer(signer)
                    .run()
                    .await?;
                out(&if as_json {
                    json(&report)
                } else {
                    report.to_string()
                });
                if report.passed() {
                    Ok(ExitCode::SUCCESS)
                } else {
                    let (_, failed, _) = report.counts();
                    eprintln!(
                        "vod: {}: {failed} of {} playback checks failed",
                        spec.display(),
                        report.checks.len()
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
            .await;
            (spec, r)
        }
        Command::Upload {
            path,
            dest,
            part_size,
            concurrency,
            read_mode,
            json: as_json,
        } => {
            let r = upload(&path, &dest, part_size, concurrency, read_mode, as_json)
                .await
                .map(|()| ExitCode::SUCCESS);
            (path, r)
        }
        Command::Publish(a) => (a.spec.clone(), content::publish(a).await),
        Command::Assets(a) => (a.spec.clone(), content::assets(a).await),
        Command::Asset(a) => (a.spec.clone(), content::asset(a).await),
        Command::Unpublish(a) => (a.spec.clone(), content::unpublish(a).await),
        Command::UploadUrl(a) => (a.spec.clone(), content::upload_url(a).await),
        Command::CompleteUpload(a) => (a.spec.clone(), content::complete_upload(a).await),
        Command::Sign(a) => (a.spec.clone(), sign::sign(a).await),
    }
}

/// `vod upload`: one bar for all bytes, a line per file, and bytes, seconds and MiB/s at the end.
async fn upload(
    path: &std::path::Path,
    dest: &S3Url,
    part_size: vod_pipeline::PartSize,
    concurrency: usize,
    read_mode: vod_pipeline::upload::ReadMode,
    as_json: bool,
) -> Result<(), Error> {
    use vod_pipeline::upload::{UploadJob, UploadOutcome, Uploader, format_bytes};
    let jobs = UploadJob::for_path(path, &dest.bucket, &dest.prefix)?;
    let sizes: Vec<u64> = jobs
        .iter()
        .map(|j| std::fs::metadata(&j.file).map(|m| m.len()).unwrap_or(0))
        .collect();
    let total: u64 = sizes.iter().sum();
    let mut config = aws_config().await;
    if config.region().is_none() {
        config = config
            .into_builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
    }
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(config.endpoint_url().is_some())
            .build(),
    );
    let uploader = Uploader::builder(client)
        .part_size(part_size)
        .concurrency(concurrency)
        .read_mode(read_mode)
        .build();
    let bar = if as_json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("{} file(s)", jobs.len()));
    let per_file = std::sync::Mutex::new(vec![0u64; jobs.len()]);
    let started = std::time::Instant::now();
    let results = uploader
        .upload_all(&jobs, &|p| {
            let mut v = per_file.lock().unwrap_or_else(|e| e.into_inner());
            v[p.file] = p.bytes_sent;
            bar.set_position(v.iter().sum());
        })
        .await;
    let secs = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let mut first_error = None;
    let (mut sent, mut skipped) = (0u64, 0u64);
    for (job, r) in jobs.iter().zip(results) {
        match r {
            Ok(rep) => {
                if rep.outcome == UploadOutcome::Skipped {
                    skipped += rep.bytes;
                } else {
                    sent += rep.bytes;
                }
                if as_json {
                    out(&json(&rep));
                    continue;
                }
                let what = match rep.outcome {
                    UploadOutcome::Put => "uploaded (one PUT)".to_owned(),
                    UploadOutcome::Multipart {
                        parts,
                        parts_resumed,
                        ..
                    } if parts_resumed > 0 => {
                        format!("uploaded ({parts} parts, {parts_resumed} resumed from S3)")
                    }
                    UploadOutcome::Multipart { parts, .. } => format!("uploaded ({parts} parts)"),
                    UploadOutcome::Skipped => "unchanged, skipped".to_owned(),
                    _ => "done".to_owned(),
                };
                let check = if rep.verified {
                    "verified"
                } else {
                    "NOT verified: the server returned no checksum"
                };
                out(&format!(
                    "s3://{}/{}: {what}, {}, {:?} {} {check}",
                    rep.bucket,
                    rep.key,
                    format_bytes(rep.bytes),
                    rep.checksum_algorithm,
                    rep.checksum
                ));
            }
            Err(e) => {
                // A single file's error is printed once, by main.
                if jobs.len() > 1 {
                    eprintln!(
                        "vod: {} -> s3://{}/{}: {e}",
                        job.file.display(),
                        job.bucket,
                        job.key
                    );
                }
                first_error.get_or_insert(e);
            }
        }
    }
    let mib_s = (sent as f64 / (1024.0 * 1024.0)) / secs.max(1e-9);
    if as_json {
        out(&json(&serde_json::json!({
            "files": jobs.len(),
            "bytes": sent,
            "bytes_skipped": skipped,
            "seconds": secs,
            "mib_per_second": mib_s,
            "peak_buffered_bytes": uploader.peak_bytes_in_flight(),
        })));
    } else {
        out(&format!(
            "{} file(s): {sent} bytes ({}) sent in {secs:.2} s, {mib_s:.1} MiB/s{}",
            jobs.len(),
            format_bytes(sent),
            if skipped > 0 {
                format!("; {} unchanged", format_bytes(skipped))
            } else {
                String::new()
            }
        ));
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub(crate) async fn aws_config() -> aws_config::SdkConfig {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    // The library checks this before its first call too; checking here also covers `vod upload`,
    // whose S3 client is the CLI's own.
    if let Err(e) = vod_pipeline::check_endpoint(&config).await {
        eprintln!("vod: {e}");
        std::process::exit(1);
    }
    config
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
    if !d.orphans.is_empty() {
        out("\nNo longer in the spec:");
        for o in &d.orphans {
            out(&format!("  {:<7} {:<24} {}", o.change, o.kind, o.resource));
            out(&format!("          {}", o.reason));
        }
    }
    out("\nPlayback URLs:");
    for p in &d.playback {
        out(&format!(
            "  {:<12} {:<5} {:<5} {}",
            p.asset, p.format, p.manifest, p.url
        ));
    }
}
