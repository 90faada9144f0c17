//! A bucket: found among the account's own buckets (another account's bucket of the same name is
//! a conflict, never taken over), created in the pipeline's Region and tagged; on destroy (only with
//! `delete_buckets`) emptied, unfinished multipart uploads included, and deleted.

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, Tag, Tagging,
};

use super::is_not_found;
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::{BucketParams, OutputKey};

/// A bucket step.
pub(crate) struct Bucket<'a> {
    p: &'a BucketParams,
}

impl<'a> Bucket<'a> {
    pub(crate) fn new(p: &'a BucketParams) -> Self {
        Self { p }
    }

    fn name(&self) -> &str {
        self.p.bucket.as_str()
    }
}

impl Resource for Bucket<'_> {
    /// The bucket exists and is this account's.
    type Live = ();

    /// A bucket of this account in another Region than the pipeline's is a conflict naming both:
    /// MediaConvert and CloudFront would address it through the wrong regional endpoint.
    async fn read(&self, ctx: &Ctx) -> Result<Option<()>, Error> {
        let want = self.p.region.as_str();
        match bucket_state(ctx, self.name()).await? {
            Some(region) if region != want => Err(Error::Conflict {
                resource: format!("s3://{}", self.name()),
                reason: format!(
                    "the bucket is in {region}, and the pipeline's region is {want}: use a bucket in {want}, or set region = \"{region}\" (a bucket cannot move; https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingBucket.html)"
                ),
            }),
            Some(_) => Ok(Some(())),
            None => Ok(None),
        }
    }

    /// A bucket has no settings this crate manages besides its existence.
    fn diff(&self, _: &()) -> Vec<String> {
        Vec::new()
    }

    fn outputs(&self, _: &()) -> Outputs {
        self.known_outputs()
    }

    fn known_outputs(&self) -> Outputs {
        vec![(OutputKey::Bucket, self.name().to_owned())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let name = self.name();
        let s3 = &ctx.clients.s3;
        let mut req = s3.create_bucket().bucket(name);
        if self.p.region.as_str() != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.p.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if error_code(&e) == Some("BucketAlreadyOwnedByYou") => {}
            // Created meanwhile by another run of this pipeline (a second apply at the same time):
            // this account's own bucket, listed now.
            Err(e)
                if error_code(&e) == Some("BucketAlreadyExists")
                    && listed(ctx, name).await?.is_some() => {}
            Err(e) if error_code(&e) == Some("BucketAlreadyExists") => {
                return Err(Error::Conflict {
                    resource: format!("s3://{name}"),
                    reason: "the bucket name is taken by another account; choose another name"
                        .into(),
                });
            }
            Err(e) => return Err(aws_error("s3:CreateBucket", name, e)),
        }
        let tags: Result<Vec<Tag>, _> = self
            .p
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
        super::on_new_bucket(|| {
            s3.put_bucket_tagging()
                .bucket(name)
                .tagging(tagging.clone())
                .send()
        })
        .await
        .map_err(|e| aws_error("s3:PutBucketTagging", name, e))?;
        Ok(self.known_outputs())
    }

    /// Never called: a bucket never differs.
    async fn update(&self, _: &Ctx, _: (), _: Vec<String>) -> Result<(Change, Outputs), Error> {
        Ok((Change::NoOp, self.known_outputs()))
    }

    async fn delete(&self, ctx: &Ctx, _: ()) -> Result<Change, Error> {
        let name = self.name();
        let s3 = &ctx.clients.s3;
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
        Ok(Change::Delete)
    }
}

/// The bucket's Region when it exists and is ours, `None` when it is missing, and `Err(Conflict)` when
/// it is someone else's.
async fn bucket_state(ctx: &Ctx, bucket: &str) -> Result<Option<String>, Error> {
    if let Some(region) = listed(ctx, bucket).await? {
        return Ok(Some(region));
    }
    let exists = match ctx.clients.s3.head_bucket().bucket(bucket).send().await {
        Err(e)
            if is_not_found(&e) || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
        {
            return Ok(None);
        }
        // It exists: 200 (readable) or 403 (not ours, or not readable).
        Ok(_) => true,
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => true,
        Err(e) => return Err(aws_error("s3:HeadBucket", bucket, e)),
    };
    // It exists but was not listed. Another run of this pipeline (a second apply started at the same
    // time) may have created it since: it is ours if ListBuckets lists it now.
    if exists && let Some(region) = listed(ctx, bucket).await? {
        return Ok(Some(region));
    }
    Err(owned_by_another(bucket))
}

/// The Region of `bucket` when ListBuckets, which lists only the caller's own buckets, lists it
/// (that is how ownership is told apart); `None` when it does not. ListBuckets gives each bucket's
/// Region when the request has a parameter (here `max-buckets`); where it does not, GetBucketLocation
/// tells it.
async fn listed(ctx: &Ctx, bucket: &str) -> Result<Option<String>, Error> {
    let mut pages = ctx
        .clients
        .s3
        .list_buckets()
        .max_buckets(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("s3:ListBuckets", bucket, e))?;
        if let Some(b) = page.buckets().iter().find(|b| b.name() == Some(bucket)) {
            return Ok(Some(match b.bucket_region() {
                Some(region) => region.to_owned(),
                None => location(ctx, bucket).await?,
            }));
        }
    }
    Ok(None)
}

/// The bucket's Region from GetBucketLocation: no constraint is us-east-1, and `EU` is eu-west-1
/// (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html>).
async fn location(ctx: &Ctx, bucket: &str) -> Result<String, Error> {
    let out = ctx
        .clients
        .s3
        .get_bucket_location()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| aws_error("s3:GetBucketLocation", bucket, e))?;
    Ok(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_owned(),
        Some("EU") => "eu-west-1".to_owned(),
        Some(region) => region.to_owned(),
    })
}

fn owned_by_another(bucket: &str) -> Error {
    Error::Conflict {
        resource: format!("s3://{bucket}"),
        reason: "the bucket exists but belongs to another account (it is not in this account's ListBuckets); choose another name: S3 bucket names are global".into(),
    }
}
