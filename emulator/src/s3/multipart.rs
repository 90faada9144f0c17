//! Multipart uploads: create, upload part (and part copy), list parts, complete (with full-object checksums),
//! abort, and list uploads.

use super::*;

impl Emu {
    pub(super) async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        set_op(&req, "CreateMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let algorithm = req
            .input
            .checksum_algorithm
            .as_ref()
            .map(|a| a.as_str().to_string());
        let mut checksum_type = req
            .input
            .checksum_type
            .as_ref()
            .map(|t| t.as_str().to_string());
        if let Some(alg) = &algorithm {
            if hasher_for(alg).is_none() {
                return Err(s3_error!(InvalidRequest, "Unsupported checksum algorithm"));
            }
            let full = checksum_type.as_deref() == Some(ChecksumType::FULL_OBJECT);
            if alg == ChecksumAlgorithm::CRC64NVME
                && checksum_type.as_deref() == Some(ChecksumType::COMPOSITE)
            {
                return Err(s3_error!(
                    InvalidRequest,
                    "The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm."
                ));
            }
            if full && (alg == ChecksumAlgorithm::SHA1 || alg == ChecksumAlgorithm::SHA256) {
                return Err(s3_error!(
                    InvalidRequest,
                    "The FULL_OBJECT checksum type cannot be used with the {alg} checksum algorithm."
                ));
            }
            if checksum_type.is_none() {
                checksum_type = Some(
                    if alg == ChecksumAlgorithm::CRC64NVME {
                        ChecksumType::FULL_OBJECT
                    } else {
                        ChecksumType::COMPOSITE
                    }
                    .to_string(),
                );
            }
        }
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let mut req = req;
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.create_multipart_upload(req).await?;
        resp.output.key = Some(key.clone());
        if let Some(id) = &resp.output.upload_id {
            self.0
                .uploads
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(
                    id.clone(),
                    UploadInfo {
                        bucket: bucket.clone(),
                        key: key.clone(),
                        initiated: std::time::SystemTime::now(),
                        seq: self
                            .0
                            .upload_seq
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                        algorithm: algorithm.clone(),
                        checksum_type: checksum_type.clone(),
                    },
                );
        }
        resp.output.checksum_algorithm = algorithm.map(ChecksumAlgorithm::from);
        resp.output.checksum_type = checksum_type.map(ChecksumType::from);
        Ok(resp)
    }

    pub(super) async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        set_op(&req, "UploadPart");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let body = match req.input.body.take() {
            Some(b) => collect_blob(b).await?,
            None => Bytes::new(),
        };
        let given = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let mut computed = Checksum::default();
        for alg in [
            ChecksumAlgorithm::CRC32,
            ChecksumAlgorithm::CRC32C,
            ChecksumAlgorithm::SHA1,
            ChecksumAlgorithm::SHA256,
            ChecksumAlgorithm::CRC64NVME,
        ] {
            let wanted = checksum_value(&given, alg).is_some()
                || req
                    .input
                    .checksum_algorithm
                    .as_ref()
                    .is_some_and(|a| a.as_str() == alg);
            if !wanted {
                continue;
            }
            let mut h = hasher_for(alg).expect("known algorithm");
            h.update(&body);
            let c = h.finalize();
            let got = checksum_value(&c, alg).cloned();
            if let Some(expected) = checksum_value(&given, alg)
                && Some(expected) != got.as_ref()
            {
                return Err(s3_error!(
                    BadDigest,
                    "The {alg} you specified did not match the calculated checksum."
                ));
            }
            match alg {
                ChecksumAlgorithm::CRC32 => computed.checksum_crc32 = got,
                ChecksumAlgorithm::CRC32C => computed.checksum_crc32c = got,
                ChecksumAlgorithm::SHA1 => computed.checksum_sha1 = got,
                ChecksumAlgorithm::SHA256 => computed.checksum_sha256 = got,
                _ => computed.checksum_crc64nvme = got,
            }
        }
        req.input.body = Some(blob(body));
        req.input.key = keys::to_fs(&req.input.key);
        let mut resp = self.0.fs.upload_part(req).await?;
        let o = &mut resp.output;
        o.checksum_crc32 = computed.checksum_crc32;
        o.checksum_crc32c = computed.checksum_crc32c;
        o.checksum_sha1 = computed.checksum_sha1;
        o.checksum_sha256 = computed.checksum_sha256;
        o.checksum_crc64nvme = computed.checksum_crc64nvme;
        Ok(resp)
    }

    pub(super) async fn upload_part_copy(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        set_op(&req, "UploadPartCopy");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        map_copy_source(&mut req.input.copy_source);
        req.input.key = keys::to_fs(&req.input.key);
        self.0.fs.upload_part_copy(req).await
    }

    pub(super) async fn list_parts(
        &self,
        mut req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        set_op(&req, "ListParts");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let key = std::mem::take(&mut req.input.key);
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.list_parts(req).await?;
        resp.output.key = Some(key);
        Ok(resp)
    }

    pub(super) async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        set_op(&req, "CompleteMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let upload_id = req.input.upload_id.clone();
        let Some(info) = self.upload_for(&req.input.bucket, &req.input.key, &upload_id) else {
            return Err(Self::no_such_upload());
        };
        let bucket = req.input.bucket.clone();
        let key = req.input.key.clone();
        let given = Checksum {
            checksum_crc32: req.input.checksum_crc32.clone(),
            checksum_crc32c: req.input.checksum_crc32c.clone(),
            checksum_sha1: req.input.checksum_sha1.clone(),
            checksum_sha256: req.input.checksum_sha256.clone(),
            checksum_crc64nvme: req.input.checksum_crc64nvme.clone(),
            ..Default::default()
        };
        let req_type = req
            .input
            .checksum_type
            .as_ref()
            .map(|t| t.as_str().to_string());
        let checksum_type = req_type.or(info.checksum_type.clone());
        if let (Some(a), Some(b)) = (&info.checksum_type, &checksum_type)
            && a != b
        {
            return Err(s3_error!(
                InvalidRequest,
                "The upload was created using the {a} checksum mode. The complete request must use the same checksum mode."
            ));
        }
        let mpu_size = req.input.mpu_object_size;

        let mut req = req;
        req.input.key = keys::to_fs(&key);
        let mut resp = self.0.fs.complete_multipart_upload(req).await?;
        let mut output = match resp.output.future.take() {
            Some(fut) => fut.await?,
            None => std::mem::take(&mut resp.output),
        };
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&upload_id);

        let path = self
            .object_path(&bucket, &key)
            .ok_or_else(|| s3_error!(InternalError))?;
        if let Some(size) = mpu_size {
            let actual = std::fs::metadata(&path)
                .map(|m| m.len() as i64)
                .unwrap_or(-1);
            if actual != size {
                let _ = std::fs::remove_file(&path);
                return Err(s3_error!(
                    InvalidRequest,
                    "The provided 'x-amz-mp-object-size' header value {size} does not match what was computed: {actual}"
                ));
            }
        }
        // s3s-fs keeps the replaced object's checksums: drop them (the full-object checksum is set below).
        self.set_internal_checksums(&bucket, &key, &Checksum::default())
            .map_err(|e| s3_error!(e, InternalError))?;
        // Full-object checksum: computed over the assembled object and compared with what the client sent.
        if checksum_type.as_deref() == Some(ChecksumType::FULL_OBJECT) {
            let alg = info.algorithm.clone().or_else(|| {
                [
                    ChecksumAlgorithm::CRC64NVME,
                    ChecksumAlgorithm::CRC32C,
                    ChecksumAlgorithm::CRC32,
                ]
                .into_iter()
                .find(|a| checksum_value(&given, a).is_some())
                .map(str::to_string)
            });
            if let Some(alg) = alg
                && let Some(mut h) = hasher_for(&alg)
            {
                let data = tokio::fs::read(&path)
                    .await
                    .map_err(|e| s3_error!(e, InternalError))?;
                h.update(&data);
                let computed = h.finalize();
                if let Some(expected) = checksum_value(&given, &alg)
                    && Some(expected) != checksum_value(&computed, &alg)
                {
                    let _ = std::fs::remove_file(&path);
                    return Err(s3_error!(
                        BadDigest,
                        "The {alg} you specified for the full object did not match the calculated checksum."
                    ));
                }
                self.set_internal_checksums(&bucket, &key, &computed)
                    .map_err(|e| s3_error!(e, InternalError))?;
                output.checksum_crc32 = computed.checksum_crc32;
                output.checksum_crc32c = computed.checksum_crc32c;
                output.checksum_crc64nvme = computed.checksum_crc64nvme;
                output.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
            }
        } else if checksum_type.as_deref() == Some(ChecksumType::COMPOSITE) {
            output.checksum_type = Some(ChecksumType::from_static(ChecksumType::COMPOSITE));
        }
        output.location = Some(format!("/{bucket}/{key}"));
        output.key = Some(key.clone());
        resp.output = output;
        Ok(resp)
    }

    pub(super) async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        set_op(&req, "AbortMultipartUpload");
        self.require_bucket(&req.input.bucket)?;
        let i = &req.input;
        if self.upload_for(&i.bucket, &i.key, &i.upload_id).is_none() {
            return Err(Self::no_such_upload());
        }
        let id = req.input.upload_id.clone();
        req.input.key = keys::to_fs(&req.input.key);
        let resp = self.0.fs.abort_multipart_upload(req).await?;
        self.0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
        Ok(resp)
    }

    pub(super) async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        set_op(&req, "ListMultipartUploads");
        self.require_bucket(&req.input.bucket)?;
        let i = req.input;
        let max = match i.max_uploads {
            Some(n) if n < 0 => {
                return Err(s3_error!(
                    InvalidArgument,
                    "Argument max-uploads must be an integer between 0 and 2147483647"
                ));
            }
            Some(n) => n.min(1000),
            None => 1000,
        };
        let mut uploads: Vec<(String, UploadInfo)> = self
            .0
            .uploads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, u)| u.bucket == i.bucket)
            .map(|(id, u)| (id.clone(), u.clone()))
            .collect();
        uploads.sort_by(|a, b| (&a.1.key, a.1.seq).cmp(&(&b.1.key, b.1.seq)));
        let listing = list::list_uploads(
            &uploads,
            i.prefix.as_deref().unwrap_or(""),
            i.delimiter.as_deref().filter(|d| !d.is_empty()),
            i.key_marker.as_deref().filter(|m| !m.is_empty()),
            i.upload_id_marker.as_deref().filter(|m| !m.is_empty()),
            usize::try_from(max).unwrap_or(0),
        );
        let owner_id = CANONICAL_USER_ID.to_string();
        let entries: Vec<MultipartUpload> = listing
            .uploads
            .iter()
            .map(|(id, u)| MultipartUpload {
                checksum_algorithm: u.algorithm.clone().map(ChecksumAlgorithm::from),
                checksum_type: u.checksum_type.clone().map(ChecksumType::from),
                initiated: Some(Timestamp::from(u.initiated)),
                initiator: Some(Initiator {
                    display_name: None,
                    id: Some(owner_id.clone()),
                }),
                key: Some(u.key.clone()),
                owner: Some(Owner {
                    display_name: None,
                    id: Some(owner_id.clone()),
                }),
                storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
                upload_id: Some(id.clone()),
            })
            .collect();
        let mut o = ListMultipartUploadsOutput {
            bucket: Some(i.bucket.clone()),
            common_prefixes: (!listing.prefixes.is_empty()).then(|| {
                listing
                    .prefixes
                    .iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(p.clone()),
                    })
                    .collect()
            }),
            delimiter: i.delimiter.clone(),
            encoding_type: i.encoding_type.clone(),
            is_truncated: Some(listing.truncated),
            key_marker: Some(i.key_marker.clone().unwrap_or_default()),
            max_uploads: Some(max),
            next_key_marker: listing.next.as_ref().map(|n| n.0.clone()),
            next_upload_id_marker: listing.next.as_ref().map(|n| n.1.clone()),
            prefix: i.prefix.clone(),
            request_charged: None,
            upload_id_marker: Some(i.upload_id_marker.clone().unwrap_or_default()),
            uploads: (!entries.is_empty()).then_some(entries),
        };
        if list::wants_url_encoding(i.encoding_type.as_ref()) {
            o.uploads
                .iter_mut()
                .flatten()
                .for_each(|u| list::encode_opt(&mut u.key));
            o.common_prefixes
                .iter_mut()
                .flatten()
                .for_each(|c| list::encode_opt(&mut c.prefix));
            list::encode_opt(&mut o.prefix);
            list::encode_opt(&mut o.delimiter);
            list::encode_opt(&mut o.key_marker);
            list::encode_opt(&mut o.next_key_marker);
        }
        Ok(S3Response::new(o))
    }
}
