//! Transcoding values beyond the ladder: AAC audio renditions, captions, thumbnails and job options.

use std::fmt;
use std::str::FromStr;

use super::{Bitrate, Seconds, text_enum};
use crate::error::InvalidValue;

/// The AAC coding mode (channel layout) of an audio rendition.
///
/// MediaConvert's `CodingMode` values
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-aacsettings-codingmode>).
/// This crate offers mono and stereo, the layouts of streaming ladders; 5.1 and the audio-description
/// modes are not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum AacCodingMode {
    /// `CODING_MODE_1_0`: one channel.
    Mono,
    /// `CODING_MODE_2_0`: two channels (the default).
    #[default]
    Stereo,
}
text_enum!(
    AacCodingMode,
    "AAC coding modes",
    [(Mono, "CODING_MODE_1_0"), (Stereo, "CODING_MODE_2_0")]
);

/// One AAC-LC audio rendition: bitrate, coding mode and sample rate.
///
/// Rule: the combination must be one that MediaConvert supports for AAC-LC with CBR, from the table
/// "AAC output reference tables" (<https://docs.aws.amazon.com/mediaconvert/latest/ug/aac-support.html>).
/// This crate takes the sample rates used for streaming (32, 44.1 and 48 kHz):
///
/// | coding mode | sample rate (Hz) | bitrates (bit/s) |
/// |---|---|---|
/// | `CODING_MODE_1_0` | 32000 | 32000 to 192000 |
/// | `CODING_MODE_1_0` | 44100 | 56000 to 256000 |
/// | `CODING_MODE_1_0` | 48000 | 56000 to 288000 |
/// | `CODING_MODE_2_0` | 32000 | 40000 to 384000 |
/// | `CODING_MODE_2_0` | 44100 | 64000 to 512000 |
/// | `CODING_MODE_2_0` | 48000 | 64000 to 512000 |
///
/// and, within a range, only the bitrates of AWS's list ([`AudioRendition::BITRATES`]: 32000, 40000,
/// 48000, 56000, 64000, 80000, 96000, 112000, 128000, 160000, 192000, 224000, 256000, 288000, 320000,
/// 384000, 448000, 512000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AudioRendition {
    bitrate: Bitrate,
    coding_mode: AacCodingMode,
    sample_rate: u32,
}

impl AudioRendition {
    /// The AAC-LC bitrates AWS lists for these sample rates, bits/s.
    pub const BITRATES: [u64; 18] = [
        32_000, 40_000, 48_000, 56_000, 64_000, 80_000, 96_000, 112_000, 128_000, 160_000, 192_000,
        224_000, 256_000, 288_000, 320_000, 384_000, 448_000, 512_000,
    ];
    /// The sample rates this crate takes, Hz.
    pub const SAMPLE_RATES: [u32; 3] = [32_000, 44_100, 48_000];
    /// The default rendition: 96 kb/s stereo at 48 kHz.
    pub const DEFAULT: AudioRendition = AudioRendition {
        bitrate: Bitrate::from_const(96_000),
        coding_mode: AacCodingMode::Stereo,
        sample_rate: 48_000,
    };
    const PAGE: &'static str =
        "https://docs.aws.amazon.com/mediaconvert/latest/ug/aac-support.html";

    /// A checked rendition. On failure, every broken rule with the member it concerns
    /// (`sample_rate`, `bitrate`).
    pub fn new(
        bitrate: Bitrate,
        coding_mode: AacCodingMode,
        sample_rate: u32,
    ) -> Result<Self, Vec<(&'static str, InvalidValue)>> {
        if !Self::SAMPLE_RATES.contains(&sample_rate) {
            return Err(vec![(
                "sample_rate",
                InvalidValue::new(
                    sample_rate,
                    format!(
                        "an AAC sample rate must be 32000, 44100 or 48000 Hz ({})",
                        Self::PAGE
                    ),
                ),
            )]);
        }
        let (min, max) = Self::range(coding_mode, sample_rate);
        let bps = bitrate.bps();
        if !(min..=max).contains(&bps) || !Self::BITRATES.contains(&bps) {
            return Err(vec![(
                "bitrate",
                InvalidValue::new(
                    bitrate,
                    format!(
                        "AAC-LC {coding_mode} at {sample_rate} Hz takes one of {} bits/s ({})",
                        Self::BITRATES
                            .iter()
                            .filter(|b| (min..=max).contains(*b))
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(", "),
                        Self::PAGE
                    ),
                ),
            )]);
        }
        Ok(Self {
            bitrate,
            coding_mode,
            sample_rate,
        })
    }

    /// The bitrate range (bits/s) AWS's table gives for a coding mode and a sample rate.
    fn range(mode: AacCodingMode, sample_rate: u32) -> (u64, u64) {
        match (mode, sample_rate) {
            (AacCodingMode::Mono, 32_000) => (32_000, 192_000),
            (AacCodingMode::Mono, 44_100) => (56_000, 256_000),
            (AacCodingMode::Mono, _) => (56_000, 288_000),
            (AacCodingMode::Stereo, 32_000) => (40_000, 384_000),
            (AacCodingMode::Stereo, _) => (64_000, 512_000),
        }
    }

    /// Bitrate.
    pub const fn bitrate(&self) -> Bitrate {
        self.bitrate
    }
    /// Coding mode.
    pub const fn coding_mode(&self) -> AacCodingMode {
        self.coding_mode
    }
    /// Sample rate, Hz.
    pub const fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
}

impl Default for AudioRendition {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for AudioRendition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AAC {} {} {} Hz",
            self.bitrate, self.coding_mode, self.sample_rate
        )
    }
}

/// A language code such as `ENG`, as MediaConvert's `LanguageCode` takes it
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-captiondescription-languagecode>).
///
/// Rule: one of the values of MediaConvert's `LanguageCode` enum, which are ISO 639-2/T codes
/// (`FRA`, `DEU`, `ZHO`, `NLD`) and a few others (`GER`, `QPC`, `ORJ`, ...); letter case is ignored
/// and the code is stored in upper case (`"fra"` is read as `FRA`). The ISO 639-2/B forms that the
/// enum lacks (`FRE`, `CHI`, `DUT`, ...) are refused with their /T form named. The list is the one
/// in AWS's service model, as the MediaConvert SDK carries it
/// ([`aws_sdk_mediaconvert::types::LanguageCode::values`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageCode(String);

impl LanguageCode {
    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every code MediaConvert takes.
    pub fn values() -> &'static [&'static str] {
        aws_sdk_mediaconvert::types::LanguageCode::values()
    }
}

/// ISO 639-2/B codes and their /T forms, for the codes whose two forms differ (ISO 639-2, section
/// 2.2); `GER` is in MediaConvert's enum besides `DEU`.
const BIBLIOGRAPHIC: [(&str, &str); 19] = [
    ("ALB", "SQI"),
    ("ARM", "HYE"),
    ("BAQ", "EUS"),
    ("BUR", "MYA"),
    ("CHI", "ZHO"),
    ("CZE", "CES"),
    ("DUT", "NLD"),
    ("FRE", "FRA"),
    ("GEO", "KAT"),
    ("GRE", "ELL"),
    ("ICE", "ISL"),
    ("MAC", "MKD"),
    ("MAO", "MRI"),
    ("MAY", "MSA"),
    ("PER", "FAS"),
    ("RUM", "RON"),
    ("SLO", "SLK"),
    ("TIB", "BOD"),
    ("WEL", "CYM"),
];

impl FromStr for LanguageCode {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const PAGE: &str = "https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-captiondescription-languagecode";
        let upper = s.to_ascii_uppercase();
        if Self::values().contains(&upper.as_str()) {
            return Ok(Self(upper));
        }
        let rule = match BIBLIOGRAPHIC.iter().find(|(b, _)| *b == upper) {
            Some((b, t)) => format!(
                "MediaConvert takes the ISO 639-2/T code {t}, not the bibliographic form {b} ({PAGE})"
            ),
            None => format!(
                "must be one of MediaConvert's LanguageCode values, ISO 639-2/T codes such as ENG, FRA, DEU or ZHO ({PAGE})"
            ),
        };
        Err(InvalidValue::new(s, rule))
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for LanguageCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The format of a sidecar caption file.
///
/// MediaConvert reads sidecar `SRT` and `WEBVTT` files through a caption selector's
/// `FileSourceSettings` (<https://docs.aws.amazon.com/mediaconvert/latest/ug/captions-inputs.html>);
/// this crate passes them through to WebVTT in HLS, DASH and CMAF outputs
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/webvtt-output-captions.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaptionFormat {
    /// SubRip, `.srt`.
    Srt,
    /// WebVTT, `.vtt`.
    WebVtt,
}
text_enum!(
    CaptionFormat,
    "caption formats",
    [(Srt, "srt"), (WebVtt, "webvtt")]
);

impl CaptionFormat {
    /// MediaConvert's `SourceType`.
    pub fn source_type(self) -> &'static str {
        match self {
            Self::Srt => "SRT",
            Self::WebVtt => "WEBVTT",
        }
    }
    /// The sidecar file's extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Srt => "srt",
            Self::WebVtt => "vtt",
        }
    }
}

/// Captions passed through from a sidecar file beside each source file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Captions {
    /// The sidecar's format; every asset has `<asset>.srt` (or `.vtt`) beside its source file.
    pub format: CaptionFormat,
    /// The captions' language.
    pub language: LanguageCode,
}

/// Frame-capture thumbnails: JPEG images taken at an interval, in the asset's `thumbnails/` folder.
///
/// Rules (MediaConvert `FrameCaptureSettings`,
/// <https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-framecapturesettings-framerateDenominator>
/// and the user guide's <https://docs.aws.amazon.com/mediaconvert/latest/ug/frame-capture.html>):
/// - the interval is a whole number of seconds from 1 to 3600 (one capture per interval:
///   `FramerateNumerator` 1 and `FramerateDenominator` the interval);
/// - width and height are from 32 to 8192 pixels and even, as for video;
/// - the JPEG quality is from 1 to 100 (`Quality`);
/// - the most captures, when given, is from 1 to 10,000,000 (`MaxCaptures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub struct Thumbnails {
    /// Seconds between captures.
    pub interval: Seconds,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// JPEG quality, 1 to 100.
    pub quality: u8,
    /// The most images per asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_captures: Option<u32>,
}

impl Thumbnails {
    /// Longest interval.
    pub const MAX_INTERVAL: u64 = 3600;
    /// Most captures.
    pub const MAX_CAPTURES: u32 = 10_000_000;
    const PAGE: &'static str = "https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-framecapturesettings-maxcaptures";

    /// Checked thumbnails settings; every broken rule with its member.
    pub fn new(
        interval: Seconds,
        width: u32,
        height: u32,
        quality: u8,
        max_captures: Option<u32>,
    ) -> Result<Self, Vec<(&'static str, InvalidValue)>> {
        let mut errs = Vec::new();
        if !(1..=Self::MAX_INTERVAL).contains(&interval.get()) {
            errs.push((
                "interval",
                InvalidValue::new(
                    interval,
                    "must be from 1 s to 3600 s: one capture per interval (FramerateNumerator 1, FramerateDenominator the interval, https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-framecapturesettings-frameratedenominator)",
                ),
            ));
        }
        for (name, v) in [("width", width), ("height", height)] {
            if let Err(e) = super::media::check_dimension(v) {
                errs.push((name, e));
            }
        }
        if !(1..=100).contains(&quality) {
            errs.push((
                "quality",
                InvalidValue::new(
                    quality,
                    "a JPEG quality must be from 1 to 100 (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-framecapturesettings-quality)",
                ),
            ));
        }
        if let Some(m) = max_captures
            && !(1..=Self::MAX_CAPTURES).contains(&m)
        {
            errs.push((
                "max_captures",
                InvalidValue::new(m, format!("must be from 1 to 10000000 ({})", Self::PAGE)),
            ));
        }
        if errs.is_empty() {
            Ok(Self {
                interval,
                width,
                height,
                quality,
                max_captures,
            })
        } else {
            Err(errs)
        }
    }
}

/// A job's priority in its queue, -50 (last) to 50 (first); default 0
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-createjobrequest-priority>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Priority(i8);

impl Priority {
    /// A checked priority.
    pub fn new(p: i64) -> Result<Self, InvalidValue> {
        match i8::try_from(p) {
            Ok(v) if (-50..=50).contains(&v) => Ok(Self(v)),
            _ => Err(InvalidValue::new(
                p,
                "a job priority must be from -50 to 50 (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-createjobrequest-priority)",
            )),
        }
    }
    /// The priority.
    pub const fn get(self) -> i8 {
        self.0
    }
}

impl FromStr for Priority {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<i64>().map_or_else(
            |_| {
                Err(InvalidValue::new(
                    s,
                    "a job priority must be a whole number from -50 to 50",
                ))
            },
            Priority::new,
        )
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Accelerated transcoding (`AccelerationSettings.Mode`,
/// <https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-accelerationsettings-mode>,
/// <https://docs.aws.amazon.com/mediaconvert/latest/ug/accelerated-transcoding.html>).
///
/// `ENABLED` fails jobs that are not eligible; `PREFERRED` accelerates when it can. Accelerated
/// transcoding is billed at its own rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Acceleration {
    /// `DISABLED` (the default).
    #[default]
    Disabled,
    /// `PREFERRED`.
    Preferred,
    /// `ENABLED`.
    Enabled,
}
text_enum!(
    Acceleration,
    "acceleration modes",
    [
        (Disabled, "DISABLED"),
        (Preferred, "PREFERRED"),
        (Enabled, "ENABLED")
    ]
);

/// How often MediaConvert sends status updates (EventBridge) while a job runs: one of its
/// `StatusUpdateInterval` values, `SECONDS_10`, `SECONDS_12`, `SECONDS_15`, `SECONDS_20`, `SECONDS_30`,
/// `SECONDS_60` (the default), `SECONDS_120`, `SECONDS_180`, `SECONDS_240`, `SECONDS_300`,
/// `SECONDS_360`, `SECONDS_420`, `SECONDS_480`, `SECONDS_540`, `SECONDS_600`
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-createjobrequest-statusupdateinterval>).
/// A duration such as `"2m"` is read as the value with that many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusUpdateInterval(u16);

impl StatusUpdateInterval {
    /// The seconds MediaConvert accepts.
    pub const ALLOWED: [u16; 15] = [
        10, 12, 15, 20, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600,
    ];
    /// The value as MediaConvert writes it: `SECONDS_60`.
    pub fn as_mediaconvert(self) -> String {
        format!("SECONDS_{}", self.0)
    }
    /// Seconds.
    pub const fn secs(self) -> u16 {
        self.0
    }
}

impl Default for StatusUpdateInterval {
    fn default() -> Self {
        Self(60)
    }
}

impl FromStr for StatusUpdateInterval {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let secs = match s.strip_prefix("SECONDS_") {
            Some(n) => n.parse::<u64>().ok(),
            None => s.parse::<Seconds>().ok().map(Seconds::get),
        };
        match secs.and_then(|n| u16::try_from(n).ok()) {
            Some(n) if Self::ALLOWED.contains(&n) => Ok(Self(n)),
            _ => Err(InvalidValue::new(
                s,
                "must be one of MediaConvert's status update intervals: SECONDS_10, SECONDS_12, SECONDS_15, SECONDS_20, SECONDS_30, SECONDS_60, SECONDS_120, SECONDS_180, SECONDS_240, SECONDS_300, SECONDS_360, SECONDS_420, SECONDS_480, SECONDS_540, SECONDS_600 (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-createjobrequest-statusupdateinterval)",
            )),
        }
    }
}

impl fmt::Display for StatusUpdateInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SECONDS_{}", self.0)
    }
}

impl serde::Serialize for StatusUpdateInterval {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_mediaconvert())
    }
}

/// A MediaConvert queue, by name (`Default`, `fast-lane`) or ARN
/// (`arn:aws:mediaconvert:us-east-1:123456789012:queues/fast-lane`).
///
/// Rule: a queue name is 1 to 128 letters, digits, `-` and `_`; an ARN has the form above
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/queues.html>,
/// <https://docs.aws.amazon.com/mediaconvert/latest/ug/working-with-queues.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueName(String);

impl QueueName {
    fn check(s: &str) -> Result<(), String> {
        check_name_or_arn(s, "queues", "a queue")
    }
}
super::string_newtype!(QueueName);

/// An existing MediaConvert job template, by name or ARN
/// (`arn:aws:mediaconvert:us-east-1:123456789012:jobTemplates/my-template`).
///
/// Rule: a name is 1 to 128 letters, digits, `-` and `_`; an ARN has the form above
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobtemplates.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobTemplateName(String);

impl JobTemplateName {
    fn check(s: &str) -> Result<(), String> {
        check_name_or_arn(s, "jobTemplates", "a job template")
    }
}
super::string_newtype!(JobTemplateName);

fn check_name_or_arn(s: &str, kind: &str, what: &str) -> Result<(), String> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 128
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let ok = match s.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            matches!(parts.as_slice(), [p, "mediaconvert", region, account, res]
                if p.starts_with("aws")
                    && !region.is_empty()
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit())
                    && res.strip_prefix(kind).and_then(|r| r.strip_prefix('/')).is_some_and(name_ok))
        }
        None => name_ok(s),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "must name {what}: 1 to 128 letters, digits, '-' and '_', or its ARN arn:aws:mediaconvert:<region>:<account>:{kind}/<name>"
        ))
    }
}

/// Job options: where and how the job runs, outside its settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct JobOptions {
    /// The queue (none: the account's `Default` queue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueName>,
    /// Priority in the queue.
    pub priority: Priority,
    /// Accelerated transcoding.
    pub acceleration: Acceleration,
    /// Status update interval.
    pub status_update_interval: StatusUpdateInterval,
    /// User metadata added to the job (the pipeline adds its own `vod-pipeline:*` keys).
    pub user_metadata: std::collections::BTreeMap<String, String>,
    /// An existing job template whose output groups the job uses instead of inline ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_template: Option<JobTemplateName>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_table() {
        let b = |n: u64| Bitrate::new(n).unwrap();
        assert!(AudioRendition::new(b(96_000), AacCodingMode::Stereo, 48_000).is_ok());
        assert!(AudioRendition::new(b(64_000), AacCodingMode::Stereo, 48_000).is_ok());
        assert!(AudioRendition::new(b(56_000), AacCodingMode::Stereo, 48_000).is_err());
        assert!(AudioRendition::new(b(512_000), AacCodingMode::Stereo, 44_100).is_ok());
        assert!(AudioRendition::new(b(576_000), AacCodingMode::Stereo, 44_100).is_err());
        assert!(AudioRendition::new(b(56_000), AacCodingMode::Mono, 48_000).is_ok());
        assert!(AudioRendition::new(b(288_000), AacCodingMode::Mono, 48_000).is_ok());
        assert!(AudioRendition::new(b(320_000), AacCodingMode::Mono, 48_000).is_err());
        assert!(AudioRendition::new(b(32_000), AacCodingMode::Mono, 32_000).is_ok());
        assert!(AudioRendition::new(b(100_000), AacCodingMode::Stereo, 48_000).is_err());
        let e = AudioRendition::new(b(96_000), AacCodingMode::Stereo, 22_050).unwrap_err();
        assert_eq!(e[0].0, "sample_rate");
    }

    #[test]
    fn job_option_bounds() {
        assert!(Priority::new(-50).is_ok());
        assert!(Priority::new(50).is_ok());
        assert!(Priority::new(-51).is_err());
        assert!(Priority::new(51).is_err());
        assert!(Priority::new(1000).is_err());
        let s = |v: &str| v.parse::<StatusUpdateInterval>().map(|i| i.secs());
        assert_eq!(s("SECONDS_10"), Ok(10));
        assert_eq!(s("SECONDS_600"), Ok(600));
        assert_eq!(s("2m"), Ok(120));
        assert!(s("SECONDS_9").is_err());
        assert!(s("SECONDS_601").is_err());
        assert!(s("11s").is_err());
        assert!("Default".parse::<QueueName>().is_ok());
        assert!(
            "arn:aws:mediaconvert:us-east-1:123456789012:queues/fast"
                .parse::<QueueName>()
                .is_ok()
        );
        assert!("a b".parse::<QueueName>().is_err());
        assert!("".parse::<QueueName>().is_err());
        assert!("q".repeat(128).parse::<QueueName>().is_ok());
        assert!("q".repeat(129).parse::<QueueName>().is_err());
        assert!(
            "arn:aws:mediaconvert:us-east-1:123456789012:queues/fast"
                .parse::<JobTemplateName>()
                .is_err()
        );
        assert_eq!("eng".parse::<LanguageCode>().unwrap().as_str(), "ENG");
        assert!("en".parse::<LanguageCode>().is_err());
        for ok in ["FRA", "deu", "ZHO", "NLD", "GER", "QPC", "srp"] {
            assert!(ok.parse::<LanguageCode>().is_ok(), "{ok}");
        }
        // Three letters that MediaConvert's enum lacks: the bibliographic forms name their /T form.
        for (b, t) in [("FRE", "FRA"), ("chi", "ZHO"), ("DUT", "NLD")] {
            let e = b.parse::<LanguageCode>().unwrap_err().to_string();
            assert!(e.contains(&format!("ISO 639-2/T code {t}")), "{e}");
        }
        let e = "XYZ".parse::<LanguageCode>().unwrap_err().to_string();
        assert!(e.contains("LanguageCode values"), "{e}");
        // Every /T form named in a hint is itself accepted, and no /B form is.
        for (b, t) in BIBLIOGRAPHIC {
            assert!(t.parse::<LanguageCode>().is_ok(), "{t}");
            assert!(b.parse::<LanguageCode>().is_err(), "{b}");
        }
        assert!("PREFERRED".parse::<Acceleration>().is_ok());
        assert!("preferred".parse::<Acceleration>().is_err());
    }

    #[test]
    fn thumbnail_bounds() {
        let ok = |i, w, h, q, m| Thumbnails::new(Seconds::new(i), w, h, q, m).is_ok();
        assert!(ok(1, 32, 32, 1, Some(1)));
        assert!(ok(3600, 8192, 8192, 100, Some(10_000_000)));
        assert!(!ok(0, 320, 180, 80, None));
        assert!(!ok(3601, 320, 180, 80, None));
        assert!(!ok(10, 30, 180, 80, None));
        assert!(!ok(10, 321, 180, 80, None));
        assert!(!ok(10, 320, 180, 0, None));
        assert!(!ok(10, 320, 180, 101, None));
        assert!(!ok(10, 320, 180, 80, Some(0)));
        assert!(!ok(10, 320, 180, 80, Some(10_000_001)));
    }
}
