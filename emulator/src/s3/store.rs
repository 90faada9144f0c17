//! The in-process S3 API the other services use ([`Store`]), and the s3s service behind it with its virtual
//! hosts.

use super::*;

/// Virtual-hosted-style addressing for `<bucket>.s3.localhost` and `<bucket>.s3.<region>.localhost`; any other
/// Host (127.0.0.1, localhost, ...) is path-style.
#[derive(Debug)]
pub(super) struct EmuHost;

impl s3s::host::S3Host for EmuHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<s3s::host::VirtualHost<'a>> {
        use s3s::host::VirtualHost;
        let h = match host.rsplit_once(':') {
            Some((h, p)) if !h.contains(']') && p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        if let Some(rest) = h.strip_suffix(".localhost")
            && let Some((bucket, after)) = rest.split_once(".s3")
            && !bucket.is_empty()
            && (after.is_empty()
                || (after.starts_with('.') && !after[1..].contains('.') && after.len() > 1))
        {
            let vh = VirtualHost::new(h).with_bucket(bucket);
            return Ok(match after.strip_prefix('.') {
                Some(region) => vh.with_region(region),
                None => vh,
            });
        }
        Ok(VirtualHost::new(h))
    }
}

/// S3 storage. CONTRACT (used by mediaconvert and edge): the methods below.
pub struct Store {
    emu: Emu,
    pub(super) service: s3s::service::S3Service,
}

pub(super) fn s3req<T>(input: T) -> S3Request<T> {
    S3Request {
        input,
        method: http::Method::GET,
        uri: http::Uri::from_static("/"),
        headers: HeaderMap::new(),
        extensions: Default::default(),
        credentials: None,
        region: None,
        service: None,
        trailing_headers: None,
    }
}

impl Store {
    /// Opens (creating if needed) the S3 store rooted at `root`.
    pub fn new(root: &Path) -> std::io::Result<Store> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let fs =
            s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let meta: BTreeMap<String, BucketMeta> = std::fs::read(root.join(META_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let emu = Emu(Arc::new(Inner {
            fs,
            root,
            meta: Mutex::new(meta),
            uploads: Mutex::new(HashMap::new()),
            upload_seq: Default::default(),
            conditional_writes: Default::default(),
            created: Default::default(),
        }));
        let mut builder = s3s::service::S3ServiceBuilder::new(emu.clone());
        builder.set_host(EmuHost);
        let service = builder.build();
        Ok(Store { emu, service })
    }

    /// Reads an object; `None` when the bucket or key is missing.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Option<StoredObject> {
        let input = GetObjectInput::builder()
            .bucket(bucket.into())
            .key(key.into())
            .build()
            .ok()?;
        let resp = S3::get_object(&self.emu, s3req(input)).await.ok()?;
        let o = resp.output;
        let body = collect_blob(o.body?).await.ok()?;
        let mut metadata: Vec<(String, String)> = o
            .metadata
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        metadata.sort();
        let extra = crate::wire::ObjectHeaders {
            content_encoding: o.content_encoding,
            content_disposition: o.content_disposition,
            content_language: o.content_language,
            expires: o.expires.map(|t| {
                httpdate::fmt_http_date(std::time::SystemTime::from(time::OffsetDateTime::from(t)))
            }),
            metadata,
        };
        Some(StoredObject {
            body,
            extra,
            content_type: o.content_type,
            cache_control: o.cache_control,
            etag: o
                .e_tag
                .map(|e| format!("\"{}\"", e.value()))
                .unwrap_or_default(),
            last_modified: o
                .last_modified
                .map(|t| std::time::SystemTime::from(time::OffsetDateTime::from(t)))
                .unwrap_or_else(std::time::SystemTime::now),
        })
    }
    /// Writes an object (creating nothing else: the bucket must exist).
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: Option<&str>,
        cache_control: Option<&str>,
    ) -> Result<(), String> {
        let len = body.len() as i64;
        let input = PutObjectInput::builder()
            .bucket(bucket.into())
            .key(key.into())
            .body(Some(blob(body)))
            .content_length(Some(len))
            .content_type(content_type.map(str::to_string))
            .cache_control(cache_control.map(str::to_string))
            .build()
            .map_err(|e| e.to_string())?;
        S3::put_object(&self.emu, s3req(input))
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code().as_str(), e.message().unwrap_or("")))
    }
    /// Keys under a prefix, sorted.
    pub async fn list_keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        while let Ok(input) = ListObjectsV2Input::builder()
            .bucket(bucket.into())
            .prefix(Some(prefix.to_string()))
            .continuation_token(token.clone())
            .build()
        {
            let Ok(resp) = S3::list_objects_v2(&self.emu, s3req(input)).await else {
                break;
            };
            let o = resp.output;
            keys.extend(o.contents.into_iter().flatten().filter_map(|c| c.key));
            match o.next_continuation_token {
                Some(t) if o.is_truncated == Some(true) && Some(&t) != token.as_ref() => {
                    token = Some(t)
                }
                _ => break,
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }
    /// How long ago this process created `bucket`; `None` for a bucket it did not create (or one since deleted).
    pub fn bucket_age(&self, bucket: &str) -> Option<std::time::Duration> {
        self.emu
            .0
            .created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(bucket)
            .map(|t| t.elapsed())
    }
    /// Whether the bucket exists.
    pub async fn bucket_exists(&self, bucket: &str) -> bool {
        self.emu.bucket_exists(bucket)
    }
    /// The bucket's CORS rules (PutBucketCors), in order; `None` when the bucket or its configuration is missing.
    pub async fn bucket_cors(&self, bucket: &str) -> Option<Vec<CorsRuleView>> {
        if !self.emu.bucket_exists(bucket) {
            return None;
        }
        self.emu.meta_get(bucket).cors
    }
    /// The bucket policy JSON, if one is set.
    pub async fn bucket_policy(&self, bucket: &str) -> Option<String> {
        if !self.emu.bucket_exists(bucket) {
            return None;
        }
        self.emu.meta_get(bucket).policy
    }
}
