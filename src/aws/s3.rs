//! S3 steps: buckets, uploads of source files, the origin bucket's CORS configuration and policy.

use std::path::Path;

use aws_sdk_s3::types::{
    BucketLocationConstraint, CorsConfiguration, CorsRule as S3CorsRule, CreateBucketConfiguration,
    Delete, ObjectIdentifier, Tag, Tagging,
};

use super::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::OutputKey;
use crate::plan::{BucketCorsParams, BucketParams, Params, PolicyParams, Step, UploadParams};
use crate::upload::Compared;

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    match &step.params {
        Params::Bucket(p) => bucket(ctx, p, mode).await,
        Params::Upload(p) => upload(ctx, step, p, mode).await,
        Params::BucketCors(p) => bucket_cors(ctx, p, mode).await,
        Params::Policy(p) => bucket_policy(ctx, step, p, mode).await,
        _ => Err(unexpected(step)),
    }
}

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match &step.params {
        Params::Bucket(p) => destroy_bucket(ctx, p).await,
        Params::Upload(p) if ctx.options.delete_buckets => {
            let s3 = &ctx.clients.s3;
            match s3
                .head_object()
                .bucket(p.bucket.as_str())
                .key(&p.key)
                .send()
                .await
            {
                Ok(_) => {
                    s3.delete_object()
                        .bucket(p.bucket.as_str())
                        .key(&p.key)
                        .send()
                        .await
                        .map_err(|e| aws_error("s3:DeleteObject", &p.key, e))?;
                    Ok(StepReport::new(Change::Delete))
                }
                Err(e) if is_not_found(&e) => Ok(StepReport::new(Change::Absent)),
                Err(e) => Err(aws_error("s3:HeadObject", &p.key, e)),
            }
        }
        Params::Upload(_) => Ok(StepReport::new(Change::Kept)),
        Params::BucketCors(p) => {
            let s3 = &ctx.clients.s3;
            match s3.get_bucket_cors().bucket(p.bucket.as_str()).send().await {
                Ok(_) => {
                    s3.delete_bucket_cors()
                        .bucket(p.bucket.as_str())
                        .send()
                        .await
                        .map_err(|e| aws_error("s3:DeleteBucketCors", p.bucket.as_str(), e))?;
                    Ok(StepReport::new(Change::Delete))
                }
                Err(e)
                    if matches!(
                        error_code(&e),
                        Some("NoSuchCORSConfiguration" | "NoSuchBucket")
                    ) =>
                {
                    Ok(StepReport::new(Change::Absent))
                }
                Err(e) => Err(aws_error("s3:GetBucketCors", p.bucket.as_str(), e)),
            }
        }
        Params::Policy(p) => {
            let s3 = &ctx.clients.s3;
            match s3.get_bucket_policy().bucket(&p.target).send().await {
                Ok(_) => {
                    s3.delete_bucket_policy()
                        .bucket(&p.target)
                        .send()
                        .await
                        .map_err(|e| aws_error("s3:DeleteBucketPolicy", &p.target, e))?;
                    Ok(StepReport::new(Change::Delete))
                }
                Err(e) if matches!(error_code(&e), Some("NoSuchBucketPolicy" | "NoSuchBucket")) => {
                    Ok(StepReport::new(Change::Absent))
                }
                Err(e) => Err(aws_error("s3:GetBucketPolicy", &p.target, e)),
            }
        }
        _ => Err(unexpected(step)),
    }
}

fn unexpected(step: &Step) -> Error {
    Error::internal(&step.id, "the S3 executor does not handle these parameters")
}

fn is_not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool
where
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            matches!(
                s.err().code(),
                Some("NotFound" | "NoSuchKey" | "NoSuchBucket" | "404")
            )
        }
        _ => false,
    }
}

/// Whether the bucket exists and is ours: `Ok(true)` ours, `Ok(false)` missing, `Err(Conflict)` someone else's.
async fn bucket_state(ctx: &Ctx, bucket: &str) -> Result<bool, Error> {
    let s3 = &ctx.clients.s3;
    // ListBuckets lists only the caller's own buckets: that is how ownership is told apart.
    let mut pages = s3.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("s3:ListBuckets", bucket, e))?;
        if page.buckets().iter().any(|b| b.name() == Some(bucket)) {
            return Ok(true);
        }
    }
    match s3.head_bucket().bucket(bucket).send().await {
        Err(e)
            if is_not_found(&e) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Ok(false)
        }
        // It exists, and it is not among this account's buckets: 200 (readable) or 403 (not ours).
        Ok(_) => Err(owned_by_another(bucket)),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => {
            Err(owned_by_another(bucket))
        }
        Err(e) => Err(aws_error("s3:HeadBucket", bucket, e)),
    }
}

fn owned_by_another(bucket: &str) -> Error {
    Error::Conflict {
        resource: format!("s3://{bucket}"),
        reason: "the bucket exists but belongs to another account (it is not in this account's ListBuckets); choose another name: S3 bucket names are global".into(),
    }
}

async fn bucket(ctx: &Ctx, p: &BucketParams, mode: Mode) -> Result<StepReport, Error> {
    let name = p.bucket.as_str();
    if bucket_state(ctx, name).await? {
        return Ok(StepReport::new(Change::NoOp).output(OutputKey::Bucket, name));
    }
    if mode == Mode::Refresh {
        return Ok(StepReport::new(Change::Create).output(OutputKey::Bucket, name));
    }
    let s3 = &ctx.clients.s3;
    let mut req = s3.create_bucket().bucket(name);
    if p.region.as_str() != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(p.region.as_str()))
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if error_code(&e) == Some("BucketAlreadyOwnedByYou") => {}
        Err(e) if error_code(&e) == Some("BucketAlreadyExists") => {
            return Err(Error::Conflict {
                resource: format!("s3://{name}"),
                reason: "the bucket name is taken by another account; choose another name".into(),
            });
        }
        Err(e) => return Err(aws_error("s3:CreateBucket", name, e)),
    }
    let tags: Result<Vec<Tag>, _> = p
        .tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags.map_err(|e| {
            Error::internal(name, format!("cannot build the request: {e}"))
        })?))
        .build()
        .map_err(|e| Error::internal(name, format!("cannot build the request: {e}")))?;
    s3.put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| aws_error("s3:PutBucketTagging", name, e))?;
    Ok(StepReport::new(Change::Create).output(OutputKey::Bucket, name))
}

async fn destroy_bucket(ctx: &Ctx, p: &BucketParams) -> Result<StepReport, Error> {
    if !ctx.options.delete_buckets {
        return Ok(StepReport::new(Change::Kept));
    }
    let name = p.bucket.as_str();
    let s3 = &ctx.clients.s3;
    match s3.head_bucket().bucket(name).send().await {
        Err(e)
            if is_not_found(&e) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            return Ok(StepReport::new(Change::Absent));
        }
        Err(e) => return Err(aws_error("s3:HeadBucket", name, e)),
        Ok(_) => {}
    }
    // Abort unfinished multipart uploads, then delete every object, 1000 at a time.
    let uploads = s3
        .list_multipart_uploads()
        .bucket(name)
        .send()
        .await
        .map_err(|e| aws_error("s3:ListMultipartUploads", name, e))?;
    for u in uploads.uploads() {
        if let (Some(key), Some(id)) = (u.key(), u.upload_id()) {
            s3.abort_multipart_upload()
                .bucket(name)
                .key(key)
                .upload_id(id)
                .send()
                .await
                .map_err(|e| aws_error("s3:AbortMultipartUpload", key, e))?;
        }
    }
    let mut pages = s3.list_objects_v2().bucket(name).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("s3:ListObjectsV2", name, e))?;
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| {
                ObjectIdentifier::builder()
                    .set_key(o.key().map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            continue;
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| Error::internal(name, format!("cannot build the request: {e}")))?;
        s3.delete_objects()
            .bucket(name)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws_error("s3:DeleteObjects", name, e))?;
    }
    s3.delete_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| aws_error("s3:DeleteBucket", name, e))?;
    Ok(StepReport::new(Change::Delete))
}

async fn upload(ctx: &Ctx, step: &Step, p: &UploadParams, mode: Mode) -> Result<StepReport, Error> {
    let path = Path::new(&p.file);
    let s3 = &ctx.clients.s3;
    // Multipart above the part size, per-part retries, resume of an interrupted upload, and the
    // stored checksum verified (src/upload). The size-and-checksum skip is decided here, first, so
    // that refresh can report it without uploading.
    let uploader = crate::upload::Uploader::builder(s3.clone())
        .skip_unchanged(false)
        .build();
    let job = crate::upload::UploadJob::new(path, p.bucket.as_str(), &p.key)
        .content_type(crate::types::content_type(&p.key));
    let (compared, size) = uploader.compare(&job).await?;
    let change = match compared {
        Compared::Absent => Change::Create,
        Compared::Same { checksum, .. } => {
            return Ok(StepReport::new(Change::NoOp).output(OutputKey::Checksum, checksum));
        }
        Compared::Differs { live_size } => Change::Update {
            diff: vec![format!(
                "{}: size {live_size} -> {size} bytes or checksum differs",
                p.key
            )],
        },
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }
    ctx.emit(Event::UploadProgress {
        step: step.id.clone(),
        bytes_sent: 0,
        bytes_total: size,
    });
    let report = uploader
        .upload(&job, &|pr| {
            ctx.emit(Event::UploadProgress {
                step: step.id.clone(),
                bytes_sent: pr.bytes_sent,
                bytes_total: pr.bytes_total,
            })
        })
        .await?;
    Ok(StepReport::new(change)
        .output(OutputKey::Etag, report.e_tag.unwrap_or_default())
        .output(OutputKey::Checksum, report.checksum))
}

fn cors_rules(p: &BucketCorsParams) -> Result<Vec<S3CorsRule>, Error> {
    p.rules
        .iter()
        .map(|r| {
            S3CorsRule::builder()
                .set_allowed_origins(Some(
                    r.allowed_origins.iter().map(|o| o.to_string()).collect(),
                ))
                .set_allowed_methods(Some(r.allowed_methods.clone()))
                .set_allowed_headers(Some(r.allowed_headers.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()))
                .max_age_seconds(r.max_age_seconds as i32)
                .build()
                .map_err(|e| {
                    Error::internal(p.bucket.as_str(), format!("cannot build the request: {e}"))
                })
        })
        .collect()
}

/// Comparable form of a CORS rule (order of rules matters; order inside lists does not).
fn cors_key(r: &S3CorsRule) -> String {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    format!(
        "origins {:?} methods {:?} headers {:?} expose {:?} max-age {:?}",
        sorted(r.allowed_origins()),
        sorted(r.allowed_methods()),
        sorted(r.allowed_headers()),
        sorted(r.expose_headers()),
        r.max_age_seconds()
    )
}

async fn bucket_cors(ctx: &Ctx, p: &BucketCorsParams, mode: Mode) -> Result<StepReport, Error> {
    let s3 = &ctx.clients.s3;
    let bucket = p.bucket.as_str();
    let want = cors_rules(p)?;
    let change = match s3.get_bucket_cors().bucket(bucket).send().await {
        Ok(live) => {
            let live_keys: Vec<_> = live.cors_rules().iter().map(cors_key).collect();
            let want_keys: Vec<_> = want.iter().map(cors_key).collect();
            if live_keys == want_keys {
                return Ok(StepReport::new(Change::NoOp));
            }
            Change::Update {
                diff: vec![format!("CORS rules: {live_keys:?} -> {want_keys:?}")],
            }
        }
        Err(e) if matches!(error_code(&e), Some("NoSuchCORSConfiguration")) => Change::Create,
        Err(e) if mode == Mode::Refresh && matches!(error_code(&e), Some("NoSuchBucket")) => {
            Change::Create
        }
        Err(e) => return Err(aws_error("s3:GetBucketCors", bucket, e)),
    };
    if mode == Mode::Apply {
        let conf = CorsConfiguration::builder()
            .set_cors_rules(Some(want))
            .build()
            .map_err(|e| Error::internal(bucket, format!("cannot build the request: {e}")))?;
        s3.put_bucket_cors()
            .bucket(bucket)
            .cors_configuration(conf)
            .send()
            .await
            .map_err(|e| aws_error("s3:PutBucketCors", bucket, e))?;
    }
    Ok(StepReport::new(change))
}

async fn bucket_policy(
    ctx: &Ctx,
    step: &Step,
    p: &PolicyParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let s3 = &ctx.clients.s3;
    let want = p
        .policy
        .document(|d| ctx.value(step, d, mode))?
        .map(|doc| doc.to_string());
    let live = match s3.get_bucket_policy().bucket(&p.target).send().await {
        Ok(o) => o.policy().map(str::to_owned),
        Err(e) if matches!(error_code(&e), Some("NoSuchBucketPolicy")) => None,
        Err(e) if mode == Mode::Refresh && matches!(error_code(&e), Some("NoSuchBucket")) => None,
        Err(e) => return Err(aws_error("s3:GetBucketPolicy", &p.target, e)),
    };
    let change = policy_change(live.as_deref(), want.as_deref());
    if mode == Mode::Apply && change != Change::NoOp {
        let want = want.unwrap_or_default();
        s3.put_bucket_policy()
            .bucket(&p.target)
            .policy(want)
            .send()
            .await
            .map_err(|e| aws_error("s3:PutBucketPolicy", &p.target, e))?;
    }
    Ok(StepReport::new(change))
}

/// Compares policy documents as JSON values (whitespace and key order do not matter).
pub(crate) fn policy_change(live: Option<&str>, want: Option<&str>) -> Change {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    match (live, want) {
        (None, _) => Change::Create,
        (Some(_), None) => Change::Update {
            diff: vec!["policy: names a resource that apply has not created yet".into()],
        },
        (Some(l), Some(w)) if parse(l).is_some() && parse(l) == parse(w) => Change::NoOp,
        (Some(_), Some(_)) => Change::Update {
            diff: vec!["policy document differs".into()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_as_json() {
        assert_eq!(policy_change(None, Some("{}")), Change::Create);
        assert_eq!(
            policy_change(Some("{\"a\": 1, \"b\": [2]}"), Some("{\"b\":[2],\"a\":1}")),
            Change::NoOp
        );
        assert!(matches!(
            policy_change(Some("{\"a\": 1}"), Some("{\"a\": 2}")),
            Change::Update { .. }
        ));
        assert!(matches!(
            policy_change(Some("{}"), None),
            Change::Update { .. }
        ));
    }
}

#[cfg(test)]
mod mock_tests;
