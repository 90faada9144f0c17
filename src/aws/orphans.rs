//! What the pipeline made and the spec no longer produces, in two steps that run after every other:
//!
//! - `s3.orphaned_output`: the packaged output of assets and formats that left the spec, and the
//!   objects an earlier job wrote that the job of the current output did not, in the output bucket
//!   and in the origin;
//! - `cloudfront.orphans` ([`run_unused`]): the policies, key group and public keys the distribution
//!   stopped using, and the origin it left (container, origin access control, the copies in an
//!   origin bucket, found through the record [`COPIES_ORIGIN`](crate::names::COPIES_ORIGIN)).
//!
//! Nothing here needs a state file. Apply records each asset of the spec with an empty object,
//! `<output prefix>.vod-pipeline/spec-assets/<asset>` ([`SPEC_INDEX`]); an asset recorded there and
//! no longer in the spec is an orphan. Assets published at runtime are never recorded, so never
//! swept, whatever their folder holds. For the assets of the spec, a format folder whose format left
//! `transcode.formats` is an orphan, and so is an object of a kept format last written more than a
//! second before the job of the current output was created (the job marker says when).
//!
//! Refresh reports each orphan ([`Change::Delete`]). Apply, which runs this step after every other
//! step (the new state is in place, so a viewer sees no gap), deletes it: the asset leaves the
//! published index first, then its objects go (origin copies, then the output), then its record;
//! last, one invalidation covers every deleted path. With
//! [`ApplyOptions::keep_orphans`](crate::ApplyOptions) each is reported as [`Change::Kept`].

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;

use super::cloudfront::unused;
use super::mediastore;
use super::s3::index;
use super::{Ctx, Mode, StepReport, aws_error, error_code};
use crate::apply::event::{Change, Orphan, OrphanKind};
use crate::error::Error;
use crate::names::{COPY_MARKER, JOB_MARKER, PUBLISHED_INDEX, SPEC_INDEX, parse_s3_uri};
use crate::plan::{OriginLocation, OrphanedOutputParams, OutputKey, Step, StepId, UnusedParams};
use crate::spec::model::OriginKind;
use crate::types::BucketName;

/// One folder to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// An asset that left the spec.
    Asset(String),
    /// A format folder of an asset of the spec.
    Format(String, String),
    /// Objects of an asset of the spec that an earlier job wrote and the job of its current output
    /// did not (renditions that left the ladder, segments of another segment length): in the
    /// output, and copies in the origin of objects no longer in the output.
    Stale {
        asset: String,
        formats: Vec<String>,
        output: Vec<String>,
        copies: Vec<String>,
    },
}

impl Found {
    /// The folder under the output prefix (and the origin's), ending with `/`.
    fn folder(&self) -> String {
        match self {
            Found::Asset(a) | Found::Stale { asset: a, .. } => format!("{a}/"),
            Found::Format(a, f) => format!("{a}/{f}/"),
        }
    }
    /// The playback paths to invalidate.
    fn paths(&self) -> Vec<String> {
        match self {
            Found::Stale { asset, formats, .. } => {
                formats.iter().map(|f| format!("/{asset}/{f}/*")).collect()
            }
            _ => vec![format!("/{}*", self.folder())],
        }
    }
}

/// Where the origin keeps copies of the output, reachable: a container (its data client) or the
/// origin bucket, and the folder holding the assets.
enum Copies {
    Container {
        data: aws_sdk_mediastoredata::Client,
        container: String,
        prefix: String,
    },
    Bucket {
        bucket: String,
        prefix: String,
    },
}

impl Copies {
    fn prefix(&self) -> &str {
        match self {
            Copies::Container { prefix, .. } | Copies::Bucket { prefix, .. } => prefix,
        }
    }

    /// `mediastore://container/prefix` or `s3://bucket/prefix`.
    fn label(&self) -> String {
        match self {
            Copies::Container {
                container, prefix, ..
            } => format!("mediastore://{container}/{prefix}"),
            Copies::Bucket { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// The folders directly under `<prefix><rel>/`.
    async fn folders(&self, ctx: &Ctx, rel: &str) -> Result<Vec<String>, Error> {
        let path = format!("{}{rel}/", self.prefix());
        Ok(match self {
            Copies::Container { data, .. } => mediastore::list_folders(data, &path)
                .await?
                .into_iter()
                .filter(|n| visible(n))
                .collect(),
            Copies::Bucket { bucket, .. } => list_level(ctx, bucket, &path)
                .await?
                .map(|(dirs, _)| dirs)
                .unwrap_or_default(),
        })
    }

    /// Every object under `<prefix><folder>` (full paths or keys).
    async fn list(&self, ctx: &Ctx, folder: &str) -> Result<Vec<String>, Error> {
        let path = format!("{}{folder}", self.prefix());
        Ok(match self {
            Copies::Container { data, .. } => mediastore::list_tree(data, &path)
                .await?
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
            // An origin bucket apply has not created yet (refresh) holds nothing.
            Copies::Bucket { bucket, .. } => match index::list(ctx, bucket, &path).await {
                Err(Error::Aws(a)) if a.code.as_deref() == Some("NoSuchBucket") => Vec::new(),
                other => other?,
            },
        })
    }

    async fn delete(&self, ctx: &Ctx, paths: Vec<String>) -> Result<(), Error> {
        match self {
            Copies::Container { data, .. } => mediastore::delete_paths(ctx, data, paths).await,
            Copies::Bucket { bucket, .. } => index::delete(ctx, bucket, &paths).await,
        }
    }
}

pub(crate) async fn run(
    ctx: &Ctx,
    step: &Step,
    p: &OrphanedOutputParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    let Some((bucket, prefix)) = parse_s3_uri(&p.output) else {
        return Err(Error::internal(
            &step.id,
            format!("{} is not an s3:// URL", p.output),
        ));
    };
    let records_prefix = format!("{prefix}{SPEC_INDEX}");
    // A bucket that does not exist yet (refresh of a new pipeline) holds no orphan.
    let Some((_, recorded)) = list_level(ctx, bucket, &records_prefix).await? else {
        return Ok(StepReport::new(if p.assets.is_empty() {
            Change::NoOp
        } else {
            Change::Create
        }));
    };
    let recorded: BTreeSet<String> = recorded.into_iter().collect();
    let spec: BTreeSet<&str> = p.assets.iter().map(String::as_str).collect();
    let origin = origin_copies(ctx, step, p, mode).await?;

    let mut found: Vec<Found> = recorded
        .iter()
        .filter(|a| !spec.contains(a.as_str()))
        .map(|a| Found::Asset(a.clone()))
        .collect();
    if let Some(folders) = &p.folders {
        for a in &p.assets {
            let mut present: BTreeSet<String> = BTreeSet::new();
            if let Some((dirs, _)) = list_level(ctx, bucket, &format!("{prefix}{a}/")).await? {
                present.extend(dirs);
            }
            if let Some(o) = &origin {
                present.extend(o.folders(ctx, a).await?);
            }
            found.extend(
                present
                    .into_iter()
                    .filter(|f| !folders.contains(f))
                    .map(|f| Found::Format(a.clone(), f)),
            );
            if let Some(stale) = stale(ctx, bucket, prefix, a, folders, origin.as_ref()).await? {
                found.push(stale);
            }
        }
    }

    let mut paths = Vec::new();
    for f in &found {
        let folder = f.folder();
        let (s3_keys, copies) = match f {
            Found::Stale { output, copies, .. } => (output.clone(), copies.clone()),
            _ => (
                index::list(ctx, bucket, &format!("{prefix}{folder}")).await?,
                match &origin {
                    Some(o) => o.list(ctx, &folder).await?,
                    None => Vec::new(),
                },
            ),
        };
        let (kind, why) = match f {
            Found::Asset(a) => (
                OrphanKind::AssetOutput,
                format!("asset {a:?} is no longer in the spec"),
            ),
            Found::Format(a, fmt) => (
                OrphanKind::FormatOutput,
                format!("format {fmt:?} is no longer in transcode.formats (asset {a:?})"),
            ),
            Found::Stale { asset, .. } => (
                OrphanKind::StaleOutput,
                format!(
                    "written by an earlier job of asset {asset:?}, not by the job of its current output (such as a rendition that left the ladder)"
                ),
            ),
        };
        let mut reason = format!("{why}; {} objects", s3_keys.len());
        if let Some(o) = &origin {
            reason.push_str(&format!(", and {} in {}{folder}", copies.len(), o.label()));
        }
        let change = match mode {
            Mode::Apply if ctx.options.keep_orphans => Change::Kept,
            Mode::Refresh => Change::Delete,
            Mode::Apply => {
                if let Found::Asset(a) = f {
                    // Out of the catalog first, so that listings stop showing it while it goes.
                    index::remove(ctx, &format!("s3://{bucket}/{prefix}{PUBLISHED_INDEX}{a}/"))
                        .await?;
                }
                if let Some(o) = &origin {
                    o.delete(ctx, copies).await?;
                }
                index::delete(ctx, bucket, &s3_keys).await?;
                if let Found::Asset(a) = f {
                    index::delete(ctx, bucket, &[format!("{records_prefix}{a}")]).await?;
                }
                paths.extend(f.paths());
                Change::Delete
            }
        };
        ctx.orphan(
            &step.id,
            Orphan {
                kind,
                resource: format!("s3://{bucket}/{prefix}{folder}"),
                reason,
                change,
            },
        );
    }

    if !paths.is_empty() {
        let dist = ctx.require(step, &p.distribution_id)?;
        let id = ctx.invalidate(&dist, paths).await?;
        if ctx.options.wait_for_deployment {
            super::cloudfront::batch::wait_completed(&ctx.invalidation_sender(), &dist, &id)
                .await?;
        }
    }

    // Record the assets of the spec, so that a later apply can tell them from runtime publishes.
    let unrecorded: Vec<&String> = p.assets.iter().filter(|a| !recorded.contains(*a)).collect();
    if mode == Mode::Apply {
        for a in &unrecorded {
            let key = format!("{records_prefix}{a}");
            ctx.clients
                .s3
                .put_object()
                .bucket(bucket)
                .key(&key)
                .body(ByteStream::from_static(b""))
                .send()
                .await
                .map_err(|e| aws_error("s3:PutObject", &key, e))?;
        }
    }

    Ok(StepReport::new(if !found.is_empty() {
        if mode == Mode::Apply && ctx.options.keep_orphans {
            Change::Kept
        } else {
            Change::Delete
        }
    } else if !unrecorded.is_empty() {
        Change::Create
    } else {
        Change::NoOp
    }))
}

/// The folders and the objects directly under `prefix` (names relative to it, folders without their
/// `/`); `None` when the bucket does not exist. Names starting with `.` (this crate's records and
/// markers) are left out.
async fn list_level(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
) -> Result<Option<(Vec<String>, Vec<String>)>, Error> {
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut pages = ctx
        .clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(p) => p,
            Err(e) if error_code(&e) == Some("NoSuchBucket") => return Ok(None),
            Err(e) => return Err(aws_error("s3:ListObjectsV2", prefix, e)),
        };
        folders.extend(page.common_prefixes().iter().filter_map(|c| {
            let name = c.prefix()?.strip_prefix(prefix)?.strip_suffix('/')?;
            visible(name).then(|| name.to_owned())
        }));
        files.extend(page.contents().iter().filter_map(|o| {
            let name = o.key()?.strip_prefix(prefix)?;
            visible(name).then(|| name.to_owned())
        }));
    }
    Ok(Some((folders, files)))
}

fn visible(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains('/')
}

/// The origin's copies of the output: a MediaStore container (when it exists and has an endpoint),
/// or an origin bucket the output is copied into.
async fn origin_copies(
    ctx: &Ctx,
    step: &Step,
    p: &OrphanedOutputParams,
    mode: Mode,
) -> Result<Option<Copies>, Error> {
    Ok(match &p.origin {
        None => None,
        Some(OriginLocation::S3 { bucket, prefix }) => Some(Copies::Bucket {
            bucket: bucket.to_string(),
            prefix: prefix.clone(),
        }),
        Some(OriginLocation::Mediastore {
            container,
            prefix,
            endpoint,
        }) => ctx
            .value(step, endpoint, mode)?
            .map(|endpoint| Copies::Container {
                data: mediastore::data_client(ctx, &endpoint),
                container: container.to_string(),
                prefix: prefix.clone(),
            }),
    })
}

/// The objects of an asset of the spec that the job of its current output did not write: in the
/// kept format folders, those last written more than a second before that job was created (its
/// marker says when); and in the origin, the copies of objects no longer in the output. `None`
/// when there are none, or when the marker does not say when its job was created (markers of
/// earlier versions).
async fn stale(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
    asset: &str,
    folders: &[String],
    origin: Option<&Copies>,
) -> Result<Option<Found>, Error> {
    let base = format!("{prefix}{asset}/");
    let marker = crate::aws::mediaconvert::S3Location {
        bucket: bucket.to_owned(),
        key: format!("{base}{JOB_MARKER}"),
    };
    let Some(Ok(m)) = crate::aws::mediaconvert::read_marker(ctx, &marker).await? else {
        return Ok(None);
    };
    let Some(created) = m.job_created else {
        return Ok(None);
    };
    let in_kept_format = |rel: &str| {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        rel.split_once('/')
            .is_some_and(|(f, rest)| !rest.is_empty() && folders.iter().any(|k| k == f))
            && !name.starts_with('.')
            && name != COPY_MARKER
    };
    let mut current: BTreeSet<String> = BTreeSet::new();
    let mut output = Vec::new();
    let mut formats: BTreeSet<String> = BTreeSet::new();
    for (key, (secs, _)) in index::list_dated(ctx, bucket, &base).await? {
        let Some(rel) = key.strip_prefix(&base) else {
            continue;
        };
        if !in_kept_format(rel) {
            continue;
        }
        if u64::try_from(secs).unwrap_or(0) + 1 < created {
            formats.insert(rel.split('/').next().unwrap_or_default().to_owned());
            output.push(key.clone());
        } else {
            current.insert(rel.to_owned());
        }
    }
    let mut copies = Vec::new();
    if let Some(o) = origin {
        let copy_base = format!("{}{asset}/", o.prefix());
        for path in o.list(ctx, &format!("{asset}/")).await? {
            let Some(rel) = path.strip_prefix(&copy_base) else {
                continue;
            };
            if in_kept_format(rel) && !current.contains(rel) {
                formats.insert(rel.split('/').next().unwrap_or_default().to_owned());
                copies.push(path.clone());
            }
        }
    }
    Ok(
        (!output.is_empty() || !copies.is_empty()).then(|| Found::Stale {
            asset: asset.to_owned(),
            formats: formats.into_iter().collect(),
            output,
            copies,
        }),
    )
}

/// What `cloudfront.orphans` found.
enum Left {
    /// The other origin type's origin access control.
    Oac,
    /// A container tagged with the pipeline.
    Container(String),
    /// A policy or key group the distribution stopped using, with its ETag.
    Unused(unused::Used, String),
    /// What the pipeline copied into an origin bucket it no longer uses: the bucket, the keys.
    Copies(BucketName, Vec<String>),
}

/// `cloudfront.orphans`: what the distribution no longer uses. See
/// [`UnusedParams`](crate::plan::UnusedParams).
pub(crate) async fn run_unused(
    ctx: &Ctx,
    step: &Step,
    p: &UnusedParams,
    mode: Mode,
) -> Result<StepReport, Error> {
    // No distribution yet (refresh of a new pipeline): nothing it could have stopped using.
    if ctx.value(step, &p.distribution_id, mode)?.is_none() {
        return Ok(StepReport::new(Change::NoOp));
    }
    let mut found: Vec<(OrphanKind, String, String, Left)> = Vec::new();

    // Policies and key groups: what the distribution used when read, and the plan does not use.
    let wanted: BTreeSet<String> = [
        StepId::CachePolicy,
        StepId::ResponseHeadersPolicy,
        StepId::KeyGroup,
    ]
    .iter()
    .filter_map(|s| ctx.output(s, OutputKey::Id))
    .chain(p.managed_policies.iter().cloned())
    .collect();
    let prior = ctx
        .output(&StepId::Distribution, OutputKey::PoliciesInUse)
        .unwrap_or_default();
    for u in unused::parse(&prior) {
        if wanted.contains(&u.id) {
            continue;
        }
        if let Some((name, etag)) = unused::ours(ctx, &u).await? {
            found.push((
                u.kind,
                format!("{name} ({})", u.id),
                "the distribution no longer uses it".into(),
                Left::Unused(u, etag),
            ));
        }
    }

    // Public keys of the pipeline that no key group of the plan holds (after the key group went).
    let wanted_keys: BTreeSet<String> = p
        .public_keys
        .iter()
        .filter_map(|name| ctx.output(&StepId::PublicKey(name.clone()), OutputKey::Id))
        .collect();
    for (id, name) in unused::public_keys(ctx).await? {
        if !wanted_keys.contains(&id) && !p.public_keys.contains(&name) {
            found.push((
                OrphanKind::PublicKey,
                format!("{name} ({id})"),
                "no longer in cloudfront.private_content.public_keys".into(),
                Left::Unused(
                    unused::Used {
                        kind: OrphanKind::PublicKey,
                        id,
                    },
                    String::new(),
                ),
            ));
        }
    }

    if super::cloudfront::oac_exists(ctx, &p.other_oac).await? {
        found.push((
            OrphanKind::OriginAccessControl,
            p.other_oac.clone(),
            format!("the distribution's origin is {} now", p.origin),
            Left::Oac,
        ));
    }
    if p.origin == OriginKind::S3 {
        for (name, objects) in mediastore::containers_of(ctx).await? {
            found.push((
                OrphanKind::Container,
                format!("mediastore://{name}"),
                format!(
                    "the distribution's origin is an S3 bucket now; it holds {objects} objects"
                ),
                Left::Container(name),
            ));
        }
    }
    // The copies in origin buckets the output is no longer copied into (found through the record
    // the output keeps, since the spec no longer names those buckets).
    let copies_now = p.copies_bucket.clone();
    let recorded = super::s3::recorded_copies_origins(ctx, &p.output).await?;
    let left: Vec<&BucketName> = recorded
        .iter()
        .filter(|b| Some(*b) != copies_now.as_ref())
        .collect();
    let mut empty_left: Vec<BucketName> = Vec::new();
    for old in &left {
        let keys = super::s3::copied_into(ctx, old.as_str(), &p.output).await?;
        if keys.is_empty() {
            empty_left.push((*old).clone());
            continue;
        }
        found.push((
            OrphanKind::OriginCopies,
            format!("s3://{old}/"),
            format!(
                "the distribution's origin is {} now; the bucket holds {} objects this pipeline copied (the bucket stays)",
                copies_now
                    .as_ref()
                    .map_or_else(|| p.origin.to_string(), |b| format!("s3://{b}")),
                keys.len()
            ),
            Left::Copies((*old).clone(), keys),
        ));
    }
    let (report, deleted) = sweep(ctx, step, p, mode, found).await?;
    // The record lists the bucket copied into now and each other one that still holds copies (a
    // kept orphan stays recorded, so that the next apply finds it again).
    if mode == Mode::Apply {
        let mut want: Vec<BucketName> = copies_now.into_iter().collect();
        for b in &left {
            if !empty_left.contains(b) && !deleted.contains(b) && !want.contains(b) {
                want.push((*b).clone());
            }
        }
        if want != recorded {
            super::s3::record_copies_origins(ctx, &p.output, &want).await?;
        }
    }
    Ok(report)
}

/// Deletes (apply) or reports (refresh, `keep_orphans`) what `cloudfront.orphans` found.
async fn sweep(
    ctx: &Ctx,
    step: &Step,
    p: &UnusedParams,
    mode: Mode,
    found: Vec<(OrphanKind, String, String, Left)>,
) -> Result<(StepReport, Vec<BucketName>), Error> {
    if found.is_empty() {
        return Ok((StepReport::new(Change::NoOp), Vec::new()));
    }
    // Viewers reach the old origin until the distribution is deployed on the new one.
    let needs_deployed = found
        .iter()
        .any(|(_, _, _, l)| matches!(l, Left::Oac | Left::Container(_) | Left::Copies(..)));
    // The distribution step's status: `Deployed` once it waited (or found nothing to change on a
    // deployed distribution).
    let deployed = needs_deployed
        && ctx
            .output(&StepId::Distribution, OutputKey::Status)
            .as_deref()
            == Some("Deployed");
    let mut any_deleted = false;
    let mut copies_deleted: Vec<BucketName> = Vec::new();
    for (kind, resource, reason, left) in found {
        let (change, reason) = match (mode, left) {
            (Mode::Refresh, _) => (Change::Delete, reason),
            (Mode::Apply, _) if ctx.options.keep_orphans => (Change::Kept, reason),
            (Mode::Apply, Left::Unused(u, etag)) => match unused::delete(ctx, &u, &etag).await? {
                Ok(_) => (Change::Delete, reason),
                Err(why) => (Change::Kept, format!("{reason}; kept: {why}")),
            },
            (Mode::Apply, _) if !deployed => (
                Change::Kept,
                format!(
                    "{reason}; kept while the distribution deploys: apply again once it is Deployed (or apply with wait_for_deployment)"
                ),
            ),
            (Mode::Apply, Left::Container(name)) => {
                match mediastore::delete_orphaned_container(ctx, &name).await? {
                    Ok(n) => (
                        Change::Delete,
                        format!("{reason}; {n} copied objects deleted"),
                    ),
                    Err(why) => (Change::Kept, format!("{reason}; kept: {why}")),
                }
            }
            (Mode::Apply, Left::Oac) => (
                super::cloudfront::delete_oac(ctx, step, &resource, p.origin.other()).await?,
                reason,
            ),
            (Mode::Apply, Left::Copies(bucket, keys)) => {
                index::delete(ctx, bucket.as_str(), &keys).await?;
                copies_deleted.push(bucket);
                (
                    Change::Delete,
                    format!("{reason}; {} objects deleted", keys.len()),
                )
            }
        };
        any_deleted |= change == Change::Delete;
        ctx.orphan(
            &step.id,
            Orphan {
                kind,
                resource,
                reason,
                change,
            },
        );
    }
    let change = match mode {
        Mode::Refresh => Change::Delete,
        Mode::Apply if any_deleted => Change::Delete,
        Mode::Apply => Change::Kept,
    };
    Ok((StepReport::new(change), copies_deleted))
}
