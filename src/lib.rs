//! # vod-pipeline
//!
//! One typed description of an AWS on-demand video service, validated as a whole and compiled into a
//! reviewable plan of AWS API calls.
//!
//! The flow: mezzanine files are uploaded to an S3 source bucket; AWS Elemental MediaConvert
//! transcodes each into an adaptive-bitrate ladder (HLS, DASH, CMAF); an origin serves the packaged
//! output (a private S3 bucket read through CloudFront origin access control, which is recommended,
//! or an AWS Elemental MediaStore container, the classic design); a CloudFront distribution
//! delivers it to players.
//!
//! **MediaStore is deprecated**: AWS discontinued AWS Elemental MediaStore on 2025-11-13
//! (<https://docs.aws.amazon.com/mediastore/latest/ug/what-is-regions.html>). This crate still
//! supports it fully, because it is the design many existing services use, but new pipelines should use
//! [`VodPipelineBuilder::s3_origin`].
//!
//! ## Quickstart
//!
//! The builder version of the spec file `examples/specs/mediastore.toml` (without its sample file):
//!
//! ```
//! use vod_pipeline::{
//!     CloudFrontSpec, LadderPreset, MediaStoreSpec, OutputFormat, SourceSpec, TranscodeSpec, VodPipeline,
//! };
//!
//! # fn main() -> Result<(), vod_pipeline::Error> {
//! let pipeline = VodPipeline::builder()
//!     .name("seed-vod")
//!     .region("us-east-1")
//!     // `files` is optional: without it, apply deploys the infrastructure only, and a
//!     // service publishes assets at runtime with `VodClient`.
//!     .source(SourceSpec::builder().bucket("seed-vod-source").prefix("uploads/").build())
//!     .transcode(
//!         TranscodeSpec::builder()
//!             .role_arn("arn:aws:iam::123456789012:role/MediaConvert_Default_Role")
//!             .output_bucket("seed-vod-packaged")
//!             .output_prefix("packaged/")
//!             .formats([OutputFormat::Hls, OutputFormat::Dash])
//!             .segment_length("6s")
//!             .build(),
//!     )
//!     .abr_ladder(LadderPreset::AwsQvbr)
//!     .mediastore(MediaStoreSpec::builder().container("seed_vod").build())
//!     .cloudfront(
//!         CloudFrontSpec::builder()
//!             .comment("seed-vod on-demand video")
//!             .origin_path("/vod")
//!             .object_caching("customize")
//!             .min_ttl("0s")
//!             .default_ttl("1d")
//!             .max_ttl("365d")
//!             .error_caching_min_ttl("5s")
//!             .cors_allowed_origins(["https://player.example.com"])
//!             .origin_custom_headers([("X-Origin-Verify", "replace-with-a-secret")])
//!             .build(),
//!     )
//!     .build()?;
//!
//! let plan = pipeline.plan();
//! let dist = plan.step("cloudfront.distribution").expect("the plan has a distribution");
//! assert_eq!(dist.operation, "CreateDistributionWithTags");
//! // The secret never reaches the plan, its Display or its JSON.
//! assert!(!plan.to_json().contains("replace-with-a-secret"));
//! assert!(!plan.to_string().contains("replace-with-a-secret"));
//! println!("{plan}");
//! # Ok(())
//! # }
//! ```
//!
//! ## Applying it
//!
//! With `cargo add vod-pipeline aws-config futures` and `cargo add tokio --features
//! macros,rt-multi-thread`, the whole program that applies a spec and prints the playback URLs:
//!
//! ```no_run
//! use futures::StreamExt;
//! use vod_pipeline::VodPipeline;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let pipeline = VodPipeline::from_toml_file("examples/specs/s3-origin.toml")?;
//!     let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//!     let mut run = pipeline.plan().apply(&config).wait_for_deployment(true).start();
//!     let mut events = run.events(); // before `join`, which consumes the run
//!     let printer = tokio::spawn(async move {
//!         while let Some(event) = events.next().await {
//!             println!("{event}");
//!         }
//!     });
//!     let deployment = run.join().await?;
//!     printer.await?;
//!     for p in &deployment.playback {
//!         println!("{} {}: {}", p.asset, p.format, p.url);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! To run it against the local emulator instead of AWS, set `AWS_ENDPOINT_URL` to its address and any
//! credentials (`AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`): the emulator accepts all. In your
//! own tests, start `vod-emulator` in-process and give the SDK configuration its endpoint, credentials
//! and Region explicitly (the README shows how).
//!
//! **Secrets.** Origin custom header values are never printed, logged or serialized by this crate. The
//! AWS SDK redacts them as well unless its debugging switch `LOG_SENSITIVE_BODIES=true` is set: then it
//! logs CloudFront's response bodies, header values included, at `trace` level.
//!
//! The same pipeline loads from TOML with [`VodPipeline::from_toml_file`]; both paths run the same
//! validation, which reports every problem at once with its field path, value and rule.
//!
//! ## Modules
//! - [`types`]: the typed values (bucket names, TTLs, bitrates, …), each citing its AWS rule;
//! - [`VodPipeline`] and the builder inputs ([`SourceSpec`], [`TranscodeSpec`], …);
//! - [`plan`]: the plan of AWS calls, with `Display` and JSON;
//! - [`apply`]: applying, refreshing and destroying a plan (the infrastructure, and the spec's files);
//! - [`client`]: the runtime client a service keeps to publish assets one at a time ([`VodClient`]);
//! - [`sign`]: CloudFront signed URLs and signed cookies for private content ([`Signer`]);
//! - [`upload`]: fast, verified, resumable uploads of large files into S3 ([`Uploader`]);
//! - [`verify`]: playback verification through the distribution ([`Deployment::verify`]).

#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod apply;
mod aws;
pub mod client;
mod error;
mod names;
pub mod plan;
mod secret;
pub mod sign;
mod spec;
pub mod types;
pub mod upload;
pub mod verify;

#[cfg(test)]
mod drift_tests;

pub use apply::{
    ApplyOptions, Change, Deployment, Event, Handle, KeyGroupInfo, Orphan, OrphanKind, PlaybackUrl,
    PublicKeyInfo, Refresh,
};
pub use aws::check_endpoint;
pub use client::{AssetSource, AssetStatus, PublishHandle, PublishedAsset, Unpublished, VodClient};
pub use error::{AwsError, Error, ErrorCategory, InvalidValue, Violation, Violations};
pub use plan::{Plan, Step};
pub use secret::Secret;
pub use sign::{Policy, SignedCookies, Signer};
pub use spec::VodPipelineBuilder;
pub use spec::input::{
    AudioSpec, CaptionsSpec, CloudFrontSpec, Input, LadderSpec, MediaStoreSpec, ObjectCachingMode,
    PrivateContentSpec, RenditionSpec, S3OriginSpec, SourceSpec, ThumbnailsSpec, TranscodeSpec,
};
pub use spec::model::{
    Asset, CloudFront, Origin, OriginKind, PrivateContent, PublicKey, Source, Transcode,
    VodPipeline,
};
pub use types::{AbrLadder, AssetId, LadderPreset, OutputFormat, VideoCodec};
pub use upload::{PartSize, UploadJob, UploadReport, Uploader};
pub use verify::{Check, CheckKind, Outcome, VerifyReport};

/// Compiles the README's examples as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
