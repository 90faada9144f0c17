//! Sidecar caption outputs: the sidecar source (SRT, WebVTT...) converted to WebVTT by ffmpeg, then clipped,
//! shifted and segmented here (WebVTT), or written as one IMSC1 / TTML document (DASH ISO).
use super::package::file_size;
use super::{Ctx, Failure, codes, write};
use crate::mediaconvert::manifest::{Rendition, Segment};
use crate::mediaconvert::plan::{CaptionFormat, CaptionOutputPlan, GroupKind, GroupPlan};
use std::path::Path;

/// One WebVTT cue: start, end (seconds), the rest of its timing line (settings), and its other lines.
#[derive(Debug, Clone, PartialEq)]
struct Cue {
    start: f64,
    end: f64,
    settings: String,
    id: Option<String>,
    text: Vec<String>,
}

/// One caption output: a WebVTT sidecar file and segmented WebVTT for HLS, or one IMSC / TTML document. `video_start` is the first
/// timestamp of the group's video, for the segments' `X-TIMESTAMP-MAP`.
pub(super) async fn caption_output(
    ctx: &Ctx<'_>,
    g: &GroupPlan,
    c: &CaptionOutputPlan,
    name: &str,
    dir: &Path,
    video_start: Option<f64>,
) -> Result<Rendition, Failure> {
    let Some((src, path)) = ctx
        .captions
        .iter()
        .find(|(s, _)| s.selector == c.selector)
        .cloned()
    else {
        return Err(Failure::Error(
            codes::SETTINGS,
            format!("no caption selector named [{}]", c.selector),
        ));
    };
    let converted = dir.join(format!(".{name}.source.vtt"));
    let args: Vec<String> = vec![
        "-i".into(),
        path.display().to_string(),
        "-f".into(),
        "webvtt".into(),
        converted.display().to_string(),
    ];
    ctx.run(format!("captions [{name}] of output group {}", g.index))
        .run(args, &|_| {})
        .await?;
    let text = std::fs::read_to_string(&converted).unwrap_or_default();
    let _ = std::fs::remove_file(&converted);
    // Clipping and timeDelta: shift the cues ourselves (ffmpeg does not seek in subtitle files).
    let duration = ctx.duration;
    let cues = shift_cues(
        parse_vtt(&text),
        src.time_delta - ctx.clip_start.unwrap_or(0.0),
        duration,
    );
    let language = c.language.clone().or(src.language.clone());
    if c.format != CaptionFormat::WebVtt {
        // DASH ISO, raw container: the whole track in one document, `.xml` for IMSC, `.ttml` for TTML
        // (https://docs.aws.amazon.com/mediaconvert/latest/ug/ttml-and-webvtt-output-captions.html).
        let ext = if c.format == CaptionFormat::Imsc {
            "xml"
        } else {
            "ttml"
        };
        let file = format!("{name}.{ext}");
        write(
            dir,
            &file,
            &render_ttml(&cues, language.as_deref(), c.format == CaptionFormat::Imsc),
        )?;
        return Ok(Rendition {
            playlist: format!("{name}.m3u8"),
            segments: Vec::new(),
            sidecar: Some(file),
            is_caption: true,
            language,
            name: c.description.clone(),
            timescale: 1000,
            ..Default::default()
        });
    }
    let vtt = format!("{name}.vtt");
    write(dir, &vtt, &render_vtt(&cues, None))?;
    // HLS: segmented WebVTT, 300 s segments (LARGE_SEGMENTS, the default) or the video's (MATCH_VIDEO).
    let seg_len = if g.caption_match_video {
        g.segment_length
    } else {
        300.0
    };
    let count = ((duration / seg_len).ceil() as usize).max(1);
    let map = if g.kind == GroupKind::Hls {
        Some(format!(
            "X-TIMESTAMP-MAP=MPEGTS:{},LOCAL:00:00:00.000",
            (video_start.unwrap_or(0.0) * 90000.0).round() as u64
        ))
    } else {
        None
    };
    let mut segments = Vec::new();
    for k in 0..count {
        let (from, to) = (k as f64 * seg_len, ((k + 1) as f64 * seg_len).min(duration));
        let in_seg: Vec<Cue> = cues
            .iter()
            .filter(|q| q.end > from && q.start < to)
            .cloned()
            .collect();
        let uri = format!("{name}_{:05}.vtt", k + 1);
        write(dir, &uri, &render_vtt(&in_seg, map.as_deref()))?;
        segments.push(Segment {
            uri: uri.clone(),
            duration: to - from,
            byterange: None,
            size: file_size(&dir.join(&uri)),
        });
    }
    Ok(Rendition {
        playlist: format!("{name}.m3u8"),
        segments,
        sidecar: Some(vtt),
        is_caption: true,
        language,
        name: c.description.clone(),
        timescale: 1000,
        ..Default::default()
    })
}

fn parse_vtt(text: &str) -> Vec<Cue> {
    let text = text.replace("\r\n", "\n");
    let mut cues = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let lines: Vec<&str> = block.lines().collect();
        let Some(i) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        let (a, rest) = lines[i].split_once("-->").expect("checked");
        let mut rest_it = rest.trim().splitn(2, ' ');
        let b = rest_it.next().unwrap_or("");
        let (Some(start), Some(end)) = (parse_vtt_time(a), parse_vtt_time(b)) else {
            continue;
        };
        cues.push(Cue {
            start,
            end,
            settings: rest_it.next().unwrap_or("").trim().to_string(),
            id: (i > 0).then(|| lines[..i].join("\n")),
            text: lines[i + 1..].iter().map(|l| l.to_string()).collect(),
        });
    }
    cues
}

fn shift_cues(cues: Vec<Cue>, offset: f64, duration: f64) -> Vec<Cue> {
    cues.into_iter()
        .filter_map(|mut q| {
            q.start = (q.start + offset).max(0.0);
            q.end = (q.end + offset).min(duration);
            (q.end > q.start && q.start < duration).then_some(q)
        })
        .collect()
}

fn render_vtt(cues: &[Cue], header: Option<&str>) -> String {
    let mut out = String::from("WEBVTT\n");
    if let Some(h) = header {
        out.push_str(h);
        out.push('\n');
    }
    for q in cues {
        out.push('\n');
        if let Some(id) = &q.id {
            out.push_str(id);
            out.push('\n');
        }
        out.push_str(&format!(
            "{} --> {}",
            fmt_vtt_time(q.start),
            fmt_vtt_time(q.end)
        ));
        if !q.settings.is_empty() {
            out.push(' ');
            out.push_str(&q.settings);
        }
        out.push('\n');
        for l in &q.text {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// One TTML document with every cue as a `<p>`; with `imsc`, declared as the IMSC1 text profile. Cue text
/// loses its WebVTT markup (`<i>`, `<c.x>`, …) and is XML-escaped; cue lines become `<br/>`.
fn render_ttml(cues: &[Cue], language: Option<&str>, imsc: bool) -> String {
    let lang = language.map(str::to_ascii_lowercase).unwrap_or_default();
    let profile = if imsc {
        " ttp:profile=\"http://www.w3.org/ns/ttml/profile/imsc1/text\""
    } else {
        ""
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" ttp:timeBase=\"media\"{profile} xml:lang=\"{}\">\n  <head/>\n  <body>\n    <div>\n",
        crate::wire::xml_escape(&lang)
    );
    for q in cues {
        let lines: Vec<String> = q
            .text
            .iter()
            .map(|l| crate::wire::xml_escape(&vtt_plain_text(l)))
            .collect();
        out.push_str(&format!(
            "      <p begin=\"{}\" end=\"{}\">{}</p>\n",
            fmt_vtt_time(q.start),
            fmt_vtt_time(q.end),
            lines.join("<br/>")
        ));
    }
    out.push_str("    </div>\n  </body>\n</tt>\n");
    out
}

/// A WebVTT cue text line without its markup tags, with its character references decoded.
fn vtt_plain_text(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut in_tag = false;
    for ch in line.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => plain.push(ch),
            _ => {}
        }
    }
    plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

fn parse_vtt_time(t: &str) -> Option<f64> {
    let parts: Vec<&str> = t.trim().split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m, s] => (
            h.parse::<f64>().ok()?,
            m.parse::<f64>().ok()?,
            s.replace(',', ".").parse::<f64>().ok()?,
        ),
        [m, s] => (
            0.0,
            m.parse::<f64>().ok()?,
            s.replace(',', ".").parse::<f64>().ok()?,
        ),
        _ => return None,
    };
    Some(h * 3600.0 + m * 60.0 + sec)
}

fn fmt_vtt_time(t: f64) -> String {
    let ms = (t.max(0.0) * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        (ms / 60_000) % 60,
        (ms / 1000) % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtt_shifting() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:00.900\nFirst\n\nc2\n00:01.000 --> 00:01.900 align:start\nSecond\n\n00:03.000 --> 00:04.000\nGone\n";
        let cues = shift_cues(parse_vtt(vtt), -0.5, 1.0);
        assert_eq!(
            render_vtt(&cues, None),
            "WEBVTT\n\n00:00:00.000 --> 00:00:00.400\nFirst\n\nc2\n00:00:00.500 --> 00:00:01.000 align:start\nSecond\n"
        );
        let all = render_vtt(
            &shift_cues(parse_vtt(vtt), 0.0, 10.0),
            Some("X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000"),
        );
        assert!(
            all.starts_with("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\n"),
            "{all}"
        );
        assert!(all.contains("00:00:03.000 --> 00:00:04.000\nGone"));
    }

    #[test]
    fn ttml_and_imsc_documents() {
        let vtt = "WEBVTT\n\n00:00.000 --> 00:00.900\n<i>Fish</i> & <c.loud>chips</c>\nsecond &lt;line&gt;\n\n00:01.000 --> 00:02.500\n\"</p><p>\"\n";
        let cues = parse_vtt(vtt);
        let imsc = render_ttml(&cues, Some("ENG"), true);
        assert!(imsc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tt xmlns=\"http://www.w3.org/ns/ttml\""), "{imsc}");
        assert!(
            imsc.contains("ttp:profile=\"http://www.w3.org/ns/ttml/profile/imsc1/text\""),
            "{imsc}"
        );
        assert!(imsc.contains("xml:lang=\"eng\""), "{imsc}");
        assert!(
            imsc.contains("<p begin=\"00:00:00.000\" end=\"00:00:00.900\">Fish &amp; chips<br/>second &lt;line&gt;</p>"),
            "{imsc}"
        );
        // Hostile cue text cannot close the element or inject markup.
        assert!(
            imsc.contains("<p begin=\"00:00:01.000\" end=\"00:00:02.500\">&quot;&quot;</p>"),
            "{imsc}"
        );
        let ttml = render_ttml(&cues, None, false);
        assert!(
            !ttml.contains("imsc1") && ttml.contains("xml:lang=\"\""),
            "{ttml}"
        );
        assert_eq!(ttml.matches("<p ").count(), 2);
    }
}
