//! The pipeline description: the unvalidated inputs ([`input`]), the one validator
//! ([`validate`]), the TOML loader ([`file`]) and the validated model ([`model`]).
//!
//! Data flows one way: input -> validate -> model. This module holds the entry points that tie
//! them together ([`VodPipeline::builder`], [`VodPipeline::from_toml_file`], [`VodPipeline::plan`]).

pub(crate) mod file;
pub(crate) mod input;
pub(crate) mod model;
pub(crate) mod validate;

use std::path::Path;

use crate::error::Error;
use crate::plan::Plan;
use crate::types::*;
use input::{
    CloudFrontSpec, Input, LadderSpec, MediaStoreSpec, PipelineSpec, S3OriginSpec, SourceSpec,
    TranscodeSpec,
};
use model::VodPipeline;

#[bon::bon]
impl VodPipeline {
    /// Starts a pipeline. `name`, `region`, `source`, `transcode`, `abr_ladder` and `cloudfront` are
    /// required (the compiler checks); exactly one origin, [`mediastore`](VodPipelineBuilder::mediastore)
    /// or [`s3_origin`](VodPipelineBuilder::s3_origin) (recommended), is checked by `build()`.
    #[builder(finish_fn = build)]
    pub fn new(
        /// Pipeline name; every resource name, tag and idempotency token derives from it.
        #[builder(into)]
        name: Input<PipelineName>,
        /// AWS Region of the S3 buckets, MediaConvert and MediaStore (CloudFront is global).
        #[builder(into)]
        region: Input<Region>,
        /// Source bucket and files.
        source: SourceSpec,
        /// Transcoding settings.
        transcode: TranscodeSpec,
        /// The ABR ladder: a preset name, a list of renditions or an [`AbrLadder`].
        #[builder(into)]
        abr_ladder: LadderSpec,
        /// A MediaStore container as origin. **Deprecated by AWS** (discontinued 2025-11-13); prefer
        /// `s3_origin`.
        mediastore: Option<MediaStoreSpec>,
        /// A private S3 bucket as origin, through CloudFront origin access control (recommended).
        s3_origin: Option<S3OriginSpec>,
        /// The CloudFront distribution.
        cloudfront: CloudFrontSpec,
    ) -> Result<Self, Error> {
        let spec = PipelineSpec {
            name,
            region,
            source,
            transcode,
            abr_ladder,
            mediastore,
            s3_origin,
            cloudfront,
        };
        validate::validate(spec, None, Vec::new())
    }
}

impl VodPipeline {
    /// Loads and validates a TOML spec file. Relative file paths in it are resolved against the spec
    /// file's folder. Unknown keys are errors.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        file::load_file(path.as_ref())
    }

    /// Parses and validates a TOML spec given as text; relative file paths resolve against `base_dir`.
    pub fn from_toml_str(text: &str, base_dir: impl AsRef<Path>) -> Result<Self, Error> {
        file::load_str(text, base_dir.as_ref(), None)
    }

    /// Compiles the pipeline into a plan of AWS calls. Pure: no I/O.
    pub fn plan(&self) -> Plan {
        crate::plan::build(self)
    }
}
