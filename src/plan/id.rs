//! Typed references between steps: which step ([`StepId`]), which of its outputs ([`OutputKey`]),
//! and a value that is either known when planning or produced by an earlier step ([`Deferred`]).
//!
//! The text forms (`cloudfront.distribution`, `${cloudfront.distribution.arn}`) exist only for people
//! and for the plan's JSON: they are written from these types and never parsed back.

use std::fmt;

use serde::{Serialize, Serializer};

/// What a bucket is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BucketRole {
    /// The mezzanine files.
    Source,
    /// MediaConvert's output, copied from there into a MediaStore container.
    Output,
    /// The S3 origin: MediaConvert's output, read by CloudFront.
    Origin,
}

impl BucketRole {
    /// `source`, `output` or `origin`.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketRole::Source => "source",
            BucketRole::Output => "output",
            BucketRole::Origin => "origin",
        }
    }
}

impl fmt::Display for BucketRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A step of a plan. Its text form (`Display`, and the JSON `id`) is stable, such as
/// `cloudfront.distribution` or `s3.upload.sample`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum StepId {
    /// `s3.bucket.<role>`: create a bucket.
    Bucket(BucketRole),
    /// `s3.upload.<asset>`: upload an asset's source file.
    Upload(String),
    /// `s3.upload.<asset>.captions`: upload an asset's captions sidecar.
    UploadCaptions(String),
    /// `mediaconvert.job.<asset>`: transcode an asset.
    Job(String),
    /// `mediastore.container`: create the container.
    Container,
    /// `mediastore.cors_policy`: the container's CORS policy.
    ContainerCors,
    /// `mediastore.container_policy`: the container's access policy.
    ContainerPolicy,
    /// `mediastore.copy.<asset>`: copy an asset's packaged output into the container.
    Copy(String),
    /// `s3.bucket_cors.origin`: the origin bucket's CORS configuration.
    OriginBucketCors,
    /// `s3.bucket_policy.origin`: the origin bucket's access policy.
    OriginBucketPolicy,
    /// `cloudfront.origin_access_control`.
    OriginAccessControl,
    /// `cloudfront.response_headers_policy`.
    ResponseHeadersPolicy,
    /// `cloudfront.cache_policy`.
    CachePolicy,
    /// `cloudfront.public_key.<name>`: one public key of the trusted key group.
    PublicKey(String),
    /// `cloudfront.key_group`: the trusted key group.
    KeyGroup,
    /// `cloudfront.distribution`.
    Distribution,
    /// `cloudfront.invalidation`.
    Invalidation,
    /// `s3.copy.<asset>`: copy an asset's packaged output into the origin bucket (an S3 origin whose
    /// output bucket is another bucket).
    OriginCopy(String),
    /// `cloudfront.existing_distribution`: find the distribution an earlier apply made (read only).
    ExistingDistribution,
    /// `s3.bucket_policy.origin.early`: let the existing distribution read the origin bucket before
    /// the distribution is pointed at it (moving the origin without a gap).
    EarlyBucketPolicy,
    /// `mediastore.container_policy.early`: the same for a container.
    EarlyContainerPolicy,
    /// `cloudfront.orphans`: delete what the distribution no longer uses: the policies and key group
    /// it stopped using and, once it is deployed on a new origin, the origin it left (the MediaStore
    /// container, the other origin access control).
    Unused,
    /// `s3.orphaned_output`: delete the packaged output of assets and formats that left the spec.
    OrphanedOutput,
}

impl StepId {
    /// Whether the step manages something that lasts in AWS (a bucket, a job's output, a policy,
    /// the distribution). The others are actions or reads: the invalidation, the read of the
    /// existing distribution, the early origin policies (which act only while a distribution of
    /// the pipeline exists; the origin's own policy step owns the policy) and the two sweeps of
    /// what left the spec. For them a [`Change::NoOp`](crate::Change::NoOp) means "nothing to
    /// do", not "present".
    pub fn is_resource(&self) -> bool {
        !matches!(
            self,
            StepId::Invalidation
                | StepId::ExistingDistribution
                | StepId::EarlyBucketPolicy
                | StepId::EarlyContainerPolicy
                | StepId::OrphanedOutput
                | StepId::Unused
        )
    }

    /// The asset a per-asset step works on.
    pub fn asset(&self) -> Option<&str> {
        match self {
            StepId::Upload(a)
            | StepId::UploadCaptions(a)
            | StepId::Job(a)
            | StepId::Copy(a)
            | StepId::OriginCopy(a) => Some(a),
            _ => None,
        }
    }

    /// A reference to one of this step's outputs.
    pub fn output<T>(&self, key: OutputKey) -> Deferred<T> {
        Deferred::Output(self.clone(), key)
    }
}

impl StepId {
    fn write(&self, f: &mut impl fmt::Write) -> fmt::Result {
        match self {
            StepId::Bucket(role) => write!(f, "s3.bucket.{role}"),
            StepId::Upload(a) => write!(f, "s3.upload.{a}"),
            StepId::UploadCaptions(a) => write!(f, "s3.upload.{a}.captions"),
            StepId::Job(a) => write!(f, "mediaconvert.job.{a}"),
            StepId::Container => f.write_str("mediastore.container"),
            StepId::ContainerCors => f.write_str("mediastore.cors_policy"),
            StepId::ContainerPolicy => f.write_str("mediastore.container_policy"),
            StepId::Copy(a) => write!(f, "mediastore.copy.{a}"),
            StepId::OriginBucketCors => f.write_str("s3.bucket_cors.origin"),
            StepId::OriginBucketPolicy => f.write_str("s3.bucket_policy.origin"),
            StepId::OriginAccessControl => f.write_str("cloudfront.origin_access_control"),
            StepId::ResponseHeadersPolicy => f.write_str("cloudfront.response_headers_policy"),
            StepId::CachePolicy => f.write_str("cloudfront.cache_policy"),
            StepId::PublicKey(name) => write!(f, "cloudfront.public_key.{name}"),
            StepId::KeyGroup => f.write_str("cloudfront.key_group"),
            StepId::Distribution => f.write_str("cloudfront.distribution"),
            StepId::Invalidation => f.write_str("cloudfront.invalidation"),
            StepId::OrphanedOutput => f.write_str("s3.orphaned_output"),
            StepId::OriginCopy(a) => write!(f, "s3.copy.{a}"),
            StepId::Unused => f.write_str("cloudfront.orphans"),
            StepId::ExistingDistribution => f.write_str("cloudfront.existing_distribution"),
            StepId::EarlyBucketPolicy => f.write_str("s3.bucket_policy.origin.early"),
            StepId::EarlyContainerPolicy => f.write_str("mediastore.container_policy.early"),
        }
    }
}

impl fmt::Display for StepId {
    /// The text form; honours width and alignment (`{:<40}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write(&mut text)?;
        f.pad(&text)
    }
}

impl Serialize for StepId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Compares the text form, as [`Plan::step`](super::Plan::step) looks steps up.
impl PartialEq<str> for StepId {
    fn eq(&self, other: &str) -> bool {
        let text = self.to_string();
        text == other
    }
}

impl PartialEq<&str> for StepId {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

/// A value a step produces for later steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum OutputKey {
    /// The resource's id (policies, OAC, distribution, invalidation).
    Id,
    /// The resource's ARN.
    Arn,
    /// A bucket's name.
    Bucket,
    /// A container's name.
    Name,
    /// A container's data endpoint, `https://<host>`.
    Endpoint,
    /// The host of a container's data endpoint, the distribution's origin domain.
    EndpointHost,
    /// The path of a container's data endpoint (empty for AWS's `https://<host>`), which goes before the
    /// distribution's origin path.
    EndpointPath,
    /// A distribution's domain name.
    DomainName,
    /// A distribution's or a job's status.
    Status,
    /// An ETag.
    Etag,
    /// An uploaded object's full-object checksum.
    Checksum,
    /// A MediaConvert job's id.
    JobId,
    /// How many objects a copy wrote or found.
    Objects,
    /// The policies and key groups a distribution used when its step read it (before any update):
    /// `cache:<id>`, `response-headers:<id>` and `key-group:<id>`, comma-separated.
    PoliciesInUse,
}

impl OutputKey {
    /// The key's name in placeholders and summaries, such as `domain_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKey::Id => "id",
            OutputKey::Arn => "arn",
            OutputKey::Bucket => "bucket",
            OutputKey::Name => "name",
            OutputKey::Endpoint => "endpoint",
            OutputKey::EndpointHost => "endpoint_host",
            OutputKey::EndpointPath => "endpoint_path",
            OutputKey::DomainName => "domain_name",
            OutputKey::Status => "status",
            OutputKey::Etag => "etag",
            OutputKey::Checksum => "checksum",
            OutputKey::JobId => "job_id",
            OutputKey::Objects => "objects",
            OutputKey::PoliciesInUse => "policies_in_use",
        }
    }
}

impl fmt::Display for OutputKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A parameter known when planning, or the output of an earlier step (which the step then lists
/// in `depends_on`). In the plan's JSON an output reads `${<step id>.<output>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deferred<T> {
    /// Known now.
    Known(T),
    /// Produced by that step, under that key.
    Output(StepId, OutputKey),
}

impl<T> Deferred<T> {
    /// The value, when known now.
    pub fn known(&self) -> Option<&T> {
        match self {
            Deferred::Known(v) => Some(v),
            Deferred::Output(..) => None,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Deferred<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deferred::Known(v) => v.fmt(f),
            Deferred::Output(step, key) => write!(f, "${{{step}.{key}}}"),
        }
    }
}

impl<T: Serialize> Serialize for Deferred<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Deferred::Known(v) => v.serialize(s),
            Deferred::Output(step, key) => s.collect_str(&format_args!("${{{step}.{key}}}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms() {
        let cases = [
            (StepId::Bucket(BucketRole::Source), "s3.bucket.source"),
            (StepId::UploadCaptions("a".into()), "s3.upload.a.captions"),
            (StepId::Job("a".into()), "mediaconvert.job.a"),
            (StepId::OriginBucketPolicy, "s3.bucket_policy.origin"),
            (StepId::ContainerCors, "mediastore.cors_policy"),
        ];
        for (id, text) in cases {
            assert_eq!(id.to_string(), text);
            assert_eq!(id, text);
            assert_eq!(serde_json::to_value(&id).unwrap(), text);
        }
        assert_eq!(
            format!("[{:<26}]", StepId::Distribution),
            "[cloudfront.distribution   ]"
        );
        let d: Deferred<String> = StepId::Distribution.output(OutputKey::Arn);
        assert_eq!(d.to_string(), "${cloudfront.distribution.arn}");
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            "${cloudfront.distribution.arn}"
        );
        assert_eq!(
            serde_json::to_value(Deferred::Known(3u8)).unwrap(),
            serde_json::json!(3)
        );
    }
}
