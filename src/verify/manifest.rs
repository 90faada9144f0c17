//! Pure manifest checks: HLS playlists (m3u8-rs) and DASH MPDs (dash-mpd-core) against the ladder,
//! and the URLs of the first segment of every rendition.

use super::CheckKind;
use super::checks::Finding;

/// One rung of the ladder as a player should see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rung {
    pub width: u32,
    pub height: u32,
    /// The video `MaxBitrate`, bits/s.
    pub max_bitrate: u64,
}

/// What the manifests must advertise.
#[derive(Debug, Clone)]
pub(crate) struct LadderExpectation {
    pub rungs: Vec<Rung>,
    /// The highest audio bitrate, bits/s (HLS `BANDWIDTH` counts muxed or grouped audio).
    pub audio_bitrate: u64,
    /// How far above the rung's cap (video + audio) an advertised bandwidth may be, in percent.
    pub tolerance_percent: u32,
}

/// A video variant or representation as the manifest advertises it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Advertised {
    pub width: u32,
    pub height: u32,
    pub bandwidth: u64,
    /// The variant's URI or the representation's id.
    pub name: String,
}

/// Pairs advertised renditions with the ladder. Within one resolution, the highest bandwidth goes
/// with the highest cap. A rung with no partner is a missing variant; an advertised rendition with
/// none is an unexpected one (a wrong resolution shows as both).
pub(crate) fn match_ladder(expect: &LadderExpectation, advertised: &[Advertised]) -> Vec<Finding> {
    let kind = CheckKind::Variant;
    let mut out = Vec::new();
    let mut resolutions: Vec<(u32, u32)> = expect
        .rungs
        .iter()
        .map(|r| (r.width, r.height))
        .chain(advertised.iter().map(|a| (a.width, a.height)))
        .collect();
    resolutions.sort_by(|a, b| (b.0 * b.1).cmp(&(a.0 * a.1)).then(b.cmp(a)));
    resolutions.dedup();
    for (w, h) in resolutions {
        let mut rungs: Vec<&Rung> = expect
            .rungs
            .iter()
            .filter(|r| (r.width, r.height) == (w, h))
            .collect();
        rungs.sort_by_key(|r| std::cmp::Reverse(r.max_bitrate));
        let mut ads: Vec<&Advertised> = advertised
            .iter()
            .filter(|a| (a.width, a.height) == (w, h))
            .collect();
        ads.sort_by_key(|a| std::cmp::Reverse(a.bandwidth));
        for i in 0..rungs.len().max(ads.len()) {
            match (rungs.get(i), ads.get(i)) {
                (Some(r), Some(a)) => {
                    let cap = r.max_bitrate + expect.audio_bitrate;
                    let limit = cap + cap * u64::from(expect.tolerance_percent) / 100;
                    let subject = format!("{w}x{h} {}", a.name);
                    if a.bandwidth == 0 {
                        out.push(Finding::fail(kind, subject, "advertises a bandwidth of 0"));
                    } else if a.bandwidth > limit {
                        out.push(Finding::fail(
                            kind,
                            subject,
                            format!(
                                "bandwidth {} b/s is above the rung's {} b/s video + {} b/s audio by more than {}%",
                                a.bandwidth, r.max_bitrate, expect.audio_bitrate, expect.tolerance_percent
                            ),
                        ));
                    } else {
                        out.push(Finding::pass(
                            kind,
                            subject,
                            format!(
                                "{w}x{h} at {} b/s (cap {} b/s video + {} b/s audio)",
                                a.bandwidth, r.max_bitrate, expect.audio_bitrate
                            ),
                        ));
                    }
                }
                (Some(r), None) => out.push(Finding::fail(
                    kind,
                    format!("{w}x{h}"),
                    format!(
                        "missing variant: the ladder has {w}x{h} at {} b/s, the manifest does not",
                        r.max_bitrate
                    ),
                )),
                (None, Some(a)) => out.push(Finding::fail(
                    kind,
                    format!("{w}x{h} {}", a.name),
                    format!(
                        "unexpected variant {w}x{h} at {} b/s: no such rung in the ladder",
                        a.bandwidth
                    ),
                )),
                (None, None) => {}
            }
        }
    }
    out
}

fn has_video_codec(codecs: Option<&str>) -> bool {
    codecs.is_some_and(|c| {
        c.split(',').any(|c| {
            let c = c.trim();
            ["avc1", "avc3", "hvc1", "hev1", "av01", "vp09"]
                .iter()
                .any(|p| c.starts_with(p))
        })
    })
}

/// What a master playlist holds: the checks on its variants, and the media playlists to fetch
/// (every variant and every alternative rendition with a URI), relative to the master.
#[derive(Debug, Default)]
pub(crate) struct HlsMaster {
    pub findings: Vec<Finding>,
    pub media_playlists: Vec<String>,
}

pub(crate) fn check_hls_master(url: &str, body: &[u8], expect: &LadderExpectation) -> HlsMaster {
    let master = match m3u8_rs::parse_playlist_res(body) {
        Ok(m3u8_rs::Playlist::MasterPlaylist(m)) => m,
        Ok(m3u8_rs::Playlist::MediaPlaylist(_)) => {
            return HlsMaster {
                findings: vec![Finding::fail(
                    CheckKind::Manifest,
                    url,
                    "a media playlist where a master playlist was expected",
                )],
                ..Default::default()
            };
        }
        Err(e) => {
            return HlsMaster {
                findings: vec![Finding::fail(
                    CheckKind::Manifest,
                    url,
                    format!("not an HLS playlist: {}", short(&e.to_string())),
                )],
                ..Default::default()
            };
        }
    };
    let mut findings = Vec::new();
    let mut advertised = Vec::new();
    let mut media = Vec::new();
    for v in master.variants.iter().filter(|v| !v.is_i_frame) {
        media.push(v.uri.clone());
        match &v.resolution {
            Some(r) => advertised.push(Advertised {
                width: r.width as u32,
                height: r.height as u32,
                bandwidth: v.bandwidth,
                name: v.uri.clone(),
            }),
            None if has_video_codec(v.codecs.as_deref()) => findings.push(Finding::fail(
                CheckKind::Variant,
                &v.uri,
                "a video variant without RESOLUTION: players cannot pick a rendition by size",
            )),
            // Audio-only variant.
            None => {}
        }
    }
    for alt in &master.alternatives {
        if let Some(uri) = &alt.uri
            && !media.contains(uri)
        {
            media.push(uri.clone());
        }
    }
    let manifest = if advertised.is_empty() {
        Finding::fail(
            CheckKind::Manifest,
            url,
            "the master playlist lists no video variant",
        )
    } else {
        Finding::pass(
            CheckKind::Manifest,
            url,
            format!(
                "master playlist: {} variants, {} alternative renditions",
                master.variants.iter().filter(|v| !v.is_i_frame).count(),
                master.alternatives.len()
            ),
        )
    };
    findings.insert(0, manifest);
    findings.extend(match_ladder(expect, &advertised));
    HlsMaster {
        findings,
        media_playlists: media,
    }
}

/// The first segment of a media playlist, after its initialization section (`EXT-X-MAP`) when it
/// has one; relative to the media playlist.
pub(crate) fn hls_first_segment(body: &[u8]) -> Result<Vec<String>, String> {
    match m3u8_rs::parse_playlist_res(body) {
        Ok(m3u8_rs::Playlist::MediaPlaylist(p)) => {
            let Some(first) = p.segments.first() else {
                return Err("the media playlist has no segment".into());
            };
            let mut out = Vec::new();
            if let Some(map) = &first.map {
                out.push(map.uri.clone());
            }
            out.push(first.uri.clone());
            Ok(out)
        }
        Ok(m3u8_rs::Playlist::MasterPlaylist(_)) => {
            Err("a master playlist where a media playlist was expected".into())
        }
        Err(e) => Err(format!("not an HLS playlist: {}", short(&e.to_string()))),
    }
}

/// What an MPD holds: the checks on its video representations, and, per representation, its
/// initialization segment and first media segment (absolute, resolved against `url` and BaseURLs).
#[derive(Debug, Default)]
pub(crate) struct DashMpd {
    pub findings: Vec<Finding>,
    pub segments: Vec<String>,
}

pub(crate) fn check_mpd(url: &str, body: &[u8], expect: &LadderExpectation) -> DashMpd {
    let fail = |detail: String| DashMpd {
        findings: vec![Finding::fail(CheckKind::Manifest, url, detail)],
        ..Default::default()
    };
    let text = match std::str::from_utf8(body) {
        Ok(t) => t,
        Err(_) => return fail("the MPD is not UTF-8".into()),
    };
    let mpd = match dash_mpd_core::parse(text) {
        Ok(m) => m,
        Err(e) => return fail(format!("not a DASH MPD: {}", short(&e.to_string()))),
    };
    let Ok(base) = url::Url::parse(url) else {
        return fail(format!("{url} is not a URL"));
    };
    let join = |base: &url::Url, urls: &[dash_mpd_core::BaseURL]| match urls.first() {
        Some(b) => base.join(b.base.trim()).unwrap_or_else(|_| base.clone()),
        None => base.clone(),
    };
    let mut findings = Vec::new();
    let mut advertised = Vec::new();
    let mut segments = Vec::new();
    let mut representations = 0;
    let mpd_base = join(&base, &mpd.base_url);
    let Some(period) = mpd.periods.first() else {
        return fail("the MPD has no Period".into());
    };
    let period_base = join(&mpd_base, &period.BaseURL);
    for set in &period.adaptations {
        let set_base = join(&period_base, &set.BaseURL);
        let set_is_video = set
            .mimeType
            .as_deref()
            .or(set.contentType.as_deref())
            .is_some_and(|m| m.starts_with("video"));
        for rep in &set.representations {
            representations += 1;
            let id = rep
                .id
                .clone()
                .unwrap_or_else(|| format!("#{representations}"));
            let is_video = set_is_video
                || rep
                    .mimeType
                    .as_deref()
                    .is_some_and(|m| m.starts_with("video"))
                || rep.width.is_some();
            if is_video {
                match (rep.width.or(set.width), rep.height.or(set.height)) {
                    (Some(w), Some(h)) => advertised.push(Advertised {
                        width: w as u32,
                        height: h as u32,
                        bandwidth: rep.bandwidth.unwrap_or(0),
                        name: format!("representation {id}"),
                    }),
                    _ => findings.push(Finding::fail(
                        CheckKind::Variant,
                        format!("representation {id}"),
                        "a video representation without width and height",
                    )),
                }
            }
            let rep_base = join(&set_base, &rep.BaseURL);
            match first_segments(rep, set, &rep_base) {
                Ok(urls) => segments.extend(urls),
                Err(e) => findings.push(Finding::fail(
                    CheckKind::Manifest,
                    format!("representation {id}"),
                    e,
                )),
            }
        }
    }
    let manifest = if advertised.is_empty() {
        Finding::fail(
            CheckKind::Manifest,
            url,
            "the MPD has no video representation",
        )
    } else {
        Finding::pass(
            CheckKind::Manifest,
            url,
            format!(
                "MPD: {} adaptation sets, {representations} representations",
                period.adaptations.len()
            ),
        )
    };
    findings.insert(0, manifest);
    findings.extend(match_ladder(expect, &advertised));
    DashMpd { findings, segments }
}

/// The initialization and first media segment of a representation: from its `SegmentTemplate` (or
/// the adaptation set's), its `SegmentList`, or, for a single-file representation, its BaseURL.
fn first_segments(
    rep: &dash_mpd_core::Representation,
    set: &dash_mpd_core::AdaptationSet,
    base: &url::Url,
) -> Result<Vec<String>, String> {
    let join = |u: &str| {
        base.join(u)
            .map(|u| u.to_string())
            .map_err(|e| format!("segment URL {u:?}: {e}"))
    };
    let rep_id = rep.id.as_deref().unwrap_or("");
    let bandwidth = rep.bandwidth.unwrap_or(0);
    if let Some(t) = rep
        .SegmentTemplate
        .as_ref()
        .or(set.SegmentTemplate.as_ref())
    {
        // Representation values override the adaptation set's.
        let outer = set.SegmentTemplate.as_ref();
        let media = t
            .media
            .as_deref()
            .or(outer.and_then(|o| o.media.as_deref()))
            .ok_or("a SegmentTemplate without @media")?;
        let number = t
            .startNumber
            .or(outer.and_then(|o| o.startNumber))
            .unwrap_or(1);
        let timeline = t
            .SegmentTimeline
            .as_ref()
            .or(outer.and_then(|o| o.SegmentTimeline.as_ref()));
        let time = timeline
            .and_then(|tl| tl.segments.first())
            .and_then(|s| s.t)
            .unwrap_or(0);
        let mut out = Vec::new();
        if let Some(init) = t
            .initialization
            .as_deref()
            .or(outer.and_then(|o| o.initialization.as_deref()))
        {
            out.push(join(&expand_template(
                init, rep_id, bandwidth, number, time,
            )?)?);
        }
        out.push(join(&expand_template(
            media, rep_id, bandwidth, number, time,
        )?)?);
        return Ok(out);
    }
    if let Some(list) = rep.SegmentList.as_ref().or(set.SegmentList.as_ref()) {
        let mut out = Vec::new();
        if let Some(init) = list
            .Initialization
            .as_ref()
            .and_then(|i| i.sourceURL.as_deref())
        {
            out.push(join(init)?);
        }
        let first = list
            .segment_urls
            .first()
            .and_then(|s| s.media.as_deref())
            .ok_or("a SegmentList without a SegmentURL@media")?;
        out.push(join(first)?);
        return Ok(out);
    }
    // SegmentBase or nothing: the BaseURL is the whole file.
    Ok(vec![base.to_string()])
}

/// Expands a DASH `SegmentTemplate` string (ISO/IEC 23009-1 5.3.9.4.4): `$RepresentationID$`,
/// `$Number$`, `$Bandwidth$` and `$Time$`, each with an optional `%0<width>d`, and `$$`.
pub(crate) fn expand_template(
    template: &str,
    rep_id: &str,
    bandwidth: u64,
    number: u64,
    time: u64,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after
            .find('$')
            .ok_or_else(|| format!("unclosed $ in SegmentTemplate {template:?}"))?;
        let ident = &after[..end];
        rest = &after[end + 1..];
        if ident.is_empty() {
            out.push('$');
            continue;
        }
        let (name, format) = match ident.split_once('%') {
            Some((n, f)) => (n, Some(f)),
            None => (ident, None),
        };
        let value = match name {
            "RepresentationID" if format.is_none() => {
                out.push_str(rep_id);
                continue;
            }
            "Number" => number,
            "Bandwidth" => bandwidth,
            "Time" => time,
            _ => {
                return Err(format!(
                    "unknown identifier ${ident}$ in SegmentTemplate {template:?}"
                ));
            }
        };
        match format {
            None => out.push_str(&value.to_string()),
            Some(f) => {
                let width: usize = f
                    .strip_prefix('0')
                    .and_then(|w| w.strip_suffix('d'))
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| {
                        format!("format %{f} in SegmentTemplate {template:?} is not %0<width>d")
                    })?;
                out.push_str(&format!("{value:0width$}"));
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn short(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.chars().count() > 160 {
        format!("{}...", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Outcome;

    fn ladder() -> LadderExpectation {
        LadderExpectation {
            rungs: vec![
                Rung {
                    width: 1280,
                    height: 720,
                    max_bitrate: 4_000_000,
                },
                Rung {
                    width: 1280,
                    height: 720,
                    max_bitrate: 2_000_000,
                },
                Rung {
                    width: 640,
                    height: 360,
                    max_bitrate: 700_000,
                },
            ],
            audio_bitrate: 96_000,
            tolerance_percent: 10,
        }
    }

    const MASTER: &str = "#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=3868789,CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1280x720
a_720p_4M.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=1742384,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720
a_720p_2M.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=433653,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360
a_360p_700k.m3u8
";

    fn fails(f: &[Finding]) -> Vec<&Finding> {
        f.iter().filter(|f| f.outcome == Outcome::Fail).collect()
    }

    #[test]
    fn a_good_master_playlist_matches_the_ladder() {
        let m = check_hls_master("http://d/a.m3u8", MASTER.as_bytes(), &ladder());
        assert!(fails(&m.findings).is_empty(), "{:#?}", m.findings);
        // Manifest + three variants.
        assert_eq!(m.findings.len(), 4);
        assert_eq!(
            m.media_playlists,
            ["a_720p_4M.m3u8", "a_720p_2M.m3u8", "a_360p_700k.m3u8"]
        );
    }

    #[test]
    fn a_missing_variant_fails() {
        let broken = MASTER.replace(
            "#EXT-X-STREAM-INF:BANDWIDTH=433653,CODECS=\"avc1.64001e,mp4a.40.2\",RESOLUTION=640x360\na_360p_700k.m3u8\n",
            "",
        );
        assert_ne!(broken, MASTER);
        let m = check_hls_master("http://d/a.m3u8", broken.as_bytes(), &ladder());
        let f = fails(&m.findings);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].subject, "640x360");
        assert!(f[0].detail.contains("missing variant"), "{}", f[0].detail);
    }

    #[test]
    fn a_wrong_resolution_fails_as_missing_and_unexpected() {
        let broken = MASTER.replace("RESOLUTION=640x360", "RESOLUTION=640x352");
        assert_ne!(broken, MASTER);
        let m = check_hls_master("http://d/a.m3u8", broken.as_bytes(), &ladder());
        let f = fails(&m.findings);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(
            f.iter()
                .any(|f| f.detail.contains("missing variant: the ladder has 640x360"))
        );
        assert!(
            f.iter()
                .any(|f| f.detail.contains("unexpected variant 640x352"))
        );
    }

    #[test]
    fn a_bandwidth_above_the_cap_fails() {
        // 4.096 Mb/s cap + 10% = 4.5056 Mb/s.
        let broken = MASTER.replace("BANDWIDTH=3868789", "BANDWIDTH=4600000");
        let m = check_hls_master("http://d/a.m3u8", broken.as_bytes(), &ladder());
        let f = fails(&m.findings);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].detail.contains("4600000 b/s is above"),
            "{}",
            f[0].detail
        );
        let fine = MASTER.replace("BANDWIDTH=3868789", "BANDWIDTH=4500000");
        assert!(fails(&check_hls_master("u", fine.as_bytes(), &ladder()).findings).is_empty());
    }

    #[test]
    fn not_a_playlist_and_a_video_variant_without_resolution() {
        let m = check_hls_master("http://d/a.m3u8", b"<html>oops</html>", &ladder());
        assert_eq!(fails(&m.findings).len(), 1);
        assert!(m.findings[0].detail.contains("not an HLS playlist"));
        let no_res = MASTER.replace(",RESOLUTION=640x360", "");
        let m = check_hls_master("u", no_res.as_bytes(), &ladder());
        assert!(
            fails(&m.findings)
                .iter()
                .any(|f| f.detail.contains("without RESOLUTION"))
        );
    }

    #[test]
    fn media_playlist_first_segment_with_and_without_map() {
        let ts = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na_00001.ts\n#EXTINF:6,\na_00002.ts\n#EXT-X-ENDLIST\n";
        assert_eq!(hls_first_segment(ts.as_bytes()).unwrap(), ["a_00001.ts"]);
        let fmp4 = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI=\"a_init.mp4\"\n#EXTINF:6,\na_1.mp4\n#EXT-X-ENDLIST\n";
        assert_eq!(
            hls_first_segment(fmp4.as_bytes()).unwrap(),
            ["a_init.mp4", "a_1.mp4"]
        );
        let empty = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-ENDLIST\n";
        assert!(
            hls_first_segment(empty.as_bytes())
                .unwrap_err()
                .contains("no segment")
        );
    }

    const MPD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" minBufferTime="PT30S" profiles="urn:mpeg:dash:profile:isoff-main:2011" mediaPresentationDuration="PT6S">
  <Period start="PT0S" id="1">
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
      <Representation id="1" width="1280" height="720" bandwidth="3662226" codecs="avc1.640028">
        <SegmentTemplate timescale="15360" media="a_720p_4M_$Number%09d$.mp4" initialization="a_720p_4Minit.mp4" startNumber="1"><SegmentTimeline><S t="0" d="92160"/></SegmentTimeline></SegmentTemplate>
      </Representation>
      <Representation id="2" width="1280" height="720" bandwidth="1580736" codecs="avc1.64001f">
        <SegmentTemplate timescale="15360" media="a_720p_2M_$Number%09d$.mp4" initialization="a_720p_2Minit.mp4" startNumber="1"/>
      </Representation>
      <Representation id="3" width="640" height="360" bandwidth="296898" codecs="avc1.64001e">
        <SegmentTemplate timescale="15360" media="$RepresentationID$/t$Time$.m4s" initialization="$RepresentationID$/init.mp4" startNumber="1"><SegmentTimeline><S t="1024" d="92160"/></SegmentTimeline></SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4">
      <Representation id="7" bandwidth="93327" audioSamplingRate="48000" codecs="mp4a.40.2">
        <SegmentTemplate timescale="48000" media="a_audio_$Number%09d$.mp4" initialization="a_audioinit.mp4" startNumber="1"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>"#;

    #[test]
    fn a_good_mpd_matches_the_ladder_and_names_every_first_segment() {
        let d = check_mpd("http://d.localhost/x/dash/a.mpd", MPD.as_bytes(), &ladder());
        assert!(fails(&d.findings).is_empty(), "{:#?}", d.findings);
        assert_eq!(
            d.segments,
            [
                "http://d.localhost/x/dash/a_720p_4Minit.mp4",
                "http://d.localhost/x/dash/a_720p_4M_000000001.mp4",
                "http://d.localhost/x/dash/a_720p_2Minit.mp4",
                "http://d.localhost/x/dash/a_720p_2M_000000001.mp4",
                "http://d.localhost/x/dash/3/init.mp4",
                "http://d.localhost/x/dash/3/t1024.m4s",
                "http://d.localhost/x/dash/a_audioinit.mp4",
                "http://d.localhost/x/dash/a_audio_000000001.mp4",
            ]
        );
    }

    #[test]
    fn a_broken_mpd_fails_precisely() {
        let missing = MPD.replace(r#"width="640" height="360""#, r#"width="640" height="480""#);
        assert_ne!(missing, MPD);
        let d = check_mpd("http://d/a.mpd", missing.as_bytes(), &ladder());
        let f = fails(&d.findings);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(
            f.iter()
                .any(|f| f.detail.contains("missing variant: the ladder has 640x360"))
        );
        let d = check_mpd("http://d/a.mpd", b"<MPD", &ladder());
        assert!(
            d.findings[0].detail.contains("not a DASH MPD"),
            "{:?}",
            d.findings
        );
    }

    #[test]
    fn segment_templates_expand() {
        assert_eq!(
            expand_template("a_$Number%05d$.ts", "1", 0, 7, 0).unwrap(),
            "a_00007.ts"
        );
        assert_eq!(
            expand_template(
                "$RepresentationID$_$Bandwidth$_$Time$_$$.m4s",
                "v1",
                500,
                1,
                90
            )
            .unwrap(),
            "v1_500_90_$.m4s"
        );
        assert!(expand_template("a_$Number", "1", 0, 1, 0).is_err());
        assert!(expand_template("a_$Nope$", "1", 0, 1, 0).is_err());
        assert!(expand_template("a_$Number%5x$", "1", 0, 1, 0).is_err());
    }
}
