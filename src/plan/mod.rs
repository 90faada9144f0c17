//! The plan: the AWS calls that create a pipeline, as a dependency graph of pure data.
//!
//! [`VodPipeline::plan`](crate::VodPipeline::plan) compiles a pipeline into a [`Plan`] without any I/O.
//! Each [`Step`] names the AWS service and API operation, the resource it acts on, its key parameters
//! (secrets redacted) and the steps it depends on. Steps are named by a typed [`StepId`]. A value that
//! only exists once an earlier step has run, such as a distribution's ARN, is a
//! [`Deferred::Output`] naming that step and an [`OutputKey`]; the executor reads it from the
//! finished step, and the step lists that earlier step in `depends_on`. In the JSON and `Display`
//! forms such a value reads `${<step id>.<output>}`.
//!
//! The JSON form ([`Plan::to_json`]) is stable: a top-level object with `pipeline`, `region`,
//! `origin`, `steps` (objects with `id`, `service`, `operation`, `resource`, `params`, `depends_on`),
//! `playback` and `warnings`. [`Plan`]'s `Display` renders it for people, like `terraform plan`.

mod build;
mod cloudfront_params;
pub(crate) mod id;
mod job;
mod params;
pub(crate) mod publish;
mod render;

pub use cloudfront_params::*;
pub use id::{BucketRole, Deferred, OutputKey, StepId};
pub use params::*;

#[cfg(test)]
pub(crate) use build::managed;
pub(crate) use build::{asset_playback_paths, build};
pub(crate) use job::published_index;

use serde::Serialize;

use crate::spec::model::OriginKind;
use crate::types::{ManifestKind, OutputFormat};

/// A reviewable plan of AWS calls.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// The pipeline name.
    pub pipeline: String,
    /// The AWS Region (CloudFront is global).
    pub region: String,
    /// `mediastore` or `s3`.
    pub origin: OriginKind,
    /// The steps, in an order that respects their dependencies.
    pub steps: Vec<Step>,
    /// For each asset and format, the path a player requests from the distribution.
    pub playback: Vec<PlaybackPath>,
    /// Things worth a second look that are not errors.
    pub warnings: Vec<String>,
}

/// One AWS call (or, for uploads and copies, one batch of calls of the same operation).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Step {
    /// A stable id, written such as `cloudfront.distribution` or `s3.upload.sample`.
    pub id: StepId,
    /// The AWS service, as in IAM action prefixes: `s3`, `mediaconvert`, `mediastore`, `cloudfront`.
    pub service: Service,
    /// The API operation, such as `CreateDistribution`.
    pub operation: String,
    /// The resource acted on: a bucket, a key, a container, a policy or distribution name.
    pub resource: String,
    /// The key parameters of the call.
    pub params: Params,
    /// Ids of the steps that must finish first.
    pub depends_on: Vec<StepId>,
}

impl Step {
    /// `service:Operation`, as IAM writes actions.
    pub fn action(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// An AWS service the plan calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Service {
    /// Amazon S3.
    S3,
    /// AWS Elemental MediaConvert.
    Mediaconvert,
    /// AWS Elemental MediaStore control plane.
    Mediastore,
    /// AWS Elemental MediaStore data plane (objects in a container).
    MediastoreData,
    /// Amazon CloudFront.
    Cloudfront,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::S3 => "s3",
            Service::Mediaconvert => "mediaconvert",
            Service::Mediastore => "mediastore",
            Service::MediastoreData => "mediastore-data",
            Service::Cloudfront => "cloudfront",
        })
    }
}

/// Where a player finds one asset in one format, relative to the distribution's domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PlaybackPath {
    /// The asset id.
    pub asset: String,
    /// The output format, such as `hls` or `dash`.
    pub format: OutputFormat,
    /// The manifest kind: `m3u8`, `mpd` (or `mp4` for a progressive file).
    pub manifest: ManifestKind,
    /// The URL path, starting with `/`, such as `/sample/hls/sample.m3u8`.
    pub path: String,
}

impl Plan {
    /// The plan as pretty-printed JSON. Secrets are redacted.
    pub fn to_json(&self) -> String {
        // Serializing plain data structures with string keys cannot fail.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }

    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The longest chain of dependent steps, in steps: the calls that cannot overlap.
    pub fn critical_path_len(&self) -> usize {
        let mut depth: std::collections::HashMap<&StepId, usize> = std::collections::HashMap::new();
        for s in &self.steps {
            let d = 1 + s
                .depends_on
                .iter()
                .filter_map(|d| depth.get(d))
                .max()
                .copied()
                .unwrap_or(0);
            depth.insert(&s.id, d);
        }
        depth.values().copied().max().unwrap_or(0)
    }
}
