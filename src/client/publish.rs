//! `publish`: one asset, from a local file or from an object already in S3, to playback URLs.

use std::path::{Path, PathBuf};

use aws_sdk_s3::types::ChecksumMode;
use serde::Serialize;

use super::{VodClient, check_id};
use crate::apply::{Change, Handle, PlaybackUrl};
use crate::aws::{aws_error, error_code};
use crate::error::{Error, Violation, Violations};
use crate::plan::{OutputKey, StepId};
use crate::spec::model::Asset;
use crate::types::{AssetId, BucketName};

/// Where the mezzanine of a [`VodClient::publish`] comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssetSource {
    /// A local file, uploaded to the source bucket first (multipart above the part size, resumable).
    File(PathBuf),
    /// An object already in S3, for example one a browser uploaded with
    /// [`VodClient::upload_url`]. MediaConvert's role must be able to read it.
    S3 {
        /// The bucket.
        bucket: BucketName,
        /// The key.
        key: String,
    },
}

impl AssetSource {
    /// A local file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        AssetSource::File(path.into())
    }

    /// An object in S3, written `s3://bucket/key`.
    pub fn s3(uri: &str) -> Result<Self, Error> {
        let invalid = |rule: &str| {
            Error::Invalid(Violations(vec![Violation {
                field: "source".into(),
                value: uri.to_owned(),
                rule: rule.to_owned(),
            }]))
        };
        let (bucket, key) = crate::names::parse_s3_uri(uri)
            .ok_or_else(|| invalid("must be s3://<bucket>/<key>"))?;
        let bucket: BucketName = bucket
            .parse()
            .map_err(|e: crate::error::InvalidValue| invalid(&format!("the bucket {}", e.rule)))?;
        if key.is_empty() || key.ends_with('/') || key.len() > 1024 {
            return Err(invalid(
                "must name one object: a key of 1 to 1,024 bytes that does not end with '/'",
            ));
        }
        Ok(AssetSource::S3 {
            bucket,
            key: key.to_owned(),
        })
    }

    /// `s3://…` is an S3 object, anything else a local path.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.starts_with("s3://") {
            Self::s3(text)
        } else {
            Ok(Self::file(text))
        }
    }

    /// The file name without extension: the default asset id.
    fn stem(&self) -> Option<&str> {
        let name = match self {
            AssetSource::File(p) => p.file_name()?.to_str()?,
            AssetSource::S3 { key, .. } => key.rsplit('/').next()?,
        };
        Some(name.rsplit_once('.').map_or(name, |(stem, _)| stem))
    }
}

impl std::fmt::Display for AssetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AssetSource::File(p) => write!(f, "{}", p.display()),
            AssetSource::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// A published asset: its id, the job that produced its output, and where players find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PublishedAsset {
    /// The asset id.
    pub id: String,
    /// The MediaConvert job whose output is published.
    pub job_id: String,
    /// One URL per format and manifest.
    pub playback: Vec<PlaybackUrl>,
    /// What this publish did: [`Change::NoOp`] when the same content with the same settings was
    /// already published (nothing transcoded, no mutating call), [`Change::Create`] for a new asset,
    /// [`Change::Update`] when changed content or settings were transcoded again.
    #[serde(flatten)]
    pub change: Change,
    /// `false` when the publish was started without waiting ([`Publish::wait`]): the job runs, and
    /// the URLs work once a later publish of the same source has finished it.
    pub published: bool,
}

impl PublishedAsset {
    /// The first URL of a format (`hls`, `dash`, `cmaf`, `mp4`).
    pub fn url(&self, format: crate::OutputFormat) -> Option<&url::Url> {
        self.playback
            .iter()
            .find(|p| p.format == format)
            .map(|p| &p.url)
    }
}

/// A running publish: progress events and the [`PublishedAsset`].
pub type PublishHandle = Handle<PublishedAsset>;

/// A publish being set up; [`Publish::start`] begins it.
#[must_use = "nothing happens until start() is called"]
#[derive(Debug)]
pub struct Publish {
    client: VodClient,
    source: AssetSource,
    id: Option<AssetId>,
    wait: bool,
}

impl VodClient {
    /// Publishes one asset: uploads a local file (or takes an object already in S3), transcodes it
    /// (once, however many publishers run at once), copies it into a MediaStore container when that
    /// is the origin, invalidates a republished asset's paths, and resolves to its playback URLs.
    /// Publishing the same content with the same settings again makes no mutating call.
    pub fn publish(&self, source: AssetSource) -> Publish {
        Publish {
            client: self.clone(),
            source,
            id: None,
            wait: true,
        }
    }
}

impl Publish {
    /// The asset id; by default the source's file name without extension.
    pub fn id(mut self, id: AssetId) -> Self {
        self.id = Some(id);
        self
    }

    /// Wait for the job and finish publishing (default). With `false` the publish uploads, starts
    /// the job (or finds the one already running) and returns; publishing the same source again
    /// later attaches to that job, transcodes nothing new, and finishes (the published index, the
    /// copy into a MediaStore container, the invalidation).
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// Starts on the current Tokio runtime. Input is checked before any AWS call; an invalid source
    /// or id fails the handle with [`Error::Invalid`]. A file source must be a regular file whose
    /// first bytes match a container MediaConvert reads (the check spec validation makes).
    pub fn start(self) -> PublishHandle {
        Handle::spawn(move |sink| async move {
            let Publish {
                client,
                source,
                id,
                wait,
            } = self;
            let asset = client.asset_for(&source, id.as_ref())?;
            let infra = client.infra().await?.clone();
            let mut ctx = client.ctx(sink);
            ctx.options.start_jobs_only = !wait;
            for (step, outputs) in &infra.outputs {
                ctx.record(step, &Change::NoOp, outputs);
            }
            let upload = matches!(source, AssetSource::File(_));
            if let AssetSource::S3 { bucket, key } = &source {
                let checksum = source_checksum(&ctx, bucket.as_str(), key).await?;
                ctx.record(
                    &StepId::Upload(asset.id.clone()),
                    &Change::NoOp,
                    &[(OutputKey::Checksum, checksum)],
                );
            }
            let id = asset.id.clone();
            let mut plan = crate::plan::publish::for_asset(&client.inner.pipeline, asset, upload);
            if !wait {
                plan.steps.retain(|s| {
                    matches!(
                        s.id,
                        StepId::Upload(_) | StepId::UploadCaptions(_) | StepId::Job(_)
                    )
                });
            }
            crate::apply::engine::run_forward(&plan, &ctx, crate::aws::Mode::Apply).await?;
            let job = StepId::Job(id.clone());
            let job_id = ctx
                .output(&job, OutputKey::JobId)
                .ok_or_else(|| Error::internal(&job, "the job step finished without a job id"))?;
            let change = [StepId::Copy(id.clone()), job]
                .iter()
                .filter_map(|s| ctx.change(s))
                .find(|c| *c != Change::NoOp)
                .unwrap_or(Change::NoOp);
            Ok(PublishedAsset {
                playback: crate::apply::playback_urls(&plan.playback, &infra.domain),
                id,
                job_id,
                change,
                published: wait,
            })
        })
    }
}

impl VodClient {
    /// The asset a source publishes as: its id checked, its key in the source bucket.
    fn asset_for(&self, source: &AssetSource, id: Option<&AssetId>) -> Result<Asset, Error> {
        let p = &self.inner.pipeline;
        let id = match id {
            Some(id) => check_id(p, "id", id.as_str())?,
            None => {
                let stem = source.stem().unwrap_or_default();
                check_id(p, "source", stem).map_err(|e| match e {
                    Error::Invalid(Violations(mut v)) => {
                        for x in &mut v {
                            x.value = source.to_string();
                            x.rule = format!("the file name without extension is the asset id, unless one is given: {}", x.rule);
                        }
                        Error::Invalid(Violations(v))
                    }
                    other => other,
                })?
            }
        };
        Ok(match source {
            AssetSource::File(path) => {
                check_file(path)?;
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                // The object is named after the asset, so two ids never share a source object.
                let name = match name.rsplit_once('.') {
                    Some((_, ext)) => format!("{id}.{ext}"),
                    None => id.to_string(),
                };
                Asset {
                    id: id.to_string(),
                    file: path.clone(),
                    source_key: p.source().prefix.join(&name),
                    source_bucket: None,
                    caption_file: None,
                    caption_key: None,
                }
            }
            AssetSource::S3 { bucket, key } => Asset {
                id: id.to_string(),
                file: PathBuf::new(),
                source_key: key.clone(),
                source_bucket: (bucket != &p.source().bucket).then(|| bucket.clone()),
                caption_file: None,
                caption_key: None,
            },
        })
    }
}

fn check_file(path: &Path) -> Result<(), Error> {
    let invalid = |rule: String| {
        Error::Invalid(Violations(vec![Violation {
            field: "source".into(),
            value: path.display().to_string(),
            rule,
        }]))
    };
    match std::fs::metadata(path) {
        // The same sniff as a spec's source files: the wrong file fails here, before any AWS call,
        // rather than as a failed job after its upload.
        Ok(m) if m.is_file() => match crate::spec::validate::media_file_problem(path, m.len()) {
            None => Ok(()),
            Some(rule) => Err(invalid(rule)),
        },
        Ok(_) => Err(invalid("must be a regular file".into())),
        Err(e) => Err(invalid(format!("cannot be read: {e}"))),
    }
}

/// The object's full-object checksum (or, for an object stored without one, its ETag): what makes
/// the job's idempotency token change when the content does.
async fn source_checksum(ctx: &crate::aws::Ctx, bucket: &str, key: &str) -> Result<String, Error> {
    let uri = format!("s3://{bucket}/{key}");
    match ctx
        .clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
    {
        Ok(o) => Ok(o
            .checksum_crc64_nvme()
            .or(o.checksum_crc32_c())
            .or(o.checksum_crc32())
            .or(o.checksum_sha256())
            .or(o.checksum_sha1())
            .or(o.e_tag())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}", o.content_length().unwrap_or_default()))),
        Err(e)
            if matches!(error_code(&e), Some("NotFound" | "NoSuchKey"))
                || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Err(Error::Invalid(Violations(vec![Violation {
                field: "source".into(),
                value: uri,
                rule: "must be an existing S3 object".into(),
            }])))
        }
        Err(e) => Err(aws_error("s3:HeadObject", &uri, e)),
    }
}
