//! Invalidations, batched per distribution. CloudFront allows 3,000 paths without a wildcard and 15
//! with one in progress per distribution
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html>).
//! Requests that arrive together (many unpublishes or republishes at once) share one
//! `CreateInvalidation` up to those limits; when CloudFront answers `TooManyInvalidationsInProgress`,
//! the batch waits and tries again (with backoff, up to the deploy timeout) instead of failing.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use tokio::sync::oneshot;

use crate::error::Error;
use crate::error::{aws_error, error_code};

/// Paths without a wildcard that may be in progress at once per distribution.
pub(crate) const MAX_FILE_PATHS_IN_PROGRESS: usize = 3000;
/// Paths with the `*` wildcard that may be in progress at once per distribution.
pub(crate) const MAX_WILDCARD_PATHS_IN_PROGRESS: usize = 15;

/// How long the first request of a batch waits for others to join it.
const GATHER: Duration = Duration::from_millis(100);

type Reply = oneshot::Sender<Result<String, String>>;

/// Shared by every task of one set of clients.
#[derive(Default)]
pub(crate) struct Invalidations {
    queues: Mutex<HashMap<String, Queue>>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<(Vec<String>, Reply)>,
    flushing: bool,
}

/// What a flush needs, owned (it runs as its own task, so no caller's cancellation stops it).
#[derive(Clone)]
pub(crate) struct Sender {
    pub client: aws_sdk_cloudfront::Client,
    pub pipeline: String,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
}

impl Invalidations {
    /// Invalidates `paths` on the distribution, in a batch with whatever else is waiting. Returns the
    /// invalidation's id.
    pub(crate) async fn invalidate(
        self: &Arc<Self>,
        sender: Sender,
        distribution_id: &str,
        paths: Vec<String>,
    ) -> Result<String, Error> {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            let q = queues.entry(distribution_id.to_owned()).or_default();
            q.waiting.push((paths, tx));
            !std::mem::replace(&mut q.flushing, true)
        };
        if lead {
            tokio::spawn(self.clone().flush(sender, distribution_id.to_owned()));
        }
        match rx.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(message)) => Err(Error::Step {
                step: format!("cloudfront:CreateInvalidation {distribution_id}"),
                message,
            }),
            Err(_) => Err(Error::internal(
                "invalidation batch",
                "the batch stopped without an answer",
            )),
        }
    }

    async fn flush(self: Arc<Self>, sender: Sender, distribution_id: String) {
        loop {
            // Let the requests that arrive together gather into one batch.
            tokio::time::sleep(GATHER).await;
            let mut batch = Vec::new();
            if !self.top_up(&distribution_id, &mut batch) {
                return;
            }
            let started = tokio::time::Instant::now();
            let mut backoff = sender.backoff.max(Duration::from_millis(1));
            let result = loop {
                match create(&sender, &distribution_id, distinct_paths(&batch)).await {
                    Err(Refused::AtLimit(e)) if started.elapsed() < sender.timeout => {
                        tracing::info!(target: "vod_pipeline::apply", "distribution {distribution_id}: invalidations at CloudFront's limit ({e}); retrying in {backoff:?}");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(sender.max_backoff.max(backoff));
                        // Whatever arrived while waiting joins the batch, as far as the quotas allow:
                        // the room that frees up is used by as few invalidations as possible.
                        self.top_up(&distribution_id, &mut batch);
                    }
                    Err(Refused::AtLimit(e) | Refused::Other(e)) => break Err(e.to_string()),
                    Ok(id) => break Ok(id),
                }
            };
            for (_, reply) in batch {
                let _ = reply.send(result.clone());
            }
        }
    }

    /// Moves waiting requests into `batch` while they fit. Returns false (and marks the queue idle)
    /// when both are empty.
    fn top_up(&self, distribution_id: &str, batch: &mut Vec<(Vec<String>, Reply)>) -> bool {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let q = queues.entry(distribution_id.to_owned()).or_default();
        fill_batch(batch, &mut q.waiting);
        if batch.is_empty() {
            q.flushing = false;
            return false;
        }
        true
    }
}

fn distinct_paths(batch: &[(Vec<String>, Reply)]) -> Vec<String> {
    let paths: BTreeSet<&String> = batch.iter().flat_map(|(p, _)| p).collect();
    paths.into_iter().cloned().collect()
}

/// Moves the longest prefix of the waiting requests into `batch` whose distinct paths, with the
/// batch's own, fit in one invalidation within the quotas (at least one request into an empty batch,
/// which the caller split to fit).
fn fill_batch(batch: &mut Vec<(Vec<String>, Reply)>, waiting: &mut Vec<(Vec<String>, Reply)>) {
    let mut seen: BTreeSet<String> = batch.iter().flat_map(|(p, _)| p.iter().cloned()).collect();
    let mut wild = seen.iter().filter(|p| p.ends_with('*')).count();
    let mut files = seen.len() - wild;
    let mut n = 0;
    for (paths, _) in waiting.iter() {
        let new: BTreeSet<&String> = paths.iter().filter(|p| !seen.contains(*p)).collect();
        let w = new.iter().filter(|p| p.ends_with('*')).count();
        let f = new.len() - w;
        if (n > 0 || !batch.is_empty())
            && (wild + w > MAX_WILDCARD_PATHS_IN_PROGRESS || files + f > MAX_FILE_PATHS_IN_PROGRESS)
        {
            break;
        }
        wild += w;
        files += f;
        seen.extend(new.into_iter().cloned());
        n += 1;
    }
    batch.extend(waiting.drain(..n));
}

/// Why a `CreateInvalidation` did not create one.
enum Refused {
    /// `TooManyInvalidationsInProgress`: worth waiting for.
    AtLimit(Error),
    /// Anything else.
    Other(Error),
}

async fn create(
    sender: &Sender,
    distribution_id: &str,
    paths: Vec<String>,
) -> Result<String, Refused> {
    let mut text = format!("{}\0{:?}", sender.pipeline, std::time::SystemTime::now());
    for p in &paths {
        text.push('\0');
        text.push_str(p);
    }
    let caller_reference = format!(
        "vod-pipeline/{}/invalidation/{:016x}",
        sender.pipeline,
        crate::names::fnv1a64(text.as_bytes())
    );
    let internal = |e: aws_sdk_cloudfront::error::BuildError| {
        Refused::Other(Error::internal("invalidation batch", e.to_string()))
    };
    let batch = InvalidationBatch::builder()
        .caller_reference(caller_reference)
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths))
                .build()
                .map_err(internal)?,
        )
        .build()
        .map_err(internal)?;
    match sender
        .client
        .create_invalidation()
        .distribution_id(distribution_id)
        .invalidation_batch(batch)
        .send()
        .await
    {
        Ok(out) => out.invalidation.map(|i| i.id).ok_or_else(|| {
            Refused::Other(Error::IncompleteResponse {
                operation: "cloudfront:CreateInvalidation".into(),
                resource: distribution_id.to_owned(),
                field: "Invalidation".into(),
            })
        }),
        Err(e) => {
            let at_limit = error_code(&e) == Some("TooManyInvalidationsInProgress");
            let e = aws_error("cloudfront:CreateInvalidation", distribution_id, e);
            Err(if at_limit {
                Refused::AtLimit(e)
            } else {
                Refused::Other(e)
            })
        }
    }
}

/// Waits until the invalidation is `Completed`.
pub(crate) async fn wait_completed(
    sender: &Sender,
    distribution_id: &str,
    invalidation_id: &str,
) -> Result<(), Error> {
    let started = tokio::time::Instant::now();
    let mut interval = sender.backoff.max(Duration::from_millis(1));
    loop {
        let out = sender
            .client
            .get_invalidation()
            .distribution_id(distribution_id)
            .id(invalidation_id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetInvalidation", invalidation_id, e))?;
        if out
            .invalidation()
            .is_some_and(|i| i.status() == "Completed")
        {
            return Ok(());
        }
        if started.elapsed() >= sender.timeout {
            return Err(Error::Timeout {
                what: format!("invalidation {invalidation_id} on distribution {distribution_id}"),
                waited_secs: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(sender.max_backoff.max(interval));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(paths: &[&[&str]]) -> Vec<(Vec<String>, Reply)> {
        paths
            .iter()
            .map(|p| {
                let (tx, _rx) = oneshot::channel();
                (p.iter().map(|s| (*s).to_owned()).collect(), tx)
            })
            .collect()
    }

    fn take_batch(waiting: &mut Vec<(Vec<String>, Reply)>) -> Vec<(Vec<String>, Reply)> {
        let mut batch = Vec::new();
        fill_batch(&mut batch, waiting);
        batch
    }

    #[test]
    fn batches_stay_within_the_wildcard_quota() {
        let ids: Vec<String> = (0..40).map(|i| format!("/a{i}/*")).collect();
        let each: Vec<Vec<&str>> = ids.iter().map(|p| vec![p.as_str()]).collect();
        let each: Vec<&[&str]> = each.iter().map(Vec::as_slice).collect();
        let mut waiting = requests(&each);
        let sizes: Vec<usize> = std::iter::from_fn(|| {
            let b = take_batch(&mut waiting);
            (!b.is_empty()).then_some(b.len())
        })
        .collect();
        assert_eq!(sizes, [15, 15, 10]);
    }

    #[test]
    fn repeated_paths_count_once_and_files_apart_from_wildcards() {
        let mut waiting = requests(&[&["/a/*"], &["/a/*"], &["/x.m3u8"; 1], &["/b/*"]]);
        assert_eq!(take_batch(&mut waiting).len(), 4);
        let files: Vec<String> = (0..2999).map(|i| format!("/f{i}")).collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let mut waiting = requests(&[&files, &["/g1", "/g2"], &["/c/*"]]);
        assert_eq!(take_batch(&mut waiting).len(), 1);
        assert_eq!(take_batch(&mut waiting).len(), 2);
    }

    #[test]
    fn a_waiting_batch_takes_in_what_arrives_until_full() {
        let ids: Vec<String> = (0..20).map(|i| format!("/a{i}/*")).collect();
        let each: Vec<Vec<&str>> = ids.iter().map(|p| vec![p.as_str()]).collect();
        let each: Vec<&[&str]> = each.iter().map(Vec::as_slice).collect();
        let mut waiting = requests(&each[..4]);
        let mut batch = take_batch(&mut waiting);
        assert_eq!(batch.len(), 4);
        // A repeat of a path already in the batch costs nothing; new paths fill up to 15.
        let mut more = requests(&[&["/a0/*"]]);
        more.extend(requests(&each[4..]));
        fill_batch(&mut batch, &mut more);
        assert_eq!(batch.len(), 16);
        assert_eq!(distinct_paths(&batch).len(), 15);
        assert_eq!(more.len(), 5);
        // A full batch takes nothing more, not even one request.
        fill_batch(&mut batch, &mut more);
        assert_eq!(batch.len(), 16);
    }
}
