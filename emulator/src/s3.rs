//! S3, served by s3s + s3s-fs, plus the in-process object API other services use. Owner: core.
//!
//! Credentials: any. The router has already parsed the SigV4 credential scope; before handing the request to
//! s3s we remove the signature (the `Authorization` header or the presigned `X-Amz-*` query parameters) and
//! decode `aws-chunked` bodies ourselves (signed or unsigned, with or without trailing checksums, which become
//! ordinary `x-amz-checksum-*` headers). s3s then serves the request as anonymous, and s3s-fs still verifies every
//! checksum the client sent.
//!
//! [`Emu`] wraps `s3s_fs::FileSystem` and adds what it lacks or gets wrong for our purpose: bucket policy and
//! bucket tagging, `NoSuchBucket` on writes to a missing bucket, `BucketNotEmpty`, `BucketAlreadyOwnedByYou`,
//! part checksums, and full-object checksums (CRC64NVME, CRC32, CRC32C) on `CompleteMultipartUpload`.
//!
//! Keys are names, not paths: every key is mapped by `keys::to_fs` before s3s-fs sees it (and back in what it
//! returns), so no key reaches outside its bucket's folder and every key round-trips literally. ListObjects and
//! ListObjectsV2 are computed on the real keys (`list::page`).
mod keys;
mod list;

use crate::SharedRef;
use crate::wire::{Req, Resp, StoredObject};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Per-bucket settings s3s-fs does not keep.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct BucketMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<(String, String)>>,
    /// The LocationConstraint the bucket was created with (`None`: us-east-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    /// The bucket's CORS configuration (PutBucketCors), in the order given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cors: Option<Vec<CorsRuleView>>,
}

/// One rule of a bucket's CORS configuration (S3's `CORSRule`), as stored and as [`Store::bucket_cors`] returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRuleView {
    /// `ID`, if the rule has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `AllowedOrigin` values (at most one `*` wildcard each).
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod` values: `GET`, `PUT`, `HEAD`, `POST`, `DELETE`.
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader` values (at most one `*` wildcard each).
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader` values.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i32>,
}

/// An in-progress multipart upload: where it goes and what it was created with.
#[derive(Debug, Clone)]
struct UploadInfo {
    bucket: String,
    key: String,
    initiated: std::time::SystemTime,
    /// Creation order (uploads of the same key are listed oldest first).
    seq: u64,
    algorithm: Option<String>,
    checksum_type: Option<String>,
}

struct Inner {
    fs: s3s_fs::FileSystem,
    root: PathBuf,
    meta: Mutex<BTreeMap<String, BucketMeta>>,
    uploads: Mutex<HashMap<String, UploadInfo>>,
    upload_seq: std::sync::atomic::AtomicU64,
}

/// The S3 implementation handed to s3s: s3s-fs plus the additions listed in the module docs.
#[derive(Clone)]
pub struct Emu(Arc<Inner>);

/// Where the wrapper records the operation name, for the request log.
#[derive(Clone, Default)]
struct OpSlot(Arc<Mutex<Option<&'static str>>>);

/// The region of the request's credential scope.
#[derive(Clone)]
struct ScopeRegion(String);

fn set_op<T>(req: &S3Request<T>, op: &'static str) {
    if let Some(slot) = req.extensions.get::<OpSlot>() {
        *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(op);
    }
}

const META_FILE: &str = ".emulator-bucket-meta.json";

impl Emu {
    fn bucket_path(&self, bucket: &str) -> Option<PathBuf> {
        if bucket.is_empty()
            || bucket.contains('/')
            || bucket.contains('\\')
            || bucket.starts_with('.')
        {
            return None;
        }
        Some(self.0.root.join(bucket))
    }

    fn bucket_exists(&self, bucket: &str) -> bool {
        self.bucket_path(bucket).is_some_and(|p| p.is_dir())
    }

    fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.bucket_exists(bucket) {
            Ok(())
        } else {
            Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist"
            ))
        }
    }

    /// The file that holds the object `key`: inside the bucket's folder, since [`keys::to_fs`] makes only normal
    /// path components (its tests check that for every kind of key).
    fn object_path(&self, bucket: &str, key: &str) -> Option<PathBuf> {
        Some(self.bucket_path(bucket)?.join(keys::to_fs(key)))
    }

    /// S3 has no folders: after a delete, remove the directories s3s-fs left empty (up to the bucket).
    fn prune_empty_dirs(&self, bucket: &str, key: &str) {
        let (Some(root), Some(path)) = (self.bucket_path(bucket), self.object_path(bucket, key))
        else {
            return;
        };
        let mut dir = path.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == root || !d.starts_with(&root) || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }

    fn meta_get(&self, bucket: &str) -> BucketMeta {
        self.0
            .meta
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            .cloned()
            .unwrap_or_default()
    }

    fn meta_update(&self, bucket: &str, f: impl FnOnce(&mut BucketMeta)) {
        let mut meta = self.0.meta.lock().unwrap_or_else(|e| e.into_inner());
        let entry = meta.entry(bucket.to_string()).or_default();
        f(entry);
        if entry.policy.is_none()
            && entry.tags.is_none()
            && entry.location.is_none()
            && entry.cors.is_none()
        {
            meta.remove(bucket);
        }
        if let Ok(json) = serde_json::to_vec_pretty(&*meta) {
            let _ = std::fs::write(self.0.root.join(META_FILE), json);
        }
    }

    fn meta_remove(&self, bucket: &str) {
        self.meta_update(bucket, |m| *m = BucketMeta::default());
    }

    /// The in-progress upload `id`, if it exists and belongs to `bucket`/`key`.
    fn upload_for(&self, bucket: &str, key: &str, id: &str) -> Option<UploadInfo> {
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .filter(|u| u.bucket == bucket && u.key == key)
            .cloned()
    }

    fn no_such_upload() -> s3s::S3Error {
        s3_error!(
            NoSuchUpload,
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
        )
    }

    /// Path of s3s-fs's internal info file for an object (its checksum and ETag store; format of s3s-fs 0.14,
    /// which names it after the key it was given: the mapped one).
    fn internal_info_path(&self, bucket: &str, key: &str) -> PathBuf {
        let enc = |s: &str| base64_simd::URL_SAFE_NO_PAD.encode_to_string(s);
        self.0.root.join(format!(
            ".bucket-{}.object-{}.internal.json",
            enc(bucket),
            enc(&keys::to_fs(key))
        ))
    }

    /// Every object of `bucket`, with its real key, sorted by key.
    async fn all_objects(&self, bucket: &str) -> S3Result<Vec<Object>> {
        let input = ListObjectsV2Input::builder()
            .bucket(bucket.into())
            .max_keys(Some(i32::MAX))
            .build()
            .map_err(|e| s3_error!(InternalError, "{e}"))?;
        let resp = self.0.fs.list_objects_v2(s3req(input)).await?;
        let mut objects = resp.output.contents.unwrap_or_default();
        for o in &mut objects {
            o.key = o.key.as_deref().map(keys::from_fs);
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    /// Replaces the object's stored checksums (s3s-fs keeps the previous object's after a multipart completion).
    fn set_internal_checksums(
        &self,
        bucket: &str,
        key: &str,
        checksum: &Checksum,
    ) -> std::io::Result<()> {
        let path = self.internal_info_path(bucket, key);
        let mut map: serde_json::Map<String, serde_json::Value> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        map.retain(|k, _| !k.starts_with("checksum_"));
        for (k, v) in [
            ("checksum_crc32", &checksum.checksum_crc32),
            ("checksum_crc32c", &checksum.checksum_crc32c),
            ("checksum_sha1", &checksum.checksum_sha1),
            ("checksum_sha256", &checksum.checksum_sha256),
            ("checksum_crc64nvme", &checksum.checksum_crc64nvme),
        ] {
            if let Some(v) = v {
                map.insert(k.to_string(), serde_json::Value::String(v.clone()));
            }
        }
        let tmp = path.with_extension("json.emutmp");
        std::fs::write(&tmp, serde_json::to_vec(&map)?)?;
        std::fs::rename(tmp, path)
    }
}

fn hasher_for(alg: &str) -> Option<s3s::checksum::ChecksumHasher> {
    let mut h = s3s::checksum::ChecksumHasher::default();
    match alg {
        ChecksumAlgorithm::CRC32 => h.crc32 = Some(Default::default()),
        ChecksumAlgorithm::CRC32C => h.crc32c = Some(Default::default()),
        ChecksumAlgorithm::SHA1 => h.sha1 = Some(Default::default()),
        ChecksumAlgorithm::SHA256 => h.sha256 = Some(Default::default()),
        ChecksumAlgorithm::CRC64NVME => h.crc64nvme = Some(Default::default()),
        _ => return None,
    }
    Some(h)
}

fn checksum_value<'a>(c: &'a Checksum, alg: &str) -> Option<&'a String> {
    match alg {
        ChecksumAlgorithm::CRC32 => c.checksum_crc32.as_ref(),
        ChecksumAlgorithm::CRC32C => c.checksum_crc32c.as_ref(),
        ChecksumAlgorithm::SHA1 => c.checksum_sha1.as_ref(),
        ChecksumAlgorithm::SHA256 => c.checksum_sha256.as_ref(),
        ChecksumAlgorithm::CRC64NVME => c.checksum_crc64nvme.as_ref(),
        _ => None,
    }
}

fn checksum_enabled(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED))
}

/// GetObject/HeadObject return the stored checksums only with `x-amz-checksum-mode: ENABLED`, together with
/// their `x-amz-checksum-type` (COMPOSITE for `<base64>-<parts>` values, else FULL_OBJECT).
fn returned_checksums(enabled: bool, fields: [&mut Option<String>; 5]) -> Option<ChecksumType> {
    let mut kind = None;
    for f in fields {
        if !enabled {
            *f = None;
        } else if let Some(v) = f.as_deref() {
            kind = Some(if v.contains('-') {
                ChecksumType::COMPOSITE
            } else {
                ChecksumType::FULL_OBJECT
            });
        }
    }
    kind.map(ChecksumType::from_static)
}

/// Compares the body with the Content-MD5 and `x-amz-checksum-*` values of a PutObject, as S3 does before storing.
fn verify_put_digests(input: &PutObjectInput, body: &[u8]) -> S3Result<()> {
    if let Some(md5) = &input.content_md5 {
        let want = base64_simd::STANDARD
            .decode_to_vec(md5.trim())
            .ok()
            .filter(|d| d.len() == 16)
            .ok_or_else(|| {
                s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid.")
            })?;
        use md5::Digest;
        if md5::Md5::digest(body).as_slice() != want.as_slice() {
            return Err(s3_error!(
                BadDigest,
                "The Content-MD5 you specified did not match what we received."
            ));
        }
    }
    let given = Checksum {
        checksum_crc32: input.checksum_crc32.clone(),
        checksum_crc32c: input.checksum_crc32c.clone(),
        checksum_sha1: input.checksum_sha1.clone(),
        checksum_sha256: input.checksum_sha256.clone(),
        checksum_crc64nvme: input.checksum_crc64nvme.clone(),
        ..Default::default()
    };
    for alg in [
        ChecksumAlgorithm::CRC32,
        ChecksumAlgorithm::CRC32C,
        ChecksumAlgorithm::SHA1,
        ChecksumAlgorithm::SHA256,
        ChecksumAlgorithm::CRC64NVME,
    ] {
        let Some(expected) = checksum_value(&given, alg) else {
            continue;
        };
        let mut h = hasher_for(alg).expect("known algorithm");
        h.update(body);
        if checksum_value(&h.finalize(), alg) != Some(expected) {
            return Err(s3_error!(
                BadDigest,
                "The {alg} you specified did not match the calculated checksum."
            ));
        }
    }
    Ok(())
}

async fn collect_blob(blob: StreamingBlob) -> S3Result<Bytes> {
    let body: s3s::Body = blob.into();
    body.collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| s3_error!(IncompleteBody, "cannot read request body: {e}"))
}

fn blob(bytes: Bytes) -> StreamingBlob {
    StreamingBlob::from(s3s::Body::from(bytes))
}

fn validate_policy(policy: &str) -> S3Result<()> {
    let v: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| s3_error!(MalformedPolicy, "Policies must be valid JSON"))?;
    let Some(obj) = v.as_object() else {
        return Err(s3_error!(MalformedPolicy, "Policies must be a JSON object"));
    };
    match obj.get("Statement") {
        Some(serde_json::Value::Array(a)) if !a.is_empty() => Ok(()),
        Some(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(s3_error!(
            MalformedPolicy,
            "Missing required field Statement"
        )),
    }
}

/// The canonical user id of the emulator's single account (S3's `Owner`/`Initiator` `ID`).
const CANONICAL_USER_ID: &str = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

const CORS_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// Checks a CORS configuration as S3 does and converts it for storage.
fn validate_cors(rules: &[CORSRule]) -> S3Result<Vec<CorsRuleView>> {
    let malformed = || {
        s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        )
    };
    if rules.is_empty() || rules.len() > 100 {
        return Err(malformed());
    }
    let mut out = Vec::with_capacity(rules.len());
    for r in rules {
        if r.allowed_methods.is_empty() || r.allowed_origins.is_empty() {
            return Err(malformed());
        }
        if let Some(m) = r
            .allowed_methods
            .iter()
            .find(|m| !CORS_METHODS.contains(&m.as_str()))
        {
            return Err(s3_error!(
                InvalidRequest,
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            ));
        }
        if let Some(o) = r
            .allowed_origins
            .iter()
            .find(|o| o.matches('*').count() > 1)
        {
            return Err(s3_error!(
                InvalidRequest,
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            ));
        }
        let headers = r.allowed_headers.clone().unwrap_or_default();
        if let Some(h) = headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(s3_error!(
                InvalidRequest,
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            ));
        }
        out.push(CorsRuleView {
            id: r.id.clone(),
            allowed_origins: r.allowed_origins.clone(),
            allowed_methods: r.allowed_methods.clone(),
            allowed_headers: headers,
            expose_headers: r.expose_headers.clone().unwrap_or_default(),
            max_age_seconds: r.max_age_seconds,
        });
    }
    Ok(out)
}

/// Evaluates S3's conditional-request headers against an object's ETag and Last-Modified (RFC 7232 as S3 applies
/// it: a matching If-Match overrides If-Unmodified-Since; a failing If-None-Match overrides If-Modified-Since).
fn check_conditions(
    e_tag: Option<&ETag>,
    last_modified: Option<&Timestamp>,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let secs = |t: &Timestamp| time::OffsetDateTime::from(t.clone()).unix_timestamp();
    let matches = |cond: &ETagCondition, weak: bool| match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(want) => e_tag.is_some_and(|have| {
            if weak {
                have.weak_cmp(want)
            } else {
                have.strong_cmp(want)
            }
        }),
    };
    let modified = last_modified.map(secs);
    match if_match {
        Some(cond) if !matches(cond, false) => {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        Some(_) => {}
        None => {
            if let (Some(since), Some(m)) = (if_unmodified_since, modified)
                && m > secs(since)
            {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
    }
    match if_none_match {
        Some(cond) if matches(cond, true) => return Err(s3_error!(NotModified)),
        Some(_) => {}
        None => {
            if let (Some(since), Some(m)) = (if_modified_since, modified)
                && m <= secs(since)
            {
                return Err(s3_error!(NotModified));
            }
        }
    }
    Ok(())
}

/// Maps the key of a CopyObject / UploadPartCopy source like any other key (see [`keys`]).
fn map_copy_source(source: &mut CopySource) {
    if let CopySource::Bucket { key, .. } = source {
        *key = keys::to_fs(key).into_boxed_str();
    }
}

/// Virtual-hosted-style addressing for `<bucket>.s3.localhost` and `<bucket>.s3.<region>.localhost`; any other
/// Host (127.0.0.1, localhost, ...) is path-style.
#[derive(Debug)]
struct EmuHost;

impl s3s::host::S3Host for EmuHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<s3s::host::VirtualHost<'a>> {
        use s3s::host::VirtualHost;
        let h = match host.rsplit_once(':') {
            Some((h, p)) if !h.contains(']') && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        if let Some(rest) = h.strip_suffix(".localhost")
            && let Some((bucket, after)) = rest.split_once(".s3")
            && !bucket.is_empty()
            && (after.is_empty()
                || (after.starts_with('.') && !after[1..].contains('.') && after.len() > 1))
        {
            let vh = VirtualHost::new(h).with_bucket(bucket);
            return Ok(match after.strip_prefix('.') {
                Some(region) => vh.with_region(region),
                None => vh,
            });
        }
        Ok(VirtualHost::new(h))
    }
}

#[async_trait::async_trait]
impl S3 for Emu {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        set_op(&req, "CreateBucket");
        if self.bucket_exists(&req.input.bucket) {
            let region = req
                .extensions
                .get::<ScopeRegion>()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            // AWS: in us-east-1 re-creating your own bucket succeeds (legacy); elsewhere it is BucketAlreadyOwnedByYou.
            if region == "us-east-1" || region.is_empty() {
                return Ok(S3Response::new(CreateBucketOutput {
                    location: Some(format!("/{}", req.input.bucket)),
                }));
            }
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        // AWS's LocationConstraint rules: required (and equal to the endpoint's region) outside us-east-1;
        // `us-east-1` itself is not a valid constraint.
        let region = req
            .extensions
            .get::<ScopeRegion>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_string())
            .filter(|c| !c.is_empty());
        match (&constraint, region.as_str()) {
            (Some(c), _) if c == "us-east-1" => {
                return Err(s3_error!(
                    InvalidLocationConstraint,
                    "The specified location-constraint is not valid"
                ));
            }
            (None, r) if !r.is_empty() && r != "us-east-1" => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            (Some(c), r) if !r.is_empty() && r != "us-east-1" && c != r => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            _ => {}
        }
        let bucket = req.input.bucket.clone();
        let mut resp = self.0.fs.create_bucket(req).await?;
        if constraint.is_some() {
            self.meta_update(&bucket, |m| m.location = constraint);
        }
        resp.output.location = Some(format!("/{bucket}"));
        Ok(resp)
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        set_op(&req, "DeleteBucket");
        let bucket = req.input.bucket.clone();
        self.require_bucket(&bucket)?;
        let path = self
            .bucket_path(&bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let non_empty = std::fs::read_dir(&path)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty"
            ));
        }
        let resp = self.0.fs.delete_bucket(req).await?;
        self.meta_remove(&bucket);
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, u| u.bucket != bucket);
        Ok(resp)
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        set_op(&req, "HeadBucket");
        self.0.fs.head_bucket(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        set_op(&req, "ListBuckets");
        let mut resp = self.0.fs.list_buckets(req).await?;
        if let Some(b) = resp.output.buckets.as_mut() {
            b.sort_by(|x, y| x.name.cmp(&y.name));
        }
        Ok(resp)
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        set_op(&req, "GetBucketLocation");
        let bucket = req.input.bucket.clone();
        let mut resp = self.0.fs.get_bucket_location(req).await?;
        resp.output.location_constraint = self
            .meta_get(&bucket)
            .location
            .map(BucketLocationConstraint::from);
        Ok(resp)
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        set_op(&req, "PutObject");
        self.require_bucket(&req.input.bucket)?;
        // s3s-fs writes the object before it compares digests (leaving a corrupt object behind on BadDigest):
        // check them first.
        let body = match req.input.body.take() {
            Some(b) => collect_blob(b).await?,
            None => Bytes::new(),
        };
        verify_put_digests(&req.input, &body)?;
        req.input.body = Some(blob(body));
        req.input.key = keys::to_fs(&req.input.key);
        let mut echo = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let mut resp = self.0.fs.put_object(req).await?;
        let o = &mut resp.output;
        o.checksum_crc32 = o.checksum_crc32.take().or(echo.checksum_crc32.take());
        o.checksum_crc32c = o.checksum_crc32c.take().or(echo.checksum_crc32c.take());
        o.checksum_sha1 = o.checksum_sha1.take().or(echo.checksum_sha1.take());
        o.checksum_sha256 = o.checksum_sha256.take().or(echo.checksum_sha256.take());
        o.checksum_crc64nvme = o
            .checksum_crc64nvme
            .take()
            .or(echo.checksum_crc64nvme.take());
        if o.checksum_type.is_none()
            && (o.checksum_crc32.is_some()
                || o.checksum_crc32c.is_some()
                || o.checksum_crc64nvme.is_some()
                || o.checksum_sha1.is_some()
                || o.checksum_sha256.is_some())
        {
            o.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
        }
        Ok(resp)
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        set_op(&req, "GetObject");
        self.require_bucket(&req.input.bucket)?;
        match self.object_path(&req.input.bucket, &req.input.key) {
            Some(p) if p.is_file() => {}
            _ => return Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
        }
        let conds = (
            req.input.if_match.clone(),
            req.input.if_none_match.clone(),
            req.input.if_modified_since.clone(),
            req.input.if_unmodified_since.clone(),
        );
        let checksum_mode = checksum_enabled(req.input.checksum_mode.as_ref());
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.get_object(req).await?;
        let o = &mut resp.output;
        o.checksum_type = returned_checksums(
            checksum_mode,
            [
                &mut o.checksum_crc32,
                &mut o.checksum_crc32c,
                &mut o.checksum_crc64nvme,
                &mut o.checksum_sha1,
                &mut o.checksum_sha256,
            ],
        );
        check_conditions(
            resp.output.e_tag.as_ref(),
            resp.output.last_modified.as_ref(),
            conds.0.as_ref(),
            conds.1.as_ref(),
            conds.2.as_ref(),
            conds.3.as_ref(),
        )?;
        Ok(resp)
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        set_op(&req, "HeadObject");
        self.require_bucket(&req.input.bucket)?;
        match self.object_path(&req.input.bucket, &req.input.key) {
            Some(p) if p.is_file() => {}
            _ => return Err(s3_error!(NoSuchKey)),
        }
        let conds = (
            req.input.if_match.clone(),
            req.input.if_none_match.clone(),
            req.input.if_modified_since.clone(),
            req.input.if_unmodified_since.clone(),
        );
        let checksum_mode = checksum_enabled(req.input.checksum_mode.as_ref());
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.head_object(req).await?;
        let o = &mut resp.output;
        o.checksum_type = returned_checksums(
            checksum_mode,
            [
                &mut o.checksum_crc32,
                &mut o.checksum_crc32c,
                &mut o.checksum_crc64nvme,
                &mut o.checksum_sha1,
                &mut o.checksum_sha256,
            ],
        );
        check_conditions(
            resp.output.e_tag.as_ref(),
            resp.output.last_modified.as_ref(),
            conds.0.as_ref(),
            conds.1.as_ref(),
            conds.2.as_ref(),
            conds.3.as_ref(),
        )?;
        Ok(resp)
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        set_op(&req, "DeleteObject");
        self.require_bucket(&req.input.bucket)?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = keys::to_fs(&key);
        let resp = self.0.fs.delete_object(req).await?;
        self.prune_empty_dirs(&bucket, &key);
        Ok(resp)
    }

    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        set_op(&req, "DeleteObjects");
        self.require_bucket(&req.input.bucket)?;
        let bucket = req.input.bucket.clone();
        let deleted: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|o| o.key.clone())
            .collect();
        for o in &mut req.input.delete.objects {
            o.key = keys::to_fs(&o.key);
        }
        let mut resp = self.0.fs.delete_objects(req).await?;
        for d in resp.output.deleted.iter_mut().flatten() {
            d.key = d.key.as_deref().map(keys::from_fs);
        }
        for e in resp.output.errors.iter_mut().flatten() {
            e.key = e.key.as_deref().map(keys::from_fs);
        }
        for key in deleted {
            self.prune_empty_dirs(&bucket, &key);
        }
        Ok(resp)
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        set_op(&req, "CopyObject");
        self.require_bucket(&req.input.bucket)?;
        if let CopySource::Bucket { bucket, key, .. } = &req.input.copy_source {
            self.require_bucket(bucket)?;
            match self.object_path(bucket, key) {
                Some(p) if p.is_file() => {}
                _ => return Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
            }
        }
        map_copy_source(&mut req.input.copy_source);
        req.input.key = keys::to_fs(&req.input.key);
        self.0.fs.copy_object(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        set_op(&req, "ListObjects");
        self.require_bucket(&req.input.bucket)?;
        let all = self.all_objects(&req.input.bucket).await?;
        Ok(S3Response::new(list::objects_v1(all, req.input)?))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        set_op(&req, "ListObjectsV2");
        self.require_bucket(&req.input.bucket)?;
        let all = self.all_objects(&req.input.bucket).await?;
        Ok(S3Response::new(list::objects_v2(all, req.input)?))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        set_op(&req, "CreateMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let algorithm = req
            .input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_string());
        let mut checksum_type = req
            .input
            .checksum_type
            .as_ref()
            .map(|t| t.as_str().to_string());
        if let Some(alg) = &algorithm {
            if hasher_for(alg).is_none() {
                return Err(s3_error!(InvalidRequest, "Unsupported checksum algorithm"));
            }
            let full = checksum_type.as_deref() == Some(ChecksumType::FULL_OBJECT);
            if alg == ChecksumAlgorithm::CRC64NVME
                && checksum_type.as_deref() == Some(ChecksumType::COMPOSITE)
            {
                return Err(s3_error!(
                    InvalidRequest,
                    "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm."
                ));
            }
            if full && (alg == ChecksumAlgorithm::SHA1 || alg == ChecksumAlgorithm::SHA256) {
                return Err(s3_error!(
                    InvalidRequest,
                    "The FULL_OBJECT checksum type cannot be used with the {alg} checksum algorithm."
                ));
            }
            if checksum_type.is_none() {
                checksum_type = Some(
                    if alg == ChecksumAlgorithm::CRC64NVME {
                        ChecksumType::FULL_OBJECT
                    } else {
                        ChecksumType::COMPOSITE
                    }
                    .to_string(),
                );
            }
        }
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let mut req = req;
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.create_multipart_upload(req).await?;
        resp.output.key = Some(key.clone());
        if let Some(id) = &resp.output.upload_id {
            self.0
                .uploads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(
                    id.clone(),
                    UploadInfo {
                        bucket: bucket.clone(),
                        key: key.clone(),
                        initiated: std::time::SystemTime::now(),
                        seq: self
                            .0
                            .upload_seq
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                        algorithm: algorithm.clone(),
                        checksum_type: checksum_type.clone(),
                    },
                );
        }
        resp.output.checksum_algorithm = algorithm.map(ChecksumAlgorithm::from);
        resp.output.checksum_type = checksum_type.map(ChecksumType::from);
        Ok(resp)
    }

    async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        set_op(&req, "UploadPart");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let body = match req.input.body.take() {
            Some(b) => collect_blob(b).await?,
            None => Bytes::new(),
        };
        let given = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let mut computed = Checksum::default();
        for alg in [
            ChecksumAlgorithm::CRC32,
            ChecksumAlgorithm::CRC32C,
            ChecksumAlgorithm::SHA1,
            ChecksumAlgorithm::SHA256,
            ChecksumAlgorithm::CRC64NVME,
        ] {
            let wanted = checksum_value(&given, alg).is_some()
                || req
                    .input
                    .checksum_algorithm
                    .as_ref()
                    .is_some_and(|a| a.as_str() == alg);
            if !wanted {
                continue;
            }
            let mut h = hasher_for(alg).expect("known algorithm");
            h.update(&body);
            let c = h.finalize();
            let got = checksum_value(&c, alg).cloned();
            if let Some(expected) = checksum_value(&given, alg)
                && Some(expected) != got.as_ref()
            {
                return Err(s3_error!(
                    BadDigest,
                    "The {alg} you specified did not match the calculated checksum."
                ));
            }
            match alg {
                ChecksumAlgorithm::CRC32 => computed.checksum_crc32 = got,
                ChecksumAlgorithm::CRC32C => computed.checksum_crc32c = got,
                ChecksumAlgorithm::SHA1 => computed.checksum_sha1 = got,
                ChecksumAlgorithm::SHA256 => computed.checksum_sha256 = got,
                _ => computed.checksum_crc64nvme = got,
            }
        }
        req.input.body = Some(blob(body));
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.upload_part(req).await?;
        let o = &mut resp.output;
        o.checksum_crc32 = computed.checksum_crc32;
        o.checksum_crc32c = computed.checksum_crc32c;
        o.checksum_sha1 = computed.checksum_sha1;
        o.checksum_sha256 = computed.checksum_sha256;
        o.checksum_crc64nvme = computed.checksum_crc64nvme;
        Ok(resp)
    }

    async fn upload_part_copy(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        set_op(&req, "UploadPartCopy");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        map_copy_source(&mut req.input.copy_source);
        req.input.key = keys::to_fs(&req.input.key);
        self.0.fs.upload_part_copy(req).await
    }

    async fn list_parts(
        &self,
        mut req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        set_op(&req, "ListParts");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let key = std::mem::take(&mut req.input.key);
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.list_parts(req).await?;
        resp.output.key = Some(key);
        Ok(resp)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        set_op(&req, "CompleteMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let upload_id = req.input.upload_id.clone();
        let Some(info) = self.upload_for(&req.input.bucket, &req.input.key, &upload_id) else {
            return Err(Self::no_such_upload());
        };
        let bucket = req.input.bucket.clone();
        let key = req.input.key.clone();
        let given = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let req_type = req
            .input
            .checksum_type
            .as_ref()
            .map(|t| t.as_str().to_string());
        let checksum_type = req_type.or(info.checksum_type.clone());
        if let (Some(a), Some(b)) = (&info.checksum_type, &checksum_type)
            && a != b
        {
            return Err(s3_error!(
                InvalidRequest,
                "The upload was created using the {a} checksum mode. The complete request must use the same checksum mode."
            ));
        }
        let mpu_size = req.input.mpu_object_size;

        let mut req = req;
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.complete_multipart_upload(req).await?;
        let mut output = match resp.output.future.take() {
            Some(fut) => fut.await?,
            None => std::mem::take(&mut resp.output),
        };
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&upload_id);

        let path = self
            .object_path(&bucket, &key)
            .ok_or_else(|| s3_error!(InternalError))?;
        if let Some(size) = mpu_size {
            let actual = std::fs::metadata(&path)
                .map(|m| m.len() as i64)
                .unwrap_or(-1);
            if actual != size {
                let _ = std::fs::remove_file(&path);
                return Err(s3_error!(
                    InvalidRequest,
                    "The provided 'x-amz-mp-object-size' header value {size} does not match what was computed: {actual}"
                ));
            }
        }
        // s3s-fs keeps the replaced object's checksums: drop them (the full-object checksum is set below).
        self.set_internal_checksums(&bucket, &key, &Checksum::default())
            .map_err(|e| s3_error!(e, InternalError))?;
        // Full-object checksum: computed over the assembled object and compared with what the client sent.
        if checksum_type.as_deref() == Some(ChecksumType::FULL_OBJECT) {
            let alg = info.algorithm.clone().or_else(|| {
                [
                    ChecksumAlgorithm::CRC64NVME,
                    ChecksumAlgorithm::CRC32C,
                    ChecksumAlgorithm::CRC32,
                ]
                .into_iter()
                .find(|a| checksum_value(&given, a).is_some())
                .map(str::to_string)
            });
            if let Some(alg) = alg
                && let Some(mut h) = hasher_for(&alg)
            {
                let data = tokio::fs::read(&path)
                    .await
                    .map_err(|e| s3_error!(e, InternalError))?;
                h.update(&data);
                let computed = h.finalize();
                if let Some(expected) = checksum_value(&given, &alg)
                    && Some(expected) != checksum_value(&computed, &alg)
                {
                    let _ = std::fs::remove_file(&path);
                    return Err(s3_error!(
                        BadDigest,
                        "The {alg} you specified for the full object did not match the calculated checksum."
                    ));
                }
                self.set_internal_checksums(&bucket, &key, &computed)
                    .map_err(|e| s3_error!(e, InternalError))?;
                output.checksum_crc32 = computed.checksum_crc32;
                output.checksum_crc32c = computed.checksum_crc32c;
                output.checksum_crc64nvme = computed.checksum_crc64nvme;
                output.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
            }
        } else if checksum_type.as_deref() == Some(ChecksumType::COMPOSITE) {
            output.checksum_type = Some(ChecksumType::from_static(ChecksumType::COMPOSITE));
        }
        output.location = Some(format!("/{bucket}/{key}"));
        output.key = Some(key.clone());
        resp.output = output;
        Ok(resp)
    }

    async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        set_op(&req, "AbortMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let id = req.input.upload_id.clone();
        req.input.key = keys::to_fs(&req.input.key);
        let resp = self.0.fs.abort_multipart_upload(req).await?;
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        Ok(resp)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        set_op(&req, "ListMultipartUploads");
        self.require_bucket(&req.input.bucket)?;
        let i = req.input;
        let max = match i.max_uploads {
            Some(n) if n < 0 => {
                return Err(s3_error!(
                    InvalidArgument,
                    "Argument max-uploads must be an integer between 0 and 2147483647"
                ));
            }
            Some(n) => n.min(1000),
            None => 1000,
        };
        let mut uploads: Vec<(String, UploadInfo)> = self
            .0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, u)| u.bucket == i.bucket)
            .map(|(id, u)| (id.clone(), u.clone()))
            .collect();
        uploads.sort_by(|a, b| (&a.1.key, a.1.seq).cmp(&(&b.1.key, b.1.seq)));
        let listing = list::list_uploads(
            &uploads,
            i.prefix.as_deref().unwrap_or(""),
            i.delimiter.as_deref().filter(|d| !d.is_empty()),
            i.key_marker.as_deref().filter(|m| !m.is_empty()),
            i.upload_id_marker.as_deref().filter(|m| !m.is_empty()),
            usize::try_from(max).unwrap_or(0),
        );
        let owner_id = CANONICAL_USER_ID.to_string();
        let entries: Vec<MultipartUpload> = listing
            .uploads
            .iter()
            .map(|(id, u)| MultipartUpload {
                checksum_algorithm: u.algorithm.clone().map(ChecksumAlgorithm::from),
                checksum_type: u.checksum_type.clone().map(ChecksumType::from),
                initiated: Some(Timestamp::from(u.initiated)),
                initiator: Some(Initiator {
                    display_name: None,
                    id: Some(owner_id.clone()),
                }),
                key: Some(u.key.clone()),
                owner: Some(Owner {
                    display_name: None,
                    id: Some(owner_id.clone()),
                }),
                storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                upload_id: Some(id.clone()),
            })
            .collect();
        let mut o = ListMultipartUploadsOutput {
            bucket: Some(i.bucket.clone()),
            common_prefixes: (!listing.prefixes.is_empty()).then(|| {
                listing
                    .prefixes
                    .iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(p.clone()),
                    })
                    .collect()
            }),
            delimiter: i.delimiter.clone(),
            encoding_type: i.encoding_type.clone(),
            is_truncated: Some(listing.truncated),
            key_marker: Some(i.key_marker.clone().unwrap_or_default()),
            max_uploads: Some(max),
            next_key_marker: listing.next.as_ref().map(|n| n.0.clone()),
            next_upload_id_marker: listing.next.as_ref().map(|n| n.1.clone()),
            prefix: i.prefix.clone(),
            request_charged: None,
            upload_id_marker: Some(i.upload_id_marker.clone().unwrap_or_default()),
            uploads: (!entries.is_empty()).then_some(entries),
        };
        if list::wants_url_encoding(i.encoding_type.as_ref()) {
            o.uploads
                .iter_mut()
                .flatten()
                .for_each(|u| list::encode_opt(&mut u.key));
            o.common_prefixes
                .iter_mut()
                .flatten()
                .for_each(|c| list::encode_opt(&mut c.prefix));
            list::encode_opt(&mut o.prefix);
            list::encode_opt(&mut o.delimiter);
            list::encode_opt(&mut o.key_marker);
            list::encode_opt(&mut o.next_key_marker);
        }
        Ok(S3Response::new(o))
    }

    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        set_op(&req, "PutBucketCors");
        self.require_bucket(&req.input.bucket)?;
        let rules = validate_cors(&req.input.cors_configuration.cors_rules)?;
        self.meta_update(&req.input.bucket, |m| m.cors = Some(rules));
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        set_op(&req, "GetBucketCors");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).cors {
            Some(rules) => Ok(S3Response::new(GetBucketCorsOutput {
                cors_rules: Some(
                    rules
                        .into_iter()
                        .map(|r| CORSRule {
                            allowed_headers: (!r.allowed_headers.is_empty())
                                .then_some(r.allowed_headers),
                            allowed_methods: r.allowed_methods,
                            allowed_origins: r.allowed_origins,
                            expose_headers: (!r.expose_headers.is_empty())
                                .then_some(r.expose_headers),
                            id: r.id,
                            max_age_seconds: r.max_age_seconds,
                        })
                        .collect(),
                ),
            })),
            None => Err(s3_error!(
                NoSuchCORSConfiguration,
                "The CORS configuration does not exist"
            )),
        }
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        set_op(&req, "DeleteBucketCors");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.cors = None);
        Ok(S3Response::with_status(
            DeleteBucketCorsOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        set_op(&req, "PutBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        validate_policy(&req.input.policy)?;
        let policy = req.input.policy.clone();
        self.meta_update(&req.input.bucket, |m| m.policy = Some(policy));
        Ok(S3Response::with_status(
            PutBucketPolicyOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        set_op(&req, "GetBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).policy {
            Some(policy) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(policy),
            })),
            None => Err(s3_error!(
                NoSuchBucketPolicy,
                "The bucket policy does not exist"
            )),
        }
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        set_op(&req, "DeleteBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.policy = None);
        Ok(S3Response::with_status(
            DeleteBucketPolicyOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        set_op(&req, "PutBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        let mut tags = Vec::new();
        for t in &req.input.tagging.tag_set {
            let (Some(k), Some(v)) = (&t.key, &t.value) else {
                return Err(s3_error!(InvalidTag, "Tags must have a key and a value"));
            };
            if tags.iter().any(|(x, _): &(String, String)| x == k) {
                return Err(s3_error!(
                    InvalidTag,
                    "Cannot provide multiple Tags with the same key"
                ));
            }
            tags.push((k.clone(), v.clone()));
        }
        self.meta_update(&req.input.bucket, |m| m.tags = Some(tags));
        Ok(S3Response::with_status(
            PutBucketTaggingOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        set_op(&req, "GetBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).tags {
            Some(tags) => Ok(S3Response::new(GetBucketTaggingOutput {
                tag_set: tags
                    .into_iter()
                    .map(|(k, v)| Tag {
                        key: Some(k),
                        value: Some(v),
                    })
                    .collect(),
            })),
            None => Err(s3_error!(NoSuchTagSet, "The TagSet does not exist")),
        }
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        set_op(&req, "DeleteBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.tags = None);
        Ok(S3Response::with_status(
            DeleteBucketTaggingOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }
}

/// S3 storage. CONTRACT (used by mediaconvert and edge): the methods below.
pub struct Store {
    emu: Emu,
    service: s3s::service::S3Service,
}

fn s3req<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: http::Method::GET,
        uri: http::Uri::from_static("/"),
        headers: HeaderMap::new(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

impl Store {
    /// Opens (creating if needed) the S3 store rooted at `root`.
    pub fn new(root: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let fs =
            s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let meta: BTreeMap<String, BucketMeta> = std::fs::read(root.join(META_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let emu = Emu(Arc::new(Inner {
            fs,
            root,
            meta: Mutex::new(meta),
            uploads: Mutex::new(HashMap::new()),
            upload_seq: Default::default(),
        }));
        let mut builder = s3s::service::S3ServiceBuilder::new(emu.clone());
        builder.set_host(EmuHost);
        let service = builder.build();
        Ok(Store { emu, service })
    }

    /// Reads an object; `None` when the bucket or key is missing.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Option<StoredObject> {
        let input = GetObjectInput::builder()
            .bucket(bucket.into())
            .key(key.into())
            .build()
            .ok()?;
        let resp = S3::get_object(&self.emu, s3req(input)).await.ok()?;
        let o = resp.output;
        let body = collect_blob(o.body?).await.ok()?;
        Some(StoredObject {
            body,
            content_type: o.content_type,
            cache_control: o.cache_control,
            etag: o
                .e_tag
                .map(|e| format!("\"{}\"", e.value()))
                .unwrap_or_default(),
            last_modified: o
                .last_modified
                .map(|t| std::time::SystemTime::from(time::OffsetDateTime::from(t)))
                .unwrap_or_else(std::time::SystemTime::now),
        })
    }
    /// Writes an object (creating nothing else: the bucket must exist).
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: Option<&str>,
        cache_control: Option<&str>,
    ) -> Result<(), String> {
        let len = body.len() as i64;
        let input = PutObjectInput::builder()
            .bucket(bucket.into())
            .key(key.into())
            .body(Some(blob(body)))
            .content_length(Some(len))
            .content_type(content_type.map(str::to_string))
            .cache_control(cache_control.map(str::to_string))
            .build()
            .map_err(|e| e.to_string())?;
        S3::put_object(&self.emu, s3req(input))
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code().as_str(), e.message().unwrap_or("")))
    }
    /// Keys under a prefix, sorted.
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        while let Ok(input) = ListObjectsV2Input::builder()
            .bucket(bucket.into())
            .prefix(Some(prefix.to_string()))
            .continuation_token(token.clone())
            .build()
        {
            let Ok(resp) = S3::list_objects_v2(&self.emu, s3req(input)).await else {
                break;
            };
            let o = resp.output;
            keys.extend(o.contents.into_iter().flatten().filter_map(|c| c.key));
            match o.next_continuation_token {
                Some(t) if o.is_truncated == Some(true) && Some(&t) != token.as_ref() => {
                    token = Some(t)
                }
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }
    /// Whether the bucket exists.
    pub async fn bucket_exists(&self, bucket: &str) -> bool {
        self.emu.bucket_exists(bucket)
    }
    /// The bucket's CORS rules (PutBucketCors), in order; `None` when the bucket or its configuration is missing.
    pub async fn bucket_cors(&self, bucket: &str) -> Option<Vec<CorsRuleView>> {
        if !self.emu.bucket_exists(bucket) {
            return None;
        }
        self.emu.meta_get(bucket).cors
    }
    /// The bucket policy JSON, if one is set.
    pub async fn bucket_policy(&self, bucket: &str) -> Option<String> {
        if !self.emu.bucket_exists(bucket) {
            return None;
        }
        self.emu.meta_get(bucket).policy
    }
}

/// Query parameters of a presigned URL's signature (removed before s3s sees the request).
const PRESIGN_PARAMS: [&str; 7] = [
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-signedheaders",
    "x-amz-signature",
    "x-amz-security-token",
];

fn strip_presign_query(uri: &http::Uri) -> http::Uri {
    let Some(q) = uri.query() else {
        return uri.clone();
    };
    let kept: Vec<&str> = q
        .split('&')
        .filter(|pair| {
            let k = pair.split('=').next().unwrap_or("");
            !PRESIGN_PARAMS.contains(&k.to_ascii_lowercase().as_str())
        })
        .collect();
    let pq = if kept.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), kept.join("&"))
    };
    pq.parse().unwrap_or_else(|_| uri.clone())
}

/// Trailing headers of an aws-chunked body, lowercased name and value.
pub type Trailers = Vec<(String, String)>;

/// Decodes an `aws-chunked` body (`size[;chunk-signature=..]\r\n data \r\n ... 0\r\n trailers \r\n`).
/// Returns the payload and the trailing headers.
pub fn decode_aws_chunked(body: &[u8]) -> Result<(Vec<u8>, Trailers), String> {
    let mut out = Vec::with_capacity(body.len());
    let mut pos = 0usize;
    let line = |pos: &mut usize| -> Result<&[u8], String> {
        let rest = &body[*pos..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("aws-chunked: missing CRLF")?;
        *pos += end + 2;
        Ok(&rest[..end])
    };
    loop {
        let header = line(&mut pos)?;
        let header = std::str::from_utf8(header).map_err(|_| "aws-chunked: bad chunk header")?;
        let size_hex = header.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| format!("aws-chunked: bad chunk size `{size_hex}`"))?;
        if size == 0 {
            break;
        }
        if pos + size + 2 > body.len() {
            return Err("aws-chunked: truncated chunk".into());
        }
        out.extend_from_slice(&body[pos..pos + size]);
        pos += size;
        if &body[pos..pos + 2] != b"\r\n" {
            return Err("aws-chunked: missing CRLF after chunk data".into());
        }
        pos += 2;
    }
    let mut trailers = Vec::new();
    while pos < body.len() {
        let l = match line(&mut pos) {
            Ok(l) => l,
            Err(_) => &body[pos..],
        };
        if l.is_empty() {
            if pos >= body.len() {
                break;
            }
            continue;
        }
        let l = String::from_utf8_lossy(l).to_string();
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k != "x-amz-trailer-signature" {
                trailers.push((k, v.trim().to_string()));
            }
        }
        if pos >= body.len() {
            break;
        }
    }
    Ok((out, trailers))
}

/// Turns a signed request into the anonymous, plain-bodied request s3s serves without an auth provider.
fn to_anonymous(req: &Req) -> Result<(http::Uri, HeaderMap, Bytes), String> {
    let mut headers = req.headers.clone();
    headers.remove(http::header::AUTHORIZATION);
    let sha = headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let encodings: Vec<String> = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    let chunked = sha.starts_with("STREAMING-")
        || encodings
            .iter()
            .any(|e| e.eq_ignore_ascii_case("aws-chunked"));
    let mut body = req.body.clone();
    if chunked {
        let (payload, trailers) = decode_aws_chunked(&req.body)?;
        if let Some(expected) = headers
            .get("x-amz-decoded-content-length")
            .and_then(|v| v.to_str().ok())
            && expected.parse::<usize>().ok() != Some(payload.len())
        {
            return Err(format!(
                "aws-chunked: decoded {} bytes but x-amz-decoded-content-length is {expected}",
                payload.len()
            ));
        }
        body = Bytes::from(payload);
        headers.remove("x-amz-decoded-content-length");
        headers.remove("x-amz-trailer");
        headers.remove(http::header::CONTENT_ENCODING);
        let rest: Vec<&String> = encodings
            .iter()
            .filter(|e| !e.eq_ignore_ascii_case("aws-chunked"))
            .collect();
        if !rest.is_empty() {
            let joined = rest
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&joined) {
                headers.insert(http::header::CONTENT_ENCODING, v);
            }
        }
        for (k, v) in trailers {
            if let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                headers.insert(k, v);
            }
        }
    }
    headers.remove("x-amz-content-sha256");
    headers.remove(http::header::TRANSFER_ENCODING);
    headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    Ok((strip_presign_query(&req.uri), headers, body))
}

/// A best-effort operation name for requests s3s answered without reaching [`Emu`] (parse errors, unknown ops).
fn guess_operation(method: &http::Method, uri: &http::Uri) -> &'static str {
    let path = uri.path().trim_start_matches('/');
    let has_key = path.contains('/') && !path.ends_with('/')
        || path.split_once('/').is_some_and(|(_, k)| !k.is_empty());
    match (method.as_str(), path.is_empty(), has_key) {
        ("GET", true, _) => "ListBuckets",
        ("PUT", false, false) => "CreateBucket",
        ("DELETE", false, false) => "DeleteBucket",
        ("HEAD", false, false) => "HeadBucket",
        ("GET", false, false) => "ListObjects",
        ("PUT", false, true) => "PutObject",
        ("GET", false, true) => "GetObject",
        ("HEAD", false, true) => "HeadObject",
        ("DELETE", false, true) => "DeleteObject",
        _ => "Unknown",
    }
}

/// Serves an S3 request.
pub async fn handle(shared: &SharedRef, req: Req) -> Resp {
    let request_id = req.ctx.request_id.clone();
    let (uri, headers, body) = match to_anonymous(&req) {
        Ok(x) => x,
        Err(e) => {
            let mut r = crate::wire::s3_xml_error(
                StatusCode::BAD_REQUEST,
                "IncompleteBody",
                &e,
                &request_id,
            );
            r.headers_mut().insert(
                crate::wire::OPERATION_HEADER,
                HeaderValue::from_static("Unknown"),
            );
            return r;
        }
    };
    let mut hreq = http::Request::builder()
        .method(req.method.clone())
        .uri(uri.clone());
    if let Some(h) = hreq.headers_mut() {
        *h = headers;
    }
    let mut hreq = match hreq.body(s3s::Body::from(body)) {
        Ok(r) => r,
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                &e.to_string(),
                &request_id,
            );
        }
    };
    let slot = OpSlot::default();
    hreq.extensions_mut().insert(slot.clone());
    hreq.extensions_mut()
        .insert(ScopeRegion(req.ctx.region.clone()));
    let resp = match shared.s3.service.call(hreq).await {
        Ok(r) => r,
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("{e:?}"),
                &request_id,
            );
        }
    };
    let (mut parts, body) = resp.into_parts();
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            return crate::wire::s3_xml_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &e.to_string(),
                &request_id,
            );
        }
    };
    let op = slot
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .unwrap_or_else(|| guess_operation(&req.method, &uri));
    parts
        .headers
        .insert(crate::wire::OPERATION_HEADER, HeaderValue::from_static(op));
    if req.method == http::Method::HEAD {
        // Keep the object's Content-Length on HEAD (the body is empty by definition).
        return http::Response::from_parts(parts, Bytes::new());
    }
    let mut bytes = bytes;
    if parts.status.as_u16() >= 400
        && bytes.windows(8).any(|w| w == b"</Error>")
        && !bytes.windows(11).any(|w| w == b"<RequestId>")
    {
        // s3s's error bodies lack the RequestId/HostId that S3 sends.
        let text = String::from_utf8_lossy(&bytes).replacen(
            "</Error>",
            &format!(
                "<RequestId>{rid}</RequestId><HostId>{rid}</HostId></Error>",
                rid = crate::wire::xml_escape(&request_id)
            ),
            1,
        );
        bytes = Bytes::from(text);
    }
    if !parts.headers.contains_key(http::header::CONTENT_LENGTH) || !bytes.is_empty() {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    }
    http::Response::from_parts(parts, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_signed_and_unsigned_aws_chunked() {
        let signed = b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=ghi\r\nx-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:zzz\r\n\r\n";
        let (body, trailers) = decode_aws_chunked(signed).unwrap();
        assert_eq!(body, b"hello world");
        assert_eq!(
            trailers,
            vec![("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]
        );
        let unsigned = b"3\r\nabc\r\n0\r\nx-amz-checksum-crc64nvme:AAAA\r\n\r\n";
        let (body, trailers) = decode_aws_chunked(unsigned).unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(trailers[0].0, "x-amz-checksum-crc64nvme");
        let no_trailer = b"3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(
            decode_aws_chunked(no_trailer).unwrap(),
            (b"abc".to_vec(), vec![])
        );
        assert!(decode_aws_chunked(b"10\r\nshort\r\n").is_err());
        assert!(decode_aws_chunked(b"zz\r\n").is_err());
    }

    #[test]
    fn strips_presigned_query() {
        let uri: http::Uri = "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&partNumber=1&X-Amz-Signature=00".parse().unwrap();
        assert_eq!(strip_presign_query(&uri).to_string(), "/b/k?partNumber=1");
        let uri: http::Uri = "/b/k?X-Amz-Signature=00".parse().unwrap();
        assert_eq!(strip_presign_query(&uri).to_string(), "/b/k");
    }
}
