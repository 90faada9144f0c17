//! Media values: bitrates, video codecs, renditions, the ABR ladder and its presets, output formats.

use std::fmt;
use std::str::FromStr;

use super::text_enum;
use crate::error::InvalidValue;

/// A bitrate in bits per second, written `"3000k"`, `"6M"`, `"1.5M"` or as a plain number of bits/s.
///
/// `k` is 1,000 and `M` is 1,000,000 (MediaConvert's `MaxBitrate` is in bits/s). The value must be a
/// whole, positive number of bits per second. Codec bounds are checked by [`Rendition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bitrate(u64);

impl Bitrate {
    /// From bits per second; zero is rejected.
    pub fn new(bps: u64) -> Result<Self, InvalidValue> {
        if bps == 0 {
            Err(InvalidValue::new(bps, "a bitrate must be positive"))
        } else {
            Ok(Self(bps))
        }
    }

    /// From a constant known to be positive.
    pub(crate) const fn from_const(bps: u64) -> Self {
        Self(bps)
    }

    /// Bits per second.
    pub const fn bps(self) -> u64 {
        self.0
    }
}

impl FromStr for Bitrate {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rule = "must be a bitrate in bits/s such as \"3000k\", \"6M\" or \"3000000\" (k = 1000, M = 1000000)";
        let t = s.trim();
        let (num, mult) = match t.as_bytes().last() {
            Some(b'k' | b'K') => (&t[..t.len() - 1], 1_000u64),
            Some(b'M') => (&t[..t.len() - 1], 1_000_000u64),
            _ => (t, 1u64),
        };
        if num.is_empty()
            || !num.chars().all(|c| c.is_ascii_digit() || c == '.')
            || num.matches('.').count() > 1
        {
            return Err(InvalidValue::new(s, rule));
        }
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() || int.len() > 12 || frac.len() > 6 {
            return Err(InvalidValue::new(s, rule));
        }
        let int: u64 = int.parse().map_err(|_| InvalidValue::new(s, rule))?;
        let mut bps = int
            .checked_mul(mult)
            .ok_or_else(|| InvalidValue::new(s, rule))?;
        if !frac.is_empty() {
            let scale = 10u64.pow(frac.len() as u32);
            let f: u64 = frac.parse().map_err(|_| InvalidValue::new(s, rule))?;
            let scaled = f * mult;
            if !scaled.is_multiple_of(scale) {
                return Err(InvalidValue::new(
                    s,
                    "a bitrate must be a whole number of bits per second",
                ));
            }
            bps += scaled / scale;
        }
        Bitrate::new(bps).map_err(|e| InvalidValue::new(s, e.rule))
    }
}

impl TryFrom<&str> for Bitrate {
    type Error = InvalidValue;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<u64> for Bitrate {
    type Error = InvalidValue;
    fn try_from(bps: u64) -> Result<Self, Self::Error> {
        Bitrate::new(bps)
    }
}

impl fmt::Display for Bitrate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1_000_000) {
            write!(f, "{}M", self.0 / 1_000_000)
        } else if self.0.is_multiple_of(1_000) {
            write!(f, "{}k", self.0 / 1_000)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl serde::Serialize for Bitrate {
    /// Serialized as bits per second, as MediaConvert takes it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// A QVBR quality level, 1 (lowest) to 10 (highest).
///
/// Rule: `QvbrQualityLevel` is an integer from 1 to 10
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h264qvbrsettings-qvbrqualitylevel>,
/// guidance in <https://docs.aws.amazon.com/mediaconvert/latest/ug/cbr-vbr-qvbr.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct QvbrLevel(u8);

impl QvbrLevel {
    /// A checked level.
    pub fn new(level: u8) -> Result<Self, InvalidValue> {
        if (1..=10).contains(&level) {
            Ok(Self(level))
        } else {
            Err(InvalidValue::new(
                level,
                "a QVBR quality level must be from 1 to 10 (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h264qvbrsettings-qvbrqualitylevel)",
            ))
        }
    }

    /// The level.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for QvbrLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The video codec of a rendition.
///
/// `h264` is MediaConvert's `H_264` (AVC), which every player decodes; `h265` is `H_265` (HEVC),
/// smaller at the same quality but not decoded everywhere (many browsers lack it), so a ladder that
/// uses it usually keeps H.264 renditions too
/// (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-videocodecsettings-codec>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum VideoCodec {
    /// H.264 / AVC (`H_264`).
    #[default]
    H264,
    /// H.265 / HEVC (`H_265`).
    H265,
}
text_enum!(VideoCodec, "video codecs", [(H264, "h264"), (H265, "h265")]);

impl VideoCodec {
    /// MediaConvert's `VideoCodec` value.
    pub fn mediaconvert_name(self) -> &'static str {
        match self {
            Self::H264 => "H_264",
            Self::H265 => "H_265",
        }
    }

    /// The largest `MaxBitrate` MediaConvert takes for this codec, bits/s.
    pub fn max_bitrate(self) -> u64 {
        match self {
            Self::H264 => Rendition::MAX_BITRATE,
            Self::H265 => Rendition::MAX_BITRATE_H265,
        }
    }

    /// The largest output resolution MediaConvert encodes with this codec, as (width, height) in
    /// landscape: 4096x2160 for H.264 and 8192x4320 for H.265. A portrait output may take the
    /// same size turned (2160x4096, 4320x8192)
    /// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/supported-output-resolution-maximums-by-codec.html>).
    pub const fn max_resolution(self) -> (u32, u32) {
        match self {
            Self::H264 => (4096, 2160),
            Self::H265 => (8192, 4320),
        }
    }

    /// Whether MediaConvert encodes a `width` x `height` output with this codec: it fits within
    /// [`VideoCodec::max_resolution`], either way round.
    pub const fn fits(self, width: u32, height: u32) -> bool {
        let (long, short) = self.max_resolution();
        (width <= long && height <= short) || (width <= short && height <= long)
    }
}

/// One rung of the ladder: an H.264 or H.265 output with its resolution, maximum bitrate and QVBR
/// level.
///
/// Rules:
/// - width and height are from 32 to 8192 pixels
///   (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-videodescription-width>)
///   and even, because H.264 and H.265 with 4:2:0 chroma subsampling code pixels in 2×2 blocks;
/// - the maximum bitrate is from 1,000 to 1,152,000,000 bits/s for H.264 (`MaxBitrate`,
///   <https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h264settings-maxbitrate>)
///   and from 1,000 to 1,466,400,000 bits/s for H.265
///   (<https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h265settings-maxbitrate>);
/// - the QVBR level, when given, is 1 to 10 ([`QvbrLevel`]). Without one, MediaConvert picks it (AUTO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Rendition {
    width: u32,
    height: u32,
    max_bitrate: Bitrate,
    #[serde(skip_serializing_if = "Option::is_none")]
    qvbr_quality_level: Option<QvbrLevel>,
    codec: VideoCodec,
}

impl Rendition {
    /// Smallest width or height MediaConvert accepts.
    pub const MIN_DIMENSION: u32 = 32;
    /// Largest width or height MediaConvert accepts.
    pub const MAX_DIMENSION: u32 = 8192;
    /// Smallest H.264 `MaxBitrate`.
    pub const MIN_BITRATE: u64 = 1_000;
    /// Largest H.264 `MaxBitrate`.
    pub const MAX_BITRATE: u64 = 1_152_000_000;
    /// Largest H.265 `MaxBitrate`.
    pub const MAX_BITRATE_H265: u64 = 1_466_400_000;

    /// A checked H.264 rendition. On failure, every broken rule is returned, each with the name of the
    /// member (`width`, `height`, `max_bitrate`, `qvbr_quality_level`) it concerns.
    pub fn new(
        width: u32,
        height: u32,
        max_bitrate: Bitrate,
        qvbr_quality_level: Option<u8>,
    ) -> Result<Self, Vec<(&'static str, InvalidValue)>> {
        Self::with_codec(
            VideoCodec::H264,
            width,
            height,
            max_bitrate,
            qvbr_quality_level,
        )
    }

    /// A checked rendition of the given codec (see [`Rendition::new`]).
    pub fn with_codec(
        codec: VideoCodec,
        width: u32,
        height: u32,
        max_bitrate: Bitrate,
        qvbr_quality_level: Option<u8>,
    ) -> Result<Self, Vec<(&'static str, InvalidValue)>> {
        let mut errs = Vec::new();
        for (name, v) in [("width", width), ("height", height)] {
            if let Err(e) = check_dimension(v) {
                errs.push((name, e));
            }
        }
        if errs.is_empty() && !codec.fits(width, height) {
            let (long, short) = codec.max_resolution();
            errs.push((
                "width",
                InvalidValue::new(
                    format!("{width}x{height}"),
                    format!(
                        "MediaConvert encodes {} up to {long}x{short} (or {short}x{long} in portrait) (https://docs.aws.amazon.com/mediaconvert/latest/ug/supported-output-resolution-maximums-by-codec.html)",
                        match codec {
                            VideoCodec::H264 => "H.264",
                            VideoCodec::H265 => "H.265",
                        }
                    ),
                ),
            ));
        }
        let bps = max_bitrate.bps();
        if !(Self::MIN_BITRATE..=codec.max_bitrate()).contains(&bps) {
            let rule = match codec {
                VideoCodec::H264 => {
                    "an H.264 MaxBitrate must be from 1000 to 1152000000 bits/s (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h264settings-maxbitrate)"
                }
                VideoCodec::H265 => {
                    "an H.265 MaxBitrate must be from 1000 to 1466400000 bits/s (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-h265settings-maxbitrate)"
                }
            };
            errs.push(("max_bitrate", InvalidValue::new(max_bitrate, rule)));
        }
        let level = match qvbr_quality_level.map(QvbrLevel::new).transpose() {
            Ok(l) => l,
            Err(e) => {
                errs.push(("qvbr_quality_level", e));
                None
            }
        };
        if errs.is_empty() {
            Ok(Self {
                width,
                height,
                max_bitrate,
                qvbr_quality_level: level,
                codec,
            })
        } else {
            Err(errs)
        }
    }

    const fn preset(width: u32, height: u32, max_bitrate: u64, qvbr: u8) -> Self {
        Self {
            width,
            height,
            max_bitrate: Bitrate(max_bitrate),
            qvbr_quality_level: Some(QvbrLevel(qvbr)),
            codec: VideoCodec::H264,
        }
    }

    /// Width in pixels.
    pub const fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub const fn height(&self) -> u32 {
        self.height
    }
    /// Maximum bitrate.
    pub const fn max_bitrate(&self) -> Bitrate {
        self.max_bitrate
    }
    /// QVBR quality level, if set.
    pub const fn qvbr_quality_level(&self) -> Option<QvbrLevel> {
        self.qvbr_quality_level
    }
    /// The video codec.
    pub const fn codec(&self) -> VideoCodec {
        self.codec
    }
    /// A short name such as `720p_4M` (`720p_4M_h265` for H.265), used in output name modifiers.
    pub fn label(&self) -> String {
        match self.codec {
            VideoCodec::H264 => format!("{}p_{}", self.height, self.max_bitrate),
            VideoCodec::H265 => format!("{}p_{}_h265", self.height, self.max_bitrate),
        }
    }
}

pub(super) fn check_dimension(v: u32) -> Result<(), InvalidValue> {
    if !(Rendition::MIN_DIMENSION..=Rendition::MAX_DIMENSION).contains(&v) {
        return Err(InvalidValue::new(
            v,
            "must be from 32 to 8192 pixels (https://docs.aws.amazon.com/mediaconvert/latest/apireference/jobs.html#jobs-prop-videodescription-width)",
        ));
    }
    if !v.is_multiple_of(2) {
        return Err(InvalidValue::new(
            v,
            "must be even: H.264 with 4:2:0 chroma subsampling codes pixels in 2x2 blocks",
        ));
    }
    Ok(())
}

impl fmt::Display for Rendition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{} @ {}", self.width, self.height, self.max_bitrate)?;
        if self.codec == VideoCodec::H265 {
            f.write_str(" H.265")?;
        }
        if let Some(q) = self.qvbr_quality_level {
            write!(f, " (QVBR {q})")?;
        }
        Ok(())
    }
}

/// A named, documented ladder. See [`AbrLadder::preset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LadderPreset {
    /// `aws-qvbr`: the starting QVBR values recommended in the MediaConvert user guide.
    AwsQvbr,
    /// `apple-hls`: the 16:9 H.264 ladder of Apple's HLS authoring specification.
    AppleHls,
    /// `aws-vod-1080p`: the five renditions of AWS's "Video on Demand on AWS" 1080p QVBR job template.
    AwsVod1080p,
}
text_enum!(
    LadderPreset,
    "ladder presets",
    [
        (AwsQvbr, "aws-qvbr"),
        (AppleHls, "apple-hls"),
        (AwsVod1080p, "aws-vod-1080p")
    ]
);

/// The adaptive-bitrate ladder: the renditions every asset is transcoded into.
///
/// Invariants: at least one rendition, at most [`AbrLadder::MAX_RENDITIONS`], no two with the same
/// resolution and bitrate, and sorted from the highest bitrate down (the order players list variants in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AbrLadder(Vec<Rendition>);

impl AbrLadder {
    /// Most renditions in one ladder (this crate's bound; each is a MediaConvert output).
    pub const MAX_RENDITIONS: usize = 20;

    /// A ladder from renditions in any order. Rejects an empty list, too many renditions, and duplicates.
    pub fn new(renditions: impl IntoIterator<Item = Rendition>) -> Result<Self, InvalidValue> {
        let mut v: Vec<Rendition> = renditions.into_iter().collect();
        if v.is_empty() {
            return Err(InvalidValue::new(
                "[]",
                "an ABR ladder needs at least one rendition",
            ));
        }
        if v.len() > Self::MAX_RENDITIONS {
            return Err(InvalidValue::new(
                format!("{} renditions", v.len()),
                format!(
                    "an ABR ladder has at most {} renditions",
                    Self::MAX_RENDITIONS
                ),
            ));
        }
        v.sort_by(|a, b| {
            (b.max_bitrate, b.width * b.height, b.codec).cmp(&(
                a.max_bitrate,
                a.width * a.height,
                a.codec,
            ))
        });
        if let Some(w) = v.windows(2).find(|w| {
            (w[0].width, w[0].height, w[0].max_bitrate, w[0].codec)
                == (w[1].width, w[1].height, w[1].max_bitrate, w[1].codec)
        }) {
            return Err(InvalidValue::new(
                w[0],
                "an ABR ladder must not contain the same codec, resolution and bitrate twice",
            ));
        }
        Ok(Self(v))
    }

    /// A named preset.
    pub fn preset(preset: LadderPreset) -> Self {
        match preset {
            LadderPreset::AwsQvbr => Self::aws_qvbr(),
            LadderPreset::AppleHls => Self::apple_hls(),
            LadderPreset::AwsVod1080p => Self::aws_vod_1080p(),
        }
    }

    /// AWS's starting QVBR ladder, from "Guidelines for using QVBR" in the MediaConvert user guide
    /// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/cbr-vbr-qvbr.html>):
    ///
    /// | resolution | max bitrate | QVBR level |
    /// |---|---|---|
    /// | 1920x1080 | 6M | 9 |
    /// | 1280x720 | 4M | 8 |
    /// | 1280x720 | 2M | 7 |
    /// | 640x480 | 1M | 7 |
    /// | 480x360 | 700k | 7 |
    /// | 352x240 | 350k | 7 |
    pub fn aws_qvbr() -> Self {
        Self(vec![
            Rendition::preset(1920, 1080, 6_000_000, 9),
            Rendition::preset(1280, 720, 4_000_000, 8),
            Rendition::preset(1280, 720, 2_000_000, 7),
            Rendition::preset(640, 480, 1_000_000, 7),
            Rendition::preset(480, 360, 700_000, 7),
            Rendition::preset(352, 240, 350_000, 7),
        ])
    }

    /// The 16:9 H.264 ladder of Apple's HLS authoring specification
    /// (<https://developer.apple.com/documentation/http-live-streaming/hls-authoring-specification-for-apple-devices>,
    /// table "Video average bit rate", H.264 column). The spec gives average bitrates and allows a peak
    /// of up to 200 % of the average; this preset uses the average as the QVBR maximum, which stays well
    /// inside that. QVBR levels follow AWS's guidance (7 for small screens, 8–9 for 720p and up).
    ///
    /// | resolution | max bitrate | QVBR level |
    /// |---|---|---|
    /// | 1920x1080 | 7800k | 9 |
    /// | 1920x1080 | 6000k | 8 |
    /// | 1280x720 | 4500k | 8 |
    /// | 1280x720 | 3000k | 7 |
    /// | 960x540 | 2000k | 7 |
    /// | 768x432 | 1100k | 7 |
    /// | 640x360 | 730k | 7 |
    /// | 480x270 | 365k | 7 |
    /// | 416x234 | 145k | 7 |
    pub fn apple_hls() -> Self {
        Self(vec![
            Rendition::preset(1920, 1080, 7_800_000, 9),
            Rendition::preset(1920, 1080, 6_000_000, 8),
            Rendition::preset(1280, 720, 4_500_000, 8),
            Rendition::preset(1280, 720, 3_000_000, 7),
            Rendition::preset(960, 540, 2_000_000, 7),
            Rendition::preset(768, 432, 1_100_000, 7),
            Rendition::preset(640, 360, 730_000, 7),
            Rendition::preset(480, 270, 365_000, 7),
            Rendition::preset(416, 234, 145_000, 7),
        ])
    }

    /// The renditions of the 1080p QVBR job template of AWS's "Video on Demand on AWS" solution
    /// (`1080p_avc_aac_16x9_qvbr_no_preset.json`, v6.1.13, Apache-2.0):
    ///
    /// | resolution | max bitrate | QVBR level |
    /// |---|---|---|
    /// | 1920x1080 | 8.5M | 9 |
    /// | 1280x720 | 6M | 8 |
    /// | 960x540 | 3.5M | 8 |
    /// | 640x360 | 1.5M | 7 |
    /// | 480x270 | 400k | 7 |
    pub fn aws_vod_1080p() -> Self {
        Self(vec![
            Rendition::preset(1920, 1080, 8_500_000, 9),
            Rendition::preset(1280, 720, 6_000_000, 8),
            Rendition::preset(960, 540, 3_500_000, 8),
            Rendition::preset(640, 360, 1_500_000, 7),
            Rendition::preset(480, 270, 400_000, 7),
        ])
    }

    /// The renditions, highest bitrate first.
    pub fn renditions(&self) -> &[Rendition] {
        &self.0
    }
}

/// A packaging format MediaConvert produces.
///
/// Each maps to one MediaConvert output group type
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/outputs-file-ABR.html>):
///
/// | format | output group | segments | manifests |
/// |---|---|---|---|
/// | `hls` | `HLS_GROUP_SETTINGS` | MPEG-TS | `.m3u8` |
/// | `hls-fmp4` | `CMAF_GROUP_SETTINGS`, DASH manifest off | fMP4 (CMAF) | `.m3u8` |
/// | `dash` | `DASH_ISO_GROUP_SETTINGS` | fMP4 | `.mpd` |
/// | `cmaf` | `CMAF_GROUP_SETTINGS` | fMP4 (CMAF), one set for both | `.m3u8` and `.mpd` |
/// | `mp4` | `FILE_GROUP_SETTINGS` | one progressive MP4 file (top rendition, first audio) | none |
///
/// MediaConvert writes HLS with fMP4 segments through a CMAF output group (its HLS output group only
/// writes MPEG-TS), so `hls-fmp4` is a CMAF group that writes only the HLS manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Apple HTTP Live Streaming with MPEG-TS segments.
    Hls,
    /// MPEG-DASH (ISO).
    Dash,
    /// Common Media Application Format: HLS and DASH manifests over one set of fMP4 segments.
    Cmaf,
    /// Apple HTTP Live Streaming with fMP4 (CMAF) segments.
    HlsFmp4,
    /// One progressive-download MP4 file.
    Mp4,
}
text_enum!(
    OutputFormat,
    "output formats",
    [
        (Hls, "hls"),
        (Dash, "dash"),
        (Cmaf, "cmaf"),
        (HlsFmp4, "hls-fmp4"),
        (Mp4, "mp4")
    ]
);

/// What a playback URL points at: an HLS playlist, a DASH manifest or an MP4 file; also the file
/// extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ManifestKind {
    /// An HLS master playlist (`.m3u8`).
    M3u8,
    /// A DASH manifest (`.mpd`).
    Mpd,
    /// A progressive MP4 file (`.mp4`).
    Mp4,
}

text_enum!(
    ManifestKind,
    "manifest kinds",
    [(M3u8, "m3u8"), (Mpd, "mpd"), (Mp4, "mp4")]
);

impl OutputFormat {
    /// The MediaConvert output group type.
    pub fn group_type(self) -> &'static str {
        match self {
            Self::Hls => "HLS_GROUP_SETTINGS",
            Self::Dash => "DASH_ISO_GROUP_SETTINGS",
            Self::Cmaf | Self::HlsFmp4 => "CMAF_GROUP_SETTINGS",
            Self::Mp4 => "FILE_GROUP_SETTINGS",
        }
    }

    /// Whether the format is cut into segments (everything but `mp4`).
    pub fn is_segmented(self) -> bool {
        self != Self::Mp4
    }

    /// Whether the format's segments are made of fragments (`dash`, `cmaf`, `hls-fmp4`), whose
    /// length MediaConvert takes as `FragmentLength`.
    pub fn has_fragments(self) -> bool {
        matches!(self, Self::Dash | Self::Cmaf | Self::HlsFmp4)
    }
}

/// Content types by file extension (lowercase), for source files and packaged output. A CMAF or
/// MP4 audio track is `audio/mp4` (RFC 4337).
pub(crate) const CONTENT_TYPES: &[(&str, &str)] = &[
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("m4s", "video/mp4"),
    ("cmfv", "video/mp4"),
    ("cmfa", "audio/mp4"),
    ("m4a", "audio/mp4"),
    ("mov", "video/quicktime"),
    ("mxf", "application/mxf"),
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("mpd", "application/dash+xml"),
    ("ts", "video/mp2t"),
    ("aac", "audio/aac"),
    ("vtt", "text/vtt"),
    ("xml", "application/ttml+xml"),
    ("ttml", "application/ttml+xml"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("json", "application/json"),
];

/// Content type by file extension (compared without regard to case), `application/octet-stream`
/// for a key without a known extension.
pub(crate) fn content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    CONTENT_TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("application/octet-stream", |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.m3u8"), "application/vnd.apple.mpegurl");
        assert_eq!(content_type("x.MPD"), "application/dash+xml");
        assert_eq!(content_type("seg_00001.ts"), "video/mp2t");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    #[test]
    fn bitrate_parsing() {
        let p = |s: &str| s.parse::<Bitrate>().map(Bitrate::bps);
        assert_eq!(p("3000k"), Ok(3_000_000));
        assert_eq!(p("730k"), Ok(730_000));
        assert_eq!(p("6M"), Ok(6_000_000));
        assert_eq!(p("1.5M"), Ok(1_500_000));
        assert_eq!(p("8.5M"), Ok(8_500_000));
        assert_eq!(p("2500000"), Ok(2_500_000));
        assert_eq!(p("1"), Ok(1));
        assert!(p("0").is_err());
        assert!(p("0k").is_err());
        assert!(p("1.0005k").is_err());
        assert!(p("6m").is_err());
        assert!(p("k").is_err());
        assert!(p("1.2.3M").is_err());
        assert!(p("-5k").is_err());
        assert!(p("99999999999999M").is_err());
        assert!(p("").is_err());
    }

    #[test]
    fn bitrate_display_round_trips() {
        for s in ["6M", "730k", "1234567"] {
            assert_eq!(s.parse::<Bitrate>().unwrap().to_string(), s);
        }
        assert_eq!("3000k".parse::<Bitrate>().unwrap().to_string(), "3M");
        assert_eq!("1.5M".parse::<Bitrate>().unwrap().to_string(), "1500k");
    }

    #[test]
    fn qvbr_level_bounds() {
        assert!(QvbrLevel::new(0).is_err());
        assert!(QvbrLevel::new(1).is_ok());
        assert!(QvbrLevel::new(10).is_ok());
        assert!(QvbrLevel::new(11).is_err());
    }

    #[test]
    fn largest_resolution_per_codec() {
        let b = |s: &str| s.parse::<Bitrate>().unwrap();
        let h264 = |w, h| Rendition::with_codec(VideoCodec::H264, w, h, b("20M"), None);
        let h265 = |w, h| Rendition::with_codec(VideoCodec::H265, w, h, b("20M"), None);
        for (w, h) in [(4096, 2160), (2160, 4096), (3840, 2160), (1080, 1920)] {
            assert!(h264(w, h).is_ok(), "{w}x{h}");
        }
        for (w, h) in [
            (4098, 2160),
            (4096, 2162),
            (2162, 4096),
            (4096, 4096),
            (8192, 8192),
        ] {
            let e = h264(w, h).unwrap_err();
            assert_eq!(e[0].0, "width", "{w}x{h}");
            assert!(e[0].1.to_string().contains("4096x2160"), "{}", e[0].1);
        }
        for (w, h) in [(8192, 4320), (4320, 8192), (4096, 4096), (7680, 4320)] {
            assert!(h265(w, h).is_ok(), "{w}x{h}");
        }
        for (w, h) in [(8192, 4322), (4322, 8192), (8192, 8192)] {
            let e = h265(w, h).unwrap_err();
            assert!(e[0].1.to_string().contains("8192x4320"), "{}", e[0].1);
        }
    }

    #[test]
    fn rendition_bounds() {
        let b = |s: &str| s.parse::<Bitrate>().unwrap();
        assert!(Rendition::new(32, 32, b("1000"), None).is_ok());
        assert!(Rendition::new(4096, 2160, b("1152000000"), Some(10)).is_ok());
        let e = Rendition::new(30, 8194, b("999"), Some(11)).unwrap_err();
        let fields: Vec<_> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["width", "height", "max_bitrate", "qvbr_quality_level"]
        );
        assert_eq!(
            Rendition::new(641, 360, b("1M"), None).unwrap_err()[0].0,
            "width"
        );
        assert_eq!(
            Rendition::new(640, 361, b("1M"), None).unwrap_err()[0].0,
            "height"
        );
        assert!(Rendition::new(640, 360, b("1152000001"), None).is_err());
    }

    #[test]
    fn ladder_sorted_nonempty_unique() {
        let r = |w, h, br: &str| Rendition::new(w, h, br.parse().unwrap(), None).unwrap();
        let l = AbrLadder::new([
            r(640, 360, "730k"),
            r(1280, 720, "3000k"),
            r(960, 540, "2000k"),
        ])
        .unwrap();
        let heights: Vec<_> = l.renditions().iter().map(Rendition::height).collect();
        assert_eq!(heights, [720, 540, 360]);
        assert!(AbrLadder::new([]).is_err());
        assert!(AbrLadder::new([r(640, 360, "730k"), r(640, 360, "730k")]).is_err());
        assert!(AbrLadder::new([r(640, 360, "730k"), r(640, 360, "800k")]).is_ok());
        assert!(AbrLadder::new(vec![r(640, 360, "730k"); 21]).is_err());
        let twenty: Vec<_> = (0..20)
            .map(|i| r(640, 360, &format!("{}k", 100 + i)))
            .collect();
        assert!(AbrLadder::new(twenty).is_ok());
    }

    #[test]
    fn presets_are_valid_ladders() {
        for p in [
            LadderPreset::AwsQvbr,
            LadderPreset::AppleHls,
            LadderPreset::AwsVod1080p,
        ] {
            let l = AbrLadder::preset(p);
            let rebuilt = AbrLadder::new(l.renditions().iter().map(|r| {
                Rendition::new(
                    r.width(),
                    r.height(),
                    r.max_bitrate(),
                    r.qvbr_quality_level().map(QvbrLevel::get),
                )
                .unwrap()
            }))
            .unwrap();
            assert_eq!(rebuilt, l, "{p} must be valid and already sorted");
            assert_eq!(p.as_str().parse::<LadderPreset>().unwrap(), p);
        }
        assert_eq!(
            AbrLadder::aws_qvbr().renditions()[0].max_bitrate().bps(),
            6_000_000
        );
        assert_eq!(AbrLadder::apple_hls().renditions().len(), 9);
        assert_eq!(AbrLadder::aws_vod_1080p().renditions().len(), 5);
    }

    #[test]
    fn formats() {
        assert_eq!("hls".parse::<OutputFormat>().unwrap(), OutputFormat::Hls);
        assert_eq!(OutputFormat::Cmaf.group_type(), "CMAF_GROUP_SETTINGS");
        let e = "HLS".parse::<OutputFormat>().unwrap_err();
        assert!(e.rule.contains("hls, dash, cmaf"), "{e}");
    }
}
