//! Packaging: one encode serves output groups with different segment lengths, and DASH/CMAF fragment
//! lengths are honoured (a fragment ends at the first keyframe at least `fragmentLength` after it started).

use crate::mediaconvert::{
    ROLE, aac, h264, input, mc_client, require_ffmpeg, upload_clip, wait_job,
};
use aws_sdk_mediaconvert::types::*;
use std::time::Duration;

/// The top-level box types of an MP4 file, in order.
fn top_level_boxes(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned());
        assert!(size >= 8, "box size {size} at {at}");
        at += size;
    }
    assert_eq!(at, data.len(), "the last box runs past the end");
    out
}

fn moofs(data: &[u8]) -> usize {
    top_level_boxes(data)
        .iter()
        .filter(|b| *b == "moof")
        .count()
}

/// 320x180 H.264 with a GOP of `gop` seconds.
fn video(gop: f64) -> VideoDescription {
    let mut v = h264(320, 180, 400_000);
    if let Some(VideoCodecSettings {
        h264_settings: Some(h),
        ..
    }) = v.codec_settings.as_mut()
    {
        h.gop_size = Some(gop);
    }
    v
}

fn output(
    modifier: &str,
    container: ContainerType,
) -> aws_sdk_mediaconvert::types::builders::OutputBuilder {
    Output::builder()
        .name_modifier(modifier)
        .container_settings(ContainerSettings::builder().container(container).build())
}

async fn get(s3: &aws_sdk_s3::Client, key: &str) -> Vec<u8> {
    let o = s3
        .get_object()
        .bucket("pkg-out")
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e:?}"));
    o.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test]
async fn shared_encodes_keep_every_groups_segments_and_fragment_lengths_are_honoured() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "pkg-in", "clip.mp4", 6).await;
    s3.create_bucket().bucket("pkg-out").send().await.unwrap();

    // One rendition with 6 s GOPs in HLS (3 s segments) and DASH (2 s segments): one encode, with a
    // keyframe at every boundary of both.
    let hls = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::HlsGroupSettings)
                .hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination("s3://pkg-out/hls/")
                        .segment_length(3)
                        .min_segment_length(0)
                        .build(),
                )
                .build(),
        )
        .outputs(
            output("_v", ContainerType::M3U8)
                .video_description(video(6.0))
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    let dash = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::DashIsoGroupSettings)
                .dash_iso_group_settings(
                    DashIsoGroupSettings::builder()
                        .destination("s3://pkg-out/dash/")
                        .segment_length(2)
                        .fragment_length(2)
                        .build(),
                )
                .build(),
        )
        .outputs(
            output("_v", ContainerType::Mpd)
                .video_description(video(6.0))
                .build(),
        )
        .outputs(
            output("_a", ContainerType::Mpd)
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    // 1 s GOPs in CMAF with 6 s segments of 2 s fragments: three fragments per segment.
    let cmaf = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(
                    CmafGroupSettings::builder()
                        .destination("s3://pkg-out/cmaf/")
                        .segment_length(6)
                        .fragment_length(2)
                        .build(),
                )
                .build(),
        )
        .outputs(
            output("_v", ContainerType::Cmfc)
                .video_description(video(1.0))
                .build(),
        )
        .outputs(
            output("_a", ContainerType::Cmfc)
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    let settings = JobSettings::builder()
        .inputs(input("s3://pkg-in/clip.mp4"))
        .output_groups(hls)
        .output_groups(dash)
        .output_groups(cmaf)
        .build();
    let id = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap()
        .id
        .unwrap();
    let (job, _) = wait_job(&client, &id, Duration::from_secs(120)).await;
    assert_eq!(
        job.status,
        Some(JobStatus::Complete),
        "{:?}",
        job.error_message
    );

    // HLS: two 3 s segments.
    let playlist = String::from_utf8(get(&s3, "hls/clip_v.m3u8").await).unwrap();
    let durations: Vec<f64> = playlist
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .map(|d| d.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(durations.len(), 2, "{playlist}");
    for d in &durations {
        assert!((d - 3.0).abs() < 0.1, "{playlist}");
    }
    // DASH: three 2 s segments of one fragment each, from the same encode.
    for k in 1..=3 {
        let seg = get(&s3, &format!("dash/clip_v_{k:09}.mp4")).await;
        assert_eq!(
            moofs(&seg),
            1,
            "dash segment {k}: {:?}",
            top_level_boxes(&seg)
        );
    }
    let dash_keys: Vec<String> = s3
        .list_objects_v2()
        .bucket("pkg-out")
        .prefix("dash/clip_v_")
        .send()
        .await
        .unwrap()
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    assert_eq!(dash_keys.len(), 3, "{dash_keys:?}");
    // CMAF: one 6 s segment of three 2 s fragments, video and audio.
    let video_seg = get(&s3, "cmaf/clip_v_000000001.cmfv").await;
    assert_eq!(moofs(&video_seg), 3, "{:?}", top_level_boxes(&video_seg));
    assert_eq!(top_level_boxes(&video_seg)[0], "styp");
    let audio_seg = get(&s3, "cmaf/clip_a_000000001.cmfa").await;
    assert!(moofs(&audio_seg) >= 3, "{:?}", top_level_boxes(&audio_seg));
    let init = get(&s3, "cmaf/clip_vinit.cmfv").await;
    assert_eq!(top_level_boxes(&init), ["ftyp", "moov"]);
    let mpd = String::from_utf8(get(&s3, "cmaf/clip.mpd").await).unwrap();
    dash_mpd::parse(&mpd).expect("the CMAF MPD parses");
}

/// A stand-in for ffmpeg that records when each real run starts and ends, then runs ffmpeg.
fn recording_ffmpeg(dir: &std::path::Path, log: &std::path::Path) -> std::path::PathBuf {
    let script = dir.join("ffmpeg");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = -version ] && exec ffmpeg -version\necho \"start $(date +%s.%N)\" >> '{log}'\nffmpeg \"$@\"\nrc=$?\necho \"end $(date +%s.%N)\" >> '{log}'\nexit $rc\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    script
}

/// The most runs that were under way at one time, from a log of `start <t>` and `end <t>` lines.
fn most_at_once(log: &str) -> usize {
    let mut events: Vec<(f64, i32)> = log
        .lines()
        .filter_map(|l| {
            let (kind, t) = l.split_once(' ')?;
            Some((t.trim().parse().ok()?, if kind == "start" { 1 } else { -1 }))
        })
        .collect();
    // Ends before starts at the same instant.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0, 0);
    for (_, d) in events {
        now += d;
        most = most.max(now);
    }
    most as usize
}

#[tokio::test]
async fn ffmpeg_runs_within_the_emulators_limit_across_jobs() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "lim-in", "clip.mp4", 2).await;
    s3.create_bucket().bucket("lim-out").send().await.unwrap();
    let dir = std::env::temp_dir().join(format!("vod-emu-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("runs.log");
    let _ = std::fs::remove_file(&log);
    let ffmpeg = recording_ffmpeg(&dir, &log);
    let mc = &emu.shared().mediaconvert;
    mc.set_tools(ffmpeg.display().to_string(), "ffprobe");
    // One ffmpeg at a time in the whole emulator, although two jobs run at once and each has
    // three groups to package.
    mc.set_ffmpeg_limits(1, 2);
    let group = |kind: &str| {
        let dest = format!("s3://lim-out/{kind}/");
        let (t, settings) = match kind {
            "hls" => (
                OutputGroupType::HlsGroupSettings,
                OutputGroupSettings::builder().hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination(dest)
                        .segment_length(2)
                        .min_segment_length(0)
                        .build(),
                ),
            ),
            _ => (
                OutputGroupType::DashIsoGroupSettings,
                OutputGroupSettings::builder().dash_iso_group_settings(
                    DashIsoGroupSettings::builder()
                        .destination(dest)
                        .segment_length(2)
                        .fragment_length(2)
                        .build(),
                ),
            ),
        };
        let container = if kind == "hls" {
            ContainerType::M3U8
        } else {
            ContainerType::Mpd
        };
        OutputGroup::builder()
            .output_group_settings(settings.r#type(t).build())
            .outputs(
                output("_v", container.clone())
                    .video_description(video(1.0))
                    .build(),
            )
            .outputs(output("_a", container).audio_descriptions(aac()).build())
            .build()
    };
    let mut ids = Vec::new();
    for job in 0..2 {
        let settings = JobSettings::builder()
            .inputs(input("s3://lim-in/clip.mp4"))
            .output_groups(group("hls"))
            .output_groups(group("dash"))
            .build();
        let out = client
            .create_job()
            .role(ROLE)
            .settings(settings)
            .user_metadata("job", job.to_string())
            .send()
            .await
            .unwrap();
        ids.push(out.job.unwrap().id.unwrap());
    }
    for id in &ids {
        let (job, _) = wait_job(&client, id, Duration::from_secs(120)).await;
        assert_eq!(
            job.status,
            Some(JobStatus::Complete),
            "{:?}",
            job.error_message
        );
    }
    let runs = std::fs::read_to_string(&log).unwrap();
    // Each job: one encode, then one packaging run per group.
    assert_eq!(
        runs.lines().filter(|l| l.starts_with("start")).count(),
        6,
        "{runs}"
    );
    assert_eq!(most_at_once(&runs), 1, "{runs}");
    let _ = std::fs::remove_dir_all(&dir);
}
