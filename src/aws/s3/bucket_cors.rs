//! The origin bucket's CORS configuration, so that browsers may read the video from other origins
//! (<https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html>). Rules compare in
//! order; the lists inside a rule compare as sets.

use aws_sdk_s3::types::{CorsConfiguration, CorsRule as S3CorsRule};

use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::BucketCorsParams;

/// A bucket CORS step.
pub(crate) struct BucketCors<'a> {
    p: &'a BucketCorsParams,
    want: Vec<S3CorsRule>,
}

impl<'a> BucketCors<'a> {
    pub(crate) fn new(p: &'a BucketCorsParams) -> Result<Self, Error> {
        Ok(Self {
            want: cors_rules(p)?,
            p,
        })
    }

    fn bucket(&self) -> &str {
        self.p.bucket.as_str()
    }
}

impl Resource for BucketCors<'_> {
    /// The live rules in comparable form.
    type Live = Vec<String>;

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        match ctx
            .clients
            .s3
            .get_bucket_cors()
            .bucket(self.bucket())
            .send()
            .await
        {
            Ok(live) => Ok(Some(live.cors_rules().iter().map(cors_key).collect())),
            // No bucket yet (refresh before the bucket exists): nothing to compare with.
            Err(e)
                if matches!(
                    error_code(&e),
                    Some("NoSuchCORSConfiguration" | "NoSuchBucket")
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_error("s3:GetBucketCors", self.bucket(), e)),
        }
    }

    fn diff(&self, live: &Self::Live) -> Vec<String> {
        let want: Vec<String> = self.want.iter().map(cors_key).collect();
        if *live == want {
            Vec::new()
        } else {
            vec![format!("CORS rules: {live:?} -> {want:?}")]
        }
    }

    fn outputs(&self, _: &Self::Live) -> Outputs {
        Vec::new()
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let conf = CorsConfiguration::builder()
            .set_cors_rules(Some(self.want.clone()))
            .build()
            .map_err(|e| {
                Error::internal(self.bucket(), format!("cannot build the request: {e}"))
            })?;
        super::on_new_bucket(|| {
            ctx.clients
                .s3
                .put_bucket_cors()
                .bucket(self.bucket())
                .cors_configuration(conf.clone())
                .send()
        })
        .await
        .map_err(|e| aws_error("s3:PutBucketCors", self.bucket(), e))?;
        Ok(Vec::new())
    }

    async fn update(
        &self,
        ctx: &Ctx,
        _: Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let outputs = self.create(ctx).await?;
        Ok((Change::Update { diff }, outputs))
    }

    async fn delete(&self, ctx: &Ctx, _: Self::Live) -> Result<Change, Error> {
        match ctx
            .clients
            .s3
            .delete_bucket_cors()
            .bucket(self.bucket())
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchBucket") => Ok(Change::Absent),
            Err(e) => Err(aws_error("s3:DeleteBucketCors", self.bucket(), e)),
        }
    }
}

fn cors_rules(p: &BucketCorsParams) -> Result<Vec<S3CorsRule>, Error> {
    p.rules
        .iter()
        .map(|r| {
            S3CorsRule::builder()
                .set_allowed_origins(Some(
                    r.allowed_origins.iter().map(|o| o.to_string()).collect(),
                ))
                .set_allowed_methods(Some(r.allowed_methods.clone()))
                .set_allowed_headers(Some(r.allowed_headers.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()))
                .max_age_seconds(r.max_age_seconds as i32)
                .build()
                .map_err(|e| {
                    Error::internal(p.bucket.as_str(), format!("cannot build the request: {e}"))
                })
        })
        .collect()
}

/// Comparable form of a CORS rule (order of rules matters; order inside lists does not).
fn cors_key(r: &S3CorsRule) -> String {
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    format!(
        "origins {:?} methods {:?} headers {:?} expose {:?} max-age {:?}",
        sorted(r.allowed_origins()),
        sorted(r.allowed_methods()),
        sorted(r.allowed_headers()),
        sorted(r.expose_headers()),
        r.max_age_seconds()
    )
}
