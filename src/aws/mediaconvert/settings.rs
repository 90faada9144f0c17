//! The pure part of a MediaConvert job: [`JobParams`] to the SDK's [`JobSettings`] and the other
//! `CreateJob` inputs. No I/O.
//!
//! The shape follows a known-good reference, the 1080p QVBR job template of AWS's "Video on Demand on
//! AWS" solution (`testdata/1080p_avc_aac_16x9_qvbr_no_preset.json`, Apache-2.0): one input; one output
//! group per format; H.264 (or H.265) QVBR video with closed GOPs measured in seconds, and AAC audio.
//!
//! - `hls` (`HLS_GROUP_SETTINGS`, MPEG-TS): with one audio rendition and no audio-only variant, audio is
//!   muxed with each video rendition, as in the reference. Otherwise the video outputs are video-only
//!   and each audio rendition is an alternate audio output of the group `program_audio`
//!   (`EXT-X-MEDIA`), plus, with `hls_audio_only`, an `AUDIO_ONLY_VARIANT_STREAM` output.
//! - `dash`, `cmaf` and `hls-fmp4` (a CMAF group that writes only the HLS manifest): video-only outputs
//!   plus one audio-only output per audio rendition, because MediaConvert does not mux audio and video
//!   in those groups (<https://docs.aws.amazon.com/mediaconvert/latest/ug/outputs-file-ABR.html>).
//! - `mp4` (`FILE_GROUP_SETTINGS`): one MP4 file, the top rendition with the first audio rendition.
//! - Captions: a caption selector on the input reads the sidecar (SRT or WebVTT); every streaming group
//!   gets a caption-only output `_captions`: WebVTT for HLS and CMAF
//!   (<https://docs.aws.amazon.com/mediaconvert/latest/ug/webvtt-output-captions.html>), IMSC in a raw
//!   container for DASH ISO, which takes no WebVTT
//!   (<https://docs.aws.amazon.com/mediaconvert/latest/ug/sidecar-captions-support-tables-by-container-type.html>).
//! - Thumbnails: a `FILE_GROUP_SETTINGS` group with one `FRAME_CAPTURE` output in container `RAW`
//!   (<https://docs.aws.amazon.com/mediaconvert/latest/ug/frame-capture.html>).
//! - With a job template, the settings carry only the input; the template brings the output groups.

use std::collections::HashMap;

use aws_sdk_mediaconvert::types::{
    AacAudioDescriptionBroadcasterMix, AacCodecProfile, AacCodingMode, AacRateControlMode,
    AacRawFormat, AacSettings, AacSpecification, AccelerationMode, AccelerationSettings,
    AfdSignaling, AntiAlias, AudioCodec, AudioCodecSettings, AudioDefaultSelection,
    AudioDescription, AudioLanguageCodeControl, AudioSelector, AudioTypeControl,
    CaptionDescription, CaptionDestinationSettings, CaptionDestinationType, CaptionSelector,
    CaptionSourceSettings, CaptionSourceType, CmafClientCache, CmafCodecSpecification,
    CmafGroupSettings, CmafManifestDurationFormat, CmafMpdProfile, CmafSegmentControl,
    CmafStreamInfResolution, CmafWriteDashManifest, CmafWriteHlsManifest, CmfcAudioTrackType,
    CmfcSettings, ColorMetadata, ContainerSettings, ContainerType, DashIsoGroupSettings,
    DashIsoHbbtvCompliance, DashIsoMpdProfile, DashIsoSegmentControl, DropFrameTimecode,
    FileGroupSettings, FileSourceSettings, FrameCaptureSettings, H264AdaptiveQuantization,
    H264CodecLevel, H264CodecProfile, H264DynamicSubGop, H264EntropyEncoding, H264FieldEncoding,
    H264FlickerAdaptiveQuantization, H264FramerateControl, H264FramerateConversionAlgorithm,
    H264GopBReference, H264GopSizeUnits, H264InterlaceMode, H264ParControl, H264QualityTuningLevel,
    H264QvbrSettings, H264RateControlMode, H264RepeatPps, H264SceneChangeDetect, H264Settings,
    H264SlowPal, H264SpatialAdaptiveQuantization, H264Syntax, H264Telecine,
    H264TemporalAdaptiveQuantization, H264UnregisteredSeiTimecode, H265AdaptiveQuantization,
    H265CodecLevel, H265CodecProfile, H265FramerateControl, H265GopSizeUnits, H265InterlaceMode,
    H265QualityTuningLevel, H265QvbrSettings, H265RateControlMode, H265SceneChangeDetect,
    H265Settings, H265WriteMp4PackagingType, HlsAudioOnlyContainer, HlsAudioTrackType,
    HlsCaptionLanguageSetting, HlsCaptionSegmentLengthControl, HlsClientCache,
    HlsCodecSpecification, HlsDirectoryStructure, HlsGroupSettings, HlsManifestCompression,
    HlsManifestDurationFormat, HlsOutputSelection, HlsProgramDateTime, HlsSegmentControl,
    HlsSettings, HlsStreamInfResolution, HlsTimedMetadataId3Frame, ImscDestinationSettings,
    ImscStylePassthrough, Input, JobSettings, LanguageCode, M3u8PcrControl, M3u8Settings,
    MpdCaptionContainerType, MpdSettings, Output, OutputGroup, OutputGroupSettings,
    OutputGroupType, OutputSettings, RespondToAfd, ScalingBehavior, StatusUpdateInterval,
    VideoCodec, VideoCodecSettings, VideoDescription, VideoSelector, VideoTimecodeInsertion,
};

use crate::plan::{AudioParams, JobParams, OutputGroupParams, ThumbnailParams};
use crate::types::{OutputFormat, Rendition, VideoCodec as Codec};

/// The user metadata key that carries the plan's idempotency token, so that apply can find an
/// in-flight job with the same settings.
pub(crate) const TOKEN_KEY: &str = "vod-pipeline:token";

/// The input's only audio selector, which every audio description reads from.
pub(crate) const AUDIO_SELECTOR: &str = "Audio Selector 1";

/// The input's caption selector, which reads the sidecar file.
pub(crate) const CAPTION_SELECTOR: &str = "Captions Selector 1";

/// The name modifier of the audio-only output of DASH and CMAF groups (one audio rendition); with
/// several, `_audio_<bitrate>`.
pub(crate) const AUDIO_NAME_MODIFIER: &str = "_audio";

/// The name modifier of the HLS audio-only variant stream.
pub(crate) const AUDIO_ONLY_NAME_MODIFIER: &str = "_audio_only";

/// The name modifier of WebVTT caption outputs.
pub(crate) const CAPTIONS_NAME_MODIFIER: &str = "_captions";

/// The name modifier of frame captures.
pub(crate) const THUMBNAIL_NAME_MODIFIER: &str = "_thumb";

/// The HLS audio rendition group of alternate audio outputs.
const AUDIO_GROUP: &str = "program_audio";

/// H.264's largest HRD buffer (and `MaxBitrate`), in bits.
const MAX_HRD_BUFFER: u64 = 1_152_000_000;

/// The job settings: one input and one output group per format (plus one for thumbnails). With a job
/// template, only the input: the template brings the output groups.
pub(crate) fn job_settings(params: &JobParams) -> JobSettings {
    if params.job_template.is_some() {
        return JobSettings::builder().inputs(input(params)).build();
    }
    let mut groups: Vec<OutputGroup> = params
        .output_groups
        .iter()
        .map(|g| output_group(params, g))
        .collect();
    if let Some(t) = &params.thumbnails {
        groups.push(thumbnail_group(t));
    }
    JobSettings::builder()
        .ad_avail_offset(0)
        .inputs(input(params))
        .set_output_groups(Some(groups))
        .build()
}

/// `CreateJob`'s `UserMetadata`: the plan's (pipeline, asset, the spec's own) plus the idempotency token.
pub(crate) fn user_metadata(params: &JobParams, token: &str) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = params
        .user_metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    m.insert(TOKEN_KEY.to_owned(), token.to_owned());
    m
}

/// `CreateJob`'s `Queue`: none for the account's default queue (MediaConvert then uses it), else the
/// queue's name or ARN.
pub(crate) fn queue(params: &JobParams) -> Option<String> {
    let q = params.queue.trim();
    (!q.is_empty() && q != "Default").then(|| q.to_owned())
}

/// `CreateJob`'s `Priority`: none for 0, MediaConvert's default.
pub(crate) fn priority(params: &JobParams) -> Option<i32> {
    (params.priority != 0).then_some(i32::from(params.priority))
}

/// `CreateJob`'s `AccelerationSettings`: none for `DISABLED`, MediaConvert's default.
pub(crate) fn acceleration(params: &JobParams) -> Option<AccelerationSettings> {
    (params.acceleration != "DISABLED").then(|| {
        AccelerationSettings::builder()
            .mode(AccelerationMode::from(params.acceleration.as_str()))
            .build()
    })
}

/// `CreateJob`'s `StatusUpdateInterval`.
pub(crate) fn status_update_interval(params: &JobParams) -> StatusUpdateInterval {
    StatusUpdateInterval::from(params.status_update_interval.as_str())
}

fn input(p: &JobParams) -> Input {
    let mut b = Input::builder()
        .file_input(p.input.clone())
        .audio_selectors(
            AUDIO_SELECTOR,
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        )
        .video_selector(VideoSelector::builder().build());
    if let Some(c) = &p.captions {
        b = b.caption_selectors(
            CAPTION_SELECTOR,
            CaptionSelector::builder()
                .language_code(LanguageCode::from(c.language.as_str()))
                .source_settings(
                    CaptionSourceSettings::builder()
                        .source_type(CaptionSourceType::from(c.source_type.as_str()))
                        .file_source_settings(
                            FileSourceSettings::builder()
                                .source_file(c.source.clone())
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    }
    b.build()
}

fn output_group(p: &JobParams, g: &OutputGroupParams) -> OutputGroup {
    let segment = secs_i32(g.segment_length.unwrap_or(p.segment_length.secs()));
    let fragment = secs_i32(g.fragment_length.unwrap_or(p.fragment_length.get()));
    let (name, settings, outputs) = match g.format {
        OutputFormat::Hls => (
            "Apple HLS",
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::HlsGroupSettings)
                .hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination(g.destination.clone())
                        .segment_length(segment)
                        .min_segment_length(0)
                        .segment_control(HlsSegmentControl::SegmentedFiles)
                        .directory_structure(HlsDirectoryStructure::SingleDirectory)
                        .manifest_duration_format(HlsManifestDurationFormat::Integer)
                        .output_selection(HlsOutputSelection::ManifestsAndSegments)
                        .timed_metadata_id3_period(10)
                        .timed_metadata_id3_frame(HlsTimedMetadataId3Frame::Priv)
                        .caption_language_setting(HlsCaptionLanguageSetting::Omit)
                        .set_caption_segment_length_control(
                            p.captions
                                .as_ref()
                                .map(|_| HlsCaptionSegmentLengthControl::LargeSegments),
                        )
                        .codec_specification(HlsCodecSpecification::Rfc4281)
                        .program_date_time(HlsProgramDateTime::Exclude)
                        .program_date_time_period(600)
                        .manifest_compression(HlsManifestCompression::None)
                        .client_cache(HlsClientCache::Enabled)
                        .stream_inf_resolution(HlsStreamInfResolution::Include)
                        .build(),
                )
                .build(),
            hls_outputs(p),
        ),
        OutputFormat::Dash => (
            "DASH ISO",
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::DashIsoGroupSettings)
                .dash_iso_group_settings(
                    DashIsoGroupSettings::builder()
                        .destination(g.destination.clone())
                        .segment_length(segment)
                        .fragment_length(fragment)
                        .segment_control(DashIsoSegmentControl::SegmentedFiles)
                        .mpd_profile(DashIsoMpdProfile::MainProfile)
                        .hbbtv_compliance(DashIsoHbbtvCompliance::None)
                        .build(),
                )
                .build(),
            split_outputs(p, ContainerType::Mpd, false),
        ),
        OutputFormat::Cmaf | OutputFormat::HlsFmp4 => {
            let hls_only = g.format == OutputFormat::HlsFmp4;
            (
                if hls_only { "HLS fMP4" } else { "CMAF" },
                OutputGroupSettings::builder()
                    .r#type(OutputGroupType::CmafGroupSettings)
                    .cmaf_group_settings(
                        CmafGroupSettings::builder()
                            .destination(g.destination.clone())
                            .segment_length(segment)
                            .fragment_length(fragment)
                            .segment_control(CmafSegmentControl::SegmentedFiles)
                            .write_hls_manifest(CmafWriteHlsManifest::Enabled)
                            .write_dash_manifest(if hls_only {
                                CmafWriteDashManifest::Disabled
                            } else {
                                CmafWriteDashManifest::Enabled
                            })
                            .manifest_duration_format(CmafManifestDurationFormat::Integer)
                            .codec_specification(CmafCodecSpecification::Rfc6381)
                            .client_cache(CmafClientCache::Enabled)
                            .stream_inf_resolution(CmafStreamInfResolution::Include)
                            .mpd_profile(CmafMpdProfile::MainProfile)
                            .build(),
                    )
                    .build(),
                split_outputs(p, ContainerType::Cmfc, hls_only && p.hls_audio_only),
            )
        }
        OutputFormat::Mp4 => (
            "File Group",
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination(g.destination.clone())
                        .build(),
                )
                .build(),
            vec![mp4_output(p)],
        ),
        // `OutputFormat` is non-exhaustive for users; every variant is handled above.
        #[allow(unreachable_patterns)]
        _ => (
            "Unsupported",
            OutputGroupSettings::builder().build(),
            vec![],
        ),
    };
    OutputGroup::builder()
        .name(name)
        .output_group_settings(settings)
        .set_outputs(Some(outputs))
        .build()
}

/// Whether HLS (TS) outputs mux the audio with each video rendition: one audio rendition and no
/// audio-only variant, the reference's shape.
pub(crate) fn hls_muxes_audio(p: &JobParams) -> bool {
    p.audio.len() == 1 && !p.hls_audio_only
}

fn m3u8_container() -> ContainerSettings {
    ContainerSettings::builder()
        .container(ContainerType::M3U8)
        .m3u8_settings(m3u8_settings())
        .build()
}

/// HLS (TS): one output per rendition; audio muxed or as alternate audio outputs; captions.
fn hls_outputs(p: &JobParams) -> Vec<Output> {
    let mux = hls_muxes_audio(p);
    let mut outputs: Vec<Output> = p
        .renditions
        .renditions()
        .iter()
        .map(|r| {
            let o = Output::builder()
                .name_modifier(name_modifier(p, r))
                .container_settings(m3u8_container())
                .video_description(video_description(p, r));
            if mux {
                o.audio_descriptions(audio_description(&p.audio[0])).build()
            } else {
                o.output_settings(
                    OutputSettings::builder()
                        .hls_settings(
                            HlsSettings::builder()
                                .audio_rendition_sets(AUDIO_GROUP)
                                .build(),
                        )
                        .build(),
                )
                .build()
            }
        })
        .collect();
    if !mux {
        for (i, a) in p.audio.iter().enumerate() {
            let track = if i == 0 {
                HlsAudioTrackType::AlternateAudioAutoSelectDefault
            } else {
                HlsAudioTrackType::AlternateAudioAutoSelect
            };
            outputs.push(
                Output::builder()
                    .name_modifier(audio_name_modifier(p, a))
                    .container_settings(m3u8_container())
                    .audio_descriptions(audio_description(a))
                    .output_settings(
                        OutputSettings::builder()
                            .hls_settings(
                                HlsSettings::builder()
                                    .audio_group_id(AUDIO_GROUP)
                                    .audio_track_type(track)
                                    .audio_only_container(HlsAudioOnlyContainer::Automatic)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
    }
    if p.hls_audio_only
        && let Some(a) = p.audio.last()
    {
        outputs.push(
            Output::builder()
                .name_modifier(AUDIO_ONLY_NAME_MODIFIER)
                .container_settings(m3u8_container())
                .audio_descriptions(audio_description(a))
                .output_settings(
                    OutputSettings::builder()
                        .hls_settings(
                            HlsSettings::builder()
                                .audio_track_type(HlsAudioTrackType::AudioOnlyVariantStream)
                                .audio_only_container(HlsAudioOnlyContainer::Automatic)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        );
    }
    if p.captions.is_some() {
        outputs.push(caption_output(p, ContainerType::M3U8));
    }
    outputs
}

/// DASH and CMAF: one video-only output per rendition, one audio-only output per audio rendition,
/// captions; with `audio_only_variant` (HLS fMP4), an audio-only variant stream.
fn split_outputs(p: &JobParams, container: ContainerType, audio_only_variant: bool) -> Vec<Output> {
    let cmaf = container == ContainerType::Cmfc;
    let container_settings = |track: Option<CmfcAudioTrackType>| {
        let b = ContainerSettings::builder().container(container.clone());
        if cmaf {
            b.cmfc_settings(
                CmfcSettings::builder()
                    .set_audio_track_type(track)
                    .set_audio_group_id(
                        (cmaf && audio_only_variant).then(|| AUDIO_GROUP.to_owned()),
                    )
                    .build(),
            )
            .build()
        } else {
            b.build()
        }
    };
    let mut outputs: Vec<Output> = p
        .renditions
        .renditions()
        .iter()
        .map(|r| {
            Output::builder()
                .name_modifier(name_modifier(p, r))
                .container_settings(
                    ContainerSettings::builder()
                        .container(container.clone())
                        .build(),
                )
                .video_description(video_description(p, r))
                .build()
        })
        .collect();
    for (i, a) in p.audio.iter().enumerate() {
        let track = (cmaf && (p.audio.len() > 1 || audio_only_variant)).then_some(if i == 0 {
            CmfcAudioTrackType::AlternateAudioAutoSelectDefault
        } else {
            CmfcAudioTrackType::AlternateAudioAutoSelect
        });
        outputs.push(
            Output::builder()
                .name_modifier(audio_name_modifier(p, a))
                .container_settings(container_settings(track))
                .audio_descriptions(audio_description(a))
                .build(),
        );
    }
    if audio_only_variant && let Some(a) = p.audio.last() {
        outputs.push(
            Output::builder()
                .name_modifier(AUDIO_ONLY_NAME_MODIFIER)
                .container_settings(
                    ContainerSettings::builder()
                        .container(container.clone())
                        .cmfc_settings(
                            CmfcSettings::builder()
                                .audio_track_type(CmfcAudioTrackType::AudioOnlyVariantStream)
                                .build(),
                        )
                        .build(),
                )
                .audio_descriptions(audio_description(a))
                .build(),
        );
    }
    if p.captions.is_some() {
        outputs.push(caption_output(p, container));
    }
    outputs
}

/// `_audio` with one audio rendition, `_audio_<bitrate>` (`_audio_128k`) with several.
pub(crate) fn audio_name_modifier(p: &JobParams, a: &AudioParams) -> String {
    if p.audio.len() == 1 {
        AUDIO_NAME_MODIFIER.to_owned()
    } else {
        format!(
            "{AUDIO_NAME_MODIFIER}_{}",
            crate::types::Bitrate::new(u64::from(a.bitrate))
                .map_or_else(|_| a.bitrate.to_string(), |b| b.to_string())
        )
    }
}

/// A caption-only output reading the sidecar through the input's caption selector, in the format the
/// group takes from a sidecar source
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/sidecar-captions-support-tables-by-container-type.html>):
/// WebVTT for HLS and CMAF; for DASH ISO, which does not take WebVTT, one IMSC document in a raw
/// container (`<asset>_captions.xml`,
/// <https://docs.aws.amazon.com/mediaconvert/latest/ug/ttml-and-webvtt-output-captions.html>).
fn caption_output(p: &JobParams, container: ContainerType) -> Output {
    let lang = p
        .captions
        .as_ref()
        .map(|c| c.language.as_str())
        .unwrap_or("ENG");
    let dash = container == ContainerType::Mpd;
    let container_settings = ContainerSettings::builder().container(container);
    let (container_settings, destination) = if dash {
        (
            container_settings.mpd_settings(
                MpdSettings::builder()
                    .caption_container_type(MpdCaptionContainerType::Raw)
                    .build(),
            ),
            CaptionDestinationSettings::builder()
                .destination_type(CaptionDestinationType::Imsc)
                .imsc_destination_settings(
                    ImscDestinationSettings::builder()
                        .style_passthrough(ImscStylePassthrough::Disabled)
                        .build(),
                ),
        )
    } else {
        (
            container_settings,
            CaptionDestinationSettings::builder().destination_type(CaptionDestinationType::Webvtt),
        )
    };
    Output::builder()
        .name_modifier(CAPTIONS_NAME_MODIFIER)
        .container_settings(container_settings.build())
        .caption_descriptions(
            CaptionDescription::builder()
                .caption_selector_name(CAPTION_SELECTOR)
                .language_code(LanguageCode::from(lang))
                .destination_settings(destination.build())
                .build(),
        )
        .build()
}

/// The MP4 file: the top rendition with the first audio rendition, no name modifier
/// (`<asset>.mp4`).
fn mp4_output(p: &JobParams) -> Output {
    let mut o = Output::builder().container_settings(
        ContainerSettings::builder()
            .container(ContainerType::Mp4)
            .build(),
    );
    if let Some(r) = p.renditions.renditions().first() {
        o = o.video_description(video_description(p, r));
    }
    if let Some(a) = p.audio.first() {
        o = o.audio_descriptions(audio_description(a));
    }
    o.build()
}

/// Frame-capture thumbnails: a file group with one `FRAME_CAPTURE` output in container `RAW`.
fn thumbnail_group(t: &ThumbnailParams) -> OutputGroup {
    OutputGroup::builder()
        .name("Thumbnails")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination(t.destination.clone())
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier(THUMBNAIL_NAME_MODIFIER)
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Raw)
                        .build(),
                )
                .video_description(
                    VideoDescription::builder()
                        .width(dim_i32(t.width))
                        .height(dim_i32(t.height))
                        .scaling_behavior(ScalingBehavior::Default)
                        .codec_settings(
                            VideoCodecSettings::builder()
                                .codec(VideoCodec::FrameCapture)
                                .frame_capture_settings(
                                    FrameCaptureSettings::builder()
                                        .framerate_numerator(1)
                                        .framerate_denominator(secs_i32(t.interval))
                                        .set_max_captures(
                                            t.max_captures
                                                .map(|m| i32::try_from(m).unwrap_or(i32::MAX)),
                                        )
                                        .quality(i32::from(t.quality))
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// `_720p_4M`, from [`Rendition::label`]. Two renditions of the same label (different widths)
/// would collide, and name modifiers must be unique within a group: those get the width too.
pub(crate) fn name_modifier(p: &JobParams, r: &Rendition) -> String {
    let label = r.label();
    let same = p
        .renditions
        .renditions()
        .iter()
        .filter(|o| o.label() == label)
        .count();
    if same > 1 {
        format!("_{}x{label}", r.width())
    } else {
        format!("_{label}")
    }
}

/// The MPEG-TS settings of the reference, for HLS outputs.
fn m3u8_settings() -> M3u8Settings {
    M3u8Settings::builder()
        .audio_frames_per_pes(4)
        .pcr_control(M3u8PcrControl::PcrEveryPesPacket)
        .pmt_pid(480)
        .private_metadata_pid(503)
        .program_number(1)
        .pat_interval(0)
        .pmt_interval(0)
        .video_pid(481)
        .set_audio_pids(Some((482..=498).collect()))
        .build()
}

fn video_description(p: &JobParams, r: &Rendition) -> VideoDescription {
    let codec = match r.codec() {
        Codec::H265 => VideoCodecSettings::builder()
            .codec(VideoCodec::H265)
            .h265_settings(h265_settings(p, r))
            .build(),
        _ => VideoCodecSettings::builder()
            .codec(VideoCodec::H264)
            .h264_settings(h264_settings(p, r))
            .build(),
    };
    VideoDescription::builder()
        .width(dim_i32(r.width()))
        .height(dim_i32(r.height()))
        .scaling_behavior(ScalingBehavior::Default)
        .timecode_insertion(VideoTimecodeInsertion::Disabled)
        .anti_alias(AntiAlias::Enabled)
        .sharpness(100)
        .afd_signaling(AfdSignaling::None)
        .drop_frame_timecode(DropFrameTimecode::Enabled)
        .respond_to_afd(RespondToAfd::None)
        .color_metadata(ColorMetadata::Insert)
        .codec_settings(codec)
        .build()
}

fn h264_settings(p: &JobParams, r: &Rendition) -> H264Settings {
    let max_bitrate = r.max_bitrate().bps();
    let rate_control = H264RateControlMode::from(p.rate_control_mode.as_str());
    let qvbr = (rate_control == H264RateControlMode::Qvbr).then(|| {
        H264QvbrSettings::builder()
            .set_qvbr_quality_level(r.qvbr_quality_level().map(|q| i32::from(q.get())))
            .build()
    });
    // The reference: MEDIUM below 540 lines, HIGH from 540 up.
    let aq = if r.height() < 540 {
        H264AdaptiveQuantization::Medium
    } else {
        H264AdaptiveQuantization::High
    };
    H264Settings::builder()
        .rate_control_mode(rate_control)
        .set_qvbr_settings(qvbr)
        .max_bitrate(bits_i32(max_bitrate))
        // The reference's buffer is 2.5 x the maximum bitrate (capped at H.264's largest).
        .hrd_buffer_size(bits_i32(
            (max_bitrate.saturating_mul(5) / 2).min(MAX_HRD_BUFFER),
        ))
        .hrd_buffer_initial_fill_percentage(90)
        .gop_size(p.gop_length.get() as f64)
        .gop_size_units(H264GopSizeUnits::Seconds)
        .gop_closed_cadence(1)
        .min_i_interval(0)
        .scene_change_detect(H264SceneChangeDetect::TransitionDetection)
        .codec_profile(H264CodecProfile::High)
        .codec_level(H264CodecLevel::Auto)
        .interlace_mode(H264InterlaceMode::Progressive)
        .par_control(H264ParControl::Specified)
        .par_numerator(1)
        .par_denominator(1)
        .number_reference_frames(3)
        .number_b_frames_between_reference_frames(5)
        .gop_b_reference(H264GopBReference::Enabled)
        .dynamic_sub_gop(H264DynamicSubGop::Adaptive)
        .syntax(H264Syntax::Default)
        .slices(1)
        .slow_pal(H264SlowPal::Disabled)
        .telecine(H264Telecine::None)
        .adaptive_quantization(aq)
        .spatial_adaptive_quantization(H264SpatialAdaptiveQuantization::Enabled)
        .temporal_adaptive_quantization(H264TemporalAdaptiveQuantization::Enabled)
        .flicker_adaptive_quantization(H264FlickerAdaptiveQuantization::Enabled)
        .entropy_encoding(H264EntropyEncoding::Cabac)
        .framerate_control(H264FramerateControl::InitializeFromSource)
        .framerate_conversion_algorithm(H264FramerateConversionAlgorithm::DuplicateDrop)
        .field_encoding(H264FieldEncoding::Paff)
        .quality_tuning_level(H264QualityTuningLevel::SinglePassHq)
        .unregistered_sei_timecode(H264UnregisteredSeiTimecode::Disabled)
        .repeat_pps(H264RepeatPps::Disabled)
        .build()
}

/// H.265 with the same rate control, GOP and HRD choices as the H.264 renditions; MAIN profile, 8 bit;
/// `HVC1` packaging so that Apple players accept it in fMP4.
fn h265_settings(p: &JobParams, r: &Rendition) -> H265Settings {
    let max_bitrate = r.max_bitrate().bps();
    let rate_control = H265RateControlMode::from(p.rate_control_mode.as_str());
    let qvbr = (rate_control == H265RateControlMode::Qvbr).then(|| {
        H265QvbrSettings::builder()
            .set_qvbr_quality_level(r.qvbr_quality_level().map(|q| i32::from(q.get())))
            .build()
    });
    H265Settings::builder()
        .rate_control_mode(rate_control)
        .set_qvbr_settings(qvbr)
        .max_bitrate(bits_i32(max_bitrate))
        .hrd_buffer_size(bits_i32(
            (max_bitrate.saturating_mul(5) / 2).min(MAX_HRD_BUFFER),
        ))
        .hrd_buffer_initial_fill_percentage(90)
        .gop_size(p.gop_length.get() as f64)
        .gop_size_units(H265GopSizeUnits::Seconds)
        .gop_closed_cadence(1)
        .min_i_interval(0)
        .scene_change_detect(H265SceneChangeDetect::TransitionDetection)
        .codec_profile(H265CodecProfile::MainMain)
        .codec_level(H265CodecLevel::Auto)
        .interlace_mode(H265InterlaceMode::Progressive)
        .number_reference_frames(3)
        .number_b_frames_between_reference_frames(3)
        .adaptive_quantization(H265AdaptiveQuantization::High)
        .framerate_control(H265FramerateControl::InitializeFromSource)
        .quality_tuning_level(H265QualityTuningLevel::SinglePassHq)
        .write_mp4_packaging_type(H265WriteMp4PackagingType::Hvc1)
        .build()
}

fn audio_description(a: &AudioParams) -> AudioDescription {
    AudioDescription::builder()
        .audio_source_name(AUDIO_SELECTOR)
        .audio_type_control(AudioTypeControl::FollowInput)
        .language_code_control(AudioLanguageCodeControl::FollowInput)
        .audio_type(0)
        .codec_settings(
            // The plan always asks for AAC (`audio[].codec`).
            AudioCodecSettings::builder()
                .codec(AudioCodec::Aac)
                .aac_settings(
                    AacSettings::builder()
                        .bitrate(bits_i32(u64::from(a.bitrate)))
                        .sample_rate(bits_i32(u64::from(a.sample_rate)))
                        .coding_mode(AacCodingMode::from(a.coding_mode.as_str()))
                        .codec_profile(AacCodecProfile::Lc)
                        .rate_control_mode(AacRateControlMode::Cbr)
                        .raw_format(AacRawFormat::None)
                        .specification(AacSpecification::Mpeg4)
                        .audio_description_broadcaster_mix(
                            AacAudioDescriptionBroadcasterMix::Normal,
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Segment and GOP lengths are at most 60 s (validated), so they always fit.
fn secs_i32(s: u64) -> i32 {
    i32::try_from(s).unwrap_or(i32::MAX)
}

/// Widths and heights are at most 8192 (validated).
fn dim_i32(d: u32) -> i32 {
    i32::try_from(d).unwrap_or(i32::MAX)
}

/// Bitrates and sample rates are at most 1,152,000,000 (validated), below `i32::MAX`.
fn bits_i32(b: u64) -> i32 {
    i32::try_from(b).unwrap_or(i32::MAX)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;
    use crate::plan::{AudioParams, OutputGroupParams};
    use crate::types::{AbrLadder, LadderPreset, Seconds, SegmentLength};

    const REFERENCE: &str = include_str!("testdata/1080p_avc_aac_16x9_qvbr_no_preset.json");

    pub(crate) fn params(formats: &[OutputFormat], segment: u64, gop: u64) -> JobParams {
        JobParams {
            asset: "sample".into(),
            input: "s3://vod-source/uploads/sample.mp4".into(),
            role_arn: "arn:aws:iam::123456789012:role/MediaConvert_Default_Role"
                .parse()
                .unwrap(),
            queue: "Default".into(),
            priority: 0,
            acceleration: "DISABLED".into(),
            status_update_interval: "SECONDS_60".into(),
            job_template: None,
            client_request_token: "vod-0123456789abcdef".into(),
            segment_length: SegmentLength::new(segment).unwrap(),
            gop_length: Seconds::new(gop),
            fragment_length: Seconds::new(gop),
            rate_control_mode: "QVBR".into(),
            renditions: AbrLadder::preset(LadderPreset::AwsVod1080p),
            audio: vec![AudioParams {
                codec: "AAC".into(),
                bitrate: 96_000,
                sample_rate: 48_000,
                coding_mode: "CODING_MODE_2_0".into(),
            }],
            hls_audio_only: false,
            captions: None,
            thumbnails: None,
            output_groups: formats
                .iter()
                .map(|&f| OutputGroupParams {
                    format: f,
                    group_type: f.group_type().into(),
                    destination: format!("s3://vod-out/packaged/sample/{f}/"),
                    segment_length: f.is_segmented().then_some(segment),
                    fragment_length: f.has_fragments().then_some(gop),
                    manifests: vec![],
                })
                .collect(),
            user_metadata: BTreeMap::from([
                ("vod-pipeline:pipeline".to_owned(), "vod".to_owned()),
                ("vod-pipeline:asset".to_owned(), "sample".to_owned()),
            ]),
            published_index: None,
        }
    }

    fn h264(o: &Output) -> &H264Settings {
        o.video_description()
            .and_then(|v| v.codec_settings())
            .and_then(|c| c.h264_settings())
            .expect("H.264 settings")
    }

    fn aac(o: &Output) -> &AacSettings {
        o.audio_descriptions()[0]
            .codec_settings()
            .and_then(|c| c.aac_settings())
            .expect("AAC settings")
    }

    fn i(v: &Value) -> i64 {
        v.as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .unwrap_or_else(|| panic!("{v} is not a number"))
    }

    /// The fields that matter, compared with the reference template. Deliberately different:
    /// - `NameModifier`: `_<height>p_<bitrate>` (`_1080p_8500k`) instead of the solution's long
    ///   preset names; the plan's playback paths only name the master manifest.
    /// - `SceneChangeDetect`: `TRANSITION_DETECTION` instead of `ENABLED`: it also inserts I-frames at
    ///   scene changes but keeps fades from being split into I-frame bursts, which is what AWS recommends
    ///   with QVBR.
    /// - `CodecLevel`: set to `AUTO` explicitly (the reference leaves it out, which means AUTO).
    /// - Audio: one AAC-LC 96 kb/s stereo 48 kHz rendition for every output (the plan's `audio`)
    ///   instead of HE-AAC v1 at 64/96 kb/s for the low rungs and AAC-LC 128 kb/s for 1080p: a single
    ///   audio rendition can be shared by all variants, and DASH/CMAF need it as a separate output anyway.
    /// - `AccelerationSettings.Mode` (job-level): `DISABLED` by default instead of `PREFERRED`:
    ///   accelerated transcoding is billed at its own rate and has input requirements, so it is opt-in
    ///   (`transcode.acceleration = "PREFERRED"` reproduces the reference; checked below).
    ///   `StatusUpdateInterval` (`SECONDS_60`), `Priority` (0) and `Queue` (`Default`) match.
    /// - The job has an `Inputs` entry (the reference is a template without one).
    #[test]
    fn hls_matches_reference_template() {
        let reference: Value = serde_json::from_str(REFERENCE).unwrap();
        let rs = &reference["Settings"];
        let rg = &rs["OutputGroups"][0];
        let p = params(&[OutputFormat::Hls], 3, 3);
        let s = job_settings(&p);

        assert_eq!(s.ad_avail_offset(), Some(i(&rs["AdAvailOffset"]) as i32));
        assert_eq!(s.output_groups().len(), 1);
        let g = &s.output_groups()[0];
        let gs = g.output_group_settings().unwrap();
        assert_eq!(
            gs.r#type().unwrap().as_str(),
            rg["OutputGroupSettings"]["Type"].as_str().unwrap()
        );
        let hls = gs.hls_group_settings().unwrap();
        let rh = &rg["OutputGroupSettings"]["HlsGroupSettings"];
        assert_eq!(hls.segment_length(), Some(i(&rh["SegmentLength"]) as i32));
        assert_eq!(
            hls.min_segment_length(),
            Some(i(&rh["MinSegmentLength"]) as i32)
        );
        for (field, ours) in [
            (
                "ManifestDurationFormat",
                hls.manifest_duration_format().map(|v| v.as_str()),
            ),
            ("SegmentControl", hls.segment_control().map(|v| v.as_str())),
            (
                "DirectoryStructure",
                hls.directory_structure().map(|v| v.as_str()),
            ),
            (
                "OutputSelection",
                hls.output_selection().map(|v| v.as_str()),
            ),
            (
                "CodecSpecification",
                hls.codec_specification().map(|v| v.as_str()),
            ),
            (
                "StreamInfResolution",
                hls.stream_inf_resolution().map(|v| v.as_str()),
            ),
            ("ClientCache", hls.client_cache().map(|v| v.as_str())),
            (
                "ProgramDateTime",
                hls.program_date_time().map(|v| v.as_str()),
            ),
            (
                "CaptionLanguageSetting",
                hls.caption_language_setting().map(|v| v.as_str()),
            ),
            (
                "ManifestCompression",
                hls.manifest_compression().map(|v| v.as_str()),
            ),
            (
                "TimedMetadataId3Frame",
                hls.timed_metadata_id3_frame().map(|v| v.as_str()),
            ),
        ] {
            assert_eq!(ours, rh[field].as_str(), "HlsGroupSettings.{field}");
        }
        assert_eq!(hls.destination(), Some("s3://vod-out/packaged/sample/hls/"));

        // The reference lists its outputs lowest first; the ladder is highest first.
        let mut ref_outputs: Vec<&Value> = rg["Outputs"].as_array().unwrap().iter().collect();
        ref_outputs.sort_by_key(|o| {
            -i(&o["VideoDescription"]["CodecSettings"]["H264Settings"]["MaxBitrate"])
        });
        assert_eq!(g.outputs().len(), ref_outputs.len());
        for (o, r) in g.outputs().iter().zip(ref_outputs) {
            let rv = &r["VideoDescription"];
            let rh = &rv["CodecSettings"]["H264Settings"];
            let v = o.video_description().unwrap();
            let h = h264(o);
            let ctx = o.name_modifier().unwrap();
            assert_eq!(
                o.container_settings()
                    .unwrap()
                    .container()
                    .unwrap()
                    .as_str(),
                r["ContainerSettings"]["Container"].as_str().unwrap()
            );
            assert_eq!(v.width(), Some(i(&rv["Width"]) as i32), "{ctx} width");
            assert_eq!(v.height(), Some(i(&rv["Height"]) as i32), "{ctx} height");
            assert_eq!(
                v.scaling_behavior().map(|x| x.as_str()),
                rv["ScalingBehavior"].as_str()
            );
            assert_eq!(
                v.codec_settings().unwrap().codec().unwrap().as_str(),
                rv["CodecSettings"]["Codec"].as_str().unwrap()
            );
            assert_eq!(
                h.max_bitrate(),
                Some(i(&rh["MaxBitrate"]) as i32),
                "{ctx} max bitrate"
            );
            assert_eq!(
                h.hrd_buffer_size(),
                Some(i(&rh["HrdBufferSize"]) as i32),
                "{ctx} HRD buffer"
            );
            assert_eq!(
                h.qvbr_settings().unwrap().qvbr_quality_level(),
                Some(i(&rh["QvbrSettings"]["QvbrQualityLevel"]) as i32),
                "{ctx} QVBR level"
            );
            assert_eq!(h.gop_size(), rh["GopSize"].as_f64(), "{ctx} GOP size");
            assert_eq!(
                h.gop_closed_cadence(),
                Some(i(&rh["GopClosedCadence"]) as i32)
            );
            assert_eq!(
                h.number_b_frames_between_reference_frames(),
                Some(i(&rh["NumberBFramesBetweenReferenceFrames"]) as i32)
            );
            assert_eq!(
                h.number_reference_frames(),
                Some(i(&rh["NumberReferenceFrames"]) as i32)
            );
            assert_eq!(
                h.hrd_buffer_initial_fill_percentage(),
                Some(i(&rh["HrdBufferInitialFillPercentage"]) as i32)
            );
            for (field, ours) in [
                ("RateControlMode", h.rate_control_mode().map(|x| x.as_str())),
                ("GopSizeUnits", h.gop_size_units().map(|x| x.as_str())),
                ("CodecProfile", h.codec_profile().map(|x| x.as_str())),
                ("InterlaceMode", h.interlace_mode().map(|x| x.as_str())),
                ("ParControl", h.par_control().map(|x| x.as_str())),
                ("GopBReference", h.gop_b_reference().map(|x| x.as_str())),
                ("DynamicSubGop", h.dynamic_sub_gop().map(|x| x.as_str())),
                (
                    "AdaptiveQuantization",
                    h.adaptive_quantization().map(|x| x.as_str()),
                ),
                ("EntropyEncoding", h.entropy_encoding().map(|x| x.as_str())),
                (
                    "FramerateControl",
                    h.framerate_control().map(|x| x.as_str()),
                ),
                (
                    "QualityTuningLevel",
                    h.quality_tuning_level().map(|x| x.as_str()),
                ),
            ] {
                assert_eq!(ours, rh[field].as_str(), "{ctx} H264Settings.{field}");
            }
            // Deliberately different (see above).
            assert_eq!(
                h.scene_change_detect(),
                Some(&H264SceneChangeDetect::TransitionDetection)
            );
            assert_eq!(rh["SceneChangeDetect"], "ENABLED");

            let ra = &r["AudioDescriptions"][0];
            let a = aac(o);
            assert_eq!(
                o.audio_descriptions()[0].audio_source_name(),
                ra["AudioSourceName"].as_str()
            );
            assert_eq!(
                o.audio_descriptions()[0]
                    .codec_settings()
                    .unwrap()
                    .codec()
                    .unwrap()
                    .as_str(),
                ra["CodecSettings"]["Codec"].as_str().unwrap()
            );
            let raa = &ra["CodecSettings"]["AacSettings"];
            assert_eq!(a.sample_rate(), Some(i(&raa["SampleRate"]) as i32));
            assert_eq!(
                a.coding_mode().map(|x| x.as_str()),
                raa["CodingMode"].as_str()
            );
            assert_eq!(
                a.rate_control_mode().map(|x| x.as_str()),
                raa["RateControlMode"].as_str()
            );
            // Deliberately different: one AAC-LC 96 kb/s audio for all renditions.
            assert_eq!(a.bitrate(), Some(96_000));
            assert_eq!(a.codec_profile(), Some(&AacCodecProfile::Lc));
            assert!([64_000, 96_000, 128_000].contains(&i(&raa["Bitrate"])));
        }
        // Job-level options.
        assert_eq!(
            status_update_interval(&p).as_str(),
            reference["StatusUpdateInterval"].as_str().unwrap()
        );
        assert_eq!(priority(&p).unwrap_or(0), i(&reference["Priority"]) as i32);
        assert_eq!(
            queue(&p).unwrap_or_else(|| "Default".into()),
            reference["Queue"].as_str().unwrap()
        );
        assert_eq!(acceleration(&p), None, "DISABLED: MediaConvert's default");
        let mut preferred = p.clone();
        preferred.acceleration = "PREFERRED".into();
        assert_eq!(
            acceleration(&preferred).and_then(|a| a.mode().map(|m| m.as_str().to_owned())),
            reference["AccelerationSettings"]["Mode"]
                .as_str()
                .map(str::to_owned)
        );
        let names: Vec<_> = g
            .outputs()
            .iter()
            .map(|o| o.name_modifier().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "_1080p_8500k",
                "_720p_6M",
                "_540p_3500k",
                "_360p_1500k",
                "_270p_400k"
            ]
        );
    }

    #[test]
    fn input_has_file_audio_and_video_selectors() {
        let s = job_settings(&params(&[OutputFormat::Hls], 6, 2));
        assert_eq!(s.inputs().len(), 1);
        let input = &s.inputs()[0];
        assert_eq!(
            input.file_input(),
            Some("s3://vod-source/uploads/sample.mp4")
        );
        let sel = input
            .audio_selectors()
            .unwrap()
            .get(AUDIO_SELECTOR)
            .unwrap();
        assert_eq!(
            sel.default_selection(),
            Some(&AudioDefaultSelection::Default)
        );
        assert!(input.video_selector().is_some());
    }

    #[test]
    fn dash_and_cmaf_have_video_only_outputs_and_one_audio_output() {
        let p = params(
            &[OutputFormat::Hls, OutputFormat::Dash, OutputFormat::Cmaf],
            6,
            2,
        );
        let s = job_settings(&p);
        let groups = s.output_groups();
        assert_eq!(groups.len(), 3);
        let types: Vec<_> = groups
            .iter()
            .map(|g| {
                g.output_group_settings()
                    .unwrap()
                    .r#type()
                    .unwrap()
                    .as_str()
            })
            .collect();
        assert_eq!(
            types,
            [
                "HLS_GROUP_SETTINGS",
                "DASH_ISO_GROUP_SETTINGS",
                "CMAF_GROUP_SETTINGS"
            ]
        );

        let dash = groups[1]
            .output_group_settings()
            .unwrap()
            .dash_iso_group_settings()
            .unwrap();
        assert_eq!(
            dash.destination(),
            Some("s3://vod-out/packaged/sample/dash/")
        );
        assert_eq!(dash.segment_length(), Some(6));
        assert_eq!(dash.fragment_length(), Some(2));
        assert_eq!(
            dash.segment_control(),
            Some(&DashIsoSegmentControl::SegmentedFiles)
        );

        let cmaf = groups[2]
            .output_group_settings()
            .unwrap()
            .cmaf_group_settings()
            .unwrap();
        assert_eq!(
            cmaf.destination(),
            Some("s3://vod-out/packaged/sample/cmaf/")
        );
        assert_eq!(cmaf.segment_length(), Some(6));
        assert_eq!(cmaf.fragment_length(), Some(2));
        assert_eq!(
            cmaf.segment_control(),
            Some(&CmafSegmentControl::SegmentedFiles)
        );
        assert_eq!(
            cmaf.write_hls_manifest(),
            Some(&CmafWriteHlsManifest::Enabled)
        );
        assert_eq!(
            cmaf.write_dash_manifest(),
            Some(&CmafWriteDashManifest::Enabled)
        );

        for (g, container) in [
            (&groups[1], ContainerType::Mpd),
            (&groups[2], ContainerType::Cmfc),
        ] {
            let outs = g.outputs();
            assert_eq!(outs.len(), p.renditions.renditions().len() + 1);
            let (audio, video) = outs.split_last().unwrap();
            for o in video {
                assert!(o.audio_descriptions().is_empty());
                assert_eq!(
                    o.container_settings().unwrap().container(),
                    Some(&container)
                );
                let h = h264(o);
                assert_eq!(h.gop_size(), Some(2.0));
                assert_eq!(h.gop_size_units(), Some(&H264GopSizeUnits::Seconds));
                assert_eq!(h.gop_closed_cadence(), Some(1));
            }
            assert!(audio.video_description().is_none());
            assert_eq!(audio.name_modifier(), Some(AUDIO_NAME_MODIFIER));
            assert_eq!(
                audio.container_settings().unwrap().container(),
                Some(&container)
            );
            assert_eq!(aac(audio).bitrate(), Some(96_000));
        }
        // HLS outputs mux audio with video.
        for o in groups[0].outputs() {
            assert_eq!(o.audio_descriptions().len(), 1);
            assert_eq!(
                o.container_settings().unwrap().container(),
                Some(&ContainerType::M3U8)
            );
        }
    }

    #[test]
    fn qvbr_level_is_left_to_mediaconvert_when_unset() {
        let mut p = params(&[OutputFormat::Hls], 6, 2);
        p.renditions =
            AbrLadder::new([Rendition::new(1280, 720, "3000k".parse().unwrap(), None).unwrap()])
                .unwrap();
        let s = job_settings(&p);
        let h = h264(&s.output_groups()[0].outputs()[0]);
        assert_eq!(h.qvbr_settings().unwrap().qvbr_quality_level(), None);
        assert_eq!(h.max_bitrate(), Some(3_000_000));
        assert_eq!(h.hrd_buffer_size(), Some(7_500_000));
        assert_eq!(
            s.output_groups()[0].outputs()[0].name_modifier(),
            Some("_720p_3M")
        );
    }

    #[test]
    fn name_modifiers_are_unique_within_a_group() {
        let mut p = params(&[OutputFormat::Hls], 6, 2);
        let r = |w| Rendition::new(w, 720, "3000k".parse().unwrap(), None).unwrap();
        p.renditions = AbrLadder::new([r(1280), r(960)]).unwrap();
        let s = job_settings(&p);
        let names: Vec<_> = s.output_groups()[0]
            .outputs()
            .iter()
            .map(|o| o.name_modifier().unwrap())
            .collect();
        assert_eq!(names, ["_1280x720p_3M", "_960x720p_3M"]);
    }

    #[test]
    fn create_job_inputs() {
        let mut p = params(&[OutputFormat::Hls], 6, 2);
        let m = user_metadata(&p, &p.client_request_token);
        assert_eq!(
            m.get(TOKEN_KEY).map(String::as_str),
            Some("vod-0123456789abcdef")
        );
        assert_eq!(
            m.get("vod-pipeline:pipeline").map(String::as_str),
            Some("vod")
        );
        assert_eq!(
            m.get("vod-pipeline:asset").map(String::as_str),
            Some("sample")
        );
        assert_eq!(queue(&p), None);
        p.queue = "arn:aws:mediaconvert:us-east-1:123456789012:queues/fast".into();
        assert_eq!(
            queue(&p).as_deref(),
            Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/fast")
        );
    }

    #[test]
    fn h265_renditions_use_h265_settings() {
        let mut p = params(&[OutputFormat::Cmaf], 6, 2);
        p.renditions = AbrLadder::new([
            Rendition::with_codec(
                crate::types::VideoCodec::H265,
                1280,
                720,
                "2M".parse().unwrap(),
                Some(8),
            )
            .unwrap(),
            Rendition::new(1280, 720, "3M".parse().unwrap(), Some(8)).unwrap(),
        ])
        .unwrap();
        let s = job_settings(&p);
        let outs = s.output_groups()[0].outputs();
        let h = outs[1]
            .video_description()
            .and_then(|v| v.codec_settings())
            .unwrap();
        assert_eq!(h.codec(), Some(&VideoCodec::H265));
        let h5 = h.h265_settings().unwrap();
        assert_eq!(h5.max_bitrate(), Some(2_000_000));
        assert_eq!(h5.gop_size(), Some(2.0));
        assert_eq!(h5.gop_size_units(), Some(&H265GopSizeUnits::Seconds));
        assert_eq!(
            h5.write_mp4_packaging_type(),
            Some(&H265WriteMp4PackagingType::Hvc1)
        );
        assert_eq!(h5.qvbr_settings().unwrap().qvbr_quality_level(), Some(8));
        assert_eq!(outs[1].name_modifier(), Some("_720p_2M_h265"));
        assert_eq!(outs[0].name_modifier(), Some("_720p_3M"));
    }

    #[test]
    fn dash_captions_are_imsc_in_a_raw_container() {
        let mut p = params(&[OutputFormat::Dash, OutputFormat::Cmaf], 6, 2);
        p.captions = Some(crate::plan::CaptionParams {
            source: "s3://vod-source/uploads/sample.vtt".into(),
            source_type: "WEBVTT".into(),
            language: "DEU".into(),
        });
        let s = job_settings(&p);
        let groups = s.output_groups();
        let dash = groups[0].outputs().last().unwrap();
        assert_eq!(dash.name_modifier(), Some(CAPTIONS_NAME_MODIFIER));
        let cs = dash.container_settings().unwrap();
        assert_eq!(cs.container(), Some(&ContainerType::Mpd));
        assert_eq!(
            cs.mpd_settings().unwrap().caption_container_type(),
            Some(&MpdCaptionContainerType::Raw)
        );
        let d = dash.caption_descriptions()[0]
            .destination_settings()
            .unwrap();
        assert_eq!(d.destination_type(), Some(&CaptionDestinationType::Imsc));
        assert_eq!(
            d.imsc_destination_settings().unwrap().style_passthrough(),
            Some(&ImscStylePassthrough::Disabled)
        );
        assert_eq!(
            dash.caption_descriptions()[0].language_code(),
            Some(&LanguageCode::Deu)
        );
        // CMAF keeps WebVTT, which its HLS and DASH manifests both reference.
        let cmaf = groups[1].outputs().last().unwrap();
        assert_eq!(
            cmaf.caption_descriptions()[0]
                .destination_settings()
                .unwrap()
                .destination_type(),
            Some(&CaptionDestinationType::Webvtt)
        );
        assert!(cmaf.container_settings().unwrap().mpd_settings().is_none());
    }

    #[test]
    fn captions_thumbnails_mp4_and_hls_fmp4() {
        let mut p = params(
            &[OutputFormat::Hls, OutputFormat::HlsFmp4, OutputFormat::Mp4],
            6,
            2,
        );
        p.fragment_length = Seconds::new(2);
        p.captions = Some(crate::plan::CaptionParams {
            source: "s3://vod-source/uploads/sample.srt".into(),
            source_type: "SRT".into(),
            language: "ENG".into(),
        });
        p.thumbnails = Some(ThumbnailParams {
            destination: "s3://vod-out/packaged/sample/thumbnails/".into(),
            interval: 10,
            width: 320,
            height: 180,
            quality: 80,
            max_captures: Some(100),
        });
        let s = job_settings(&p);
        let sel = s.inputs()[0]
            .caption_selectors()
            .unwrap()
            .get(CAPTION_SELECTOR)
            .unwrap();
        let src = sel.source_settings().unwrap();
        assert_eq!(src.source_type(), Some(&CaptionSourceType::Srt));
        assert_eq!(
            src.file_source_settings().unwrap().source_file(),
            Some("s3://vod-source/uploads/sample.srt")
        );
        let groups = s.output_groups();
        assert_eq!(groups.len(), 4, "hls, hls-fmp4, mp4, thumbnails");
        // Captions: a WebVTT caption-only output in each streaming group.
        for g in &groups[..2] {
            let c = g.outputs().last().unwrap();
            assert_eq!(c.name_modifier(), Some(CAPTIONS_NAME_MODIFIER));
            assert!(c.video_description().is_none() && c.audio_descriptions().is_empty());
            let cd = &c.caption_descriptions()[0];
            assert_eq!(cd.caption_selector_name(), Some(CAPTION_SELECTOR));
            assert_eq!(
                cd.destination_settings().unwrap().destination_type(),
                Some(&CaptionDestinationType::Webvtt)
            );
            assert_eq!(cd.language_code(), Some(&LanguageCode::Eng));
        }
        assert!(groups[..2].iter().all(|g| {
            g.outputs()
                .last()
                .unwrap()
                .container_settings()
                .unwrap()
                .mpd_settings()
                .is_none()
        }));
        // HLS fMP4: a CMAF group without the DASH manifest.
        let cmaf = groups[1]
            .output_group_settings()
            .unwrap()
            .cmaf_group_settings()
            .unwrap();
        assert_eq!(
            cmaf.write_dash_manifest(),
            Some(&CmafWriteDashManifest::Disabled)
        );
        assert_eq!(
            cmaf.write_hls_manifest(),
            Some(&CmafWriteHlsManifest::Enabled)
        );
        assert_eq!(cmaf.fragment_length(), Some(2));
        // MP4: one output, the top rendition with audio, no name modifier.
        let mp4 = &groups[2];
        assert_eq!(
            mp4.output_group_settings().unwrap().r#type(),
            Some(&OutputGroupType::FileGroupSettings)
        );
        let o = &mp4.outputs()[0];
        assert_eq!(mp4.outputs().len(), 1);
        assert_eq!(o.name_modifier(), None);
        assert_eq!(o.video_description().unwrap().width(), Some(1920));
        assert_eq!(o.audio_descriptions().len(), 1);
        // Thumbnails: FRAME_CAPTURE in RAW, one per interval.
        let th = &groups[3];
        let o = &th.outputs()[0];
        assert_eq!(
            o.container_settings().unwrap().container(),
            Some(&ContainerType::Raw)
        );
        let v = o.video_description().unwrap();
        assert_eq!((v.width(), v.height()), (Some(320), Some(180)));
        let fc = v
            .codec_settings()
            .unwrap()
            .frame_capture_settings()
            .unwrap();
        assert_eq!(
            (
                fc.framerate_numerator(),
                fc.framerate_denominator(),
                fc.max_captures(),
                fc.quality()
            ),
            (Some(1), Some(10), Some(100), Some(80))
        );
        assert_eq!(
            th.output_group_settings()
                .unwrap()
                .file_group_settings()
                .unwrap()
                .destination(),
            Some("s3://vod-out/packaged/sample/thumbnails/")
        );
    }

    #[test]
    fn several_audio_renditions_and_the_audio_only_variant() {
        let mut p = params(&[OutputFormat::Hls, OutputFormat::Dash], 6, 2);
        let a = |b: u32| AudioParams {
            codec: "AAC".into(),
            bitrate: b,
            sample_rate: 48_000,
            coding_mode: "CODING_MODE_2_0".into(),
        };
        p.audio = vec![a(128_000), a(64_000)];
        p.hls_audio_only = true;
        let s = job_settings(&p);
        let hls = s.output_groups()[0].outputs();
        let n = p.renditions.renditions().len();
        for o in &hls[..n] {
            assert!(o.audio_descriptions().is_empty(), "video-only");
            assert_eq!(
                o.output_settings()
                    .and_then(|x| x.hls_settings())
                    .and_then(|h| h.audio_rendition_sets()),
                Some("program_audio")
            );
        }
        let audio: Vec<_> = hls[n..]
            .iter()
            .map(|o| {
                let h = o.output_settings().unwrap().hls_settings().unwrap();
                (
                    o.name_modifier().unwrap(),
                    h.audio_track_type().unwrap().as_str(),
                    aac(o).bitrate().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            audio,
            [
                (
                    "_audio_128k",
                    "ALTERNATE_AUDIO_AUTO_SELECT_DEFAULT",
                    128_000
                ),
                ("_audio_64k", "ALTERNATE_AUDIO_AUTO_SELECT", 64_000),
                ("_audio_only", "AUDIO_ONLY_VARIANT_STREAM", 64_000),
            ]
        );
        let dash = s.output_groups()[1].outputs();
        assert_eq!(dash.len(), n + 2);
        assert_eq!(dash[n].name_modifier(), Some("_audio_128k"));
    }

    #[test]
    fn job_template_jobs_carry_only_the_input_and_job_options() {
        let mut p = params(&[OutputFormat::Hls], 6, 2);
        p.job_template = Some("my-template".into());
        p.priority = -50;
        p.acceleration = "ENABLED".into();
        p.status_update_interval = "SECONDS_10".into();
        let s = job_settings(&p);
        assert!(s.output_groups().is_empty());
        assert_eq!(s.inputs().len(), 1);
        assert_eq!(priority(&p), Some(-50));
        assert_eq!(
            acceleration(&p).and_then(|a| a.mode().cloned()),
            Some(AccelerationMode::Enabled)
        );
        assert_eq!(status_update_interval(&p), StatusUpdateInterval::Seconds10);
    }
}
