//! The parameters of each kind of step (the CloudFront ones in `cloudfront_params`). Pure data;
//! secrets (origin custom header values, in [`CustomHeaderParams`]) serialize redacted.

use std::collections::BTreeMap;

use serde::Serialize;

use super::cloudfront_params::*;
use super::id::{BucketRole, Deferred, StepId};
use crate::spec::model::OriginKind;
use crate::types::*;

/// The parameters of a step, one variant per kind of call. Serialized without a tag: the JSON
/// `params` object holds the variant's fields.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Params {
    /// `s3:CreateBucket` (only when the bucket is missing).
    Bucket(BucketParams),
    /// `s3:PutObject`: upload one source file (multipart for large files).
    Upload(UploadParams),
    /// `s3:PutBucketCors` on the origin bucket.
    BucketCors(BucketCorsParams),
    /// `s3:PutBucketPolicy` / `mediastore:PutContainerPolicy`.
    Policy(PolicyParams),
    /// `mediaconvert:CreateJob`.
    Job(Box<JobParams>),
    /// `mediastore:CreateContainer`.
    Container(ContainerParams),
    /// `mediastore:PutCorsPolicy`.
    ContainerCors(ContainerCorsParams),
    /// `mediastore-data:PutObject`: copy one asset's packaged output into the container.
    Copy(CopyParams),
    /// `cloudfront:CreateOriginAccessControl`.
    OriginAccessControl(OacParams),
    /// `cloudfront:CreateCachePolicy`.
    CachePolicy(CachePolicyParams),
    /// `cloudfront:CreateResponseHeadersPolicy`.
    ResponseHeadersPolicy(ResponseHeadersPolicyParams),
    /// `cloudfront:CreatePublicKey`: one public key of the trusted key group (private content).
    PublicKey(PublicKeyParams),
    /// `cloudfront:CreateKeyGroup`: the trusted key group (private content).
    KeyGroup(KeyGroupParams),
    /// `cloudfront:CreateDistributionWithTags`.
    Distribution(Box<DistributionParams>),
    /// `cloudfront:CreateInvalidation`, only when assets were republished to an existing distribution.
    Invalidation(InvalidationParams),
    /// `s3:CopyObject`: copy one asset's packaged output into the origin bucket.
    OriginCopy(OriginCopyParams),
    /// `cloudfront:DeleteOriginAccessControl` (and `mediastore:DeleteContainer`): the origin the
    /// distribution left.
    Unused(UnusedParams),
    /// `cloudfront:ListDistributions`: find the distribution an earlier apply made (read only).
    ExistingDistribution(ExistingDistributionParams),
    /// `s3:DeleteObjects` (and `mediastore-data:DeleteObject`): the packaged output of assets and
    /// formats that left the spec, then an invalidation of their paths.
    OrphanedOutput(OrphanedOutputParams),
}

/// Copy one asset's packaged output from the output bucket into the origin bucket.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OriginCopyParams {
    /// Asset id.
    pub asset: String,
    /// `s3://<output bucket>/<output prefix><asset>/`: everything under it is copied.
    pub from: String,
    /// The origin bucket.
    pub bucket: BucketName,
    /// The asset's folder in the origin bucket (origin path + asset + `/`).
    pub to_prefix: String,
    /// Where the copy records the asset as published once it is in the origin.
    pub published_index: String,
}

/// Delete what the distribution no longer uses: the cache policy, response headers policy and key
/// group it used before this apply and the plan does not use, when this
/// crate made them and no other distribution uses them; the public keys this crate made for the
/// pipeline that the spec no longer lists; and, once it is deployed on a new origin,
/// the origin access control of the other origin type (found by its name) and, with an S3 origin,
/// the containers tagged with the pipeline (what the pipeline copied into them first; a container
/// that holds anything else is kept and reported).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct UnusedParams {
    /// The origin type the pipeline uses now.
    pub origin: OriginKind,
    /// The name of the origin access control of the other origin type.
    pub other_oac: String,
    /// The ids of the AWS-managed policies the distribution uses (never deleted).
    pub managed_policies: Vec<String>,
    /// The names of the spec's public keys (any other public key this crate made for the pipeline
    /// is an orphan).
    pub public_keys: Vec<String>,
    /// The distribution, which must be `Deployed` before its old origin goes.
    pub distribution_id: Deferred<String>,
    /// Where MediaConvert writes, `s3://<output bucket>/<output prefix>`: the record of the origin
    /// bucket the output is copied into lives there (`.vod-pipeline/copies-origin`).
    pub output: String,
    /// The origin bucket the output is copied into now (an S3 origin with its own output bucket).
    /// The pipeline's copies in a recorded bucket other than this one are orphans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copies_bucket: Option<BucketName>,
}

/// Find the distribution an earlier apply made, by its comment and the pipeline's tag.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ExistingDistributionParams {
    /// The distribution's comment.
    pub comment: String,
}

/// Find and delete the packaged output the spec no longer produces.
///
/// An asset folder is the pipeline's to delete only when an apply recorded the asset as coming from
/// the spec (`<output>.vod-pipeline/spec-assets/<asset>`, written by this step for every asset of
/// the spec): assets published at runtime with [`VodClient`](crate::VodClient) are never touched,
/// nor is anything else in the buckets. A format folder of an asset of the spec is an orphan when
/// the format left `transcode.formats`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OrphanedOutputParams {
    /// Where MediaConvert writes, `s3://<output bucket>/<output prefix>`.
    pub output: String,
    /// Where the origin serves the output from, when it is not [`Self::output`] (a container, or an
    /// origin bucket the output is copied into).
    pub origin: Option<OriginLocation>,
    /// The assets of the spec.
    pub assets: Vec<String>,
    /// The folders an asset of the spec has: its formats (and `thumbnails`). `None` with a job
    /// template, whose output groups decide the folders: then no format folder is an orphan.
    pub folders: Option<Vec<String>>,
    /// The distribution, to invalidate the deleted paths.
    pub distribution_id: Deferred<String>,
}

/// Where an origin keeps copies of the packaged output.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OriginLocation {
    /// The origin bucket, when the output is copied into it.
    S3 {
        /// The origin bucket.
        bucket: BucketName,
        /// The folder holding the assets (the origin path), empty or ending with `/`.
        prefix: String,
    },
    /// A MediaStore container's folder.
    Mediastore {
        /// Container.
        container: ContainerName,
        /// The folder holding the assets (the origin path), no leading slash, empty or ending with `/`.
        prefix: String,
        /// The container's data endpoint.
        endpoint: Deferred<String>,
    },
}

/// Invalidate the paths of republished assets.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InvalidationParams {
    /// The distribution's id.
    pub distribution_id: Deferred<String>,
    /// For each asset, the step that republishes it (its job, or its copy into the container) and the
    /// path pattern to invalidate when that step changed anything.
    pub assets: Vec<InvalidationAsset>,
}

/// One asset of an invalidation.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InvalidationAsset {
    /// The step whose change means the asset was republished.
    pub step: StepId,
    /// The path pattern, such as `/sample/*`.
    pub path: String,
}

/// Tags put on every resource that takes them, so that apply can find its resources again.
pub type Tags = BTreeMap<String, String>;

/// Create a bucket.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BucketParams {
    /// Bucket name.
    pub bucket: BucketName,
    /// Region of the bucket.
    pub region: Region,
    /// `source`, `output` or `origin`.
    pub purpose: BucketRole,
    /// Public access stays blocked (S3's default for new buckets).
    pub block_public_access: bool,
    /// Tags.
    pub tags: Tags,
}

/// Upload one file.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct UploadParams {
    /// Local file.
    pub file: String,
    /// Target bucket.
    pub bucket: BucketName,
    /// Target key.
    pub key: String,
    /// Full-object checksum algorithm; an object with the same size and checksum is not uploaded again.
    pub checksum_algorithm: String,
}

/// A CORS rule for S3 or MediaStore.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CorsRule {
    /// Allowed origins.
    pub allowed_origins: Vec<CorsOrigin>,
    /// Allowed methods.
    pub allowed_methods: Vec<String>,
    /// Allowed request headers.
    pub allowed_headers: Vec<String>,
    /// Response headers exposed to scripts.
    pub expose_headers: Vec<String>,
    /// How long browsers may cache a preflight answer, in seconds.
    pub max_age_seconds: u32,
}

/// Put a CORS configuration on the origin bucket.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct BucketCorsParams {
    /// Bucket.
    pub bucket: BucketName,
    /// Rules.
    pub rules: Vec<CorsRule>,
}

/// Put a resource policy (bucket policy or container policy).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PolicyParams {
    /// Bucket or container.
    pub target: String,
    /// The policy document. In the plan's JSON, values of earlier steps read `${…}`.
    pub policy: OriginReadPolicy,
}

/// The resource policy that lets the distribution, and only it, read the origin over HTTPS
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html>).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum OriginReadPolicy {
    /// A MediaStore container policy: `mediastore:GetObject` and `DescribeObject` on the container's
    /// objects, for the distribution, over HTTPS only.
    MediaStore {
        /// The container's ARN.
        container_arn: Deferred<String>,
        /// The distribution's ARN (`AWS:SourceArn`).
        source_arn: Deferred<String>,
    },
    /// An S3 bucket policy: `s3:GetObject` under the origin path, for the distribution.
    S3 {
        /// The objects it covers, such as `arn:aws:s3:::bucket/vod/*`.
        resource: String,
        /// The distribution's ARN (`AWS:SourceArn`).
        source_arn: Deferred<String>,
    },
}

impl OriginReadPolicy {
    /// The policy document, each deferred value written by `value`; `Ok(None)` as soon as `value`
    /// has none (in refresh, a value the run would only create).
    ///
    /// Beside the statement that lets the distribution read, a Deny keeps the crate's own state
    /// objects (job markers, claims, the published index, the copy marker: every name with
    /// `vod-pipeline` in it) from being served through the distribution. A MediaStore container
    /// policy also keeps MediaStore's default statement, the account's full access over HTTPS
    /// (<https://docs.aws.amazon.com/mediastore/latest/ug/policies-default.html>), so that the
    /// account's later applies and destroys are not locked out.
    pub(crate) fn document<E>(
        &self,
        value: impl Fn(&Deferred<String>) -> Result<Option<String>, E>,
    ) -> Result<Option<serde_json::Value>, E> {
        let statements = match self {
            OriginReadPolicy::MediaStore {
                container_arn,
                source_arn,
            } => {
                let (Some(arn), Some(source)) = (value(container_arn)?, value(source_arn)?) else {
                    return Ok(None);
                };
                // arn:aws:mediastore:<region>:<account>:container/<name>; in the plan's text the
                // ARN is still `${…}`, and so is the account.
                let account = match arn.split(':').nth(4) {
                    Some(a) if !a.is_empty() => a.to_owned(),
                    _ => format!("<account of {arn}>"),
                };
                serde_json::json!([
                    {
                        "Sid": "MediaStoreFullAccess",
                        "Effect": "Allow",
                        "Principal": { "AWS": format!("arn:aws:iam::{account}:root") },
                        "Action": "mediastore:*",
                        "Resource": format!("{arn}/*"),
                        "Condition": { "Bool": { "aws:SecureTransport": "true" } }
                    },
                    {
                        "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                        "Effect": "Allow",
                        "Principal": { "Service": "cloudfront.amazonaws.com" },
                        "Action": ["mediastore:GetObject", "mediastore:DescribeObject"],
                        "Resource": format!("{arn}/*"),
                        "Condition": {
                            "StringEquals": { "AWS:SourceArn": source },
                            "Bool": { "aws:SecureTransport": "true" }
                        }
                    },
                    {
                        "Sid": "DenyCloudFrontPipelineState",
                        "Effect": "Deny",
                        "Principal": { "Service": "cloudfront.amazonaws.com" },
                        "Action": ["mediastore:GetObject", "mediastore:DescribeObject"],
                        "Resource": state_resources(&format!("{arn}/"))
                    }
                ])
            }
            OriginReadPolicy::S3 {
                resource,
                source_arn,
            } => {
                let Some(source) = value(source_arn)? else {
                    return Ok(None);
                };
                serde_json::json!([
                    {
                        "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                        "Effect": "Allow",
                        "Principal": { "Service": "cloudfront.amazonaws.com" },
                        "Action": "s3:GetObject",
                        "Resource": resource,
                        "Condition": { "StringEquals": { "AWS:SourceArn": source } }
                    },
                    {
                        "Sid": "DenyCloudFrontPipelineState",
                        "Effect": "Deny",
                        "Principal": { "Service": "cloudfront.amazonaws.com" },
                        "Action": "s3:GetObject",
                        "Resource": state_resources(resource.trim_end_matches('*'))
                    }
                ])
            }
        };
        Ok(Some(serde_json::json!({
            "Version": "2012-10-17",
            "Statement": statements,
        })))
    }
}

/// The resource patterns of the crate's state objects under `prefix` (a resource ARN ending in `/`):
/// job markers, claims, the published index and the copy marker. No asset id may contain these
/// names ([`crate::types::AssetId`]), so no media object matches.
fn state_resources(prefix: &str) -> Vec<String> {
    use crate::names::{CLAIM_PREFIX, COPY_MARKER, JOB_MARKER, PUBLISHED_INDEX};
    let index = PUBLISHED_INDEX.split('/').next().unwrap_or(PUBLISHED_INDEX);
    [
        format!("*{JOB_MARKER}"),
        format!("*{CLAIM_PREFIX}*"),
        format!("*{index}/*"),
        format!("*{COPY_MARKER}"),
    ]
    .into_iter()
    .map(|pattern| format!("{prefix}{pattern}"))
    .collect()
}

impl Serialize for OriginReadPolicy {
    /// The document with `${…}` for the values of earlier steps.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let doc = self.document(|d| Ok::<_, std::convert::Infallible>(Some(d.to_string())));
        match doc {
            Ok(doc) => doc.serialize(s),
            Err(never) => match never {},
        }
    }
}

/// Create a MediaConvert job for one asset.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JobParams {
    /// Asset id.
    pub asset: String,
    /// `s3://bucket/key` of the source file.
    pub input: String,
    /// IAM role MediaConvert assumes.
    pub role_arn: RoleArn,
    /// Queue name or ARN (`Default`: the account's default queue).
    pub queue: String,
    /// Priority in the queue, -50 to 50.
    pub priority: i8,
    /// `DISABLED`, `PREFERRED` or `ENABLED`.
    pub acceleration: String,
    /// How often MediaConvert reports progress, such as `SECONDS_60`.
    pub status_update_interval: String,
    /// An existing job template whose output groups the job uses; the job then carries only its
    /// input (and caption selector) inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_template: Option<String>,
    /// Idempotency token derived from the pipeline, the asset and the settings.
    pub client_request_token: String,
    /// Segment length.
    pub segment_length: SegmentLength,
    /// GOP length in seconds (GOP size unit SECONDS, closed GOPs).
    pub gop_length: Seconds,
    /// Fragment length in seconds of DASH, CMAF and HLS fMP4 segments.
    pub fragment_length: Seconds,
    /// Video rate control (`QVBR`).
    pub rate_control_mode: String,
    /// The renditions.
    pub renditions: AbrLadder,
    /// The AAC audio renditions, highest bitrate first.
    pub audio: Vec<AudioParams>,
    /// HLS: an audio-only variant stream in the master playlist.
    pub hls_audio_only: bool,
    /// Sidecar captions, passed through to WebVTT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captions: Option<CaptionParams>,
    /// Frame-capture thumbnails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnails: Option<ThumbnailParams>,
    /// One output group per format.
    pub output_groups: Vec<OutputGroupParams>,
    /// Job user metadata (tags the job back to the pipeline, plus the spec's own).
    pub user_metadata: Tags,
    /// With an S3 origin, where the job step records the asset as published once its job completed:
    /// `s3://<output bucket>/<output prefix>.vod-pipeline/assets/<asset>/` (see
    /// [`VodClient::assets`](crate::VodClient::assets)). `None` when a later step (the copy into a
    /// MediaStore container) finishes publishing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_index: Option<String>,
}

/// One audio rendition.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AudioParams {
    /// `AAC`.
    pub codec: String,
    /// Bits per second.
    pub bitrate: u32,
    /// Hz.
    pub sample_rate: u32,
    /// `CODING_MODE_2_0`.
    pub coding_mode: String,
}

/// Sidecar captions of one asset.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CaptionParams {
    /// `s3://bucket/key` of the sidecar file.
    pub source: String,
    /// `SRT` or `WEBVTT`.
    pub source_type: String,
    /// ISO 639-2 code, such as `ENG`.
    pub language: String,
}

/// Frame-capture thumbnails of one asset.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ThumbnailParams {
    /// `s3://bucket/prefix/asset/thumbnails/`.
    pub destination: String,
    /// Seconds between captures.
    pub interval: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// JPEG quality.
    pub quality: u8,
    /// The most captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_captures: Option<u32>,
}

/// One output group of a job.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OutputGroupParams {
    /// `hls`, `hls-fmp4`, `dash`, `cmaf` or `mp4`.
    pub format: OutputFormat,
    /// MediaConvert's output group type, such as `HLS_GROUP_SETTINGS`.
    pub group_type: String,
    /// `s3://bucket/prefix/asset/format/`.
    pub destination: String,
    /// Segment length in seconds (none for `mp4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_length: Option<u64>,
    /// Fragment length in seconds (`dash`, `cmaf`, `hls-fmp4`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment_length: Option<u64>,
    /// Keys of the manifests (or, for `mp4`, the file) MediaConvert writes.
    pub manifests: Vec<String>,
}

/// Create a MediaStore container.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ContainerParams {
    /// Container name.
    pub container: ContainerName,
    /// Tags.
    pub tags: Tags,
}

/// Put a CORS policy on a container.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ContainerCorsParams {
    /// Container.
    pub container: ContainerName,
    /// Rules.
    pub rules: Vec<CorsRule>,
}

/// Copy one asset's packaged output from S3 into the container.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CopyParams {
    /// Asset id.
    pub asset: String,
    /// `s3://bucket/prefix/asset/`: everything under it is copied.
    pub from: String,
    /// Container.
    pub container: ContainerName,
    /// Folder in the container (origin path + asset), no leading slash.
    pub to_path: String,
    /// The data endpoint of the container.
    pub endpoint: Deferred<String>,
    /// `Cache-Control` set on each object.
    pub cache_control: String,
    /// Where the copy records the asset as published once it is in the container:
    /// `s3://<output bucket>/<output prefix>.vod-pipeline/assets/<asset>/`.
    pub published_index: String,
}
