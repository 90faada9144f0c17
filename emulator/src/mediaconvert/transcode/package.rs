//! Packaging: copies the encoded streams ([`super::encode`]) into each output, with no encoding: HLS
//! (MPEG-TS segments or raw audio segments, cut by ffmpeg's HLS and segment muxers), DASH and CMAF
//! (fragmented MP4, cut into segments by [`super::fmp4`]), and file outputs (MP4, MOV, M2TS).
use super::fmp4;
use super::probe::probe_output;
use super::{Ctx, Failure, codes};
use crate::mediaconvert::manifest::{self, Rendition, Segment};
use crate::mediaconvert::plan::{AudioCodec, GroupKind, GroupPlan, OutputPlan, VideoCodec};
use serde_json::{Value, json};
use std::path::Path;

pub(super) fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// One output's entry in `outputGroupDetails`.
pub(super) fn detail(duration: f64, video: Option<(u32, u32)>) -> Value {
    let mut d = json!({ "durationInMs": (duration * 1000.0).round() as u64 });
    if let Some((w, h)) = video {
        d["videoDetails"] = json!({ "widthInPx": w, "heightInPx": h });
    }
    d
}

fn internal(what: &str) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |e| Failure::Error(codes::INTERNAL, format!("{what}: {e}"))
}

/// ffmpeg arguments, and the output's size and frame rate when it has video.
type CopyArgs = (Vec<String>, Option<(u32, u32)>, Option<(u32, u32)>);

/// The encoded streams of output `o` as ffmpeg inputs and maps, copied (`-c copy`), plus the output's
/// size and frame rate.
fn copy_args(ctx: &Ctx<'_>, o: &OutputPlan, mp4: bool) -> Result<CopyArgs, Failure> {
    let mut inputs: Vec<String> = Vec::new();
    let mut maps: Vec<String> = Vec::new();
    let mut shape = (None, None);
    let missing = || Failure::Error(codes::INTERNAL, "an output without its encode".into());
    if let Some(v) = &o.video {
        let (i, enc) = ctx.encodes.video(v).ok_or_else(missing)?;
        let file = super::encode::Encodes::video_file(&ctx.encode_dir, i);
        inputs.extend(["-i".into(), file.display().to_string()]);
        maps.extend(["-map".into(), "0:v:0".into()]);
        shape = (Some((enc.width, enc.height)), Some(enc.fps));
    }
    if let Some(a) = &o.audio {
        let i = ctx.encodes.audio(a).ok_or_else(missing)?;
        let file = super::encode::Encodes::audio_file(&ctx.encode_dir, i);
        let n = inputs.len() / 2;
        inputs.extend(["-i".into(), file.display().to_string()]);
        maps.extend(["-map".into(), format!("{n}:a:0")]);
    }
    inputs.extend(maps);
    inputs.extend(["-c".into(), "copy".into()]);
    if mp4
        && o.video
            .as_ref()
            .is_some_and(|v| v.codec == VideoCodec::H265)
    {
        inputs.extend(["-tag:v".into(), "hvc1".into()]);
    }
    Ok((inputs, shape.0, shape.1))
}

/// One output to package: its group, its settings, its name (`<base><mod>`) and the group's folder.
#[derive(Clone, Copy)]
pub(super) struct Out<'a> {
    pub g: &'a GroupPlan,
    pub o: &'a OutputPlan,
    pub name: &'a str,
    pub dir: &'a Path,
}

/// Packages one HLS, DASH or CMAF output into its folder.
pub(super) async fn segmented(ctx: &Ctx<'_>, out: Out<'_>) -> Result<Rendition, Failure> {
    let Out { g, o, name, .. } = out;
    let fmp4 = g.kind != GroupKind::Hls;
    let (args, size, fps) = copy_args(ctx, o, fmp4)?;
    if let Some(n) = o.audio.as_ref().and_then(|a| a.profile_note.as_ref()) {
        ctx.warn(n.clone());
    }
    let what = format!("output [{name}] of output group {}", g.index);
    let (segments, init, init_range, probe_path) = if fmp4 {
        fragmented(ctx, out, args, &what).await?
    } else {
        let (segments, probe) = hls_ts(ctx, out, args, &what).await?;
        (segments, None, None, probe)
    };
    let probed = probe_output(&ctx.tools.ffprobe, &probe_path).await;
    if fmp4 {
        let _ = std::fs::remove_file(&probe_path);
    }
    let probed = probed?;
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

type Packaged = (
    Vec<Segment>,
    Option<String>,
    Option<(u64, u64)>,
    std::path::PathBuf,
);

/// DASH and CMAF: one fragmented MP4 (fragments cut at keyframes at least `fragmentLength` apart), split
/// into an init segment and media segments of whole fragments. Returns the segments, the init segment's
/// name (and byte range in single-file mode) and a file to probe (removed by the caller).
async fn fragmented(
    ctx: &Ctx<'_>,
    out: Out<'_>,
    mut args: Vec<String>,
    what: &str,
) -> Result<Packaged, Failure> {
    let Out { g, o, name, dir } = out;
    let ext = match g.kind {
        GroupKind::Dash => "mp4",
        _ if o.video.is_some() => "cmfv",
        _ => "cmfa",
    };
    let fragment_us = (g.fragment_length.min(g.segment_length) * 1e6).round() as u64;
    let mut flags = String::from("+frag_keyframe+empty_moov+default_base_moof+delay_moov");
    if g.kind == GroupKind::Cmaf {
        flags.push_str("+cmaf");
    }
    args.extend(["-movflags".into(), flags]);
    if o.video.is_some() {
        // A new fragment at the first keyframe at least the fragment length after the last one.
        args.extend(["-min_frag_duration".into(), fragment_us.to_string()]);
    } else {
        args.extend(["-frag_duration".into(), fragment_us.to_string()]);
    }
    let whole = dir.join(format!(".fragmented-{}.mp4", o.index));
    args.extend(["-f".into(), "mp4".into(), whole.display().to_string()]);
    ctx.run(what.to_string()).run(args, &|_| {}).await?;
    let data = std::fs::read(&whole).map_err(internal("fragmented output"))?;
    let split = fmp4::split(&data, g.segment_length).map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg wrote an unreadable fragmented MP4 for [{name}]: {e}"),
        )
    })?;
    let mut segments = Vec::new();
    let (init, init_range) = if g.single_file {
        // The init segment, then every fragment, in one file: what ffmpeg wrote, less any trailing index.
        let file = format!("{name}.{ext}");
        let end = split
            .segments
            .last()
            .map_or(split.init.end, |s| s.bytes.end);
        std::fs::write(dir.join(&file), &data[..end]).map_err(internal("packaged output"))?;
        for s in &split.segments {
            let len = (s.bytes.end - s.bytes.start) as u64;
            segments.push(Segment {
                uri: file.clone(),
                duration: s.duration,
                byterange: Some((len, s.bytes.start as u64)),
                size: len,
            });
        }
        (file, Some((split.init.end as u64, 0)))
    } else {
        let file = format!("{name}init.{ext}");
        std::fs::write(dir.join(&file), &data[split.init.clone()])
            .map_err(internal("init segment"))?;
        for (k, s) in split.segments.iter().enumerate() {
            let uri = format!("{name}_{:09}.{ext}", k + 1);
            let body = [fmp4::STYP, &data[s.bytes.clone()]].concat();
            std::fs::write(dir.join(&uri), &body).map_err(internal("media segment"))?;
            segments.push(Segment {
                uri,
                duration: s.duration,
                byterange: None,
                size: body.len() as u64,
            });
        }
        (file, None)
    };
    Ok((segments, Some(init), init_range, whole))
}

/// HLS: MPEG-TS segments (or raw audio segments for audio-only outputs), cut by ffmpeg. Returns the
/// segments and the file to probe.
async fn hls_ts(
    ctx: &Ctx<'_>,
    out: Out<'_>,
    mut args: Vec<String>,
    what: &str,
) -> Result<(Vec<Segment>, std::path::PathBuf), Failure> {
    let Out { g, o, name, dir } = out;
    let pat = super::ffmpeg::pat;
    let tmp_playlist = dir.join(format!(".ffmpeg-{}.m3u8", o.index));
    // Audio-only outputs: raw audio segments (audioOnlyContainer AUTOMATIC, the default) or MPEG-TS (M2TS).
    let raw_audio = match (
        &o.audio,
        o.video.is_none(),
        o.audio_only_container.as_deref(),
    ) {
        (Some(a), true, None | Some("AUTOMATIC")) => Some(match a.codec {
            AudioCodec::Aac => ("aac", "adts"),
            AudioCodec::Mp3 => ("mp3", "mp3"),
            AudioCodec::Ac3 => ("ac3", "ac3"),
            AudioCodec::Eac3 => ("eac3", "eac3"),
        }),
        _ => None,
    };
    let seg_name = format!("{name}{}", o.segment_modifier);
    if let Some((raw_ext, format)) = raw_audio {
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
    } else {
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
        let segment_file = if g.single_file {
            args.extend(["-hls_flags".into(), "single_file".into()]);
            format!("{name}.ts")
        } else {
            format!("{}_%05d.ts", pat(&seg_name))
        };
        args.extend([
            "-hls_segment_filename".into(),
            dir.join(segment_file).display().to_string(),
            tmp_playlist.display().to_string(),
        ]);
    }
    ctx.run(what.to_string()).run(args, &|_| {}).await?;
    let text = std::fs::read_to_string(&tmp_playlist).map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg wrote no playlist for [{name}]: {e}"),
        )
    })?;
    let _ = std::fs::remove_file(&tmp_playlist);
    let (mut segments, _, _) = manifest::parse_ffmpeg_playlist(&text);
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
    let probe = dir.join(&segments[0].uri);
    Ok((segments, probe))
}

/// Packages one file-group output: frame captures (already written by the encode) are listed; MP4, MOV
/// and M2TS outputs get the encoded streams copied in.
pub(super) async fn file(ctx: &Ctx<'_>, out: Out<'_>) -> Result<(Vec<String>, Value), Failure> {
    let Out { g, o, name, dir } = out;
    if o.frame_capture.is_some() {
        let c = ctx
            .encodes
            .captures
            .iter()
            .find(|c| c.dir == dir && c.name == name)
            .ok_or_else(|| {
                Failure::Error(codes::INTERNAL, "a frame capture without its encode".into())
            })?;
        let prefix = format!("{name}.");
        let suffix = format!(".{}", c.ext);
        let mut produced: Vec<String> = std::fs::read_dir(dir)
            .map_err(internal("frame captures"))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|f| f.starts_with(&prefix) && f.ends_with(&suffix))
            .collect();
        produced.sort();
        let src = ctx.video.as_ref();
        let (_, w, h) = src.map_or((String::new(), 0, 0), |src| {
            super::encode::scale_filter(c.plan.width, c.plan.height, "STRETCH_TO_OUTPUT", src)
        });
        return Ok((produced, detail(ctx.duration, Some((w, h)))));
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
    let (mut args, ..) = copy_args(ctx, o, fmt != "mpegts")?;
    if fmt != "mpegts" {
        args.extend(["-movflags".into(), "+faststart".into()]);
    }
    let file = format!("{name}.{ext}");
    args.extend([
        "-f".into(),
        fmt.into(),
        dir.join(&file).display().to_string(),
    ]);
    ctx.run(format!("output [{name}] of output group {}", g.index))
        .run(args, &|_| {})
        .await?;
    let p = probe_output(&ctx.tools.ffprobe, &dir.join(&file)).await?;
    let video = o
        .video
        .as_ref()
        .map(|_| (p.width.unwrap_or(0), p.height.unwrap_or(0)));
    Ok((vec![file], detail(p.duration, video)))
}
