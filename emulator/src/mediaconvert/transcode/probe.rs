//! What ffprobe says about the input and about each packaged output.
use super::ffmpeg::last_lines;
use super::{Failure, codes};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use tokio::process::Command;

/// The input's video stream.
#[derive(Debug, Clone)]
pub(super) struct VideoInfo {
    pub width: u32,
    pub height: u32,
    pub fps: (u32, u32),
}

/// What the input holds.
#[derive(Debug, Clone)]
pub(super) struct Probe {
    pub duration: f64,
    pub video: Option<VideoInfo>,
    pub has_audio: bool,
}

pub(super) fn parse_rate(r: &str) -> Option<(u32, u32)> {
    let (n, d) = r.split_once('/')?;
    let (n, d) = (n.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    (n > 0 && d > 0).then_some((n, d))
}

pub(super) async fn ffprobe_json(ffprobe: &str, path: &Path) -> Result<Value, String> {
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

pub(super) async fn probe_input(ffprobe: &str, path: &Path) -> Result<Probe, String> {
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

pub(super) fn codec_string(st: &Value) -> Option<String> {
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

/// What one packaged output holds, for its manifests.
pub(super) struct Probed {
    pub codecs: Vec<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub timescale: u64,
    pub duration: f64,
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    /// First presentation time of the video stream, seconds.
    pub video_start: Option<f64>,
}

pub(super) async fn probe_output(ffprobe: &str, path: &Path) -> Result<Probed, Failure> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
