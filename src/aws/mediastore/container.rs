//! The MediaStore container: found by name, created with the pipeline's tags, and awaited until it
//! is `ACTIVE` with its data endpoint; deleted on destroy only when it holds nothing this pipeline
//! did not put there.

use aws_sdk_mediastore::types::{Container as Live, ContainerStatus, Tag};

use super::{data_client, describe, list_tree};
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::plan::{ContainerParams, OutputKey};

/// A container step.
pub(crate) struct Container<'a> {
    p: &'a ContainerParams,
}

impl<'a> Container<'a> {
    pub(crate) fn new(p: &'a ContainerParams) -> Self {
        Self { p }
    }

    fn name(&self) -> &str {
        self.p.container.as_str()
    }
}

impl Resource for Container<'_> {
    type Live = Live;

    async fn read(&self, ctx: &Ctx) -> Result<Option<Live>, Error> {
        describe(ctx, self.name()).await
    }

    /// A container has no settings this crate changes; one being deleted cannot be used.
    fn diff(&self, live: &Live) -> Vec<String> {
        if live.status() == Some(&ContainerStatus::Deleting) {
            vec!["status: DELETING -> ACTIVE".into()]
        } else {
            Vec::new()
        }
    }

    fn outputs(&self, live: &Live) -> Outputs {
        container_outputs(live)
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let name = self.name();
        let tags: Result<Vec<Tag>, _> = self
            .p
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let tags =
            tags.map_err(|e| Error::internal(name, format!("cannot build the request: {e}")))?;
        match ctx
            .clients
            .mediastore
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
        Ok(Vec::new())
    }

    /// Only a container being deleted differs.
    async fn update(
        &self,
        _: &Ctx,
        _: Live,
        _diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        Err(Error::Conflict {
            resource: format!("MediaStore container {}", self.name()),
            reason: "the container is being deleted; run apply again once it is gone".into(),
        })
    }

    /// Waits for ACTIVE: only then is the data endpoint assigned.
    async fn ready(&self, ctx: &Ctx, _: Outputs) -> Result<Outputs, Error> {
        let name = self.name();
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
                return Ok(container_outputs(&c));
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

    async fn delete(&self, ctx: &Ctx, c: Live) -> Result<Change, Error> {
        let name = self.name();
        if c.status() == Some(&ContainerStatus::Deleting) {
            return Ok(Change::Delete);
        }
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
        match ctx
            .clients
            .mediastore
            .delete_container()
            .container_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("ContainerNotFoundException") => Ok(Change::Absent),
            Err(e) => Err(aws_error("mediastore:DeleteContainer", name, e)),
        }
    }
}

/// The container's ARN, data endpoint (its host is the distribution's origin domain, and its path, if any, goes
/// before the origin path) and name.
fn container_outputs(c: &Live) -> Outputs {
    let endpoint = c.endpoint().unwrap_or_default().to_owned();
    let parsed = url::Url::parse(&endpoint).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let path = parsed
        .as_ref()
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    vec![
        (OutputKey::Arn, c.arn().unwrap_or_default().to_owned()),
        (OutputKey::Endpoint, endpoint),
        (OutputKey::EndpointHost, host),
        (OutputKey::EndpointPath, path),
        (OutputKey::Name, c.name().unwrap_or_default().to_owned()),
    ]
}
