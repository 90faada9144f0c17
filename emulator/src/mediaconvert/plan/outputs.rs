//! Outputs of a group: container, video (codec, rate control, size), audio, captions and frame capture.

use super::*;

pub(super) const VIDEO_CODECS: &[&str] = &[
    "AV1",
    "AVC_INTRA",
    "FRAME_CAPTURE",
    "GIF",
    "H_264",
    "H_265",
    "MPEG2",
    "PASSTHROUGH",
    "PRORES",
    "UNCOMPRESSED",
    "VC3",
    "VP8",
    "VP9",
    "XAVC",
];
pub(super) const AUDIO_CODECS: &[&str] = &[
    "AAC",
    "MP2",
    "MP3",
    "WAV",
    "AIFF",
    "AC3",
    "AC4",
    "EAC3",
    "EAC3_ATMOS",
    "VORBIS",
    "OPUS",
    "PASSTHROUGH",
    "FLAC",
];
pub(super) const CONTAINERS: &[&str] = &[
    "F4V", "GIF", "ISMV", "M2TS", "M3U8", "CMFC", "MOV", "MP4", "MPD", "MXF", "OGG", "WEBM", "RAW",
    "Y4M",
];

pub(super) fn plan_output(
    path: &str,
    oi: usize,
    o: &Value,
    kind: GroupKind,
    input: Option<&InputPlan>,
) -> Result<OutputPlan, PlanError> {
    if let Some(p) = s(o, "preset") {
        return Err(unsupported(format!(
            "{path}/preset: presets ([{p}]) are not emulated; put the settings in the output"
        )));
    }
    let cs = o.get("containerSettings");
    let container = cs.and_then(|c| s(c, "container")).map(str::to_string);
    if let Some(c) = &container
        && !CONTAINERS.contains(&c.as_str())
    {
        return Err(bad(format!(
            "{path}/containerSettings/container: Should be one of {CONTAINERS:?}"
        )));
    }
    let has_captions = o
        .get("captionDescriptions")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let container = match (kind, container) {
        (GroupKind::Hls, None) => "M3U8".to_string(),
        (GroupKind::Hls, Some(c)) if c == "M3U8" || (c == "RAW" && has_captions) => c,
        (GroupKind::Hls, Some(c)) => {
            return Err(bad(format!(
                "{path}/containerSettings/container: {c} is not valid in an HLS output group (M3U8)"
            )));
        }
        (GroupKind::Dash, None) => "MPD".into(),
        (GroupKind::Dash, Some(c)) if c == "MPD" => c,
        (GroupKind::Dash, Some(c)) => {
            return Err(bad(format!(
                "{path}/containerSettings/container: {c} is not valid in a DASH ISO output group (MPD)"
            )));
        }
        (GroupKind::Cmaf, None) => "CMFC".into(),
        (GroupKind::Cmaf, Some(c)) if c == "CMFC" => c,
        (GroupKind::Cmaf, Some(c)) => {
            return Err(bad(format!(
                "{path}/containerSettings/container: {c} is not valid in a CMAF output group (CMFC)"
            )));
        }
        (GroupKind::File, None) => {
            return Err(bad(format!(
                "{path}/containerSettings/container: Required in a file output group"
            )));
        }
        (GroupKind::File, Some(c)) if matches!(c.as_str(), "MP4" | "MOV" | "M2TS" | "RAW") => c,
        (GroupKind::File, Some(c)) => {
            return Err(unsupported(format!(
                "{path}/containerSettings/container: {c} is not emulated (MP4, MOV, M2TS, RAW)"
            )));
        }
    };
    let name_modifier = s(o, "nameModifier").unwrap_or("").to_string();
    let extension = s(o, "extension")
        .map(|e| e.trim_start_matches('.').to_string())
        .filter(|e| !e.is_empty());

    let mut video = None;
    let mut frame_capture = None;
    if let Some(vd) = o.get("videoDescription") {
        let codec_settings = vd
            .get("codecSettings")
            .ok_or_else(|| bad(format!("{path}/videoDescription/codecSettings: Required")))?;
        let codec = s(codec_settings, "codec").ok_or_else(|| {
            bad(format!(
                "{path}/videoDescription/codecSettings/codec: Required"
            ))
        })?;
        if !VIDEO_CODECS.contains(&codec) {
            return Err(bad(format!(
                "{path}/videoDescription/codecSettings/codec: Should be one of {VIDEO_CODECS:?}"
            )));
        }
        let width = u(vd, "width").map(|w| w as u32);
        let height = u(vd, "height").map(|h| h as u32);
        for (k, v) in [("width", width), ("height", height)] {
            if let Some(v) = v
                && !(32..=8192).contains(&v)
            {
                return Err(bad(format!(
                    "{path}/videoDescription/{k}: Should be between 32 and 8192"
                )));
            }
        }
        if let (Some(w), Some(h)) = (width, height)
            && !crate::rules::fits_output_resolution(codec, w, h)
        {
            let (long, short) = crate::rules::MAX_OUTPUT_RESOLUTION
                .iter()
                .find(|(c, _)| *c == codec)
                .map_or((0, 0), |(_, r)| *r);
            return Err(bad(format!(
                "{path}/videoDescription: {w}x{h} is above the largest {codec} output resolution, {long}x{short} or {short}x{long}"
            )));
        }
        match codec {
            "H_264" | "H_265" => {
                if container == "RAW" {
                    return Err(bad(format!(
                        "{path}: {codec} video needs a container, not RAW"
                    )));
                }
                let (member, vc) = if codec == "H_264" {
                    ("h264Settings", VideoCodec::H264)
                } else {
                    ("h265Settings", VideoCodec::H265)
                };
                let st = codec_settings
                    .get(member)
                    .cloned()
                    .unwrap_or(Value::Object(Default::default()));
                video = Some(plan_video(
                    &format!("{path}/videoDescription/codecSettings/{member}"),
                    vc,
                    &st,
                    width,
                    height,
                    vd,
                )?);
            }
            "FRAME_CAPTURE" => {
                if kind != GroupKind::File || container != "RAW" {
                    return Err(bad(format!(
                        "{path}: FRAME_CAPTURE outputs must be in a file output group with container RAW"
                    )));
                }
                let fc = codec_settings
                    .get("frameCaptureSettings")
                    .cloned()
                    .unwrap_or_default();
                let num = u(&fc, "framerateNumerator").unwrap_or(1).max(1) as u32;
                let den = u(&fc, "framerateDenominator").unwrap_or(5).max(1) as u32;
                frame_capture = Some(FrameCapturePlan {
                    width,
                    height,
                    fps: (num, den),
                    max_captures: u(&fc, "maxCaptures").map(|m| m as u32),
                    quality: u(&fc, "quality").unwrap_or(80).clamp(1, 100) as u32,
                });
            }
            other => {
                return Err(unsupported(format!(
                    "{path}/videoDescription/codecSettings/codec: {other} is not emulated (H_264, H_265 and FRAME_CAPTURE are)"
                )));
            }
        }
    }
    let mut audio = None;
    if let Some(ads) = o
        .get("audioDescriptions")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        if ads.len() > 1 {
            return Err(unsupported(format!(
                "{path}/audioDescriptions: more than one audio track per output is not emulated"
            )));
        }
        audio = Some(plan_audio(&format!("{path}/audioDescriptions/0"), &ads[0])?);
    }
    let mut caption = None;
    if let Some(cds) = o
        .get("captionDescriptions")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    {
        if cds.len() > 1 {
            return Err(unsupported(format!(
                "{path}/captionDescriptions: more than one caption track per output is not emulated"
            )));
        }
        let cd = &cds[0];
        let selector = s(cd, "captionSelectorName").ok_or_else(|| {
            bad(format!(
                "{path}/captionDescriptions/0/captionSelectorName: Required"
            ))
        })?;
        let dt = cd
            .get("destinationSettings")
            .and_then(|d| s(d, "destinationType"))
            .unwrap_or("");
        let dt_path = format!("{path}/captionDescriptions/0/destinationSettings/destinationType");
        let format = match dt {
            "WEBVTT" => CaptionFormat::WebVtt,
            "IMSC" => CaptionFormat::Imsc,
            "TTML" => CaptionFormat::Ttml,
            _ => {
                return Err(unsupported(format!(
                    "{dt_path}: {dt} is not emulated (WEBVTT, IMSC and TTML are)"
                )));
            }
        };
        // Which formats a group takes from a sidecar source: MediaConvert's captions support tables.
        if !crate::rules::sidecar_caption_destination_allowed(kind.type_name(), dt) {
            let allowed = crate::rules::SIDECAR_CAPTION_DESTINATIONS
                .iter()
                .find(|(g, _)| *g == kind.type_name())
                .map_or(&[][..], |(_, d)| *d);
            return Err(bad(format!(
                "{dt_path}: {dt} captions from a sidecar source are not supported in a {} output group (supported: {}); see https://docs.aws.amazon.com/mediaconvert/latest/ug/sidecar-captions-support-tables-by-container-type.html",
                kind.type_name(),
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        if kind == GroupKind::Cmaf && format == CaptionFormat::Imsc {
            return Err(unsupported(format!(
                "{dt_path}: IMSC in CMAF (fragmented MP4 captions) is not emulated (WEBVTT is)"
            )));
        }
        if kind == GroupKind::Dash {
            let mpd_container = cs
                .and_then(|c| c.get("mpdSettings"))
                .and_then(|m| s(m, "captionContainerType"))
                .unwrap_or("RAW");
            if mpd_container != "RAW" {
                return Err(unsupported(format!(
                    "{path}/containerSettings/mpdSettings/captionContainerType: {mpd_container} is not emulated (RAW is)"
                )));
            }
        }
        if video.is_some() || audio.is_some() {
            return Err(bad(format!(
                "{path}: sidecar captions must be in their own output (no video or audio)"
            )));
        }
        if let Some(input) = input
            && !input.captions.iter().any(|c| c.selector == selector)
        {
            return Err(bad(format!(
                "{path}/captionDescriptions/0/captionSelectorName: no caption selector named [{selector}] in the input"
            )));
        }
        caption = Some(CaptionOutputPlan {
            format,
            selector: selector.to_string(),
            language: super::language(cd, &format!("{path}/captionDescriptions/0"))?,
            description: s(cd, "languageDescription").map(str::to_string),
        });
    }
    if video.is_none() && audio.is_none() && frame_capture.is_none() && caption.is_none() {
        return Err(bad(format!(
            "{path}: an output needs a videoDescription, audioDescriptions or captionDescriptions"
        )));
    }
    if matches!(kind, GroupKind::Dash | GroupKind::Cmaf) && video.is_some() && audio.is_some() {
        return Err(bad(format!(
            "{path}: outputs in {} groups must contain exactly one of video, audio or captions: put audio in its own output",
            kind.type_name()
        )));
    }
    let hls = o.get("outputSettings").and_then(|x| x.get("hlsSettings"));
    let cmfc = cs.and_then(|c| c.get("cmfcSettings"));
    let group_setting = |k: &str| {
        hls.and_then(|h| s(h, k))
            .or_else(|| cmfc.and_then(|c| s(c, k)))
            .map(str::to_string)
    };
    Ok(OutputPlan {
        index: oi,
        name_modifier,
        extension,
        container,
        video,
        audio,
        frame_capture,
        caption,
        audio_group_id: group_setting("audioGroupId").unwrap_or_else(|| "program_audio".into()),
        audio_rendition_sets: group_setting("audioRenditionSets")
            .unwrap_or_else(|| "program_audio".into()),
        segment_modifier: hls
            .and_then(|h| s(h, "segmentModifier"))
            .unwrap_or("")
            .to_string(),
        audio_only_container: hls
            .and_then(|h| s(h, "audioOnlyContainer"))
            .map(str::to_string),
        audio_track_type: group_setting("audioTrackType"),
    })
}

pub(super) fn plan_video(
    path: &str,
    codec: VideoCodec,
    st: &Value,
    width: Option<u32>,
    height: Option<u32>,
    vd: &Value,
) -> Result<VideoPlan, PlanError> {
    let rate_control = match s(st, "rateControlMode") {
        Some(m @ ("QVBR" | "CBR" | "VBR")) => m.to_string(),
        Some(other) => {
            return Err(bad(format!(
                "{path}/rateControlMode: {other} should be one of [VBR, CBR, QVBR]"
            )));
        }
        None if st.get("bitrate").is_some() => "CBR".into(),
        None => "QVBR".into(),
    };
    let bitrate = u(st, "bitrate");
    let max_bitrate = u(st, "maxBitrate");
    if matches!(rate_control.as_str(), "CBR" | "VBR") && bitrate.is_none() {
        return Err(bad(format!(
            "{path}/bitrate: Required when rateControlMode is {rate_control}"
        )));
    }
    if rate_control == "VBR"
        && let (Some(b), Some(m)) = (bitrate, max_bitrate)
        && m < b
    {
        return Err(bad(format!(
            "{path}/maxBitrate: Should be greater than or equal to bitrate for VBR"
        )));
    }
    let qvbr_level = st
        .get("qvbrSettings")
        .and_then(|q| u(q, "qvbrQualityLevel"))
        .map(|l| l as u32);
    if let Some(l) = qvbr_level
        && !(1..=10).contains(&l)
    {
        return Err(bad(format!(
            "{path}/qvbrSettings/qvbrQualityLevel: Should be between 1 and 10"
        )));
    }
    let gop_units = s(st, "gopSizeUnits").unwrap_or("FRAMES").to_string();
    if !matches!(gop_units.as_str(), "FRAMES" | "SECONDS" | "AUTO") {
        return Err(bad(format!(
            "{path}/gopSizeUnits: Should be one of [FRAMES, SECONDS, AUTO]"
        )));
    }
    let framerate = if s(st, "framerateControl") == Some("SPECIFIED") {
        match (u(st, "framerateNumerator"), u(st, "framerateDenominator")) {
            (Some(nu), Some(de)) if nu > 0 && de > 0 => Some((nu as u32, de as u32)),
            _ => {
                return Err(bad(format!(
                    "{path}/framerateNumerator: Required when framerateControl is SPECIFIED"
                )));
            }
        }
    } else {
        None
    };
    let profile = s(st, "codecProfile").map(|p| {
        match (codec, p) {
            (VideoCodec::H264, "BASELINE") => "baseline",
            (VideoCodec::H264, "MAIN") => "main",
            (VideoCodec::H264, "HIGH_10BIT") => "high10",
            (VideoCodec::H264, "HIGH_422" | "HIGH_422_10BIT") => "high422",
            (VideoCodec::H264, _) => "high",
            (VideoCodec::H265, p) if p.starts_with("MAIN10") => "main10",
            (VideoCodec::H265, _) => "main",
        }
        .to_string()
    });
    let level = s(st, "codecLevel")
        .filter(|l| *l != "AUTO")
        .map(|l| l.trim_start_matches("LEVEL_").replace('_', "."));
    let scaling = s(vd, "scalingBehavior").unwrap_or("DEFAULT").to_string();
    Ok(VideoPlan {
        codec,
        width,
        height,
        scaling,
        rate_control,
        bitrate,
        max_bitrate,
        qvbr_level,
        buffer_size: u(st, "hrdBufferSize").filter(|b| *b > 0),
        gop_size: n(st, "gopSize").filter(|g| *g > 0.0),
        gop_units,
        framerate,
        profile,
        level,
        b_frames: u(st, "numberBFramesBetweenReferenceFrames").map(|b| b as u32),
        scene_change_detect: s(st, "sceneChangeDetect") != Some("DISABLED"),
    })
}

pub(super) fn plan_audio(path: &str, ad: &Value) -> Result<AudioPlan, PlanError> {
    let cs = ad
        .get("codecSettings")
        .ok_or_else(|| bad(format!("{path}/codecSettings: Required")))?;
    let codec =
        s(cs, "codec").ok_or_else(|| bad(format!("{path}/codecSettings/codec: Required")))?;
    if !AUDIO_CODECS.contains(&codec) {
        return Err(bad(format!(
            "{path}/codecSettings/codec: Should be one of {AUDIO_CODECS:?}"
        )));
    }
    let (codec, member, default_bitrate) = match codec {
        "AAC" => (AudioCodec::Aac, "aacSettings", 96_000),
        "MP3" => (AudioCodec::Mp3, "mp3Settings", 128_000),
        "AC3" => (AudioCodec::Ac3, "ac3Settings", 384_000),
        "EAC3" => (AudioCodec::Eac3, "eac3Settings", 384_000),
        other => {
            return Err(unsupported(format!(
                "{path}/codecSettings/codec: {other} is not emulated (AAC, MP3, AC3, EAC3 are)"
            )));
        }
    };
    let st = cs.get(member).cloned().unwrap_or_default();
    let channels = match s(&st, "codingMode") {
        Some("CODING_MODE_1_0") => 1,
        Some("CODING_MODE_5_1" | "CODING_MODE_3_2_LFE") => 6,
        Some(_) | None => 2,
    };
    let channels = u(&st, "channels").map(|c| c as u32).unwrap_or(channels);
    let sample_rate = u(&st, "sampleRate").unwrap_or(48_000) as u32;
    if !(8_000..=96_000).contains(&sample_rate) {
        return Err(bad(format!(
            "{path}/codecSettings/{member}/sampleRate: Should be between 8000 and 96000"
        )));
    }
    let bitrate = u(&st, "bitrate").unwrap_or(default_bitrate);
    let lc_cbr = matches!(s(&st, "codecProfile"), None | Some("LC"))
        && matches!(s(&st, "rateControlMode"), None | Some("CBR"));
    if codec == AudioCodec::Aac
        && lc_cbr
        && let Some(mode) = s(&st, "codingMode").or(Some("CODING_MODE_2_0"))
        && let Some((false, allowed)) =
            crate::rules::aac_lc_bitrate_allowed(mode, sample_rate, bitrate)
    {
        return Err(bad(format!(
            "{path}/codecSettings/aacSettings/bitrate: {bitrate} is not an AAC-LC CBR bitrate for {mode} at {sample_rate} Hz; use one of {allowed:?}"
        )));
    }
    let profile_note = match s(&st, "codecProfile") {
        Some(p @ ("HEV1" | "HEV2" | "XHE")) => Some(format!(
            "AAC codecProfile {p} is encoded as AAC-LC by the emulator"
        )),
        _ => None,
    };
    Ok(AudioPlan {
        codec,
        bitrate,
        sample_rate,
        channels,
        profile_note,
        language: super::language(ad, path)?,
        stream_name: s(ad, "streamName").map(str::to_string),
    })
}
