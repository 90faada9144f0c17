//! Checksums, conditional requests (`If-Match` and friends), and the validation of bucket policies and CORS
//! configurations.

use super::*;

pub(super) fn hasher_for(alg: &str) -> Option<s3s::checksum::ChecksumHasher> {
    let mut h = s3s::checksum::ChecksumHasher::default();
    match alg {
        ChecksumAlgorithm::CRC32 => h.crc32 = Some(Default::default()),
        ChecksumAlgorithm::CRC32C => h.crc32c = Some(Default::default()),
        ChecksumAlgorithm::SHA1 => h.sha1 = Some(Default::default()),
        ChecksumAlgorithm::SHA256 => h.sha256 = Some(Default::default()),
        ChecksumAlgorithm::CRC64NVME => h.crc64nvme = Some(Default::default()),
        _ => return None,
    }
    Some(h)
}

pub(super) fn checksum_value<'a>(c: &'a Checksum, alg: &str) -> Option<&'a String> {
    match alg {
        ChecksumAlgorithm::CRC32 => c.checksum_crc32.as_ref(),
        ChecksumAlgorithm::CRC32C => c.checksum_crc32c.as_ref(),
        ChecksumAlgorithm::SHA1 => c.checksum_sha1.as_ref(),
        ChecksumAlgorithm::SHA256 => c.checksum_sha256.as_ref(),
        ChecksumAlgorithm::CRC64NVME => c.checksum_crc64nvme.as_ref(),
        _ => None,
    }
}

pub(super) fn checksum_enabled(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED))
}

/// GetObject/HeadObject return the stored checksums only with `x-amz-checksum-mode: ENABLED`, together with
/// their `x-amz-checksum-type` (COMPOSITE for `<base64>-<parts>` values, else FULL_OBJECT).
pub(super) fn returned_checksums(
    enabled: bool,
    fields: [&mut Option<String>; 5],
) -> Option<ChecksumType> {
    let mut kind = None;
    for f in fields {
        if !enabled {
            *f = None;
        } else if let Some(v) = f.as_deref() {
            kind = Some(if v.contains('-') {
                ChecksumType::COMPOSITE
            } else {
                ChecksumType::FULL_OBJECT
            });
        }
    }
    kind.map(ChecksumType::from_static)
}

/// Compares the body with the Content-MD5 and `x-amz-checksum-*` values of a PutObject, as S3 does before storing.
pub(super) fn verify_put_digests(input: &PutObjectInput, body: &[u8]) -> S3Result<()> {
    if let Some(md5) = &input.content_md5 {
        let want = base64_simd::STANDARD
            .decode_to_vec(md5.trim())
            .ok()
            .filter(|d| d.len() == 16)
            .ok_or_else(|| {
                s3_error!(InvalidDigest, "The Content-MD5 you specified was invalid.")
            })?;
        use md5::Digest;
        if md5::Md5::digest(body).as_slice() != want.as_slice() {
            return Err(s3_error!(
                BadDigest,
                "The Content-MD5 you specified did not match what we received."
            ));
        }
    }
    let given = Checksum {
        checksum_crc32: input.checksum_crc32.clone(),
        checksum_crc32c: input.checksum_crc32c.clone(),
        checksum_sha1: input.checksum_sha1.clone(),
        checksum_sha256: input.checksum_sha256.clone(),
        checksum_crc64nvme: input.checksum_crc64nvme.clone(),
        ..Default::default()
    };
    for alg in [
        ChecksumAlgorithm::CRC32,
        ChecksumAlgorithm::CRC32C,
        ChecksumAlgorithm::SHA1,
        ChecksumAlgorithm::SHA256,
        ChecksumAlgorithm::CRC64NVME,
    ] {
        let Some(expected) = checksum_value(&given, alg) else {
            continue;
        };
        let mut h = hasher_for(alg).expect("known algorithm");
        h.update(body);
        if checksum_value(&h.finalize(), alg) != Some(expected) {
            return Err(s3_error!(
                BadDigest,
                "The {alg} you specified did not match the calculated checksum."
            ));
        }
    }
    Ok(())
}

pub(super) async fn collect_blob(blob: StreamingBlob) -> S3Result<Bytes> {
    let body: s3s::Body = blob.into();
    body.collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| s3_error!(IncompleteBody, "cannot read request body: {e}"))
}

pub(super) fn blob(bytes: Bytes) -> StreamingBlob {
    StreamingBlob::from(s3s::Body::from(bytes))
}

pub(super) fn validate_policy(policy: &str) -> S3Result<()> {
    let v: serde_json::Value = serde_json::from_str(policy)
        .map_err(|_| s3_error!(MalformedPolicy, "Policies must be valid JSON"))?;
    let Some(obj) = v.as_object() else {
        return Err(s3_error!(MalformedPolicy, "Policies must be a JSON object"));
    };
    match obj.get("Statement") {
        Some(serde_json::Value::Array(a)) if !a.is_empty() => Ok(()),
        Some(serde_json::Value::Object(_)) => Ok(()),
        _ => Err(s3_error!(
            MalformedPolicy,
            "Missing required field Statement"
        )),
    }
}

/// The canonical user id of the emulator's single account (S3's `Owner`/`Initiator` `ID`).
pub(super) const CANONICAL_USER_ID: &str =
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

pub(super) const CORS_METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// Checks a CORS configuration as S3 does and converts it for storage.
pub(super) fn validate_cors(rules: &[CORSRule]) -> S3Result<Vec<CorsRuleView>> {
    let malformed = || {
        s3_error!(
            MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema"
        )
    };
    if rules.is_empty() || rules.len() > 100 {
        return Err(malformed());
    }
    let mut out = Vec::with_capacity(rules.len());
    for r in rules {
        if r.allowed_methods.is_empty() || r.allowed_origins.is_empty() {
            return Err(malformed());
        }
        if let Some(m) = r
            .allowed_methods
            .iter()
            .find(|m| !CORS_METHODS.contains(&m.as_str()))
        {
            return Err(s3_error!(
                InvalidRequest,
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            ));
        }
        if let Some(o) = r
            .allowed_origins
            .iter()
            .find(|o| o.matches('*').count() > 1)
        {
            return Err(s3_error!(
                InvalidRequest,
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            ));
        }
        let headers = r.allowed_headers.clone().unwrap_or_default();
        if let Some(h) = headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(s3_error!(
                InvalidRequest,
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            ));
        }
        out.push(CorsRuleView {
            id: r.id.clone(),
            allowed_origins: r.allowed_origins.clone(),
            allowed_methods: r.allowed_methods.clone(),
            allowed_headers: headers,
            expose_headers: r.expose_headers.clone().unwrap_or_default(),
            max_age_seconds: r.max_age_seconds,
        });
    }
    Ok(out)
}

/// Evaluates S3's conditional-request headers against an object's ETag and Last-Modified (RFC 7232 as S3 applies
/// it: a matching If-Match overrides If-Unmodified-Since; a failing If-None-Match overrides If-Modified-Since).
pub(super) fn check_conditions(
    e_tag: Option<&ETag>,
    last_modified: Option<&Timestamp>,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
    if_unmodified_since: Option<&Timestamp>,
) -> S3Result<()> {
    let secs = |t: &Timestamp| time::OffsetDateTime::from(t.clone()).unix_timestamp();
    let matches = |cond: &ETagCondition, weak: bool| match cond {
        ETagCondition::Any => true,
        ETagCondition::ETag(want) => e_tag.is_some_and(|have| {
            if weak {
                have.weak_cmp(want)
            } else {
                have.strong_cmp(want)
            }
        }),
    };
    let modified = last_modified.map(secs);
    match if_match {
        Some(cond) if !matches(cond, false) => {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the pre-conditions you specified did not hold"
            ));
        }
        Some(_) => {}
        None => {
            if let (Some(since), Some(m)) = (if_unmodified_since, modified)
                && m > secs(since)
            {
                return Err(s3_error!(
                    PreconditionFailed,
                    "At least one of the pre-conditions you specified did not hold"
                ));
            }
        }
    }
    match if_none_match {
        Some(cond) if matches(cond, true) => return Err(s3_error!(NotModified)),
        Some(_) => {}
        None => {
            if let (Some(since), Some(m)) = (if_modified_since, modified)
                && m <= secs(since)
            {
                return Err(s3_error!(NotModified));
            }
        }
    }
    Ok(())
}

/// Maps the key of a CopyObject / UploadPartCopy source like any other key (see [`keys`]).
pub(super) fn map_copy_source(source: &mut CopySource) {
    if let CopySource::Bucket { key, .. } = source {
        *key = keys::to_fs(key).into_boxed_str();
    }
}
