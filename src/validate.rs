//! The one place where a pipeline is validated. The builder and the spec loader both call
//! [`validate`]; it parses every text value, checks every cross-field rule, and returns all problems.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, InvalidValue, Violation, Violations};
use crate::input::{Input, LadderSpec, ObjectCachingMode, PipelineSpec};
use crate::pipeline::{Asset, CloudFront, Origin, Source, Transcode, VodPipeline};
use crate::types::*;

/// Collects violations while parsing.
#[derive(Default)]
pub(crate) struct Collector {
    pub(crate) violations: Vec<Violation>,
    /// Fields the spec loader already reported (missing, wrong type): later checks of the same field,
    /// or of a field inside it, would only repeat the problem.
    reported: HashSet<String>,
}

impl Collector {
    pub(crate) fn push(
        &mut self,
        field: impl Into<String>,
        value: impl Into<String>,
        rule: impl Into<String>,
    ) {
        let field = field.into();
        let repeated = self.reported.iter().any(|r| {
            field == *r
                || field
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        });
        if !repeated {
            self.violations.push(Violation {
                field,
                value: value.into(),
                rule: rule.into(),
            });
        }
    }

    fn invalid(&mut self, field: impl Into<String>, e: InvalidValue) {
        self.push(field, e.value, e.rule);
    }

    fn get<T: FromStr<Err = InvalidValue>>(&mut self, field: &str, v: Input<T>) -> Option<T> {
        v.resolve().map_err(|e| self.invalid(field, e)).ok()
    }

    fn opt<T: FromStr<Err = InvalidValue>>(
        &mut self,
        field: &str,
        v: Option<Input<T>>,
    ) -> Option<Option<T>> {
        match v {
            None => Some(None),
            Some(v) => self.get(field, v).map(Some),
        }
    }
}

/// Most CORS origins (MediaStore `AllowedOrigins`,
/// <https://docs.aws.amazon.com/mediastore/latest/apireference/API_CorsRule.html>).
const MAX_CORS_ORIGINS: usize = 100;
/// Most alternate domain names per distribution (CloudFront quota).
const MAX_ALIASES: usize = 100;
/// Longest distribution comment (`DistributionConfig.Comment`).
const MAX_COMMENT: usize = 128;

/// Validates a pipeline. `base_dir` resolves relative source files (none: the current directory).
/// `earlier` holds problems found before (the spec loader's unknown keys and wrong types).
pub(crate) fn validate(
    spec: PipelineSpec,
    base_dir: Option<&Path>,
    earlier: Vec<Violation>,
) -> Result<VodPipeline, Error> {
    let reported = earlier.iter().map(|v| v.field.clone()).collect();
    let mut c = Collector {
        violations: earlier,
        reported,
    };

    let name = c.get("name", spec.name);
    let region = c.get("region", spec.region);

    // Source.
    let src_bucket = c.get("source.bucket", spec.source.bucket);
    let src_prefix = c
        .opt("source.prefix", spec.source.prefix)
        .map(Option::unwrap_or_default);
    let files = spec.source.files;
    if files.is_empty() {
        c.push(
            "source.files",
            "[]",
            "list at least one file to upload and transcode",
        );
    }

    // Transcode.
    let t = spec.transcode;
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
        (Some(seg), Some(gop)) => check_gop(&mut c, seg, gop),
        _ => None,
    };
    let segment_lengths = segment_lengths(&mut c, t.segment_lengths, &formats, gop_length);
    let fragment_length = c.opt("transcode.fragment_length", t.fragment_length);
    let fragment_length = match (
        segment_length,
        gop_length,
        fragment_length,
        &segment_lengths,
    ) {
        (Some(seg), Some(gop), Some(frag), Some(per)) => {
            check_fragment(&mut c, seg, gop, frag, &formats, per)
        }
        _ => None,
    };
    let abr_ladder = ladder(&mut c, spec.abr_ladder);
    let audio = audio(&mut c, t.audio);
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
    let captions = t.captions.map(|cs| captions(&mut c, cs));
    let thumbnails = t.thumbnails.map(|ts| thumbnails(&mut c, ts));
    let job = job_options(
        &mut c,
        JobSpec {
            queue: t.queue,
            priority: t.priority,
            acceleration: t.acceleration,
            status_update_interval: t.status_update_interval,
            user_metadata: t.user_metadata,
            job_template: t.job_template,
        },
    );

    // Origin.
    let origin = match (spec.mediastore, spec.s3_origin) {
        (Some(ms), None) => c
            .get("mediastore.container", ms.container)
            .map(|container| Origin::MediaStore { container }),
        (None, Some(s3)) => c
            .get("s3_origin.bucket", s3.bucket)
            .map(|bucket| Origin::S3 { bucket }),
        (Some(_), Some(_)) => {
            c.push(
                "origin",
                "mediastore and s3_origin",
                "choose exactly one origin: s3_origin (recommended) or mediastore",
            );
            None
        }
        (None, None) => {
            c.push("origin", "", "an origin is required: s3_origin (recommended) or mediastore (discontinued by AWS on 2025-11-13)");
            None
        }
    };

    // CloudFront.
    let cloudfront = cloudfront(&mut c, spec.cloudfront, name.as_ref(), origin.as_ref());

    // Cross-field rules.
    let output = output_location(
        &mut c,
        origin.as_ref(),
        output_bucket,
        output_prefix,
        cloudfront.as_ref(),
    );
    if let (Some(Origin::S3 { bucket }), Some(src)) = (origin.as_ref(), src_bucket.as_ref())
        && bucket == src
    {
        c.push(
            "s3_origin.bucket",
            bucket.as_str(),
            "must differ from source.bucket: CloudFront may read everything in the origin bucket, and the mezzanine files must stay private",
        );
    }
    if let (
        Some(src),
        Some(src_prefix),
        Some((out_bucket, out_prefix)),
        Some(Origin::MediaStore { .. }),
    ) = (
        src_bucket.as_ref(),
        src_prefix.as_ref(),
        output.as_ref(),
        origin.as_ref(),
    ) && src == out_bucket
        && (src_prefix.as_str().starts_with(out_prefix.as_str())
            || out_prefix.as_str().starts_with(src_prefix.as_str()))
    {
        c.push(
            "transcode.output_prefix",
            out_prefix.as_str(),
            format!(
                "the output bucket is the source bucket, so the output prefix and source.prefix ({:?}) must not contain one another",
                src_prefix.as_str()
            ),
        );
    }
    let assets = assets(
        &mut c,
        &files,
        base_dir,
        src_prefix.as_ref(),
        origin.as_ref(),
        captions.as_ref().and_then(Option::as_ref),
    );

    if !c.violations.is_empty() {
        // Report in the order of the spec file's sections; within a section, in the order found.
        c.violations.sort_by_key(|v| section_rank(&v.field));
        return Err(Error::Invalid(Violations(c.violations)));
    }
    // Every Option below is Some when no violation was recorded; the match keeps that without panicking.
    let (
        Some(name),
        Some(region),
        Some(bucket),
        Some(prefix),
        Some(role_arn),
        Some(segment_length),
        Some(gop_length),
        Some(segment_lengths),
        Some(fragment_length),
        Some(abr_ladder),
        Some(audio),
        Some(captions),
        Some(thumbnails),
        Some(job),
        Some(origin),
        Some(cloudfront),
        Some((output_bucket, output_prefix)),
        Some(assets),
    ) = (
        name,
        region,
        src_bucket,
        src_prefix,
        role_arn,
        segment_length,
        gop_length,
        segment_lengths,
        fragment_length,
        abr_ladder,
        audio,
        captions.map_or(Some(None), |c| c.map(Some)),
        thumbnails.map_or(Some(None), |t| t.map(Some)),
        job,
        origin,
        cloudfront,
        output,
        assets,
    )
    else {
        return Err(Error::Invalid(Violations(vec![Violation {
            field: "pipeline".into(),
            value: String::new(),
            rule: "internal: a value was rejected without a reason; please report this".into(),
        }])));
    };
    Ok(VodPipeline {
        name,
        region,
        source: Source { bucket, prefix },
        transcode: Transcode {
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
        },
        origin,
        cloudfront,
        assets,
    })
}

fn section_rank(field: &str) -> usize {
    const ORDER: [&str; 8] = [
        "name",
        "region",
        "source",
        "transcode",
        "origin",
        "mediastore",
        "s3_origin",
        "cloudfront",
    ];
    let head = field.split(['.', '[']).next().unwrap_or(field);
    ORDER.iter().position(|s| *s == head).unwrap_or(ORDER.len())
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

fn audio(c: &mut Collector, given: Vec<crate::input::AudioSpec>) -> Option<Vec<AudioRendition>> {
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

fn captions(c: &mut Collector, s: crate::input::CaptionsSpec) -> Option<Captions> {
    let format = c.opt("transcode.captions.format", s.format);
    let language = c.opt("transcode.captions.language", s.language);
    Some(Captions {
        format: format?.unwrap_or(CaptionFormat::Srt),
        language: language?.unwrap_or_else(|| "ENG".parse().expect("ENG is a language code")),
    })
}

fn thumbnails(c: &mut Collector, s: crate::input::ThumbnailsSpec) -> Option<Thumbnails> {
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

/// The job options of a [`crate::input::TranscodeSpec`].
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

fn cloudfront(
    c: &mut Collector,
    s: crate::input::CloudFrontSpec,
    name: Option<&PipelineName>,
    origin: Option<&Origin>,
) -> Option<CloudFront> {
    let before = c.violations.len();
    let comment = match s.comment {
        Some(cm) if cm.chars().count() > MAX_COMMENT => {
            c.push("cloudfront.comment", cm, "a distribution comment is at most 128 characters (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html)");
            String::new()
        }
        Some(cm) => cm,
        None => name
            .map(|n| format!("{n} on-demand video"))
            .unwrap_or_default(),
    };
    let origin_path = c
        .opt("cloudfront.origin_path", s.origin_path)
        .map(Option::unwrap_or_default);
    if let (Some(Origin::MediaStore { .. }), Some(p)) = (origin, origin_path.as_ref()) {
        for seg in p.segments() {
            if let Err(rule) = mediastore_folder_rule(seg) {
                c.push(
                    "cloudfront.origin_path",
                    p.as_str(),
                    format!("with a MediaStore origin, folder {seg:?} {rule}"),
                );
            }
        }
    }

    let headers = custom_headers(c, s.origin_custom_headers);

    let mode = c.opt("cloudfront.object_caching", s.object_caching);
    let min = c.opt("cloudfront.min_ttl", s.min_ttl);
    let default = c.opt("cloudfront.default_ttl", s.default_ttl);
    let max = c.opt("cloudfront.max_ttl", s.max_ttl);
    let object_caching = match (mode, min, default, max) {
        (Some(mode), Some(min), Some(default), Some(max)) => {
            let any_ttl = min.is_some() || default.is_some() || max.is_some();
            match mode.unwrap_or(if any_ttl {
                ObjectCachingMode::Customize
            } else {
                ObjectCachingMode::OriginCacheHeaders
            }) {
                ObjectCachingMode::OriginCacheHeaders => {
                    for (f, v) in [("min_ttl", min), ("default_ttl", default), ("max_ttl", max)] {
                        if let Some(v) = v {
                            c.push(
                                format!("cloudfront.{f}"),
                                v.to_string(),
                                "TTLs are only used with object_caching = \"customize\"; with \"origin-cache-headers\" the origin's Cache-Control decides",
                            );
                        }
                    }
                    Some(ObjectCaching::OriginCacheHeaders)
                }
                ObjectCachingMode::Customize => {
                    let min = min.unwrap_or(Ttl::DEFAULT_MIN);
                    let max = max.unwrap_or(Ttl::DEFAULT_MAX);
                    // CloudFront: when MinTTL is above the 1-day default, DefaultTTL defaults to MinTTL.
                    let default = default.unwrap_or(if min > Ttl::DEFAULT_DEFAULT {
                        min
                    } else {
                        Ttl::DEFAULT_DEFAULT
                    });
                    const PAGE: &str = "(https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html)";
                    if min > default {
                        c.push("cloudfront.min_ttl", min.to_string(), format!("must be at most default_ttl ({default}): CloudFront requires min <= default <= max {PAGE}"));
                    }
                    if default > max {
                        c.push("cloudfront.max_ttl", max.to_string(), format!("must be at least default_ttl ({default}): CloudFront requires min <= default <= max {PAGE}"));
                    }
                    Some(ObjectCaching::Customize { min, default, max })
                }
            }
        }
        _ => None,
    };
    let error_ttl = c
        .opt("cloudfront.error_caching_min_ttl", s.error_caching_min_ttl)
        .map(|t| t.unwrap_or(Ttl::DEFAULT_ERROR_CACHING));

    let mut cors = Vec::new();
    for (i, o) in s.cors_allowed_origins.into_iter().enumerate() {
        let field = format!("cloudfront.cors_allowed_origins[{i}]");
        if let Some(o) = c.get(&field, o) {
            if cors.contains(&o) {
                c.push(field, o.as_str(), "each origin may be listed once");
            } else {
                cors.push(o);
            }
        }
    }
    if cors.len() > MAX_CORS_ORIGINS {
        c.push("cloudfront.cors_allowed_origins", format!("{} origins", cors.len()), "at most 100 allowed origins (https://docs.aws.amazon.com/mediastore/latest/apireference/API_CorsRule.html)");
    }
    if cors.len() > 1 && cors.iter().any(CorsOrigin::is_any) {
        c.push(
            "cloudfront.cors_allowed_origins",
            "*",
            "\"*\" already allows every origin: list it alone",
        );
    }

    let cache_settings = c
        .opt("cloudfront.cache_settings", s.cache_settings)
        .map(Option::unwrap_or_default);
    let price_class = c
        .opt("cloudfront.price_class", s.price_class)
        .map(Option::unwrap_or_default);
    let vpp = c
        .opt(
            "cloudfront.viewer_protocol_policy",
            s.viewer_protocol_policy,
        )
        .map(Option::unwrap_or_default);
    let http_version = c
        .opt("cloudfront.http_version", s.http_version)
        .map(Option::unwrap_or_default);
    let mut aliases = Vec::new();
    for (i, a) in s.aliases.into_iter().enumerate() {
        let field = format!("cloudfront.aliases[{i}]");
        if let Some(a) = c.get(&field, a) {
            if aliases.contains(&a) {
                c.push(field, a.as_str(), "each alias may be listed once");
            } else {
                aliases.push(a);
            }
        }
    }
    if aliases.len() > MAX_ALIASES {
        c.push("cloudfront.aliases", format!("{} aliases", aliases.len()), "at most 100 alternate domain names per distribution (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html)");
    }
    let cert = c.opt("cloudfront.acm_certificate_arn", s.acm_certificate_arn);
    match (&cert, aliases.is_empty()) {
        (Some(None), false) => c.push(
            "cloudfront.acm_certificate_arn",
            "",
            "alternate domain names need an ACM certificate (in us-east-1) that covers them (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html)",
        ),
        (Some(Some(arn)), true) => c.push("cloudfront.acm_certificate_arn", arn.as_str(), "a certificate is only used with aliases: add the alternate domain names it covers"),
        _ => {}
    }

    if c.violations.len() > before {
        return None;
    }
    Some(CloudFront {
        comment,
        origin_path: origin_path?,
        custom_headers: headers?,
        object_caching: object_caching?,
        error_caching_min_ttl: error_ttl?,
        cors_allowed_origins: cors,
        cache_settings: cache_settings?,
        price_class: price_class?,
        viewer_protocol_policy: vpp?,
        http_version: http_version?,
        aliases,
        acm_certificate_arn: cert?,
        enabled: s.enabled.unwrap_or(true),
    })
}

fn custom_headers(
    c: &mut Collector,
    given: Vec<(String, crate::secret::Secret)>,
) -> Option<Vec<CustomHeader>> {
    const LIMITS: &str =
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html";
    let before = c.violations.len();
    let mut out: Vec<CustomHeader> = Vec::new();
    let mut seen = HashSet::new();
    let mut total = 0usize;
    for (name, value) in given {
        let field = format!("cloudfront.origin_custom_headers.{name}");
        total += name.len() + value.len();
        let Some(hn) = c.get::<HeaderName>(&field, Input::Text(name.clone())) else {
            continue;
        };
        if !seen.insert(name.to_ascii_lowercase()) {
            c.push(
                field,
                name,
                "each header may be set once (names compare without regard to case)",
            );
            continue;
        }
        match CustomHeader::new(hn, value) {
            Ok(h) => out.push(h),
            Err(e) => c.invalid(field, e),
        }
    }
    if seen.len() > MAX_CUSTOM_HEADERS {
        c.push(
            "cloudfront.origin_custom_headers",
            format!("{} headers", seen.len()),
            format!("CloudFront allows at most 10 origin custom headers per origin ({LIMITS})"),
        );
    }
    if total > MAX_CUSTOM_HEADERS_TOTAL_LEN {
        c.push(
            "cloudfront.origin_custom_headers",
            format!("{total} characters"),
            format!("the names and values of all origin custom headers together are at most 10240 characters ({LIMITS})"),
        );
    }
    (c.violations.len() == before).then_some(out)
}

/// Where MediaConvert writes: (bucket, prefix).
fn output_location(
    c: &mut Collector,
    origin: Option<&Origin>,
    bucket: Option<Option<BucketName>>,
    prefix: Option<Option<KeyPrefix>>,
    cloudfront: Option<&CloudFront>,
) -> Option<(BucketName, KeyPrefix)> {
    let (bucket, prefix) = (bucket?, prefix?);
    match origin? {
        Origin::MediaStore { .. } => match bucket {
            Some(b) => Some((b, prefix.unwrap_or_default())),
            None => {
                c.push("transcode.output_bucket", "", "required with a MediaStore origin: MediaConvert writes only to S3, and the packaged output is copied from there into the container");
                None
            }
        },
        Origin::S3 {
            bucket: origin_bucket,
        } => {
            if let Some(b) = &bucket
                && b != origin_bucket
            {
                c.push("transcode.output_bucket", b.as_str(), format!("with an S3 origin MediaConvert writes into the origin bucket ({origin_bucket}); leave output_bucket out or set it to that bucket"));
            }
            if let Some(p) = &prefix {
                c.push("transcode.output_prefix", p.as_str(), "with an S3 origin the output goes under cloudfront.origin_path; leave output_prefix out");
            }
            let prefix = KeyPrefix::from_str(&cloudfront?.origin_path.as_key_prefix()).ok()?;
            Some((origin_bucket.clone(), prefix))
        }
    }
}

fn assets(
    c: &mut Collector,
    files: &[PathBuf],
    base_dir: Option<&Path>,
    prefix: Option<&KeyPrefix>,
    origin: Option<&Origin>,
    captions: Option<&Captions>,
) -> Option<Vec<Asset>> {
    let before = c.violations.len();
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (i, f) in files.iter().enumerate() {
        let field = format!("source.files[{i}]");
        let shown = f.display().to_string();
        let path = match base_dir {
            Some(d) if f.is_relative() => d.join(f),
            _ => f.clone(),
        };
        let (Some(file_name), Some(stem)) = (
            f.file_name().and_then(|n| n.to_str()),
            f.file_stem().and_then(|n| n.to_str()),
        ) else {
            c.push(field, shown, "must be a path to a file with a UTF-8 name");
            continue;
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                c.push(
                    field,
                    shown,
                    format!("{} is not a regular file", path.display()),
                );
                continue;
            }
            Err(e) => {
                c.push(field, shown, format!("cannot read {}: {e}", path.display()));
                continue;
            }
        }
        let id_ok = !stem.is_empty()
            && stem.len() <= 255
            && stem.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && stem
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch));
        if !id_ok {
            c.push(field, shown, "the file name without extension names the asset's folder and URL: use letters, digits and - . _ ~, starting with a letter or digit");
            continue;
        }
        if let Some(Origin::MediaStore { .. }) = origin
            && let Err(rule) = mediastore_folder_rule(stem)
        {
            c.push(
                field,
                shown,
                format!("with a MediaStore origin the asset folder {stem:?} {rule}"),
            );
            continue;
        }
        if !ids.insert(stem.to_owned()) {
            c.push(field, shown, format!("another file already gives the asset id {stem:?}: asset ids (file names without extension) must be unique"));
            continue;
        }
        let source_key = prefix
            .map(|p| p.join(file_name))
            .unwrap_or_else(|| file_name.to_owned());
        if source_key.len() > KeyPrefix::MAX_KEY_BYTES {
            c.push(
                field,
                shown,
                "the S3 key (source.prefix + file name) is over 1024 bytes",
            );
            continue;
        }
        let (caption_file, caption_key) = match captions {
            None => (None, None),
            Some(cap) => {
                let name = format!("{stem}.{}", cap.format.extension());
                let file = path.with_file_name(&name);
                if !file.is_file() {
                    c.push(
                        field,
                        shown,
                        format!(
                            "captions are on ({}), so the sidecar {} must exist beside the source file",
                            cap.format,
                            file.display()
                        ),
                    );
                    continue;
                }
                let key = prefix.map(|p| p.join(&name)).unwrap_or(name);
                (Some(file), Some(key))
            }
        };
        out.push(Asset {
            id: stem.to_owned(),
            file: path,
            source_key,
            caption_file,
            caption_key,
        });
    }
    (c.violations.len() == before).then_some(out)
}

/// MediaStore folder-name rules (<https://docs.aws.amazon.com/mediastore/latest/ug/folders-rules-for-names.html>):
/// 3 to 63 characters of letters, digits, `.`, `-` and `~`; starting with a letter or digit; not ending
/// with `-`; no `..`, `-.` or `.-`; not formatted as an IP address.
pub(crate) fn mediastore_folder_rule(s: &str) -> Result<(), &'static str> {
    const RULE: &str = "must be a MediaStore folder name: 3 to 63 letters, digits, '.', '-' and '~', starting with a letter or digit, not ending with '-', with no '..', '-.' or '.-' and not an IP address (https://docs.aws.amazon.com/mediastore/latest/ug/folders-rules-for-names.html)";
    let ok = (3..=63).contains(&s.len())
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ".-~".contains(ch))
        && s.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && !s.ends_with('-')
        && !s.contains("..")
        && !s.contains("-.")
        && !s.contains(".-")
        && s.parse::<std::net::Ipv4Addr>().is_err();
    if ok { Ok(()) } else { Err(RULE) }
}

#[cfg(test)]
mod tests {
    use super::mediastore_folder_rule as rule;

    #[test]
    fn mediastore_folder_names() {
        assert!(rule("vod").is_ok());
        assert!(rule("sample").is_ok());
        assert!(rule(&"a".repeat(63)).is_ok());
        assert!(rule(&"a".repeat(64)).is_err());
        assert!(rule("ab").is_err());
        assert!(rule("a_b").is_err());
        assert!(rule("-ab").is_err());
        assert!(rule("ab-").is_err());
        assert!(rule("a..b").is_err());
        assert!(rule("a-.b").is_err());
        assert!(rule("a.-b").is_err());
        assert!(rule("10.0.0.1").is_err());
        assert!(rule("v1.2~x").is_ok());
    }
}
