//! Transcoding depth against the emulator, whose MediaConvert really transcodes with ffmpeg: one test
//! per format (HLS TS, HLS fMP4, DASH, CMAF), each with sidecar captions and thumbnails. The outputs
//! are fetched through CloudFront at the documented playback paths, parsed (m3u8-rs, dash-mpd) and
//! probed with ffprobe: rendition resolutions, segment durations within 10 % of the requested length,
//! a subtitle track, and the thumbnails' count and size.
//!
//! These tests need ffmpeg and ffprobe on PATH and fail without them (they make their own clip).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use vod_pipeline::{
    AudioSpec, CaptionsSpec, CloudFrontSpec, OutputFormat, RenditionSpec, S3OriginSpec, SourceSpec,
    ThumbnailsSpec, TranscodeSpec, VodPipeline,
};

/// Requested segment length, seconds.
const SEGMENT: f64 = 2.0;
/// The ladder: (width, height).
const LADDER: [(u32, u32); 2] = [(320, 180), (256, 144)];
/// Thumbnails: one per second, at most 3, 160x90.
const THUMBS: (u32, u32, usize) = (160, 90, 3);

/// A 4 s, 320x180, 25 fps clip with a 440 Hz tone, and an SRT sidecar beside it.
fn make_clip(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let clip = dir.join("clip.mp4");
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=25:duration=4",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=4",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&clip)
        .output()
        .expect("ffmpeg must be installed to run the transcoding tests (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("clip.srt"),
        "1\n00:00:00,200 --> 00:00:01,500\nHello\n\n2\n00:00:02,000 --> 00:00:03,500\nWorld\n",
    )
    .unwrap();
    clip
}

fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .output()
        .expect("ffprobe must be installed to run the transcoding tests");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Width and height of the first video stream.
fn probe_size(path: &Path) -> (u64, u64) {
    let j = ffprobe(path);
    let v = j["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .unwrap_or_else(|| panic!("{} has no video stream: {j}", path.display()));
    (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap())
}

fn resolve(base: &str, rel: &str) -> String {
    url::Url::parse(base)
        .unwrap()
        .join(rel)
        .unwrap()
        .to_string()
}

async fn fetch(url: impl AsRef<str>) -> Vec<u8> {
    let url = url.as_ref();
    let r = get(url, &[]).await;
    assert_eq!(r.status, 200, "{url}: {}", String::from_utf8_lossy(&r.body));
    r.body
}

/// Every segment but the last is within 10 % of the requested length; the last is not longer.
fn check_durations(what: &str, durations: &[f64]) {
    assert!(!durations.is_empty(), "{what}: no segments");
    let (last, full) = durations.split_last().unwrap();
    for d in full {
        assert!(
            (d - SEGMENT).abs() <= SEGMENT * 0.1,
            "{what}: segment of {d} s, requested {SEGMENT} s: {durations:?}"
        );
    }
    assert!(*last <= SEGMENT * 1.1, "{what}: last segment {last} s");
    let total: f64 = durations.iter().sum();
    assert!((total - 4.0).abs() < 0.5, "{what}: {total} s in all");
}

struct Run {
    _emu: vod_emulator::EmulatorHandle,
    config: aws_config::SdkConfig,
    deployment: vod_pipeline::Deployment,
    dir: PathBuf,
}

async fn run(format: OutputFormat, audio: &[&str], hls_audio_only: bool) -> Run {
    run_with(&[format], audio, hls_audio_only).await
}

async fn run_with(formats: &[OutputFormat], audio: &[&str], hls_audio_only: bool) -> Run {
    let format = formats[0];
    let dir = std::env::temp_dir().join(format!("vod-transcode-{format}-{}", std::process::id()));
    let clip = make_clip(&dir);
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let name = format!("t-{format}");
    let pipeline = VodPipeline::builder()
        .name(name.as_str())
        .region("us-east-1")
        .source(
            SourceSpec::builder()
                .bucket(format!("{name}-src"))
                .files([&clip])
                .build(),
        )
        .transcode(
            TranscodeSpec::builder()
                .role_arn("arn:aws:iam::123456789012:role/MediaConvertRole")
                .formats(formats.iter().copied())
                .segment_length("2s")
                .gop_length("1s")
                .maybe_fragment_length(format.has_fragments().then_some("1s"))
                .audio(
                    audio
                        .iter()
                        .map(|b| AudioSpec::builder().bitrate(*b).build()),
                )
                .hls_audio_only(hls_audio_only)
                .captions(
                    CaptionsSpec::builder()
                        .format("srt")
                        .language("eng")
                        .build(),
                )
                .thumbnails(
                    ThumbnailsSpec::builder()
                        .interval("1s")
                        .width(i64::from(THUMBS.0))
                        .height(i64::from(THUMBS.1))
                        .max_captures(THUMBS.2 as i64)
                        .build(),
                )
                .priority(10)
                .user_metadata([("team", "video")])
                .build(),
        )
        .abr_ladder(
            LADDER
                .iter()
                .enumerate()
                .map(|(i, (w, h))| {
                    RenditionSpec::builder()
                        .width(i64::from(*w))
                        .height(i64::from(*h))
                        .max_bitrate(if i == 0 { "400k" } else { "200k" })
                        .qvbr_quality_level(7)
                        .build()
                })
                .collect::<Vec<_>>(),
        )
        .s3_origin(
            S3OriginSpec::builder()
                .bucket(format!("{name}-origin"))
                .build(),
        )
        .cloudfront(CloudFrontSpec::builder().origin_path("/vod").build())
        .build()
        .expect("the pipeline is valid");
    let plan = pipeline.plan();
    assert!(
        plan.step("s3.upload.clip.captions").is_some(),
        "the sidecar is uploaded"
    );
    let deployment = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply succeeds");
    Run {
        _emu: emu,
        config,
        deployment,
        dir,
    }
}

impl Run {
    fn url(&self, manifest: &str) -> String {
        self.deployment
            .playback
            .iter()
            .find(|p| p.manifest.as_str() == manifest)
            .unwrap_or_else(|| panic!("no {manifest} playback URL: {:?}", self.deployment.playback))
            .url
            .to_string()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// The thumbnails: count (S3 listing) and size (ffprobe of each, fetched through CloudFront).
    async fn check_thumbnails(&self, format: OutputFormat) {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .force_path_style(true)
                .build(),
        );
        let listed = s3
            .list_objects_v2()
            .bucket(format!("t-{format}-origin"))
            .prefix("vod/clip/thumbnails/")
            .send()
            .await
            .unwrap();
        let keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        assert_eq!(
            keys,
            (0..THUMBS.2)
                .map(|i| format!("vod/clip/thumbnails/clip_thumb.{i:07}.jpg"))
                .collect::<Vec<_>>()
        );
        let base = self.url(if format == OutputFormat::Dash {
            "mpd"
        } else {
            "m3u8"
        });
        for k in &keys {
            let name = k.rsplit('/').next().unwrap();
            let url = resolve(&base, &format!("../thumbnails/{name}"));
            let p = self.file(name, &fetch(&url).await);
            assert_eq!(
                probe_size(&p),
                (u64::from(THUMBS.0), u64::from(THUMBS.1)),
                "{url}"
            );
        }
    }

    /// An HLS master playlist: the ladder's resolutions, segment lengths, probed sizes, subtitles.
    /// Returns the master playlist.
    async fn check_hls(&self, fmp4: bool) -> m3u8_rs::MasterPlaylist {
        let master_url = self.url("m3u8");
        let master = match m3u8_rs::parse_playlist_res(&fetch(&master_url).await) {
            Ok(m3u8_rs::Playlist::MasterPlaylist(m)) => m,
            other => panic!("{master_url} is not a master playlist: {other:?}"),
        };
        let mut sizes = Vec::new();
        for v in master.variants.iter().filter(|v| v.resolution.is_some()) {
            let r = v.resolution.unwrap();
            sizes.push((r.width, r.height));
            assert_eq!(v.subtitles.as_deref(), Some("subs"), "{v:?}");
            let media_url = resolve(&master_url, &v.uri);
            let media = match m3u8_rs::parse_playlist_res(&fetch(&media_url).await) {
                Ok(m3u8_rs::Playlist::MediaPlaylist(m)) => m,
                other => panic!("{media_url}: {other:?}"),
            };
            let durations: Vec<f64> = media
                .segments
                .iter()
                .map(|s| f64::from(s.duration))
                .collect();
            check_durations(&media_url, &durations);
            // Probe the first segment (fMP4: behind its init segment).
            let seg = &media.segments[0];
            let mut bytes = Vec::new();
            if fmp4 {
                let map = seg
                    .map
                    .as_ref()
                    .map(|m| m.uri.clone())
                    .or_else(|| {
                        media
                            .segments
                            .iter()
                            .find_map(|s| s.map.as_ref().map(|m| m.uri.clone()))
                    })
                    .unwrap_or_else(|| panic!("{media_url}: fMP4 needs EXT-X-MAP"));
                bytes.extend(fetch(&resolve(&media_url, &map)).await);
            }
            bytes.extend(fetch(&resolve(&media_url, &seg.uri)).await);
            let name = format!(
                "probe-{}x{}.{}",
                r.width,
                r.height,
                if fmp4 { "mp4" } else { "ts" }
            );
            let p = self.file(&name, &bytes);
            assert_eq!(probe_size(&p), (r.width, r.height), "{media_url}");
        }
        sizes.sort_unstable();
        let mut want: Vec<(u64, u64)> = LADDER
            .iter()
            .map(|(w, h)| (u64::from(*w), u64::from(*h)))
            .collect();
        want.sort_unstable();
        assert_eq!(sizes, want, "{master_url}");

        // The subtitle track: listed, and its WebVTT segments carry the cues.
        let subs: Vec<_> = master
            .alternatives
            .iter()
            .filter(|a| a.media_type == m3u8_rs::AlternativeMediaType::Subtitles)
            .collect();
        assert_eq!(subs.len(), 1, "{master_url}: {:?}", master.alternatives);
        assert_eq!(subs[0].language.as_deref(), Some("eng"));
        let subs_url = resolve(&master_url, subs[0].uri.as_deref().unwrap());
        let subs_pl = match m3u8_rs::parse_playlist_res(&fetch(&subs_url).await) {
            Ok(m3u8_rs::Playlist::MediaPlaylist(m)) => m,
            other => panic!("{subs_url}: {other:?}"),
        };
        let mut text = String::new();
        for s in &subs_pl.segments {
            text.push_str(&String::from_utf8_lossy(
                &fetch(&resolve(&subs_url, &s.uri)).await,
            ));
        }
        assert!(text.starts_with("WEBVTT"), "{text}");
        assert!(text.contains("Hello") && text.contains("World"), "{text}");
        master
    }

    /// A DASH MPD: the ladder's resolutions, segment lengths from the timeline, probed sizes, and one
    /// caption adaptation set of `captions_mime`: WebVTT (`text/vtt`) in CMAF's MPD, one IMSC document
    /// (`application/ttml+xml`) in DASH ISO's, which MediaConvert gives no WebVTT.
    async fn check_dash(&self, captions_mime: &str) {
        let mpd_url = self.url("mpd");
        let text = String::from_utf8(fetch(&mpd_url).await).unwrap();
        let mpd = dash_mpd_core::parse(&text).unwrap_or_else(|e| panic!("{mpd_url}: {e}"));
        let period = &mpd.periods[0];
        let mut sizes = Vec::new();
        let mut subtitles = 0;
        for a in &period.adaptations {
            let mime = a.mimeType.as_deref().unwrap_or_default();
            if mime == "text/vtt" || mime == "application/ttml+xml" {
                assert_eq!(mime, captions_mime, "{mpd_url}");
                subtitles += 1;
                for r in &a.representations {
                    let base = r.BaseURL.first().map(|b| b.base.clone()).unwrap();
                    let url = resolve(&mpd_url, &base);
                    let resp = get(&url, &[]).await;
                    assert_eq!(resp.status, 200, "{url}");
                    let body = String::from_utf8(resp.body.clone()).unwrap();
                    assert!(body.contains("Hello") && body.contains("World"), "{body}");
                    if mime == "text/vtt" {
                        assert!(body.starts_with("WEBVTT"), "{body}");
                        assert!(url.ends_with(".vtt"), "{url}");
                    } else {
                        assert!(url.ends_with("_captions.xml"), "{url}");
                        assert_eq!(resp.header("content-type"), Some("application/ttml+xml"));
                        assert!(
                            body.starts_with("<?xml")
                                && body.contains("<tt xmlns=\"http://www.w3.org/ns/ttml\"")
                                && body.contains("imsc1/text")
                                && body.contains("<p begin=\"00:00:"),
                            "{body}"
                        );
                    }
                }
                continue;
            }
            if mime != "video/mp4" {
                continue;
            }
            for r in &a.representations {
                let (w, h) = (r.width.unwrap(), r.height.unwrap());
                sizes.push((w, h));
                let st = r
                    .SegmentTemplate
                    .as_ref()
                    .or(a.SegmentTemplate.as_ref())
                    .unwrap_or_else(|| panic!("{mpd_url}: no SegmentTemplate"));
                let ts = st.timescale.unwrap_or(1) as f64;
                let mut durations = Vec::new();
                for s in &st.SegmentTimeline.as_ref().unwrap().segments {
                    for _ in 0..=s.r.unwrap_or(0) {
                        durations.push(s.d as f64 / ts);
                    }
                }
                check_durations(&format!("{mpd_url} {w}x{h}"), &durations);
                let id = r.id.clone().unwrap_or_default();
                let sub = |t: &str, n: u64| {
                    let t = t.replace("$RepresentationID$", &id);
                    match t.find("$Number") {
                        Some(i) => {
                            let end = t[i + 1..].find('$').unwrap() + i + 1;
                            let spec = &t[i + 7..end];
                            let width: usize = spec
                                .trim_start_matches("%0")
                                .trim_end_matches('d')
                                .parse()
                                .unwrap_or(1);
                            format!("{}{n:0width$}{}", &t[..i], &t[end + 1..])
                        }
                        None => t,
                    }
                };
                let init = st.initialization.as_deref().unwrap();
                let media = st.media.as_deref().unwrap();
                let first = st.startNumber.unwrap_or(1);
                let mut bytes = fetch(&resolve(&mpd_url, &sub(init, first))).await;
                bytes.extend(fetch(&resolve(&mpd_url, &sub(media, first))).await);
                let p = self.file(&format!("dash-{w}x{h}.mp4"), &bytes);
                assert_eq!(probe_size(&p), (w, h), "{mpd_url}");
            }
        }
        sizes.sort_unstable();
        let mut want: Vec<(u64, u64)> = LADDER
            .iter()
            .map(|(w, h)| (u64::from(*w), u64::from(*h)))
            .collect();
        want.sort_unstable();
        assert_eq!(sizes, want, "{mpd_url}");
        assert_eq!(subtitles, 1, "{mpd_url}: a caption adaptation set\n{text}");
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hls_ts_with_alternate_audio_captions_and_thumbnails() {
    let run = run(OutputFormat::Hls, &["128k", "64k"], true).await;
    let master = run.check_hls(false).await;
    // Two alternate audio renditions and the audio-only variant.
    let audio: Vec<_> = master
        .alternatives
        .iter()
        .filter(|a| a.media_type == m3u8_rs::AlternativeMediaType::Audio)
        .collect();
    assert_eq!(audio.len(), 2, "{:?}", master.alternatives);
    assert!(
        master
            .variants
            .iter()
            .any(|v| v.resolution.is_none() && v.codecs.as_deref() == Some("mp4a.40.2")),
        "an audio-only variant: {:?}",
        master.variants
    );
    run.check_thumbnails(OutputFormat::Hls).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hls_fmp4_with_captions_and_thumbnails() {
    let run = run(OutputFormat::HlsFmp4, &["96k"], false).await;
    run.check_hls(true).await;
    // HLS only: no MPD in the folder.
    let mpd = get(&resolve(&run.url("m3u8"), "clip.mpd"), &[]).await;
    assert_ne!(mpd.status, 200);
    run.check_thumbnails(OutputFormat::HlsFmp4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dash_and_mp4_with_captions_and_thumbnails() {
    let run = run_with(&[OutputFormat::Dash, OutputFormat::Mp4], &["96k"], false).await;
    run.check_dash("application/ttml+xml").await;
    // The MP4 file: the top rendition with audio, at its documented path.
    let url = run.url("mp4");
    assert!(url.ends_with("/clip/mp4/clip.mp4"), "{url}");
    let p = run.file("out-clip.mp4", &fetch(&url).await);
    assert_eq!(
        probe_size(&p),
        (u64::from(LADDER[0].0), u64::from(LADDER[0].1))
    );
    let streams = ffprobe(&p)["streams"].as_array().unwrap().clone();
    assert!(
        streams.iter().any(|s| s["codec_name"] == "aac"),
        "{streams:?}"
    );
    run.check_thumbnails(OutputFormat::Dash).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cmaf_with_two_audio_renditions_captions_and_thumbnails() {
    let run = run(OutputFormat::Cmaf, &["128k", "64k"], false).await;
    let master = run.check_hls(true).await;
    assert_eq!(
        master
            .alternatives
            .iter()
            .filter(|a| a.media_type == m3u8_rs::AlternativeMediaType::Audio)
            .count(),
        2
    );
    run.check_dash("text/vtt").await;
    run.check_thumbnails(OutputFormat::Cmaf).await;
}

/// A job that references an existing job template carries only its input: the template's output
/// groups run, and the playback path of the documented layout plays when the template writes there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_template_by_name() {
    use aws_sdk_mediaconvert::types::{
        ContainerSettings, ContainerType, H264RateControlMode, H264Settings, HlsGroupSettings,
        JobTemplateSettings, Output, OutputGroup, OutputGroupSettings, OutputGroupType, VideoCodec,
        VideoCodecSettings, VideoDescription,
    };
    let dir = std::env::temp_dir().join(format!("vod-transcode-tpl-{}", std::process::id()));
    let clip = make_clip(&dir);
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let mc = aws_sdk_mediaconvert::Client::new(&config);
    let group = OutputGroup::builder()
        .name("Apple HLS")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::HlsGroupSettings)
                .hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination("s3://t-tpl-origin/vod/clip/hls/")
                        .segment_length(2)
                        .min_segment_length(0)
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_180p")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::M3U8)
                        .build(),
                )
                .video_description(
                    VideoDescription::builder()
                        .width(320)
                        .height(180)
                        .codec_settings(
                            VideoCodecSettings::builder()
                                .codec(VideoCodec::H264)
                                .h264_settings(
                                    H264Settings::builder()
                                        .rate_control_mode(H264RateControlMode::Cbr)
                                        .bitrate(300_000)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    mc.create_job_template()
        .name("vod-hls-180p")
        .settings(JobTemplateSettings::builder().output_groups(group).build())
        .send()
        .await
        .expect("template created");
    let plan = VodPipeline::builder()
        .name("t-tpl")
        .region("us-east-1")
        .source(
            SourceSpec::builder()
                .bucket("t-tpl-src")
                .files([&clip])
                .build(),
        )
        .transcode(
            TranscodeSpec::builder()
                .role_arn("arn:aws:iam::123456789012:role/MediaConvertRole")
                .formats([OutputFormat::Hls])
                .segment_length("2s")
                .job_template("vod-hls-180p")
                .priority(-5)
                .acceleration("PREFERRED")
                .status_update_interval("SECONDS_10")
                .build(),
        )
        .abr_ladder("aws-qvbr")
        .s3_origin(S3OriginSpec::builder().bucket("t-tpl-origin").build())
        .cloudfront(CloudFrontSpec::builder().origin_path("/vod").build())
        .build()
        .expect("valid")
        .plan();
    assert!(plan.warnings.iter().any(|w| w.contains("job_template")));
    let deployment = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("apply succeeds");
    // The job ran the template with the job options.
    let job_id = &deployment.jobs[0].job_id;
    let job = mc.get_job().id(job_id).send().await.unwrap().job.unwrap();
    assert_eq!(job.job_template(), Some("vod-hls-180p"));
    assert_eq!(job.priority(), Some(-5));
    assert_eq!(
        job.acceleration_settings()
            .and_then(|a| a.mode())
            .map(|m| m.as_str()),
        Some("PREFERRED")
    );
    assert_eq!(
        job.status_update_interval().map(|s| s.as_str()),
        Some("SECONDS_10")
    );
    let url = &deployment.playback[0].url;
    let master = match m3u8_rs::parse_playlist_res(&fetch(url).await) {
        Ok(m3u8_rs::Playlist::MasterPlaylist(m)) => m,
        other => panic!("{url}: {other:?}"),
    };
    let sizes: Vec<_> = master
        .variants
        .iter()
        .map(|v| v.resolution.map(|r| (r.width, r.height)))
        .collect();
    assert_eq!(sizes, [Some((320, 180))], "the template's one output");
    let _ = std::fs::remove_dir_all(&dir);
}
