//! `vod-emulator --listen 127.0.0.1:4566 --data-dir DIR [--deploy-delay 1s]`
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Local stand-in for S3, MediaConvert, MediaStore and CloudFront, speaking AWS's wire protocols.
#[derive(Parser, Debug)]
#[command(name = "vod-emulator", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Where S3 and MediaStore keep their data (default: a temporary directory removed on exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// How long CloudFront distributions stay InProgress, e.g. `1s`, `250ms`, `0s`.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    deploy_delay: Duration,
    /// The account of callers whose access key id is not a 12-digit account id (a caller whose access key id
    /// is 12 digits acts as that account).
    #[arg(long, default_value = "123456789012", value_parser = parse_account)]
    account_id: String,
    /// Custom cache policies, and custom response headers policies, the account may have (CloudFront's
    /// default quota is 20 of each).
    #[arg(long, default_value_t = vod_emulator::rules::DEFAULT_POLICY_QUOTA)]
    policy_quota: usize,
    /// Check every request against AWS's service models in this directory (`<dir>/<service>/service-2.json`;
    /// `emulator/scripts/service-models` downloads them) and answer a violation with the service's validation
    /// error.
    #[arg(long, env = "VOD_EMULATOR_SERVICE_MODELS")]
    service_models: Option<PathBuf>,
}

fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(format!("an AWS account id is 12 digits, got `{s}`"))
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len()),
    );
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}` (use e.g. 1s, 250ms, 2m)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        _ => return Err(format!("invalid duration unit in `{s}` (use ms, s or m)")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("invalid duration `{s}`"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// What to say at start-up when the emulator would be reachable from other machines.
fn exposure_warning(listen: SocketAddr) -> Option<String> {
    (!listen.ip().is_loopback()).then(|| {
        format!(
            "vod-emulator: WARNING: listening on {listen}, which is not a loopback address. The emulator accepts any \
             credentials and never checks a signature: anyone who can reach this address can read, write and delete \
             everything it holds. Listen on 127.0.0.1 unless this machine's network is yours alone."
        )
    })
}

/// A line on stderr, errors ignored: a supervisor may have closed the pipe, and `eprintln!` would panic then, which
/// on the way out would skip the shutdown.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(warning) = exposure_warning(args.listen) {
        say(&warning);
    }
    let mut builder = vod_emulator::Emulator::builder()
        .listen(args.listen)
        .deploy_delay(args.deploy_delay)
        .default_account_id(args.account_id)
        .policy_quota(args.policy_quota);
    if let Some(dir) = args.data_dir {
        builder = builder.data_dir(dir);
    }
    if let Some(dir) = args.service_models {
        builder = builder.service_models(dir);
    }
    // Install the signal handlers before saying "ready": a supervisor may send SIGTERM the moment
    // it reads that line, and a signal that arrives before the handler exists kills the process.
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            say(&format!(
                "vod-emulator: cannot install signal handlers: {e}"
            ));
            return std::process::ExitCode::FAILURE;
        }
    };
    let handle = match builder.start().await {
        Ok(h) => h,
        Err(e) => {
            say(&format!("vod-emulator: {e}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    // One write, errors ignored: a supervisor may read the ready line and close the pipe at once,
    // and a failed print must not take the emulator down.
    let ready = format!(
        "vod-emulator ready on {url} (data dir {})\n\
         To use it from a shell (any credentials work; the emulator never checks them):\n  \
         export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1\n",
        handle.data_dir().display(),
        url = handle.endpoint_url(),
    );
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(ready.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);

    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    say("vod-emulator: shutting down");
    handle.shutdown().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::exposure_warning;

    #[test]
    fn warns_only_off_loopback() {
        for quiet in ["127.0.0.1:4566", "127.0.0.2:0", "[::1]:4566"] {
            assert_eq!(exposure_warning(quiet.parse().unwrap()), None, "{quiet}");
        }
        for loud in ["0.0.0.0:4566", "[::]:0", "192.0.2.10:4566"] {
            let w = exposure_warning(loud.parse().unwrap()).unwrap_or_default();
            assert!(
                w.contains("WARNING") && w.contains("any credentials"),
                "{loud}: {w}"
            );
        }
    }
}
