//! Encoding: the input is decoded once, and each distinct rendition (video: codec, size, rate control,
//! GOP, frame rate; audio: codec, bitrate, sample rate, channels) is encoded once, by one ffmpeg process,
//! into a NUT file in the job's work folder. Packaging ([`super::package`]) then copies those streams into
//! every output that uses them. Frame captures are outputs of the same process.
//!
//! A rendition that several output groups share gets a keyframe at the start of every segment of each of
//! them.
use super::probe::VideoInfo;
use crate::mediaconvert::plan::{
    AudioCodec, AudioPlan, FrameCapturePlan, GroupKind, JobPlan, VideoCodec, VideoPlan,
};
use std::path::{Path, PathBuf};

/// One video rendition to encode.
#[derive(Debug, Clone)]
pub(super) struct VideoEncode {
    pub plan: VideoPlan,
    /// Segment lengths of the output groups that package it (none for file outputs).
    pub segment_lengths: Vec<f64>,
    /// Output size and frame rate.
    pub width: u32,
    pub height: u32,
    pub fps: (u32, u32),
}

/// One frame-capture output, written straight into its group's folder.
#[derive(Debug, Clone)]
pub(super) struct Capture {
    pub plan: FrameCapturePlan,
    /// Where the images go: `<dir>/<name>.%07d.<ext>`.
    pub dir: PathBuf,
    pub name: String,
    pub ext: String,
}

/// Everything a job encodes, each distinct rendition once.
#[derive(Debug, Default)]
pub(super) struct Encodes {
    pub videos: Vec<VideoEncode>,
    pub audios: Vec<AudioPlan>,
    pub captures: Vec<Capture>,
}

/// What makes two audio outputs the same encode.
fn same_audio(a: &AudioPlan, b: &AudioPlan) -> bool {
    (a.codec, a.bitrate, a.sample_rate, a.channels)
        == (b.codec, b.bitrate, b.sample_rate, b.channels)
}

impl Encodes {
    /// The distinct renditions of `job`. `src` is the input's video (none when it has no video: then
    /// the job has no video outputs); `group_dir` names each output group's work folder.
    pub(super) fn plan(
        job: &JobPlan,
        src: Option<&VideoInfo>,
        group_dir: impl Fn(usize) -> PathBuf,
    ) -> Self {
        let mut e = Self::default();
        for g in &job.groups {
            let segmented = g.kind != GroupKind::File;
            for o in &g.outputs {
                if let (Some(v), Some(src)) = (&o.video, src) {
                    let i = match e.videos.iter().position(|x| &x.plan == v) {
                        Some(i) => i,
                        None => {
                            let (_, width, height, fps) = video_filter(v, src);
                            e.videos.push(VideoEncode {
                                plan: v.clone(),
                                segment_lengths: Vec::new(),
                                width,
                                height,
                                fps,
                            });
                            e.videos.len() - 1
                        }
                    };
                    let lengths = &mut e.videos[i].segment_lengths;
                    if segmented && !lengths.contains(&g.segment_length) {
                        lengths.push(g.segment_length);
                    }
                }
                if let Some(a) = &o.audio
                    && !e.audios.iter().any(|x| same_audio(x, a))
                {
                    e.audios.push(a.clone());
                }
                if let Some(fc) = o.frame_capture.as_ref().filter(|_| src.is_some()) {
                    e.captures.push(Capture {
                        plan: fc.clone(),
                        dir: group_dir(g.index),
                        name: format!("{}{}", g.base_name, o.name_modifier),
                        ext: o.extension.clone().unwrap_or_else(|| "jpg".into()),
                    });
                }
            }
        }
        e
    }

    /// The encode of a video output.
    pub(super) fn video(&self, v: &VideoPlan) -> Option<(usize, &VideoEncode)> {
        self.videos.iter().enumerate().find(|(_, x)| &x.plan == v)
    }

    /// The encode of an audio output.
    pub(super) fn audio(&self, a: &AudioPlan) -> Option<usize> {
        self.audios.iter().position(|x| same_audio(x, a))
    }

    /// True when nothing needs encoding.
    pub(super) fn is_empty(&self) -> bool {
        self.videos.is_empty() && self.audios.is_empty() && self.captures.is_empty()
    }

    /// The file that holds video encode `i`.
    pub(super) fn video_file(dir: &Path, i: usize) -> PathBuf {
        dir.join(format!("video-{i}.nut"))
    }

    /// The file that holds audio encode `i`.
    pub(super) fn audio_file(dir: &Path, i: usize) -> PathBuf {
        dir.join(format!("audio-{i}.nut"))
    }

    /// The arguments of the one ffmpeg process that makes every encode into `dir`. `input` are the input's
    /// arguments (clipping, `-i`); `silence` adds a silent input for audio outputs of an input without audio.
    pub(super) fn args(
        &self,
        input: Vec<String>,
        silence: bool,
        duration: f64,
        src: Option<&VideoInfo>,
        dir: &Path,
    ) -> Vec<String> {
        let mut a = input;
        if silence && !self.audios.is_empty() {
            a.extend([
                "-f".into(),
                "lavfi".into(),
                "-t".into(),
                format!("{duration:.3}"),
                "-i".into(),
                "anullsrc=r=48000:cl=stereo".into(),
            ]);
        }
        let pictures = self.videos.len() + self.captures.len();
        if let (Some(src), true) = (src, pictures > 0) {
            let mut graph = format!("[0:v:0]split={pictures}");
            for k in 0..pictures {
                graph.push_str(&format!("[s{k}]"));
            }
            for (i, v) in self.videos.iter().enumerate() {
                let (filter, ..) = video_filter(&v.plan, src);
                graph.push_str(&format!(";[s{i}]{filter}[v{i}]"));
            }
            for (j, c) in self.captures.iter().enumerate() {
                let (filter, ..) =
                    scale_filter(c.plan.width, c.plan.height, "STRETCH_TO_OUTPUT", src);
                let (n, d) = c.plan.fps;
                graph.push_str(&format!(
                    ";[s{}]fps={n}/{d},{filter}[c{j}]",
                    self.videos.len() + j
                ));
            }
            a.extend(["-filter_complex".into(), graph]);
        }
        for (i, v) in self.videos.iter().enumerate() {
            a.extend(["-map".into(), format!("[v{i}]")]);
            a.extend(video_codec_args(&v.plan, v.fps, &v.segment_lengths));
            a.extend(["-f".into(), "nut".into()]);
            a.push(Self::video_file(dir, i).display().to_string());
        }
        let audio_in = if silence { "1:a:0" } else { "0:a:0" };
        for (i, au) in self.audios.iter().enumerate() {
            a.extend(["-map".into(), audio_in.into()]);
            a.extend(audio_args(au));
            a.extend(["-f".into(), "nut".into()]);
            a.push(Self::audio_file(dir, i).display().to_string());
        }
        for (j, c) in self.captures.iter().enumerate() {
            let q = 2 + (100 - c.plan.quality.min(100)) * 29 / 99;
            a.extend([
                "-map".into(),
                format!("[c{j}]"),
                "-q:v".into(),
                q.to_string(),
            ]);
            if let Some(m) = c.plan.max_captures {
                a.extend(["-frames:v".into(), m.to_string()]);
            }
            a.extend(["-start_number", "0", "-f", "image2"].map(String::from));
            a.push(
                c.dir
                    .join(format!("{}.%07d.{}", super::ffmpeg::pat(&c.name), c.ext))
                    .display()
                    .to_string(),
            );
        }
        a
    }
}

/// The `-force_key_frames` value that starts a GOP at every segment boundary of every length given: the
/// first frame at or after the next multiple of any of them.
fn keyframes(lengths: &[f64]) -> Option<String> {
    let lengths: Vec<f64> = lengths.iter().copied().filter(|l| *l > 0.0).collect();
    let min = lengths.iter().copied().fold(f64::INFINITY, f64::min);
    if !min.is_finite() {
        return None;
    }
    let multiple = |l: f64| ((l / min) - (l / min).round()).abs() < 1e-6;
    if lengths.iter().all(|l| multiple(*l)) {
        return Some(format!("expr:gte(t,n_forced*{min})"));
    }
    let next: Vec<String> = lengths
        .iter()
        .map(|l| format!("{l}*(floor(prev_forced_t/{l}+0.001)+1)"))
        .collect();
    let mut next_boundary = next[0].clone();
    for n in &next[1..] {
        next_boundary = format!("min({next_boundary},{n})");
    }
    Some(format!(
        "expr:if(isnan(prev_forced_t),1,gte(t,{next_boundary}-0.001))"
    ))
}

/// Output size and the scaling filter for a requested size.
pub(super) fn scale_filter(
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

/// The filter that makes a rendition's picture from the source's, with the rendition's size and frame rate.
fn video_filter(v: &VideoPlan, src: &VideoInfo) -> (String, u32, u32, (u32, u32)) {
    let (mut filter, ow, oh) = scale_filter(v.width, v.height, &v.scaling, src);
    let fps = v.framerate.unwrap_or(src.fps);
    if v.framerate.is_some() {
        filter.push_str(&format!(",fps={}/{}", fps.0, fps.1));
    }
    (filter, ow, oh, fps)
}

/// The encoder settings of a video stream.
fn video_codec_args(v: &VideoPlan, fps: (u32, u32), segment_lengths: &[f64]) -> Vec<String> {
    let fps_f = fps.0 as f64 / fps.1.max(1) as f64;
    let mut a: Vec<String> = Vec::new();
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
    // VBR and QVBR: capped by maxBitrate, when given.
    let max_rate: Vec<String> = v
        .max_bitrate
        .map(|m| {
            vec![
                "-maxrate".into(),
                m.to_string(),
                "-bufsize".into(),
                bufsize(m),
            ]
        })
        .unwrap_or_default();
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
            // HRD signalling (and filler) as MediaConvert's CBR writes, whatever the container.
            if v.codec == VideoCodec::H264 {
                a.extend(["-x264-params".into(), "nal-hrd=cbr".into()]);
            }
        }
        "VBR" => {
            let b = v.bitrate.unwrap_or(1_000_000);
            a.extend(["-b:v".into(), b.to_string()]);
            a.extend(max_rate);
        }
        _ => {
            let level = v.qvbr_level.unwrap_or(7) as f64;
            let crf = (41.0 - 2.5 * level).round().clamp(10.0, 45.0) as u32;
            a.extend(["-crf".into(), crf.to_string()]);
            a.extend(max_rate);
        }
    }
    let gop = match (v.gop_size, v.gop_units.as_str()) {
        (Some(g), "FRAMES") => g.round().max(1.0) as u32,
        (Some(g), "SECONDS") => (g * fps_f).round().max(1.0) as u32,
        _ => (fps_f * segment_lengths.iter().copied().fold(2.0, f64::min))
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
    if let Some(k) = keyframes(segment_lengths) {
        a.extend(["-force_key_frames".into(), k]);
    }
    a
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mediaconvert::plan::plan_job;
    use serde_json::{Value, json};

    fn video(modifier: &str, w: u32, h: u32, max: u32) -> Value {
        json!({"nameModifier": modifier,
               "videoDescription": {"width": w, "height": h, "codecSettings": {"codec": "H_264", "h264Settings": {"rateControlMode": "QVBR", "maxBitrate": max}}}})
    }

    fn aac() -> Value {
        json!([{"codecSettings": {"codec": "AAC", "aacSettings": {"bitrate": 96000, "sampleRate": 48000, "codingMode": "CODING_MODE_2_0"}}}])
    }

    /// HLS (6 s segments, audio muxed into each rendition) and DASH (4 s) of the same three renditions,
    /// and CMAF (4 s) with a fourth; DASH and CMAF carry audio in an output of its own.
    fn job() -> Value {
        let ladder = [
            ("_720p", 1280, 720, 3_000_000),
            ("_540p", 960, 540, 2_000_000),
            ("_360p", 640, 360, 730_000),
        ];
        let outs = |muxed: bool, extra: bool| {
            let mut v: Vec<Value> = ladder
                .iter()
                .map(|(m, w, h, b)| video(m, *w, *h, *b))
                .collect();
            if extra {
                v.push(video("_180p", 320, 180, 300_000));
            }
            if muxed {
                for o in &mut v {
                    o["audioDescriptions"] = aac();
                }
            } else {
                v.push(json!({"nameModifier": "_audio", "audioDescriptions": aac()}));
            }
            Value::Array(v)
        };
        json!({
            "inputs": [{"fileInput": "s3://in/sample.mp4", "audioSelectors": {"Audio Selector 1": {"defaultSelection": "DEFAULT"}}}],
            "outputGroups": [
                {"outputGroupSettings": {"type": "HLS_GROUP_SETTINGS", "hlsGroupSettings": {"destination": "s3://out/hls/", "segmentLength": 6, "minSegmentLength": 0}}, "outputs": outs(true, false)},
                {"outputGroupSettings": {"type": "DASH_ISO_GROUP_SETTINGS", "dashIsoGroupSettings": {"destination": "s3://out/dash/", "segmentLength": 4, "fragmentLength": 2}}, "outputs": outs(false, false)},
                {"outputGroupSettings": {"type": "CMAF_GROUP_SETTINGS", "cmafGroupSettings": {"destination": "s3://out/cmaf/", "segmentLength": 4, "fragmentLength": 2}}, "outputs": outs(false, true)},
                {"outputGroupSettings": {"type": "FILE_GROUP_SETTINGS", "fileGroupSettings": {"destination": "s3://out/thumbs/"}},
                 "outputs": [{"nameModifier": "_thumb", "containerSettings": {"container": "RAW"}, "extension": "jpg",
                              "videoDescription": {"width": 320, "height": 180, "codecSettings": {"codec": "FRAME_CAPTURE", "frameCaptureSettings": {"framerateNumerator": 1, "framerateDenominator": 2, "maxCaptures": 3, "quality": 80}}}}]}
            ]
        })
    }

    fn src() -> VideoInfo {
        VideoInfo {
            width: 1920,
            height: 1080,
            fps: (30, 1),
        }
    }

    #[test]
    fn each_distinct_rendition_is_encoded_once() {
        let plan = plan_job(&job()).unwrap();
        let e = Encodes::plan(&plan, Some(&src()), |g| {
            PathBuf::from(format!("/w/group-{g}"))
        });
        // 3 + 3 + 4 video outputs, 5 audio outputs: 4 video encodes, 1 audio encode, 1 frame capture.
        assert_eq!(e.videos.len(), 4);
        assert_eq!(e.audios.len(), 1);
        assert_eq!(e.captures.len(), 1);
        let sizes: Vec<(u32, u32)> = e.videos.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, [(1280, 720), (960, 540), (640, 360), (320, 180)]);
        assert_eq!(e.videos[0].segment_lengths, [6.0, 4.0]);
        assert_eq!(e.videos[3].segment_lengths, [4.0]);
        for g in &plan.groups {
            for o in g.outputs.iter().filter(|o| o.frame_capture.is_none()) {
                if let Some(v) = &o.video {
                    assert!(e.video(v).is_some());
                }
                if let Some(a) = &o.audio {
                    assert_eq!(e.audio(a), Some(0));
                }
            }
        }
        // One process: one decode, split into the four renditions and the capture.
        let args = e.args(
            vec!["-i".into(), "in.mp4".into()],
            false,
            6.0,
            Some(&src()),
            Path::new("/w/enc"),
        );
        let j = args.join(" ");
        assert_eq!(args.iter().filter(|a| *a == "-i").count(), 1, "{j}");
        assert!(j.contains("[0:v:0]split=5[s0][s1][s2][s3][s4]"), "{j}");
        assert_eq!(
            args.iter().filter(|a| a.ends_with(".nut")).count(),
            5,
            "{j}"
        );
        assert!(j.contains("[s4]fps=1/2,scale=320:180,setsar=1[c0]"), "{j}");
        assert!(
            j.contains("-frames:v 3 -start_number 0 -f image2 /w/group-3/sample_thumb.%07d.jpg"),
            "{j}"
        );
        // A silent input when the source has no audio.
        let silent = e.args(
            vec!["-i".into(), "in.mp4".into()],
            true,
            6.0,
            Some(&src()),
            Path::new("/w/enc"),
        );
        assert!(silent.join(" ").contains("-i anullsrc=r=48000:cl=stereo"));
        assert!(silent.join(" ").contains("-map 1:a:0"));
    }

    #[test]
    fn shared_renditions_get_every_groups_keyframes() {
        assert_eq!(keyframes(&[]), None);
        assert_eq!(keyframes(&[4.0]).unwrap(), "expr:gte(t,n_forced*4)");
        assert_eq!(keyframes(&[6.0, 2.0]).unwrap(), "expr:gte(t,n_forced*2)");
        let both = keyframes(&[6.0, 4.0]).unwrap();
        assert_eq!(
            both,
            "expr:if(isnan(prev_forced_t),1,gte(t,min(6*(floor(prev_forced_t/6+0.001)+1),4*(floor(prev_forced_t/4+0.001)+1))-0.001))"
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
        let a = video_codec_args(&v, src.fps, &[2.0]);
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
