//! The copy of an asset's packaged output from S3 into the container (MediaConvert writes only to
//! S3). Idempotent through a marker object, `vod-pipeline-copy.json`, written last in the asset's
//! folder: it maps every copied key to its S3 ETag, so a later apply copies only what changed, and
//! an interrupted copy resumes with the objects that are missing.

use std::collections::BTreeMap;

use aws_sdk_mediastoredata::primitives::ByteStream;
use futures::{StreamExt, TryStreamExt};

use super::{data_client, describe, list_tree};
use crate::apply::event::{Change, Event};
use crate::aws::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::error::Error;
use crate::names::{CLAIM_PREFIX, COPY_MARKER, JOB_MARKER};
use crate::plan::{CopyParams, OutputKey, Step, StepId};

pub(super) async fn run(
    ctx: &Ctx,
    step: &Step,
    p: &CopyParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let Some((bucket, prefix)) = crate::names::parse_s3_uri(&p.from) else {
        return Err(Error::internal(
            &step.id,
            format!("{} is not an s3:// URL", p.from),
        ));
    };
    let Some(endpoint) = ctx.value(step, &p.endpoint, mode)? else {
        return Ok(StepReport::new(Change::Create));
    };
    // What MediaConvert wrote, with ETags; and what MediaStore would refuse for its size.
    let s3 = &ctx.clients.s3;
    let mut source: BTreeMap<String, String> = BTreeMap::new();
    let mut too_large: Vec<(String, i64)> = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if mode == Mode::Refresh && error_code(&e) == Some("NoSuchBucket") => {
                return Ok(StepReport::new(Change::Create));
            }
            Err(e) => return Err(aws_error("s3:ListObjectsV2", &p.from, e)),
        };
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let rel = key.strip_prefix(prefix).unwrap_or(key);
            if rel.is_empty()
                || rel.ends_with(JOB_MARKER)
                || rel.ends_with('/')
                || rel
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.starts_with(CLAIM_PREFIX))
            {
                continue;
            }
            let size = o.size().unwrap_or(0);
            if size > MAX_OBJECT_BYTES as i64 {
                too_large.push((rel.to_owned(), size));
            }
            source.insert(
                rel.to_owned(),
                o.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
            );
        }
    }
    // Checked before anything is copied, so that a copy is never left half done for this reason.
    if !too_large.is_empty() {
        return Err(too_large_error(step, &p.from, &too_large));
    }
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

    let data = data_client(ctx, &endpoint);
    let marker_path = format!("{}{COPY_MARKER}", p.to_path);
    let marker: Option<BTreeMap<String, String>> =
        match data.get_object().path(&marker_path).send().await {
            Ok(o) => {
                let bytes = o.body.collect().await.map_err(|e| Error::Step {
                    step: step.id.to_string(),
                    message: format!("reading {marker_path}: {e}"),
                })?;
                serde_json::from_slice::<serde_json::Value>(&bytes.into_bytes())
                    .ok()
                    .and_then(|v| serde_json::from_value(v.get("objects")?.clone()).ok())
            }
            Err(e)
                if matches!(error_code(&e), Some("ObjectNotFoundException"))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                None
            }
            Err(e) => return Err(aws_error("mediastore-data:GetObject", &marker_path, e)),
        };
    let mut todo: Vec<String> = match &marker {
        Some(m) => source
            .iter()
            .filter(|(k, etag)| m.get(*k) != Some(etag))
            .map(|(k, _)| k.clone())
            .collect(),
        None => {
            // No marker: a first copy, or one that was interrupted. Skip what is already there.
            let present: BTreeMap<String, String> =
                list_tree(&data, p.to_path.trim_end_matches('/'))
                    .await?
                    .into_iter()
                    .map(|(path, etag)| {
                        (
                            path.strip_prefix(&p.to_path).unwrap_or(&path).to_owned(),
                            etag.trim_matches('"').to_owned(),
                        )
                    })
                    .collect();
            source
                .iter()
                .filter(|(k, etag)| present.get(*k) != Some(etag))
                .map(|(k, _)| k.clone())
                .collect()
        }
    };
    todo.sort();
    let change = match (&marker, todo.is_empty()) {
        (Some(_), true) => {
            return Ok(
                StepReport::new(Change::NoOp).output(OutputKey::Objects, source.len().to_string())
            );
        }
        (None, _) if todo.len() == source.len() => Change::Create,
        _ => Change::Update {
            diff: vec![format!(
                "{} of {} objects to copy",
                todo.len(),
                source.len()
            )],
        },
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }

    let total = todo.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    futures::stream::iter(todo)
        .map(|rel| {
            let (data, s3, done) = (&data, s3, &done);
            let key = format!("{prefix}{rel}");
            let path = format!("{}{rel}", p.to_path);
            async move {
                let obj = s3
                    .get_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| aws_error("s3:GetObject", &key, e))?;
                let content_type = obj
                    .content_type()
                    .map(str::to_owned)
                    .unwrap_or_else(|| crate::types::content_type(&key).to_owned());
                let body = obj.body.collect().await.map_err(|e| Error::Step {
                    step: step.id.to_string(),
                    message: format!("reading s3://{bucket}/{key}: {e}"),
                })?;
                data.put_object()
                    .path(&path)
                    .body(ByteStream::from(body.into_bytes()))
                    .content_type(content_type)
                    .cache_control(&p.cache_control)
                    .send()
                    .await
                    .map_err(|e| aws_error("mediastore-data:PutObject", &path, e))?;
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
    data.put_object()
        .path(&marker_path)
        .body(ByteStream::from(marker.to_string().into_bytes()))
        .content_type("application/json")
        .send()
        .await
        .map_err(|e| aws_error("mediastore-data:PutObject", &marker_path, e))?;
    let job_id = ctx
        .output(&StepId::Job(p.asset.clone()), OutputKey::JobId)
        .unwrap_or_else(|| "unknown-job".into());
    crate::aws::s3::index::record(ctx, &p.published_index, &job_id).await?;
    Ok(StepReport::new(change).output(OutputKey::Objects, source.len().to_string()))
}

/// The largest object MediaStore stores with standard upload availability, 25 MB
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/objects-upload.html>); PutObject refuses a larger
/// one.
pub(crate) const MAX_OBJECT_BYTES: u64 = 25 * 1024 * 1024;

/// The error for packaged objects above [`MAX_OBJECT_BYTES`], naming each one (the first ten).
fn too_large_error(step: &Step, from: &str, objects: &[(String, i64)]) -> Error {
    let mut named: Vec<String> = objects
        .iter()
        .take(10)
        .map(|(key, size)| format!("{key} ({:.1} MiB)", *size as f64 / 1_048_576.0))
        .collect();
    if objects.len() > 10 {
        named.push(format!("and {} more", objects.len() - 10));
    }
    Error::Step {
        step: step.id.to_string(),
        message: format!(
            "{} object(s) under {from} are above MediaStore's 25 MB object limit and cannot be copied into the container: {}. Use shorter segments or lower bitrates, leave out the progressive mp4 format, or move to the S3 origin (https://docs.aws.amazon.com/mediastore/latest/ug/objects-upload.html)",
            objects.len(),
            named.join(", ")
        ),
    }
}

/// Deletes what the copy put in the container.
pub(super) async fn destroy(ctx: &Ctx, p: &CopyParams) -> Result<StepReport, Error> {
    Ok(StepReport::new(if delete_all(ctx, p).await? == 0 {
        Change::Absent
    } else {
        Change::Delete
    }))
}

/// Deletes every object of the asset's folder in the container; returns how many.
pub(super) async fn delete_all(ctx: &Ctx, p: &CopyParams) -> Result<usize, Error> {
    let Some(c) = describe(ctx, p.container.as_str()).await? else {
        return Ok(0);
    };
    let Some(endpoint) = c.endpoint() else {
        return Ok(0);
    };
    let data = data_client(ctx, endpoint);
    let items = list_tree(&data, p.to_path.trim_end_matches('/')).await?;
    let n = items.len();
    super::delete_paths(
        ctx,
        &data,
        items.into_iter().map(|(path, _)| path).collect(),
    )
    .await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
    use aws_sdk_s3::types::Object;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::test_support::{Rules, mock_ctx};
    use crate::plan::Params;

    /// A packaged object above 25 MB fails the copy before any MediaStore call (the data endpoint
    /// here is closed: a call to it would fail with another error), naming the object and its size.
    #[tokio::test]
    async fn objects_above_mediastore_s_limit_are_named_before_any_copy() {
        let plan = crate::VodPipeline::from_toml_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/specs/mediastore.toml"
        ))
        .unwrap()
        .plan();
        let step = plan
            .steps
            .iter()
            .find(|s| matches!(s.params, Params::Copy(_)))
            .expect("a copy step")
            .clone();
        let Params::Copy(p) = &step.params else {
            unreachable!()
        };
        let prefix = crate::names::parse_s3_uri(&p.from).unwrap().1.to_owned();
        let list = mock!(aws_sdk_s3::Client::list_objects_v2).then_output(move || {
            let object = |name: &str, size: i64| {
                Object::builder()
                    .key(format!("{prefix}{name}"))
                    .size(size)
                    .e_tag("\"e\"")
                    .build()
            };
            ListObjectsV2Output::builder()
                .contents(object("hls/index.m3u8", 900))
                .contents(object("hls/seg_00001.ts", MAX_OBJECT_BYTES as i64))
                .contents(object("mp4/movie.mp4", 31 * 1024 * 1024))
                .build()
        });
        let (ctx, _) = mock_ctx(Rules {
            s3: &[&list],
            ..Rules::default()
        });
        let crate::plan::Deferred::Output(from, key) = &p.endpoint else {
            panic!("the endpoint comes from the container step")
        };
        ctx.record(from, &Change::NoOp, &[(*key, "http://127.0.0.1:9".into())]);
        let err = run(&ctx, &step, p, Mode::Apply).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("1 object(s)")
                && text.contains("mp4/movie.mp4 (31.0 MiB)")
                && !text.contains("seg_00001"),
            "{text}"
        );
        assert!(text.contains("25 MB"), "{text}");
    }
}
