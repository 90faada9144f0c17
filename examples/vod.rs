//! `vod`: the command-line face of vod-pipeline.
//!
//! ```text
//! cargo run --example vod -- plan examples/specs/mediastore.toml [--json]
//! ```
//!
//! Exit codes: 0 success, 2 invalid input (the problems are listed on stderr), 1 any other failure.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vod_pipeline::{Error, VodPipeline};

#[derive(Parser)]
#[command(
    name = "vod",
    version,
    about = "Plan an AWS on-demand video pipeline from a TOML spec"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a spec and print the plan of AWS calls that would create it. Makes no AWS call.
    Plan {
        /// The pipeline spec (TOML).
        spec: PathBuf,
        /// Print the plan as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Plan { spec, json } => match VodPipeline::from_toml_file(&spec) {
            Ok(pipeline) => {
                let plan = pipeline.plan();
                let text = if json {
                    plan.to_json()
                } else {
                    plan.to_string()
                };
                // Write without panicking when stdout is closed early (e.g. piped into `head`).
                let mut out = std::io::stdout().lock();
                match writeln!(out, "{text}").and_then(|()| out.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("vod: cannot write the plan: {e}");
                        ExitCode::FAILURE
                    }
                }
            }
            Err(e) => report(&spec, &e),
        },
    }
}

fn report(spec: &std::path::Path, e: &Error) -> ExitCode {
    eprintln!("vod: {}: {e}", spec.display());
    if e.is_input_error() {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}
