//! The content commands: publish, assets, asset, unpublish, upload-url, complete-upload. Each builds
//! one `VodClient` from the spec and the environment's AWS configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use vod_pipeline::client::{UploadKind, extension_for};
use vod_pipeline::types::Seconds;
use vod_pipeline::{AssetSource, AssetStatus, Error, PublishedAsset, VodClient, VodPipeline};

use crate::progress::drive;
use crate::{aws_config, json, out};

#[derive(Args)]
pub(crate) struct PublishArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// Local files, or `s3://bucket/key` objects.
    #[arg(required = true)]
    sources: Vec<String>,
    /// The asset id (default: the file name without extension); only with one source.
    #[arg(long)]
    id: Option<String>,
    /// Print events as JSON lines, then one JSON object per asset.
    #[arg(long)]
    json: bool,
    /// Start the jobs and return; `vod publish` of the same sources later finishes publishing.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Args)]
pub(crate) struct AssetsArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct AssetArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// The asset id.
    id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct UnpublishArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// The asset id.
    id: String,
    /// Also delete the source object the asset was published from (in the source bucket only).
    #[arg(long)]
    delete_source: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct UploadUrlArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// The asset id the upload is for.
    id: String,
    /// The file's size in bytes (or with a unit: 700MiB, 2GiB).
    #[arg(long, value_parser = parse_size)]
    size: u64,
    /// The file's Content-Type (video/mp4, video/quicktime, application/mxf, ...).
    #[arg(long, default_value = "video/mp4")]
    content_type: String,
    /// How long the URLs work: 90s, 30m, 1h, up to 7d.
    #[arg(long, default_value = "1h")]
    expires: Seconds,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub(crate) struct CompleteUploadArgs {
    /// The pipeline spec (TOML).
    pub spec: PathBuf,
    /// The asset id the upload is for.
    id: String,
    /// The multipart upload's id, as `vod upload-url` printed it.
    #[arg(long)]
    upload_id: String,
    /// The Content-Type given to `vod upload-url`.
    #[arg(long, default_value = "video/mp4")]
    content_type: String,
}

fn parse_size(s: &str) -> Result<u64, String> {
    vod_pipeline::upload::parse_bytes(s)
        .ok_or_else(|| format!("{s:?} is not a size: write bytes, or a number with KiB, MiB, GiB"))
}

async fn client(spec: &std::path::Path) -> Result<VodClient, Error> {
    let pipeline = VodPipeline::from_toml_file(spec)?;
    Ok(pipeline.client(&aws_config().await))
}

fn input_error(field: &str, value: &str, rule: &str) -> Error {
    Error::Invalid(vod_pipeline::Violations(vec![vod_pipeline::Violation {
        field: field.into(),
        value: value.into(),
        rule: rule.into(),
    }]))
}

fn print_asset(a: &PublishedAsset, status: &str) {
    out(&format!("{}  {status}  job {}", a.id, a.job_id));
    for p in &a.playback {
        out(&format!("  {:<5} {:<5} {}", p.format, p.manifest, p.url));
    }
}

pub(crate) async fn publish(a: PublishArgs) -> Result<ExitCode, Error> {
    // Every source checked before any AWS call.
    if a.id.is_some() && a.sources.len() > 1 {
        return Err(input_error(
            "--id",
            a.id.as_deref().unwrap_or_default(),
            "names one asset: give it with one source only",
        ));
    }
    let id = match &a.id {
        Some(id) => Some(
            id.parse::<vod_pipeline::AssetId>()
                .map_err(|e| input_error("--id", id, &e.rule))?,
        ),
        None => None,
    };
    let sources = a
        .sources
        .iter()
        .map(|s| AssetSource::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let vod = client(&a.spec).await?;
    for source in sources {
        let mut p = vod.publish(source).wait(!a.no_wait);
        if let Some(id) = &id {
            p = p.id(id.clone());
        }
        let asset = drive(p.start(), a.json).await?;
        if a.json {
            out(&json(&asset));
        } else if asset.published {
            print_asset(&asset, &format!("published ({})", asset.change));
        } else {
            print_asset(&asset, "transcoding (run `vod publish` again to finish)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn assets(a: AssetsArgs) -> Result<ExitCode, Error> {
    let list = client(&a.spec).await?.assets().await?;
    if a.json {
        out(&json(&list));
    } else if list.is_empty() {
        out("No published assets.");
    } else {
        for asset in &list {
            print_asset(asset, "published");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn asset(a: AssetArgs) -> Result<ExitCode, Error> {
    let status = client(&a.spec).await?.asset(&a.id).await?;
    if a.json {
        out(&json(&status));
        return Ok(ExitCode::SUCCESS);
    }
    match &status {
        AssetStatus::Published(p) => print_asset(p, "published"),
        AssetStatus::NotFound => out(&format!("{}  not found", a.id)),
        AssetStatus::Uploading => out(&format!("{}  uploading", a.id)),
        AssetStatus::Transcoding {
            job_id,
            percent,
            phase,
        } => out(&format!(
            "{}  transcoding {}% {} (job {})",
            a.id,
            percent.unwrap_or(0),
            phase.as_deref().unwrap_or(""),
            job_id.as_deref().unwrap_or("starting")
        )),
        AssetStatus::CopyingToOrigin { job_id } => {
            out(&format!("{}  copying to the origin (job {job_id})", a.id))
        }
        AssetStatus::Failed {
            job_id,
            code,
            message,
        } => out(&format!(
            "{}  failed: job {job_id}: {message}{}",
            a.id,
            code.map(|c| format!(" (error code {c})"))
                .unwrap_or_default()
        )),
        other => out(&format!("{}  {other:?}", a.id)),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn unpublish(a: UnpublishArgs) -> Result<ExitCode, Error> {
    let gone = client(&a.spec)
        .await?
        .unpublish(&a.id)
        .delete_source(a.delete_source)
        .send()
        .await?;
    if a.json {
        out(&json(&gone));
    } else {
        out(&format!(
            "Unpublished {}: {} objects deleted, invalidation {} completed{}",
            gone.id,
            gone.objects_deleted,
            gone.invalidation_id,
            gone.source_deleted
                .as_deref()
                .map(|s| format!(", source {s} deleted"))
                .unwrap_or_default()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn upload_url(a: UploadUrlArgs) -> Result<ExitCode, Error> {
    let urls = client(&a.spec)
        .await?
        .upload_url(&a.id, a.size)
        .content_type(&a.content_type)
        .expires_in(Duration::from_secs(a.expires.get()))
        .send()
        .await?;
    if a.json {
        out(&json(&urls));
        return Ok(ExitCode::SUCCESS);
    }
    let spec = shell_quote(&a.spec.display().to_string());
    let publish = format!(
        "vod publish {spec} {} --id {}",
        shell_quote(&urls.object),
        urls.id
    );
    match &urls.kind {
        UploadKind::Single { url } => {
            out(&format!(
                "Upload {} bytes to {} with one PUT (expires at Unix time {}):\n",
                urls.size, urls.object, urls.expires_at
            ));
            out(&format!(
                "  curl --fail -X PUT -H {} --upload-file FILE {}\n",
                shell_quote(&format!("Content-Type: {}", urls.content_type)),
                shell_quote(url)
            ));
            out(&format!("Then publish it:\n\n  {publish}"));
        }
        UploadKind::Multipart {
            upload_id,
            part_size,
            parts,
        } => {
            out(&format!(
                "Upload {} bytes to {} in {} parts of {part_size} bytes (expires at Unix time {}).",
                urls.size,
                urls.object,
                parts.len(),
                urls.expires_at
            ));
            out("PUT each part's bytes of FILE to its URL:\n");
            for p in parts {
                out(&format!(
                    "  tail -c +{} FILE | head -c {} | curl --fail -X PUT --data-binary @- {}",
                    p.offset + 1,
                    p.length,
                    shell_quote(&p.url)
                ));
            }
            out(&format!(
                "\nThen complete the upload and publish it:\n\n  vod complete-upload {spec} {} --upload-id {} --content-type {}\n  {publish}",
                urls.id,
                shell_quote(upload_id),
                shell_quote(&urls.content_type)
            ));
        }
        _ => out(&json(&urls)),
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn complete_upload(a: CompleteUploadArgs) -> Result<ExitCode, Error> {
    let ext = extension_for(&a.content_type).ok_or_else(|| {
        input_error(
            "--content-type",
            &a.content_type,
            "must be the video type given to vod upload-url",
        )
    })?;
    let object = client(&a.spec)
        .await?
        .complete_upload(&a.id, &a.upload_id, ext)
        .await?;
    out(&format!("Uploaded {object}"));
    Ok(ExitCode::SUCCESS)
}

/// Single-quoted for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}
