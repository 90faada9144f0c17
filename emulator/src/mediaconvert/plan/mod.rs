//! Turns MediaConvert job settings (the camelCase JSON the API receives) into an encoding plan.
//!
//! Two kinds of problems are told apart:
//! - [`PlanError::BadRequest`]: settings that MediaConvert itself rejects at CreateJob (missing required members,
//!   values outside an enum, combinations it forbids). CreateJob answers `BadRequestException`.
//! - [`PlanError::Unsupported`]: settings MediaConvert accepts but this emulator does not emulate. The job is
//!   accepted and ends in `ERROR` (code 1040) with a message naming the setting.
mod groups;
mod input;
mod outputs;

use groups::plan_group;
pub(crate) use input::parse_timecode;
use input::plan_input;
use outputs::plan_output;

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
/// The `languageCode` (one of MediaConvert's `LanguageCode` values, else `BadRequestException`) or the free
/// `customLanguageCode` of a caption selector, caption description or audio description at `path`.
fn language(v: &Value, path: &str) -> Result<Option<String>, PlanError> {
    match v.get("languageCode").and_then(Value::as_str) {
        Some(code) if crate::rules::mediaconvert_language_codes().contains(&code) => {
            Ok(Some(code.to_string()))
        }
        Some(code) => Err(bad(format!(
            "{path}/languageCode: {code} is not a LanguageCode value (ISO 639-2/T, such as ENG, FRA, DEU, ZHO)"
        ))),
        None => Ok(v
            .get("customLanguageCode")
            .and_then(Value::as_str)
            .map(str::to_string)),
    }
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

/// The format of a sidecar caption output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaptionFormat {
    /// `WEBVTT`: a `.vtt` file, segmented for HLS.
    WebVtt,
    /// `IMSC`: one IMSC1 text profile document, `.xml` (DASH ISO, raw container).
    Imsc,
    /// `TTML`: one TTML document, `.ttml` (DASH ISO, raw container).
    Ttml,
}

/// A sidecar caption output (WebVTT, IMSC or TTML).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaptionOutputPlan {
    pub format: CaptionFormat,
    pub selector: String,
    pub language: Option<String>,
    pub description: Option<String>,
}

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
