//! Bucket operations: create, delete, head, list, location, and the bucket settings s3s-fs does not keep
//! (CORS, policy, tagging).

use super::*;

impl Emu {
    pub(super) async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        set_op(&req, "CreateBucket");
        if self.bucket_exists(&req.input.bucket) {
            let region = req
                .extensions
                .get::<ScopeRegion>()
                .map(|r| r.0.clone())
                .unwrap_or_default();
            // AWS: in us-east-1 re-creating your own bucket succeeds (legacy); elsewhere it is BucketAlreadyOwnedByYou.
            if region == "us-east-1" || region.is_empty() {
                return Ok(S3Response::new(CreateBucketOutput {
                    location: Some(format!("/{}", req.input.bucket)),
                }));
            }
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "Your previous request to create the named bucket succeeded and you already own it."
            ));
        }
        // AWS's LocationConstraint rules: required (and equal to the endpoint's region) outside us-east-1;
        // `us-east-1` itself is not a valid constraint.
        let region = req
            .extensions
            .get::<ScopeRegion>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_string())
            .filter(|c| !c.is_empty());
        match (&constraint, region.as_str()) {
            (Some(c), _) if c == "us-east-1" => {
                return Err(s3_error!(
                    InvalidLocationConstraint,
                    "The specified location-constraint is not valid"
                ));
            }
            (None, r) if !r.is_empty() && r != "us-east-1" => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            (Some(c), r) if !r.is_empty() && r != "us-east-1" && c != r => {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
            _ => {}
        }
        let bucket = req.input.bucket.clone();
        let mut resp = self.0.fs.create_bucket(req).await?;
        if constraint.is_some() {
            self.meta_update(&bucket, |m| m.location = constraint);
        }
        self.0
            .created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(bucket.clone(), std::time::Instant::now());
        resp.output.location = Some(format!("/{bucket}"));
        Ok(resp)
    }

    pub(super) async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        set_op(&req, "DeleteBucket");
        let bucket = req.input.bucket.clone();
        self.require_bucket(&bucket)?;
        let path = self
            .bucket_path(&bucket)
            .ok_or_else(|| s3_error!(NoSuchBucket))?;
        let non_empty = std::fs::read_dir(&path)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if non_empty {
            return Err(s3_error!(
                BucketNotEmpty,
                "The bucket you tried to delete is not empty"
            ));
        }
        let resp = self.0.fs.delete_bucket(req).await?;
        self.meta_remove(&bucket);
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, u| u.bucket != bucket);
        Ok(resp)
    }

    pub(super) async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        set_op(&req, "HeadBucket");
        let bucket = req.input.bucket.clone();
        let mut resp = self.0.fs.head_bucket(req).await?;
        resp.output.bucket_region = Some(self.region_of(&bucket));
        Ok(resp)
    }

    /// The bucket's Region: its LocationConstraint, or us-east-1 without one.
    fn region_of(&self, bucket: &str) -> String {
        match self.meta_get(bucket).location.as_deref() {
            None | Some("") => "us-east-1".to_string(),
            Some("EU") => "eu-west-1".to_string(),
            Some(r) => r.to_string(),
        }
    }

    pub(super) async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        set_op(&req, "ListBuckets");
        // S3 gives each bucket's Region when the request has a parameter, and filters by Region and
        // name prefix (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
        let i = &req.input;
        let with_region = i.bucket_region.is_some()
            || i.prefix.is_some()
            || i.max_buckets.is_some()
            || i.continuation_token.is_some();
        let (want_region, prefix) = (i.bucket_region.clone(), i.prefix.clone());
        let mut resp = self.0.fs.list_buckets(req).await?;
        if let Some(b) = resp.output.buckets.as_mut() {
            b.sort_by(|x, y| x.name.cmp(&y.name));
            if with_region {
                for bucket in b.iter_mut() {
                    bucket.bucket_region = bucket.name.as_deref().map(|n| self.region_of(n));
                }
            }
            b.retain(|bucket| {
                want_region
                    .as_ref()
                    .is_none_or(|r| bucket.bucket_region.as_ref() == Some(r))
                    && prefix.as_ref().is_none_or(|p| {
                        bucket
                            .name
                            .as_deref()
                            .is_some_and(|n| n.starts_with(p.as_str()))
                    })
            });
        }
        Ok(resp)
    }

    pub(super) async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        set_op(&req, "GetBucketLocation");
        let bucket = req.input.bucket.clone();
        let mut resp = self.0.fs.get_bucket_location(req).await?;
        resp.output.location_constraint = self
            .meta_get(&bucket)
            .location
            .map(BucketLocationConstraint::from);
        Ok(resp)
    }

    pub(super) async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        set_op(&req, "PutBucketCors");
        self.require_bucket(&req.input.bucket)?;
        let rules = validate_cors(&req.input.cors_configuration.cors_rules)?;
        self.meta_update(&req.input.bucket, |m| m.cors = Some(rules));
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    pub(super) async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        set_op(&req, "GetBucketCors");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).cors {
            Some(rules) => Ok(S3Response::new(GetBucketCorsOutput {
                cors_rules: Some(
                    rules
                        .into_iter()
                        .map(|r| CORSRule {
                            allowed_headers: (!r.allowed_headers.is_empty())
                                .then_some(r.allowed_headers),
                            allowed_methods: r.allowed_methods,
                            allowed_origins: r.allowed_origins,
                            expose_headers: (!r.expose_headers.is_empty())
                                .then_some(r.expose_headers),
                            id: r.id,
                            max_age_seconds: r.max_age_seconds,
                        })
                        .collect(),
                ),
            })),
            None => Err(s3_error!(
                NoSuchCORSConfiguration,
                "The CORS configuration does not exist"
            )),
        }
    }

    pub(super) async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        set_op(&req, "DeleteBucketCors");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.cors = None);
        Ok(S3Response::with_status(
            DeleteBucketCorsOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    pub(super) async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        set_op(&req, "PutBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        validate_policy(&req.input.policy)?;
        let policy = req.input.policy.clone();
        self.meta_update(&req.input.bucket, |m| m.policy = Some(policy));
        Ok(S3Response::with_status(
            PutBucketPolicyOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    pub(super) async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        set_op(&req, "GetBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).policy {
            Some(policy) => Ok(S3Response::new(GetBucketPolicyOutput {
                policy: Some(policy),
            })),
            None => Err(s3_error!(
                NoSuchBucketPolicy,
                "The bucket policy does not exist"
            )),
        }
    }

    pub(super) async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        set_op(&req, "DeleteBucketPolicy");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.policy = None);
        Ok(S3Response::with_status(
            DeleteBucketPolicyOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    pub(super) async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        set_op(&req, "PutBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        let mut tags = Vec::new();
        for t in &req.input.tagging.tag_set {
            let (Some(k), Some(v)) = (&t.key, &t.value) else {
                return Err(s3_error!(InvalidTag, "Tags must have a key and a value"));
            };
            if tags.iter().any(|(x, _): &(String, String)| x == k) {
                return Err(s3_error!(
                    InvalidTag,
                    "Cannot provide multiple Tags with the same key"
                ));
            }
            tags.push((k.clone(), v.clone()));
        }
        self.meta_update(&req.input.bucket, |m| m.tags = Some(tags));
        Ok(S3Response::with_status(
            PutBucketTaggingOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }

    pub(super) async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        set_op(&req, "GetBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        match self.meta_get(&req.input.bucket).tags {
            Some(tags) => Ok(S3Response::new(GetBucketTaggingOutput {
                tag_set: tags
                    .into_iter()
                    .map(|(k, v)| Tag {
                        key: Some(k),
                        value: Some(v),
                    })
                    .collect(),
            })),
            None => Err(s3_error!(NoSuchTagSet, "The TagSet does not exist")),
        }
    }

    pub(super) async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        set_op(&req, "DeleteBucketTagging");
        self.require_bucket(&req.input.bucket)?;
        self.meta_update(&req.input.bucket, |m| m.tags = None);
        Ok(S3Response::with_status(
            DeleteBucketTaggingOutput::default(),
            StatusCode::NO_CONTENT,
        ))
    }
}
