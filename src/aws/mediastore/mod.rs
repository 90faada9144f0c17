//! MediaStore steps: the container, its CORS and access policies, and the copy of packaged output
//! from S3 into it.
//!
//! **MediaStore was discontinued by AWS on 2025-11-13.** The module stays for pipelines built on the
//! classic design; new pipelines should use an S3 origin.
//!
//! One file per resource: [`container`], [`container_cors`], [`container_policy`], and the [`copy`]
//! of packaged output into the container. This module holds what they share: finding a container,
//! and a data-plane client for its endpoint.

mod container;
mod container_cors;
mod container_policy;
mod copy;

use std::net::{IpAddr, Ipv4Addr};

use aws_sdk_mediastoredata::types::ItemType;
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};

use container::Container;
use container_cors::ContainerCors;
use container_policy::ContainerPolicy;
#[cfg(test)]
pub(crate) use copy::MAX_OBJECT_BYTES;

use super::{Ctx, Mode, StepReport, aws_error, error_code, reconcile};
use crate::apply::event::Change;
use crate::error::Error;
use crate::plan::{Params, Step, StepId};

pub(crate) async fn run(ctx: &Ctx, step: &Step, mode: Mode) -> Result<StepReport, Error> {
    match &step.params {
        Params::Container(p) => reconcile::apply(ctx, &Container::new(p), mode).await,
        Params::ContainerCors(p) => reconcile::apply(ctx, &ContainerCors::new(p)?, mode).await,
        Params::Policy(p) if step.id == StepId::EarlyContainerPolicy => {
            // Only for a distribution an earlier apply made; nothing to do before there is one.
            match p.policy.document(|d| ctx.resolve(d))? {
                Some(want) => {
                    reconcile::apply(ctx, &ContainerPolicy::new(p, Some(want)), mode).await
                }
                None => Ok(StepReport::new(Change::NoOp)),
            }
        }
        Params::Policy(p) => {
            let want = p.policy.document(|d| ctx.value(step, d, mode))?;
            reconcile::apply(ctx, &ContainerPolicy::new(p, want), mode).await
        }
        Params::Copy(p) => copy::run(ctx, step, p, mode).await,
        _ => Err(unexpected(step)),
    }
}

pub(crate) async fn destroy(ctx: &Ctx, step: &Step) -> Result<StepReport, Error> {
    match &step.params {
        Params::Container(p) => reconcile::destroy(ctx, &Container::new(p)).await,
        Params::ContainerCors(p) => reconcile::destroy(ctx, &ContainerCors::new(p)?).await,
        Params::Policy(p) => reconcile::destroy(ctx, &ContainerPolicy::new(p, None)).await,
        Params::Copy(p) => copy::destroy(ctx, p).await,
        _ => Err(unexpected(step)),
    }
}

/// Deletes what a copy step put in the container (unpublish); returns how many objects.
pub(crate) async fn delete_copied(ctx: &Ctx, step: &Step) -> Result<usize, Error> {
    match &step.params {
        Params::Copy(p) => copy::delete_all(ctx, p).await,
        _ => Err(unexpected(step)),
    }
}

fn unexpected(step: &Step) -> Error {
    Error::internal(
        &step.id,
        "the MediaStore executor does not handle these parameters",
    )
}

pub(super) async fn describe(
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

/// Deletes objects of a container, [`ApplyOptions::concurrency_per_service`](crate::ApplyOptions)
/// at a time.
pub(crate) async fn delete_paths(
    ctx: &Ctx,
    data: &aws_sdk_mediastoredata::Client,
    paths: Vec<String>,
) -> Result<(), Error> {
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(paths)
        .map(|path| async move {
            data.delete_object()
                .path(&path)
                .send()
                .await
                .map_err(|e| aws_error("mediastore-data:DeleteObject", &path, e))
        })
        .buffer_unordered(ctx.options.concurrency_per_service.max(1))
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The containers that carry the pipeline's tag: `(name, objects)` with the number of objects each
/// holds (0 while it has no endpoint).
pub(crate) async fn containers_of(ctx: &Ctx) -> Result<Vec<(String, usize)>, Error> {
    let ms = &ctx.clients.mediastore;
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ms
            .list_containers()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| aws_error("mediastore:ListContainers", &ctx.pipeline, e))?;
        for c in page.containers() {
            let (Some(name), Some(arn)) = (c.name(), c.arn()) else {
                continue;
            };
            let tags = match ms.list_tags_for_resource().resource(arn).send().await {
                Ok(t) => t,
                Err(e) if error_code(&e) == Some("ContainerNotFoundException") => continue,
                Err(e) => return Err(aws_error("mediastore:ListTagsForResource", name, e)),
            };
            let ours = tags.tags().iter().any(|t| {
                t.key() == crate::names::PIPELINE_TAG && t.value() == Some(ctx.pipeline.as_str())
            });
            if ours {
                let objects = match c.endpoint() {
                    Some(e) => list_tree(&data_client(ctx, e), "").await?.len(),
                    None => 0,
                };
                out.push((name.to_owned(), objects));
            }
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Deletes a container the pipeline no longer uses: first what the pipeline copied into it (every
/// folder holding a copy marker), then the container with its policies. `Ok(Err(reason))` when it
/// still holds objects the pipeline did not put there: it is kept, and the reason says why.
pub(crate) async fn delete_orphaned_container(
    ctx: &Ctx,
    name: &str,
) -> Result<Result<usize, String>, Error> {
    let Some(c) = describe(ctx, name).await? else {
        return Ok(Ok(0));
    };
    let mut deleted = 0;
    if let Some(endpoint) = c.endpoint() {
        let data = data_client(ctx, endpoint);
        let all = list_tree(&data, "").await?;
        let folders: Vec<String> = all
            .iter()
            .filter_map(|(path, _)| path.strip_suffix(crate::names::COPY_MARKER))
            .map(str::to_owned)
            .collect();
        let ours: Vec<String> = all
            .into_iter()
            .map(|(path, _)| path)
            .filter(|path| folders.iter().any(|f| path.starts_with(f.as_str())))
            .collect();
        deleted = ours.len();
        delete_paths(ctx, &data, ours).await?;
    }
    let params = crate::plan::ContainerParams {
        container: name
            .parse()
            .map_err(|_| Error::internal(name, "not a container name"))?,
        tags: Default::default(),
    };
    match reconcile::destroy(ctx, &Container::new(&params)).await {
        Ok(_) => Ok(Ok(deleted)),
        Err(Error::Conflict { reason, .. }) => Ok(Err(reason)),
        Err(e) => Err(e),
    }
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
pub(super) fn data_client(ctx: &Ctx, endpoint: &str) -> aws_sdk_mediastoredata::Client {
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

/// The names of the folders directly under `folder` (none when it does not exist).
pub(super) async fn list_folders(
    data: &aws_sdk_mediastoredata::Client,
    folder: &str,
) -> Result<Vec<String>, Error> {
    let dir = folder.trim_matches('/');
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = data.list_items().max_results(1000);
        if !dir.is_empty() {
            req = req.path(dir);
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
                return Ok(out);
            }
            Err(e) => return Err(aws_error("mediastore-data:ListItems", dir, e)),
        };
        out.extend(
            page.items()
                .iter()
                .filter(|i| i.r#type() == Some(&ItemType::Folder))
                .filter_map(|i| i.name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// Every object under `folder` (recursively), with its ETag.
pub(super) async fn list_tree(
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
