//! The crate and the emulator each keep their own copy of the AWS rules they both encode: the crate
//! to check input and build requests, the emulator as the test oracle. These tests fail when the two
//! copies drift apart.

use std::collections::BTreeSet;

use vod_emulator::rules;

use crate::plan::managed;
use crate::types::{CONTENT_TYPES, FORBIDDEN_HEADER_PREFIXES, FORBIDDEN_HEADERS};

#[test]
fn forbidden_origin_custom_headers_agree() {
    let ours: BTreeSet<&str> = FORBIDDEN_HEADERS.iter().copied().collect();
    let emulator: BTreeSet<&str> = rules::FORBIDDEN_ORIGIN_HEADERS.iter().copied().collect();
    assert_eq!(
        ours.symmetric_difference(&emulator).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "names only one side refuses"
    );
    assert_eq!(
        FORBIDDEN_HEADER_PREFIXES,
        rules::FORBIDDEN_ORIGIN_HEADER_PREFIXES
    );
    // And the emulator's own predicate agrees with the crate's validation on every listed name, in
    // the case a user would write it.
    for name in FORBIDDEN_HEADERS {
        let written: String = name
            .split('-')
            .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
            .collect::<Vec<_>>()
            .join("-");
        assert!(rules::is_forbidden_origin_header(&written), "{written}");
        assert!(
            written.parse::<crate::types::HeaderName>().is_err(),
            "{written}"
        );
    }
    for allowed in ["X-Origin-Verify", "Authorization", "Origin"] {
        assert!(!rules::is_forbidden_origin_header(allowed), "{allowed}");
        assert!(
            allowed.parse::<crate::types::HeaderName>().is_ok(),
            "{allowed}"
        );
    }
}

#[test]
fn managed_policy_ids_agree() {
    let emulator = rules::managed_policy_ids();
    for (name, id) in [
        managed::CORS_S3_ORIGIN,
        managed::CORS_CUSTOM_ORIGIN,
        managed::CORS_WITH_PREFLIGHT,
    ] {
        let theirs = emulator.iter().find(|(n, _)| n == name).map(|(_, i)| *i);
        assert_eq!(theirs, Some(id), "{name}");
    }
}

#[test]
fn content_types_agree_where_both_know_the_extension() {
    let mut shared = 0;
    for (ext, ours) in CONTENT_TYPES {
        if let Some((_, theirs)) = rules::CONTENT_TYPES.iter().find(|(e, _)| e == ext) {
            // Media types compare without regard to case (RFC 9110, section 8.3.1).
            assert!(
                ours.eq_ignore_ascii_case(theirs),
                ".{ext}: crate {ours}, emulator {theirs}"
            );
            shared += 1;
        }
    }
    // The manifests, segments and captions of every format are in both tables.
    assert!(shared >= 8, "only {shared} extensions in common");
    assert_eq!(
        crate::types::content_type("noext"),
        rules::content_type("noext")
    );
}

#[test]
fn largest_output_resolution_per_codec_agrees() {
    use crate::types::{Bitrate, Rendition, VideoCodec};
    let sizes = [
        32, 1080, 2160, 2162, 3840, 4096, 4098, 4320, 4322, 7680, 8192,
    ];
    let mut refused = 0;
    for codec in [VideoCodec::H264, VideoCodec::H265] {
        for w in sizes {
            for h in sizes {
                let ours =
                    Rendition::with_codec(codec, w, h, Bitrate::new(20_000_000).unwrap(), None)
                        .is_ok();
                let theirs = rules::fits_output_resolution(codec.mediaconvert_name(), w, h);
                assert_eq!(ours, theirs, "{codec} {w}x{h}");
                refused += usize::from(!ours);
            }
        }
    }
    assert!(
        refused > 20,
        "the grid reaches past the limits ({refused} refused)"
    );
}

#[test]
fn language_codes_agree() {
    let mut taken = 0;
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            for c in b'A'..=b'Z' {
                let code = String::from_utf8(vec![a, b, c]).unwrap();
                let ours = code.parse::<crate::types::LanguageCode>().is_ok();
                let theirs = rules::mediaconvert_language_codes().contains(&code.as_str());
                assert_eq!(ours, theirs, "{code}");
                taken += usize::from(ours);
            }
        }
    }
    assert_eq!(taken, rules::mediaconvert_language_codes().len());
    for refused in ["FRE", "CHI", "DUT"] {
        assert!(!rules::mediaconvert_language_codes().contains(&refused));
    }
}

#[test]
fn aac_lc_table_agrees() {
    use crate::types::{AacCodingMode, AudioRendition, Bitrate};
    let mut rows = 0;
    for mode in [AacCodingMode::Mono, AacCodingMode::Stereo] {
        for rate in AudioRendition::SAMPLE_RATES {
            for bps in (8_000..=576_000).step_by(8_000) {
                let ours = AudioRendition::new(Bitrate::new(bps).unwrap(), mode, rate).is_ok();
                let (theirs, _) = rules::aac_lc_bitrate_allowed(mode.as_str(), rate, bps)
                    .expect("the emulator has a row for each rate the crate takes");
                assert_eq!(ours, theirs, "{mode} {rate} Hz {bps} bits/s");
                rows += usize::from(ours);
            }
        }
    }
    assert!(rows > 50, "{rows}");
}

#[test]
fn mediastore_object_size_limit_agrees() {
    assert_eq!(
        crate::aws::mediastore::MAX_OBJECT_BYTES,
        rules::MEDIASTORE_MAX_STANDARD_OBJECT as u64
    );
}

#[test]
fn cloudfront_policy_quota_agrees() {
    assert_eq!(
        crate::aws::cloudfront::DEFAULT_POLICY_QUOTA,
        rules::DEFAULT_POLICY_QUOTA
    );
}

/// Every caption output the crate writes is in a format its output group takes from a sidecar source,
/// by the emulator's copy of MediaConvert's captions support tables; DASH ISO gets no WebVTT.
#[test]
fn caption_formats_per_group_agree() {
    use crate::aws::mediaconvert::settings::{job_settings, tests::params};
    use crate::types::OutputFormat;

    let mut p = params(
        &[
            OutputFormat::Hls,
            OutputFormat::HlsFmp4,
            OutputFormat::Dash,
            OutputFormat::Cmaf,
            OutputFormat::Mp4,
        ],
        6,
        2,
    );
    p.captions = Some(crate::plan::CaptionParams {
        source: "s3://vod-source/uploads/sample.srt".into(),
        source_type: "SRT".into(),
        language: "ENG".into(),
    });
    let settings = job_settings(&p);
    let mut seen = BTreeSet::new();
    for g in settings.output_groups() {
        let group_type = g
            .output_group_settings()
            .unwrap()
            .r#type()
            .unwrap()
            .as_str();
        for o in g.outputs() {
            for cd in o.caption_descriptions() {
                let dest = cd
                    .destination_settings()
                    .unwrap()
                    .destination_type()
                    .unwrap()
                    .as_str();
                assert!(
                    rules::sidecar_caption_destination_allowed(group_type, dest),
                    "{group_type} does not take {dest} captions"
                );
                seen.insert((group_type, dest));
            }
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![
            ("CMAF_GROUP_SETTINGS", "WEBVTT"),
            ("DASH_ISO_GROUP_SETTINGS", "IMSC"),
            ("HLS_GROUP_SETTINGS", "WEBVTT"),
        ],
        "a caption output in each streaming group, none in the MP4 file group"
    );
    assert!(!rules::sidecar_caption_destination_allowed(
        "DASH_ISO_GROUP_SETTINGS",
        "WEBVTT"
    ));
}
