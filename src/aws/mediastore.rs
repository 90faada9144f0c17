//! MediaStore steps: the container, its CORS and access policies, and the copy of packaged output
//! from S3 into it.
//!
//! **MediaStore was discontinued by AWS on 2025-11-13.** The module stays for pipelines built on the
//! classic design; new pipelines should use an S3 origin.
//!
//! Copies are idempotent through a marker object, `vod-pipeline-copy.json`, written last in each
//! asset's folder of the container: it maps every copied key to its S3 ETag, so a later apply copies
//! only what changed, and an interrupted copy resumes with the objects that are missing.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use aws_sdk_mediastore::types::{ContainerStatus, CorsRule, MethodName, Tag};
use aws_sdk_mediastoredata::primitives::ByteStream;
use aws_sdk_mediastoredata::types::ItemType;
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use futures::{StreamExt, TryStreamExt};

use super::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::apply::event::{Change, Event};
use crate::error::Error;
use crate::plan::OutputKey;
use crate::plan::{ContainerCorsParams, ContainerParams, CopyParams, Params, PolicyParams, Step};

use crate::names::{COPY_MARKER, JOB_MARKER};

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    match &step.params {
        Params::Container(p) => container(ctx, p, mode).await,
        Params::ContainerCors(p) => cors(ctx, p, mode).await,
        Params::Policy(p) => policy(ctx, step, p, mode).await,
        Params::Copy(p) => copy(ctx, step, p, mode).await,
        _ => Err(unexpected(step)),
    }
}

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    let ms = &ctx.clients.mediastore;
    match &step.params {
        Params::Container(p) => {
            let name = p.container.as_str();
            let Some(c) = describe(ctx, name).await? else {
                return Ok(StepReport::new(Change::Absent));
            };
            if let Some(endpoint) = c.endpoint() {
                let data = data_client(ctx, endpoint);
                let left = list_tree(&data, "").await?;
                if !left.is_empty() {
                    return Err(Error::Conflict {
                        resource: format!("MediaStore container {name}"),
                        reason: format!(
                            "it still holds {} object(s) this pipeline did not put there (e.g. {}); empty it first or keep it",
                            left.len(),
                            left[0].0
                        ),
                    });
                }
            }
            ms.delete_container()
                .container_name(name)
                .send()
                .await
                .map_err(|e| aws_error("mediastore:DeleteContainer", name, e))?;
            Ok(StepReport::new(Change::Delete))
        }
        Params::ContainerCors(p) => {
            let name = p.container.as_str();
            match ms.delete_cors_policy().container_name(name).send().await {
                Ok(_) => Ok(StepReport::new(Change::Delete)),
                Err(e)
                    if matches!(
                        error_code(&e),
                        Some("CorsPolicyNotFoundException" | "ContainerNotFoundException")
                    ) =>
                {
                    Ok(StepReport::new(Change::Absent))
                }
                Err(e) => Err(aws_error("mediastore:DeleteCorsPolicy", name, e)),
            }
        }
        Params::Policy(p) => match ms
            .delete_container_policy()
            .container_name(&p.target)
            .send()
            .await
        {
            Ok(_) => Ok(StepReport::new(Change::Delete)),
            Err(e)
                if matches!(
                    error_code(&e),
                    Some("PolicyNotFoundException" | "ContainerNotFoundException")
                ) =>
            {
                Ok(StepReport::new(Change::Absent))
            }
            Err(e) => Err(aws_error("mediastore:DeleteContainerPolicy", &p.target, e)),
        },
        Params::Copy(p) => {
            let Some(c) = describe(ctx, p.container.as_str()).await? else {
                return Ok(StepReport::new(Change::Absent));
            };
            let Some(endpoint) = c.endpoint() else {
                return Ok(StepReport::new(Change::Absent));
            };
            let data = data_client(ctx, endpoint);
            let items = list_tree(&data, p.to_path.trim_end_matches('/')).await?;
            if items.is_empty() {
                return Ok(StepReport::new(Change::Absent));
            }
            futures::stream::iter(items)
                .map(|(path, _)| {
                    let data = data.clone();
                    async move {
                        data.delete_object()
                            .path(&path)
                            .send()
                            .await
                            .map_err(|e| aws_error("mediastore-data:DeleteObject", &path, e))
                    }
                })
                .buffer_unordered(ctx.options.concurrency_per_service.max(1))
                .try_collect::<Vec<_>>()
                .await?;
            Ok(StepReport::new(Change::Delete))
        }
        _ => Err(unexpected(step)),
    }
}

fn unexpected(step: &Step) -> Error {
    Error::internal(
        &step.id,
        "the MediaStore executor does not handle these parameters",
    )
}

async fn describe(
    ctx: &Ctx,
    name: &str,
) -> Result<Option<aws_sdk_mediastore::types::Container>, Error> {
    match ctx
        .clients
        .mediastore
        .describe_container()
        .container_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.container().cloned()),
        Err(e) if error_code(&e) == Some("ContainerNotFoundException") => Ok(None),
        Err(e) => Err(aws_error("mediastore:DescribeContainer", name, e)),
    }
}

fn container_outputs(report: StepReport, c: &aws_sdk_mediastore::types::Container) -> StepReport {
    let endpoint = c.endpoint().unwrap_or_default().to_owned();
    let host = url::Url::parse(&endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    report
        .output(OutputKey::Arn, c.arn().unwrap_or_default())
        .output(OutputKey::Endpoint, endpoint)
        .output(OutputKey::EndpointHost, host)
        .output(OutputKey::Name, c.name().unwrap_or_default())
}

async fn container(ctx: &Ctx, p: &ContainerParams, mode: Mode) -> Result<StepReport, Error> {
    let name = p.container.as_str();
    let ms = &ctx.clients.mediastore;
    let (change, existing) = match describe(ctx, name).await? {
        Some(c) if c.status() == Some(&ContainerStatus::Deleting) => {
            return Err(Error::Conflict {
                resource: format!("MediaStore container {name}"),
                reason: "the container is being deleted; run apply again once it is gone".into(),
            });
        }
        Some(c) => (Change::NoOp, Some(c)),
        None => (Change::Create, None),
    };
    if mode == Mode::Refresh {
        return Ok(match existing {
            Some(c) => container_outputs(StepReport::new(change), &c),
            None => StepReport::new(change),
        });
    }
    if existing.is_none() {
        let tags: Result<Vec<Tag>, _> = p
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let tags =
            tags.map_err(|e| Error::internal(name, format!("cannot build the request: {e}")))?;
        match ms
            .create_container()
            .container_name(name)
            .set_tags(Some(tags))
            .send()
            .await
        {
            Ok(_) => {}
            // Created meanwhile (a concurrent or interrupted apply): wait for it like any other.
            Err(e) if error_code(&e) == Some("ContainerInUseException") => {}
            Err(e) => return Err(aws_error("mediastore:CreateContainer", name, e)),
        }
    }
    // Wait for ACTIVE: only then is the data endpoint assigned.
    let started = std::time::Instant::now();
    let mut interval = ctx
        .options
        .poll_interval
        .min(std::time::Duration::from_millis(500));
    loop {
        if let Some(c) = describe(ctx, name).await?
            && c.status() == Some(&ContainerStatus::Active)
            && c.endpoint().is_some()
        {
            return Ok(container_outputs(StepReport::new(change), &c));
        }
        if started.elapsed() > ctx.options.deploy_timeout {
            return Err(Error::Timeout {
                what: format!("MediaStore container {name} to become ACTIVE"),
                waited_secs: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(ctx.options.max_poll_interval);
    }
}

fn cors_rules(p: &ContainerCorsParams) -> Result<Vec<CorsRule>, Error> {
    p.rules
        .iter()
        .map(|r| {
            CorsRule::builder()
                .set_allowed_origins(Some(
                    r.allowed_origins.iter().map(|o| o.to_string()).collect(),
                ))
                .set_allowed_methods(Some(
                    r.allowed_methods
                        .iter()
                        .map(|m| MethodName::from(m.as_str()))
                        .collect(),
                ))
                .set_allowed_headers(Some(r.allowed_headers.clone()))
                .set_expose_headers(Some(r.expose_headers.clone()))
                .max_age_seconds(r.max_age_seconds as i32)
                .build()
                .map_err(|e| {
                    Error::internal(
                        p.container.as_str(),
                        format!("cannot build the request: {e}"),
                    )
                })
        })
        .collect()
}

fn cors_key(r: &CorsRule) -> String {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    format!(
        "origins {:?} methods {:?} headers {:?} expose {:?} max-age {:?}",
        sorted(r.allowed_origins().to_vec()),
        sorted(
            r.allowed_methods()
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect()
        ),
        sorted(r.allowed_headers().to_vec()),
        sorted(r.expose_headers().to_vec()),
        r.max_age_seconds()
    )
}

async fn cors(ctx: &Ctx, p: &ContainerCorsParams, mode: Mode) -> Result<StepReport, Error> {
    let name = p.container.as_str();
    let ms = &ctx.clients.mediastore;
    let want = cors_rules(p)?;
    let change = match ms.get_cors_policy().container_name(name).send().await {
        Ok(live) => {
            let l: Vec<String> = live.cors_policy().iter().map(cors_key).collect();
            let w: Vec<String> = want.iter().map(cors_key).collect();
            if l == w {
                return Ok(StepReport::new(Change::NoOp));
            }
            Change::Update {
                diff: vec![format!("CORS rules: {l:?} -> {w:?}")],
            }
        }
        Err(e) if error_code(&e) == Some("CorsPolicyNotFoundException") => Change::Create,
        Err(e) if mode == Mode::Refresh && error_code(&e) == Some("ContainerNotFoundException") => {
            Change::Create
        }
        Err(e) => return Err(aws_error("mediastore:GetCorsPolicy", name, e)),
    };
    if mode == Mode::Apply {
        ms.put_cors_policy()
            .container_name(name)
            .set_cors_policy(Some(want))
            .send()
            .await
            .map_err(|e| aws_error("mediastore:PutCorsPolicy", name, e))?;
    }
    Ok(StepReport::new(change))
}

async fn policy(ctx: &Ctx, step: &Step, p: &PolicyParams, mode: Mode) -> Result<StepReport, Error> {
    let ms = &ctx.clients.mediastore;
    let want = p
        .policy
        .document(|d| ctx.value(step, d, mode))?
        .map(|doc| doc.to_string());
    let live = match ms
        .get_container_policy()
        .container_name(&p.target)
        .send()
        .await
    {
        Ok(o) => Some(o.policy().to_owned()),
        Err(e) if error_code(&e) == Some("PolicyNotFoundException") => None,
        Err(e) if mode == Mode::Refresh && error_code(&e) == Some("ContainerNotFoundException") => {
            None
        }
        Err(e) => return Err(aws_error("mediastore:GetContainerPolicy", &p.target, e)),
    };
    let change = super::s3::policy_change(live.as_deref(), want.as_deref());
    if mode == Mode::Apply && change != Change::NoOp {
        ms.put_container_policy()
            .container_name(&p.target)
            .policy(want.unwrap_or_default())
            .send()
            .await
            .map_err(|e| aws_error("mediastore:PutContainerPolicy", &p.target, e))?;
    }
    Ok(StepReport::new(change))
}

/// Resolves `.localhost` names to the loopback address (RFC 6761 §6.3), and everything else with
/// the system resolver. A local emulator gives containers endpoints such as
/// `http://abc.data.mediastore.us-east-1.localhost:4566`, which the C library does not resolve.
#[derive(Debug, Clone)]
struct LocalhostResolver;

impl ResolveDns for LocalhostResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        if name == "localhost" || name.ends_with(".localhost") {
            return DnsFuture::ready(Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]));
        }
        DnsFuture::new(async move {
            let addrs = tokio::net::lookup_host((name, 0))
                .await
                .map_err(ResolveDnsError::new)?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A MediaStore data-plane client for one container endpoint.
fn data_client(ctx: &Ctx, endpoint: &str) -> aws_sdk_mediastoredata::Client {
    let mut conf = aws_sdk_mediastoredata::config::Builder::from(&ctx.clients.sdk_config)
        .endpoint_url(endpoint)
        .interceptor(super::CallCounter);
    let host = url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    if host.ends_with(".localhost") {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_with_resolver(LocalhostResolver);
        conf = conf.http_client(http);
    }
    aws_sdk_mediastoredata::Client::from_conf(conf.build())
}

/// Every object under `folder` (recursively), with its ETag.
async fn list_tree(
    data: &aws_sdk_mediastoredata::Client,
    folder: &str,
) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let mut folders = vec![folder.trim_matches('/').to_owned()];
    while let Some(dir) = folders.pop() {
        let mut token: Option<String> = None;
        loop {
            let mut req = data.list_items().max_results(1000);
            if !dir.is_empty() {
                req = req.path(&dir);
            }
            if let Some(t) = &token {
                req = req.next_token(t);
            }
            let page = match req.send().await {
                Ok(p) => p,
                Err(e)
                    if error_code(&e) == Some("ContainerNotFoundException")
                        || error_code(&e) == Some("ObjectNotFoundException") =>
                {
                    break;
                }
                Err(e) => return Err(aws_error("mediastore-data:ListItems", &dir, e)),
            };
            for item in page.items() {
                let name = item.name().unwrap_or_default();
                let path = if dir.is_empty() {
                    name.to_owned()
                } else {
                    format!("{dir}/{name}")
                };
                match item.r#type() {
                    Some(ItemType::Folder) => folders.push(path),
                    _ => out.push((path, item.e_tag().unwrap_or_default().to_owned())),
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    out.sort();
    Ok(out)
}

async fn copy(ctx: &Ctx, step: &Step, p: &CopyParams, mode: Mode) -> Result<StepReport, Error> {
    let Some((bucket, prefix)) = crate::names::parse_s3_uri(&p.from) else {
        return Err(Error::internal(
            &step.id,
            format!("{} is not an s3:// URL", p.from),
        ));
    };
    let Some(endpoint) = ctx.value(step, &p.endpoint, mode)? else {
        return Ok(StepReport::new(Change::Create));
    };
    // What MediaConvert wrote, with ETags.
    let s3 = &ctx.clients.s3;
    let mut source: BTreeMap<String, String> = BTreeMap::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if mode == Mode::Refresh && error_code(&e) == Some("NoSuchBucket") => {
                return Ok(StepReport::new(Change::Create));
            }
            Err(e) => return Err(aws_error("s3:ListObjectsV2", &p.from, e)),
        };
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let rel = key.strip_prefix(prefix).unwrap_or(key);
            if rel.is_empty() || rel.ends_with(JOB_MARKER) || rel.ends_with('/') {
                continue;
            }
            source.insert(
                rel.to_owned(),
                o.e_tag().unwrap_or_default().trim_matches('"').to_owned(),
            );
        }
    }
    if source.is_empty() {
        if mode == Mode::Refresh {
            return Ok(StepReport::new(Change::Create));
        }
        return Err(Error::Step {
            step: step.id.to_string(),
            message: format!(
                "no packaged output under {}: the MediaConvert job wrote nothing",
                p.from
            ),
        });
    }

    let data = data_client(ctx, &endpoint);
    let marker_path = format!("{}{COPY_MARKER}", p.to_path);
    let marker: Option<BTreeMap<String, String>> =
        match data.get_object().path(&marker_path).send().await {
            Ok(o) => {
                let bytes = o.body.collect().await.map_err(|e| Error::Step {
                    step: step.id.to_string(),
                    message: format!("reading {marker_path}: {e}"),
                })?;
                serde_json::from_slice::<serde_json::Value>(&bytes.into_bytes())
                    .ok()
                    .and_then(|v| serde_json::from_value(v.get("objects")?.clone()).ok())
            }
            Err(e)
                if matches!(error_code(&e), Some("ObjectNotFoundException"))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
            {
                None
            }
            Err(e) => return Err(aws_error("mediastore-data:GetObject", &marker_path, e)),
        };
    let mut todo: Vec<String> = match &marker {
        Some(m) => source
            .iter()
            .filter(|(k, etag)| m.get(*k) != Some(etag))
            .map(|(k, _)| k.clone())
            .collect(),
        None => {
            // No marker: a first copy, or one that was interrupted. Skip what is already there.
            let present: BTreeMap<String, String> =
                list_tree(&data, p.to_path.trim_end_matches('/'))
                    .await?
                    .into_iter()
                    .map(|(path, etag)| {
                        (
                            path.strip_prefix(&p.to_path).unwrap_or(&path).to_owned(),
                            etag.trim_matches('"').to_owned(),
                        )
                    })
                    .collect();
            source
                .iter()
                .filter(|(k, etag)| present.get(*k) != Some(etag))
                .map(|(k, _)| k.clone())
                .collect()
        }
    };
    todo.sort();
    let change = match (&marker, todo.is_empty()) {
        (Some(_), true) => {
            return Ok(
                StepReport::new(Change::NoOp).output(OutputKey::Objects, source.len().to_string())
            );
        }
        (None, _) if todo.len() == source.len() => Change::Create,
        _ => Change::Update {
            diff: vec![format!(
                "{} of {} objects to copy",
                todo.len(),
                source.len()
            )],
        },
    };
    if mode == Mode::Refresh {
        return Ok(StepReport::new(change));
    }

    let total = todo.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    futures::stream::iter(todo)
        .map(|rel| {
            let (data, s3, done) = (&data, s3, &done);
            let key = format!("{prefix}{rel}");
            let path = format!("{}{rel}", p.to_path);
            async move {
                let obj = s3
                    .get_object()
                    .bucket(bucket)
                    .key(&key)
                    .send()
                    .await
                    .map_err(|e| aws_error("s3:GetObject", &key, e))?;
                let content_type = obj
                    .content_type()
                    .map(str::to_owned)
                    .unwrap_or_else(|| crate::types::content_type(&key).to_owned());
                let body = obj.body.collect().await.map_err(|e| Error::Step {
                    step: step.id.to_string(),
                    message: format!("reading s3://{bucket}/{key}: {e}"),
                })?;
                data.put_object()
                    .path(&path)
                    .body(ByteStream::from(body.into_bytes()))
                    .content_type(content_type)
                    .cache_control(&p.cache_control)
                    .send()
                    .await
                    .map_err(|e| aws_error("mediastore-data:PutObject", &path, e))?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                ctx.emit(Event::CopyProgress {
                    step: step.id.clone(),
                    objects_done: n,
                    objects_total: total,
                });
                Ok::<(), Error>(())
            }
        })
        .buffer_unordered(ctx.options.concurrency_per_service.max(1))
        .try_collect::<Vec<()>>()
        .await?;

    // The marker goes last: only a complete copy is recorded.
    let marker = serde_json::json!({ "source": p.from, "objects": source });
    data.put_object()
        .path(&marker_path)
        .body(ByteStream::from(marker.to_string().into_bytes()))
        .content_type("application/json")
        .send()
        .await
        .map_err(|e| aws_error("mediastore-data:PutObject", &marker_path, e))?;
    Ok(StepReport::new(change).output(OutputKey::Objects, source.len().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_names_resolve_to_loopback() {
        let r = LocalhostResolver;
        let ips = r
            .resolve_dns("abc.data.mediastore.us-east-1.localhost")
            .await
            .unwrap();
        assert_eq!(ips, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        let ips = r.resolve_dns("localhost").await.unwrap();
        assert_eq!(ips, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }
}
