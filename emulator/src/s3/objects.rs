//! Object operations: put, get, head, delete (one and many), copy, and ListObjects / ListObjectsV2.

use super::*;

impl Emu {
    pub(super) async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        set_op(&req, "PutObject");
        self.require_bucket(&req.input.bucket)?;
        // s3s-fs writes the object before it compares digests (leaving a corrupt object behind on BadDigest):
        // check them first.
        let body = match req.input.body.take() {
            Some(b) => collect_blob(b).await?,
            None => Bytes::new(),
        };
        verify_put_digests(&req.input, &body)?;
        // Conditional writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html):
        // `If-None-Match: *` writes only when no object has the key.
        let conditional = req.input.if_none_match.is_some();
        let _guard = if conditional {
            Some(self.0.conditional_writes.lock().await)
        } else {
            None
        };
        if conditional {
            let existing = match self.object_path(&req.input.bucket, &req.input.key) {
                Some(p) if p.is_file() => Some(p),
                _ => None,
            };
            if let Some(cond) = &req.input.if_none_match {
                if !matches!(cond, s3s::dto::ETagCondition::Any) {
                    return Err(s3_error!(
                        NotImplemented,
                        "If-None-Match on PutObject accepts only *"
                    ));
                }
                if existing.is_some() {
                    return Err(s3_error!(
                        PreconditionFailed,
                        "At least one of the pre-conditions you specified did not hold"
                    ));
                }
            }
        }
        req.input.body = Some(blob(body));
        req.input.key = keys::to_fs(&req.input.key);
        let mut echo = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let mut resp = self.0.fs.put_object(req).await?;
        let o = &mut resp.output;
        o.checksum_crc32 = o.checksum_crc32.take().or(echo.checksum_crc32.take());
        o.checksum_crc32c = o.checksum_crc32c.take().or(echo.checksum_crc32c.take());
        o.checksum_sha1 = o.checksum_sha1.take().or(echo.checksum_sha1.take());
        o.checksum_sha256 = o.checksum_sha256.take().or(echo.checksum_sha256.take());
        o.checksum_crc64nvme = o
            .checksum_crc64nvme
            .take()
            .or(echo.checksum_crc64nvme.take());
        if o.checksum_type.is_none()
            && (o.checksum_crc32.is_some()
                || o.checksum_crc32c.is_some()
                || o.checksum_crc64nvme.is_some()
                || o.checksum_sha1.is_some()
                || o.checksum_sha256.is_some())
        {
            o.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
        }
        Ok(resp)
    }

    pub(super) async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        set_op(&req, "GetObject");
        self.require_bucket(&req.input.bucket)?;
        match self.object_path(&req.input.bucket, &req.input.key) {
            Some(p) if p.is_file() => {}
            _ => return Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
        }
        let conds = (
            req.input.if_match.clone(),
            req.input.if_none_match.clone(),
            req.input.if_modified_since.clone(),
            req.input.if_unmodified_since.clone(),
        );
        let checksum_mode = checksum_enabled(req.input.checksum_mode.as_ref());
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.get_object(req).await?;
        let o = &mut resp.output;
        o.checksum_type = returned_checksums(
            checksum_mode,
            [
                &mut o.checksum_crc32,
                &mut o.checksum_crc32c,
                &mut o.checksum_crc64nvme,
                &mut o.checksum_sha1,
                &mut o.checksum_sha256,
            ],
        );
        check_conditions(
            resp.output.e_tag.as_ref(),
            resp.output.last_modified.as_ref(),
            conds.0.as_ref(),
            conds.1.as_ref(),
            conds.2.as_ref(),
            conds.3.as_ref(),
        )?;
        Ok(resp)
    }

    pub(super) async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        set_op(&req, "HeadObject");
        self.require_bucket(&req.input.bucket)?;
        match self.object_path(&req.input.bucket, &req.input.key) {
            Some(p) if p.is_file() => {}
            _ => return Err(s3_error!(NoSuchKey)),
        }
        let conds = (
            req.input.if_match.clone(),
            req.input.if_none_match.clone(),
            req.input.if_modified_since.clone(),
            req.input.if_unmodified_since.clone(),
        );
        let checksum_mode = checksum_enabled(req.input.checksum_mode.as_ref());
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.head_object(req).await?;
        let o = &mut resp.output;
        o.checksum_type = returned_checksums(
            checksum_mode,
            [
                &mut o.checksum_crc32,
                &mut o.checksum_crc32c,
                &mut o.checksum_crc64nvme,
                &mut o.checksum_sha1,
                &mut o.checksum_sha256,
            ],
        );
        check_conditions(
            resp.output.e_tag.as_ref(),
            resp.output.last_modified.as_ref(),
            conds.0.as_ref(),
            conds.1.as_ref(),
            conds.2.as_ref(),
            conds.3.as_ref(),
        )?;
        Ok(resp)
    }

    pub(super) async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        set_op(&req, "DeleteObject");
        self.require_bucket(&req.input.bucket)?;
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        req.input.key = keys::to_fs(&key);
        let resp = self.0.fs.delete_object(req).await?;
        self.prune_empty_dirs(&bucket, &key);
        Ok(resp)
    }

    pub(super) async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        set_op(&req, "DeleteObjects");
        self.require_bucket(&req.input.bucket)?;
        let bucket = req.input.bucket.clone();
        let deleted: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|o| o.key.clone())
            .collect();
        for o in &mut req.input.delete.objects {
            o.key = keys::to_fs(&o.key);
        }
        let mut resp = self.0.fs.delete_objects(req).await?;
        for d in resp.output.deleted.iter_mut().flatten() {
            d.key = d.key.as_deref().map(keys::from_fs);
        }
        for e in resp.output.errors.iter_mut().flatten() {
            e.key = e.key.as_deref().map(keys::from_fs);
        }
        for key in deleted {
            self.prune_empty_dirs(&bucket, &key);
        }
        Ok(resp)
    }

    pub(super) async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        set_op(&req, "CopyObject");
        self.require_bucket(&req.input.bucket)?;
        if let CopySource::Bucket { bucket, key, .. } = &req.input.copy_source {
            self.require_bucket(bucket)?;
            match self.object_path(bucket, key) {
                Some(p) if p.is_file() => {}
                _ => return Err(s3_error!(NoSuchKey, "The specified key does not exist.")),
            }
        }
        map_copy_source(&mut req.input.copy_source);
        req.input.key = keys::to_fs(&req.input.key);
        self.0.fs.copy_object(req).await
    }

    pub(super) async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        set_op(&req, "ListObjects");
        self.require_bucket(&req.input.bucket)?;
        let all = self.all_objects(&req.input.bucket).await?;
        Ok(S3Response::new(list::objects_v1(all, req.input)?))
    }

    pub(super) async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        set_op(&req, "ListObjectsV2");
        self.require_bucket(&req.input.bucket)?;
        let all = self.all_objects(&req.input.bucket).await?;
        Ok(S3Response::new(list::objects_v2(all, req.input)?))
    }
}
