//! Packaging: copies the encoded streams ([`super::encode`]) into each output, with no encoding: HLS
//! (MPEG-TS segments or raw audio segments, cut by ffmpeg's HLS and segment muxers), DASH and CMAF
//! (fragmented MP4, cut into segments by [`super::fmp4`]), and file outputs (MP4, MOV, M2TS).
//!
//! All the outputs of an HLS, DASH or CMAF group are written by one ffmpeg process, which reads each
//! encoded stream once. What the manifests need to know about a stream (codecs, size, sample rate) was
//! read from the encode itself ([`super::EncodeProbes`]), once for all the outputs that copy it.
use super::encode::Encodes;
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

/// The encode files a packaging process reads, each once: its `-i` arguments, in order.
#[derive(Default)]
struct Inputs(Vec<std::path::PathBuf>);

impl Inputs {
    /// The input index of `file`, added when new.
    fn index(&mut self, file: std::path::PathBuf) -> usize {
        match self.0.iter().position(|f| *f == file) {
            Some(i) => i,
            None => {
                self.0.push(file);
                self.0.len() - 1
            }
        }
    }

    fn args(&self) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|f| ["-i".to_string(), f.display().to_string()])
            .collect()
    }
}

/// Which encodes an output copies: (video, audio) indexes into [`super::encode::Encodes`].
type Sources = (Option<usize>, Option<usize>);

/// The maps and codec options that copy output `o`'s encoded streams (`-c copy`), and which encodes.
fn copy_args(
    ctx: &Ctx<'_>,
    o: &OutputPlan,
    mp4: bool,
    inputs: &mut Inputs,
) -> Result<(Vec<String>, Sources), Failure> {
    let mut args: Vec<String> = Vec::new();
    let missing = || Failure::Error(codes::INTERNAL, "an output without its encode".into());
    let mut sources = (None, None);
    if let Some(v) = &o.video {
        let (i, _) = ctx.encodes.video(v).ok_or_else(missing)?;
        let k = inputs.index(Encodes::video_file(&ctx.encode_dir, i));
        args.extend(["-map".into(), format!("{k}:v:0")]);
        sources.0 = Some(i);
    }
    if let Some(a) = &o.audio {
        let i = ctx.encodes.audio(a).ok_or_else(missing)?;
        let k = inputs.index(Encodes::audio_file(&ctx.encode_dir, i));
        args.extend(["-map".into(), format!("{k}:a:0")]);
        sources.1 = Some(i);
    }
    args.extend(["-c".into(), "copy".into()]);
    if mp4
        && o.video
            .as_ref()
            .is_some_and(|v| v.codec == VideoCodec::H265)
    {
        args.extend(["-tag:v".into(), "hvc1".into()]);
    }
    Ok((args, sources))
}

/// One output to package: its group, its settings, its name (`<base><mod>`) and the group's folder.
#[derive(Clone, Copy)]
pub(super) struct Out<'a> {
    pub g: &'a GroupPlan,
    pub o: &'a OutputPlan,
    pub name: &'a str,
    pub dir: &'a Path,
}

/// What ffmpeg writes for one output, to read back after it ran.
enum Written {
    /// HLS: a playlist of MPEG-TS or raw audio segments.
    Playlist(std::path::PathBuf),
    /// DASH and CMAF: one fragmented MP4, to cut into segments.
    Fragmented(std::path::PathBuf),
}

/// Packages the media outputs of one HLS, DASH or CMAF group with one ffmpeg process; returns their
/// renditions, in the order given.
pub(super) async fn segmented_group(
    ctx: &Ctx<'_>,
    g: &GroupPlan,
    outs: &[Out<'_>],
) -> Result<Vec<Rendition>, Failure> {
    if outs.is_empty() {
        return Ok(Vec::new());
    }
    let fmp4 = g.kind != GroupKind::Hls;
    let mut inputs = Inputs::default();
    let mut outputs: Vec<String> = Vec::new();
    let mut plan = Vec::new();
    for out in outs {
        let (args, sources) = copy_args(ctx, out.o, fmp4, &mut inputs)?;
        outputs.extend(args);
        let written = if fmp4 {
            fragmented_args(*out, &mut outputs)
        } else {
            ts_args(*out, &mut outputs)
        };
        if let Some(n) = out.o.audio.as_ref().and_then(|a| a.profile_note.as_ref()) {
            ctx.warn(n.clone());
        }
        plan.push((written, sources));
    }
    let mut args = inputs.args();
    args.extend(outputs);
    let names: Vec<&str> = outs.iter().map(|o| o.name).collect();
    ctx.run(format!(
        "outputs [{}] of output group {}",
        names.join(", "),
        g.index
    ))
    .run(args, &|_| {})
    .await?;
    let mut renditions = Vec::new();
    for (out, (written, sources)) in outs.iter().zip(plan) {
        let r = match written {
            Written::Playlist(p) => read_playlist(*out, &p, sources, ctx)?,
            Written::Fragmented(f) => read_fragmented(*out, &f, sources, ctx)?,
        };
        renditions.push(r);
    }
    Ok(renditions)
}

/// A rendition from its segments and what its encodes hold.
fn rendition(
    ctx: &Ctx<'_>,
    out: Out<'_>,
    sources: Sources,
    segments: Vec<Segment>,
    init: Option<(String, Option<(u64, u64)>)>,
    timescale: u64,
) -> Rendition {
    let o = out.o;
    let video = sources
        .0
        .and_then(|i| Some((ctx.encodes.videos.get(i)?, ctx.probes.videos.get(i))));
    let audio = sources.1.and_then(|i| ctx.probes.audios.get(i));
    let mut codecs: Vec<String> = Vec::new();
    codecs.extend(
        video
            .and_then(|(_, p)| p)
            .map(|p| p.codecs.clone())
            .unwrap_or_default(),
    );
    codecs.extend(audio.map(|p| p.codecs.clone()).unwrap_or_default());
    let a = o.audio.as_ref();
    let (init, init_range) = init.map_or((None, None), |(n, r)| (Some(n), r));
    Rendition {
        playlist: format!("{}.m3u8", out.name),
        init,
        init_range,
        segments,
        width: video.map(|(e, p)| p.and_then(|p| p.width).unwrap_or(e.width)),
        height: video.map(|(e, p)| p.and_then(|p| p.height).unwrap_or(e.height)),
        frame_rate: video.map(|(e, _)| e.fps),
        codecs,
        has_video: o.video.is_some(),
        has_audio: o.audio.is_some(),
        is_caption: false,
        audio_sample_rate: audio
            .and_then(|p| p.sample_rate)
            .or(a.map(|a| a.sample_rate)),
        audio_channels: audio.and_then(|p| p.channels).or(a.map(|a| a.channels)),
        language: a.and_then(|a| a.language.clone()),
        name: a.and_then(|a| a.stream_name.clone()),
        timescale,
        sidecar: None,
        audio_group_id: o.audio_group_id.clone(),
        audio_rendition_sets: o.audio_rendition_sets.clone(),
        audio_only_variant: o.video.is_none()
            && o.audio_track_type.as_deref() == Some("AUDIO_ONLY_VARIANT_STREAM"),
    }
}

/// The extension of a DASH or CMAF output's files.
fn fmp4_ext(out: Out<'_>) -> &'static str {
    match out.g.kind {
        GroupKind::Dash => "mp4",
        _ if out.o.video.is_some() => "cmfv",
        _ => "cmfa",
    }
}

/// DASH and CMAF: one fragmented MP4, a fragment ending at the first keyframe at least `fragmentLength`
/// after it started (audio-only: at the first frame).
fn fragmented_args(out: Out<'_>, args: &mut Vec<String>) -> Written {
    let Out { g, o, dir, .. } = out;
    let fragment_us = (g.fragment_length.min(g.segment_length) * 1e6).round() as u64;
    let mut flags = String::from("+frag_keyframe+empty_moov+default_base_moof+delay_moov");
    if g.kind == GroupKind::Cmaf {
        flags.push_str("+cmaf");
    }
    args.extend(["-movflags".into(), flags]);
    if o.video.is_some() {
        args.extend(["-min_frag_duration".into(), fragment_us.to_string()]);
    } else {
        args.extend(["-frag_duration".into(), fragment_us.to_string()]);
    }
    let whole = dir.join(format!(".fragmented-{}.mp4", o.index));
    args.extend(["-f".into(), "mp4".into(), whole.display().to_string()]);
    Written::Fragmented(whole)
}

/// Cuts a fragmented MP4 into an init segment and media segments of whole fragments (or keeps it whole,
/// addressed by byte ranges, with `SINGLE_FILE`), and removes it.
fn read_fragmented(
    out: Out<'_>,
    whole: &Path,
    sources: Sources,
    ctx: &Ctx<'_>,
) -> Result<Rendition, Failure> {
    let Out { g, name, dir, .. } = out;
    let ext = fmp4_ext(out);
    let data = std::fs::read(whole).map_err(internal("fragmented output"))?;
    let _ = std::fs::remove_file(whole);
    let split = fmp4::split(&data, g.segment_length).map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg wrote an unreadable fragmented MP4 for [{name}]: {e}"),
        )
    })?;
    let mut segments = Vec::new();
    let init = if g.single_file {
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
    Ok(rendition(
        ctx,
        out,
        sources,
        segments,
        Some(init),
        split.timescale,
    ))
}

/// HLS: MPEG-TS segments (or raw audio segments for audio-only outputs), cut by ffmpeg into a playlist
/// that is read back after the run.
fn ts_args(out: Out<'_>, args: &mut Vec<String>) -> Written {
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
    Written::Playlist(tmp_playlist)
}

/// Reads back the playlist ffmpeg wrote for an HLS output (and removes it).
fn read_playlist(
    out: Out<'_>,
    tmp_playlist: &Path,
    sources: Sources,
    ctx: &Ctx<'_>,
) -> Result<Rendition, Failure> {
    let Out { name, dir, .. } = out;
    let text = std::fs::read_to_string(tmp_playlist).map_err(|e| {
        Failure::Error(
            codes::INTERNAL,
            format!("ffmpeg wrote no playlist for [{name}]: {e}"),
        )
    })?;
    let _ = std::fs::remove_file(tmp_playlist);
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
    Ok(rendition(ctx, out, sources, segments, None, 90_000))
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
    let mut inputs = Inputs::default();
    let (copy, _) = copy_args(ctx, o, fmt != "mpegts", &mut inputs)?;
    let mut args = inputs.args();
    args.extend(copy);
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
