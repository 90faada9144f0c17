//! Turns MediaConvert job settings (the camelCase JSON the API receives) into an encoding plan.
//!
//! Two kinds of problems are told apart:
//! - [`PlanError::BadRequest`]: settings that MediaConvert itself rejects at CreateJob (missing required members,
//!   values outside an enum, combinations it forbids). CreateJob answers `BadRequestException`.
//! - [`PlanError::Unsupported`]: settings MediaConvert accepts but this emulator does not emulate. The job is
//!   accepted and ends in `ERROR` (code 1040) with a message naming the setting.
use serde_json::Value;

/// Why a job's settings cannot be planned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlanError {
    /// Rejected at CreateJob with `BadRequestException`.
    BadRequest(String),
    /// Accepted, but the job ends in ERROR 1040.
    Unsupported(String),
}

fn bad(msg: impl Into<String>) -> PlanError {
    PlanError::BadRequest(msg.into())
}
fn unsupported(msg: impl Into<String>) -> PlanError {
    PlanError::Unsupported(msg.into())
}

/// The whole job.
#[derive(Debug, Clone)]
pub(crate) struct JobPlan {
    pub input: InputPlan,
    /// `inputs[1..]`: stitched after the first, in order.
    pub extra_inputs: Vec<InputPlan>,
    pub groups: Vec<GroupPlan>,
}

/// One input.
#[derive(Debug, Clone)]
pub(crate) struct InputPlan {
    pub uri: String,
    pub bucket: String,
    pub key: String,
    /// File name without directory and extension: the default base name of every output.
    pub base_name: String,
    /// `inputClippings[0]` as (start, end) timecodes `HH:MM:SS:FF`.
    pub clip_start: Option<String>,
    pub clip_end: Option<String>,
    /// Sidecar captions (selector name, s3 uri, source type SRT/WEBVTT).
    pub captions: Vec<CaptionSource>,
}

/// A sidecar caption file named by a caption selector.
#[derive(Debug, Clone)]
pub(crate) struct CaptionSource {
    pub selector: String,
    pub uri: String,
    pub bucket: String,
    pub key: String,
    pub language: Option<String>,
    /// `fileSourceSettings.timeDelta` in seconds (added to every cue).
    pub time_delta: f64,
}

/// Output group kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Hls,
    Dash,
    Cmaf,
    File,
}

impl GroupKind {
    pub fn type_name(self) -> &'static str {
        match self {
            GroupKind::Hls => "HLS_GROUP_SETTINGS",
            GroupKind::Dash => "DASH_ISO_GROUP_SETTINGS",
            GroupKind::Cmaf => "CMAF_GROUP_SETTINGS",
            GroupKind::File => "FILE_GROUP_SETTINGS",
        }
    }
}

/// One output group.
#[derive(Debug, Clone)]
pub(crate) struct GroupPlan {
    pub kind: GroupKind,
    pub index: usize,
    pub dest_bucket: String,
    /// Key prefix (empty or ending with `/`).
    pub dest_dir: String,
    /// Base file name from the destination, or the input's base name.
    pub base_name: String,
    /// Segment length in seconds (HLS/DASH/CMAF).
    pub segment_length: f64,
    /// Fragment length in seconds (DASH/CMAF `fragmentLength`, default 2): a fragment ends at the first
    /// keyframe at least this long after it started.
    pub fragment_length: f64,
    /// `segmentControl: SINGLE_FILE`.
    pub single_file: bool,
    /// `manifestDurationFormat: INTEGER`.
    pub integer_durations: bool,
    /// `minBufferTime` in ms (DASH/CMAF).
    pub min_buffer_time_ms: u64,
    pub write_hls: bool,
    pub write_dash: bool,
    /// `mpdProfile: ON_DEMAND_PROFILE` (signalled in the MPD).
    pub on_demand_profile: bool,
    /// `captionSegmentLengthControl: MATCH_VIDEO` (HLS), else 300 s caption segments.
    pub caption_match_video: bool,
    /// `streamInfResolution` (HLS/CMAF), default INCLUDE.
    pub stream_inf_resolution: bool,
    pub outputs: Vec<OutputPlan>,
}

/// One output of a group.
#[derive(Debug, Clone)]
pub(crate) struct OutputPlan {
    pub index: usize,
    pub name_modifier: String,
    /// `extension` override, without dot.
    pub extension: Option<String>,
    /// ContainerType (M3U8, MPD, CMFC, MP4, MOV, M2TS, RAW).
    pub container: String,
    pub video: Option<VideoPlan>,
    pub audio: Option<AudioPlan>,
    pub frame_capture: Option<FrameCapturePlan>,
    /// WebVTT caption output (sidecar) from this caption selector.
    pub caption: Option<CaptionOutputPlan>,
    /// HLS: `outputSettings.hlsSettings.audioGroupId` (default `program_audio`).
    pub audio_group_id: String,
    /// HLS: `audioRenditionSets` (default `program_audio`).
    pub audio_rendition_sets: String,
    /// HLS: `segmentModifier`, between the name modifier and the segment number.
    pub segment_modifier: String,
    /// HLS: `audioOnlyContainer` (AUTOMATIC: raw audio segments; M2TS).
    pub audio_only_container: Option<String>,
    /// HLS/CMAF: `audioTrackType`; `AUDIO_ONLY_VARIANT_STREAM` makes an audio-only output a variant
    /// stream of the master playlist instead of an `EXT-X-MEDIA` rendition.
    pub audio_track_type: Option<String>,
}

/// Video codecs this emulator encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VideoCodec {
    H264,
    H265,
}

/// Video encoding parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VideoPlan {
    pub codec: VideoCodec,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub scaling: String,
    /// QVBR, CBR or VBR.
    pub rate_control: String,
    pub bitrate: Option<u64>,
    pub max_bitrate: Option<u64>,
    pub qvbr_level: Option<u32>,
    pub buffer_size: Option<u64>,
    pub gop_size: Option<f64>,
    /// FRAMES, SECONDS or AUTO.
    pub gop_units: String,
    /// `framerateControl: SPECIFIED` numerator/denominator.
    pub framerate: Option<(u32, u32)>,
    /// x264/x265 profile name (baseline, main, high...).
    pub profile: Option<String>,
    /// e.g. `3.1`.
    pub level: Option<String>,
    pub b_frames: Option<u32>,
    pub scene_change_detect: bool,
}

/// Audio codecs this emulator encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AudioCodec {
    Aac,
    Mp3,
    Ac3,
    Eac3,
}

/// Audio encoding parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AudioPlan {
    pub codec: AudioCodec,
    pub bitrate: u64,
    pub sample_rate: u32,
    pub channels: u32,
    /// HE-AAC (HEV1/HEV2) requested: the emulator encodes AAC-LC and says so in the job's warnings.
    pub profile_note: Option<String>,
    pub language: Option<String>,
    pub stream_name: Option<String>,
}

/// FRAME_CAPTURE parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrameCapturePlan {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fps: (u32, u32),
    pub max_captures: Option<u32>,
    pub quality: u32,
}

/// A WebVTT caption output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaptionOutputPlan {
    pub selector: String,
    pub language: Option<String>,
    pub description: Option<String>,
}

const VIDEO_CODECS: &[&str] = &[
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
const AUDIO_CODECS: &[&str] = &[
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
const CONTAINERS: &[&str] = &[
    "F4V", "GIF", "ISMV", "M2TS", "M3U8", "CMFC", "MOV", "MP4", "MPD", "MXF", "OGG", "WEBM", "RAW",
    "Y4M",
];
const GROUP_TYPES: &[&str] = &[
    "HLS_GROUP_SETTINGS",
    "DASH_ISO_GROUP_SETTINGS",
    "FILE_GROUP_SETTINGS",
    "MS_SMOOTH_GROUP_SETTINGS",
    "CMAF_GROUP_SETTINGS",
];

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}
fn n(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}
fn u(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(|x| {
        x.as_u64()
            .or_else(|| x.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
    })
}

/// Splits `s3://bucket/key` into bucket and key.
pub(crate) fn parse_s3_uri(uri: &str) -> Option<(String, String)> {
    let rest = uri
        .strip_prefix("s3://")
        .or_else(|| uri.strip_prefix("s3ssl://"))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    Some((bucket.to_string(), key.to_string()))
}

/// Splits a destination `s3://bucket/dir/base` into (bucket, `dir/`, Some(base)); a trailing `/` means no base.
pub(crate) fn parse_destination(uri: &str) -> Option<(String, String, Option<String>)> {
    let (bucket, key) = parse_s3_uri(uri)?;
    if key.is_empty() || key.ends_with('/') {
        return Some((bucket, key, None));
    }
    match key.rsplit_once('/') {
        Some((dir, base)) => Some((bucket, format!("{dir}/"), Some(base.to_string()))),
        None => Some((bucket, String::new(), Some(key))),
    }
}

/// `dir/sample.mp4` -> `sample`.
pub(crate) fn base_name_of(key: &str) -> String {
    let file = key.rsplit('/').next().unwrap_or(key);
    match file.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => file.to_string(),
    }
}

/// Builds the plan for merged job settings.
pub(crate) fn plan_job(settings: &Value) -> Result<JobPlan, PlanError> {
    let inputs = settings
        .get("inputs")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let Some(inputs) = inputs else {
        return Err(bad("/settings/inputs: Should have at least 1 items"));
    };
    for (i, input) in inputs.iter().enumerate() {
        if input.get("fileInput").and_then(Value::as_str).is_none()
            && input.get("videoGenerator").is_none()
        {
            return Err(bad(format!("/settings/inputs/{i}/fileInput: Required")));
        }
    }
    let groups_json = settings
        .get("outputGroups")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let Some(groups_json) = groups_json else {
        return Err(bad("/settings/outputGroups: Should have at least 1 items"));
    };
    // Validate everything MediaConvert validates before deciding what is unsupported here.
    let mut first_unsupported: Option<PlanError> = None;
    let mut note = |e: PlanError| -> Result<(), PlanError> {
        match e {
            PlanError::BadRequest(_) => Err(e),
            PlanError::Unsupported(_) => {
                first_unsupported.get_or_insert(e);
                Ok(())
            }
        }
    };
    let input = match plan_input(&inputs[0]) {
        Ok(i) => Some(i),
        Err(e) => {
            note(e)?;
            None
        }
    };
    let mut extra_inputs = Vec::new();
    for (i, extra) in inputs.iter().enumerate().skip(1) {
        match plan_input(extra) {
            Ok(p) if !p.captions.is_empty() => note(unsupported(format!(
                "settings.inputs[{i}].captionSelectors: captions with several (stitched) inputs are not emulated"
            )))?,
            Ok(p) => extra_inputs.push(p),
            Err(e) => note(e)?,
        }
    }
    if inputs.len() > 1 && input.as_ref().is_some_and(|i| !i.captions.is_empty()) {
        note(unsupported(
            "settings.inputs[0].captionSelectors: captions with several (stitched) inputs are not emulated",
        ))?;
    }
    let base_name = input
        .as_ref()
        .map(|i| i.base_name.clone())
        .unwrap_or_else(|| "output".into());
    let mut groups = Vec::new();
    for (gi, g) in groups_json.iter().enumerate() {
        match plan_group(gi, g, &base_name, input.as_ref()) {
            Ok(p) => groups.push(p),
            Err(e) => note(e)?,
        }
    }
    if let Some(e) = first_unsupported {
        return Err(e);
    }
    let input = input.expect("input planned when nothing failed");
    Ok(JobPlan {
        input,
        extra_inputs,
        groups,
    })
}

fn plan_input(input: &Value) -> Result<InputPlan, PlanError> {
    let Some(uri) = s(input, "fileInput") else {
        return Err(unsupported(
            "settings.inputs[0].videoGenerator: generated inputs are not emulated",
        ));
    };
    if uri.starts_with("https://") || uri.starts_with("http://") {
        return Err(unsupported(format!(
            "settings.inputs[0].fileInput [{uri}]: only s3:// inputs are emulated (the emulator never fetches from the network)"
        )));
    }
    let Some((bucket, key)) = parse_s3_uri(uri).filter(|(_, k)| !k.is_empty()) else {
        return Err(bad(format!(
            "/settings/inputs/0/fileInput: Does not match pattern: {uri} is not an s3:// URI of an object"
        )));
    };
    let clip = input
        .get("inputClippings")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    let clip_start = clip.and_then(|c| s(c, "startTimecode")).map(str::to_string);
    let clip_end = clip.and_then(|c| s(c, "endTimecode")).map(str::to_string);
    for tc in clip_start.iter().chain(clip_end.iter()) {
        if parse_timecode(tc, 30.0).is_none() {
            return Err(bad(format!(
                "/settings/inputs/0/inputClippings/0: timecode {tc} does not match HH:MM:SS:FF"
            )));
        }
    }
    let mut captions = Vec::new();
    if let Some(sel) = input.get("captionSelectors").and_then(Value::as_object) {
        for (name, cs) in sel {
            let Some(src) = cs.get("sourceSettings") else {
                continue;
            };
            let ty = s(src, "sourceType").unwrap_or("");
            match ty {
                "SRT" | "WEBVTT" => {
                    let Some(file) = src
                        .get("fileSourceSettings")
                        .and_then(|f| s(f, "sourceFile"))
                    else {
                        return Err(bad(format!(
                            "/settings/inputs/0/captionSelectors/{name}/sourceSettings/fileSourceSettings/sourceFile: Required"
                        )));
                    };
                    let Some((b, k)) = parse_s3_uri(file).filter(|(_, k)| !k.is_empty()) else {
                        return Err(unsupported(format!(
                            "caption selector [{name}]: only s3:// sidecar caption files are emulated, got {file}"
                        )));
                    };
                    let fss = &src["fileSourceSettings"];
                    let delta = n(fss, "timeDelta").unwrap_or(0.0);
                    let time_delta = if s(fss, "timeDeltaUnits") == Some("MILLISECONDS") {
                        delta / 1000.0
                    } else {
                        delta
                    };
                    captions.push(CaptionSource {
                        time_delta,
                        selector: name.clone(),
                        uri: file.to_string(),
                        bucket: b,
                        key: k,
                        language: s(cs, "languageCode")
                            .or_else(|| s(cs, "customLanguageCode"))
                            .map(str::to_string),
                    });
                }
                other => {
                    return Err(unsupported(format!(
                        "caption selector [{name}]: sourceType {other} is not emulated (only sidecar SRT and WEBVTT)"
                    )));
                }
            }
        }
    }
    Ok(InputPlan {
        uri: uri.to_string(),
        base_name: base_name_of(&key),
        bucket,
        key,
        clip_start,
        clip_end,
        captions,
    })
}

/// `HH:MM:SS:FF` (or `HH:MM:SS;FF`) to seconds at `fps`.
pub(crate) fn parse_timecode(tc: &str, fps: f64) -> Option<f64> {
    let parts: Vec<&str> = tc.split([':', ';']).collect();
    if parts.len() != 4 {
        return None;
    }
    let v: Vec<u64> = parts
        .iter()
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    if v[1] >= 60 || v[2] >= 60 {
        return None;
    }
    Some((v[0] * 3600 + v[1] * 60 + v[2]) as f64 + v[3] as f64 / fps.max(1.0))
}

fn plan_group(
    gi: usize,
    g: &Value,
    input_base: &str,
    input: Option<&InputPlan>,
) -> Result<GroupPlan, PlanError> {
    let path = format!("/settings/outputGroups/{gi}");
    let Some(ogs) = g.get("outputGroupSettings") else {
        return Err(bad(format!("{path}/outputGroupSettings: Required")));
    };
    let ty =
        s(ogs, "type").ok_or_else(|| bad(format!("{path}/outputGroupSettings/type: Required")))?;
    if !GROUP_TYPES.contains(&ty) {
        return Err(bad(format!(
            "{path}/outputGroupSettings/type: Should be one of {GROUP_TYPES:?}"
        )));
    }
    let (kind, member) = match ty {
        "HLS_GROUP_SETTINGS" => (GroupKind::Hls, "hlsGroupSettings"),
        "DASH_ISO_GROUP_SETTINGS" => (GroupKind::Dash, "dashIsoGroupSettings"),
        "CMAF_GROUP_SETTINGS" => (GroupKind::Cmaf, "cmafGroupSettings"),
        "FILE_GROUP_SETTINGS" => (GroupKind::File, "fileGroupSettings"),
        _ => {
            return Err(unsupported(format!(
                "{path}: output group type {ty} is not emulated"
            )));
        }
    };
    let Some(gs) = ogs.get(member) else {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}: Required when type is {ty}"
        )));
    };
    let dest = s(gs, "destination").ok_or_else(|| {
        bad(format!(
            "{path}/outputGroupSettings/{member}/destination: Required"
        ))
    })?;
    let (dest_bucket, dest_dir, dest_base) = parse_destination(dest).ok_or_else(|| {
        bad(format!(
            "{path}/outputGroupSettings/{member}/destination: {dest} is not an s3:// URI"
        ))
    })?;
    let default_seg = match kind {
        GroupKind::Hls | GroupKind::Cmaf => 10.0,
        GroupKind::Dash => 30.0,
        GroupKind::File => 0.0,
    };
    let segment_length = n(gs, "segmentLength").unwrap_or(default_seg);
    if kind != GroupKind::File && segment_length < 1.0 {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/segmentLength: Should be >= 1"
        )));
    }
    let fragment_length = match kind {
        GroupKind::Dash | GroupKind::Cmaf => n(gs, "fragmentLength").unwrap_or(2.0),
        _ => segment_length,
    };
    if matches!(kind, GroupKind::Dash | GroupKind::Cmaf) && fragment_length < 1.0 {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/fragmentLength: Should be >= 1"
        )));
    }
    let single_file = s(gs, "segmentControl") == Some("SINGLE_FILE");
    let on_demand = s(gs, "mpdProfile") == Some("ON_DEMAND_PROFILE");
    if on_demand && !single_file {
        return Err(bad(format!(
            "{path}/outputGroupSettings/{member}/segmentControl: must be SINGLE_FILE when mpdProfile is ON_DEMAND_PROFILE"
        )));
    }
    for (k, what) in [
        ("encryption", "DRM encryption"),
        ("additionalManifests", "additional manifests"),
    ] {
        if gs
            .get(k)
            .is_some_and(|v| !v.is_null() && v != &Value::Array(vec![]))
        {
            return Err(unsupported(format!(
                "{path}/outputGroupSettings/{member}/{k}: {what} is not emulated"
            )));
        }
    }
    if let Some(itp) = s(gs, "imageBasedTrickPlay").filter(|v| *v != "NONE") {
        return Err(unsupported(format!(
            "{path}/outputGroupSettings/{member}/imageBasedTrickPlay: {itp} is not emulated"
        )));
    }
    if g.get("automatedEncodingSettings")
        .is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    {
        return Err(unsupported(format!(
            "{path}/automatedEncodingSettings: automated ABR is not emulated; give each output its size and bitrate"
        )));
    }
    let outputs_json = g
        .get("outputs")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty());
    let Some(outputs_json) = outputs_json else {
        return Err(bad(format!("{path}/outputs: Should have at least 1 items")));
    };
    let mut outputs = Vec::new();
    let mut modifiers = std::collections::HashSet::new();
    for (oi, o) in outputs_json.iter().enumerate() {
        let op = plan_output(&format!("{path}/outputs/{oi}"), oi, o, kind, input)?;
        // ffmpeg writes each output to a local file named from these: a '/' would point it outside the job's
        // work folder.
        for (member, value) in [
            ("nameModifier", op.name_modifier.as_str()),
            ("extension", op.extension.as_deref().unwrap_or("")),
        ] {
            if value.contains(['/', '\\', '\0']) {
                return Err(unsupported(format!(
                    "{path}/outputs/{oi}/{member}: [{value}] contains '/', '\\' or NUL, which the emulator does not support in output file names"
                )));
            }
        }
        if outputs_json.len() > 1 && op.name_modifier.is_empty() && kind != GroupKind::File {
            return Err(bad(format!(
                "{path}/outputs/{oi}/nameModifier: Required: outputs of a group with more than one output need a nameModifier"
            )));
        }
        if !modifiers.insert((
            op.name_modifier.clone(),
            op.extension.clone(),
            op.container.clone(),
        )) {
            return Err(bad(format!(
                "{path}/outputs/{oi}/nameModifier: Duplicate name modifier [{}] in output group",
                op.name_modifier
            )));
        }
        outputs.push(op);
    }
    let enabled = |k: &str| s(gs, k) != Some("DISABLED");
    Ok(GroupPlan {
        kind,
        index: gi,
        dest_bucket,
        dest_dir,
        base_name: dest_base.unwrap_or_else(|| input_base.to_string()),
        segment_length,
        fragment_length,
        single_file,
        integer_durations: s(gs, "manifestDurationFormat") == Some("INTEGER"),
        min_buffer_time_ms: u(gs, "minBufferTime").unwrap_or(30000),
        write_hls: (kind == GroupKind::Hls && s(gs, "outputSelection") != Some("SEGMENTS_ONLY"))
            || (kind == GroupKind::Cmaf && enabled("writeHlsManifest")),
        write_dash: kind == GroupKind::Dash
            || (kind == GroupKind::Cmaf && enabled("writeDashManifest")),
        on_demand_profile: on_demand,
        caption_match_video: s(gs, "captionSegmentLengthControl") == Some("MATCH_VIDEO"),
        stream_inf_resolution: s(gs, "streamInfResolution") != Some("EXCLUDE"),
        outputs,
    })
}

fn plan_output(
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
        if dt != "WEBVTT" {
            return Err(unsupported(format!(
                "{path}/captionDescriptions/0/destinationSettings/destinationType: {dt} is not emulated (WEBVTT is)"
            )));
        }
        if kind == GroupKind::File {
            return Err(unsupported(format!(
                "{path}/captionDescriptions: captions in file output groups are not emulated"
            )));
        }
        if video.is_some() || audio.is_some() {
            return Err(bad(format!(
                "{path}: WebVTT captions must be in their own output (no video or audio)"
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
            selector: selector.to_string(),
            language: s(cd, "languageCode")
                .or_else(|| s(cd, "customLanguageCode"))
                .map(str::to_string),
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

fn plan_video(
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

fn plan_audio(path: &str, ad: &Value) -> Result<AudioPlan, PlanError> {
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
        language: s(ad, "languageCode")
            .or_else(|| s(ad, "customLanguageCode"))
            .map(str::to_string),
        stream_name: s(ad, "streamName").map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hls_job() -> Value {
        json!({
            "inputs": [{"fileInput": "s3://in/videos/sample.mp4", "audioSelectors": {"Audio Selector 1": {"defaultSelection": "DEFAULT"}}}],
            "outputGroups": [{
                "name": "Apple HLS",
                "outputGroupSettings": {"type": "HLS_GROUP_SETTINGS", "hlsGroupSettings": {"destination": "s3://out/hls/", "segmentLength": 2, "minSegmentLength": 0}},
                "outputs": [
                    {"nameModifier": "_360p", "containerSettings": {"container": "M3U8"},
                     "videoDescription": {"width": 640, "height": 360, "codecSettings": {"codec": "H_264", "h264Settings": {"rateControlMode": "QVBR", "maxBitrate": 800000, "gopSize": 1, "gopSizeUnits": "SECONDS"}}},
                     "audioDescriptions": [{"codecSettings": {"codec": "AAC", "aacSettings": {"bitrate": 64000, "sampleRate": 48000, "codingMode": "CODING_MODE_2_0"}}}]},
                    {"nameModifier": "_180p",
                     "videoDescription": {"width": 320, "height": 180, "codecSettings": {"codec": "H_264", "h264Settings": {"rateControlMode": "CBR", "bitrate": 300000}}}}
                ]
            }]
        })
    }

    #[test]
    fn parses_an_hls_job() {
        let plan = plan_job(&hls_job()).unwrap();
        assert_eq!(plan.input.bucket, "in");
        assert_eq!(plan.input.key, "videos/sample.mp4");
        assert_eq!(plan.input.base_name, "sample");
        let g = &plan.groups[0];
        assert_eq!(g.kind, GroupKind::Hls);
        assert_eq!(
            (
                g.dest_bucket.as_str(),
                g.dest_dir.as_str(),
                g.base_name.as_str()
            ),
            ("out", "hls/", "sample")
        );
        assert_eq!(g.segment_length, 2.0);
        let v = g.outputs[0].video.as_ref().unwrap();
        assert_eq!(
            (v.width, v.height, v.rate_control.as_str(), v.max_bitrate),
            (Some(640), Some(360), "QVBR", Some(800000))
        );
        assert_eq!(v.gop_units, "SECONDS");
        let a = g.outputs[0].audio.as_ref().unwrap();
        assert_eq!((a.bitrate, a.sample_rate, a.channels), (64000, 48000, 2));
        assert_eq!(g.outputs[1].video.as_ref().unwrap().bitrate, Some(300000));
    }

    #[test]
    fn destinations_and_base_names() {
        assert_eq!(
            parse_destination("s3://b/p/"),
            Some(("b".into(), "p/".into(), None))
        );
        assert_eq!(
            parse_destination("s3://b/p/name"),
            Some(("b".into(), "p/".into(), Some("name".into())))
        );
        assert_eq!(
            parse_destination("s3://b"),
            Some(("b".into(), "".into(), None))
        );
        assert_eq!(
            parse_destination("s3://b/name"),
            Some(("b".into(), "".into(), Some("name".into())))
        );
        assert_eq!(parse_destination("https://b/x"), None);
        assert_eq!(base_name_of("a/b/my.clip.mov"), "my.clip");
        assert_eq!(base_name_of("noext"), "noext");
        let mut j = hls_job();
        j["outputGroups"][0]["outputGroupSettings"]["hlsGroupSettings"]["destination"] =
            json!("s3://out/hls/master");
        assert_eq!(plan_job(&j).unwrap().groups[0].base_name, "master");
    }

    #[test]
    fn output_names_cannot_leave_the_work_folder() {
        for (member, value) in [
            ("nameModifier", "/../../../../tmp/x"),
            ("nameModifier", "_a\\..\\b"),
            ("extension", "m3u8/../../y"),
        ] {
            let mut j = hls_job();
            j["outputGroups"][0]["outputs"][0][member] = json!(value);
            assert!(
                matches!(plan_job(&j), Err(PlanError::Unsupported(m)) if m.contains(member) && m.contains(value)),
                "{member} {value}"
            );
        }
        // Dots alone are a name, not a way out.
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][0]["nameModifier"] = json!("_..");
        assert!(plan_job(&j).is_ok());
    }

    #[test]
    fn bad_requests_are_told_apart_from_unsupported() {
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]["codec"] =
            json!("NOPE");
        assert!(matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("codec")));
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][0]["videoDescription"]["codecSettings"]["codec"] =
            json!("AV1");
        assert!(matches!(plan_job(&j), Err(PlanError::Unsupported(m)) if m.contains("AV1")));
        let mut j = hls_job();
        j["inputs"] = json!([{"fileInput": "s3://in/a.mp4"}, {"fileInput": "s3://in/b.mp4", "inputClippings": [{"startTimecode": "00:00:01:00"}]}]);
        let p = plan_job(&j).unwrap();
        assert_eq!(
            (
                p.input.key.as_str(),
                p.extra_inputs.len(),
                p.extra_inputs[0].clip_start.as_deref()
            ),
            ("a.mp4", 1, Some("00:00:01:00"))
        );
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][1]["nameModifier"] = json!("_360p");
        assert!(matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("Duplicate")));
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][1]
            .as_object_mut()
            .unwrap()
            .remove("nameModifier");
        assert!(
            matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("nameModifier"))
        );
        let mut j = hls_job();
        j["outputGroups"][0]["outputGroupSettings"]["type"] = json!("DASH_ISO_GROUP_SETTINGS");
        assert!(
            matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("dashIsoGroupSettings"))
        );
        let mut j = hls_job();
        j["outputGroups"][0]["outputs"][1]["videoDescription"]["codecSettings"]["h264Settings"] =
            json!({"rateControlMode": "VBR"});
        assert!(matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("bitrate")));
        assert!(matches!(
            plan_job(&json!({"outputGroups": []})),
            Err(PlanError::BadRequest(_))
        ));
    }

    #[test]
    fn dash_outputs_must_not_mux_audio_and_video() {
        let mut j = hls_job();
        j["outputGroups"][0]["outputGroupSettings"] = json!({"type": "DASH_ISO_GROUP_SETTINGS", "dashIsoGroupSettings": {"destination": "s3://out/dash/", "segmentLength": 2, "fragmentLength": 2}});
        for o in j["outputGroups"][0]["outputs"].as_array_mut().unwrap() {
            o["containerSettings"] = json!({"container": "MPD"});
        }
        assert!(matches!(plan_job(&j), Err(PlanError::BadRequest(m)) if m.contains("exactly one")));
        j["outputGroups"][0]["outputs"][0]
            .as_object_mut()
            .unwrap()
            .remove("audioDescriptions");
        let plan = plan_job(&j).unwrap();
        assert_eq!(plan.groups[0].kind, GroupKind::Dash);
        assert!(plan.groups[0].write_dash && !plan.groups[0].write_hls);
    }

    #[test]
    fn timecodes() {
        assert_eq!(parse_timecode("00:00:01:15", 30.0), Some(1.5));
        assert_eq!(parse_timecode("01:02:03:00", 25.0), Some(3723.0));
        assert_eq!(parse_timecode("00:61:00:00", 25.0), None);
        assert_eq!(parse_timecode("1:2", 25.0), None);
    }
}
