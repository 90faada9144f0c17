//! The copy of an asset's packaged output into the origin bucket (`s3.copy.<asset>`), for an S3
//! origin whose output bucket is another bucket: a pipeline moved off MediaStore keeps its
//! `transcode.output_bucket`, and its output is copied into the origin, never transcoded again.
//!
//! `CopyObject` copies inside S3 (no bytes pass through this process) and keeps each object's
//! Content-Type. The copy is idempotent through a marker written last in the asset's folder of the
//! origin, [`COPY_MARKER`], which maps every copied key to its source ETag: a later apply copies only
//! what changed, and an interrupted copy copies again what it had not recorded.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};

use super::index;
use crate::apply::event::{Change, Event};
use crate::aws::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::error::Error;
use crate::names::{CLAIM_PREFIX, COPIES_ORIGIN, COPY_MARKER, JOB_MARKER, parse_s3_uri};
use crate::plan::{OriginCopyParams, OutputKey, Step, StepId};

pub(super) async fn run(
    ctx: &Ctx,
    step: &Step,
    p: &OriginCopyParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let Some((from_bucket, from_prefix)) = parse_s3_uri(&p.from) else {
        return Err(Error::internal(
            &step.id,
            format!("{} is not an s3:// URL", p.from),
        ));
    };
    let Some(source) = packaged(ctx, from_bucket, from_prefix).await? else {
        return Ok(StepReport::new(Change::Create));
    };
    if source.is_empty() {
        if mode == Mode::Refresh {
            return Ok(StepReport::new(Change::Create));
        }
        return Err(Error::Step {
            step: step.id.to_string(),
            message: format!(
                "no packaged output under {}: the MediaConvert job wrote nothing",
                p.from
            ),
        });
    }
    let marker_key = format!("{}{COPY_MARKER}", p.to_prefix);
    let marker = read_marker(ctx, p.bucket.as_str(), &marker_key).await?;
    let todo: Vec<String> = source
        .iter()
        .filter(|(k, etag)| marker.as_ref().and_then(|m| m.get(*k)) != Some(*etag))
        .map(|(k, _)| k.clone())
        .collect();
    let change = match (&marker, todo.len()) {
        (Some(_), 0) => {
            return Ok(
                StepReport::new(Change::NoOp).output(OutputKey::Objects, source.len().to_string())
            );
        }
        (None, _) => Change::Create,
        (Some(_), n) => Change::Update {
            diff: vec![format!("{n} of {} objects to copy", source.len())],
        },
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }

    let total = todo.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    futures::stream::iter(todo)
        .map(|rel: String| {
            let done = &done;
            let from_key = format!("{from_prefix}{rel}");
            let to_key = format!("{}{rel}", p.to_prefix);
            async move {
                ctx.clients
                    .s3
                    .copy_object()
                    .bucket(p.bucket.as_str())
                    .key(&to_key)
                    .copy_source(copy_source(from_bucket, &from_key))
                    .send()
                    .await
                    .map_err(|e| aws_error("s3:CopyObject", &to_key, e))?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                ctx.emit(Event::CopyProgress {
                    step: step.id.clone(),
                    objects_done: n,
                    objects_total: total,
                });
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(ctx.options.concurrency_per_service.max(1))
        .try_collect::<Vec<()>>()
        .await?;

    // The marker goes last: only a complete copy is recorded.
    let marker = serde_json::json!({ "source": p.from, "objects": source });
    ctx.clients
        .s3
        .put_object()
        .bucket(p.bucket.as_str())
        .key(&marker_key)
        .body(ByteStream::from(marker.to_string().into_bytes()))
        .content_type("application/json")
        .send()
        .await
        .map_err(|e| aws_error("s3:PutObject", &marker_key, e))?;
    let job_id = ctx
        .output(&StepId::Job(p.asset.clone()), OutputKey::JobId)
        .unwrap_or_else(|| "unknown-job".into());
    index::record(ctx, &p.published_index, &job_id).await?;
    Ok(StepReport::new(change).output(OutputKey::Objects, source.len().to_string()))
}

/// Deletes the asset's copies from the origin bucket (unpublish); returns how many objects.
pub(crate) async fn delete_all(ctx: &Ctx, p: &OriginCopyParams) -> Result<usize, Error> {
    let keys = index::list(ctx, p.bucket.as_str(), &p.to_prefix).await?;
    index::delete(ctx, p.bucket.as_str(), &keys).await?;
    Ok(keys.len())
}

/// The origin bucket an earlier apply recorded as the one the output is copied into
/// ([`COPIES_ORIGIN`] under `output`, `s3://<output bucket>/<output prefix>`), if any.
pub(crate) async fn recorded_copies_origin(
    ctx: &Ctx,
    output: &str,
) -> Result<Option<String>, Error> {
    let Some((bucket, prefix)) = parse_s3_uri(output) else {
        return Ok(None);
    };
    let loc = crate::aws::mediaconvert::S3Location {
        bucket: bucket.to_owned(),
        key: format!("{prefix}{COPIES_ORIGIN}"),
    };
    Ok(
        crate::aws::mediaconvert::get_object(ctx, &loc, "the record of the copies' origin")
            .await?
            .and_then(|(bytes, _)| String::from_utf8(bytes.to_vec()).ok())
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty()),
    )
}

/// Records `bucket` as the origin bucket the output is copied into, or removes the record (`None`).
pub(crate) async fn record_copies_origin(
    ctx: &Ctx,
    output: &str,
    bucket: Option<&str>,
) -> Result<(), Error> {
    let Some((out_bucket, prefix)) = parse_s3_uri(output) else {
        return Ok(());
    };
    let key = format!("{prefix}{COPIES_ORIGIN}");
    match bucket {
        Some(b) => {
            ctx.clients
                .s3
                .put_object()
                .bucket(out_bucket)
                .key(&key)
                .content_type("text/plain")
                .body(ByteStream::from(b.as_bytes().to_vec()))
                .send()
                .await
                .map_err(|e| aws_error("s3:PutObject", &key, e))?;
        }
        None => {
            ctx.clients
                .s3
                .delete_object()
                .bucket(out_bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| aws_error("s3:DeleteObject", &key, e))?;
        }
    }
    Ok(())
}

/// What this crate copied into `bucket`: every key a copy marker in it lists (under the marker's
/// folder), and the markers. Objects no marker lists are not the pipeline's copies and stay. Empty
/// when the bucket is gone.
pub(crate) async fn copied_into(ctx: &Ctx, bucket: &str) -> Result<Vec<String>, Error> {
    let all = match index::list(ctx, bucket, "").await {
        Ok(keys) => keys,
        Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchBucket") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let present: std::collections::BTreeSet<&String> = all.iter().collect();
    let mut out = Vec::new();
    for marker in all
        .iter()
        .filter(|k| k.rsplit('/').next() == Some(COPY_MARKER))
    {
        let folder = &marker[..marker.len() - COPY_MARKER.len()];
        if let Some(objects) = read_marker(ctx, bucket, marker).await? {
            out.extend(
                objects
                    .keys()
                    .map(|rel| format!("{folder}{rel}"))
                    .filter(|k| present.contains(k)),
            );
        }
        out.push(marker.clone());
    }
    Ok(out)
}

/// What MediaConvert wrote under the prefix, relative key to ETag, without this crate's markers
/// and claims; `None` when the bucket does not exist.
async fn packaged(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    let mut out = BTreeMap::new();
    let mut pages = ctx
        .clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if error_code(&e) == Some("NoSuchBucket") => return Ok(None),
            Err(e) => return Err(aws_error("s3:ListObjectsV2", prefix, e)),
        };
        for o in page.contents() {
            let Some(rel) = o.key().and_then(|k| k.strip_prefix(prefix)) else {
                continue;
            };
            let name = rel.rsplit('/').next().unwrap_or(rel);
            if rel.is_empty()
                || rel.ends_with('/')
                || name == JOB_MARKER
                || name == COPY_MARKER
                || name.starts_with(CLAIM_PREFIX)
            {
                continue;
            }
            out.insert(
                rel.to_owned(),
                o.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
            );
        }
    }
    Ok(Some(out))
}

async fn read_marker(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    let loc = crate::aws::mediaconvert::S3Location {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    Ok(
        crate::aws::mediaconvert::get_object(ctx, &loc, "the copy marker")
            .await?
            .and_then(|(bytes, _)| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| serde_json::from_value(v.get("objects")?.clone()).ok())
            }),
    )
}

/// `CopySource`: `bucket/key`, the key percent-encoded (every byte but unreserved ones and `/`).
fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = format!("{bucket}/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::copy_source;

    #[test]
    fn copy_source_encodes_the_key() {
        assert_eq!(
            copy_source("b", "packaged/a b/x+y_1.ts"),
            "b/packaged/a%20b/x%2By_1.ts"
        );
    }
}
