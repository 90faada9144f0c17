//! The MediaConvert job of one asset, as plan data: its output groups, renditions, captions and
//! thumbnails, and the idempotency token derived from all of them. Pure: no I/O.

use super::*;
use crate::spec::model::{Asset, VodPipeline};
use crate::types::{ManifestKind, OutputFormat};

pub(super) fn job_params(p: &VodPipeline, a: &Asset, tags: &Tags) -> JobParams {
    let t = &p.transcode;
    let base = format!("s3://{}/{}{}/", t.output_bucket, t.output_prefix, a.id);
    let output_groups = t
        .formats
        .iter()
        .map(|&f| OutputGroupParams {
            format: f,
            group_type: f.group_type().into(),
            destination: format!("{base}{f}/{}", explicit_base_name(a)),
            segment_length: f.is_segmented().then(|| t.segment_length_of(f).secs()),
            fragment_length: f.has_fragments().then(|| t.fragment_length.get()),
            manifests: manifest_names(a, f)
                .into_iter()
                .map(|(m, _)| format!("{}{}/{f}/{m}", t.output_prefix, a.id))
                .collect(),
        })
        .collect();
    let renditions = t.abr_ladder.clone();
    let job_opts = &t.job;
    let mut job = JobParams {
        asset: a.id.clone(),
        input: format!(
            "s3://{}/{}",
            a.source_bucket.as_ref().unwrap_or(&p.source.bucket),
            a.source_key
        ),
        role_arn: t.role_arn.clone(),
        queue: job_opts
            .queue
            .as_ref()
            .map_or_else(|| "Default".to_owned(), ToString::to_string),
        priority: job_opts.priority.get(),
        acceleration: job_opts.acceleration.as_str().into(),
        status_update_interval: job_opts.status_update_interval.as_mediaconvert(),
        job_template: job_opts.job_template.as_ref().map(ToString::to_string),
        client_request_token: String::new(),
        segment_length: t.segment_length,
        gop_length: t.gop_length,
        fragment_length: t.fragment_length,
        rate_control_mode: "QVBR".into(),
        renditions,
        audio: t
            .audio
            .iter()
            .map(|r| AudioParams {
                codec: "AAC".into(),
                bitrate: u32::try_from(r.bitrate().bps()).unwrap_or(u32::MAX),
                sample_rate: r.sample_rate(),
                coding_mode: r.coding_mode().as_str().into(),
            })
            .collect(),
        hls_audio_only: t.hls_audio_only,
        captions: t.captions.as_ref().and_then(|c| {
            Some(CaptionParams {
                source: format!("s3://{}/{}", p.source.bucket, a.caption_key.as_ref()?),
                source_type: c.format.source_type().into(),
                language: c.language.to_string(),
            })
        }),
        thumbnails: t.thumbnails.map(|th| ThumbnailParams {
            destination: format!("{base}thumbnails/"),
            interval: th.interval.get(),
            width: th.width,
            height: th.height,
            quality: th.quality,
            max_captures: th.max_captures,
        }),
        output_groups,
        user_metadata: {
            let mut m: Tags = job_opts.user_metadata.clone();
            m.extend(tags.clone());
            m.insert("vod-pipeline:asset".into(), a.id.clone());
            m
        },
        published_index: (!p.copies_into_origin()).then(|| published_index(p, &a.id)),
    };
    // The token changes when the settings change, so a changed job is a new job.
    let settings = serde_json::to_string(&job).unwrap_or_default();
    job.client_request_token = format!(
        "{}-{:016x}",
        p.name,
        crate::names::fnv1a64(settings.as_bytes())
    );
    job
}

/// `s3://<output bucket>/<output prefix>.vod-pipeline/assets/<asset>/`.
pub(crate) fn published_index(p: &VodPipeline, asset: &str) -> String {
    let t = &p.transcode;
    format!(
        "s3://{}/{}{}{asset}/",
        t.output_bucket,
        t.output_prefix,
        crate::names::PUBLISHED_INDEX
    )
}

/// MediaConvert names its outputs after the input file (`clip.mp4` gives `clip.m3u8`) unless the
/// destination ends with a base name. When the asset id is not the input's base name (an asset
/// published from an S3 object under another name), the destination names it.
fn explicit_base_name(a: &Asset) -> &str {
    let file = a.source_key.rsplit('/').next().unwrap_or_default();
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    if stem == a.id { "" } else { &a.id }
}

/// Manifest (or, for `mp4`, file) names MediaConvert writes for an asset: input base name + extension.
fn manifest_names(a: &Asset, f: OutputFormat) -> Vec<(String, ManifestKind)> {
    manifest_names_of(&a.id, f)
}

pub(super) fn manifest_names_of(id: &str, f: OutputFormat) -> Vec<(String, ManifestKind)> {
    let name = |kind: ManifestKind| (format!("{id}.{kind}"), kind);
    match f {
        OutputFormat::Dash => vec![name(ManifestKind::Mpd)],
        OutputFormat::Cmaf => vec![name(ManifestKind::M3u8), name(ManifestKind::Mpd)],
        OutputFormat::Mp4 => vec![name(ManifestKind::Mp4)],
        _ => vec![name(ManifestKind::M3u8)],
    }
}
