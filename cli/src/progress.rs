//! Progress of long work (apply, destroy, publish): spinners and bars on a terminal, plain lines on
//! stderr when stderr is not a terminal (CI logs, `| tee`), JSON lines with `--json`.

use std::collections::HashMap;
use std::io::IsTerminal;
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
    if !as_json && !std::io::stderr().is_terminal() {
        let shower = tokio::spawn(async move {
            let mut plain = Plain::default();
            while let Some(e) = events.next().await {
                if let Some(line) = plain.line(&e) {
                    eprintln!("{line}");
                }
            }
        });
        let result = handle.join().await;
        let _ = shower.await;
        return result;
    }
    let shower = tokio::spawn(async move {
        let bars = MultiProgress::new();
        let mut by_step: HashMap<vod_pipeline::plan::StepId, ProgressBar> = HashMap::new();
        let spinner = ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bytes = ProgressStyle::with_template(
            "{spinner} {prefix:.bold} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        // Narrow enough for 80 columns with the longest step ids and phases.
        let percent = ProgressStyle::with_template(
            "{spinner} {prefix:.bold} [{bar:20}] {pos:>3}% {wide_msg}",
        )
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
                        pb.set_position(job_percent(status, *p));
                        pb.set_message(job_phase(status, phase.as_deref()));
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

/// A job's percent for a bar: MediaConvert reports none once the job is complete.
fn job_percent(status: &str, percent: Option<i32>) -> u64 {
    match percent {
        _ if status == "COMPLETE" => 100,
        Some(p) => p.clamp(0, 100) as u64,
        None => 0,
    }
}

/// A job's phase in one short word (`probing`, `transcoding`, `uploading`), else its status.
fn job_phase(status: &str, phase: Option<&str>) -> String {
    match phase {
        Some(p) if status == "PROGRESSING" && !p.is_empty() => p.to_lowercase(),
        _ => status.to_lowercase(),
    }
}

/// Plain progress lines for a log: every step started and finished, a job's percent every 10 %,
/// an upload every 10 % of its bytes, a copy every 10 % of its objects, and each new distribution
/// status.
#[derive(Default)]
struct Plain {
    /// The last tenth shown, per step.
    tenths: HashMap<String, u64>,
    /// The last distribution status shown, per step.
    statuses: HashMap<String, String>,
}

impl Plain {
    fn line(&mut self, e: &Event) -> Option<String> {
        let mut tenth = |step: String, done: u64, total: u64| -> bool {
            let t = (done.min(total) * 10).checked_div(total).unwrap_or(10);
            let last = self.tenths.insert(step, t);
            last != Some(t)
        };
        match e {
            Event::JobProgress {
                step,
                status,
                phase,
                percent,
                ..
            } => {
                let p = job_percent(status, *percent);
                tenth(step.to_string(), p, 100)
                    .then(|| format!("{step}: {p}% {}", job_phase(status, phase.as_deref())))
            }
            Event::UploadProgress {
                step,
                bytes_sent,
                bytes_total,
            } => tenth(step.to_string(), *bytes_sent, *bytes_total).then(|| e.to_string()),
            Event::CopyProgress {
                step,
                objects_done,
                objects_total,
            } => tenth(step.to_string(), *objects_done, *objects_total).then(|| e.to_string()),
            Event::DistributionStatus { step, status, .. } => {
                let last = self.statuses.insert(step.to_string(), status.clone());
                (last.as_ref() != Some(status)).then(|| e.to_string())
            }
            _ => Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_job_is_at_100_percent_and_its_phase_is_one_word() {
        assert_eq!(job_percent("COMPLETE", None), 100);
        assert_eq!(job_percent("PROGRESSING", Some(42)), 42);
        assert_eq!(job_percent("SUBMITTED", None), 0);
        assert_eq!(job_phase("PROGRESSING", Some("PROBING")), "probing");
        assert_eq!(job_phase("COMPLETE", None), "complete");
    }

    /// A job reporting every percent from 0 to 100 gives 11 lines in a log, not 101.
    #[test]
    fn plain_lines_show_a_job_every_10_percent() {
        let mut plain = Plain::default();
        let step: vod_pipeline::plan::StepId = vod_pipeline::plan::StepId::Job("sample".into());
        let lines: Vec<String> = (0..=100)
            .filter_map(|p| {
                plain.line(&Event::JobProgress {
                    step: step.clone(),
                    job_id: "j1".into(),
                    status: "PROGRESSING".into(),
                    phase: Some("TRANSCODING".into()),
                    percent: Some(p),
                })
            })
            .collect();
        assert_eq!(lines.len(), 11, "{lines:#?}");
        assert_eq!(lines[5], "mediaconvert.job.sample: 50% transcoding");
    }
}
