//! The I/O side: one module per AWS service, each turning plan steps into SDK calls.
//!
//! Every step reads live state before it writes. In [`Mode::Apply`] it then creates, updates or does
//! nothing; in [`Mode::Refresh`] it only reports which of those apply would do. The modules share the
//! [`Ctx`]: the SDK clients, the outputs of finished steps (for `${step.output}` placeholders) and the
//! event sink.

pub(crate) mod cloudfront;
pub(crate) mod mediaconvert;
pub(crate) mod mediastore;
pub(crate) mod orphans;
pub(crate) mod policy_document;
pub(crate) mod rate;
pub(crate) mod reconcile;
pub(crate) mod s3;
#[cfg(test)]
pub(crate) mod test_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::apply::event::{ApplyOptions, Change, Event, Orphan};
use crate::error::Error;
pub(crate) use crate::error::{aws_error, error_code};
use crate::plan::{Deferred, OutputKey, Step, StepId};

tokio::task_local! {
    /// The running step's request counter, set by the engine around each step.
    pub(crate) static STEP_CALLS: std::sync::Arc<std::sync::atomic::AtomicU64>;
}

/// Counts every HTTP attempt into the running step's counter (retries included), so a deployment
/// can say how many calls each step made. Outside a step it does nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallCounter;

impl aws_smithy_runtime_api::client::interceptors::Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "vod_pipeline::CallCounter"
    }

    fn read_before_attempt(
        &self,
        _ctx: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _rc: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let _ = STEP_CALLS.try_with(|c| c.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        Ok(())
    }
}

/// Whether a step may change anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Read, then create, update or do nothing.
    Apply,
    /// Read only; report what apply would do.
    Refresh,
}

/// What a step did (apply) or would do (refresh), and the values it makes known to later steps.
#[derive(Debug, Clone)]
pub(crate) struct StepReport {
    pub change: Change,
    pub outputs: Vec<(OutputKey, String)>,
}

impl StepReport {
    pub(crate) fn new(change: Change) -> Self {
        Self {
            change,
            outputs: Vec::new(),
        }
    }
    pub(crate) fn output(mut self, key: OutputKey, value: impl Into<String>) -> Self {
        self.outputs.push((key, value.into()));
        self
    }
}

/// The SDK clients, built once from the caller's `SdkConfig`.
#[derive(Clone)]
pub(crate) struct Clients {
    pub sdk_config: aws_config::SdkConfig,
    pub s3: aws_sdk_s3::Client,
    pub mediaconvert: aws_sdk_mediaconvert::Client,
    pub mediastore: aws_sdk_mediastore::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// Set once the configured endpoint URL answered a connection ([`Clients::check_endpoint`]).
    pub endpoint_ok: std::sync::Arc<tokio::sync::OnceCell<()>>,
    /// The shared bound on `GetJob` polls ([`ApplyOptions::job_polls_per_second`]).
    pub job_polls: std::sync::Arc<rate::RateLimit>,
    /// Invalidations waiting to be sent, batched per distribution.
    pub invalidations: std::sync::Arc<cloudfront::batch::Invalidations>,
}

impl Clients {
    /// Clients for the pipeline's Region (CloudFront is global; its SDK client signs for us-east-1).
    pub(crate) fn new(config: &aws_config::SdkConfig, region: &str) -> Self {
        Self::with_options(config, region, &ApplyOptions::default())
    }

    /// Clients with the retry settings of `options`: adaptive retry (exponential backoff, and a
    /// client-side rate limit that slows down when AWS throttles).
    pub(crate) fn with_options(
        config: &aws_config::SdkConfig,
        region: &str,
        options: &ApplyOptions,
    ) -> Self {
        let retry = aws_config::retry::RetryConfig::adaptive()
            .with_max_attempts(options.max_attempts.max(1))
            .with_initial_backoff(std::time::Duration::from_millis(200));
        let config = config
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .retry_config(retry)
            .build();
        // S3 path-style addressing works with every endpoint, including a local emulator.
        let s3_conf = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(config.endpoint_url().is_some())
            .interceptor(CallCounter)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_conf),
            mediaconvert: aws_sdk_mediaconvert::Client::from_conf(
                aws_sdk_mediaconvert::config::Builder::from(&config)
                    .interceptor(CallCounter)
                    .build(),
            ),
            mediastore: aws_sdk_mediastore::Client::from_conf(
                aws_sdk_mediastore::config::Builder::from(&config)
                    .interceptor(CallCounter)
                    .build(),
            ),
            cloudfront: aws_sdk_cloudfront::Client::from_conf(
                aws_sdk_cloudfront::config::Builder::from(&config)
                    .interceptor(CallCounter)
                    .build(),
            ),
            sdk_config: config,
            job_polls: std::sync::Arc::new(rate::RateLimit::new(options.job_polls_per_second)),
            invalidations: std::sync::Arc::default(),
            endpoint_ok: std::sync::Arc::default(),
        }
    }

    /// [`Error::Unreachable`] when the configured endpoint URL accepts no TCP connection within 3 s.
    /// The SDK would retry a refused connection `max_attempts` times with backoff (about 14 s with
    /// the defaults) and then name no endpoint. Without an endpoint URL (AWS's own endpoints) nothing
    /// is probed; once the endpoint has answered, it is not probed again.
    pub(crate) async fn check_endpoint(&self) -> Result<(), Error> {
        if self.sdk_config.endpoint_url().is_none() {
            return Ok(());
        }
        self.endpoint_ok
            .get_or_try_init(|| check_endpoint(&self.sdk_config))
            .await
            .map(|_| ())
    }
}

/// Checks that the endpoint URL of `config` (`AWS_ENDPOINT_URL`, a profile's `endpoint_url`, or
/// `SdkConfig::endpoint_url`, as when pointing at an emulator) accepts a TCP connection within 3 s,
/// and fails with [`Error::Unreachable`] naming it otherwise. Without an endpoint URL (AWS's own
/// endpoints) it does nothing.
///
/// Apply, refresh, destroy and every [`VodClient`](crate::VodClient) call check this before their
/// first AWS call; call it yourself before using SDK clients of your own (an [`Uploader`](crate::Uploader)'s,
/// say), which would otherwise retry a refused connection for many seconds and name no endpoint.
pub async fn check_endpoint(config: &aws_config::SdkConfig) -> Result<(), Error> {
    let Some(endpoint) = config.endpoint_url() else {
        return Ok(());
    };
    reachable(endpoint)
        .await
        .map_err(|reason| Error::Unreachable {
            endpoint: endpoint.to_owned(),
            reason,
        })
}

/// Whether a TCP connection to an endpoint URL's host and port opens within 3 s.
async fn reachable(endpoint: &str) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("not a URL ({e})"))?;
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no connection within 3 s".into()),
    }
}

/// Shared state of one apply, refresh or destroy.
pub(crate) struct Ctx {
    pub clients: Clients,
    pub options: ApplyOptions,
    pub pipeline: String,
    outputs: Mutex<HashMap<StepId, Finished>>,
    orphans: Mutex<Vec<Orphan>>,
    events: Box<dyn Fn(Event) + Send + Sync>,
}

impl Ctx {
    pub(crate) fn new(
        clients: Clients,
        options: ApplyOptions,
        pipeline: String,
        events: Box<dyn Fn(Event) + Send + Sync>,
    ) -> Self {
        Self {
            clients,
            options,
            pipeline,
            outputs: Mutex::new(HashMap::new()),
            orphans: Mutex::new(Vec::new()),
            events,
        }
    }

    /// Reports an orphan that a step found, deleted or kept.
    pub(crate) fn orphan(&self, step: &StepId, orphan: Orphan) {
        self.emit(Event::Orphan {
            step: step.clone(),
            orphan: orphan.clone(),
        });
        self.orphans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(orphan);
    }

    /// Every orphan reported so far, sorted by kind and resource.
    pub(crate) fn orphans(&self) -> Vec<Orphan> {
        let mut all = self
            .orphans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        all.sort_by(|a, b| (a.kind, &a.resource).cmp(&(b.kind, &b.resource)));
        all
    }

    /// Sends an event to whoever watches.
    pub(crate) fn emit(&self, e: Event) {
        (self.events)(e);
    }

    /// Records what a finished step did, and its outputs.
    pub(crate) fn record(&self, step: &StepId, change: &Change, outputs: &[(OutputKey, String)]) {
        let mut map = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(step.clone()).or_default();
        entry.change = Some(change.clone());
        entry.outputs.extend(outputs.iter().cloned());
    }

    /// Outputs of a step, without what it did: what earlier steps left, in tests of one step.
    #[cfg(test)]
    pub(crate) fn record_outputs(&self, step: &StepId, outputs: &[(OutputKey, String)]) {
        let mut map = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(step.clone())
            .or_default()
            .outputs
            .extend(outputs.iter().cloned());
    }

    /// One output of a finished step.
    pub(crate) fn output(&self, step: &StepId, key: OutputKey) -> Option<String> {
        let map = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        map.get(step).and_then(|f| f.outputs.get(&key)).cloned()
    }

    /// What a finished step did; `None` while it has not finished.
    pub(crate) fn change(&self, step: &StepId) -> Option<Change> {
        let map = self.outputs.lock().unwrap_or_else(|p| p.into_inner());
        map.get(step).and_then(|f| f.change.clone())
    }

    /// The value of a deferred parameter. In refresh mode a value may be missing because its step
    /// would only create it; that is `Ok(None)`.
    pub(crate) fn resolve(&self, value: &Deferred<String>) -> Result<Option<String>, Error> {
        Ok(match value {
            Deferred::Known(v) => Some(v.clone()),
            Deferred::Output(src, key) => self.output(src, *key),
        })
    }

    /// Like [`Ctx::resolve`], but a missing value is an error (apply mode, where the engine runs a
    /// step only after the steps it depends on).
    pub(crate) fn require(&self, step: &Step, value: &Deferred<String>) -> Result<String, Error> {
        self.resolve(value)?.ok_or_else(|| {
            Error::internal(
                &step.id,
                format!("{value} is not known: the step that produces it has not run"),
            )
        })
    }

    /// A deferred value as the mode needs it: required in apply, possibly unknown in refresh.
    pub(crate) fn value(
        &self,
        step: &Step,
        value: &Deferred<String>,
        mode: Mode,
    ) -> Result<Option<String>, Error> {
        match mode {
            Mode::Apply => self.require(step, value).map(Some),
            Mode::Refresh => self.resolve(value),
        }
    }
}

impl Ctx {
    /// Sends `paths` to the distribution's invalidation batch; returns the invalidation id.
    pub(crate) async fn invalidate(
        &self,
        distribution_id: &str,
        paths: Vec<String>,
    ) -> Result<String, Error> {
        let sender = self.invalidation_sender();
        self.clients
            .invalidations
            .invalidate(sender, distribution_id, paths)
            .await
    }

    /// What the invalidation batch needs to send and to wait.
    pub(crate) fn invalidation_sender(&self) -> cloudfront::batch::Sender {
        cloudfront::batch::Sender {
            client: self.clients.cloudfront.clone(),
            pipeline: self.pipeline.clone(),
            backoff: self.options.poll_interval,
            max_backoff: self.options.max_poll_interval,
            timeout: self.options.deploy_timeout,
        }
    }
}

/// What a finished step did and the values it made known.
#[derive(Debug, Clone, Default)]
pub(crate) struct Finished {
    pub change: Option<Change>,
    pub outputs: BTreeMap<OutputKey, String>,
}
