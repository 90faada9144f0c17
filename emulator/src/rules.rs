//! The emulator's own copies of AWS rules that the main crate also encodes, in one place, so that a test can
//! compare the two and fail when they drift. The emulator keeps its copies on purpose: it is the test oracle.
//!
//! - CloudFront origin custom headers: [`FORBIDDEN_ORIGIN_HEADERS`] and [`FORBIDDEN_ORIGIN_HEADER_PREFIXES`]
//!   (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html>).
//! - The AWS-managed CloudFront policies and their ids: [`managed_cache_policy_ids`],
//!   [`managed_origin_request_policy_ids`], [`managed_response_headers_policy_ids`], all of them in
//!   [`managed_policy_ids`].
//! - CloudFront key group quotas: [`MAX_PUBLIC_KEYS_PER_KEY_GROUP`], [`MAX_KEY_GROUPS_PER_CACHE_BEHAVIOR`].
//! - MediaConvert: the largest output resolution per codec ([`fits_output_resolution`]), the `LanguageCode` enum
//!   ([`mediaconvert_language_codes`]) and the AAC-LC bitrate table ([`aac_lc_bitrate_allowed`]).
//! - MediaConvert: the caption formats each output group type takes from a sidecar caption source
//!   ([`SIDECAR_CAPTION_DESTINATIONS`], [`sidecar_caption_destination_allowed`]).
//! - The `Content-Type` the emulated MediaConvert writes for each output file extension: [`CONTENT_TYPES`],
//!   [`DEFAULT_CONTENT_TYPE`], [`content_type`].

/// Header names (lowercase) CloudFront refuses as origin custom headers (`OriginCustomHeader.HeaderName`),
/// besides those starting with one of [`FORBIDDEN_ORIGIN_HEADER_PREFIXES`]. CreateDistribution and
/// UpdateDistribution answer `InvalidArgument` ("The parameter HeaderName : … is not allowed.").
pub const FORBIDDEN_ORIGIN_HEADERS: &[&str] = &[
    "cache-control",
    "connection",
    "content-length",
    "cookie",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "max-forwards",
    "pragma",
    "proxy-authorization",
    "proxy-connection",
    "range",
    "request-range",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
    "x-real-ip",
];

/// Invalidation paths without a `*` that may be in progress at once per distribution; CreateInvalidation answers
/// `TooManyInvalidationsInProgress` beyond it
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html>).
pub const MAX_FILE_INVALIDATIONS_IN_PROGRESS: usize = 3000;

/// Invalidation paths with the `*` wildcard that may be in progress at once per distribution (same page), counted
/// apart from the paths without one.
pub const MAX_WILDCARD_INVALIDATIONS_IN_PROGRESS: usize = 15;

/// Public keys in one CloudFront key group (a quota AWS can raise; this is the default).
/// CreateKeyGroup and UpdateKeyGroup answer `TooManyPublicKeysInKeyGroup` past it
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-key-groups>).
pub const MAX_PUBLIC_KEYS_PER_KEY_GROUP: usize = 5;

/// Key groups that one cache behavior may trust (`TooManyKeyGroupsAssociatedToDistribution`).
pub const MAX_KEY_GROUPS_PER_CACHE_BEHAVIOR: usize = 4;

/// The largest object MediaStore's PutObject stores with standard upload availability (25 MB), and with streaming
/// upload availability (10 MB); a larger body gets `ValidationException`
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/objects-upload.html>).
pub const MEDIASTORE_MAX_STANDARD_OBJECT: usize = 25 * 1024 * 1024;
/// See [`MEDIASTORE_MAX_STANDARD_OBJECT`].
pub const MEDIASTORE_MAX_STREAMING_OBJECT: usize = 10 * 1024 * 1024;

/// Custom cache policies, and custom response headers policies, an account may have by default (each a separate
/// quota; managed policies do not count). CreateCachePolicy answers `TooManyCachePolicies` and
/// CreateResponseHeadersPolicy `TooManyResponseHeadersPolicies` beyond it
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies>).
pub const DEFAULT_POLICY_QUOTA: usize = 20;

/// Prefixes (lowercase) of header names CloudFront refuses as origin custom headers.
pub const FORBIDDEN_ORIGIN_HEADER_PREFIXES: &[&str] = &["x-amz-", "x-edge-"];

/// The largest output resolution MediaConvert encodes per video codec (`VideoCodec` value), landscape; the same
/// size turned is allowed in portrait
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/supported-output-resolution-maximums-by-codec.html>).
pub const MAX_OUTPUT_RESOLUTION: &[(&str, (u32, u32))] =
    &[("H_264", (4096, 2160)), ("H_265", (8192, 4320))];

/// Whether MediaConvert encodes a `width` x `height` output with `codec` (a codec not in
/// [`MAX_OUTPUT_RESOLUTION`] has only the general 32 to 8192 pixel bounds).
pub fn fits_output_resolution(codec: &str, width: u32, height: u32) -> bool {
    match MAX_OUTPUT_RESOLUTION.iter().find(|(c, _)| *c == codec) {
        Some((_, (long, short))) => {
            (width <= *long && height <= *short) || (width <= *short && height <= *long)
        }
        None => true,
    }
}

/// MediaConvert's `LanguageCode` enum, as AWS's service model lists it (the MediaConvert SDK carries the model's
/// values, so the emulator takes them from there rather than from a copy of its own). `customLanguageCode` is free
/// text and not checked against it.
pub fn mediaconvert_language_codes() -> &'static [&'static str] {
    aws_sdk_mediaconvert::types::LanguageCode::values()
}

/// AAC-LC bitrates (bits/s) MediaConvert takes with CBR, by coding mode and sample rate, for the sample rates of
/// streaming outputs (<https://docs.aws.amazon.com/mediaconvert/latest/ug/aac-support.html>): `(coding mode, sample
/// rate, lowest, highest)`. Between the bounds, only the bitrates of [`AAC_BITRATES`].
pub const AAC_LC_TABLE: &[(&str, u32, u64, u64)] = &[
    ("CODING_MODE_1_0", 32_000, 32_000, 192_000),
    ("CODING_MODE_1_0", 44_100, 56_000, 256_000),
    ("CODING_MODE_1_0", 48_000, 56_000, 288_000),
    ("CODING_MODE_2_0", 32_000, 40_000, 384_000),
    ("CODING_MODE_2_0", 44_100, 64_000, 512_000),
    ("CODING_MODE_2_0", 48_000, 64_000, 512_000),
];

/// The AAC bitrates AWS's table lists, bits/s.
pub const AAC_BITRATES: &[u64] = &[
    32_000, 40_000, 48_000, 56_000, 64_000, 80_000, 96_000, 112_000, 128_000, 160_000, 192_000,
    224_000, 256_000, 288_000, 320_000, 384_000, 448_000, 512_000,
];

/// Whether MediaConvert takes an AAC-LC CBR output of `bitrate` at `sample_rate` in `coding_mode`: `None` when
/// [`AAC_LC_TABLE`] has no row for the pair (the emulator then checks only the sample rate's range), otherwise
/// `Some` with the answer and the allowed bitrates.
pub fn aac_lc_bitrate_allowed(
    coding_mode: &str,
    sample_rate: u32,
    bitrate: u64,
) -> Option<(bool, Vec<u64>)> {
    let &(_, _, lo, hi) = AAC_LC_TABLE
        .iter()
        .find(|(m, r, _, _)| *m == coding_mode && *r == sample_rate)?;
    let allowed: Vec<u64> = AAC_BITRATES
        .iter()
        .copied()
        .filter(|b| (lo..=hi).contains(b))
        .collect();
    Some((allowed.contains(&bitrate), allowed))
}

/// Whether CloudFront refuses `name` as an origin custom header name (compared without regard to ASCII case; an
/// empty name is refused too).
pub fn is_forbidden_origin_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.is_empty()
        || FORBIDDEN_ORIGIN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_ORIGIN_HEADER_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p))
}

/// The AWS-managed cache policies as `(name, id)`, e.g. `("Managed-CachingOptimized",
/// "658327ea-f89d-4fab-a63d-7e88639e58f6")`
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html>).
pub fn managed_cache_policy_ids() -> Vec<(String, &'static str)> {
    crate::cloudfront::managed::names_and_ids(crate::cloudfront::managed::cache_policies())
}

/// The AWS-managed origin request policies as `(name, id)`, e.g. `("Managed-CORS-S3Origin",
/// "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf")`
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html>).
pub fn managed_origin_request_policy_ids() -> Vec<(String, &'static str)> {
    crate::cloudfront::managed::names_and_ids(crate::cloudfront::managed::origin_request_policies())
}

/// The AWS-managed response headers policies as `(name, id)`, e.g. `("Managed-CORS-With-Preflight",
/// "5cc3b908-e619-4b99-88e5-2cf7f45965bd")`
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html>).
pub fn managed_response_headers_policy_ids() -> Vec<(String, &'static str)> {
    crate::cloudfront::managed::names_and_ids(
        crate::cloudfront::managed::response_headers_policies(),
    )
}

/// Every AWS-managed CloudFront policy the emulator serves, as `(name, id)`: cache policies, then origin request
/// policies, then response headers policies. Names are unique across the three kinds.
pub fn managed_policy_ids() -> Vec<(String, &'static str)> {
    let mut all = managed_cache_policy_ids();
    all.extend(managed_origin_request_policy_ids());
    all.extend(managed_response_headers_policy_ids());
    all
}

/// The caption destination types (`CaptionDestinationSettings.DestinationType`) among `WEBVTT`, `IMSC` and `TTML`
/// that each output group type takes when the input's captions are a sidecar file (SRT, WebVTT, …), per
/// MediaConvert's "Supported input captions, within sidecar files" tables
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/sidecar-captions-support-tables-by-container-type.html>):
/// HLS writes WebVTT; DASH ISO writes IMSC or TTML, never WebVTT; CMAF writes WebVTT or IMSC (as fMP4); a file
/// group's MP4 carries none of the three.
pub const SIDECAR_CAPTION_DESTINATIONS: &[(&str, &[&str])] = &[
    ("HLS_GROUP_SETTINGS", &["WEBVTT"]),
    ("DASH_ISO_GROUP_SETTINGS", &["IMSC", "TTML"]),
    ("CMAF_GROUP_SETTINGS", &["WEBVTT", "IMSC"]),
    ("FILE_GROUP_SETTINGS", &[]),
];

/// Whether an output group of `group_type` (`HLS_GROUP_SETTINGS`, …) takes sidecar-sourced captions of
/// `destination_type` (`WEBVTT`, `IMSC`, `TTML`); see [`SIDECAR_CAPTION_DESTINATIONS`].
pub fn sidecar_caption_destination_allowed(group_type: &str, destination_type: &str) -> bool {
    SIDECAR_CAPTION_DESTINATIONS
        .iter()
        .any(|(g, d)| *g == group_type && d.contains(&destination_type))
}

/// The `Content-Type` the emulated MediaConvert stores with each output file, by lowercase file extension
/// (HLS playlists, DASH manifests, segments, captions, frame captures).
pub const CONTENT_TYPES: &[(&str, &str)] = &[
    ("m3u8", "application/vnd.apple.mpegurl"),
    ("mpd", "application/dash+xml"),
    ("ts", "video/MP2T"),
    ("m2ts", "video/MP2T"),
    ("mp4", "video/mp4"),
    ("m4s", "video/mp4"),
    ("cmfv", "video/mp4"),
    ("m4v", "video/mp4"),
    ("cmfa", "audio/mp4"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    ("mp3", "audio/mpeg"),
    ("ac3", "audio/ac3"),
    ("eac3", "audio/eac3"),
    ("mov", "video/quicktime"),
    ("vtt", "text/vtt"),
    ("webvtt", "text/vtt"),
    ("xml", "application/ttml+xml"),
    ("ttml", "application/ttml+xml"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
];

/// The `Content-Type` of an output file whose extension is not in [`CONTENT_TYPES`].
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The `Content-Type` the emulated MediaConvert writes for an output key, by its extension (ASCII case ignored).
pub fn content_type(key: &str) -> &'static str {
    let ext = key
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    CONTENT_TYPES
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or(DEFAULT_CONTENT_TYPE, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_origin_headers() {
        assert!(is_forbidden_origin_header("Host"));
        assert!(is_forbidden_origin_header("X-Amz-Date"));
        assert!(is_forbidden_origin_header("x-edge-location"));
        assert!(is_forbidden_origin_header(""));
        assert!(!is_forbidden_origin_header("X-Origin-Secret"));
    }

    #[test]
    fn managed_policy_names_and_ids() {
        let all = managed_policy_ids();
        assert!(all.contains(&(
            "Managed-CachingOptimized".to_string(),
            "658327ea-f89d-4fab-a63d-7e88639e58f6"
        )));
        assert_eq!(
            all.len(),
            managed_cache_policy_ids().len()
                + managed_origin_request_policy_ids().len()
                + managed_response_headers_policy_ids().len()
        );
        let mut names: Vec<_> = all.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(all.iter().all(|(n, _)| n.starts_with("Managed-")));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.m3u8"), "application/vnd.apple.mpegurl");
        assert_eq!(content_type("b.mpd"), "application/dash+xml");
        assert_eq!(content_type("b_00001.ts"), "video/MP2T");
        assert_eq!(content_type("b_000000001.cmfv"), "video/mp4");
        assert_eq!(content_type("b.VTT"), "text/vtt");
        assert_eq!(content_type("b.0000000.jpg"), "image/jpeg");
    }
}
