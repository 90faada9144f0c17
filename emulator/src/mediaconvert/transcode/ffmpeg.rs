//! Runs ffmpeg: one process at a time per slot, with progress, cancellation and a readable error.
//!
//! Every ffmpeg process of a job holds a slot of the job's own limit and a slot of the emulator's, taken
//! in that order (so two jobs never wait on each other's slots in a cycle). The limits are set with
//! `VOD_EMULATOR_FFMPEG_PROCESSES` (the whole emulator) and `VOD_EMULATOR_FFMPEG_PROCESSES_PER_JOB`, or
//! with [`crate::mediaconvert::State::set_ffmpeg_limits`]; both default to the number of cores.
use super::{Failure, codes};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// How many ffmpeg processes may run at once: in one job, and in the whole emulator.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// This job's slots.
    pub job: Arc<Semaphore>,
    /// The emulator's slots, shared by every job.
    pub emulator: Arc<Semaphore>,
}

impl Limits {
    /// Waits for a slot of the job, then one of the emulator; `None` when the job is canceled meanwhile.
    async fn acquire(
        &self,
        cancel: &mut watch::Receiver<bool>,
    ) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let slots = async {
            let job = self.job.clone().acquire_owned().await.ok()?;
            let emulator = self.emulator.clone().acquire_owned().await.ok()?;
            Some((job, emulator))
        };
        tokio::select! {
            s = slots => s,
            _ = canceled(cancel) => None,
        }
    }
}

/// Resolves when the job is canceled; never when the sender is gone without canceling.
pub(super) async fn canceled(cancel: &mut watch::Receiver<bool>) {
    loop {
        if *cancel.borrow_and_update() {
            return;
        }
        if cancel.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The last `n` non-empty lines of ffmpeg's error output, joined.
pub(super) fn last_lines(s: &str, n: usize) -> Option<String> {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    Some(lines[lines.len().saturating_sub(n)..].join(" | "))
}

/// Escapes `%` for ffmpeg's numbered file name patterns.
pub(super) fn pat(s: &str) -> String {
    s.replace('%', "%%")
}

/// One ffmpeg run.
pub(super) struct Run<'a> {
    /// The ffmpeg executable.
    pub ffmpeg: &'a str,
    /// Its slots.
    pub limits: &'a Limits,
    /// Canceling the job kills the process.
    pub cancel: watch::Receiver<bool>,
    /// What it makes, for the error message (`output [x] of output group 0`).
    pub what: String,
    /// The length of the media it writes, in seconds, for progress.
    pub duration: f64,
}

impl Run<'_> {
    /// Runs ffmpeg with `args`; `progress` gets the fraction of the media written so far.
    pub(super) async fn run(
        mut self,
        args: Vec<String>,
        progress: &(dyn Fn(f64) + Sync),
    ) -> Result<(), Failure> {
        let Some(_slots) = self.limits.acquire(&mut self.cancel).await else {
            return Err(Failure::Canceled);
        };
        let mut cmd = Command::new(self.ffmpeg);
        cmd.args([
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-nostats",
            "-progress",
            "pipe:1",
        ])
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        tracing::debug!(?args, "mediaconvert: ffmpeg");
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Failure::Error(
                    codes::INTERNAL,
                    "ffmpeg not found on PATH: install it (apt-get install ffmpeg)".into(),
                )
            } else {
                Failure::Error(codes::INTERNAL, format!("cannot run ffmpeg: {e}"))
            }
        })?;
        let (Some(mut stderr), Some(stdout)) = (child.stderr.take(), child.stdout.take()) else {
            return Err(Failure::Error(
                codes::INTERNAL,
                "ffmpeg started without its output pipes".into(),
            ));
        };
        let err_task = tokio::spawn(async move {
            let mut buf = Vec::new();
            let _ = stderr.read_to_end(&mut buf).await;
            String::from_utf8_lossy(&buf).into_owned()
        });
        let mut lines = BufReader::new(stdout).lines();
        let duration = self.duration.max(0.04);
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(l)) => {
                        if let Some(v) = l.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok()) {
                            progress((v / 1e6 / duration).clamp(0.0, 1.0));
                        }
                    }
                    _ => break,
                },
                _ = canceled(&mut self.cancel) => {
                    let _ = child.kill().await;
                    return Err(Failure::Canceled);
                }
            }
        }
        let status = child
            .wait()
            .await
            .map_err(|e| Failure::Error(codes::INTERNAL, format!("ffmpeg: {e}")))?;
        let err = err_task.await.unwrap_or_default();
        if !status.success() {
            let tail = last_lines(&err, 6).unwrap_or_else(|| format!("exit status {status}"));
            return Err(Failure::Error(
                codes::INTERNAL,
                format!("ffmpeg failed encoding {}: {tail}", self.what),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_never_holds_more_slots_than_either_limit() {
        let limits = Limits {
            job: Arc::new(Semaphore::new(2)),
            emulator: Arc::new(Semaphore::new(1)),
        };
        let (_tx, mut rx) = watch::channel(false);
        let first = limits.acquire(&mut rx).await.expect("a free slot");
        // The emulator's only slot is taken: a second acquire waits (here: until the timeout).
        let second = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            limits.acquire(&mut rx),
        )
        .await;
        assert!(second.is_err(), "a second process got a slot");
        assert_eq!(limits.job.available_permits(), 1);
        drop(first);
        assert!(limits.acquire(&mut rx).await.is_some());
    }

    #[tokio::test]
    async fn canceling_stops_the_wait_for_a_slot() {
        let limits = Limits {
            job: Arc::new(Semaphore::new(1)),
            emulator: Arc::new(Semaphore::new(1)),
        };
        let (tx, mut rx) = watch::channel(false);
        let _held = limits.acquire(&mut rx).await.expect("a free slot");
        let waiting = tokio::spawn({
            let limits = limits.clone();
            let mut rx = rx.clone();
            async move { limits.acquire(&mut rx).await.is_none() }
        });
        tx.send(true).expect("receiver alive");
        assert!(
            waiting.await.expect("task"),
            "the wait did not end on cancel"
        );
    }
}
