//! What the builder and the spec file take: typed values, or text that `build()` parses.
//!
//! Every setter accepts either the typed value ([`BucketName`], [`Ttl`], [`PriceClass`], …) or its
//! text form (`"seed-vod-source"`, `"1d"`, `"PriceClass_100"`), so that a pipeline can be written
//! naturally and still be checked as a whole: [`VodPipeline::builder`](crate::VodPipeline::builder)'s
//! `build()` parses every text value and reports every problem at once, with its field path.

use std::path::PathBuf;
use std::str::FromStr;

use crate::error::InvalidValue;
use crate::secret::Secret;
use crate::types::*;

/// A value given to a builder: already typed, or text that validation will parse.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<T> {
    /// A typed value, valid by construction.
    Value(T),
    /// Text to parse with the type's `FromStr`.
    Text(String),
}

impl<T: FromStr<Err = InvalidValue>> Input<T> {
    /// The typed value, parsing text if needed.
    pub fn resolve(self) -> Result<T, InvalidValue> {
        match self {
            Input::Value(v) => Ok(v),
            Input::Text(s) => s.parse(),
        }
    }
}

macro_rules! input_from {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for Input<$ty> {
            fn from(v: $ty) -> Self { Input::Value(v) }
        }
        impl From<&str> for Input<$ty> {
            fn from(s: &str) -> Self { Input::Text(s.to_owned()) }
        }
        impl From<String> for Input<$ty> {
            fn from(s: String) -> Self { Input::Text(s) }
        }
        impl From<&String> for Input<$ty> {
            fn from(s: &String) -> Self { Input::Text(s.clone()) }
        }
    )+};
}

input_from!(
    PipelineName,
    Region,
    BucketName,
    KeyPrefix,
    RoleArn,
    ContainerName,
    OutputFormat,
    SegmentLength,
    Seconds,
    OriginPath,
    Ttl,
    CorsOrigin,
    CacheSettings,
    PriceClass,
    ViewerProtocolPolicy,
    HttpVersion,
    Alias,
    AcmCertificateArn,
    ObjectCachingMode,
    Protect,
    Bitrate,
    HeaderName,
    VideoCodec,
    AacCodingMode,
    CaptionFormat,
    LanguageCode,
    Acceleration,
    StatusUpdateInterval,
    QueueName,
    JobTemplateName,
);

/// The console's "Object Caching" choice, without the TTLs (see [`ObjectCaching`] for the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectCachingMode {
    /// Follow the origin's `Cache-Control` headers (TTLs 0 / 1 day / 1 year).
    OriginCacheHeaders,
    /// Use `min_ttl`, `default_ttl` and `max_ttl`.
    Customize,
}
crate::types::text_enum!(
    ObjectCachingMode,
    "object caching modes",
    [
        (OriginCacheHeaders, "origin-cache-headers"),
        (Customize, "customize")
    ]
);

fn collect<T, I>(items: impl IntoIterator<Item = I>) -> Vec<Input<T>>
where
    I: Into<Input<T>>,
{
    items.into_iter().map(Into::into).collect()
}

/// Where the mezzanine files are uploaded, and which files.
#[derive(Debug, Clone, bon::Builder)]
pub struct SourceSpec {
    /// The S3 bucket for source files; created when missing.
    #[builder(into)]
    pub bucket: Input<BucketName>,
    /// Key prefix for the uploads, such as `uploads/` (default: none).
    #[builder(into)]
    pub prefix: Option<Input<KeyPrefix>>,
    /// Local files to upload and transcode, one asset each. Relative paths are relative to the current
    /// directory (for a spec file: to the spec file). Optional: without files, apply deploys the
    /// infrastructure only.
    #[builder(default, with = |files: impl IntoIterator<Item = impl Into<PathBuf>>| files.into_iter().map(Into::into).collect())]
    pub files: Vec<PathBuf>,
}

/// How MediaConvert transcodes each asset (the ladder itself is set on the pipeline builder).
#[derive(Debug, Clone, bon::Builder)]
pub struct TranscodeSpec {
    /// The IAM role MediaConvert assumes (it must read the source bucket and write the output bucket).
    #[builder(into)]
    pub role_arn: Input<RoleArn>,
    /// The S3 bucket MediaConvert writes to. Required with a MediaStore origin (MediaConvert writes only
    /// to S3; the output is then copied into the container). With an S3 origin it is the origin bucket
    /// and may be left out.
    #[builder(into)]
    pub output_bucket: Option<Input<BucketName>>,
    /// Key prefix of the packaged output (MediaStore origin only; with an S3 origin the output goes
    /// under the origin path).
    #[builder(into)]
    pub output_prefix: Option<Input<KeyPrefix>>,
    /// Packaging formats (default: HLS and DASH).
    #[builder(default, with = |formats: impl IntoIterator<Item = impl Into<Input<OutputFormat>>>| collect(formats))]
    pub formats: Vec<Input<OutputFormat>>,
    /// Segment length in whole seconds (default 6 s).
    #[builder(into)]
    pub segment_length: Option<Input<SegmentLength>>,
    /// GOP (keyframe interval) length in whole seconds; the segment length must be a multiple of it
    /// (default: 2 s when the segment length is even, else 1 s).
    #[builder(into)]
    pub gop_length: Option<Input<Seconds>>,
    /// Per-format segment lengths that override `segment_length`, such as `[("dash", "4s")]`; each
    /// must be a multiple of the GOP length (and of the fragment length).
    #[builder(default, with = |m: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>| {
        m.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    })]
    pub segment_lengths: Vec<(String, String)>,
    /// Fragment length of `dash`, `cmaf` and `hls-fmp4` segments, in whole seconds: a multiple of the
    /// GOP length that divides the segment length (default: the GOP length).
    #[builder(into)]
    pub fragment_length: Option<Input<Seconds>>,
    /// AAC audio renditions (default: one, 96 kb/s stereo at 48 kHz).
    #[builder(default, with = |audio: impl IntoIterator<Item = AudioSpec>| audio.into_iter().collect())]
    pub audio: Vec<AudioSpec>,
    /// HLS: also list an audio-only variant stream in the master playlist (default false).
    pub hls_audio_only: Option<bool>,
    /// Sidecar captions beside each source file (default: none).
    pub captions: Option<CaptionsSpec>,
    /// Frame-capture thumbnails (default: none).
    pub thumbnails: Option<ThumbnailsSpec>,
    /// MediaConvert queue, by name or ARN (default: the account's `Default` queue).
    #[builder(into)]
    pub queue: Option<Input<QueueName>>,
    /// Job priority, -50 to 50 (default 0).
    pub priority: Option<i64>,
    /// Accelerated transcoding: `DISABLED` (default), `PREFERRED` or `ENABLED`.
    #[builder(into)]
    pub acceleration: Option<Input<Acceleration>>,
    /// Status update interval, such as `SECONDS_60` (the default).
    #[builder(into)]
    pub status_update_interval: Option<Input<StatusUpdateInterval>>,
    /// User metadata added to every job.
    #[builder(default, with = |m: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>| {
        m.into_iter().map(|(k, v)| (k.into(), v.into())).collect()
    })]
    pub user_metadata: Vec<(String, String)>,
    /// An existing job template, by name or ARN, whose output groups the jobs use instead of the
    /// inline ones (default: none).
    #[builder(into)]
    pub job_template: Option<Input<JobTemplateName>>,
}

/// One AAC audio rendition, as given.
#[derive(Debug, Clone, PartialEq, bon::Builder)]
pub struct AudioSpec {
    /// Bitrate, such as `"96k"`.
    #[builder(into)]
    pub bitrate: Input<Bitrate>,
    /// `CODING_MODE_1_0` or `CODING_MODE_2_0` (default).
    #[builder(into)]
    pub coding_mode: Option<Input<AacCodingMode>>,
    /// Sample rate in Hz: 32000, 44100 or 48000 (default).
    pub sample_rate: Option<i64>,
}

/// Sidecar captions, as given: every source file `<dir>/<asset>.<ext>` has its captions in
/// `<dir>/<asset>.srt` (or `.vtt`).
#[derive(Debug, Clone, Default, PartialEq, bon::Builder)]
pub struct CaptionsSpec {
    /// `srt` (default) or `webvtt`.
    #[builder(into)]
    pub format: Option<Input<CaptionFormat>>,
    /// ISO 639-2 language code (default `ENG`).
    #[builder(into)]
    pub language: Option<Input<LanguageCode>>,
}

/// Frame-capture thumbnails, as given.
#[derive(Debug, Clone, Default, PartialEq, bon::Builder)]
pub struct ThumbnailsSpec {
    /// Seconds between captures (default 10 s).
    #[builder(into)]
    pub interval: Option<Input<Seconds>>,
    /// Width in pixels (default 320).
    pub width: Option<i64>,
    /// Height in pixels (default 180).
    pub height: Option<i64>,
    /// JPEG quality 1–100 (default 80).
    pub quality: Option<i64>,
    /// The most images per asset (default: no limit).
    pub max_captures: Option<i64>,
}

/// One rendition of a custom ladder, as given.
#[derive(Debug, Clone, PartialEq, bon::Builder)]
pub struct RenditionSpec {
    /// Width in pixels.
    pub width: i64,
    /// Height in pixels.
    pub height: i64,
    /// Maximum bitrate, such as `"3000k"`.
    #[builder(into)]
    pub max_bitrate: Input<Bitrate>,
    /// QVBR quality level 1–10 (default: MediaConvert chooses).
    pub qvbr_quality_level: Option<i64>,
    /// `h264` (default) or `h265`.
    #[builder(into)]
    pub codec: Option<Input<VideoCodec>>,
}

/// The ladder, as given: a preset name, a list of renditions, or a ready [`AbrLadder`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LadderSpec {
    /// A preset by name: `aws-qvbr`, `apple-hls`, `aws-vod-1080p`.
    Preset(String),
    /// A custom list of renditions.
    Renditions(Vec<RenditionSpec>),
    /// A ladder built already.
    Ladder(AbrLadder),
}

impl From<&str> for LadderSpec {
    fn from(s: &str) -> Self {
        LadderSpec::Preset(s.to_owned())
    }
}
impl From<LadderPreset> for LadderSpec {
    fn from(p: LadderPreset) -> Self {
        LadderSpec::Ladder(AbrLadder::preset(p))
    }
}
impl From<AbrLadder> for LadderSpec {
    fn from(l: AbrLadder) -> Self {
        LadderSpec::Ladder(l)
    }
}
impl From<Vec<RenditionSpec>> for LadderSpec {
    fn from(r: Vec<RenditionSpec>) -> Self {
        LadderSpec::Renditions(r)
    }
}

/// A MediaStore container as the origin.
///
/// **Deprecated by AWS:** MediaStore was discontinued on 2025-11-13. This crate still supports it
/// fully, but new pipelines should use [`S3OriginSpec`].
#[derive(Debug, Clone, bon::Builder)]
pub struct MediaStoreSpec {
    /// The container name; created when missing.
    #[builder(into)]
    pub container: Input<ContainerName>,
}

/// A private S3 bucket as the origin, read by CloudFront through origin access control (recommended).
#[derive(Debug, Clone, bon::Builder)]
pub struct S3OriginSpec {
    /// The origin bucket. MediaConvert writes the packaged output into it, under the origin path.
    #[builder(into)]
    pub bucket: Input<BucketName>,
}

/// The CloudFront distribution, as given.
#[derive(Debug, Clone, Default, bon::Builder)]
pub struct CloudFrontSpec {
    /// Distribution comment, at most 128 characters (default: `"<name> on-demand video"`).
    #[builder(into)]
    pub comment: Option<String>,
    /// Origin path, such as `/vod` (default: none).
    #[builder(into)]
    pub origin_path: Option<Input<OriginPath>>,
    /// Origin custom headers, name and secret value.
    #[builder(default, with = |headers: impl IntoIterator<Item = (impl Into<String>, impl Into<Secret>)>| {
        headers.into_iter().map(|(n, v)| (n.into(), v.into())).collect()
    })]
    pub origin_custom_headers: Vec<(String, Secret)>,
    /// `origin-cache-headers` or `customize` (default: `customize` when a TTL is given, else
    /// `origin-cache-headers`).
    #[builder(into)]
    pub object_caching: Option<Input<ObjectCachingMode>>,
    /// Minimum TTL (default 0 s).
    #[builder(into)]
    pub min_ttl: Option<Input<Ttl>>,
    /// Default TTL (default 1 d).
    #[builder(into)]
    pub default_ttl: Option<Input<Ttl>>,
    /// Maximum TTL (default 365 d).
    #[builder(into)]
    pub max_ttl: Option<Input<Ttl>>,
    /// Error caching minimum TTL (default 5 s; the plan warns above 5 s).
    #[builder(into)]
    pub error_caching_min_ttl: Option<Input<Ttl>>,
    /// Origins allowed to fetch the video from a browser.
    #[builder(default, with = |origins: impl IntoIterator<Item = impl Into<Input<CorsOrigin>>>| collect(origins))]
    pub cors_allowed_origins: Vec<Input<CorsOrigin>>,
    /// `policies` (default) or `legacy`.
    #[builder(into)]
    pub cache_settings: Option<Input<CacheSettings>>,
    /// Price class (default `PriceClass_All`).
    #[builder(into)]
    pub price_class: Option<Input<PriceClass>>,
    /// Viewer protocol policy (default `redirect-to-https`).
    #[builder(into)]
    pub viewer_protocol_policy: Option<Input<ViewerProtocolPolicy>>,
    /// HTTP version (default `http2`).
    #[builder(into)]
    pub http_version: Option<Input<HttpVersion>>,
    /// Alternate domain names; they need `acm_certificate_arn`.
    #[builder(default, with = |aliases: impl IntoIterator<Item = impl Into<Input<Alias>>>| collect(aliases))]
    pub aliases: Vec<Input<Alias>>,
    /// ACM certificate (in us-east-1) for the alternate domain names.
    #[builder(into)]
    pub acm_certificate_arn: Option<Input<AcmCertificateArn>>,
    /// Whether the distribution serves requests (default true).
    pub enabled: Option<bool>,
    /// Private content: the public keys of the distribution's trusted key group, and which paths
    /// need a signed URL or signed cookies (default: none, every path is public).
    pub private_content: Option<PrivateContentSpec>,
}

/// Private content, as given: `[cloudfront.private_content]`.
///
/// ```toml
/// [cloudfront.private_content]
/// public_keys = ["keys/vod-2026-12.pub.pem"]   # PEM files, relative to the spec
/// protect = "all"                               # or "media": manifests and segments only
/// ```
#[derive(Debug, Clone, Default, bon::Builder)]
pub struct PrivateContentSpec {
    /// PEM public key files (RSA 2048 or ECDSA P-256), at most 5 (CloudFront's quota of keys per
    /// key group). To rotate, add the new key, deploy, sign with it, then remove the old one.
    #[builder(default, with = |paths: impl IntoIterator<Item = impl Into<std::path::PathBuf>>| paths.into_iter().map(Into::into).collect())]
    pub public_keys: Vec<std::path::PathBuf>,
    /// `all` (default) or `media`.
    #[builder(into)]
    pub protect: Option<Input<Protect>>,
}

/// A whole pipeline as given, before validation. The builder and the spec loader both produce one.
#[derive(Debug, Clone)]
pub(crate) struct PipelineSpec {
    pub name: Input<PipelineName>,
    pub region: Input<Region>,
    pub source: SourceSpec,
    pub transcode: TranscodeSpec,
    pub abr_ladder: LadderSpec,
    pub mediastore: Option<MediaStoreSpec>,
    pub s3_origin: Option<S3OriginSpec>,
    pub cloudfront: CloudFrontSpec,
}
