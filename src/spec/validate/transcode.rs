//! The `transcode` section and the ABR ladder: formats, segment, GOP and fragment lengths, audio,
//! captions, thumbnails and the job options. Where the output goes is decided with the origin
//! ([`super::origin::output_location`]).

use std::collections::BTreeMap;

use super::Collector;
use crate::spec::input::{
    AudioSpec, CaptionsSpec, Input, LadderSpec, ThumbnailsSpec, TranscodeSpec,
};
use crate::spec::model::Transcode;
use crate::types::*;

/// The transcode section as far as it parsed. The output location is checked with the origin.
pub(super) struct Parsed {
    role_arn: Option<RoleArn>,
    pub(super) output_bucket: Option<Option<BucketName>>,
    pub(super) output_prefix: Option<Option<KeyPrefix>>,
    formats: Vec<OutputFormat>,
    segment_length: Option<SegmentLength>,
    gop_length: Option<Seconds>,
    segment_lengths: Option<BTreeMap<OutputFormat, SegmentLength>>,
    fragment_length: Option<Seconds>,
    abr_ladder: Option<AbrLadder>,
    audio: Option<Vec<AudioRendition>>,
    hls_audio_only: bool,
    /// `None`: no captions asked for; `Some(None)`: asked for, but invalid.
    captions: Option<Option<Captions>>,
    thumbnails: Option<Option<Thumbnails>>,
    job: Option<JobOptions>,
}

impl Parsed {
    /// The captions settings, when given and valid.
    pub(super) fn captions(&self) -> Option<&Captions> {
        self.captions.as_ref().and_then(Option::as_ref)
    }

    /// The validated section, given where the output goes; `None` when a part of it was invalid.
    pub(super) fn finish(
        self,
        output_bucket: BucketName,
        output_prefix: KeyPrefix,
    ) -> Option<Transcode> {
        Some(Transcode {
            role_arn: self.role_arn?,
            output_bucket,
            output_prefix,
            formats: self.formats,
            segment_length: self.segment_length?,
            gop_length: self.gop_length?,
            segment_lengths: self.segment_lengths?,
            fragment_length: self.fragment_length?,
            abr_ladder: self.abr_ladder?,
            audio: self.audio?,
            hls_audio_only: self.hls_audio_only,
            captions: self.captions.map_or(Some(None), |c| c.map(Some))?,
            thumbnails: self.thumbnails.map_or(Some(None), |t| t.map(Some))?,
            job: self.job?,
        })
    }
}

pub(super) fn section(c: &mut Collector, t: TranscodeSpec, abr_ladder: LadderSpec) -> Parsed {
    let role_arn = c.get("transcode.role_arn", t.role_arn);
    let output_bucket = c.opt("transcode.output_bucket", t.output_bucket);
    let output_prefix = c.opt("transcode.output_prefix", t.output_prefix);
    let mut formats = Vec::new();
    for (i, f) in t.formats.into_iter().enumerate() {
        let field = format!("transcode.formats[{i}]");
        if let Some(f) = c.get(&field, f) {
            if formats.contains(&f) {
                c.push(field, f.as_str(), "each format may be listed once");
            } else {
                formats.push(f);
            }
        }
    }
    if formats.is_empty()
        && c.violations
            .iter()
            .all(|v| !v.field.starts_with("transcode.formats"))
    {
        formats = vec![OutputFormat::Hls, OutputFormat::Dash];
    }
    let segment_length = c
        .opt("transcode.segment_length", t.segment_length)
        .map(|s| {
            s.unwrap_or_else(|| SegmentLength::new(6).expect("6 s is a valid segment length"))
        });
    let gop_length = c.opt("transcode.gop_length", t.gop_length);
    let gop_length = match (segment_length, gop_length) {
        (Some(seg), Some(gop)) => check_gop(c, seg, gop),
        _ => None,
    };
    let segment_lengths = segment_lengths(c, t.segment_lengths, &formats, gop_length);
    let fragment_length = c.opt("transcode.fragment_length", t.fragment_length);
    let fragment_length = match (
        segment_length,
        gop_length,
        fragment_length,
        &segment_lengths,
    ) {
        (Some(seg), Some(gop), Some(frag), Some(per)) => {
            check_fragment(c, seg, gop, frag, &formats, per)
        }
        _ => None,
    };
    let abr_ladder = ladder(c, abr_ladder);
    let audio = audio(c, t.audio);
    let hls_audio_only = t.hls_audio_only.unwrap_or(false);
    if hls_audio_only
        && !formats.contains(&OutputFormat::Hls)
        && !formats.contains(&OutputFormat::HlsFmp4)
    {
        c.push(
            "transcode.hls_audio_only",
            "true",
            "adds an audio-only variant to HLS master playlists: list \"hls\" or \"hls-fmp4\" in transcode.formats",
        );
    }
    let captions = t.captions.map(|cs| captions(c, cs));
    let thumbnails = t.thumbnails.map(|ts| thumbnails(c, ts));
    let job = job_options(
        c,
        JobSpec {
            queue: t.queue,
            priority: t.priority,
            acceleration: t.acceleration,
            status_update_interval: t.status_update_interval,
            user_metadata: t.user_metadata,
            job_template: t.job_template,
        },
    );
    Parsed {
        role_arn,
        output_bucket,
        output_prefix,
        formats,
        segment_length,
        gop_length,
        segment_lengths,
        fragment_length,
        abr_ladder,
        audio,
        hls_audio_only,
        captions,
        thumbnails,
        job,
    }
}

fn check_gop(c: &mut Collector, seg: SegmentLength, gop: Option<Seconds>) -> Option<Seconds> {
    let seg_s = seg.secs();
    let gop = gop.unwrap_or(Seconds::new(if seg_s.is_multiple_of(2) { 2 } else { 1 }));
    if gop.get() == 0 || gop.get() > seg_s || !seg_s.is_multiple_of(gop.get()) {
        c.push(
            "transcode.gop_length",
            gop.to_string(),
            format!(
                "must be at least 1 s and divide the segment length ({seg_s} s) so every segment starts on a keyframe (MediaConvert rounds segments up to the next GOP boundary otherwise: https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-hlsgroupsettings-segmentlengthcontrol)"
            ),
        );
        return None;
    }
    Some(gop)
}

/// DASH, CMAF and HLS fMP4 segments are made of fragments. A fragment must start on a keyframe, so
/// it is a whole number of GOPs, and a segment must be a whole number of fragments
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-dashisogroupsettings-fragmentlength>,
/// <https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-cmafgroupsettings-fragmentlength>).
fn check_fragment(
    c: &mut Collector,
    seg: SegmentLength,
    gop: Seconds,
    frag: Option<Seconds>,
    formats: &[OutputFormat],
    per_format: &std::collections::BTreeMap<OutputFormat, SegmentLength>,
) -> Option<Seconds> {
    let Some(f) = frag else { return Some(gop) };
    const PAGE: &str = "https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-cmafgroupsettings-fragmentlength";
    let fragmented: Vec<OutputFormat> = formats
        .iter()
        .copied()
        .filter(|f| f.has_fragments())
        .collect();
    if fragmented.is_empty() {
        c.push(
            "transcode.fragment_length",
            f.to_string(),
            "only dash, cmaf and hls-fmp4 segments have fragments: list one of them in transcode.formats, or leave fragment_length out",
        );
        return None;
    }
    let (f_s, g_s) = (f.get(), gop.get());
    let seg_of = |fmt: OutputFormat| per_format.get(&fmt).copied().unwrap_or(seg).secs();
    let bad_seg = fragmented
        .iter()
        .map(|&fmt| seg_of(fmt))
        .find(|&s_s| f_s > s_s || !s_s.is_multiple_of(f_s.max(1)));
    if f_s == 0 || !f_s.is_multiple_of(g_s) || bad_seg.is_some() {
        let s_s = bad_seg.unwrap_or(seg.secs());
        c.push(
            "transcode.fragment_length",
            f.to_string(),
            format!(
                "must be a multiple of the GOP length ({g_s} s), so every fragment starts on a keyframe, and divide the segment length ({s_s} s), so every segment is whole fragments ({PAGE})"
            ),
        );
        return None;
    }
    Some(f)
}

/// Per-format segment lengths: each names a listed, segmented format, and is a multiple of the GOP.
fn segment_lengths(
    c: &mut Collector,
    given: Vec<(String, String)>,
    formats: &[OutputFormat],
    gop: Option<Seconds>,
) -> Option<std::collections::BTreeMap<OutputFormat, SegmentLength>> {
    let before = c.violations.len();
    let mut out = std::collections::BTreeMap::new();
    for (k, v) in given {
        let field = format!("transcode.segment_lengths.{k}");
        let Some(fmt) = c.get::<OutputFormat>(&field, Input::Text(k.clone())) else {
            continue;
        };
        if !formats.contains(&fmt) || !fmt.is_segmented() {
            c.push(
                field,
                v,
                "names a segmented format listed in transcode.formats (hls, hls-fmp4, dash, cmaf)",
            );
            continue;
        }
        let Some(len) = c.get::<SegmentLength>(&field, Input::Text(v)) else {
            continue;
        };
        if let Some(g) = gop
            && !len.secs().is_multiple_of(g.get().max(1))
        {
            c.push(
                field,
                len.to_string(),
                format!("must be a multiple of the GOP length ({g}) so every segment starts on a keyframe (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-hlsgroupsettings-segmentlengthcontrol)"),
            );
            continue;
        }
        if out.insert(fmt, len).is_some() {
            c.push(field, len.to_string(), "each format may be listed once");
        }
    }
    (c.violations.len() == before).then_some(out)
}

fn audio(c: &mut Collector, given: Vec<AudioSpec>) -> Option<Vec<AudioRendition>> {
    const FIELD: &str = "transcode.audio";
    if given.is_empty() {
        return Some(vec![AudioRendition::DEFAULT]);
    }
    let before = c.violations.len();
    let mut out: Vec<AudioRendition> = Vec::new();
    for (i, a) in given.into_iter().enumerate() {
        let field = |m: &str| format!("{FIELD}[{i}].{m}");
        let br = c.get(&field("bitrate"), a.bitrate);
        let mode = c.opt(&field("coding_mode"), a.coding_mode);
        let sr = match a.sample_rate.map(u32::try_from).transpose() {
            Ok(v) => Some(v.unwrap_or(48_000)),
            Err(_) => {
                c.push(
                    field("sample_rate"),
                    format!("{:?}", a.sample_rate),
                    "an AAC sample rate must be 32000, 44100 or 48000 Hz",
                );
                None
            }
        };
        let (Some(br), Some(mode), Some(sr)) = (br, mode, sr) else {
            continue;
        };
        match AudioRendition::new(br, mode.unwrap_or_default(), sr) {
            Ok(r) => {
                if out.iter().any(|o| o.bitrate() == r.bitrate()) {
                    c.push(
                        field("bitrate"),
                        br.to_string(),
                        "each audio rendition needs its own bitrate: players choose between them by bandwidth, and the bitrate names the output",
                    );
                } else {
                    out.push(r);
                }
            }
            Err(errs) => {
                for (m, e) in errs {
                    c.invalid(field(m), e);
                }
            }
        }
    }
    if out.len() > MAX_AUDIO {
        c.push(
            FIELD,
            format!("{} renditions", out.len()),
            format!("at most {MAX_AUDIO} audio renditions (this crate's bound)"),
        );
    }
    if c.violations.len() > before {
        return None;
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.bitrate()));
    Some(out)
}

/// Most audio renditions per ladder (this crate's bound; each is a MediaConvert output per group).
const MAX_AUDIO: usize = 8;

fn captions(c: &mut Collector, s: CaptionsSpec) -> Option<Captions> {
    let format = c.opt("transcode.captions.format", s.format);
    let language = c.opt("transcode.captions.language", s.language);
    Some(Captions {
        format: format?.unwrap_or(CaptionFormat::Srt),
        language: language?.unwrap_or_else(|| "ENG".parse().expect("ENG is a language code")),
    })
}

fn thumbnails(c: &mut Collector, s: ThumbnailsSpec) -> Option<Thumbnails> {
    const F: &str = "transcode.thumbnails";
    let before = c.violations.len();
    let interval = c.opt(&format!("{F}.interval"), s.interval);
    let int =
        |c: &mut Collector, m: &str, v: Option<i64>, default: i64, rule: &str| match u32::try_from(
            v.unwrap_or(default),
        ) {
            Ok(n) => Some(n),
            Err(_) => {
                c.push(format!("{F}.{m}"), v.unwrap_or(default).to_string(), rule);
                None
            }
        };
    let w = int(c, "width", s.width, 320, "must be from 32 to 8192 pixels");
    let h = int(c, "height", s.height, 180, "must be from 32 to 8192 pixels");
    let q = int(c, "quality", s.quality, 80, "a JPEG quality must be from 1 to 100")
        .and_then(|q| match u8::try_from(q) {
            Ok(q) => Some(q),
            Err(_) => {
                c.push(format!("{F}.quality"), q.to_string(), "a JPEG quality must be from 1 to 100 (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-framecapturesettings-quality)");
                None
            }
        });
    let m = match s.max_captures {
        None => Some(None),
        Some(v) => int(c, "max_captures", Some(v), 0, "must be from 1 to 10000000").map(Some),
    };
    if c.violations.len() > before {
        return None;
    }
    let (Some(interval), Some(w), Some(h), Some(q), Some(m)) = (interval, w, h, q, m) else {
        return None;
    };
    match Thumbnails::new(interval.unwrap_or(Seconds::new(10)), w, h, q, m) {
        Ok(t) => Some(t),
        Err(errs) => {
            for (m, e) in errs {
                c.invalid(format!("{F}.{m}"), e);
            }
            None
        }
    }
}

/// Keys this crate writes into every job's user metadata.
const RESERVED_METADATA_PREFIX: &str = "vod-pipeline:";

/// The job options of a [`TranscodeSpec`].
struct JobSpec {
    queue: Option<Input<QueueName>>,
    priority: Option<i64>,
    acceleration: Option<Input<Acceleration>>,
    status_update_interval: Option<Input<StatusUpdateInterval>>,
    user_metadata: Vec<(String, String)>,
    job_template: Option<Input<JobTemplateName>>,
}

fn job_options(c: &mut Collector, t: JobSpec) -> Option<JobOptions> {
    let before = c.violations.len();
    let queue = c.opt("transcode.queue", t.queue);
    let priority = match t.priority.map(Priority::new).transpose() {
        Ok(p) => Some(p.unwrap_or_default()),
        Err(e) => {
            c.invalid("transcode.priority", e);
            None
        }
    };
    let acceleration = c.opt("transcode.acceleration", t.acceleration);
    let interval = c.opt("transcode.status_update_interval", t.status_update_interval);
    let job_template = c.opt("transcode.job_template", t.job_template);
    let mut user_metadata = std::collections::BTreeMap::new();
    for (k, v) in &t.user_metadata {
        let field = format!("transcode.user_metadata.{k}");
        if k.trim().is_empty() {
            c.push(field, v.clone(), "a user metadata key must not be empty");
        } else if k.starts_with(RESERVED_METADATA_PREFIX) {
            c.push(
                field,
                v.clone(),
                "keys starting with \"vod-pipeline:\" are this crate's own (pipeline, asset and settings token)",
            );
        } else if user_metadata.insert(k.clone(), v.clone()).is_some() {
            c.push(field, v.clone(), "each user metadata key may be set once");
        }
    }
    if c.violations.len() > before {
        return None;
    }
    Some(JobOptions {
        queue: queue?,
        priority: priority?,
        acceleration: acceleration?.unwrap_or_default(),
        status_update_interval: interval?.unwrap_or_default(),
        user_metadata,
        job_template: job_template?,
    })
}

fn ladder(c: &mut Collector, spec: LadderSpec) -> Option<AbrLadder> {
    const FIELD: &str = "transcode.abr_ladder";
    match spec {
        LadderSpec::Ladder(l) => Some(l),
        LadderSpec::Preset(name) => match name.parse::<LadderPreset>() {
            Ok(p) => Some(AbrLadder::preset(p)),
            Err(e) => {
                c.invalid(FIELD, e);
                None
            }
        },
        LadderSpec::Renditions(list) => {
            let before = c.violations.len();
            let mut out = Vec::new();
            for (i, r) in list.into_iter().enumerate() {
                let start = c.violations.len();
                let field = |m: &str| format!("{FIELD}[{i}].{m}");
                let dim = |c: &mut Collector, m: &str, v: i64| -> Option<u32> {
                    match u32::try_from(v) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            c.push(field(m), v.to_string(), "must be from 32 to 8192 pixels");
                            None
                        }
                    }
                };
                let w = dim(c, "width", r.width);
                let h = dim(c, "height", r.height);
                let br = c.get(&field("max_bitrate"), r.max_bitrate);
                let codec = c.opt(&field("codec"), r.codec);
                let q = match r.qvbr_quality_level.map(u8::try_from).transpose() {
                    Ok(q) => Some(q),
                    Err(_) => {
                        c.push(
                            field("qvbr_quality_level"),
                            format!("{:?}", r.qvbr_quality_level),
                            "must be from 1 to 10",
                        );
                        None
                    }
                };
                // Check every member even when another one is already wrong: a member that failed
                // to parse is replaced by a valid placeholder, and its repeated error is dropped.
                let Some(bv) = br.or_else(|| Bitrate::new(Rendition::MIN_BITRATE).ok()) else {
                    continue;
                };
                match Rendition::with_codec(
                    codec.flatten().unwrap_or_default(),
                    w.unwrap_or(32),
                    h.unwrap_or(32),
                    bv,
                    q.flatten(),
                ) {
                    Ok(r)
                        if w.is_some()
                            && h.is_some()
                            && br.is_some()
                            && q.is_some()
                            && codec.is_some() =>
                    {
                        out.push(r)
                    }
                    Ok(_) => {}
                    Err(errs) => {
                        for (m, e) in errs {
                            let parsed = match m {
                                "width" => w.is_some(),
                                "height" => h.is_some(),
                                "max_bitrate" => br.is_some(),
                                _ => q.is_some(),
                            };
                            if parsed {
                                c.invalid(field(m), e);
                            }
                        }
                    }
                }
                // Report this rendition's problems in member order.
                const MEMBERS: [&str; 5] = [
                    "width",
                    "height",
                    "max_bitrate",
                    "qvbr_quality_level",
                    "codec",
                ];
                c.violations[start..]
                    .sort_by_key(|v| MEMBERS.iter().position(|m| v.field.ends_with(m)));
            }
            if c.violations.len() > before {
                return None;
            }
            AbrLadder::new(out).map_err(|e| c.invalid(FIELD, e)).ok()
        }
    }
}
