//! Multipart upload: resume of an earlier run's parts, parts sent concurrently under the byte
//! budget with per-part retries, the full-object checksum checked on completion, abort on failure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumType, CompletedMultipartUpload, CompletedPart};
use futures::{StreamExt, TryStreamExt};

use super::*;

/// A part S3 already holds (from `ListParts`).
#[derive(Debug, Clone)]
struct Listed {
    size: u64,
    e_tag: Option<String>,
    checksum: Option<String>,
}

/// A part done: sent now or kept from an earlier run.
struct PartDone {
    number: i32,
    len: u64,
    crc: u64,
    e_tag: Option<String>,
    /// Kept from an earlier run.
    resumed: bool,
    /// Kept on size alone, because the server listed no checksum for it.
    unverified: bool,
}

pub(super) enum Multipart {
    Done {
        checksum: String,
        verified: bool,
        e_tag: Option<String>,
        outcome: UploadOutcome,
    },
    /// A resumed upload failed the full-object check: start again without resuming.
    StartOver,
}

/// The newest unfinished multipart upload of the key with our checksum algorithm, and its parts.
async fn find_resumable(
    inner: &Inner,
    job: &UploadJob,
) -> Result<Option<(String, BTreeMap<i32, Listed>)>, Error> {
    let out = match inner
        .client
        .list_multipart_uploads()
        .bucket(&job.bucket)
        .prefix(&job.key)
        .send()
        .await
    {
        Ok(o) => o,
        // Some S3-compatible servers (s3s-fs, for one) do not list uploads: nothing to resume.
        Err(e)
            if error_code(&e) == Some("NotImplemented")
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 501) =>
        {
            tracing::warn!(
                "s3://{}/{}: the server cannot list multipart uploads; not resuming",
                job.bucket,
                job.key
            );
            return Ok(None);
        }
        Err(e) => return Err(aws_error("s3:ListMultipartUploads", &job.key, e)),
    };
    let candidate = out
        .uploads()
        .iter()
        .filter(|u| u.key() == Some(job.key.as_str()))
        .filter(|u| {
            u.checksum_algorithm()
                .is_none_or(|a| *a == inner.checksum.s3())
        })
        .filter(|u| {
            u.checksum_type()
                .is_none_or(|t| *t == ChecksumType::FullObject)
        })
        .filter(|u| u.upload_id().is_some())
        .max_by_key(|u| u.initiated().map(|d| (d.secs(), d.subsec_nanos())));
    let Some(upload_id) = candidate.and_then(|u| u.upload_id()).map(str::to_owned) else {
        return Ok(None);
    };
    let mut parts = BTreeMap::new();
    let mut pages = inner
        .client
        .list_parts()
        .bucket(&job.bucket)
        .key(&job.key)
        .upload_id(&upload_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if error_code(&e) == Some("NoSuchUpload") => return Ok(None),
            Err(e) => return Err(aws_error("s3:ListParts", &job.key, e)),
        };
        for p in page.parts() {
            if let (Some(n), Some(size)) = (p.part_number(), p.size()) {
                parts.insert(
                    n,
                    Listed {
                        size: size.max(0) as u64,
                        e_tag: p.e_tag().map(str::to_owned),
                        checksum: checksum_of!(p, inner.checksum).map(str::to_owned),
                    },
                );
            }
        }
    }
    Ok(Some((upload_id, parts)))
}

/// The part size of an interrupted upload, when its parts agree on one that still fits.
fn resumed_part_size(parts: &BTreeMap<i32, Listed>, size: u64) -> Option<PartSize> {
    let first = parts.get(&1)?;
    let p = PartSize::new(first.size).ok()?;
    let n = p.parts(size) as i32;
    let consistent = parts.iter().all(|(&num, l)| {
        if num < 1 || num > n {
            return true; // ignored: not part of this layout
        }
        let expect = if num == n {
            size - p.bytes() * (n as u64 - 1)
        } else {
            p.bytes()
        };
        l.size == expect
    });
    (consistent && p.parts(size) <= MAX_PARTS).then_some(p)
}

async fn abort(inner: &Inner, job: &UploadJob, upload_id: &str) {
    if let Err(e) = inner
        .client
        .abort_multipart_upload()
        .bucket(&job.bucket)
        .key(&job.key)
        .upload_id(upload_id)
        .send()
        .await
    {
        tracing::warn!(
            "s3://{}/{}: AbortMultipartUpload {upload_id} failed: {}",
            job.bucket,
            job.key,
            aws_error("s3:AbortMultipartUpload", &job.key, e)
        );
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn multipart(
    inner: &Inner,
    job: &UploadJob,
    file: &Arc<Source>,
    size: u64,
    stamp: Stamp,
    state: &FileState,
    resume: bool,
) -> Result<Multipart, Error> {
    let alg = inner.checksum;
    let mut part_size = inner.part_size.for_object(size).ok_or_else(|| {
        failure(
            job,
            format!(
                "{} is larger than S3's largest object ({} parts of 5 GiB)",
                format_bytes(size),
                MAX_PARTS
            ),
        )
    })?;
    let found = if resume {
        find_resumable(inner, job).await?
    } else {
        None
    };
    let (upload_id, listed) = match found {
        Some((id, parts)) => {
            if let Some(p) = resumed_part_size(&parts, size) {
                part_size = p;
            }
            tracing::info!(
                "s3://{}/{}: resuming upload {id} ({} parts in S3)",
                job.bucket,
                job.key,
                parts.len()
            );
            (id, parts)
        }
        None => {
            let out = inner
                .client
                .create_multipart_upload()
                .bucket(&job.bucket)
                .key(&job.key)
                .content_type(content_type(job))
                .set_metadata(super::stamp_metadata(stamp))
                .checksum_algorithm(alg.s3())
                .checksum_type(ChecksumType::FullObject)
                .send()
                .await
                .map_err(|e| aws_error("s3:CreateMultipartUpload", &job.key, e))?;
            let id = out
                .upload_id()
                .ok_or_else(|| failure(job, "CreateMultipartUpload returned no upload id"))?
                .to_owned();
            (id, BTreeMap::new())
        }
    };

    let n = part_size.parts(size);
    let ps = part_size.bytes();
    let parts: Vec<_> = (1..=n)
        .map(|i| {
            let offset = (i - 1) * ps;
            let number = i as i32;
            send_part(
                inner,
                job,
                file,
                &upload_id,
                number,
                offset,
                ps.min(size - offset),
                listed.get(&number),
                state,
            )
        })
        .collect();
    let sent = futures::stream::iter(parts)
        .buffer_unordered(inner.concurrency)
        .try_collect::<Vec<PartDone>>()
        .await;
    let mut done = match sent {
        Ok(d) => d,
        Err(e) => {
            if inner.abort_on_failure {
                abort(inner, job, &upload_id).await;
            }
            return Err(e);
        }
    };
    done.sort_by_key(|p| p.number);
    if Stamp::of(&job.file)? != stamp {
        abort(inner, job, &upload_id).await;
        return Err(failure(
            job,
            "the file changed during the upload; the upload was aborted",
        ));
    }
    let mut full = done[0].crc;
    for p in &done[1..] {
        full = crc_fast::checksum_combine(alg.crc(), full, p.crc, p.len);
    }
    let sum = alg.encode(full);
    let completed: Vec<CompletedPart> = done
        .iter()
        .map(|p| {
            let b = CompletedPart::builder()
                .part_number(p.number)
                .set_e_tag(p.e_tag.clone());
            with_checksum!(b, alg, alg.encode(p.crc)).build()
        })
        .collect();
    let req = inner
        .client
        .complete_multipart_upload()
        .bucket(&job.bucket)
        .key(&job.key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .checksum_type(ChecksumType::FullObject)
        .mpu_object_size(size as i64);
    let req = with_checksum!(req, alg, &sum);
    let out = match req.send().await {
        Ok(o) => o,
        Err(e) => {
            let unverified = done.iter().any(|p| p.unverified);
            let code = error_code(&e).map(str::to_owned);
            let e = aws_error("s3:CompleteMultipartUpload", &job.key, e);
            if unverified && matches!(code.as_deref(), Some("BadDigest" | "InvalidPart")) {
                abort(inner, job, &upload_id).await;
                return Ok(Multipart::StartOver);
            }
            if inner.abort_on_failure && !retryable(&e) {
                abort(inner, job, &upload_id).await;
            }
            return Err(e);
        }
    };
    let e_tag = out.e_tag().map(str::to_owned);
    let (returned, verified) = match checksum_of!(out, alg) {
        Some(s) => (Some(s.to_owned()), true),
        None => match head(inner, job).await? {
            Some(super_live) => match super_live.checksum {
                Some(s) => (Some(s), true),
                None => (None, false),
            },
            None => (None, false),
        },
    };
    if let Some(r) = &returned
        && *r != sum
    {
        return Err(failure(
            job,
            format!("S3 stored checksum {r}, the file's is {sum}: the object is not what was read"),
        ));
    }
    if !verified {
        tracing::warn!(
            "s3://{}/{}: the server returned no checksum; the object is not verified",
            job.bucket,
            job.key
        );
    }
    let resumed = done.iter().filter(|p| p.resumed).count() as u64;
    Ok(Multipart::Done {
        checksum: sum,
        verified,
        e_tag,
        outcome: UploadOutcome::Multipart {
            parts: n,
            parts_sent: n - resumed,
            parts_resumed: resumed,
        },
    })
}

#[allow(clippy::too_many_arguments)]
async fn send_part(
    inner: &Inner,
    job: &UploadJob,
    file: &Arc<Source>,
    upload_id: &str,
    number: i32,
    offset: u64,
    len: u64,
    listed: Option<&Listed>,
    state: &FileState,
) -> Result<PartDone, Error> {
    let alg = inner.checksum;
    let (buf, ticket) = inner.budget.lease(len as usize).await;
    let (buf, crc) = read_part(file, buf, offset, len as usize, alg)
        .await
        .map_err(io_err(&job.file))?;
    let sum = alg.encode(crc);
    if let Some(l) = listed.filter(|l| l.size == len) {
        let same = l.checksum.as_deref().is_none_or(|c| c == sum);
        if same {
            ticket.release(buf);
            state.sent.fetch_add(len, Ordering::Relaxed);
            return Ok(PartDone {
                number,
                len,
                crc,
                e_tag: l.e_tag.clone(),
                resumed: true,
                unverified: l.checksum.is_none(),
            });
        }
        tracing::info!(
            "s3://{}/{}: part {number} in S3 differs from the file; sending it again",
            job.bucket,
            job.key
        );
    }
    let data: Bytes = buf.freeze();
    let _slot = inner.requests.acquire().await;
    let mut attempt = 0;
    let e_tag = loop {
        let counter = Counter::new(Arc::clone(&state.sent));
        let req = inner
            .client
            .upload_part()
            .bucket(&job.bucket)
            .key(&job.key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(len as i64)
            .body(ByteStream::new(CountingBody::sdk_body(
                data.clone(),
                counter.clone(),
            )));
        let req = with_checksum!(req, alg, &sum);
        let result = match send!(inner, req) {
            Ok(out) => match checksum_of!(out, alg) {
                Some(got) if got != sum => Err(failure(
                    job,
                    format!("part {number}: S3 computed checksum {got}, the file's is {sum}"),
                )),
                _ => Ok(out.e_tag().map(str::to_owned)),
            },
            Err(e) => Err(aws_error("s3:UploadPart", &job.key, e)),
        };
        match result {
            Ok(e_tag) => break e_tag,
            Err(e) => {
                counter.rewind();
                attempt += 1;
                let again = retryable(&e) || matches!(e, Error::Step { .. });
                if !again || attempt >= inner.part_attempts {
                    tracing::warn!("{}: part {number} failed for good: {e}", job.key);
                    return Err(e);
                }
                tracing::debug!("{}: part {number}, attempt {attempt} failed: {e}", job.key);
                tokio::time::sleep(backoff(inner, attempt - 1)).await;
            }
        }
    };
    ticket.recycle(data);
    Ok(PartDone {
        number,
        len,
        crc,
        e_tag,
        resumed: false,
        unverified: false,
    })
}
