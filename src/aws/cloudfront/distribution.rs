//! The distribution: found by its comment and the tag `vod-pipeline:pipeline`, created with its tags,
//! updated over the live config (fields this crate does not manage are kept) with `If-Match`, and
//! awaited until `Deployed` when asked; destroyed by disabling it, waiting, and deleting it.
//!
//! Member names and rules: <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html>.

use std::time::{Duration, Instant};

use aws_sdk_cloudfront::types::{
    DistributionConfig, DistributionConfigWithTags, DistributionSummary, Tag, Tags,
};

use super::config::{self, Resolved, desired_config};
use super::{KNOWN_AFTER_APPLY, build_error, diff, missing};
use crate::apply::event::{Change, Event};
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, Mode, aws_error, error_code};
use crate::error::Error;
use crate::plan::{Deferred, DistributionParams, OutputKey, Step};

/// A distribution step.
pub(crate) struct Distribution<'a> {
    step: &'a Step,
    p: &'a DistributionParams,
    desired: DistributionConfig,
}

/// The live distribution: its summary, its config and that config's ETag.
pub(crate) struct Live {
    found: DistributionSummary,
    config: DistributionConfig,
    etag: String,
}

impl<'a> Distribution<'a> {
    /// The distribution the step asks for, with the values of earlier steps filled in (in refresh,
    /// a value they would only create shows as `(known after apply)`).
    pub(crate) fn new(
        ctx: &Ctx,
        step: &'a Step,
        p: &'a DistributionParams,
        mode: Mode,
    ) -> Result<Self, Error> {
        let resolved = resolve_all(ctx, step, p, mode)?;
        let desired = desired_config(p, &resolved).map_err(|e| build_error(step, e))?;
        Ok(Self { step, p, desired })
    }
}

fn outputs(id: String, arn: String, domain_name: String, status: String, etag: String) -> Outputs {
    vec![
        (OutputKey::Id, id),
        (OutputKey::Arn, arn),
        (OutputKey::DomainName, domain_name),
        (OutputKey::Status, status),
        (OutputKey::Etag, etag),
    ]
}

fn set(outputs: &mut Outputs, key: OutputKey, value: String) {
    match outputs.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v = value,
        None => outputs.push((key, value)),
    }
}

fn get(outputs: &Outputs, key: OutputKey) -> &str {
    outputs
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, v)| v.as_str())
}

impl Resource for Distribution<'_> {
    type Live = Live;

    async fn read(&self, ctx: &Ctx) -> Result<Option<Live>, Error> {
        let Some(found) = find_distribution(ctx, &self.p.comment).await? else {
            return Ok(None);
        };
        match get_config(ctx, &found.id).await {
            Ok((config, etag)) => Ok(Some(Live {
                found,
                config,
                etag,
            })),
            // Deleted while we looked.
            Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchDistribution") => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn diff(&self, live: &Live) -> Vec<String> {
        diff::diff(
            &live.config,
            &config::overlay(live.config.clone(), &self.desired),
        )
    }

    fn outputs(&self, live: &Live) -> Outputs {
        let f = &live.found;
        let mut o = outputs(
            f.id.clone(),
            f.arn.clone(),
            f.domain_name.clone(),
            f.status.clone(),
            live.etag.clone(),
        );
        // What it used as read, before any update: what `cloudfront.orphans` may delete.
        o.push((OutputKey::PoliciesInUse, policies_in_use(&live.config)));
        o
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let step = self.step;
        let tags: Vec<Tag> = self
            .p
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect::<Result<_, _>>()
            .map_err(|e| build_error(step, e))?;
        let create = |config: DistributionConfig| {
            let with_tags = DistributionConfigWithTags::builder()
                .distribution_config(config)
                .tags(Tags::builder().set_items(Some(tags.clone())).build())
                .build();
            ctx.clients
                .cloudfront
                .create_distribution_with_tags()
                .distribution_config_with_tags(with_tags)
                .send()
        };
        let mut result = create(self.desired.clone()).await;
        if let Err(e) = &result
            && error_code(e) == Some("DistributionAlreadyExists")
            && !listed_within_lag(ctx, &self.p.comment).await?
        {
            // CloudFront remembers the CallerReference of a deleted distribution. No distribution of
            // this pipeline is listed (none carries its tag), even after the listing lag, so this
            // creation gets a reference of its own.
            let mut again = self.desired.clone();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            again.caller_reference = format!("{}/{now}", again.caller_reference);
            result = create(again).await;
        }
        let out = result
            .map_err(|e| aws_error("cloudfront:CreateDistributionWithTags", &step.resource, e))?;
        let d = out.distribution.ok_or_else(|| {
            missing(
                "cloudfront:CreateDistributionWithTags",
                &step.resource,
                "Distribution",
            )
        })?;
        Ok(outputs(
            d.id,
            d.arn,
            d.domain_name,
            d.status,
            out.e_tag.unwrap_or_default(),
        ))
    }

    /// Another run created the distribution with the same caller reference (a distribution of this
    /// pipeline exists now; without one, `create` retries with a reference of its own).
    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("DistributionAlreadyExists")
    }

    async fn update(
        &self,
        ctx: &Ctx,
        live: Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let mut o = self.outputs(&live);
        let id = live.found.id.clone();
        let change =
            match update_distribution(ctx, &id, &self.desired, live.config, live.etag, diff).await?
            {
                Updated::Done(diff, etag, status) => {
                    set(&mut o, OutputKey::Etag, etag);
                    set(&mut o, OutputKey::Status, status);
                    Change::Update { diff }
                }
                Updated::AlreadyMatches(etag) => {
                    set(&mut o, OutputKey::Etag, etag);
                    Change::NoOp
                }
            };
        Ok((change, o))
    }

    /// With [`ApplyOptions::wait_for_deployment`](crate::ApplyOptions::wait_for_deployment), waits
    /// until the distribution is `Deployed`.
    async fn ready(&self, ctx: &Ctx, mut outputs: Outputs) -> Result<Outputs, Error> {
        if ctx.options.wait_for_deployment && get(&outputs, OutputKey::Status) != "Deployed" {
            let id = get(&outputs, OutputKey::Id).to_owned();
            let status = wait_deployed(ctx, self.step, &id).await?;
            set(&mut outputs, OutputKey::Status, status);
        }
        Ok(outputs)
    }

    /// A distribution must be disabled, and deployed so, before it can be deleted.
    async fn delete(&self, ctx: &Ctx, live: Live) -> Result<Change, Error> {
        let id = live.found.id;
        let (mut config, mut etag) = (live.config, live.etag);
        let mut retried = false;
        while config.enabled {
            let mut disabled = config.clone();
            disabled.enabled = false;
            match ctx
                .clients
                .cloudfront
                .update_distribution()
                .id(&id)
                .if_match(&etag)
                .distribution_config(disabled)
                .send()
                .await
            {
                Ok(out) => {
                    etag = out
                        .e_tag
                        .ok_or_else(|| missing("cloudfront:UpdateDistribution", &id, "ETag"))?;
                    break;
                }
                Err(e) if error_code(&e) == Some("PreconditionFailed") && !retried => {
                    retried = true;
                    (config, etag) = get_config(ctx, &id).await?;
                }
                Err(e) => return Err(aws_error("cloudfront:UpdateDistribution", &id, e)),
            }
        }
        wait_deployed(ctx, self.step, &id).await?;
        match ctx
            .clients
            .cloudfront
            .delete_distribution()
            .id(&id)
            .if_match(&etag)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchDistribution") => Ok(Change::Absent),
            Err(e) => Err(aws_error("cloudfront:DeleteDistribution", &id, e)),
        }
    }
}

// `Error` is as large as src/error.rs makes it; these plain helpers return it like the async ones.
fn resolve_value(
    ctx: &Ctx,
    step: &Step,
    value: &Deferred<String>,
    mode: Mode,
) -> Result<String, Error> {
    Ok(ctx
        .value(step, value, mode)?
        .unwrap_or_else(|| KNOWN_AFTER_APPLY.to_owned()))
}

fn resolve_all(
    ctx: &Ctx,
    step: &Step,
    p: &DistributionParams,
    mode: Mode,
) -> Result<Resolved, Error> {
    let b = &p.default_cache_behavior;
    Ok(Resolved {
        origin_domain: resolve_value(ctx, step, &p.origin.domain_name, mode)?,
        origin_path_prefix: match &p.origin.origin_path_prefix {
            // A prefix not known yet (refresh before the container exists) is none: the distribution does not
            // exist either.
            Some(prefix) => ctx.value(step, prefix, mode)?.unwrap_or_default(),
            None => String::new(),
        },
        oac_id: resolve_value(ctx, step, &p.origin.origin_access_control_id, mode)?,
        cache_policy_id: b
            .cache_policy_id
            .as_ref()
            .map(|t| resolve_value(ctx, step, t, mode))
            .transpose()?,
        response_headers_policy_id: b
            .response_headers_policy_id
            .as_ref()
            .map(|t| resolve_value(ctx, step, t, mode))
            .transpose()?,
        trusted_key_group_id: p
            .trusted_key_group
            .as_ref()
            .map(|t| resolve_value(ctx, step, &t.key_group_id, mode))
            .transpose()?,
    })
}

async fn is_ours(ctx: &Ctx, arn: &str) -> Result<bool, Error> {
    match ctx
        .clients
        .cloudfront
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .tags
            .and_then(|t| t.items)
            .unwrap_or_default()
            .iter()
            .any(|t| {
                t.key == crate::names::PIPELINE_TAG
                    && t.value.as_deref() == Some(ctx.pipeline.as_str())
            })),
        // Deleted while we looked.
        Err(e) if error_code(&e) == Some("NoSuchResource") => Ok(false),
        Err(e) => Err(aws_error("cloudfront:ListTagsForResource", arn, e)),
    }
}

/// The pipeline's distribution: candidates with the planned comment first, confirmed by the tag;
/// when none of them carries it (the comment was changed), every distribution's tags are checked.
/// Whether a distribution of the pipeline is listed, reading `ListDistributions` again with growing
/// waits (from [`ApplyOptions::poll_interval`](crate::ApplyOptions::poll_interval), doubling up to
/// its maximum) until [`ApplyOptions::listing_lag`](crate::ApplyOptions::listing_lag) has passed: a
/// distribution created a moment ago (by a run that was killed, or another run of the pipeline) may
/// not be listed yet. Only when it is still not listed is it taken as absent.
async fn listed_within_lag(ctx: &Ctx, comment: &str) -> Result<bool, Error> {
    let deadline = tokio::time::Instant::now() + ctx.options.listing_lag;
    let mut wait = ctx.options.poll_interval;
    loop {
        if find_distribution(ctx, comment).await?.is_some() {
            return Ok(true);
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        tracing::debug!(
            wait_ms = wait.as_millis() as u64,
            "the CallerReference is taken but no distribution of the pipeline is listed yet; looking again"
        );
        tokio::time::sleep(wait.min(deadline - now)).await;
        wait = (wait * 2).min(ctx.options.max_poll_interval);
    }
}

/// Whether destroy should take a distribution of the pipeline that is not listed as possibly
/// created moments ago: the pipeline's origin access control exists (an apply got that far) and a
/// distribution of the pipeline is listed within the listing lag. Without the OAC, nothing waits.
pub(super) async fn may_be_unlisted(ctx: &Ctx, p: &DistributionParams) -> Result<bool, Error> {
    let oac = crate::names::oac_name(ctx.pipeline.as_str(), p.origin.kind);
    Ok(super::oac::exists(ctx, &oac).await? && listed_within_lag(ctx, &p.comment).await?)
}

pub(super) async fn find_distribution(
    ctx: &Ctx,
    comment: &str,
) -> Result<Option<DistributionSummary>, Error> {
    let mut all = Vec::new();
    let mut items = ctx
        .clients
        .cloudfront
        .list_distributions()
        .into_paginator()
        .items()
        .send();
    while let Some(item) = items.next().await {
        all.push(item.map_err(|e| aws_error("cloudfront:ListDistributions", comment, e))?);
    }
    let (by_comment, others): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|d| d.comment == comment);
    for d in by_comment.into_iter().chain(others) {
        if is_ours(ctx, &d.arn).await? {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

async fn get_config(ctx: &Ctx, id: &str) -> Result<(DistributionConfig, String), Error> {
    let out = ctx
        .clients
        .cloudfront
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| aws_error("cloudfront:GetDistributionConfig", id, e))?;
    let config = out
        .distribution_config
        .ok_or_else(|| missing("cloudfront:GetDistributionConfig", id, "DistributionConfig"))?;
    let etag = out
        .e_tag
        .ok_or_else(|| missing("cloudfront:GetDistributionConfig", id, "ETag"))?;
    Ok((config, etag))
}

/// Polls `GetDistribution` until the status is `Deployed`, emitting each status seen.
pub(super) async fn wait_deployed(ctx: &Ctx, step: &Step, id: &str) -> Result<String, Error> {
    let started = Instant::now();
    let mut interval = ctx.options.poll_interval.max(Duration::from_millis(1));
    loop {
        let out = ctx
            .clients
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:GetDistribution", id, e))?;
        let status = out.distribution.map(|d| d.status).unwrap_or_default();
        ctx.emit(Event::DistributionStatus {
            step: step.id.clone(),
            id: id.to_owned(),
            status: status.clone(),
        });
        if status == "Deployed" {
            return Ok(status);
        }
        let waited = started.elapsed();
        if waited >= ctx.options.deploy_timeout {
            return Err(Error::Timeout {
                what: format!("CloudFront distribution {id} to be Deployed (last status {status})"),
                waited_secs: waited.as_secs(),
            });
        }
        tokio::time::sleep(interval.min(ctx.options.deploy_timeout - waited)).await;
        interval = (interval * 2).min(ctx.options.max_poll_interval.max(ctx.options.poll_interval));
    }
}

enum Updated {
    /// Updated: the diff that was applied, the new ETag and status.
    Done(Vec<String>, String, String),
    /// After a re-read the live config already matched; its ETag.
    AlreadyMatches(String),
}

/// `UpdateDistribution` with `If-Match`; on `PreconditionFailed` (someone changed the distribution
/// in between) the config is read again and the update tried once more.
async fn update_distribution(
    ctx: &Ctx,
    id: &str,
    desired: &DistributionConfig,
    mut live: DistributionConfig,
    mut etag: String,
    mut diff: Vec<String>,
) -> Result<Updated, Error> {
    let mut retried = false;
    loop {
        let merged = config::overlay(live, desired);
        match ctx
            .clients
            .cloudfront
            .update_distribution()
            .id(id)
            .if_match(&etag)
            .distribution_config(merged)
            .send()
            .await
        {
            Ok(out) => {
                let etag = out.e_tag.unwrap_or_default();
                let status = out.distribution.map(|d| d.status).unwrap_or_default();
                return Ok(Updated::Done(diff, etag, status));
            }
            Err(e) if error_code(&e) == Some("PreconditionFailed") && !retried => {
                retried = true;
                let (l, t) = get_config(ctx, id).await?;
                let d = diff::diff(&l, &config::overlay(l.clone(), desired));
                if d.is_empty() {
                    return Ok(Updated::AlreadyMatches(t));
                }
                (live, etag, diff) = (l, t, d);
            }
            Err(e) => return Err(aws_error("cloudfront:UpdateDistribution", id, e)),
        }
    }
}

/// The policies and key groups a distribution config uses, as [`OutputKey::PoliciesInUse`] writes them.
fn policies_in_use(c: &DistributionConfig) -> String {
    let mut behaviors: Vec<(Option<&str>, Option<&str>, Vec<&str>)> = Vec::new();
    if let Some(d) = &c.default_cache_behavior {
        behaviors.push((
            d.cache_policy_id.as_deref(),
            d.response_headers_policy_id.as_deref(),
            d.trusted_key_groups
                .as_ref()
                .and_then(|t| t.items.as_ref())
                .map(|i| i.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        ));
    }
    for b in c
        .cache_behaviors
        .as_ref()
        .and_then(|b| b.items.as_ref())
        .into_iter()
        .flatten()
    {
        behaviors.push((
            b.cache_policy_id.as_deref(),
            b.response_headers_policy_id.as_deref(),
            b.trusted_key_groups
                .as_ref()
                .and_then(|t| t.items.as_ref())
                .map(|i| i.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        ));
    }
    let mut all: Vec<String> = Vec::new();
    for (cache, headers, groups) in behaviors {
        all.extend(
            cache
                .filter(|s| !s.is_empty())
                .map(|id| format!("cache:{id}")),
        );
        all.extend(
            headers
                .filter(|s| !s.is_empty())
                .map(|id| format!("response-headers:{id}")),
        );
        all.extend(groups.into_iter().map(|id| format!("key-group:{id}")));
    }
    all.sort();
    all.dedup();
    all.join(",")
}
