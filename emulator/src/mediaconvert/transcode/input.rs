//! The job's input: read from S3 into the work folder, probed, clipped; several inputs are stitched into one.
use super::ffmpeg::last_lines;
use super::probe::{Probe, probe_input};
use super::{Failure, Reporter, Tools, codes};
use crate::SharedRef;
use crate::mediaconvert::plan::{InputPlan, parse_timecode};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::process::Command;

/// An input in the work folder: its path, what it holds, and its clipping (start, length).
pub(super) type Fetched = (PathBuf, Probe, Option<f64>, Option<f64>);

/// Reads one input from S3 into `workdir`, probes it, and resolves its clipping.
pub(super) async fn fetch_input(
    shared: &SharedRef,
    tools: &Tools,
    workdir: &Path,
    index: usize,
    input: &InputPlan,
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
pub(super) async fn stitch(
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
