//! The origin bucket's policy, which lets the distribution, and only it, read the packaged video
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html>).

use crate::apply::event::Change;
use crate::aws::policy_document::policy_diff;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::PolicyParams;

/// A bucket policy step.
pub(crate) struct BucketPolicy<'a> {
    p: &'a PolicyParams,
    /// The document, once the values of earlier steps are known (refresh may not know them yet).
    want: Option<String>,
}

impl<'a> BucketPolicy<'a> {
    pub(crate) fn new(p: &'a PolicyParams, want: Option<serde_json::Value>) -> Self {
        Self {
            p,
            want: want.map(|doc| doc.to_string()),
        }
    }

    async fn put(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let policy = self.want.clone().unwrap_or_default();
        super::on_new_bucket(|| {
            ctx.clients
                .s3
                .put_bucket_policy()
                .bucket(&self.p.target)
                .policy(policy.clone())
                .send()
        })
        .await
        .map_err(|e| aws_error("s3:PutBucketPolicy", &self.p.target, e))?;
        Ok(Vec::new())
    }
}

impl Resource for BucketPolicy<'_> {
    /// The live policy document.
    type Live = String;

    async fn read(&self, ctx: &Ctx) -> Result<Option<String>, Error> {
        match ctx
            .clients
            .s3
            .get_bucket_policy()
            .bucket(&self.p.target)
            .send()
            .await
        {
            Ok(o) => Ok(o.policy().map(str::to_owned)),
            // No bucket yet (refresh before the bucket exists): nothing to compare with.
            Err(e) if matches!(error_code(&e), Some("NoSuchBucketPolicy" | "NoSuchBucket")) => {
                Ok(None)
            }
            Err(e) => Err(aws_error("s3:GetBucketPolicy", &self.p.target, e)),
        }
    }

    fn diff(&self, live: &String) -> Vec<String> {
        policy_diff(live, self.want.as_deref())
    }

    fn outputs(&self, _: &String) -> Outputs {
        Vec::new()
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        self.put(ctx).await
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _: String,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let outputs = self.put(ctx).await?;
        Ok((Change::Update { diff }, outputs))
    }

    async fn delete(&self, ctx: &Ctx, _: String) -> Result<Change, Error> {
        match ctx
            .clients
            .s3
            .delete_bucket_policy()
            .bucket(&self.p.target)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchBucket") => Ok(Change::Absent),
            Err(e) => Err(aws_error("s3:DeleteBucketPolicy", &self.p.target, e)),
        }
    }
}
