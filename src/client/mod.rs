//! The runtime client: what a video service keeps for its lifetime to publish assets one at a time.
//!
//! Infrastructure (buckets, origin, policies, distribution) is what [`Plan::apply`](crate::Plan::apply)
//! deploys; content is what a [`VodClient`] publishes. A client is cheap to clone (one set of SDK
//! clients, shared) and holds no state that AWS does not: assets are found again from S3 (the job
//! marker, the published index, the claim of a running publish) and from MediaConvert, so many
//! processes can publish at once.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use vod_pipeline::{AssetSource, VodPipeline};
//! let config = aws_config::load_from_env().await;
//! let pipeline = VodPipeline::from_toml_file("examples/specs/s3-origin.toml")?;
//! let vod = pipeline.client(&config); // once, at start-up
//! let asset = vod
//!     .publish(AssetSource::s3("s3://my-uploads/incoming/clip.mp4")?)
//!     .id("clip-42".parse()?)
//!     .start()
//!     .join()
//!     .await?;
//! for url in &asset.playback {
//!     println!("{} {}", url.format, url.url);
//! }
//! # Ok(()) }
//! ```
//!
//! What each call costs does not grow with the catalog: a publish reads the asset's marker, takes
//! its claim, and starts, polls and records its job; the distribution and the container are looked
//! up once per client. [`VodClient::assets`] lists one small index object per asset.

mod publish;
mod signed;
mod status;
mod unpublish;
mod upload_url;

pub use publish::{AssetSource, Publish, PublishHandle, PublishedAsset};
pub use status::AssetStatus;
pub use unpublish::{Unpublish, Unpublished};
pub use upload_url::{
    MAX_EXPIRY, MAX_OBJECT_SIZE, UploadKind, UploadPart, UploadUrl, UploadUrls, extension_for,
};

use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::apply::ApplyOptions;
use crate::aws::{Clients, Ctx, Mode};
use crate::error::Error;
use crate::plan::{OutputKey, StepId};
use crate::spec::model::VodPipeline;

/// A long-lived handle on one deployed pipeline's content. See the [module docs](self).
#[derive(Clone)]
pub struct VodClient {
    inner: Arc<Inner>,
}

struct Inner {
    pipeline: VodPipeline,
    clients: Clients,
    options: ApplyOptions,
    infra: OnceCell<Infra>,
}

/// What the publishing steps need from the deployed infrastructure.
#[derive(Debug, Clone)]
struct Infra {
    /// Outputs of the infrastructure steps (distribution, container), as recorded by a refresh.
    outputs: Vec<(StepId, Vec<(OutputKey, String)>)>,
    distribution_id: String,
    domain: String,
}

impl std::fmt::Debug for VodClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VodClient")
            .field("pipeline", &self.inner.pipeline.name().as_str())
            .finish_non_exhaustive()
    }
}

impl VodPipeline {
    /// A runtime client for this pipeline's content, with the default [`ApplyOptions`]. Build it once
    /// and keep it: it reuses its SDK clients, and looks the infrastructure up once.
    pub fn client(&self, config: &aws_config::SdkConfig) -> VodClient {
        VodClient::with_options(self, config, ApplyOptions::default())
    }
}

impl VodClient {
    /// A client with these options (polling, timeouts, concurrency, the `GetJob` rate bound).
    pub fn with_options(
        pipeline: &VodPipeline,
        config: &aws_config::SdkConfig,
        options: ApplyOptions,
    ) -> Self {
        let clients = Clients::with_options(config, pipeline.region().as_str(), &options);
        Self {
            inner: Arc::new(Inner {
                pipeline: pipeline.clone(),
                clients,
                options,
                infra: OnceCell::new(),
            }),
        }
    }

    /// The pipeline this client publishes to.
    pub fn pipeline(&self) -> &VodPipeline {
        &self.inner.pipeline
    }

    /// A context for one operation, events to `sink`.
    fn ctx(&self, sink: Box<dyn Fn(crate::Event) + Send + Sync>) -> Ctx {
        Ctx::new(
            self.inner.clients.clone(),
            self.inner.options.clone(),
            self.inner.pipeline.name().to_string(),
            sink,
        )
    }

    /// The deployed infrastructure, read once (a refresh of the infrastructure steps, no write).
    async fn infra(&self) -> Result<&Infra, Error> {
        self.inner
            .infra
            .get_or_try_init(|| async {
                let mut infra_only = self.inner.pipeline.clone();
                infra_only.assets.clear();
                let mut plan = infra_only.plan();
                // Reading the infrastructure; what left the spec is apply's business.
                plan.steps
                    .retain(|s| !matches!(s.id, StepId::OrphanedOutput | StepId::Unused));
                let ctx = self.ctx(Box::new(|_| {}));
                crate::apply::engine::run_forward(&plan, &ctx, Mode::Refresh).await?;
                let name = self.inner.pipeline.name().to_string();
                let not_deployed = |reason: &str| Error::NotDeployed {
                    pipeline: name.clone(),
                    reason: format!("{reason}; apply the infrastructure first (`vod apply`)"),
                };
                let distribution_id = ctx
                    .output(&StepId::Distribution, OutputKey::Id)
                    .ok_or_else(|| not_deployed("it has no distribution"))?;
                let domain = ctx
                    .output(&StepId::Distribution, OutputKey::DomainName)
                    .unwrap_or_default();
                let mut outputs = Vec::new();
                for id in [StepId::Distribution, StepId::Container] {
                    let values: Vec<(OutputKey, String)> = [
                        OutputKey::Id,
                        OutputKey::Arn,
                        OutputKey::DomainName,
                        OutputKey::Endpoint,
                        OutputKey::EndpointHost,
                    ]
                    .into_iter()
                    .filter_map(|k| ctx.output(&id, k).map(|v| (k, v)))
                    .collect();
                    outputs.push((id, values));
                }
                if matches!(
                    self.inner.pipeline.origin(),
                    crate::Origin::MediaStore { .. }
                ) && ctx
                    .output(&StepId::Container, OutputKey::Endpoint)
                    .is_none()
                {
                    return Err(not_deployed(
                        "its MediaStore container does not exist or is not active",
                    ));
                }
                Ok(Infra {
                    outputs,
                    distribution_id,
                    domain,
                })
            })
            .await
    }
}

/// The checked asset id for `field`, or the violation.
fn check_id(pipeline: &VodPipeline, field: &str, id: &str) -> Result<crate::types::AssetId, Error> {
    let violation = |rule: String| {
        Error::Invalid(crate::error::Violations(vec![crate::error::Violation {
            field: field.to_owned(),
            value: id.to_owned(),
            rule,
        }]))
    };
    let parsed: crate::types::AssetId = id
        .parse()
        .map_err(|e: crate::error::InvalidValue| violation(e.rule))?;
    if let crate::Origin::MediaStore { .. } = pipeline.origin()
        && let Err(rule) = crate::spec::validate::mediastore_folder_rule(id)
    {
        return Err(violation(format!(
            "with a MediaStore origin the asset id {rule}"
        )));
    }
    Ok(parsed)
}

/// `<output prefix><asset>/`, the folder of an asset's packaged output in the output bucket.
fn output_folder(pipeline: &VodPipeline, id: &str) -> String {
    format!("{}{id}/", pipeline.transcode().output_prefix)
}
