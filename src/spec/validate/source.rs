//! The `source` section: the bucket, the key prefix and the list of files, which may be empty (then
//! apply deploys the infrastructure only). Each file is checked, and becomes an asset, in
//! [`super::assets`].

use std::path::PathBuf;

use super::Collector;
use crate::spec::input::SourceSpec;
use crate::types::{BucketName, KeyPrefix};

/// The source section as far as it parsed.
pub(super) struct Parsed {
    pub(super) bucket: Option<BucketName>,
    pub(super) prefix: Option<KeyPrefix>,
    pub(super) files: Vec<PathBuf>,
}

pub(super) fn section(c: &mut Collector, s: SourceSpec) -> Parsed {
    let bucket = c.get("source.bucket", s.bucket);
    let prefix = c
        .opt("source.prefix", s.prefix)
        .map(Option::unwrap_or_default);
    Parsed {
        bucket,
        prefix,
        files: s.files,
    }
}

/// Input containers MediaConvert reads, for messages
/// (<https://docs.aws.amazon.com/mediaconvert/latest/ug/reference-codecs-containers-input.html>).
pub(super) const MEDIA_RULE: &str = "is not a media file MediaConvert reads: its first bytes match none of its input containers (MP4, MOV, 3GP, F4V, MXF, MPEG-TS, MPEG-PS, Matroska, WebM, AVI, ASF/WMV, FLV, WAV, AIFF, MP3, FLAC, Ogg, Y4M, raw MPEG or H.264/H.265 streams, an HLS or IMF manifest): https://docs.aws.amazon.com/mediaconvert/latest/ug/reference-codecs-containers-input.html";

/// MediaConvert's list of input containers and codecs.
pub(super) const MEDIA_DOCS: &str =
    "https://docs.aws.amazon.com/mediaconvert/latest/ug/reference-codecs-containers-input.html";

/// How many bytes [`looks_like_media`] needs: two MPEG-TS packets of 192 bytes (M2TS) and a byte.
pub(super) const SNIFF_BYTES: usize = 2 * 192 + 1;

/// Whether a file's first bytes match a container MediaConvert reads as input. A file shorter than
/// [`SNIFF_BYTES`] gives what it has; an MXF file may have a run-in of up to 64 KiB before its
/// header partition. This is a check for the wrong file (a document, an image,
/// random bytes named `.mp4`), not a guarantee that the media decodes.
pub(super) fn looks_like_media(head: &[u8]) -> bool {
    let at = |i: usize, sig: &[u8]| head.get(i..i + sig.len()) == Some(sig);
    // A text manifest may start with a UTF-8 byte order mark.
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    // ISO base media (MP4, MOV, 3GP, 3G2, F4V, M4V): a box type at byte 4.
    let iso_box = [
        &b"ftyp"[..],
        b"moov",
        b"mdat",
        b"free",
        b"skip",
        b"wide",
        b"pnot",
        b"uuid",
    ]
    .iter()
    .any(|b| at(4, b));
    // MPEG-TS: the sync byte at the start of two packets of 188 bytes (192 in M2TS, after a 4-byte
    // timestamp). A file shorter than two packets holds no video.
    let ts = (at(0, &[0x47]) && at(188, &[0x47])) || (at(4, &[0x47]) && at(196, &[0x47]));
    // An MPEG audio frame header: 11 sync bits, a version and a layer that are not reserved. FF FE
    // is also UTF-16's byte order mark, and text is not audio.
    let mpeg_audio = head.len() >= 2
        && head[0] == 0xFF
        && head[1] & 0xE0 == 0xE0
        && head[1] & 0x18 != 0x08
        && head[1] & 0x06 != 0
        && head[1] != 0xFE;
    iso_box
        || ts
        || at(0, &[0x06, 0x0E, 0x2B, 0x34]) // MXF: a SMPTE universal label
        || mxf_after_run_in(head)
        || at(0, &[0x1A, 0x45, 0xDF, 0xA3]) // Matroska, WebM (EBML)
        || at(0, &[0x00, 0x00, 0x01]) // MPEG-PS, raw MPEG-1/2 video, H.264/H.265 Annex B
        || at(0, &[0x00, 0x00, 0x00, 0x01])
        || (at(0, b"RIFF") && (at(8, b"AVI ") || at(8, b"WAVE")))
        || (at(0, b"FORM") && (at(8, b"AIFF") || at(8, b"AIFC")))
        || at(0, &[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) // ASF, WMV, WMA
        || at(0, b"FLV")
        || at(0, b"YUV4MPEG2")
        || at(0, b"ID3") // MP3 with a tag
        || mpeg_audio
        || at(0, b"fLaC")
        || at(0, b"OggS")
        || text.starts_with(b"#EXTM3U") // HLS input
        || text.starts_with(b"<?xml") // IMF composition playlist
}

/// What is wrong with a regular file as a source of media, as a rule a message can show after the
/// path: empty, unreadable, or not a container MediaConvert reads; `None` when it looks like media.
pub(crate) fn media_file_problem(path: &std::path::Path, len: u64) -> Option<String> {
    if len == 0 {
        return Some(format!(
            "is empty (0 bytes): a source file must hold media MediaConvert reads ({MEDIA_DOCS})"
        ));
    }
    match head(path) {
        Ok(head) if looks_like_media(&head) => None,
        Ok(_) => Some(MEDIA_RULE.to_owned()),
        Err(e) => Some(format!("cannot be read: {e}")),
    }
}

/// The longest run-in an MXF file may have before its header partition pack (SMPTE ST 377-1: less
/// than 64 KiB).
const MXF_RUN_IN_MAX: usize = 65_535;

/// The start of an MXF partition pack key (SMPTE ST 377-1): a universal label, then the partition
/// pack registry bytes.
const MXF_PARTITION_KEY: [u8; 11] = [
    0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05, 0x01, 0x01, 0x0D, 0x01, 0x02,
];

/// An MXF file whose header partition pack follows a run-in (some cameras write one): the partition
/// pack key within the first 64 KiB.
fn mxf_after_run_in(head: &[u8]) -> bool {
    let window = &head[..head.len().min(MXF_RUN_IN_MAX + MXF_PARTITION_KEY.len())];
    window
        .windows(MXF_PARTITION_KEY.len())
        .any(|w| w == MXF_PARTITION_KEY)
}

/// The first bytes of a file: enough for [`looks_like_media`], an MXF run-in included.
pub(super) fn head(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let want = SNIFF_BYTES.max(MXF_RUN_IN_MAX + MXF_PARTITION_KEY.len());
    let mut buf = Vec::with_capacity(want);
    std::fs::File::open(path)?
        .take(want as u64)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mxf_with_a_run_in_is_media() {
        let mut run_in = vec![b'x'; 1_000];
        run_in.extend(MXF_PARTITION_KEY);
        run_in.extend([0x01, 0x01, 0x00]);
        assert!(looks_like_media(&run_in));
        // Past the largest run-in SMPTE allows, the key is not looked for.
        let mut too_far = vec![b'x'; MXF_RUN_IN_MAX + 1];
        too_far.extend(MXF_PARTITION_KEY);
        assert!(!looks_like_media(&too_far));
        // Part of the key is not enough.
        let mut partial = vec![b'x'; 1_000];
        partial.extend(&MXF_PARTITION_KEY[..10]);
        assert!(!looks_like_media(&partial));
    }

    #[test]
    fn media_containers_are_recognised_and_other_bytes_are_not() {
        let mut ts = vec![0u8; 400];
        ts[0] = 0x47;
        ts[188] = 0x47;
        let mut m2ts = vec![0u8; 400];
        m2ts[4] = 0x47;
        m2ts[196] = 0x47;
        for (name, bytes) in [
            (
                "mp4",
                b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41" as &[u8],
            ),
            ("mov", b"\0\0\0\x14ftypqt  " as &[u8]),
            ("ts", &ts),
            ("m2ts", &m2ts),
            ("mxf", &[0x06, 0x0E, 0x2B, 0x34, 0x02, 0x05]),
            ("mkv", &[0x1A, 0x45, 0xDF, 0xA3, 0x01]),
            ("avi", b"RIFF\0\0\0\0AVI LIST"),
            ("wav", b"RIFF\0\0\0\0WAVEfmt "),
            ("flv", b"FLV\x01\x05"),
            ("y4m", b"YUV4MPEG2 W640"),
            ("hls", b"#EXTM3U\n"),
            ("hls with a byte order mark", b"\xEF\xBB\xBF#EXTM3U\n"),
            ("mp3", b"\xFF\xFB\x90\x64"),
        ] {
            assert!(looks_like_media(bytes), "{name}");
        }
        let mut not_ts = vec![0u8; 400];
        not_ts[0] = 0x47;
        for (name, bytes) in [
            ("empty", &b""[..]),
            ("text", b"this is not a video"),
            ("pdf", b"%PDF-1.7\n"),
            ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            ("zip", b"PK\x03\x04"),
            ("one sync byte", &not_ts),
            ("a short GIF", b"GIF89a\x01\0\x01\0"),
            ("UTF-16 text", b"\xFF\xFEh\0i\0"),
        ] {
            assert!(!looks_like_media(bytes), "{name}");
        }
    }
}
