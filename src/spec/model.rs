//! The validated pipeline model: [`VodPipeline`] and its parts. A leaf: the entry points that build,
//! load and plan a pipeline live in the parent module.

use std::path::PathBuf;

use crate::types::*;

/// A validated description of an on-demand video service.
///
/// Built with [`VodPipeline::builder`] or loaded from a TOML spec with [`VodPipeline::from_toml_file`];
/// both run the same validation, which reports every problem at once ([`Error::Invalid`](crate::Error::Invalid)). A value of
/// this type is always valid; [`VodPipeline::plan`] turns it into the AWS calls that create it.
///
/// ```
/// use vod_pipeline::{VodPipeline, SourceSpec, TranscodeSpec, S3OriginSpec, CloudFrontSpec};
///
/// let err = VodPipeline::builder()
///     .name("Bad Name")
///     .region("us-east-1")
///     .source(SourceSpec::builder().bucket("UPPER").files(["missing.mp4"]).build())
///     .transcode(TranscodeSpec::builder().role_arn("arn:aws:iam::123456789012:role/r").build())
///     .abr_ladder("aws-qvbr")
///     .s3_origin(S3OriginSpec::builder().bucket("my-origin").build())
///     .cloudfront(CloudFrontSpec::builder().min_ttl("2d").default_ttl("1d").build())
///     .build()
///     .unwrap_err();
/// let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
/// assert_eq!(fields, ["name", "source.bucket", "source.files[0]", "cloudfront.min_ttl"]);
/// ```
#[derive(Debug, Clone)]
pub struct VodPipeline {
    pub(crate) name: PipelineName,
    pub(crate) region: Region,
    pub(crate) source: Source,
    pub(crate) transcode: Transcode,
    pub(crate) origin: Origin,
    pub(crate) cloudfront: CloudFront,
    pub(crate) assets: Vec<Asset>,
}

impl VodPipeline {
    /// Whether the packaged output is copied from the output bucket into the origin: always with
    /// MediaStore (MediaConvert writes only to S3), and with an S3 origin whose output bucket is
    /// another bucket (a pipeline moved off MediaStore keeps its output bucket).
    pub(crate) fn copies_into_origin(&self) -> bool {
        match &self.origin {
            Origin::MediaStore { .. } => true,
            Origin::S3 { bucket } => *bucket != self.transcode.output_bucket,
        }
    }

    /// The pipeline name.
    pub fn name(&self) -> &PipelineName {
        &self.name
    }
    /// The AWS Region.
    pub fn region(&self) -> &Region {
        &self.region
    }
    /// Source bucket and files.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// Transcoding settings, with the ladder.
    pub fn transcode(&self) -> &Transcode {
        &self.transcode
    }
    /// The origin.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }
    /// CloudFront settings.
    pub fn cloudfront(&self) -> &CloudFront {
        &self.cloudfront
    }
    /// One asset per source file, in the order given.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }
}

/// The source bucket and files.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Source {
    /// Bucket the files are uploaded to.
    pub bucket: BucketName,
    /// Key prefix of the uploads.
    pub prefix: KeyPrefix,
}

/// One source file and where everything derived from it goes.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Asset {
    /// The asset id: the file's name without extension. Output folders and playback URLs use it.
    pub id: String,
    /// The local file.
    pub file: PathBuf,
    /// Its key in the source bucket: source prefix + file name.
    pub source_key: String,
    /// The bucket of the source object when it is not the pipeline's source bucket (an asset
    /// published from an object already in S3); `None` for the source bucket.
    pub source_bucket: Option<BucketName>,
    /// The sidecar caption file beside the source file (`<asset>.srt` or `<asset>.vtt`), when
    /// captions are on.
    pub caption_file: Option<PathBuf>,
    /// The sidecar's key in the source bucket: source prefix + its file name.
    pub caption_key: Option<String>,
}

/// Validated transcoding settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Transcode {
    /// Role MediaConvert assumes.
    pub role_arn: RoleArn,
    /// Bucket MediaConvert writes to.
    pub output_bucket: BucketName,
    /// Key prefix of all packaged output (with an S3 origin: the origin path as a prefix).
    pub output_prefix: KeyPrefix,
    /// Formats, in the order given, without duplicates.
    pub formats: Vec<OutputFormat>,
    /// Segment length.
    pub segment_length: SegmentLength,
    /// GOP length; divides the segment length.
    pub gop_length: Seconds,
    /// Per-format segment lengths overriding `segment_length`.
    pub segment_lengths: std::collections::BTreeMap<OutputFormat, SegmentLength>,
    /// Fragment length of DASH, CMAF and HLS fMP4 segments: a multiple of the GOP length that divides
    /// the segment length.
    pub fragment_length: Seconds,
    /// The ladder.
    pub abr_ladder: AbrLadder,
    /// AAC audio renditions, at least one, highest bitrate first.
    pub audio: Vec<AudioRendition>,
    /// HLS: add an audio-only variant stream to the master playlist.
    pub hls_audio_only: bool,
    /// Sidecar captions, passed through to WebVTT.
    pub captions: Option<Captions>,
    /// Frame-capture thumbnails.
    pub thumbnails: Option<Thumbnails>,
    /// Queue, priority, acceleration, status updates, user metadata, job template.
    pub job: JobOptions,
}

/// Where CloudFront reads the packaged video from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Origin {
    /// A MediaStore container. **Deprecated by AWS**: MediaStore was discontinued on 2025-11-13.
    MediaStore {
        /// The container.
        container: ContainerName,
    },
    /// A private S3 bucket read through origin access control (recommended).
    S3 {
        /// The bucket.
        bucket: BucketName,
    },
}

impl Transcode {
    /// The segment length of a format: its override, or `segment_length`.
    pub fn segment_length_of(&self, format: OutputFormat) -> SegmentLength {
        self.segment_lengths
            .get(&format)
            .copied()
            .unwrap_or(self.segment_length)
    }
}

impl Origin {
    /// Which kind of origin: also the origin access control's origin type.
    pub fn kind(&self) -> OriginKind {
        match self {
            Origin::MediaStore { .. } => OriginKind::MediaStore,
            Origin::S3 { .. } => OriginKind::S3,
        }
    }
}

/// The kind of an [`Origin`]; written `mediastore` or `s3`, as CloudFront names origin access
/// control origin types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OriginKind {
    /// An AWS Elemental MediaStore container (deprecated by AWS).
    MediaStore,
    /// An S3 bucket read through origin access control (recommended).
    S3,
}

impl OriginKind {
    /// The other origin type: what a pipeline moving origins leaves.
    pub(crate) fn other(self) -> OriginKind {
        match self {
            OriginKind::S3 => OriginKind::MediaStore,
            OriginKind::MediaStore => OriginKind::S3,
        }
    }

    /// `mediastore` or `s3`.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::MediaStore => "mediastore",
            OriginKind::S3 => "s3",
        }
    }
}

impl std::fmt::Display for OriginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Validated CloudFront settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CloudFront {
    /// Distribution comment.
    pub comment: String,
    /// Origin path.
    pub origin_path: OriginPath,
    /// Origin custom headers (values are secrets).
    pub custom_headers: Vec<CustomHeader>,
    /// Object caching and its TTLs.
    pub object_caching: ObjectCaching,
    /// Error caching minimum TTL.
    pub error_caching_min_ttl: Ttl,
    /// CORS allowed origins (empty: no CORS headers).
    pub cors_allowed_origins: Vec<CorsOrigin>,
    /// Policies or legacy cache settings.
    pub cache_settings: CacheSettings,
    /// Price class.
    pub price_class: PriceClass,
    /// Viewer protocol policy.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// HTTP version.
    pub http_version: HttpVersion,
    /// Alternate domain names.
    pub aliases: Vec<Alias>,
    /// Certificate for the aliases.
    pub acm_certificate_arn: Option<AcmCertificateArn>,
    /// Whether the distribution is enabled.
    pub enabled: bool,
    /// Private content: the trusted key group and what it protects (none: public).
    pub private_content: Option<PrivateContent>,
}

/// Private content: the distribution's cache behaviors trust a key group made of these public keys,
/// and serve only requests with a valid signed URL or signed cookies
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html>).
/// Sign with [`crate::sign::Signer`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PrivateContent {
    /// The key group's public keys, in the spec's order.
    pub public_keys: Vec<PublicKey>,
    /// Every path, or manifests and segments only.
    pub protect: crate::types::Protect,
}

/// One public key of the key group. The private key is never part of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicKey {
    /// The name CloudFront knows it by: `<pipeline>-key-<16 hex digits of the key>`, the same for
    /// the same key, so that adding a key keeps the others.
    pub name: String,
    /// The PEM file it was read from.
    pub path: std::path::PathBuf,
    /// The key, checked: RSA 2048 or ECDSA P-256.
    pub pem: crate::sign::PublicKeyPem,
}
