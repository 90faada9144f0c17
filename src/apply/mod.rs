//! Applying, refreshing and destroying a [`Plan`] against AWS.
//!
//! The executor turns each plan step into SDK calls (one module per service, in `src/aws/`). It runs
//! independent steps concurrently, at most [`ApplyOptions::concurrency_per_service`] per service; it
//! reads live state before every write, so a second apply of an unchanged pipeline makes no mutating
//! call; and it finds its resources again by name and by the tag `vod-pipeline:pipeline`, so no local
//! state file is needed. Progress is a [`futures::Stream`] of [`Event`]s.
//!
//! ```no_run
//! # async fn run() -> Result<(), vod_pipeline::Error> {
//! use futures::StreamExt;
//! let config = aws_config::load_from_env().await;
//! let pipeline = vod_pipeline::VodPipeline::from_toml_file("examples/specs/s3-origin.toml")?;
//! let mut handle = pipeline.plan().apply(&config).wait_for_deployment(true).start();
//! let mut events = handle.events();
//! tokio::spawn(async move {
//!     while let Some(event) = events.next().await {
//!         eprintln!("{event}");
//!     }
//! });
//! let deployment = handle.join().await?;
//! for p in &deployment.playback {
//!     println!("{} {} {}", p.asset, p.format, p.url);
//! }
//! # Ok(()) }
//! ```

pub(crate) mod engine;
pub(crate) mod event;

pub use event::{ApplyOptions, Change, Event, Orphan, OrphanKind};

use std::fmt;

use futures::Stream;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::aws::{Clients, Ctx, Mode};
use crate::error::Error;
use crate::plan::{OutputKey, Plan, StepId};
use crate::spec::model::OriginKind;
use crate::types::{ManifestKind, OutputFormat};

/// What apply created: ids, endpoints and, for every asset and format, the playback URL.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Deployment {
    /// Pipeline name.
    pub pipeline: String,
    /// The distribution.
    pub distribution: Option<DistributionInfo>,
    /// `mediastore` or `s3`.
    pub origin: OriginKind,
    /// The container's data endpoint (MediaStore origin).
    pub container_endpoint: Option<String>,
    /// The origin bucket (S3 origin).
    pub origin_bucket: Option<String>,
    /// One MediaConvert job per asset.
    pub jobs: Vec<JobInfo>,
    /// One URL per asset, format and manifest.
    pub playback: Vec<PlaybackUrl>,
    /// Private content: the trusted key group and its public keys, with the ids that signed URLs
    /// carry as `Key-Pair-Id`. `None` without `[cloudfront.private_content]`.
    pub key_group: Option<KeyGroupInfo>,
    /// What each step did.
    pub steps: Vec<StepSummary>,
    /// What the pipeline owned and the spec no longer produces: deleted ([`Change::Delete`]) or,
    /// with [`ApplyOptions::keep_orphans`], kept ([`Change::Kept`]).
    pub orphans: Vec<Orphan>,
}

/// The key group of a private distribution.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct KeyGroupInfo {
    /// The key group's id (empty while it does not exist).
    pub id: String,
    /// Its name, `<pipeline>-keys`.
    pub name: String,
    /// Its public keys, in the spec's order.
    pub public_keys: Vec<PublicKeyInfo>,
}

/// One public key of the key group.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PublicKeyInfo {
    /// The key-pair id to sign with (`Signer::from_pem(key_pair_id, ..)`); empty while the key does
    /// not exist.
    pub key_pair_id: String,
    /// CloudFront's name of the key.
    pub name: String,
    /// The PEM file of the spec.
    pub file: String,
    /// `RSA-2048` or `ECDSA-P256`.
    pub algorithm: crate::sign::KeyAlgorithm,
}

/// The distribution apply created or found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DistributionInfo {
    /// Id, such as `E2QWRUHAPOMQZL`.
    pub id: String,
    /// Domain, such as `d111111abcdef8.cloudfront.net`.
    pub domain_name: String,
    /// ARN.
    pub arn: String,
    /// `InProgress` or `Deployed`.
    pub status: String,
}

/// A MediaConvert job.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// Asset id.
    pub asset: String,
    /// Job id (of the job that produced the current output).
    pub job_id: String,
    /// Final status.
    pub status: String,
}

/// A URL a player can open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PlaybackUrl {
    /// Asset id.
    pub asset: String,
    /// The output format, such as `hls` or `dash`.
    pub format: OutputFormat,
    /// `m3u8`, `mpd` (or `mp4` for a progressive file).
    pub manifest: ManifestKind,
    /// The URL.
    pub url: url::Url,
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StepSummary {
    /// Step id.
    pub id: StepId,
    /// `service:Operation`.
    pub action: String,
    /// What it did.
    #[serde(flatten)]
    pub change: Change,
    /// HTTP requests it sent to AWS (retries included).
    pub calls: u64,
}

/// What refresh found: for each step, what apply would do.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Refresh {
    /// Pipeline name.
    pub pipeline: String,
    /// One entry per step, in plan order.
    pub steps: Vec<StepSummary>,
    /// What the pipeline owns and the spec no longer produces: each one apply would delete
    /// (`"change": "delete"` in JSON), with the reason.
    pub orphans: Vec<Orphan>,
    /// What the apply would run into that refresh can read, such as an account quota it would exceed.
    pub warnings: Vec<String>,
}

impl fmt::Display for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count =
            |pred: fn(&Change) -> bool| self.steps.iter().filter(|s| pred(&s.change)).count();
        writeln!(f, "Refresh of pipeline {:?}:", self.pipeline)?;
        for s in &self.steps {
            let mark = match s.change {
                Change::Create => "+",
                Change::Update { .. } => "~",
                Change::Delete => "-",
                Change::NoOp if !s.id.is_resource() => " ",
                _ => "=",
            };
            let change = match s.change {
                Change::NoOp if !s.id.is_resource() => "nothing to do".to_owned(),
                ref c => c.to_string(),
            };
            writeln!(f, "  {mark} {:<40} {:<45} {change}", s.id, s.action)?;
            if let Change::Update { diff } = &s.change {
                for d in diff {
                    writeln!(f, "      ~ {d}")?;
                }
            }
        }
        for o in &self.orphans {
            writeln!(f, "  - {:<40} {:<45} {}", o.resource, o.kind, o.change)?;
            writeln!(f, "      {}", o.reason)?;
        }
        write!(
            f,
            "{} to create, {} to update, {} unchanged, {} orphaned to delete.",
            count(|c| matches!(c, Change::Create)),
            count(|c| matches!(c, Change::Update { .. })),
            self.steps
                .iter()
                .filter(|s| s.change == Change::NoOp && s.id.is_resource())
                .count(),
            self.orphans.len()
        )?;
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

/// An apply or destroy being set up. Call [`Run::start`] to begin.
#[must_use = "nothing happens until start() is called"]
pub struct Run {
    plan: Plan,
    config: aws_config::SdkConfig,
    options: ApplyOptions,
    kind: RunKind,
}

#[derive(Clone, Copy)]
enum RunKind {
    Apply,
    Destroy,
}

impl Run {
    /// Replaces all options.
    pub fn options(mut self, options: ApplyOptions) -> Self {
        self.options = options;
        self
    }
    /// Waits for the distribution to be `Deployed`.
    pub fn wait_for_deployment(mut self, wait: bool) -> Self {
        self.options.wait_for_deployment = wait;
        self
    }
    /// Apply: read and checksum every source file, even one whose size and modification time match
    /// what its object records ([`ApplyOptions::verify_source_checksums`]).
    pub fn verify_checksums(mut self, verify: bool) -> Self {
        self.options.verify_source_checksums = verify;
        self
    }
    /// Apply: keep what the pipeline owns and the spec no longer produces, and only report it
    /// ([`ApplyOptions::keep_orphans`]).
    pub fn keep_orphans(mut self, keep: bool) -> Self {
        self.options.keep_orphans = keep;
        self
    }
    /// Destroy: also empty and delete the buckets, source media included.
    pub fn delete_buckets(mut self, delete: bool) -> Self {
        self.options.delete_buckets = delete;
        self
    }

    /// Starts the work on the current Tokio runtime and returns a handle to await it.
    pub fn start(self) -> RunHandle {
        let Run {
            plan,
            config,
            options,
            kind,
        } = self;
        Handle::spawn(move |sink| async move {
            let clients = Clients::with_options(&config, &plan.region, &options);
            let ctx = Ctx::new(clients, options, plan.pipeline.clone(), sink);
            match kind {
                RunKind::Apply => engine::apply(&plan, &ctx).await,
                RunKind::Destroy => engine::destroy(&plan, &ctx).await,
            }
        })
    }
}

/// A running apply or destroy.
pub type RunHandle = Handle<Deployment>;

/// Long work running on the Tokio runtime (an apply, a destroy, a publish): its progress events and
/// its result.
pub struct Handle<T> {
    events: Option<mpsc::UnboundedReceiver<Event>>,
    task: tokio::task::JoinHandle<Result<T, Error>>,
}

impl<T: Send + 'static> Handle<T> {
    /// Runs `work` with an event sink; events also go to `tracing` (target `vod_pipeline::apply`).
    pub(crate) fn spawn<F, Fut>(work: F) -> Self
    where
        F: FnOnce(Box<dyn Fn(Event) + Send + Sync>) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>> + Send + 'static,
    {
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = Box::new(move |e: Event| {
            tracing::info!(target: "vod_pipeline::apply", "{e}");
            let _ = tx.send(e);
        });
        Handle {
            events: Some(rx),
            task: tokio::spawn(work(sink)),
        }
    }

    /// The progress events. The first call takes the stream; later calls get an empty one.
    pub fn events(&mut self) -> impl Stream<Item = Event> + Send + Unpin + 'static {
        let rx = self.events.take();
        futures::stream::unfold(rx, |rx| async move {
            let mut rx = rx?;
            let e = rx.recv().await?;
            Some((e, Some(rx)))
        })
        .boxed_send()
    }

    /// Waits for the result. For destroy, the returned deployment lists what each step did.
    pub async fn join(self) -> Result<T, Error> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(Error::internal(
                "executor",
                format!("the executor task stopped: {e}"),
            )),
        }
    }
}

trait BoxedSend: Stream + Send + Sized + 'static {
    fn boxed_send(self) -> std::pin::Pin<Box<dyn Stream<Item = Self::Item> + Send>> {
        Box::pin(self)
    }
}
impl<S: Stream + Send + 'static> BoxedSend for S {}

impl Plan {
    /// Prepares applying the plan with this AWS configuration (credentials, Region, and for the
    /// emulator the endpoint URL). Call [`Run::start`] to begin.
    pub fn apply(&self, config: &aws_config::SdkConfig) -> Run {
        Run {
            plan: self.clone(),
            config: config.clone(),
            options: ApplyOptions::default(),
            kind: RunKind::Apply,
        }
    }

    /// Prepares destroying what the plan creates, in reverse dependency order. Buckets and source
    /// media are kept unless [`Run::delete_buckets`] is set. Destroying what is already gone succeeds.
    pub fn destroy(&self, config: &aws_config::SdkConfig) -> Run {
        Run {
            plan: self.clone(),
            config: config.clone(),
            options: ApplyOptions::default(),
            kind: RunKind::Destroy,
        }
    }

    /// Reads live state and reports, for each step, whether apply would create, update or leave it.
    /// Makes no mutating call.
    pub async fn refresh(&self, config: &aws_config::SdkConfig) -> Result<Refresh, Error> {
        let (ctx, steps) = self.read_live_state(config).await?;
        let creates: Vec<&StepId> = steps
            .iter()
            .filter(|s| s.change == Change::Create)
            .map(|s| &s.id)
            .collect();
        let warnings = crate::aws::cloudfront::quota_warnings(&ctx, &creates).await?;
        Ok(Refresh {
            pipeline: self.pipeline.clone(),
            steps,
            orphans: ctx.orphans(),
            warnings,
        })
    }
}

impl Plan {
    /// What exists of the pipeline now, read from live state (no mutating call): the distribution,
    /// the jobs and the playback URLs, as [`RunHandle::join`] returns them after an apply. This is what
    /// [`Deployment::verify`] needs when the apply happened elsewhere.
    pub async fn deployment(&self, config: &aws_config::SdkConfig) -> Result<Deployment, Error> {
        let (ctx, steps) = self.read_live_state(config).await?;
        Ok(deployment(self, &ctx, steps))
    }

    /// Every step in refresh mode: reads only.
    async fn read_live_state(
        &self,
        config: &aws_config::SdkConfig,
    ) -> Result<(Ctx, Vec<StepSummary>), Error> {
        let clients = Clients::new(config, &self.region);
        let ctx = Ctx::new(
            clients,
            ApplyOptions::default(),
            self.pipeline.clone(),
            Box::new(|_| {}),
        );
        let steps = engine::run_forward(self, &ctx, Mode::Refresh).await?;
        Ok((ctx, steps))
    }
}

/// `http` for `.localhost` names (a local emulator, RFC 6761), else `https`.
pub(crate) fn scheme_for(domain: &str) -> &'static str {
    let host = domain.split(':').next().unwrap_or(domain);
    if host == "localhost" || host.ends_with(".localhost") {
        "http"
    } else {
        "https"
    }
}

/// The URLs of playback paths on a distribution's domain (none while the domain is unknown).
pub(crate) fn playback_urls(paths: &[crate::plan::PlaybackPath], domain: &str) -> Vec<PlaybackUrl> {
    if domain.is_empty() {
        return Vec::new();
    }
    paths
        .iter()
        .filter_map(|p| {
            let text = format!("{}://{domain}{}", scheme_for(domain), p.path);
            match url::Url::parse(&text) {
                Ok(url) => Some(PlaybackUrl {
                    asset: p.asset.clone(),
                    format: p.format,
                    manifest: p.manifest,
                    url,
                }),
                Err(e) => {
                    // CloudFront's domain names are valid hosts; this guards against an answer
                    // that is not, without inventing a URL.
                    tracing::warn!("not a valid playback URL {text:?}: {e}");
                    None
                }
            }
        })
        .collect()
}

pub(crate) fn deployment(plan: &Plan, ctx: &Ctx, steps: Vec<StepSummary>) -> Deployment {
    let dist = StepId::Distribution;
    let distribution = ctx.output(&dist, OutputKey::Id).map(|id| DistributionInfo {
        id,
        domain_name: ctx.output(&dist, OutputKey::DomainName).unwrap_or_default(),
        arn: ctx.output(&dist, OutputKey::Arn).unwrap_or_default(),
        status: ctx.output(&dist, OutputKey::Status).unwrap_or_default(),
    });
    let playback = match &distribution {
        Some(d) => playback_urls(&plan.playback, &d.domain_name),
        None => Vec::new(),
    };
    let jobs = plan
        .steps
        .iter()
        .filter_map(|s| match &s.id {
            StepId::Job(asset) => Some(JobInfo {
                asset: asset.clone(),
                job_id: ctx.output(&s.id, OutputKey::JobId)?,
                status: ctx.output(&s.id, OutputKey::Status).unwrap_or_default(),
            }),
            _ => None,
        })
        .collect();
    let key_group = plan.steps.iter().find_map(|s| match &s.params {
        crate::plan::Params::KeyGroup(g) => Some(KeyGroupInfo {
            id: ctx.output(&s.id, OutputKey::Id).unwrap_or_default(),
            name: g.name.clone(),
            public_keys: plan
                .steps
                .iter()
                .filter_map(|k| match &k.params {
                    crate::plan::Params::PublicKey(p) => Some(PublicKeyInfo {
                        key_pair_id: ctx.output(&k.id, OutputKey::Id).unwrap_or_default(),
                        name: p.name.clone(),
                        file: p.file.clone(),
                        algorithm: p.algorithm,
                    }),
                    _ => None,
                })
                .collect(),
        }),
        _ => None,
    });
    Deployment {
        pipeline: plan.pipeline.clone(),
        distribution,
        key_group,
        origin: plan.origin,
        container_endpoint: ctx.output(&StepId::Container, OutputKey::Endpoint),
        origin_bucket: ctx.output(
            &StepId::Bucket(crate::plan::BucketRole::Origin),
            OutputKey::Bucket,
        ),
        jobs,
        playback,
        steps,
        orphans: ctx.orphans(),
    }
}
