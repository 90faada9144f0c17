//! `upload_url`: presigned S3 URLs with which a browser (or any HTTP client) uploads a mezzanine
//! straight into the source bucket, without AWS credentials of its own; then
//! [`VodClient::publish`] takes the object from S3.
//!
//! Below the part size it is one presigned `PUT`. Above it, a multipart upload: this call starts it
//! (`CreateMultipartUpload`) and presigns one `UploadPart` URL per part; the uploader PUTs each
//! part's bytes to its URL, then [`VodClient::complete_upload`] completes it (the part ETags are
//! read back with `ListParts`, so the uploader does not have to report them). See
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/PresignedUrlUploadObject.html>.
//!
//! A browser on another origin also needs a CORS rule on the source bucket that allows `PUT` from
//! it and exposes `ETag`; this crate does not add one.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::Serialize;

use super::{VodClient, check_id};
use crate::aws::aws_error;
use crate::error::{Error, Violation, Violations};
use crate::upload::PartSize;

/// Longest validity of a SigV4 presigned URL (7 days).
pub const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// Largest S3 object (5 TiB).
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024 * 1024;

/// How to upload one mezzanine into the source bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UploadUrls {
    /// The asset id the object is for.
    pub id: String,
    /// Where the object goes: `s3://<source bucket>/<key>`; what [`AssetSource::s3`](super::AssetSource::s3) takes.
    pub object: String,
    /// The object's size, as announced.
    pub size: u64,
    /// The `Content-Type` the uploader must send (it is part of the signature of a single `PUT`).
    pub content_type: String,
    /// When the URLs stop working (Unix seconds).
    pub expires_at: u64,
    /// The requests to send.
    #[serde(flatten)]
    pub kind: UploadKind,
}

/// One `PUT`, or the parts of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum UploadKind {
    /// `PUT` the whole file to `url`, with the `Content-Type` header.
    Single {
        /// The presigned URL.
        url: String,
    },
    /// `PUT` bytes `[offset, offset + length)` of the file to each part's URL, then call
    /// [`VodClient::complete_upload`] with `upload_id`.
    Multipart {
        /// S3's id of the multipart upload.
        upload_id: String,
        /// Bytes per part (the last part may be shorter).
        part_size: u64,
        /// One presigned URL per part.
        parts: Vec<UploadPart>,
    },
}

/// One part of a presigned multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UploadPart {
    /// Part number, from 1.
    pub number: i32,
    /// First byte of the file in this part.
    pub offset: u64,
    /// Bytes in this part.
    pub length: u64,
    /// The presigned `UploadPart` URL.
    pub url: String,
}

impl UploadUrls {
    /// The multipart upload's id, if it is one.
    pub fn upload_id(&self) -> Option<&str> {
        match &self.kind {
            UploadKind::Multipart { upload_id, .. } => Some(upload_id),
            UploadKind::Single { .. } => None,
        }
    }
}

/// An upload URL request being set up; [`UploadUrl::send`] runs it.
#[must_use = "nothing happens until send() is awaited"]
#[derive(Debug)]
pub struct UploadUrl {
    client: VodClient,
    id: String,
    size: u64,
    content_type: String,
    expires_in: Duration,
    part_size: PartSize,
}

impl VodClient {
    /// Presigned URLs to upload a `size`-byte mezzanine for asset `id` into the source bucket, at
    /// `<source prefix><id>.<extension of the content type>`, without AWS credentials on the
    /// uploader's side; then [`VodClient::publish`] takes the object from S3.
    ///
    /// Up to the part size it is one presigned `PUT` ([`UploadKind::Single`]). Above it, this call
    /// starts a multipart upload and presigns one `UploadPart` URL per part
    /// ([`UploadKind::Multipart`]); the uploader PUTs each part's bytes, then
    /// [`VodClient::complete_upload`] completes it. See
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/PresignedUrlUploadObject.html>.
    /// A browser on another origin also needs a CORS rule on the source bucket that allows `PUT`
    /// from it; this crate does not add one.
    pub fn upload_url(&self, id: &str, size: u64) -> UploadUrl {
        UploadUrl {
            client: self.clone(),
            id: id.to_owned(),
            size,
            content_type: "video/mp4".into(),
            expires_in: Duration::from_secs(3600),
            part_size: PartSize::DEFAULT,
        }
    }

    /// Completes a presigned multipart upload: reads the uploaded parts back (`ListParts`), checks
    /// that every part is there, and completes it. Returns `s3://bucket/key`, for
    /// [`AssetSource::s3`](super::AssetSource::s3).
    pub async fn complete_upload(
        &self,
        id: &str,
        upload_id: &str,
        extension: &str,
    ) -> Result<String, Error> {
        let p = &self.inner.pipeline;
        check_id(p, "id", id)?;
        let (bucket, key) = self.upload_key(id, extension)?;
        let s3 = &self.inner.clients.s3;
        let uri = format!("s3://{bucket}/{key}");
        let mut parts = Vec::new();
        let mut pages = s3
            .list_parts()
            .bucket(&bucket)
            .key(&key)
            .upload_id(upload_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("s3:ListParts", &uri, e))?;
            for part in page.parts() {
                parts.push(
                    CompletedPart::builder()
                        .set_part_number(part.part_number())
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                );
            }
        }
        if parts.is_empty() {
            return Err(Error::Invalid(Violations(vec![Violation {
                field: "upload_id".into(),
                value: upload_id.to_owned(),
                rule: format!("no part of {uri} was uploaded with this upload id"),
            }])));
        }
        parts.sort_by_key(|p| p.part_number());
        s3.complete_multipart_upload()
            .bucket(&bucket)
            .key(&key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws_error("s3:CompleteMultipartUpload", &uri, e))?;
        Ok(uri)
    }

    fn upload_key(&self, id: &str, extension: &str) -> Result<(String, String), Error> {
        if extension.is_empty()
            || extension.len() > 10
            || !extension.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(Error::Invalid(Violations(vec![Violation {
                field: "extension".into(),
                value: extension.to_owned(),
                rule: "must be 1 to 10 ASCII letters or digits, such as mp4".into(),
            }])));
        }
        let source = self.inner.pipeline.source();
        Ok((
            source.bucket.to_string(),
            source.prefix.join(&format!("{id}.{extension}")),
        ))
    }
}

/// The file extension for a mezzanine's content type.
pub fn extension_for(content_type: &str) -> Option<&'static str> {
    Some(
        match content_type
            .split(';')
            .next()?
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "video/mp4" => "mp4",
            "video/quicktime" => "mov",
            "application/mxf" => "mxf",
            "video/x-matroska" => "mkv",
            "video/webm" => "webm",
            "video/mp2t" => "ts",
            "video/x-msvideo" => "avi",
            "video/mpeg" => "mpg",
            _ => return None,
        },
    )
}

impl UploadUrl {
    /// The mezzanine's `Content-Type` (default `video/mp4`); it decides the object's extension.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// How long the URLs work (default 1 hour, at most 7 days).
    pub fn expires_in(mut self, expires_in: Duration) -> Self {
        self.expires_in = expires_in;
        self
    }

    /// Part size of a multipart upload (default 16 MiB; raised to stay within 10,000 parts).
    pub fn part_size(mut self, part_size: PartSize) -> Self {
        self.part_size = part_size;
        self
    }

    /// Checks the input (every problem at once), then presigns. A multipart upload is started here.
    pub async fn send(self) -> Result<UploadUrls, Error> {
        let UploadUrl {
            client,
            id,
            size,
            content_type,
            expires_in,
            part_size,
        } = self;
        let p = &client.inner.pipeline;
        let mut problems = Vec::new();
        if let Err(Error::Invalid(Violations(v))) = check_id(p, "id", &id) {
            problems.extend(v);
        }
        if size == 0 || size > MAX_OBJECT_SIZE {
            problems.push(Violation {
                field: "size".into(),
                value: size.to_string(),
                rule: "must be 1 byte to 5 TiB, the largest S3 object".into(),
            });
        }
        let extension = extension_for(&content_type);
        if extension.is_none() {
            problems.push(Violation {
                field: "content_type".into(),
                value: content_type.clone(),
                rule: "must be a video type: video/mp4, video/quicktime, application/mxf, video/x-matroska, video/webm, video/mp2t, video/x-msvideo or video/mpeg".into(),
            });
        }
        if expires_in < Duration::from_secs(1) || expires_in > MAX_EXPIRY {
            problems.push(Violation {
                field: "expires".into(),
                value: format!("{}s", expires_in.as_secs()),
                rule: "must be 1 second to 7 days, the validity SigV4 allows a presigned URL"
                    .into(),
            });
        }
        let part_size = part_size.for_object(size);
        if part_size.is_none() && size <= MAX_OBJECT_SIZE && size > 0 {
            problems.push(Violation {
                field: "size".into(),
                value: size.to_string(),
                rule: "does not fit in 10,000 parts of at most 5 GiB".into(),
            });
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(Violations(problems)));
        }
        let (Some(extension), Some(part_size)) = (extension, part_size) else {
            return Err(Error::internal("upload_url", "checked input is missing"));
        };
        let (bucket, key) = client.upload_key(&id, extension)?;
        let object = format!("s3://{bucket}/{key}");
        let presigning = PresigningConfig::expires_in(expires_in)
            .map_err(|e| Error::internal("upload_url", e.to_string()))?;
        let expires_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + expires_in.as_secs();
        let s3 = &client.inner.clients.s3;
        let kind = if size <= part_size.bytes() {
            let req = s3
                .put_object()
                .bucket(&bucket)
                .key(&key)
                .content_type(&content_type)
                .presigned(presigning)
                .await
                .map_err(|e| aws_error("s3:PutObject (presign)", &object, e))?;
            UploadKind::Single {
                url: req.uri().to_owned(),
            }
        } else {
            let started = s3
                .create_multipart_upload()
                .bucket(&bucket)
                .key(&key)
                .content_type(&content_type)
                .send()
                .await
                .map_err(|e| aws_error("s3:CreateMultipartUpload", &object, e))?;
            let upload_id = started.upload_id().map(str::to_owned).ok_or_else(|| {
                Error::IncompleteResponse {
                    operation: "s3:CreateMultipartUpload".into(),
                    resource: object.clone(),
                    field: "UploadId".into(),
                }
            })?;
            let n = part_size.parts(size);
            let mut parts = Vec::with_capacity(n as usize);
            for i in 0..n {
                let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
                let offset = i * part_size.bytes();
                let length = part_size.bytes().min(size - offset);
                let req = s3
                    .upload_part()
                    .bucket(&bucket)
                    .key(&key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .presigned(presigning.clone())
                    .await
                    .map_err(|e| aws_error("s3:UploadPart (presign)", &object, e))?;
                parts.push(UploadPart {
                    number,
                    offset,
                    length,
                    url: req.uri().to_owned(),
                });
            }
            UploadKind::Multipart {
                upload_id,
                part_size: part_size.bytes(),
                parts,
            }
        };
        Ok(UploadUrls {
            id,
            object,
            size,
            content_type,
            expires_at,
            kind,
        })
    }
}
