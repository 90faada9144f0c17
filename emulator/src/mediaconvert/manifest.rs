//! HLS playlists and DASH MPDs written the way MediaConvert writes them.
use std::fmt::Write as _;

/// One media segment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    /// File name relative to the manifest.
    pub uri: String,
    /// Seconds.
    pub duration: f64,
    /// `(length, offset)` when the segment is a byte range of a single file.
    pub byterange: Option<(u64, u64)>,
    /// Bytes.
    pub size: u64,
}

/// What one encoded rendition looks like, as needed for manifests.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rendition {
    /// Media playlist file name (HLS), e.g. `sample_720p.m3u8`.
    pub playlist: String,
    /// Init segment name for fMP4 (`EXT-X-MAP` / DASH `initialization`).
    pub init: Option<String>,
    /// `(length, offset)` of the init segment inside a single file (`segmentControl: SINGLE_FILE`).
    pub init_range: Option<(u64, u64)>,
    pub segments: Vec<Segment>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// e.g. `30/1`.
    pub frame_rate: Option<(u32, u32)>,
    /// RFC 6381 codecs of the streams in this rendition (video first).
    pub codecs: Vec<String>,
    pub has_video: bool,
    pub has_audio: bool,
    pub is_caption: bool,
    pub audio_sample_rate: Option<u32>,
    pub audio_channels: Option<u32>,
    pub language: Option<String>,
    pub name: Option<String>,
    /// Media timescale (DASH SegmentTimeline).
    pub timescale: u64,
    pub audio_group_id: String,
    pub audio_rendition_sets: String,
    /// Captions: the whole WebVTT file (DASH sidecar).
    pub sidecar: Option<String>,
    /// An audio-only output with `audioTrackType: AUDIO_ONLY_VARIANT_STREAM`: a variant stream of the
    /// master playlist, not an `EXT-X-MEDIA` rendition.
    pub audio_only_variant: bool,
}

impl Rendition {
    /// Peak segment bitrate, bits/s.
    pub fn peak_bandwidth(&self) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.duration > 0.0)
            .map(|s| (s.size as f64 * 8.0 / s.duration.max(0.5)) as u64)
            .max()
            .unwrap_or(0)
    }
    /// Average bitrate over all segments, bits/s.
    pub fn average_bandwidth(&self) -> u64 {
        let d: f64 = self.segments.iter().map(|s| s.duration).sum();
        let b: u64 = self.segments.iter().map(|s| s.size).sum();
        if d > 0.0 {
            (b as f64 * 8.0 / d) as u64
        } else {
            0
        }
    }
    pub fn duration(&self) -> f64 {
        self.segments.iter().map(|s| s.duration).sum()
    }
}

/// An HLS `EXT-X-BYTERANGE` value, `<length>[@<offset>]`, as `(length, offset)` (not an HTTP `Range`).
fn parse_byterange(v: &str) -> (u64, u64) {
    let (len, off) = v.split_once('@').unwrap_or((v, "0"));
    (
        len.trim().parse().unwrap_or(0),
        off.trim().parse().unwrap_or(0),
    )
}

/// Parses the media playlist ffmpeg's HLS muxer wrote: segments, durations, byte ranges, EXT-X-MAP (and its
/// byte range).
pub(crate) fn parse_ffmpeg_playlist(
    text: &str,
) -> (Vec<Segment>, Option<String>, Option<(u64, u64)>) {
    let mut segs = Vec::new();
    let mut map = None;
    let mut map_range = None;
    let mut dur = None;
    let mut range = None;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("#EXTINF:") {
            dur = v
                .split(',')
                .next()
                .and_then(|d| d.trim().parse::<f64>().ok());
        } else if let Some(v) = line.strip_prefix("#EXT-X-BYTERANGE:") {
            range = Some(parse_byterange(v));
        } else if let Some(v) = line.strip_prefix("#EXT-X-MAP:") {
            map = v
                .split("URI=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_string);
            map_range = v
                .split("BYTERANGE=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(parse_byterange);
        } else if !line.is_empty() && !line.starts_with('#') {
            segs.push(Segment {
                uri: line.to_string(),
                duration: dur.take().unwrap_or(0.0),
                byterange: range.take(),
                size: 0,
            });
        }
    }
    (segs, map, map_range)
}

fn fmt_duration(d: f64, integer: bool) -> String {
    if integer {
        format!("{}", d.round().max(1.0) as u64)
    } else {
        format!("{d:.5}")
    }
}

/// A VOD media playlist.
pub(crate) fn media_playlist(r: &Rendition, integer_durations: bool) -> String {
    let target = r
        .segments
        .iter()
        .map(|s| s.duration.round() as u64)
        .max()
        .unwrap_or(1)
        .max(1);
    let version = if r.init.is_some() {
        6
    } else if r.segments.iter().any(|s| s.byterange.is_some()) {
        4
    } else {
        3
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:1\n#EXT-X-PLAYLIST-TYPE:VOD"
    );
    if r.init.is_some() || r.has_video {
        out.push_str("#EXT-X-INDEPENDENT-SEGMENTS\n");
    }
    if let Some(init) = &r.init {
        match r.init_range {
            Some((len, off)) => {
                let _ = writeln!(out, "#EXT-X-MAP:URI=\"{init}\",BYTERANGE=\"{len}@{off}\"");
            }
            None => {
                let _ = writeln!(out, "#EXT-X-MAP:URI=\"{init}\"");
            }
        }
    }
    for s in &r.segments {
        let _ = writeln!(
            out,
            "#EXTINF:{},",
            fmt_duration(s.duration, integer_durations)
        );
        if let Some((len, off)) = s.byterange {
            let _ = writeln!(out, "#EXT-X-BYTERANGE:{len}@{off}");
        }
        let _ = writeln!(out, "{}", s.uri);
    }
    out.push_str("#EXT-X-ENDLIST\n");
    out
}

fn lang_name(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "ENG" => "English",
        "SPA" => "Spanish",
        "FRA" => "French",
        "DEU" | "GER" => "German",
        "ITA" => "Italian",
        "POR" => "Portuguese",
        "JPN" => "Japanese",
        "ZHO" => "Chinese",
        _ => code,
    }
    .to_string()
}

/// The master (multivariant) playlist of an HLS or CMAF group.
pub(crate) fn master_playlist(renditions: &[Rendition], stream_inf_resolution: bool) -> String {
    let fmp4 = renditions.iter().any(|r| r.init.is_some());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "#EXTM3U\n#EXT-X-VERSION:{}\n#EXT-X-INDEPENDENT-SEGMENTS",
        if fmp4 { 6 } else { 3 }
    );
    let audio_only: Vec<&Rendition> = renditions
        .iter()
        .filter(|r| r.has_audio && !r.has_video && !r.is_caption && !r.audio_only_variant)
        .collect();
    let audio_variants: Vec<&Rendition> =
        renditions.iter().filter(|r| r.audio_only_variant).collect();
    let captions: Vec<&Rendition> = renditions.iter().filter(|r| r.is_caption).collect();
    let video: Vec<&Rendition> = renditions.iter().filter(|r| r.has_video).collect();
    // Audio renditions (alternate audio) when there is video to attach them to.
    let mut first_in_group = std::collections::HashSet::new();
    if !video.is_empty() {
        for a in &audio_only {
            let default = first_in_group.insert(a.audio_group_id.clone());
            let name = a
                .name
                .clone()
                .or_else(|| a.language.as_deref().map(lang_name))
                .unwrap_or_else(|| "Audio".into());
            let mut line = format!(
                "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"{}\",NAME=\"{}\"",
                a.audio_group_id, name
            );
            if let Some(l) = &a.language {
                let _ = write!(line, ",LANGUAGE=\"{}\"", l.to_ascii_lowercase());
            }
            let _ = write!(
                line,
                ",AUTOSELECT=YES,DEFAULT={}",
                if default { "YES" } else { "NO" }
            );
            if let Some(c) = a.audio_channels {
                let _ = write!(line, ",CHANNELS=\"{c}\"");
            }
            let _ = writeln!(out, "{line},URI=\"{}\"", a.playlist);
        }
        for (i, c) in captions.iter().enumerate() {
            let name = c
                .name
                .clone()
                .or_else(|| c.language.as_deref().map(lang_name))
                .unwrap_or_else(|| "Captions".into());
            let mut line = format!("#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"{name}\"");
            if let Some(l) = &c.language {
                let _ = write!(line, ",LANGUAGE=\"{}\"", l.to_ascii_lowercase());
            }
            let _ = writeln!(
                out,
                "{line},DEFAULT={},AUTOSELECT=YES,FORCED=NO,URI=\"{}\"",
                if i == 0 { "YES" } else { "NO" },
                c.playlist
            );
        }
    }
    let variants: Vec<&Rendition> = if video.is_empty() {
        audio_only.iter().chain(&audio_variants).copied().collect()
    } else {
        video.into_iter().chain(audio_variants).collect()
    };
    for v in variants {
        let groups: Vec<&Rendition> = if v.has_video && !v.has_audio {
            audio_only
                .iter()
                .copied()
                .filter(|a| {
                    v.audio_rendition_sets
                        .split(',')
                        .any(|g| g.trim() == a.audio_group_id)
                })
                .collect()
        } else {
            Vec::new()
        };
        let audio_peak = groups.iter().map(|a| a.peak_bandwidth()).max().unwrap_or(0);
        let audio_avg = groups
            .iter()
            .map(|a| a.average_bandwidth())
            .max()
            .unwrap_or(0);
        let mut codecs = v.codecs.clone();
        if let Some(a) = groups.first() {
            codecs.extend(a.codecs.iter().cloned());
        }
        let mut line = format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={}",
            (v.peak_bandwidth() + audio_peak).max(1),
            (v.average_bandwidth() + audio_avg).max(1)
        );
        if !codecs.is_empty() {
            let _ = write!(line, ",CODECS=\"{}\"", codecs.join(","));
        }
        if stream_inf_resolution && let (Some(w), Some(h)) = (v.width, v.height) {
            let _ = write!(line, ",RESOLUTION={w}x{h}");
        }
        if let Some((num, den)) = v.frame_rate {
            let _ = write!(line, ",FRAME-RATE={:.3}", num as f64 / den.max(1) as f64);
        }
        if let Some(a) = groups.first() {
            let _ = write!(line, ",AUDIO=\"{}\"", a.audio_group_id);
        }
        if v.has_video && !captions.is_empty() {
            line.push_str(",SUBTITLES=\"subs\"");
        }
        let _ = writeln!(out, "{line}\n{}", v.playlist);
    }
    out
}

/// ISO 8601 duration `PT1M2.500S`.
pub(crate) fn iso_duration(secs: f64) -> String {
    let total_ms = (secs * 1000.0).round() as u64;
    let h = total_ms / 3_600_000;
    let m = (total_ms / 60_000) % 60;
    let s = (total_ms % 60_000) as f64 / 1000.0;
    let mut out = "PT".to_string();
    if h > 0 {
        let _ = write!(out, "{h}H");
    }
    if m > 0 {
        let _ = write!(out, "{m}M");
    }
    let _ = write!(out, "{s:.3}S");
    out
}

fn segment_timeline(r: &Rendition) -> String {
    let ts = r.timescale.max(1) as f64;
    let mut out = String::from("<SegmentTimeline>");
    let mut t: u64 = 0;
    let mut acc = 0.0f64;
    let mut runs: Vec<(u64, u64, u32)> = Vec::new();
    for s in &r.segments {
        acc += s.duration;
        let end = (acc * ts).round() as u64;
        let d = end.saturating_sub(t).max(1);
        match runs.last_mut() {
            Some((_, rd, rr)) if *rd == d => *rr += 1,
            _ => runs.push((t, d, 0)),
        }
        t += d;
    }
    for (i, (start, d, r)) in runs.iter().enumerate() {
        let t_attr = if i == 0 {
            format!(" t=\"{start}\"")
        } else {
            String::new()
        };
        let r_attr = if *r > 0 {
            format!(" r=\"{r}\"")
        } else {
            String::new()
        };
        let _ = write!(out, "<S{t_attr} d=\"{d}\"{r_attr}/>");
    }
    out.push_str("</SegmentTimeline>");
    out
}

/// The `<SegmentTemplate>` (separate files) or `<BaseURL>` + `<SegmentList>` (one file with byte ranges) of a
/// representation.
fn segment_addressing(r: &Rendition, indent: &str) -> String {
    if r.segments.first().is_some_and(|s| s.byterange.is_some()) {
        let file = r.segments.first().map(|s| s.uri.as_str()).unwrap_or("");
        let mut out = format!(
            "{indent}<BaseURL>{}</BaseURL>\n",
            crate::wire::xml_escape(file)
        );
        let _ = write!(out, "{indent}<SegmentList timescale=\"{}\">", r.timescale);
        if let Some((len, off)) = r.init_range {
            let _ = write!(
                out,
                "<Initialization range=\"{off}-{}\"/>",
                off + len.max(1) - 1
            );
        }
        out.push_str(&segment_timeline(r));
        for s in &r.segments {
            let (len, off) = s.byterange.unwrap_or((0, 0));
            let _ = write!(
                out,
                "<SegmentURL mediaRange=\"{off}-{}\"/>",
                off + len.max(1) - 1
            );
        }
        out.push_str("</SegmentList>\n");
        out
    } else {
        format!(
            "{indent}<SegmentTemplate timescale=\"{}\" media=\"{}\" initialization=\"{}\" startNumber=\"1\">{}</SegmentTemplate>\n",
            r.timescale,
            media_template(r),
            crate::wire::xml_escape(r.init.as_deref().unwrap_or("")),
            segment_timeline(r)
        )
    }
}

fn media_template(r: &Rendition) -> String {
    // Segment names end in _<9 digits>.<ext>; the template replaces the number.
    let first = r.segments.first().map(|s| s.uri.as_str()).unwrap_or("");
    let (stem, ext) = first.rsplit_once('.').unwrap_or((first, ""));
    let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = stem.len() - prefix.len();
    format!(
        "{}$Number%0{digits}d$.{ext}",
        crate::wire::xml_escape(prefix)
    )
}

/// A static MPD (isoff-main, SegmentTemplate + SegmentTimeline) for the fMP4 renditions of a group.
pub(crate) fn mpd(renditions: &[Rendition], min_buffer_time_ms: u64, on_demand: bool) -> String {
    let duration = renditions
        .iter()
        .map(Rendition::duration)
        .fold(0.0, f64::max);
    let max_seg = renditions
        .iter()
        .flat_map(|r| r.segments.iter().map(|s| s.duration))
        .fold(0.0, f64::max);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MPD xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"urn:mpeg:dash:schema:mpd:2011\" xmlns:cenc=\"urn:mpeg:cenc:2013\" xsi:schemaLocation=\"urn:mpeg:dash:schema:mpd:2011 http://standards.iso.org/ittf/PubliclyAvailableStandards/MPEG-DASH_schema_files/DASH-MPD.xsd\" type=\"static\" minBufferTime=\"{}\" profiles=\"urn:mpeg:dash:profile:{}:2011\" mediaPresentationDuration=\"{}\" maxSegmentDuration=\"{}\">\n",
        iso_duration(min_buffer_time_ms as f64 / 1000.0),
        if on_demand {
            "isoff-on-demand"
        } else {
            "isoff-main"
        },
        iso_duration(duration),
        iso_duration(max_seg)
    );
    let _ = writeln!(
        out,
        "  <Period start=\"PT0S\" id=\"1\" duration=\"{}\">",
        iso_duration(duration)
    );
    let mut rep_id = 0;
    let video: Vec<&Rendition> = renditions.iter().filter(|r| r.has_video).collect();
    if !video.is_empty() {
        let max_w = video.iter().filter_map(|r| r.width).max().unwrap_or(0);
        let max_h = video.iter().filter_map(|r| r.height).max().unwrap_or(0);
        let fr = video
            .iter()
            .find_map(|r| r.frame_rate)
            .map(|(n, d)| format!(" frameRate=\"{n}/{d}\""))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    <AdaptationSet mimeType=\"video/mp4\"{fr} segmentAlignment=\"true\" subsegmentAlignment=\"true\" startWithSAP=\"1\" subsegmentStartsWithSAP=\"1\" bitstreamSwitching=\"false\" maxWidth=\"{max_w}\" maxHeight=\"{max_h}\">"
        );
        for r in &video {
            rep_id += 1;
            let _ = writeln!(
                out,
                "      <Representation id=\"{rep_id}\" width=\"{}\" height=\"{}\" bandwidth=\"{}\" codecs=\"{}\">",
                r.width.unwrap_or(0),
                r.height.unwrap_or(0),
                r.peak_bandwidth().max(1),
                r.codecs.join(",")
            );
            out.push_str(&segment_addressing(r, "        "));
            out.push_str("      </Representation>\n");
        }
        out.push_str("    </AdaptationSet>\n");
    }
    for r in renditions.iter().filter(|r| r.has_audio && !r.has_video) {
        rep_id += 1;
        let lang = r
            .language
            .as_deref()
            .map(|l| format!(" lang=\"{}\"", l.to_ascii_lowercase()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    <AdaptationSet mimeType=\"audio/mp4\"{lang} segmentAlignment=\"0\">"
        );
        let _ = writeln!(
            out,
            "      <Representation id=\"{rep_id}\" bandwidth=\"{}\" audioSamplingRate=\"{}\" codecs=\"{}\">",
            r.peak_bandwidth().max(1),
            r.audio_sample_rate.unwrap_or(48000),
            r.codecs.join(",")
        );
        let _ = writeln!(
            out,
            "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:audio_channel_configuration:2011\" value=\"{}\"/>",
            r.audio_channels.unwrap_or(2)
        );
        out.push_str(&segment_addressing(r, "        "));
        out.push_str("      </Representation>\n    </AdaptationSet>\n");
    }
    for r in renditions.iter().filter(|r| r.is_caption) {
        rep_id += 1;
        let lang = r
            .language
            .as_deref()
            .map(|l| format!(" lang=\"{}\"", l.to_ascii_lowercase()))
            .unwrap_or_default();
        let file = r
            .sidecar
            .clone()
            .or_else(|| r.segments.first().map(|s| s.uri.clone()))
            .unwrap_or_default();
        // A WebVTT sidecar (CMAF's MPD) or one IMSC / TTML document (DASH ISO, raw container).
        let mime = if file.ends_with(".vtt") {
            "text/vtt"
        } else {
            "application/ttml+xml"
        };
        let _ = writeln!(
            out,
            "    <AdaptationSet mimeType=\"{mime}\"{lang}>\n      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"subtitle\"/>\n      <Representation id=\"{rep_id}\" bandwidth=\"256\">\n        <BaseURL>{}</BaseURL>\n      </Representation>\n    </AdaptationSet>",
            crate::wire::xml_escape(&file)
        );
    }
    out.push_str("  </Period>\n</MPD>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dash_like_check(x: &str) {
        assert!(x.starts_with("<?xml") && x.trim_end().ends_with("</MPD>"));
    }

    fn seg(uri: &str, d: f64, size: u64) -> Segment {
        Segment {
            uri: uri.into(),
            duration: d,
            byterange: None,
            size,
        }
    }

    #[test]
    fn parses_ffmpeg_playlists() {
        let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"a_init.mp4\"\n#EXTINF:2.000000,\na_000000001.mp4\n#EXTINF:1.500000,\n#EXT-X-BYTERANGE:100@200\na_000000002.mp4\n#EXT-X-ENDLIST\n";
        let (segs, map, map_range) = parse_ffmpeg_playlist(text);
        assert_eq!(map.as_deref(), Some("a_init.mp4"));
        assert_eq!(map_range, None);
        let (_, _, r) = parse_ffmpeg_playlist("#EXT-X-MAP:URI=\"x.mp4\",BYTERANGE=\"826@0\"\n");
        assert_eq!(r, Some((826, 0)));
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[1].duration, 1.5);
        assert_eq!(segs[1].byterange, Some((100, 200)));
    }

    #[test]
    fn media_and_master_playlists() {
        let v = Rendition {
            playlist: "s_360p.m3u8".into(),
            segments: vec![
                seg("s_360p_00001.ts", 2.0, 100_000),
                seg("s_360p_00002.ts", 1.0, 25_000),
            ],
            width: Some(640),
            height: Some(360),
            frame_rate: Some((30, 1)),
            codecs: vec!["avc1.64001e".into(), "mp4a.40.2".into()],
            has_video: true,
            has_audio: true,
            audio_group_id: "program_audio".into(),
            audio_rendition_sets: "program_audio".into(),
            ..Default::default()
        };
        let p = media_playlist(&v, false);
        assert!(p.contains("#EXT-X-TARGETDURATION:2\n"));
        assert!(p.contains("#EXTINF:2.00000,\ns_360p_00001.ts\n"));
        assert!(p.ends_with("#EXT-X-ENDLIST\n"));
        assert!(media_playlist(&v, true).contains("#EXTINF:1,\n"));
        let m = master_playlist(&[v], true);
        assert!(m.contains("BANDWIDTH=400000,AVERAGE-BANDWIDTH=333333,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=30.000\ns_360p.m3u8"), "{m}");
    }

    #[test]
    fn mpd_with_timeline() {
        let v = Rendition {
            init: Some("s_360pinit.mp4".into()),
            segments: vec![
                seg("s_360p_000000001.mp4", 2.0, 1),
                seg("s_360p_000000002.mp4", 2.0, 1),
                seg("s_360p_000000003.mp4", 1.0, 1),
            ],
            width: Some(640),
            height: Some(360),
            codecs: vec!["avc1.64001e".into()],
            has_video: true,
            timescale: 90000,
            ..Default::default()
        };
        let x = mpd(&[v], 2000, false);
        assert!(
            x.contains("media=\"s_360p_$Number%09d$.mp4\" initialization=\"s_360pinit.mp4\""),
            "{x}"
        );
        assert!(
            x.contains("<S t=\"0\" d=\"180000\" r=\"1\"/><S d=\"90000\"/>"),
            "{x}"
        );
        assert!(x.contains("mediaPresentationDuration=\"PT5.000S\""));
        assert_eq!(iso_duration(3725.5), "PT1H2M5.500S");
        let single = Rendition {
            init: Some("s_360p.mp4".into()),
            init_range: Some((826, 0)),
            segments: vec![
                Segment {
                    uri: "s_360p.mp4".into(),
                    duration: 2.0,
                    byterange: Some((100, 826)),
                    size: 100,
                },
                Segment {
                    uri: "s_360p.mp4".into(),
                    duration: 1.0,
                    byterange: Some((50, 926)),
                    size: 50,
                },
            ],
            has_video: true,
            timescale: 1000,
            ..Default::default()
        };
        let x = mpd(&[single], 2000, true);
        assert!(x.contains("isoff-on-demand:2011"), "{x}");
        assert!(x.contains("<BaseURL>s_360p.mp4</BaseURL>"), "{x}");
        assert!(x.contains("<Initialization range=\"0-825\"/>"), "{x}");
        assert!(
            x.contains("<SegmentURL mediaRange=\"826-925\"/><SegmentURL mediaRange=\"926-975\"/>"),
            "{x}"
        );
        dash_like_check(&x);
    }
}
