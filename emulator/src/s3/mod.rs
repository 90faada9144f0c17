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
mod bucket_cors;
mod buckets;
mod checks;
mod keys;
mod list;
mod multipart;
mod objects;
mod request;
mod store;

pub(crate) use bucket_cors::{
    NOT_ALLOWED as CORS_NOT_ALLOWED, NOT_ENABLED as CORS_NOT_ENABLED,
    for_actual_request as cors_for_actual_request, rule_headers as cors_rule_headers,
};
pub(crate) use request::virtual_host_bucket;
pub use request::{Trailers, decode_aws_chunked, handle};
pub use store::Store;

use checks::*;
use store::s3req;

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
    /// Held across the check and the write of a conditional PutObject, so that of two racing
    /// `If-None-Match: *` writes exactly one succeeds, as S3 guarantees.
    conditional_writes: tokio::sync::Mutex<()>,
    /// When each bucket was created by this process (for the `new_bucket_window_ms` knob).
    created: Mutex<HashMap<String, std::time::Instant>>,
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

/// The s3s trait: each operation is the inherent method of the same name (buckets.rs, objects.rs, multipart.rs).
macro_rules! s3_operations {
    ($($op:ident: $input:ident => $output:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for Emu {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    Emu::$op(self, req).await
                }
            )*
        }
    };
}

s3_operations! {
    create_bucket: CreateBucketInput => CreateBucketOutput;
    delete_bucket: DeleteBucketInput => DeleteBucketOutput;
    head_bucket: HeadBucketInput => HeadBucketOutput;
    list_buckets: ListBucketsInput => ListBucketsOutput;
    get_bucket_location: GetBucketLocationInput => GetBucketLocationOutput;
    put_object: PutObjectInput => PutObjectOutput;
    get_object: GetObjectInput => GetObjectOutput;
    head_object: HeadObjectInput => HeadObjectOutput;
    delete_object: DeleteObjectInput => DeleteObjectOutput;
    delete_objects: DeleteObjectsInput => DeleteObjectsOutput;
    copy_object: CopyObjectInput => CopyObjectOutput;
    list_objects: ListObjectsInput => ListObjectsOutput;
    list_objects_v2: ListObjectsV2Input => ListObjectsV2Output;
    create_multipart_upload: CreateMultipartUploadInput => CreateMultipartUploadOutput;
    upload_part: UploadPartInput => UploadPartOutput;
    upload_part_copy: UploadPartCopyInput => UploadPartCopyOutput;
    list_parts: ListPartsInput => ListPartsOutput;
    complete_multipart_upload: CompleteMultipartUploadInput => CompleteMultipartUploadOutput;
    abort_multipart_upload: AbortMultipartUploadInput => AbortMultipartUploadOutput;
    list_multipart_uploads: ListMultipartUploadsInput => ListMultipartUploadsOutput;
    put_bucket_cors: PutBucketCorsInput => PutBucketCorsOutput;
    get_bucket_cors: GetBucketCorsInput => GetBucketCorsOutput;
    delete_bucket_cors: DeleteBucketCorsInput => DeleteBucketCorsOutput;
    put_bucket_policy: PutBucketPolicyInput => PutBucketPolicyOutput;
    get_bucket_policy: GetBucketPolicyInput => GetBucketPolicyOutput;
    delete_bucket_policy: DeleteBucketPolicyInput => DeleteBucketPolicyOutput;
    put_bucket_tagging: PutBucketTaggingInput => PutBucketTaggingOutput;
    get_bucket_tagging: GetBucketTaggingInput => GetBucketTaggingOutput;
    delete_bucket_tagging: DeleteBucketTaggingInput => DeleteBucketTaggingOutput;
}
