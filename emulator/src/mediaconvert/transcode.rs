//! Runs a job: reads the input from S3, probes it, encodes every output with ffmpeg, writes manifests, and
//! uploads everything to the destination buckets.
use super::manifest::{self, Rendition, Segment};
use super::plan::{
    AudioCodec, AudioPlan, CaptionSource, GroupKind, GroupPlan, JobPlan, OutputPlan, VideoCodec,
    VideoPlan, parse_timecode,
};
use crate::SharedRef;
use bytes::Bytes;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
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

#[derive(Debug, Clone)]
struct VideoInfo {
    width: u32,
    height: u32,
    fps: (u32, u32),
}

#[derive(Debug, Clone)]
struct Probe {
    duration: f64,
    video: Option<VideoInfo>,
    has_audio: bool,
}

/// Paths of the tools.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub ffmpeg: String,
    pub ffprobe: String,
}

struct Ctx<'a> {
    tools: &'a Tools,
    input: PathBuf,
    probe: Probe,
    clip_start: Option<f64>,
    clip_len: Option<f64>,
    cancel: watch::Receiver<bool>,
    reporter: &'a dyn Reporter,
    outputs_total: usize,
    outputs_done: usize,
    warnings: Vec<String>,
    captions: Vec<(CaptionSource, PathBuf)>,
}

impl Ctx<'_> {
    fn duration(&self) -> f64 {
        self.clip_len
            .unwrap_or(self.probe.duration - self.clip_start.unwrap_or(0.0))
            .max(0.04)
    }
    fn report(&self, frac: f64) {
        let total = self.outputs_total.max(1) as f64;
        let p = 5.0 + 85.0 * ((self.outputs_done as f64 + frac.clamp(0.0, 1.0)) / total);
        self.reporter.phase("TRANSCODING", p.min(90.0) as u32);
    }
}

/// Runs the whole job in `workdir` (created and removed by the caller).
pub(crate) async fn execute(
    shared: &SharedRef,
    plan: &JobPlan,
    tools: &Tools,
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
    let first = fetch_input(shared, tools, workdir, 0, input).await?;
    let (input_path, probe, clip_start, clip_len) = if plan.extra_inputs.is_empty() {
        first
    } else {
        let mut all = vec![first];
        for (i, extra) in plan.extra_inputs.iter().enumerate() {
            all.push(fetch_input(shared, tools, workdir, i + 1, extra).await?);
        }
        let uris: Vec<&str> = std::iter::once(input.uri.as_str())
            .chain(plan.extra_inputs.iter().map(|i| i.uri.as_str()))
            .collect();
        let mezz = stitch(tools, workdir, &all, &uris, reporter).await?;
        let probe = probe_input(&tools.ffprobe, &mezz).await.map_err(|e| {
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

    let outputs_total = plan.groups.iter().map(|g| g.outputs.len()).sum();
    let mut ctx = Ctx {
        tools,
        input: input_path,
        probe,
        clip_start,
        clip_len,
        cancel,
        reporter,
        outputs_total,
        outputs_done: 0,
        warnings,
        captions,
    };
    ctx.report(0.0);
    let mut details = Vec::new();
    let mut uploads: Vec<(String, String, PathBuf)> = Vec::new();
    for g in &plan.groups {
        let dir = workdir.join(format!("group-{}", g.index));
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let (files, detail) = Box::pin(run_group(&mut ctx, g, &dir)).await?;
        details.push(detail);
        for f in files {
            let key = format!("{}{}", g.dest_dir, f);
            uploads.push((g.dest_bucket.clone(), key, dir.join(&f)));
        }
    }

    reporter.phase("UPLOADING", 90);
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
    Ok(Outcome {
        output_group_details: Value::Array(details),
        warnings: ctx.warnings,
    })
}

type Fetched = (PathBuf, Probe, Option<f64>, Option<f64>);

/// Reads one input from S3 into `workdir`, probes it, and resolves its clipping.
async fn fetch_input(
    shared: &SharedRef,
    tools: &Tools,
    workdir: &Path,
    index: usize,
    input: &super::plan::InputPlan,
) -> Result<Fetched, Failure> {
    let Some(obj) = shared.s3.get_object(&input.bucket, &input.key).await else {
        let why = if shared.s3.bucket_exists(&input.bucket).await {
            "The specified key does not exist."
        } else {
            "The specified bucket does not exist."
        };
        return Err(Failure::Error(
            codes::INPUT_ACCESS,
            format!(
                "Unable to open input file [{}]: [Failed probe/open: [{why}]]",
                input.uri
            ),
        ));
    };
    let file_name = input
        .key
        .rsplit('/')
        .next()
        .filter(|f| !f.is_empty())
        .unwrap_or("input");
    let input_path = workdir.join(format!("input-{index}-{file_name}"));
    tokio::fs::write(&input_path, &obj.body)
        .await
        .map_err(|e| Failure::Error(codes::INTERNAL, format!("emulator work directory: {e}")))?;
    let probe = probe_input(&tools.ffprobe, &input_path)
        .await
        .map_err(|e| {
            Failure::Error(
                codes::INPUT_ACCESS,
                format!(
                    "Unable to open input file [{}]: [Failed probe/open: [{e}]]",
                    input.uri
                ),
            )
        })?;
    let fps = probe
        .video
        .as_ref()
        .map(|v| v.fps.0 as f64 / v.fps.1.max(1) as f64)
        .unwrap_or(30.0);
    let clip_start = input
        .clip_start
        .as_deref()
        .and_then(|t| parse_timecode(t, fps));
    let clip_end = input
        .clip_end
        .as_deref()
        .and_then(|t| parse_timecode(t, fps));
    if let Some(s) = clip_start
        && s >= probe.duration
    {
        return Err(Failure::Error(
            codes::INPUT_UNSUPPORTED,
            format!(
                "Input clipping start [{}] is after the end of input file [{}] ({:.3} s)",
                input.clip_start.as_deref().unwrap_or(""),
                input.uri,
                probe.duration
            ),
        ));
    }
    let clip_len = clip_end.map(|e| (e.min(probe.duration) - clip_start.unwrap_or(0.0)).max(0.04));
    Ok((input_path, probe, clip_start, clip_len))
}

/// Concatenates several inputs (each clipped, scaled and padded to the first's size and frame rate, audio
/// resampled to 48 kHz stereo, silence where an input has none) into one near-lossless mezzanine.
async fn stitch(
    tools: &Tools,
    workdir: &Path,
    inputs: &[Fetched],
    uris: &[&str],
    reporter: &dyn Reporter,
) -> Result<PathBuf, Failure> {
    let Some(first_video) = inputs[0].1.video.clone() else {
        return Err(Failure::Error(
            codes::INPUT_UNSUPPORTED,
            format!(
                "Input file [{}] has no video stream; stitching needs video",
                uris[0]
            ),
        ));
    };
    let (w, h) = (
        (first_video.width.max(2)) & !1,
        (first_video.height.max(2)) & !1,
    );
    let (fn_, fd) = first_video.fps;
    let any_audio = inputs.iter().any(|i| i.1.has_audio);
    let mut args: Vec<String> = Vec::new();
    let mut filters = Vec::new();
    let mut concat_in = String::new();
    for (i, (path, probe, start, len)) in inputs.iter().enumerate() {
        if probe.video.is_none() {
            return Err(Failure::Error(
                codes::INPUT_UNSUPPORTED,
                format!(
                    "Input file [{}] has no video stream; stitching needs video",
                    uris[i]
                ),
            ));
        }
        if let Some(s) = start {
            args.extend(["-ss".into(), format!("{s:.3}")]);
        }
        if let Some(l) = len {
            args.extend(["-t".into(), format!("{l:.3}")]);
        }
        args.extend(["-i".into(), path.display().to_string()]);
        filters.push(format!(
            "[{i}:v:0]scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fn_}/{fd},format=yuv420p[v{i}]"
        ));
        concat_in.push_str(&format!("[v{i}]"));
        if any_audio {
            if probe.has_audio {
                filters.push(format!(
                    "[{i}:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}]"
                ));
            } else {
                let d = len
                    .unwrap_or(probe.duration - start.unwrap_or(0.0))
                    .max(0.04);
                filters.push(format!(
                    "anullsrc=r=48000:cl=stereo,atrim=duration={d:.3}[a{i}]"
                ));
            }
            concat_in.push_str(&format!("[a{i}]"));
        }
    }
    let a = if any_audio { 1 } else { 0 };
    filters.push(format!(
        "{concat_in}concat=n={}:v=1:a={a}[v]{}",
        inputs.len(),
        if any_audio { "[a]" } else { "" }
    ));
    args.extend([
        "-filter_complex".into(),
        filters.join(";"),
        "-map".into(),
        "[v]".into(),
    ]);
    if any_audio {
        args.extend(["-map".into(), "[a]".into(), "-c:a".into(), "flac".into()]);
    }
    let mezz = workdir.join("stitched.mkv");
    args.extend(
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "10",
            "-f",
            "matroska",
        ]
        .map(String::from),
    );
    args.push(mezz.display().to_string());
    reporter.phase("PROBING", 2);
    let out = Command::new(&tools.ffmpeg)
        .args(["-hide_banner", "-nostdin", "-y", "-loglevel", "error"])
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| Failure::Error(codes::INTERNAL, format!("cannot run ffmpeg: {e}")))?;
    if !out.status.success() {
        let tail = last_lines(&String::from_utf8_lossy(&out.stderr), 6).unwrap_or_default();
        return Err(Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg failed stitching the inputs: {tail}"),
        ));
    }
    Ok(mezz)
}

/// The extension a caption source keeps in the work folder (ffmpeg picks its demuxer by it): the key's file
/// name's extension when it is plain (ASCII letters and digits), else `srt`. Never a path: the key is the
/// client's and may hold `/` after its last period.
fn caption_extension(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    file.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "srt".into())
}

/// The Content-Type written for an output file, by extension.
pub(crate) fn content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "mpd" => "application/dash+xml",
        "ts" | "m2ts" => "video/MP2T",
        "mp4" | "m4s" | "cmfv" | "m4v" => "video/mp4",
        "cmfa" | "m4a" => "audio/mp4",
        "aac" => "audio/aac",
        "mp3" => "audio/mpeg",
        "ac3" => "audio/ac3",
        "eac3" => "audio/eac3",
        "mov" => "video/quicktime",
        "vtt" | "webvtt" => "text/vtt",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
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

fn parse_rate(r: &str) -> Option<(u32, u32)> {
    let (n, d) = r.split_once('/')?;
    let (n, d) = (n.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    (n > 0 && d > 0).then_some((n, d))
}

async fn ffprobe_json(ffprobe: &str, path: &Path) -> Result<Value, String> {
    let out = Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run ffprobe: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(last_lines(&err, 3).unwrap_or_else(|| "No parser found for container".into()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable ffprobe output: {e}"))
}

async fn probe_input(ffprobe: &str, path: &Path) -> Result<Probe, String> {
    let j = ffprobe_json(ffprobe, path).await?;
    let streams = j
        .get("streams")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s.get("codec_type").and_then(Value::as_str) == Some("video"))
        .map(|s| VideoInfo {
            width: s.get("width").and_then(Value::as_u64).unwrap_or(0) as u32,
            height: s.get("height").and_then(Value::as_u64).unwrap_or(0) as u32,
            fps: s
                .get("avg_frame_rate")
                .and_then(Value::as_str)
                .and_then(parse_rate)
                .or_else(|| {
                    s.get("r_frame_rate")
                        .and_then(Value::as_str)
                        .and_then(parse_rate)
                })
                .unwrap_or((30, 1)),
        });
    let has_audio = streams
        .iter()
        .any(|s| s.get("codec_type").and_then(Value::as_str) == Some("audio"));
    if video.is_none() && !has_audio {
        return Err("No audio or video streams found in the input".into());
    }
    let duration = j
        .get("format")
        .and_then(|f| f.get("duration"))
        .and_then(Value::as_str)
        .and_then(|d| d.parse::<f64>().ok())
        .unwrap_or(0.0);
    Ok(Probe {
        duration,
        video,
        has_audio,
    })
}

fn last_lines(s: &str, n: usize) -> Option<String> {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    Some(lines[lines.len().saturating_sub(n)..].join(" | "))
}

/// Escapes `%` for ffmpeg's numbered file name patterns.
fn pat(s: &str) -> String {
    s.replace('%', "%%")
}

async fn run_ffmpeg(ctx: &mut Ctx<'_>, args: Vec<String>, what: &str) -> Result<(), Failure> {
    let mut cmd = Command::new(&ctx.tools.ffmpeg);
    cmd.args([
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
    ])
    .args(&args)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    tracing::debug!(?args, "mediaconvert: ffmpeg");
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Failure::Error(
                codes::INTERNAL,
                "ffmpeg not found on PATH: install it (apt-get install ffmpeg)".into(),
            )
        } else {
            Failure::Error(codes::INTERNAL, format!("cannot run ffmpeg: {e}"))
        }
    })?;
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf).await;
        String::from_utf8_lossy(&buf).into_owned()
    });
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let duration = ctx.duration();
    let mut cancel_alive = true;
    loop {
        if *ctx.cancel.borrow() {
            let _ = child.kill().await;
            return Err(Failure::Canceled);
        }
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(l)) => {
                    if let Some(v) = l.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<f64>().ok()) {
                        ctx.report(v / 1e6 / duration);
                    }
                }
                _ => break,
            },
            changed = ctx.cancel.changed(), if cancel_alive => {
                if changed.is_err() { cancel_alive = false; }
            }
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| Failure::Error(codes::INTERNAL, format!("ffmpeg: {e}")))?;
    let err = err_task.await.unwrap_or_default();
    if !status.success() {
        let tail = last_lines(&err, 6).unwrap_or_else(|| format!("exit status {status}"));
        return Err(Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg failed encoding {what}: {tail}"),
        ));
    }
    Ok(())
}

fn input_args(ctx: &Ctx<'_>, audio: Option<&AudioPlan>, video: bool) -> (Vec<String>, Vec<String>) {
    let mut a: Vec<String> = Vec::new();
    if let Some(s) = ctx.clip_start {
        a.extend(["-ss".into(), format!("{s:.3}")]);
    }
    if let Some(l) = ctx.clip_len {
        a.extend(["-t".into(), format!("{l:.3}")]);
    }
    a.extend(["-i".into(), ctx.input.display().to_string()]);
    let mut maps = Vec::new();
    if video {
        maps.extend(["-map".into(), "0:v:0".into()]);
    }
    if let Some(ap) = audio {
        if ctx.probe.has_audio {
            maps.extend(["-map".into(), "0:a:0".into()]);
        } else {
            a.extend([
                "-f".into(),
                "lavfi".into(),
                "-t".into(),
                format!("{:.3}", ctx.duration()),
                "-i".into(),
                format!(
                    "anullsrc=r={}:cl={}",
                    ap.sample_rate,
                    if ap.channels == 1 { "mono" } else { "stereo" }
                ),
            ]);
            maps.extend(["-map".into(), "1:a:0".into()]);
        }
    }
    (a, maps)
}

/// Output size and the scaling filter for a requested size.
fn scale_filter(
    w: Option<u32>,
    h: Option<u32>,
    scaling: &str,
    src: &VideoInfo,
) -> (String, u32, u32) {
    let even = |x: u32| (x.max(2)) & !1;
    let (sw, sh) = (src.width.max(2), src.height.max(2));
    let (ow, oh) = match (w, h) {
        (Some(w), Some(h)) => (even(w), even(h)),
        (Some(w), None) => (even(w), even((w as u64 * sh as u64 / sw as u64) as u32)),
        (None, Some(h)) => (even((h as u64 * sw as u64 / sh as u64) as u32), even(h)),
        (None, None) => (even(sw), even(sh)),
    };
    let f = match scaling {
        "STRETCH_TO_OUTPUT" => format!("scale={ow}:{oh},setsar=1"),
        "FILL" | "SMART_CROP" => {
            format!("scale={ow}:{oh}:force_original_aspect_ratio=increase,crop={ow}:{oh},setsar=1")
        }
        "FIT_NO_UPSCALE" => format!(
            "scale='min({ow},iw)':'min({oh},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2,pad={ow}:{oh}:(ow-iw)/2:(oh-ih)/2,setsar=1"
        ),
        _ => format!(
            "scale={ow}:{oh}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad={ow}:{oh}:(ow-iw)/2:(oh-ih)/2,setsar=1"
        ),
    };
    (f, ow, oh)
}

/// ffmpeg arguments for a video stream; returns them with the output size and frame rate.
fn video_args(
    v: &VideoPlan,
    src: &VideoInfo,
    segment_len: Option<f64>,
    ts: bool,
) -> (Vec<String>, u32, u32, (u32, u32)) {
    let (mut filter, ow, oh) = scale_filter(v.width, v.height, &v.scaling, src);
    let fps = v.framerate.unwrap_or(src.fps);
    if v.framerate.is_some() {
        filter.push_str(&format!(",fps={}/{}", fps.0, fps.1));
    }
    let fps_f = fps.0 as f64 / fps.1.max(1) as f64;
    let mut a: Vec<String> = vec!["-vf".into(), filter];
    match v.codec {
        VideoCodec::H264 => a.extend(
            [
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ]
            .map(String::from),
        ),
        VideoCodec::H265 => {
            a.extend(
                [
                    "-c:v",
                    "libx265",
                    "-preset",
                    "veryfast",
                    "-pix_fmt",
                    "yuv420p",
                    "-x265-params",
                    "log-level=error",
                ]
                .map(String::from),
            );
            if !ts {
                a.extend(["-tag:v".into(), "hvc1".into()]);
            }
        }
    }
    if let Some(p) = &v.profile {
        let p = if v.codec == VideoCodec::H265 && p == "main10" {
            "main"
        } else {
            p.as_str()
        };
        let p = if matches!(p, "high10" | "high422") {
            "high"
        } else {
            p
        };
        a.extend(["-profile:v".into(), p.to_string()]);
    }
    if let Some(l) = &v.level
        && v.codec == VideoCodec::H264
    {
        a.extend(["-level:v".into(), l.clone()]);
    }
    let bufsize = |b: u64| v.buffer_size.unwrap_or(b * 2).to_string();
    match v.rate_control.as_str() {
        "CBR" => {
            let b = v.bitrate.unwrap_or(1_000_000);
            a.extend([
                "-b:v".into(),
                b.to_string(),
                "-minrate".into(),
                b.to_string(),
                "-maxrate".into(),
                b.to_string(),
                "-bufsize".into(),
                bufsize(b),
            ]);
            if ts && v.codec == VideoCodec::H264 {
                a.extend(["-x264-params".into(), "nal-hrd=cbr".into()]);
            }
        }
        "VBR" => {
            let b = v.bitrate.unwrap_or(1_000_000);
            a.extend(["-b:v".into(), b.to_string()]);
            if let Some(m) = v.max_bitrate {
                a.extend([
                    "-maxrate".into(),
                    m.to_string(),
                    "-bufsize".into(),
                    bufsize(m),
                ]);
            }
        }
        _ => {
            let level = v.qvbr_level.unwrap_or(7) as f64;
            let crf = (41.0 - 2.5 * level).round().clamp(10.0, 45.0) as u32;
            a.extend(["-crf".into(), crf.to_string()]);
            if let Some(m) = v.max_bitrate {
                a.extend([
                    "-maxrate".into(),
                    m.to_string(),
                    "-bufsize".into(),
                    bufsize(m),
                ]);
            }
        }
    }
    let gop = match (v.gop_size, v.gop_units.as_str()) {
        (Some(g), "FRAMES") => g.round().max(1.0) as u32,
        (Some(g), "SECONDS") => (g * fps_f).round().max(1.0) as u32,
        _ => (fps_f * segment_len.unwrap_or(2.0).min(2.0))
            .round()
            .max(1.0) as u32,
    };
    a.extend(["-g".into(), gop.to_string()]);
    if !v.scene_change_detect {
        a.extend(["-sc_threshold".into(), "0".into()]);
    }
    if let Some(b) = v.b_frames {
        a.extend(["-bf".into(), b.to_string()]);
    }
    if let Some(seg) = segment_len {
        a.extend([
            "-force_key_frames".into(),
            format!("expr:gte(t,n_forced*{seg})"),
        ]);
    }
    (a, ow, oh, fps)
}

fn audio_args(a: &AudioPlan) -> Vec<String> {
    let enc = match a.codec {
        AudioCodec::Aac => "aac",
        AudioCodec::Mp3 => "libmp3lame",
        AudioCodec::Ac3 => "ac3",
        AudioCodec::Eac3 => "eac3",
    };
    vec![
        "-c:a".into(),
        enc.into(),
        "-b:a".into(),
        a.bitrate.to_string(),
        "-ar".into(),
        a.sample_rate.to_string(),
        "-ac".into(),
        a.channels.to_string(),
    ]
}

/// RFC 6381 codec string of one ffprobe stream.
fn codec_string(st: &Value) -> Option<String> {
    let name = st.get("codec_name")?.as_str()?;
    let profile = st.get("profile").and_then(Value::as_str).unwrap_or("");
    let level = st.get("level").and_then(Value::as_i64).unwrap_or(0).max(0) as u32;
    Some(match name {
        "h264" => {
            let (idc, cons) = match profile {
                "Baseline" | "Constrained Baseline" => (0x42, 0xC0),
                "Main" => (0x4D, 0x40),
                "High 10" => (0x6E, 0x00),
                "High 4:2:2" => (0x7A, 0x00),
                _ => (0x64, 0x00),
            };
            format!("avc1.{idc:02X}{cons:02X}{level:02X}").to_ascii_lowercase()
        }
        "hevc" => {
            let (p, c) = if profile.contains("10") {
                (2, 4)
            } else {
                (1, 6)
            };
            format!("hvc1.{p}.{c}.L{level}.B0")
        }
        "aac" => match profile {
            "HE-AAC" => "mp4a.40.5".into(),
            "HE-AACv2" => "mp4a.40.29".into(),
            _ => "mp4a.40.2".into(),
        },
        "mp3" => "mp4a.40.34".into(),
        "ac3" => "ac-3".into(),
        "eac3" => "ec-3".into(),
        _ => return None,
    })
}

struct Probed {
    codecs: Vec<String>,
    width: Option<u32>,
    height: Option<u32>,
    timescale: u64,
    duration: f64,
    sample_rate: Option<u32>,
    channels: Option<u32>,
    /// First presentation time of the video stream, seconds.
    video_start: Option<f64>,
}

async fn probe_output(ffprobe: &str, path: &Path) -> Result<Probed, Failure> {
    let j = ffprobe_json(ffprobe, path).await.map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("cannot probe output {}: {e}", path.display()),
        )
    })?;
    let streams = j
        .get("streams")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut p = Probed {
        codecs: Vec::new(),
        width: None,
        height: None,
        timescale: 90000,
        duration: 0.0,
        sample_rate: None,
        channels: None,
        video_start: None,
    };
    let mut order: Vec<&Value> = streams
        .iter()
        .filter(|s| s.get("codec_type").and_then(Value::as_str) == Some("video"))
        .collect();
    order.extend(
        streams
            .iter()
            .filter(|s| s.get("codec_type").and_then(Value::as_str) == Some("audio")),
    );
    for (i, st) in order.iter().enumerate() {
        if let Some(c) = codec_string(st) {
            p.codecs.push(c);
        }
        if st.get("codec_type").and_then(Value::as_str) == Some("video") {
            p.width = st.get("width").and_then(Value::as_u64).map(|w| w as u32);
            p.video_start = st
                .get("start_time")
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok());
            p.height = st.get("height").and_then(Value::as_u64).map(|h| h as u32);
        } else {
            p.sample_rate = st
                .get("sample_rate")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok());
            p.channels = st.get("channels").and_then(Value::as_u64).map(|c| c as u32);
        }
        if i == 0
            && let Some(tb) = st
                .get("time_base")
                .and_then(Value::as_str)
                .and_then(parse_rate)
        {
            p.timescale = tb.1 as u64;
        }
    }
    p.duration = j
        .get("format")
        .and_then(|f| f.get("duration"))
        .and_then(Value::as_str)
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    Ok(p)
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn detail(duration: f64, video: Option<(u32, u32)>) -> Value {
    let mut d = json!({ "durationInMs": (duration * 1000.0).round() as u64 });
    if let Some((w, h)) = video {
        d["videoDetails"] = json!({ "widthInPx": w, "heightInPx": h });
    }
    d
}

/// Encodes one group into `dir`; returns the file names to upload and the group's outputGroupDetails entry.
async fn run_group(
    ctx: &mut Ctx<'_>,
    g: &GroupPlan,
    dir: &Path,
) -> Result<(Vec<String>, Value), Failure> {
    let mut files: Vec<String> = Vec::new();
    let mut renditions: Vec<(usize, Rendition)> = Vec::new();
    let mut out_details: Vec<(usize, Value)> = Vec::new();
    // Media outputs first, captions last (their HLS segments need the video's first timestamp).
    let order = g
        .outputs
        .iter()
        .filter(|o| o.caption.is_none())
        .chain(g.outputs.iter().filter(|o| o.caption.is_some()));
    let mut video_start: Option<f64> = None;
    for o in order {
        let name = format!("{}{}", g.base_name, o.name_modifier);
        if g.kind == GroupKind::File {
            let (produced, d) = Box::pin(encode_file_output(ctx, g, o, &name, dir)).await?;
            files.extend(produced);
            out_details.push((o.index, d));
        } else if let Some(c) = &o.caption {
            let r = Box::pin(caption_output(ctx, g, c, &name, dir, video_start)).await?;
            if g.write_hls {
                files.extend(r.segments.iter().map(|s| s.uri.clone()));
                files.push(r.playlist.clone());
            }
            if g.write_dash {
                files.extend(r.sidecar.clone());
            }
            out_details.push((o.index, detail(ctx.duration(), None)));
            renditions.push((o.index, r));
        } else {
            let r = Box::pin(encode_segmented_output(ctx, g, o, &name, dir)).await?;
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
            if video_start.is_none() && r.has_video {
                video_start = r.video_start;
            }
            out_details.push((
                o.index,
                detail(
                    r.duration(),
                    r.has_video
                        .then(|| (r.width.unwrap_or(0), r.height.unwrap_or(0))),
                ),
            ));
            renditions.push((o.index, r));
        }
        ctx.outputs_done += 1;
        ctx.report(0.0);
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

fn write(dir: &Path, name: &str, text: &str) -> Result<(), Failure> {
    std::fs::write(dir.join(name), text)
        .map_err(|e| Failure::Error(codes::INTERNAL, format!("cannot write {name}: {e}")))
}

async fn encode_segmented_output(
    ctx: &mut Ctx<'_>,
    g: &GroupPlan,
    o: &OutputPlan,
    name: &str,
    dir: &Path,
) -> Result<Rendition, Failure> {
    let (ext, fmp4) = match g.kind {
        GroupKind::Hls => ("ts", false),
        GroupKind::Dash => ("mp4", true),
        _ => (if o.video.is_some() { "cmfv" } else { "cmfa" }, true),
    };
    let (mut args, maps) = input_args(ctx, o.audio.as_ref(), o.video.is_some());
    args.extend(maps);
    let mut size = None;
    let mut fps = None;
    if let Some(v) = &o.video {
        let src = ctx.probe.video.clone().expect("checked: input has video");
        let (va, w, h, f) = video_args(v, &src, Some(g.segment_length), !fmp4);
        args.extend(va);
        size = Some((w, h));
        fps = Some(f);
    }
    if let Some(a) = &o.audio {
        args.extend(audio_args(a));
        if let Some(n) = &a.profile_note {
            ctx.warnings.push(n.clone());
        }
    }
    let tmp_playlist = dir.join(format!(".ffmpeg-{}.m3u8", o.index));
    // HLS audio-only outputs: raw audio segments (audioOnlyContainer AUTOMATIC, the default) or MPEG-TS (M2TS).
    let raw_audio = match (
        &o.audio,
        g.kind,
        o.video.is_none(),
        o.audio_only_container.as_deref(),
    ) {
        (Some(a), GroupKind::Hls, true, None | Some("AUTOMATIC")) => Some(match a.codec {
            AudioCodec::Aac => ("aac", "adts"),
            AudioCodec::Mp3 => ("mp3", "mp3"),
            AudioCodec::Ac3 => ("ac3", "ac3"),
            AudioCodec::Eac3 => ("eac3", "eac3"),
        }),
        _ => None,
    };
    let init_name = format!("{name}init.{ext}");
    if raw_audio.is_none() {
        args.extend(
            [
                "-f",
                "hls",
                "-hls_playlist_type",
                "vod",
                "-hls_list_size",
                "0",
                "-start_number",
                "1",
            ]
            .map(String::from),
        );
        args.extend(["-hls_time".into(), format!("{}", g.segment_length)]);
    }
    if let Some((raw_ext, format)) = raw_audio {
        let seg_name = format!("{name}{}", o.segment_modifier);
        args.extend(
            [
                "-f",
                "segment",
                "-segment_list_type",
                "m3u8",
                "-segment_start_number",
                "1",
            ]
            .map(String::from),
        );
        args.extend([
            "-segment_time".into(),
            format!("{}", g.segment_length),
            "-segment_format".into(),
            format.into(),
        ]);
        args.extend(["-segment_list".into(), tmp_playlist.display().to_string()]);
        args.push(
            dir.join(format!("{}_%05d.{raw_ext}", pat(&seg_name)))
                .display()
                .to_string(),
        );
    } else if fmp4 && g.single_file {
        args.extend([
            "-hls_segment_type".into(),
            "fmp4".into(),
            "-hls_flags".into(),
            "single_file".into(),
        ]);
        args.extend([
            "-hls_segment_filename".into(),
            dir.join(format!("{name}.{ext}")).display().to_string(),
        ]);
    } else if fmp4 {
        args.extend([
            "-hls_segment_type".into(),
            "fmp4".into(),
            "-hls_fmp4_init_filename".into(),
            init_name.clone(),
        ]);
        args.extend([
            "-hls_segment_filename".into(),
            dir.join(format!("{}_%09d.{ext}", pat(name)))
                .display()
                .to_string(),
        ]);
    } else if g.single_file {
        args.extend(["-hls_flags".into(), "single_file".into()]);
        args.extend([
            "-hls_segment_filename".into(),
            dir.join(format!("{name}.{ext}")).display().to_string(),
        ]);
    } else {
        let seg_name = format!("{name}{}", o.segment_modifier);
        args.extend([
            "-hls_segment_filename".into(),
            dir.join(format!("{}_%05d.{ext}", pat(&seg_name)))
                .display()
                .to_string(),
        ]);
    }
    if raw_audio.is_none() {
        args.push(tmp_playlist.display().to_string());
    }
    run_ffmpeg(
        ctx,
        args,
        &format!("output [{name}] of output group {}", g.index),
    )
    .await?;
    let text = std::fs::read_to_string(&tmp_playlist).map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg wrote no playlist for [{name}]: {e}"),
        )
    })?;
    let _ = std::fs::remove_file(&tmp_playlist);
    let (mut segments, map, init_range) = manifest::parse_ffmpeg_playlist(&text);
    if segments.is_empty() {
        return Err(Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg produced no segments for [{name}]"),
        ));
    }
    for s in &mut segments {
        s.size = match s.byterange {
            Some((len, _)) => len,
            None => file_size(&dir.join(&s.uri)),
        };
    }
    let init = if fmp4 {
        Some(map.unwrap_or(init_name))
    } else {
        None
    };
    // Probe: TS segments and single files probe on their own; fMP4 segments need the init segment in front.
    let probe_path = if let Some(init) = init.as_ref().filter(|_| init_range.is_none()) {
        let p = dir.join(format!(".probe-{}.mp4", o.index));
        let mut buf = std::fs::read(dir.join(init)).unwrap_or_default();
        buf.extend(std::fs::read(dir.join(&segments[0].uri)).unwrap_or_default());
        std::fs::write(&p, buf)
            .map_err(|e| Failure::Error(codes::INTERNAL, format!("probe file: {e}")))?;
        p
    } else {
        dir.join(&segments[0].uri)
    };
    let probed = probe_output(&ctx.tools.ffprobe, &probe_path).await?;
    if init.is_some() && init_range.is_none() {
        let _ = std::fs::remove_file(&probe_path);
    }
    let a = o.audio.as_ref();
    Ok(Rendition {
        playlist: format!("{name}.m3u8"),
        init,
        init_range,
        segments,
        width: probed.width.or(size.map(|s| s.0)),
        height: probed.height.or(size.map(|s| s.1)),
        frame_rate: fps,
        codecs: probed.codecs,
        has_video: o.video.is_some(),
        has_audio: o.audio.is_some(),
        is_caption: false,
        audio_sample_rate: probed.sample_rate.or(a.map(|a| a.sample_rate)),
        audio_channels: probed.channels.or(a.map(|a| a.channels)),
        language: a.and_then(|a| a.language.clone()),
        name: a.and_then(|a| a.stream_name.clone()),
        timescale: probed.timescale,
        video_start: probed.video_start,
        sidecar: None,
        audio_group_id: o.audio_group_id.clone(),
        audio_rendition_sets: o.audio_rendition_sets.clone(),
        audio_only_variant: o.video.is_none()
            && o.audio_track_type.as_deref() == Some("AUDIO_ONLY_VARIANT_STREAM"),
    })
}

/// One WebVTT cue: start, end (seconds), the rest of its timing line (settings), and its other lines.
#[derive(Debug, Clone, PartialEq)]
struct Cue {
    start: f64,
    end: f64,
    settings: String,
    id: Option<String>,
    text: Vec<String>,
}

async fn caption_output(
    ctx: &mut Ctx<'_>,
    g: &GroupPlan,
    c: &super::plan::CaptionOutputPlan,
    name: &str,
    dir: &Path,
    video_start: Option<f64>,
) -> Result<Rendition, Failure> {
    let Some((src, path)) = ctx
        .captions
        .iter()
        .find(|(s, _)| s.selector == c.selector)
        .cloned()
    else {
        return Err(Failure::Error(
            codes::SETTINGS,
            format!("no caption selector named [{}]", c.selector),
        ));
    };
    let vtt = format!("{name}.vtt");
    let converted = dir.join(format!(".{name}.source.vtt"));
    let args: Vec<String> = vec![
        "-i".into(),
        path.display().to_string(),
        "-f".into(),
        "webvtt".into(),
        converted.display().to_string(),
    ];
    run_ffmpeg(
        ctx,
        args,
        &format!("captions [{name}] of output group {}", g.index),
    )
    .await?;
    let text = std::fs::read_to_string(&converted).unwrap_or_default();
    let _ = std::fs::remove_file(&converted);
    // Clipping and timeDelta: shift the cues ourselves (ffmpeg does not seek in subtitle files).
    let duration = ctx.duration();
    let cues = shift_cues(
        parse_vtt(&text),
        src.time_delta - ctx.clip_start.unwrap_or(0.0),
        duration,
    );
    write(dir, &vtt, &render_vtt(&cues, None))?;
    // HLS: segmented WebVTT, 300 s segments (LARGE_SEGMENTS, the default) or the video's (MATCH_VIDEO).
    let seg_len = if g.caption_match_video {
        g.segment_length
    } else {
        300.0
    };
    let count = ((duration / seg_len).ceil() as usize).max(1);
    let map = if g.kind == GroupKind::Hls {
        Some(format!(
            "X-TIMESTAMP-MAP=MPEGTS:{},LOCAL:00:00:00.000",
            (video_start.unwrap_or(0.0) * 90000.0).round() as u64
        ))
    } else {
        None
    };
    let mut segments = Vec::new();
    for k in 0..count {
        let (from, to) = (k as f64 * seg_len, ((k + 1) as f64 * seg_len).min(duration));
        let in_seg: Vec<Cue> = cues
            .iter()
            .filter(|q| q.end > from && q.start < to)
            .cloned()
            .collect();
        let uri = format!("{name}_{:05}.vtt", k + 1);
        write(dir, &uri, &render_vtt(&in_seg, map.as_deref()))?;
        segments.push(Segment {
            uri: uri.clone(),
            duration: to - from,
            byterange: None,
            size: file_size(&dir.join(&uri)),
        });
    }
    Ok(Rendition {
        playlist: format!("{name}.m3u8"),
        segments,
        sidecar: Some(vtt),
        is_caption: true,
        language: c.language.clone().or(src.language.clone()),
        name: c.description.clone(),
        timescale: 1000,
        ..Default::default()
    })
}

fn parse_vtt(text: &str) -> Vec<Cue> {
    let text = text.replace("\r\n", "\n");
    let mut cues = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let lines: Vec<&str> = block.lines().collect();
        let Some(i) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let (a, rest) = lines[i].split_once("-->").expect("checked");
        let mut rest_it = rest.trim().splitn(2, ' ');
        let b = rest_it.next().unwrap_or("");
        let (Some(start), Some(end)) = (parse_vtt_time(a), parse_vtt_time(b)) else {
            continue;
        };
        cues.push(Cue {
            start,
            end,
            settings: rest_it.next().unwrap_or("").trim().to_string(),
            id: (i > 0).then(|| lines[..i].join("\n")),
            text: lines[i + 1..].iter().map(|l| l.to_string()).collect(),
        });
    }
    cues
}

fn shift_cues(cues: Vec<Cue>, offset: f64, duration: f64) -> Vec<Cue> {
    cues.into_iter()
        .filter_map(|mut q| {
            q.start = (q.start + offset).max(0.0);
            q.end = (q.end + offset).min(duration);
            (q.end > q.start && q.start < duration).then_some(q)
        })
        .collect()
}

fn render_vtt(cues: &[Cue], header: Option<&str>) -> String {
    let mut out = String::from("WEBVTT\n");
    if let Some(h) = header {
        out.push_str(h);
        out.push('\n');
    }
    for q in cues {
        out.push('\n');
        if let Some(id) = &q.id {
            out.push_str(id);
            out.push('\n');
        }
        out.push_str(&format!(
            "{} --> {}",
            fmt_vtt_time(q.start),
            fmt_vtt_time(q.end)
        ));
        if !q.settings.is_empty() {
            out.push(' ');
            out.push_str(&q.settings);
        }
        out.push('\n');
        for l in &q.text {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn parse_vtt_time(t: &str) -> Option<f64> {
    let parts: Vec<&str> = t.trim().split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, s] => (
            h.parse::<f64>().ok()?,
            m.parse::<f64>().ok()?,
            s.replace(',', ".").parse::<f64>().ok()?,
        ),
        [m, s] => (
            0.0,
            m.parse::<f64>().ok()?,
            s.replace(',', ".").parse::<f64>().ok()?,
        ),
        _ => return None,
    };
    Some(h * 3600.0 + m * 60.0 + sec)
}

fn fmt_vtt_time(t: f64) -> String {
    let ms = (t.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

async fn encode_file_output(
    ctx: &mut Ctx<'_>,
    g: &GroupPlan,
    o: &OutputPlan,
    name: &str,
    dir: &Path,
) -> Result<(Vec<String>, Value), Failure> {
    if let Some(fc) = &o.frame_capture {
        let src = ctx.probe.video.clone().expect("checked: input has video");
        let (filter, w, h) = scale_filter(fc.width, fc.height, "STRETCH_TO_OUTPUT", &src);
        let (mut args, maps) = input_args(ctx, None, true);
        args.extend(maps);
        let q = 2 + (100 - fc.quality) * 29 / 99;
        args.extend([
            "-vf".into(),
            format!("fps={}/{},{filter}", fc.fps.0, fc.fps.1),
            "-q:v".into(),
            q.to_string(),
        ]);
        if let Some(m) = fc.max_captures {
            args.extend(["-frames:v".into(), m.to_string()]);
        }
        let ext = o.extension.clone().unwrap_or_else(|| "jpg".into());
        args.extend([
            "-start_number".into(),
            "0".into(),
            "-f".into(),
            "image2".into(),
        ]);
        args.push(
            dir.join(format!("{}.%07d.{ext}", pat(name)))
                .display()
                .to_string(),
        );
        run_ffmpeg(
            ctx,
            args,
            &format!("frame capture [{name}] of output group {}", g.index),
        )
        .await?;
        let prefix = format!("{name}.");
        let mut produced: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| Failure::Error(codes::INTERNAL, format!("{e}")))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|f| f.starts_with(&prefix) && f.ends_with(&format!(".{ext}")))
            .collect();
        produced.sort();
        return Ok((produced, detail(ctx.duration(), Some((w, h)))));
    }
    let (ext, fmt) = match o.container.as_str() {
        "MP4" => ("mp4", "mp4"),
        "MOV" => ("mov", "mov"),
        "M2TS" => ("m2ts", "mpegts"),
        other => {
            return Err(Failure::Error(
                codes::SETTINGS,
                format!("container {other} without FRAME_CAPTURE video is not emulated"),
            ));
        }
    };
    let ext = o.extension.clone().unwrap_or_else(|| ext.to_string());
    let (mut args, maps) = input_args(ctx, o.audio.as_ref(), o.video.is_some());
    args.extend(maps);
    if let Some(v) = &o.video {
        let src = ctx.probe.video.clone().expect("checked: input has video");
        let (va, ..) = video_args(v, &src, None, fmt == "mpegts");
        args.extend(va);
    }
    if let Some(a) = &o.audio {
        args.extend(audio_args(a));
    }
    if fmt != "mpegts" {
        args.extend(["-movflags".into(), "+faststart".into()]);
    }
    let file = format!("{name}.{ext}");
    args.extend([
        "-f".into(),
        fmt.into(),
        dir.join(&file).display().to_string(),
    ]);
    run_ffmpeg(
        ctx,
        args,
        &format!("output [{name}] of output group {}", g.index),
    )
    .await?;
    let p = probe_output(&ctx.tools.ffprobe, &dir.join(&file)).await?;
    let video = o
        .video
        .as_ref()
        .map(|_| (p.width.unwrap_or(0), p.height.unwrap_or(0)));
    Ok((vec![file], detail(p.duration, video)))
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

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.m3u8"), "application/vnd.apple.mpegurl");
        assert_eq!(content_type("b.mpd"), "application/dash+xml");
        assert_eq!(content_type("b_00001.ts"), "video/MP2T");
        assert_eq!(content_type("b_000000001.cmfv"), "video/mp4");
        assert_eq!(content_type("b.VTT"), "text/vtt");
        assert_eq!(content_type("b.0000000.jpg"), "image/jpeg");
    }

    #[test]
    fn vtt_shifting() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:00.900\nFirst\n\nc2\n00:01.000 --> 00:01.900 align:start\nSecond\n\n00:03.000 --> 00:04.000\nGone\n";
        let cues = shift_cues(parse_vtt(vtt), -0.5, 1.0);
        assert_eq!(
            render_vtt(&cues, None),
            "WEBVTT\n\n00:00:00.000 --> 00:00:00.400\nFirst\n\nc2\n00:00:00.500 --> 00:00:01.000 align:start\nSecond\n"
        );
        let all = render_vtt(
            &shift_cues(parse_vtt(vtt), 0.0, 10.0),
            Some("X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000"),
        );
        assert!(
            all.starts_with("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n"),
            "{all}"
        );
        assert!(all.contains("00:00:03.000 --> 00:00:04.000\nGone"));
    }

    #[test]
    fn codec_strings() {
        let s = |v: Value| codec_string(&v).unwrap();
        assert_eq!(
            s(json!({"codec_name": "h264", "profile": "High", "level": 30})),
            "avc1.64001e"
        );
        assert_eq!(
            s(json!({"codec_name": "h264", "profile": "Main", "level": 31})),
            "avc1.4d401f"
        );
        assert_eq!(
            s(json!({"codec_name": "hevc", "profile": "Main", "level": 93})),
            "hvc1.1.6.L93.B0"
        );
        assert_eq!(
            s(json!({"codec_name": "aac", "profile": "LC"})),
            "mp4a.40.2"
        );
    }

    #[test]
    fn scaling() {
        let src = VideoInfo {
            width: 1920,
            height: 1080,
            fps: (30, 1),
        };
        assert_eq!(scale_filter(Some(640), Some(360), "DEFAULT", &src).1, 640);
        let (f, w, h) = scale_filter(Some(641), None, "STRETCH_TO_OUTPUT", &src);
        assert_eq!((w, h), (640, 360));
        assert_eq!(f, "scale=640:360,setsar=1");
        let (_, w, h) = scale_filter(None, None, "DEFAULT", &src);
        assert_eq!((w, h), (1920, 1080));
    }

    #[test]
    fn gop_and_rate_control() {
        let src = VideoInfo {
            width: 640,
            height: 360,
            fps: (30, 1),
        };
        let v = VideoPlan {
            codec: VideoCodec::H264,
            width: None,
            height: None,
            scaling: "DEFAULT".into(),
            rate_control: "CBR".into(),
            bitrate: Some(500_000),
            max_bitrate: None,
            qvbr_level: None,
            buffer_size: None,
            gop_size: Some(1.0),
            gop_units: "SECONDS".into(),
            framerate: None,
            profile: Some("main".into()),
            level: None,
            b_frames: None,
            scene_change_detect: true,
        };
        let (a, ..) = video_args(&v, &src, Some(2.0), true);
        let j = a.join(" ");
        assert!(
            j.contains("-b:v 500000 -minrate 500000 -maxrate 500000 -bufsize 1000000"),
            "{j}"
        );
        assert!(j.contains("-g 30"), "{j}");
        assert!(
            j.contains("-force_key_frames expr:gte(t,n_forced*2)"),
            "{j}"
        );
        assert!(j.contains("-profile:v main"), "{j}");
    }
}
