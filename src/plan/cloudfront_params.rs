//! The parameters of the CloudFront steps: origin access control, public keys and key group,
//! cache and response headers policies, and the distribution. Pure data, like [`super::params`].

use serde::Serialize;

use super::id::Deferred;
use crate::secret::Secret;
use crate::spec::model::OriginKind;
use crate::types::*;

/// Create an origin access control.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OacParams {
    /// Name (at most 64 characters).
    pub name: String,
    /// `s3` or `mediastore`.
    pub origin_type: OriginKind,
    /// `always`.
    pub signing_behavior: SigningBehavior,
    /// `sigv4`.
    pub signing_protocol: SigningProtocol,
}

/// Upload a public key for signed URLs and cookies (private content). Public keys are immutable:
/// a new key is a new name.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct PublicKeyParams {
    /// Name, also the caller reference: `<pipeline>-key-<16 hex digits of the key>`.
    pub name: String,
    /// The PEM file it came from.
    pub file: String,
    /// `RSA-2048` or `ECDSA-P256`.
    pub algorithm: crate::sign::KeyAlgorithm,
    /// The PEM text (a public key: not a secret).
    pub encoded_key: String,
}

/// Create or update the key group that the distribution trusts (private content).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct KeyGroupParams {
    /// Name: `<pipeline>-keys`.
    pub name: String,
    /// The ids of its public keys.
    pub public_key_ids: Vec<Deferred<String>>,
}

/// Which cache behaviors trust the key group.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TrustedKeyGroupParams {
    /// The key group's id.
    pub key_group_id: Deferred<String>,
    /// `all`: the default cache behavior; `media`: one cache behavior per path pattern of
    /// [`Protect::MEDIA_PATTERNS`], with the default behavior's settings.
    pub protect: Protect,
}

/// Create a cache policy.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CachePolicyParams {
    /// Policy name.
    pub name: String,
    /// Minimum TTL, seconds.
    pub min_ttl: Ttl,
    /// Default TTL, seconds.
    pub default_ttl: Ttl,
    /// Maximum TTL, seconds.
    pub max_ttl: Ttl,
    /// Headers in the cache key (and forwarded to the origin).
    pub cache_key_headers: Vec<String>,
    /// Query strings in the cache key: `none`.
    pub query_strings: String,
    /// Cookies in the cache key: `none`.
    pub cookies: String,
    /// Gzip and Brotli.
    pub compression: bool,
}

/// Create a response headers policy for CORS.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ResponseHeadersPolicyParams {
    /// Policy name.
    pub name: String,
    /// `Access-Control-Allow-Origin` values.
    pub allow_origins: Vec<CorsOrigin>,
    /// Allowed methods.
    pub allow_methods: Vec<String>,
    /// Allowed headers.
    pub allow_headers: Vec<String>,
    /// Exposed headers.
    pub expose_headers: Vec<String>,
    /// Preflight max age, seconds.
    pub max_age_seconds: u32,
    /// CloudFront's CORS headers replace the origin's.
    pub origin_override: bool,
}

/// Create the distribution.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DistributionParams {
    /// CloudFront's idempotency key, derived from the pipeline name.
    pub caller_reference: String,
    /// Comment.
    pub comment: String,
    /// Enabled.
    pub enabled: bool,
    /// Price class.
    pub price_class: PriceClass,
    /// HTTP version.
    pub http_version: HttpVersion,
    /// Alternate domain names.
    pub aliases: Vec<Alias>,
    /// `cloudfront-default` or the ACM certificate ARN (SNI, TLSv1.2_2021).
    pub viewer_certificate: ViewerCertificate,
    /// The origin.
    pub origin: OriginParams,
    /// The default cache behavior.
    pub default_cache_behavior: CacheBehaviorParams,
    /// One per error code CloudFront caches, carrying the error caching minimum TTL.
    pub custom_error_responses: Vec<ErrorResponseParams>,
    /// Private content: the trusted key group and the behaviors that trust it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_key_group: Option<TrustedKeyGroupParams>,
    /// Tags (the same map as `Tags` elsewhere in the plan).
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The distribution's origin.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct OriginParams {
    /// Origin id inside the distribution.
    pub id: String,
    /// `mediastore` or `s3`.
    pub kind: OriginKind,
    /// Origin domain: the container's data endpoint host, or the bucket's regional domain.
    pub domain_name: Deferred<String>,
    /// MediaStore: the path of the container's data endpoint, which goes before [`origin_path`](Self::origin_path)
    /// in CloudFront's `OriginPath`. Empty for AWS's endpoints (`https://<host>`); a local emulator's path-style
    /// endpoint (`http://127.0.0.1:PORT/_mediastore/<host>`) has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_path_prefix: Option<Deferred<String>>,
    /// Origin path.
    pub origin_path: OriginPath,
    /// `https-only` for a MediaStore (custom) origin; S3 origins have no protocol policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_protocol_policy: Option<String>,
    /// The origin access control's id.
    pub origin_access_control_id: Deferred<String>,
    /// Origin custom headers; values redacted.
    pub custom_headers: Vec<CustomHeaderParams>,
}

/// A custom header as the plan shows it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CustomHeaderParams {
    /// Name.
    pub name: HeaderName,
    /// Value (always serialized as `<redacted>`).
    pub value: Secret,
}

/// The default cache behavior.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CacheBehaviorParams {
    /// Viewer protocol policy.
    pub viewer_protocol_policy: ViewerProtocolPolicy,
    /// Allowed methods.
    pub allowed_methods: Vec<String>,
    /// Cached methods (OPTIONS too, so CORS preflights are cached).
    pub cached_methods: Vec<String>,
    /// Compress objects.
    pub compress: bool,
    /// `policies` or `legacy`.
    pub cache_settings: CacheSettings,
    /// `origin-cache-headers` or `customize`.
    pub object_caching: String,
    /// Minimum TTL, seconds (in the cache policy, or on the behavior when legacy).
    pub min_ttl: Ttl,
    /// Default TTL, seconds.
    pub default_ttl: Ttl,
    /// Maximum TTL, seconds.
    pub max_ttl: Ttl,
    /// Headers in the cache key: `Origin` and the CORS preflight headers.
    pub cache_key_headers: Vec<String>,
    /// Cache policy id (policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_policy_id: Option<Deferred<String>>,
    /// Origin request policy id and name (policies; AWS-managed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_request_policy: Option<ManagedPolicy>,
    /// Response headers policy id (policies, with CORS origins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_headers_policy_id: Option<Deferred<String>>,
    /// Legacy `ForwardedValues` header whitelist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_values_headers: Option<Vec<String>>,
}

/// An AWS-managed policy.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ManagedPolicy {
    /// Name.
    pub name: String,
    /// Id.
    pub id: String,
}

/// A custom error response that only sets the error caching minimum TTL.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ErrorResponseParams {
    /// HTTP status code from the origin.
    pub error_code: u16,
    /// Seconds CloudFront caches the error.
    pub error_caching_min_ttl: Ttl,
}

/// When CloudFront signs requests to the origin (`SigningBehavior` of an origin access control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SigningBehavior {
    /// Sign every origin request (the recommended setting).
    Always,
}

/// How CloudFront signs origin requests (`SigningProtocol` of an origin access control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SigningProtocol {
    /// AWS Signature Version 4.
    Sigv4,
}

/// The certificate viewers see.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ViewerCertificate {
    /// CloudFront's own `*.cloudfront.net` certificate; written `cloudfront-default`.
    CloudFrontDefault,
    /// An ACM certificate (in us-east-1) that covers the aliases.
    Acm(AcmCertificateArn),
}

impl Serialize for ViewerCertificate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ViewerCertificate::CloudFrontDefault => s.serialize_str("cloudfront-default"),
            ViewerCertificate::Acm(arn) => arn.serialize(s),
        }
    }
}
