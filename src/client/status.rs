//! `asset` and `assets`: what is published, and how far a publish has got, read from live state.

use aws_sdk_mediaconvert::types::JobStatus;
use serde::Serialize;

use super::{PublishedAsset, VodClient, check_id, output_folder};
use crate::apply::Change;
use crate::aws::aws_error;
use crate::aws::mediaconvert::claim;
use crate::error::Error;
use crate::names::{CLAIM_PREFIX, PUBLISHED_INDEX};

/// The live status of one asset ([`VodClient::asset`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AssetStatus {
    /// Nothing of the asset exists.
    NotFound,
    /// Its mezzanine is being uploaded (a multipart upload is in progress).
    Uploading,
    /// Its MediaConvert job is queued or running.
    Transcoding {
        /// The job, once started.
        job_id: Option<String>,
        /// MediaConvert's `JobPercentComplete`.
        percent: Option<i32>,
        /// MediaConvert's `CurrentPhase`: `PROBING`, `TRANSCODING`, `UPLOADING`.
        phase: Option<String>,
    },
    /// Transcoded; the output is being copied into the MediaStore container.
    CopyingToOrigin {
        /// The job.
        job_id: String,
    },
    /// Published: players can use the URLs.
    Published(PublishedAsset),
    /// The job failed (or was canceled); the next publish of the asset starts a new one.
    Failed {
        /// The job.
        job_id: String,
        /// MediaConvert's error code.
        code: Option<i32>,
        /// MediaConvert's error message.
        message: String,
    },
}

impl VodClient {
    /// The live status of one asset. A handful of calls whatever the catalog's size: the published
    /// index entry, then the claim of a running publish and its job, then an upload in progress.
    pub async fn asset(&self, id: &str) -> Result<AssetStatus, Error> {
        let p = &self.inner.pipeline;
        check_id(p, "id", id)?;
        let s3 = &self.inner.clients.s3;
        let out_bucket = p.transcode().output_bucket.as_str();

        if let Some(published) = self.list_index(Some(id)).await?.into_iter().next() {
            return Ok(AssetStatus::Published(published));
        }

        // A publish under way holds a claim that names its job.
        let claims = s3
            .list_objects_v2()
            .bucket(out_bucket)
            .prefix(format!("{}{CLAIM_PREFIX}", output_folder(p, id)))
            .send()
            .await
            .map_err(|e| aws_error("s3:ListObjectsV2", out_bucket, e))?;
        let newest = claims
            .contents()
            .iter()
            .max_by_key(|o| o.last_modified().map(|t| (t.secs(), t.subsec_nanos())))
            .and_then(|o| o.key());
        if let Some(key) = newest {
            let loc = crate::aws::mediaconvert::S3Location {
                bucket: out_bucket.to_owned(),
                key: key.to_owned(),
            };
            let ctx = self.ctx(Box::new(|_| {}));
            let job_id = claim::read(&ctx, &loc).await?.and_then(|h| h.body.job_id);
            let Some(job_id) = job_id else {
                return Ok(AssetStatus::Transcoding {
                    job_id: None,
                    percent: None,
                    phase: None,
                });
            };
            self.inner.clients.job_polls.acquire().await;
            let out = self
                .inner
                .clients
                .mediaconvert
                .get_job()
                .id(&job_id)
                .send()
                .await
                .map_err(|e| aws_error("mediaconvert:GetJob", &job_id, e))?;
            let job = out.job();
            let status = job.and_then(|j| j.status()).cloned();
            return Ok(match status {
                Some(JobStatus::Error | JobStatus::Canceled) => AssetStatus::Failed {
                    code: job.and_then(|j| j.error_code()),
                    message: job
                        .and_then(|j| j.error_message())
                        .unwrap_or("the job was canceled")
                        .to_owned(),
                    job_id,
                },
                Some(JobStatus::Complete)
                    if matches!(p.origin(), crate::Origin::MediaStore { .. }) =>
                {
                    AssetStatus::CopyingToOrigin { job_id }
                }
                _ => AssetStatus::Transcoding {
                    percent: job.and_then(|j| j.job_percent_complete()),
                    phase: job
                        .and_then(|j| j.current_phase())
                        .map(|ph| ph.as_str().to_owned()),
                    job_id: Some(job_id),
                },
            });
        }

        // No claim yet: is the mezzanine still arriving?
        let source = p.source();
        let uploads = s3
            .list_multipart_uploads()
            .bucket(source.bucket.as_str())
            .prefix(source.prefix.join(&format!("{id}.")))
            .send()
            .await
            .map_err(|e| aws_error("s3:ListMultipartUploads", source.bucket.as_str(), e))?;
        if !uploads.uploads().is_empty() {
            return Ok(AssetStatus::Uploading);
        }
        Ok(AssetStatus::NotFound)
    }

    /// Every published asset with its URLs, from the published index (one `ListObjectsV2` page per
    /// 1,000 assets), in id order. Never a local file.
    pub async fn assets(&self) -> Result<Vec<PublishedAsset>, Error> {
        self.list_index(None).await
    }

    /// The index entries of one asset, or of all.
    async fn list_index(&self, id: Option<&str>) -> Result<Vec<PublishedAsset>, Error> {
        let p = &self.inner.pipeline;
        let infra = self.infra().await?;
        let bucket = p.transcode().output_bucket.as_str();
        let root = format!("{}{PUBLISHED_INDEX}", p.transcode().output_prefix);
        let prefix = match id {
            Some(id) => format!("{root}{id}/"),
            None => root.clone(),
        };
        // Newest entry per asset (a republish writes its entry before removing the old one).
        let mut newest: std::collections::BTreeMap<String, (i64, u32, String)> =
            std::collections::BTreeMap::new();
        let mut pages = self
            .inner
            .clients
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(&prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("s3:ListObjectsV2", &prefix, e))?;
            for o in page.contents() {
                let Some((asset, job)) = o
                    .key()
                    .and_then(|k| k.strip_prefix(&root))
                    .and_then(|rest| rest.split_once('/'))
                else {
                    continue;
                };
                if job.is_empty() || job.contains('/') {
                    continue;
                }
                let at = o
                    .last_modified()
                    .map_or((0, 0), |t| (t.secs(), t.subsec_nanos()));
                let e = newest
                    .entry(asset.to_owned())
                    .or_insert((at.0, at.1, job.to_owned()));
                // The same order as the index's own clean-up: time, then job id.
                if (at.0, at.1, job) > (e.0, e.1, e.2.as_str()) {
                    *e = (at.0, at.1, job.to_owned());
                }
            }
        }
        Ok(newest
            .into_iter()
            .map(|(asset, (_, _, job_id))| PublishedAsset {
                playback: crate::apply::playback_urls(
                    &crate::plan::asset_playback_paths(p, &asset),
                    &infra.domain,
                ),
                id: asset,
                job_id,
                change: Change::NoOp,
                published: true,
            })
            .collect())
    }
}
