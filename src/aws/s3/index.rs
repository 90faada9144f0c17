//! The published-asset index: one empty object per published asset,
//! `<output prefix>.vod-pipeline/assets/<asset>/<job id>`, in the output bucket. Listing the folder
//! lists the catalog (a page per 1,000 assets) without reading any asset's own folder; the key
//! carries the job id, so a listing says which job produced each asset.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::aws::{Ctx, aws_error};
use crate::error::Error;
use crate::names::parse_s3_uri;

/// Records the asset (folder `s3://bucket/…/assets/<asset>/`) as published by `job_id`, and removes
/// the entries written before it. Entries written after it (a concurrent republish of the same id)
/// stay: of two publishers racing, the later entry survives, never neither.
pub(crate) async fn record(ctx: &Ctx, folder: &str, job_id: &str) -> Result<(), Error> {
    let (bucket, prefix) = split(folder)?;
    let key = format!("{prefix}{job_id}");
    ctx.clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(&key)
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .map_err(|e| aws_error("s3:PutObject", folder, e))?;
    let entries = list_dated(ctx, bucket, prefix).await?;
    let Some(ours) = entries.iter().find(|(k, _)| *k == key).map(|(_, t)| *t) else {
        // Not listed yet: leave the others; listings take the newest entry of an asset.
        return Ok(());
    };
    // Ordered by time, then key (MediaConvert job ids begin with their creation time in ms): a
    // total order, so that of racing publishers exactly one entry, the greatest, survives.
    let stale: Vec<String> = entries
        .into_iter()
        .filter(|(k, t)| (*t, k.as_str()) < (ours, key.as_str()))
        .map(|(k, _)| k)
        .collect();
    delete(ctx, bucket, &stale).await
}

/// Removes the asset from the index.
pub(crate) async fn remove(ctx: &Ctx, folder: &str) -> Result<usize, Error> {
    let (bucket, prefix) = split(folder)?;
    let keys = list(ctx, bucket, prefix).await?;
    delete(ctx, bucket, &keys).await?;
    Ok(keys.len())
}

fn split(folder: &str) -> Result<(&str, &str), Error> {
    parse_s3_uri(folder)
        .filter(|(_, p)| p.ends_with('/'))
        .ok_or_else(|| {
            Error::internal(
                "published index",
                format!("{folder} is not an s3:// folder"),
            )
        })
}

/// Every key under `prefix`, page by page.
pub(crate) async fn list(ctx: &Ctx, bucket: &str, prefix: &str) -> Result<Vec<String>, Error> {
    Ok(list_dated(ctx, bucket, prefix)
        .await?
        .into_iter()
        .map(|(k, _)| k)
        .collect())
}

/// Every key under `prefix` with its last modification (seconds, nanoseconds).
pub(crate) async fn list_dated(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, (i64, u32))>, Error> {
    let mut keys = Vec::new();
    let mut pages = ctx
        .clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("s3:ListObjectsV2", prefix, e))?;
        keys.extend(page.contents().iter().filter_map(|o| {
            let at = o
                .last_modified()
                .map_or((0, 0), |t| (t.secs(), t.subsec_nanos()));
            o.key().map(|k| (k.to_owned(), at))
        }));
    }
    Ok(keys)
}

/// Deletes keys, 1,000 a request (`DeleteObjects`' limit).
pub(crate) async fn delete(ctx: &Ctx, bucket: &str, keys: &[String]) -> Result<(), Error> {
    for chunk in keys.chunks(1000) {
        let objects: Vec<ObjectIdentifier> = chunk
            .iter()
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| Error::internal("s3:DeleteObjects", e.to_string()))?;
        let out = ctx
            .clients
            .s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| aws_error("s3:DeleteObjects", bucket, e))?;
        if let Some(err) = out.errors().first() {
            return Err(Error::Step {
                step: format!("s3:DeleteObjects {bucket}"),
                message: format!(
                    "{} of {} objects not deleted; first: {} ({}: {})",
                    out.errors().len(),
                    chunk.len(),
                    err.key().unwrap_or_default(),
                    err.code().unwrap_or_default(),
                    err.message().unwrap_or_default()
                ),
            });
        }
    }
    Ok(())
}
