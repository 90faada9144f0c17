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
use crate::types::BucketName;

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

/// The origin buckets the output has been copied into and whose copies are not yet deleted
/// ([`COPIES_ORIGIN`] under `output`, `s3://<output bucket>/<output prefix>`: one bucket name a
/// line). A line that is not a valid bucket name is ignored: the record only ever names buckets.
pub(crate) async fn recorded_copies_origins(
    ctx: &Ctx,
    output: &str,
) -> Result<Vec<BucketName>, Error> {
    let Some((bucket, prefix)) = parse_s3_uri(output) else {
        return Ok(Vec::new());
    };
    let loc = crate::aws::mediaconvert::S3Location {
        bucket: bucket.to_owned(),
        key: format!("{prefix}{COPIES_ORIGIN}"),
    };
    let text = crate::aws::mediaconvert::get_object(ctx, &loc, "the record of the copies' origins")
        .await?
        .and_then(|(bytes, _)| String::from_utf8(bytes.to_vec()).ok())
        .unwrap_or_default();
    let mut out: Vec<BucketName> = Vec::new();
    for b in text
        .lines()
        .filter_map(|l| l.trim().parse::<BucketName>().ok())
    {
        if !out.contains(&b) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Records the origin buckets the output has been copied into (the record is removed when there
/// are none).
pub(crate) async fn record_copies_origins(
    ctx: &Ctx,
    output: &str,
    buckets: &[BucketName],
) -> Result<(), Error> {
    let Some((out_bucket, prefix)) = parse_s3_uri(output) else {
        return Ok(());
    };
    let key = format!("{prefix}{COPIES_ORIGIN}");
    if buckets.is_empty() {
        ctx.clients
            .s3
            .delete_object()
            .bucket(out_bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| aws_error("s3:DeleteObject", &key, e))?;
        return Ok(());
    }
    let body: String = buckets.iter().map(|b| format!("{b}\n")).collect();
    ctx.clients
        .s3
        .put_object()
        .bucket(out_bucket)
        .key(&key)
        .content_type("text/plain")
        .body(ByteStream::from(body.into_bytes()))
        .send()
        .await
        .map_err(|e| aws_error("s3:PutObject", &key, e))?;
    Ok(())
}

/// What this pipeline copied into `bucket`: the keys listed by each copy marker whose `source` is
/// in this pipeline's output (`output`, `s3://<output bucket>/<output prefix>`), under that
/// marker's folder, and those markers. A marker of another pipeline, one that cannot be read, or one
/// at the bucket's root (a copy always goes into an asset's folder) is left alone, and so is every
/// object no such marker lists. Empty when the bucket is gone.
pub(crate) async fn copied_into(
    ctx: &Ctx,
    bucket: &str,
    output: &str,
) -> Result<Vec<String>, Error> {
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
        if folder.is_empty() {
            continue;
        }
        let Some((source, objects)) = read_marker_with_source(ctx, bucket, marker).await? else {
            continue;
        };
        if !source.starts_with(output) {
            continue;
        }
        out.extend(
            objects
                .keys()
                .map(|rel| format!("{folder}{rel}"))
                .filter(|k| present.contains(k)),
        );
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
    Ok(read_marker_with_source(ctx, bucket, key)
        .await?
        .map(|(_, objects)| objects))
}

/// A copy marker's `source` (where it copied from) and its objects (relative key to ETag); `None`
/// when there is none or it cannot be read.
async fn read_marker_with_source(
    ctx: &Ctx,
    bucket: &str,
    key: &str,
) -> Result<Option<(String, BTreeMap<String, String>)>, Error> {
    let loc = crate::aws::mediaconvert::S3Location {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
    };
    Ok(
        crate::aws::mediaconvert::get_object(ctx, &loc, "the copy marker")
            .await?
            .and_then(|(bytes, _)| {
                let v = serde_json::from_slice::<serde_json::Value>(&bytes).ok()?;
                let source = v
                    .get("source")
                    .and_then(|s| s.as_str())
                    .unwrap_or_default()
                    .to_owned();
                let objects = serde_json::from_value(v.get("objects")?.clone()).ok()?;
                Some((source, objects))
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
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::Object;
    use aws_smithy_mocks::mock;

    use super::{copied_into, copy_source};
    use crate::aws::test_support::{Rules, mock_ctx};

    /// The origin bucket a pipeline moved off holds its copies, another pipeline's copies, a marker
    /// at the root and an unreadable marker: only this pipeline's copies (and their marker) are
    /// its to delete.
    #[tokio::test]
    async fn only_this_pipelines_copies_are_found() {
        let list = mock!(aws_sdk_s3::Client::list_objects_v2).then_output(|| {
            let o = |k: &str| Object::builder().key(k).build();
            ListObjectsV2Output::builder()
                .contents(o("vod/a/hls/a.m3u8"))
                .contents(o("vod/a/vod-pipeline-copy.json"))
                .contents(o("vod/a/notes.txt"))
                .contents(o("other/b/hls/b.m3u8"))
                .contents(o("other/b/vod-pipeline-copy.json"))
                .contents(o("vod-pipeline-copy.json"))
                .contents(o("vod/c/vod-pipeline-copy.json"))
                .build()
        });
        let marker = |key: &'static str, body: &'static str| {
            mock!(aws_sdk_s3::Client::get_object)
                .match_requests(move |r| r.key() == Some(key))
                .then_output(move || {
                    GetObjectOutput::builder()
                        .body(ByteStream::from_static(body.as_bytes()))
                        .build()
                })
        };
        let ours = marker(
            "vod/a/vod-pipeline-copy.json",
            r#"{"source": "s3://out/packaged/a/", "objects": {"hls/a.m3u8": "e1", "hls/gone.ts": "e2"}}"#,
        );
        let theirs = marker(
            "other/b/vod-pipeline-copy.json",
            r#"{"source": "s3://out/elsewhere/b/", "objects": {"hls/b.m3u8": "e3"}}"#,
        );
        let broken = marker("vod/c/vod-pipeline-copy.json", "not json");
        let (ctx, _) = mock_ctx(Rules {
            s3: &[&list, &ours, &theirs, &broken],
            ..Rules::default()
        });
        let keys = copied_into(&ctx, "origin", "s3://out/packaged/")
            .await
            .unwrap();
        assert_eq!(
            keys,
            ["vod/a/hls/a.m3u8", "vod/a/vod-pipeline-copy.json"],
            "listed and present, and the marker; never another pipeline's, the root's or an unreadable marker's"
        );
    }

    #[test]
    fn copy_source_encodes_the_key() {
        assert_eq!(
            copy_source("b", "packaged/a b/x+y_1.ts"),
            "b/packaged/a%20b/x%2By_1.ts"
        );
    }
}
