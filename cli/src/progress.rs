//! Progress of long work (apply, destroy, publish): spinners and bars on a terminal, JSON lines
//! with `--json`.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use vod_pipeline::{Error, Event};

use crate::{json, out};

/// Shows the handle's events while it runs, then returns its result.
pub(crate) async fn drive<T: Send + 'static>(
    mut handle: vod_pipeline::Handle<T>,
    as_json: bool,
) -> Result<T, Error> {
    let mut events = handle.events();
    let shower = tokio::spawn(async move {
        let bars = MultiProgress::new();
        let mut by_step: HashMap<vod_pipeline::plan::StepId, ProgressBar> = HashMap::new();
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
                            .with_prefix(step.to_string())
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
