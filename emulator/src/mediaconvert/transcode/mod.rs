//! Runs a job: reads the input from S3, probes it, encodes each distinct rendition once, packages the
//! encoded streams into every output, writes manifests, and uploads everything to the destination buckets.
//!
//! - [`input`]: the input, read and probed; several inputs stitched into one;
//! - [`encode`]: one ffmpeg process decodes the input once and encodes each distinct rendition once;
//! - [`package`]: the encoded streams copied (no encoding) into HLS, DASH, CMAF and file outputs,
//!   concurrently; [`fmp4`] cuts fragmented MP4 into segments;
//! - [`captions`]: WebVTT outputs; [`probe`]: ffprobe; [`ffmpeg`]: running ffmpeg within the limits.
mod captions;
mod encode;
pub(crate) mod ffmpeg;
mod fmp4;
mod input;
mod package;
mod probe;

use super::manifest::{self, Rendition};
use super::plan::{CaptionSource, GroupKind, GroupPlan, JobPlan};
use crate::SharedRef;
use crate::rules::content_type;
use bytes::Bytes;
use encode::Encodes;
use ffmpeg::Limits;
use probe::VideoInfo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use tokio::process::Command;
use tokio::sync::watch;

/// How a job run ends when it does not complete.
#[derive(Debug)]
pub(crate) enum Failure {
    /// ERROR with a MediaConvert-style numeric code.
    Error(i64, String),
    /// CancelJob was called.
    Canceled,
}

/// Error codes (MediaConvert's numbering; see docs/mediaconvert.md).
pub(crate) mod codes {
    /// The input cannot be opened (missing object or bucket, not a media file).
    pub const INPUT_ACCESS: i64 = 1010;
    /// The input cannot be transcoded as asked (e.g. no video stream for a video output).
    pub const INPUT_UNSUPPORTED: i64 = 1030;
    /// Settings MediaConvert accepts but the emulator does not emulate.
    pub const SETTINGS: i64 = 1040;
    /// Emulator-side failure: ffmpeg missing or failing.
    pub const INTERNAL: i64 = 1999;
    /// The output cannot be written (missing destination bucket).
    pub const OUTPUT_WRITE: i64 = 3400;
}

/// What the job produced, for GetJob.
pub(crate) struct Outcome {
    pub output_group_details: Value,
    pub warnings: Vec<String>,
}

/// Progress reporting back into the job record.
pub(crate) trait Reporter: Send + Sync {
    fn phase(&self, phase: &'static str, percent: u32);
}

/// Paths of the tools.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub ffmpeg: String,
    pub ffprobe: String,
}

/// Job percent at the end of each step: probing, encoding, packaging (then uploading to 99).
const ENCODED: f64 = 60.0;
const PACKAGED: f64 = 90.0;

/// What every step of a running job shares.
struct Ctx<'a> {
    tools: &'a Tools,
    limits: &'a Limits,
    cancel: watch::Receiver<bool>,
    reporter: &'a dyn Reporter,
    /// Seconds of media the outputs hold (after clipping).
    duration: f64,
    clip_start: Option<f64>,
    /// The input's video stream, when it has one.
    video: Option<VideoInfo>,
    captions: Vec<(CaptionSource, PathBuf)>,
    encodes: Encodes,
    /// What each encode holds, read once after encoding.
    probes: EncodeProbes,
    /// Where the encodes are.
    encode_dir: PathBuf,
    /// Outputs packaged so far, of how many.
    packaged: Mutex<(usize, usize)>,
    warnings: Mutex<Vec<String>>,
}

impl Ctx<'_> {
    /// An ffmpeg run of this job.
    fn run(&self, what: String) -> ffmpeg::Run<'_> {
        ffmpeg::Run {
            ffmpeg: &self.tools.ffmpeg,
            limits: self.limits,
            cancel: self.cancel.clone(),
            what,
            duration: self.duration,
        }
    }

    fn warn(&self, w: String) {
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(w);
    }

    fn encoding(&self, frac: f64) {
        let p = 5.0 + (ENCODED - 5.0) * frac.clamp(0.0, 1.0);
        self.reporter.phase("TRANSCODING", p as u32);
    }

    /// `count` more outputs packaged.
    fn packaged(&self, count: usize) {
        let mut n = self.packaged.lock().unwrap_or_else(|e| e.into_inner());
        n.0 += count;
        let p = ENCODED + (PACKAGED - ENCODED) * n.0 as f64 / n.1.max(1) as f64;
        self.reporter.phase("TRANSCODING", p.min(PACKAGED) as u32);
    }
}

/// What ffprobe read from each encode, in the order of [`Encodes`].
#[derive(Default)]
struct EncodeProbes {
    videos: Vec<probe::Probed>,
    audios: Vec<probe::Probed>,
}

impl EncodeProbes {
    /// Probes every encode of `ctx`, all at once.
    async fn read(ctx: &Ctx<'_>) -> Result<Self, Failure> {
        let ffprobe = &ctx.tools.ffprobe;
        let videos = (0..ctx.encodes.videos.len())
            .map(|i| Encodes::video_file(&ctx.encode_dir, i))
            .collect::<Vec<_>>();
        let audios = (0..ctx.encodes.audios.len())
            .map(|i| Encodes::audio_file(&ctx.encode_dir, i))
            .collect::<Vec<_>>();
        let (videos, audios) = futures::future::try_join(
            futures::future::try_join_all(videos.iter().map(|f| probe::probe_output(ffprobe, f))),
            futures::future::try_join_all(audios.iter().map(|f| probe::probe_output(ffprobe, f))),
        )
        .await?;
        Ok(Self { videos, audios })
    }
}

/// A group's work folder.
fn group_dir(workdir: &Path, index: usize) -> PathBuf {
    workdir.join(format!("group-{index}"))
}

/// Runs the whole job in `workdir` (created and removed by the caller), with at most `limits` ffmpeg
/// processes at once.
pub(crate) async fn execute(
    shared: &SharedRef,
    plan: &JobPlan,
    tools: &Tools,
    limits: &Limits,
    workdir: &Path,
    cancel: watch::Receiver<bool>,
    reporter: &dyn Reporter,
) -> Result<Outcome, Failure> {
    reporter.phase("PROBING", 0);
    check_tool(&tools.ffmpeg, "ffmpeg").await?;
    check_tool(&tools.ffprobe, "ffprobe").await?;
    let io = |e: std::io::Error| {
        Failure::Error(codes::INTERNAL, format!("emulator work directory: {e}"))
    };
    tokio::fs::create_dir_all(workdir).await.map_err(io)?;

    // Inputs (several are stitched into one mezzanine first).
    let input = &plan.input;
    let first = input::fetch_input(shared, tools, workdir, 0, input).await?;
    let (input_path, probe, clip_start, clip_len) = if plan.extra_inputs.is_empty() {
        first
    } else {
        let mut all = vec![first];
        for (i, extra) in plan.extra_inputs.iter().enumerate() {
            all.push(input::fetch_input(shared, tools, workdir, i + 1, extra).await?);
        }
        let uris: Vec<&str> = std::iter::once(input.uri.as_str())
            .chain(plan.extra_inputs.iter().map(|i| i.uri.as_str()))
            .collect();
        let mezz = input::stitch(tools, workdir, &all, &uris, reporter).await?;
        let probe = probe::probe_input(&tools.ffprobe, &mezz)
            .await
            .map_err(|e| {
                Failure::Error(
                    codes::INTERNAL,
                    format!("cannot read the stitched inputs: {e}"),
                )
            })?;
        (mezz, probe, None, None)
    };
    // Every destination bucket must exist (MediaConvert would fail writing).
    for g in &plan.groups {
        if !shared.s3.bucket_exists(&g.dest_bucket).await {
            return Err(Failure::Error(
                codes::OUTPUT_WRITE,
                format!(
                    "Unable to write to output file [s3://{}/{}{}]: [Failed to write data: The specified bucket does not exist]",
                    g.dest_bucket, g.dest_dir, g.base_name
                ),
            ));
        }
    }
    let needs_video = plan
        .groups
        .iter()
        .flat_map(|g| &g.outputs)
        .any(|o| o.video.is_some() || o.frame_capture.is_some());
    if needs_video && probe.video.is_none() {
        return Err(Failure::Error(
            codes::INPUT_UNSUPPORTED,
            format!(
                "Input file [{}] has no video stream, but the job has video outputs",
                input.uri
            ),
        ));
    }
    let mut warnings = Vec::new();
    let needs_audio = plan
        .groups
        .iter()
        .flat_map(|g| &g.outputs)
        .any(|o| o.audio.is_some());
    if needs_audio && !probe.has_audio {
        warnings.push(format!(
            "Input file [{}] has no audio stream: audio outputs carry silence",
            input.uri
        ));
    }
    // Sidecar captions.
    let mut captions = Vec::new();
    for c in &input.captions {
        let Some(obj) = shared.s3.get_object(&c.bucket, &c.key).await else {
            return Err(Failure::Error(
                codes::INPUT_ACCESS,
                format!(
                    "Unable to open input file [{}]: [Failed probe/open: [The specified key does not exist.]]",
                    c.uri
                ),
            ));
        };
        let p = workdir.join(format!(
            "caption-{}.{}",
            captions.len(),
            caption_extension(&c.key)
        ));
        tokio::fs::write(&p, &obj.body).await.map_err(io)?;
        captions.push((c.clone(), p));
    }

    let duration = clip_len
        .unwrap_or(probe.duration - clip_start.unwrap_or(0.0))
        .max(0.04);
    let encode_dir = workdir.join("encode");
    tokio::fs::create_dir_all(&encode_dir).await.map_err(io)?;
    for g in &plan.groups {
        tokio::fs::create_dir_all(group_dir(workdir, g.index))
            .await
            .map_err(io)?;
    }
    let encodes = Encodes::plan(plan, probe.video.as_ref(), |i| group_dir(workdir, i));
    let outputs_total = plan
        .groups
        .iter()
        .flat_map(|g| &g.outputs)
        .filter(|o| o.caption.is_none())
        .count();
    let mut ctx = Ctx {
        tools,
        limits,
        cancel,
        reporter,
        duration,
        clip_start,
        video: probe.video.clone(),
        captions,
        encodes,
        probes: EncodeProbes::default(),
        encode_dir,
        packaged: Mutex::new((0, outputs_total)),
        warnings: Mutex::new(warnings),
    };
    ctx.encoding(0.0);

    // Encode: decode once, each distinct rendition once.
    if !ctx.encodes.is_empty() {
        let mut input_args: Vec<String> = Vec::new();
        if let Some(s) = clip_start {
            input_args.extend(["-ss".into(), format!("{s:.3}")]);
        }
        if let Some(l) = clip_len {
            input_args.extend(["-t".into(), format!("{l:.3}")]);
        }
        input_args.extend(["-i".into(), input_path.display().to_string()]);
        let args = ctx.encodes.args(
            input_args,
            !probe.has_audio,
            duration,
            probe.video.as_ref(),
            &ctx.encode_dir,
        );
        let (v, a) = (ctx.encodes.videos.len(), ctx.encodes.audios.len());
        ctx.run(format!("{v} video and {a} audio renditions"))
            .run(args, &|f| ctx.encoding(f))
            .await?;
        ctx.probes = EncodeProbes::read(&ctx).await?;
    }

    // Package: every group's outputs at once (ffmpeg runs within the limits).
    let groups = futures::future::try_join_all(
        plan.groups
            .iter()
            .map(|g| package_group(&ctx, g, group_dir(workdir, g.index))),
    )
    .await?;
    let mut details = Vec::new();
    let mut uploads: Vec<(String, String, PathBuf)> = Vec::new();
    for (g, (files, detail)) in plan.groups.iter().zip(groups) {
        details.push(detail);
        let dir = group_dir(workdir, g.index);
        for f in files {
            let key = format!("{}{}", g.dest_dir, f);
            uploads.push((g.dest_bucket.clone(), key, dir.join(&f)));
        }
    }

    reporter.phase("UPLOADING", PACKAGED as u32);
    let n = uploads.len().max(1);
    for (i, (bucket, key, path)) in uploads.iter().enumerate() {
        if *ctx.cancel.borrow() {
            return Err(Failure::Canceled);
        }
        let body = tokio::fs::read(path).await.map_err(io)?;
        shared
            .s3
            .put_object(bucket, key, Bytes::from(body), Some(content_type(key)), None)
            .await
            .map_err(|e| Failure::Error(codes::OUTPUT_WRITE, format!("Unable to write to output file [s3://{bucket}/{key}]: [Failed to write data: {e}]")))?;
        reporter.phase(
            "UPLOADING",
            90 + (10 * (i + 1) / n) as u32 - if i + 1 == n { 1 } else { 0 },
        );
    }
    let warnings = ctx.warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(Outcome {
        output_group_details: Value::Array(details),
        warnings,
    })
}

/// The extension a caption source keeps in the work folder (ffmpeg picks its demuxer by it): the key's file
/// name's extension when it is plain (ASCII letters and digits), else `srt`. Never a path: the key is the
fn caption_extension(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    file.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "srt".into())
}

async fn check_tool(path: &str, name: &str) -> Result<(), Failure> {
    match Command::new(path)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let shown = if path == name {
                format!("{name} not found on PATH")
            } else {
                format!("{name} not found at [{path}]")
            };
            Err(Failure::Error(
                codes::INTERNAL,
                format!("{shown}: install it (apt-get install ffmpeg)"),
            ))
        }
        Err(e) => Err(Failure::Error(
            codes::INTERNAL,
            format!("cannot run {name} [{path}]: {e}"),
        )),
    }
}

/// Packages one group into `dir` (its media outputs at once, then its captions, then its manifests);
/// returns the file names to upload and the group's outputGroupDetails entry.
async fn package_group(
    ctx: &Ctx<'_>,
    g: &GroupPlan,
    dir: PathBuf,
) -> Result<(Vec<String>, Value), Failure> {
    let dir = dir.as_path();
    let name_of = |o: &super::plan::OutputPlan| format!("{}{}", g.base_name, o.name_modifier);
    let media: Vec<&super::plan::OutputPlan> =
        g.outputs.iter().filter(|o| o.caption.is_none()).collect();
    let names: Vec<String> = media.iter().map(|o| name_of(o)).collect();
    let outs: Vec<package::Out<'_>> = media
        .iter()
        .zip(&names)
        .map(|(o, name)| package::Out { g, o, name, dir })
        .collect();
    let packaged: Vec<(usize, Packaged)> = if g.kind == GroupKind::File {
        futures::future::try_join_all(outs.iter().map(|out| async move {
            let r = package::file(ctx, *out).await?;
            ctx.packaged(1);
            Ok::<_, Failure>((out.o.index, Packaged::File(r)))
        }))
        .await?
    } else {
        let renditions = package::segmented_group(ctx, g, &outs).await?;
        ctx.packaged(outs.len());
        outs.iter()
            .zip(renditions)
            .map(|(out, r)| (out.o.index, Packaged::Stream(Box::new(r))))
            .collect()
    };
    let mut files: Vec<String> = Vec::new();
    let mut renditions: Vec<(usize, Rendition)> = Vec::new();
    let mut out_details: Vec<(usize, Value)> = Vec::new();
    let mut first_video_segment: Option<String> = None;
    for (index, p) in packaged {
        match p {
            Packaged::File((produced, d)) => {
                files.extend(produced);
                out_details.push((index, d));
            }
            Packaged::Stream(r) => {
                let mut seen = std::collections::HashSet::new();
                let names = r
                    .init
                    .iter()
                    .cloned()
                    .chain(r.segments.iter().map(|s| s.uri.clone()));
                files.extend(names.filter(|u| seen.insert(u.clone())));
                if g.write_hls {
                    files.push(r.playlist.clone());
                }
                if first_video_segment.is_none() && r.has_video {
                    first_video_segment = r.segments.first().map(|s| s.uri.clone());
                }
                let size = r
                    .has_video
                    .then(|| (r.width.unwrap_or(0), r.height.unwrap_or(0)));
                out_details.push((index, package::detail(r.duration(), size)));
                renditions.push((index, *r));
            }
        }
    }
    // Captions' HLS segments need the first timestamp of the group's first video output.
    let captions = g.outputs.iter().any(|o| o.caption.is_some());
    let video_start = match first_video_segment {
        Some(seg) if captions && g.kind == GroupKind::Hls => {
            probe::probe_output(&ctx.tools.ffprobe, &dir.join(seg))
                .await?
                .video_start
        }
        _ => None,
    };
    for o in &g.outputs {
        let Some(c) = &o.caption else { continue };
        let name = name_of(o);
        let r = captions::caption_output(ctx, g, c, &name, dir, video_start).await?;
        if g.write_hls {
            files.extend(r.segments.iter().map(|s| s.uri.clone()));
            files.push(r.playlist.clone());
        }
        if g.write_dash {
            files.extend(r.sidecar.clone());
        }
        out_details.push((o.index, package::detail(ctx.duration, None)));
        renditions.push((o.index, r));
    }
    renditions.sort_by_key(|(i, _)| *i);
    out_details.sort_by_key(|(i, _)| *i);
    let renditions: Vec<Rendition> = renditions.into_iter().map(|(_, r)| r).collect();
    let out_details: Vec<Value> = out_details.into_iter().map(|(_, d)| d).collect();
    if g.kind != GroupKind::File {
        if g.write_hls {
            for r in &renditions {
                let text = manifest::media_playlist(r, g.integer_durations);
                write(dir, &r.playlist, &text)?;
            }
            let master = format!("{}.m3u8", g.base_name);
            write(
                dir,
                &master,
                &manifest::master_playlist(&renditions, g.stream_inf_resolution),
            )?;
            files.push(master);
        }
        if g.write_dash {
            let mpd = format!("{}.mpd", g.base_name);
            write(
                dir,
                &mpd,
                &manifest::mpd(&renditions, g.min_buffer_time_ms, g.on_demand_profile),
            )?;
            files.push(mpd);
        }
    }
    Ok((files, json!({ "outputDetails": out_details })))
}

/// What packaging one output made.
enum Packaged {
    /// A file-group output: its files and its outputGroupDetails entry.
    File((Vec<String>, Value)),
    /// An HLS, DASH or CMAF rendition.
    Stream(Box<Rendition>),
}

fn write(dir: &Path, name: &str, text: &str) -> Result<(), Failure> {
    std::fs::write(dir.join(name), text)
        .map_err(|e| Failure::Error(codes::INTERNAL, format!("cannot write {name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caption_extensions_are_never_paths() {
        assert_eq!(caption_extension("in/movie.VTT"), "vtt");
        assert_eq!(caption_extension("in/movie.srt"), "srt");
        assert_eq!(caption_extension("in.d/movie"), "srt");
        assert_eq!(caption_extension("a.b/../../../../tmp/x"), "srt");
        assert_eq!(caption_extension("movie.s/rt"), "srt");
        assert_eq!(caption_extension("movie."), "srt");
    }
}
