//! Splits a fragmented MP4 (one `moov`, then `moof`/`mdat` fragments) into an init segment and media
//! segments of whole fragments: a segment starts at the first fragment that starts at or after the next
//! multiple of the segment length. ffmpeg cuts the fragments (at keyframes, at least the fragment length
//! apart, as MediaConvert's `fragmentLength` does); this module only groups them, so each media segment
//! holds as many fragments as its length allows.
//!
//! Only the boxes needed for that are read: the top level, and in `moov` each track's id (`tkhd`),
//! timescale (`mdhd`) and default sample duration (`trex`); in `moof` each track fragment's header
//! (`tfhd`), decode time (`tfdt`) and runs (`trun`).
use std::collections::HashMap;
use std::ops::Range;

/// A media segment: a run of whole fragments.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SegmentBytes {
    /// Where its fragments are in the file.
    pub bytes: Range<usize>,
    /// Seconds.
    pub duration: f64,
    /// How many fragments it holds.
    pub fragments: usize,
}

/// The init segment and the media segments of a fragmented MP4.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Split {
    /// `ftyp` and `moov`.
    pub init: Range<usize>,
    pub segments: Vec<SegmentBytes>,
    /// The timescale of the track the segments are timed by (the first fragment's first track).
    pub timescale: u64,
}

/// An `styp` box for the head of each media segment (as MediaConvert's and ffmpeg's DASH segments have).
pub(super) const STYP: &[u8] = b"\0\0\0\x18stypmsdh\0\0\0\0msdhmsix";

/// One box: its type and where its body is.
struct Box4 {
    kind: [u8; 4],
    start: usize,
    body: Range<usize>,
}

/// The boxes in `data[range]`, in order.
fn boxes(data: &[u8], range: Range<usize>) -> Result<Vec<Box4>, String> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at < range.end {
        let head = data
            .get(at..at + 8)
            .ok_or_else(|| format!("truncated box header at byte {at}"))?;
        let kind = [head[4], head[5], head[6], head[7]];
        let (size, header) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
            0 => (range.end - at, 8),
            1 => {
                let large = be_u64(data, at + 8)?;
                (
                    usize::try_from(large).map_err(|_| "box too large".to_string())?,
                    16,
                )
            }
            n => (n as usize, 8),
        };
        let end = at
            .checked_add(size)
            .filter(|e| size >= header && *e <= range.end)
            .ok_or_else(|| {
                format!(
                    "box {} at byte {at} has a bad size {size}",
                    String::from_utf8_lossy(&kind)
                )
            })?;
        out.push(Box4 {
            kind,
            start: at,
            body: at + header..end,
        });
        at = end;
    }
    Ok(out)
}

fn be_u32(data: &[u8], at: usize) -> Result<u32, String> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated box at byte {at}"))
}

fn be_u64(data: &[u8], at: usize) -> Result<u64, String> {
    Ok(((be_u32(data, at)? as u64) << 32) | be_u32(data, at + 4)? as u64)
}

fn child<'a>(list: &'a [Box4], kind: &[u8; 4]) -> Option<&'a Box4> {
    list.iter().find(|b| &b.kind == kind)
}

/// Per track: timescale and the `trex` default sample duration.
fn tracks(data: &[u8], moov: &Box4) -> Result<HashMap<u32, (u64, u32)>, String> {
    let mut out = HashMap::new();
    let children = boxes(data, moov.body.clone())?;
    let mut trex = HashMap::new();
    if let Some(mvex) = child(&children, b"mvex") {
        for b in boxes(data, mvex.body.clone())?
            .iter()
            .filter(|b| &b.kind == b"trex")
        {
            // version/flags, track_ID, default_sample_description_index, default_sample_duration
            trex.insert(
                be_u32(data, b.body.start + 4)?,
                be_u32(data, b.body.start + 12)?,
            );
        }
    }
    for trak in children.iter().filter(|b| &b.kind == b"trak") {
        let inner = boxes(data, trak.body.clone())?;
        let (Some(tkhd), Some(mdia)) = (child(&inner, b"tkhd"), child(&inner, b"mdia")) else {
            continue;
        };
        let v1 = data.get(tkhd.body.start) == Some(&1);
        let id = be_u32(data, tkhd.body.start + if v1 { 20 } else { 12 })?;
        let mdia = boxes(data, mdia.body.clone())?;
        let Some(mdhd) = child(&mdia, b"mdhd") else {
            continue;
        };
        let v1 = data.get(mdhd.body.start) == Some(&1);
        let timescale = be_u32(data, mdhd.body.start + if v1 { 20 } else { 12 })? as u64;
        out.insert(id, (timescale.max(1), trex.get(&id).copied().unwrap_or(0)));
    }
    Ok(out)
}

/// A fragment's first track: its start and end, in seconds, and its timescale.
fn fragment_time(
    data: &[u8],
    moof: &Box4,
    tracks: &HashMap<u32, (u64, u32)>,
) -> Result<(f64, f64, u64), String> {
    let children = boxes(data, moof.body.clone())?;
    let traf = child(&children, b"traf").ok_or("a moof without a traf")?;
    let inner = boxes(data, traf.body.clone())?;
    let tfhd = child(&inner, b"tfhd").ok_or("a traf without a tfhd")?;
    let flags = be_u32(data, tfhd.body.start)? & 0x00ff_ffff;
    let id = be_u32(data, tfhd.body.start + 4)?;
    let (timescale, trex_duration) = tracks
        .get(&id)
        .copied()
        .ok_or_else(|| format!("a fragment of track {id}, which the moov does not have"))?;
    let mut at = tfhd.body.start + 8;
    if flags & 0x01 != 0 {
        at += 8;
    }
    if flags & 0x02 != 0 {
        at += 4;
    }
    let default_duration = if flags & 0x08 != 0 {
        be_u32(data, at)?
    } else {
        trex_duration
    };
    let tfdt = child(&inner, b"tfdt").ok_or("a traf without a tfdt")?;
    let start = if data.get(tfdt.body.start) == Some(&1) {
        be_u64(data, tfdt.body.start + 4)?
    } else {
        be_u32(data, tfdt.body.start + 4)? as u64
    };
    let mut length: u64 = 0;
    for trun in inner.iter().filter(|b| &b.kind == b"trun") {
        let flags = be_u32(data, trun.body.start)? & 0x00ff_ffff;
        let count = be_u32(data, trun.body.start + 4)? as usize;
        let mut at = trun.body.start + 8;
        if flags & 0x01 != 0 {
            at += 4;
        }
        if flags & 0x04 != 0 {
            at += 4;
        }
        let fields = [0x100, 0x200, 0x400, 0x800]
            .iter()
            .filter(|f| flags & **f != 0)
            .count();
        for i in 0..count {
            length += if flags & 0x100 != 0 {
                be_u32(data, at + i * fields * 4)? as u64
            } else {
                default_duration as u64
            };
        }
    }
    let secs = |t: u64| t as f64 / timescale as f64;
    Ok((secs(start), secs(start + length), timescale))
}

/// Splits `data` into an init segment and media segments of about `segment_length` seconds.
pub(super) fn split(data: &[u8], segment_length: f64) -> Result<Split, String> {
    let top = boxes(data, 0..data.len())?;
    let moov = child(&top, b"moov").ok_or("no moov box")?;
    let tracks = tracks(data, moov)?;
    let moofs: Vec<&Box4> = top.iter().filter(|b| &b.kind == b"moof").collect();
    let first = moofs.first().ok_or("no fragments (moof boxes)")?;
    // A fragment runs from its moof to the next moof (or to the end, or to an mfra index).
    let end = child(&top, b"mfra").map_or(data.len(), |b| b.start);
    let mut fragments = Vec::new();
    let mut timescale = 0;
    for (i, moof) in moofs.iter().enumerate() {
        let to = moofs.get(i + 1).map_or(end, |m| m.start);
        let (t0, t1, ts) = fragment_time(data, moof, &tracks)?;
        if i == 0 {
            timescale = ts;
        }
        fragments.push((moof.start..to, t0, t1));
    }
    let origin = fragments[0].1;
    let mut segments: Vec<SegmentBytes> = Vec::new();
    let mut starts: Vec<f64> = Vec::new();
    for (bytes, t0, t1) in fragments {
        let boundary = (segments.len()) as f64 * segment_length;
        match segments.last_mut() {
            Some(s) if t0 - origin < boundary - 1e-3 => {
                s.bytes.end = bytes.end;
                s.fragments += 1;
                s.duration = t1 - starts[starts.len() - 1];
            }
            _ => {
                segments.push(SegmentBytes {
                    bytes,
                    duration: t1 - t0,
                    fragments: 1,
                });
                starts.push(t0);
            }
        }
    }
    // A segment lasts until the next one starts (its last fragment's samples may end a little earlier
    // or later in the other track).
    for i in 0..segments.len().saturating_sub(1) {
        segments[i].duration = starts[i + 1] - starts[i];
    }
    Ok(Split {
        init: 0..first.start,
        segments,
        timescale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(body);
        b
    }

    fn full(version_flags: u32, rest: &[u32]) -> Vec<u8> {
        let mut b = version_flags.to_be_bytes().to_vec();
        for v in rest {
            b.extend(v.to_be_bytes());
        }
        b
    }

    /// A moov with track 1 at timescale 1000 and a trex default duration of 40.
    fn moov() -> Vec<u8> {
        let tkhd = mp4_box(b"tkhd", &full(0, &[0, 0, 1, 0, 0]));
        let mdhd = mp4_box(b"mdhd", &full(0, &[0, 0, 1000, 0, 0]));
        let mdia = mp4_box(b"mdia", &mdhd);
        let trak = mp4_box(b"trak", &[tkhd, mdia].concat());
        let trex = mp4_box(b"trex", &full(0, &[1, 1, 40, 0, 0]));
        let mvex = mp4_box(b"mvex", &trex);
        mp4_box(b"moov", &[trak, mvex].concat())
    }

    /// A fragment of track 1 at `start` ms with `samples` samples: of 40 ms each (the trex default), or
    /// with durations in the trun when `per_sample` is given.
    fn fragment(start: u32, samples: u32, per_sample: Option<u32>) -> Vec<u8> {
        let tfhd = mp4_box(b"tfhd", &full(0x02_0000, &[1]));
        let tfdt = mp4_box(b"tfdt", &full(0, &[start]));
        let trun = match per_sample {
            Some(d) => {
                let mut rest = vec![samples];
                for _ in 0..samples {
                    rest.extend([d, 100]); // duration, size
                }
                mp4_box(b"trun", &full(0x300, &rest))
            }
            None => mp4_box(b"trun", &full(0, &[samples])),
        };
        let traf = mp4_box(b"traf", &[tfhd, tfdt, trun].concat());
        let moof = mp4_box(b"moof", &[mp4_box(b"mfhd", &full(0, &[1])), traf].concat());
        [moof, mp4_box(b"mdat", &[0u8; 16])].concat()
    }

    #[test]
    fn fragments_are_grouped_into_segments_of_whole_fragments() {
        let ftyp = mp4_box(b"ftyp", b"isom\0\0\x02\0");
        let init = [ftyp, moov()].concat();
        // Six 2 s fragments (50 samples of 40 ms).
        let frags: Vec<Vec<u8>> = (0..6).map(|k| fragment(k * 2000, 50, None)).collect();
        let data = [init.clone(), frags.concat()].concat();
        let s = split(&data, 6.0).unwrap();
        assert_eq!(s.init, 0..init.len());
        assert_eq!(s.timescale, 1000);
        assert_eq!(s.segments.len(), 2);
        assert_eq!(
            s.segments.iter().map(|s| s.fragments).collect::<Vec<_>>(),
            [3, 3]
        );
        assert_eq!(s.segments[0].bytes.start, init.len());
        assert_eq!(s.segments[1].bytes.end, data.len());
        assert!((s.segments[0].duration - 6.0).abs() < 1e-9);
        assert!((s.segments[1].duration - 6.0).abs() < 1e-9);
        // 4 s segments of 2 s fragments: two fragments each, whatever the grouping before.
        let s = split(&data, 4.0).unwrap();
        assert_eq!(
            s.segments.iter().map(|s| s.fragments).collect::<Vec<_>>(),
            [2, 2, 2]
        );
    }

    #[test]
    fn sample_durations_come_from_the_trun_when_it_has_them() {
        let data = [
            moov(),
            fragment(0, 10, Some(100)),
            fragment(1000, 5, Some(100)),
        ]
        .concat();
        let s = split(&data, 10.0).unwrap();
        assert_eq!(s.segments.len(), 1);
        assert!((s.segments[0].duration - 1.5).abs() < 1e-9);
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let good = [moov(), fragment(0, 50, None)].concat();
        for cut in [3, 9, good.len() - 5] {
            assert!(split(&good[..cut], 2.0).is_err(), "cut at {cut}");
        }
        assert!(split(&moov(), 2.0).is_err(), "no fragments");
        let mut bad = good.clone();
        bad[3] = 4; // a box size smaller than its header
        assert!(split(&bad, 2.0).is_err());
    }
}
