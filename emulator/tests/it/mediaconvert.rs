//! MediaConvert through the official aws-sdk-mediaconvert (and aws-sdk-s3 for inputs/outputs).
//!
//! The transcode tests need ffmpeg and ffprobe on PATH; they fail with a clear message when they are missing.

use aws_sdk_mediaconvert as mc;
use mc::error::ProvideErrorMetadata;
use mc::types::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use vod_emulator::EmulatorHandle;

pub(crate) const ROLE: &str = "arn:aws:iam::123456789012:role/MediaConvertRole";

pub(crate) async fn mc_client(emu: &EmulatorHandle) -> mc::Client {
    let conf = crate::common::sdk_config(&emu.endpoint_url()).await;
    mc::Client::new(&conf)
}

pub(crate) fn require_ffmpeg() {
    for tool in ["ffmpeg", "ffprobe"] {
        let ok = std::process::Command::new(tool)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "{tool} not found on PATH: this test transcodes for real; install it (apt-get install ffmpeg)"
        );
    }
}

/// A short clip made at test time: testsrc2 + sine, `secs` seconds, 640x360, 30 fps, H.264/AAC in MP4.
fn make_clip(dir: &Path, secs: u32) -> PathBuf {
    require_ffmpeg();
    let out = dir.join("sample.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc2=size=640x360:rate=30:duration={secs}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate=48000:duration={secs}"
        ))
        .args([
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
        .arg(&out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make the test clip");
    out
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vod-emu-mc-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) async fn upload_clip(emu: &EmulatorHandle, bucket: &str, key: &str, secs: u32) {
    let s3 = crate::common::s3_client(emu).await;
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    let dir = temp_dir(&format!("clip-{bucket}"));
    let clip = make_clip(&dir, secs);
    let body = aws_sdk_s3::primitives::ByteStream::from(std::fs::read(&clip).unwrap());
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type("video/mp4")
        .body(body)
        .send()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

pub(crate) fn h264(width: i32, height: i32, max_bitrate: i32) -> VideoDescription {
    VideoDescription::builder()
        .width(width)
        .height(height)
        .codec_settings(
            VideoCodecSettings::builder()
                .codec(VideoCodec::H264)
                .h264_settings(
                    H264Settings::builder()
                        .rate_control_mode(H264RateControlMode::Qvbr)
                        .max_bitrate(max_bitrate)
                        .qvbr_settings(H264QvbrSettings::builder().qvbr_quality_level(7).build())
                        .gop_size(1.0)
                        .gop_size_units(H264GopSizeUnits::Seconds)
                        .build(),
                )
                .build(),
        )
        .build()
}

pub(crate) fn aac() -> AudioDescription {
    AudioDescription::builder()
        .audio_source_name("Audio Selector 1")
        .codec_settings(
            AudioCodecSettings::builder()
                .codec(AudioCodec::Aac)
                .aac_settings(
                    AacSettings::builder()
                        .bitrate(64000)
                        .sample_rate(48000)
                        .coding_mode(AacCodingMode::CodingMode20)
                        .build(),
                )
                .build(),
        )
        .build()
}

pub(crate) fn input(uri: &str) -> Input {
    Input::builder()
        .file_input(uri)
        .audio_selectors(
            "Audio Selector 1",
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        )
        .build()
}

fn hls_group(dest: &str, renditions: &[(i32, i32, i32, &str)]) -> OutputGroup {
    let mut g = OutputGroup::builder()
        .name("Apple HLS")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::HlsGroupSettings)
                .hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination(dest)
                        .segment_length(2)
                        .min_segment_length(0)
                        .build(),
                )
                .build(),
        );
    for (w, h, br, m) in renditions {
        g = g.outputs(
            Output::builder()
                .name_modifier(*m)
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::M3U8)
                        .build(),
                )
                .video_description(h264(*w, *h, *br))
                .audio_descriptions(aac())
                .build(),
        );
    }
    g.build()
}

fn dash_group(dest: &str, renditions: &[(i32, i32, i32, &str)]) -> OutputGroup {
    let mut g = OutputGroup::builder()
        .name("DASH ISO")
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::DashIsoGroupSettings)
                .dash_iso_group_settings(
                    DashIsoGroupSettings::builder()
                        .destination(dest)
                        .segment_length(2)
                        .fragment_length(2)
                        .build(),
                )
                .build(),
        );
    for (w, h, br, m) in renditions {
        g = g.outputs(
            Output::builder()
                .name_modifier(*m)
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Mpd)
                        .build(),
                )
                .video_description(h264(*w, *h, *br))
                .build(),
        );
    }
    g = g.outputs(
        Output::builder()
            .name_modifier("_audio")
            .container_settings(
                ContainerSettings::builder()
                    .container(ContainerType::Mpd)
                    .build(),
            )
            .audio_descriptions(aac())
            .build(),
    );
    g.build()
}

fn captioned_input(uri: &str, srt: &str) -> Input {
    Input::builder()
        .file_input(uri)
        .audio_selectors(
            "Audio Selector 1",
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        )
        .caption_selectors(
            "Captions Selector 1",
            CaptionSelector::builder()
                .source_settings(
                    CaptionSourceSettings::builder()
                        .source_type(CaptionSourceType::Srt)
                        .file_source_settings(
                            FileSourceSettings::builder().source_file(srt).build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build()
}

/// Adds an English WebVTT caption output (`_en`) to a group.
fn with_caption_output(mut g: OutputGroup) -> OutputGroup {
    let out = Output::builder()
        .name_modifier("_en")
        .caption_descriptions(
            CaptionDescription::builder()
                .caption_selector_name("Captions Selector 1")
                .language_code(LanguageCode::Eng)
                .destination_settings(
                    CaptionDestinationSettings::builder()
                        .destination_type(CaptionDestinationType::Webvtt)
                        .build(),
                )
                .build(),
        )
        .build();
    g.outputs.get_or_insert_with(Vec::new).push(out);
    g
}

/// Adds an English IMSC caption output (`_en`, one raw `.xml` document) to a DASH ISO group.
fn with_imsc_caption_output(mut g: OutputGroup) -> OutputGroup {
    let out = Output::builder()
        .name_modifier("_en")
        .container_settings(
            ContainerSettings::builder()
                .container(ContainerType::Mpd)
                .mpd_settings(
                    MpdSettings::builder()
                        .caption_container_type(MpdCaptionContainerType::Raw)
                        .build(),
                )
                .build(),
        )
        .caption_descriptions(
            CaptionDescription::builder()
                .caption_selector_name("Captions Selector 1")
                .language_code(LanguageCode::Eng)
                .destination_settings(
                    CaptionDestinationSettings::builder()
                        .destination_type(CaptionDestinationType::Imsc)
                        .build(),
                )
                .build(),
        )
        .build();
    g.outputs.get_or_insert_with(Vec::new).push(out);
    g
}

/// Polls GetJob until a terminal status; returns the job and every (status, percent) seen.
pub(crate) async fn wait_job(
    client: &mc::Client,
    id: &str,
    timeout: Duration,
) -> (Job, Vec<(String, Option<i32>)>) {
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let job = client.get_job().id(id).send().await.unwrap().job.unwrap();
        let status = job.status.clone().unwrap();
        seen.push((status.as_str().to_string(), job.job_percent_complete));
        if matches!(
            status,
            JobStatus::Complete | JobStatus::Error | JobStatus::Canceled
        ) {
            return (job, seen);
        }
        assert!(
            start.elapsed() < timeout,
            "job {id} did not finish within {timeout:?}; seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_text(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (String, Option<String>) {
    let o = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get s3://{bucket}/{key}: {e:?}"));
    let ct = o.content_type.clone();
    let body = o.body.collect().await.unwrap().into_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), ct)
}

async fn ffprobe_size(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    keys: &[&str],
    dir: &Path,
) -> (u64, u64) {
    let mut buf = Vec::new();
    for k in keys {
        let o = s3.get_object().bucket(bucket).key(*k).send().await.unwrap();
        buf.extend(o.body.collect().await.unwrap().into_bytes());
    }
    let p = dir.join("probe.bin");
    std::fs::write(&p, buf).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(&p)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let mut it = text.lines().next().unwrap_or("").split(',');
    let (w, h) = (
        it.next().and_then(|w| w.trim().parse().ok()),
        it.next().and_then(|h| h.trim().parse().ok()),
    );
    (
        w.unwrap_or_else(|| panic!("ffprobe output {text:?} for {keys:?}")),
        h.unwrap_or_else(|| panic!("ffprobe output {text:?} for {keys:?}")),
    )
}

// ------------------------------------------------------------------------------------------------ control plane

#[tokio::test]
async fn queues_endpoints_and_templates() {
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;

    let queues = client.list_queues().send().await.unwrap();
    let q = &queues.queues()[0];
    assert_eq!(q.name(), Some("Default"));
    assert_eq!(
        q.arn(),
        Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/Default")
    );
    assert_eq!(q.status(), Some(&QueueStatus::Active));
    assert_eq!(q.pricing_plan(), Some(&PricingPlan::OnDemand));
    let got = client
        .get_queue()
        .name("Default")
        .send()
        .await
        .unwrap()
        .queue
        .unwrap();
    assert_eq!(got.name(), Some("Default"));
    let e = client.get_queue().name("Nope").send().await.unwrap_err();
    assert!(matches!(
        e.into_service_error(),
        mc::operation::get_queue::GetQueueError::NotFoundException(_)
    ));

    #[allow(deprecated)]
    let eps = client.describe_endpoints().send().await.unwrap();
    assert_eq!(eps.endpoints()[0].url(), Some(emu.endpoint_url().as_str()));

    // Templates.
    let settings = JobTemplateSettings::builder()
        .inputs(
            InputTemplate::builder()
                .audio_selectors(
                    "Audio Selector 1",
                    AudioSelector::builder()
                        .default_selection(AudioDefaultSelection::Default)
                        .build(),
                )
                .build(),
        )
        .output_groups(hls_group("s3://out/tpl/", &[(320, 180, 300_000, "_180p")]))
        .build();
    let t = client
        .create_job_template()
        .name("hls-ladder")
        .description("one rung")
        .category("vod")
        .settings(settings.clone())
        .send()
        .await
        .unwrap()
        .job_template
        .unwrap();
    assert_eq!(
        t.arn(),
        Some("arn:aws:mediaconvert:us-east-1:123456789012:jobTemplates/hls-ladder")
    );
    assert_eq!(t.r#type(), Some(&Type::Custom));
    assert!(t.created_at().is_some());
    let got = client
        .get_job_template()
        .name("hls-ladder")
        .send()
        .await
        .unwrap()
        .job_template
        .unwrap();
    assert_eq!(got.description(), Some("one rung"));
    let og = &got.settings().unwrap().output_groups()[0];
    assert_eq!(og.outputs()[0].name_modifier(), Some("_180p"));
    assert_eq!(
        og.outputs()[0].video_description().unwrap().width(),
        Some(320)
    );
    let dup = client
        .create_job_template()
        .name("hls-ladder")
        .settings(settings.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(dup.code(), Some("ConflictException"));
    assert!(matches!(
        dup.into_service_error(),
        mc::operation::create_job_template::CreateJobTemplateError::ConflictException(_)
    ));
    client
        .create_job_template()
        .name("another")
        .settings(settings)
        .send()
        .await
        .unwrap();
    let list = client.list_job_templates().send().await.unwrap();
    let names: Vec<_> = list
        .job_templates()
        .iter()
        .filter_map(|t| t.name())
        .collect();
    assert_eq!(names, ["another", "hls-ladder"]);
    let page = client
        .list_job_templates()
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.job_templates().len(), 1);
    let page2 = client
        .list_job_templates()
        .max_results(1)
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page2.job_templates()[0].name(), Some("hls-ladder"));
    assert!(page2.next_token().is_none());
    let e = client
        .get_job_template()
        .name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"));
    client
        .delete_job_template()
        .name("another")
        .send()
        .await
        .unwrap();
    let e = client
        .delete_job_template()
        .name("another")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"));
}

#[tokio::test]
async fn create_job_validation_errors() {
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let settings = || {
        JobSettings::builder()
            .inputs(input("s3://in/x.mp4"))
            .output_groups(hls_group("s3://out/x/", &[(320, 180, 300_000, "_a")]))
            .build()
    };

    let e = client
        .create_job()
        .role("not-a-role")
        .settings(settings())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"), "{e:?}");
    let e = client
        .create_job()
        .role("arn:aws:iam::999999999999:role/Other")
        .settings(settings())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ForbiddenException"), "{e:?}");
    assert!(matches!(
        e.into_service_error(),
        mc::operation::create_job::CreateJobError::ForbiddenException(_)
    ));
    let e = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .queue("NoSuchQueue")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"), "{e:?}");
    let e = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .job_template("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"), "{e:?}");
    let e = client.create_job().role(ROLE).send().await.unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"), "{e:?}");
    assert!(e.message().unwrap_or("").contains("settings"), "{e:?}");
    // An enum value MediaConvert does not know.
    let bad = JobSettings::builder()
        .inputs(input("s3://in/x.mp4"))
        .output_groups(
            OutputGroup::builder()
                .output_group_settings(
                    OutputGroupSettings::builder()
                        .r#type(OutputGroupType::HlsGroupSettings)
                        .hls_group_settings(
                            HlsGroupSettings::builder()
                                .destination("s3://out/x/")
                                .segment_length(2)
                                .build(),
                        )
                        .build(),
                )
                .outputs(
                    Output::builder()
                        .video_description(
                            VideoDescription::builder()
                                .codec_settings(
                                    VideoCodecSettings::builder()
                                        .codec(VideoCodec::from("NOT_A_CODEC"))
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let e = client
        .create_job()
        .role(ROLE)
        .settings(bad)
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"), "{e:?}");
    let e = client
        .create_job()
        .role(ROLE)
        .settings(
            JobSettings::builder()
                .inputs(input("s3://in/x.mp4"))
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(e.message().unwrap_or("").contains("outputGroups"), "{e:?}");

    // Unknown ids.
    let e = client
        .get_job()
        .id("1700000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        e.into_service_error(),
        mc::operation::get_job::GetJobError::NotFoundException(_)
    ));
    let e = client
        .cancel_job()
        .id("1700000000000-nope00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"));
    let e = client.list_jobs().max_results(50).send().await.unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"));
    let e = client
        .list_jobs()
        .next_token("garbage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"));
}

/// The caller's account comes from its access key id: with `210987654321` a role of that account
/// passes and the job's ARN names it; with `test` the emulator is its default account, and the
/// PassRole refusal names that account.
#[tokio::test]
async fn the_account_is_the_access_key_id_when_it_is_one() {
    let emu = crate::common::start().await;
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "210987654321",
            "test",
            None,
            None,
            "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint_url())
        .load()
        .await;
    let theirs = mc::Client::new(&conf);
    let settings = || {
        JobSettings::builder()
            .inputs(input("s3://in/x.mp4"))
            .output_groups(hls_group("s3://out/x/", &[(320, 180, 300_000, "_a")]))
            .build()
    };
    let role = "arn:aws:iam::210987654321:role/MediaConvertRole";
    let job = theirs
        .create_job()
        .role(role)
        .settings(settings())
        .send()
        .await
        .expect("the caller's own role")
        .job
        .unwrap();
    assert!(
        job.arn()
            .unwrap_or_default()
            .contains(":210987654321:jobs/"),
        "{:?}",
        job.arn()
    );
    let e = mc_client(&emu)
        .await
        .create_job()
        .role(role)
        .settings(settings())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ForbiddenException"), "{e:?}");
    let msg = e.message().unwrap_or_default();
    assert!(
        msg.contains("arn:aws:iam::123456789012:user/") && msg.contains("iam:PassRole"),
        "{msg}"
    );
}

/// MediaConvert jobs are regional: a job created in us-east-1 is neither found, cancelled nor listed
/// from eu-west-1, and is from us-east-1.
#[tokio::test]
async fn jobs_are_kept_per_region() {
    let emu = crate::common::start().await;
    let here = mc_client(&emu).await;
    let there =
        mc::Client::new(&crate::common::sdk_config_region(&emu.endpoint_url(), "eu-west-1").await);
    let job = here
        .create_job()
        .role(ROLE)
        .settings(
            JobSettings::builder()
                .inputs(input("s3://in/x.mp4"))
                .output_groups(hls_group("s3://out/r/", &[(320, 180, 300_000, "_a")]))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let id = job.id().unwrap();
    assert!(
        job.arn()
            .unwrap()
            .starts_with("arn:aws:mediaconvert:us-east-1:")
    );
    let e = there.get_job().id(id).send().await.unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"), "{e:?}");
    let e = there.cancel_job().id(id).send().await.unwrap_err();
    assert_eq!(e.code(), Some("NotFoundException"), "{e:?}");
    assert!(there.list_jobs().send().await.unwrap().jobs().is_empty());
    here.get_job()
        .id(id)
        .send()
        .await
        .expect("found in its Region");
    let listed = here.list_jobs().send().await.unwrap();
    assert!(listed.jobs().iter().any(|j| j.id() == Some(id)));
}

/// MediaConvert's documented output rules, sent with the official SDK: the largest resolution per
/// codec, the `LanguageCode` enum and the AAC-LC bitrate table each get `BadRequestException`
/// naming the member.
#[tokio::test]
async fn output_resolution_language_and_aac_rules() {
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let create = |group: OutputGroup, input: Input| {
        client
            .create_job()
            .role(ROLE)
            .settings(
                JobSettings::builder()
                    .inputs(input)
                    .output_groups(group)
                    .build(),
            )
            .send()
    };
    let refused = |e: mc::error::SdkError<mc::operation::create_job::CreateJobError>| {
        assert_eq!(e.code(), Some("BadRequestException"), "{e:?}");
        e.message().unwrap_or_default().to_string()
    };

    // H.264 stops at 4096x2160 (2160x4096 in portrait).
    for (w, h) in [(4096, 2304), (4098, 2160), (2304, 4096), (8192, 4320)] {
        let group = hls_group("s3://out/big/", &[(w, h, 20_000_000, "_big")]);
        let msg = refused(create(group, input("s3://in/x.mp4")).await.unwrap_err());
        assert!(
            msg.contains("videoDescription") && msg.contains("4096x2160"),
            "{msg}"
        );
    }
    let portrait = hls_group("s3://out/portrait/", &[(2160, 3840, 20_000_000, "_p")]);
    create(portrait, input("s3://in/x.mp4"))
        .await
        .expect("2160x3840 H.264 is within 2160x4096");

    // A caption language outside the enum: FRE is ISO 639-2/B, MediaConvert takes FRA.
    let captioned = |code: &str| {
        let mut g = with_caption_output(hls_group("s3://out/cc/", &[(320, 180, 300_000, "_a")]));
        let outputs = g.outputs.as_mut().unwrap();
        let cd = outputs
            .last_mut()
            .unwrap()
            .caption_descriptions
            .as_mut()
            .unwrap();
        cd[0].language_code = Some(LanguageCode::from(code));
        g
    };
    let msg = refused(
        create(
            captioned("FRE"),
            captioned_input("s3://in/x.mp4", "s3://in/x.srt"),
        )
        .await
        .unwrap_err(),
    );
    assert!(msg.contains("languageCode") && msg.contains("FRE"), "{msg}");
    create(
        captioned("FRA"),
        captioned_input("s3://in/x.mp4", "s3://in/x.srt"),
    )
    .await
    .expect("FRA is a LanguageCode value");

    // Captions by output group, from a sidecar source: DASH ISO takes IMSC or TTML, never WebVTT; a file
    // group's MP4 none of the three.
    let webvtt_in_dash = {
        let mut g = dash_group("s3://out/dash/", &[(320, 180, 300_000, "_a")]);
        let caption = with_caption_output(hls_group("s3://out/x/", &[]))
            .outputs
            .unwrap()
            .pop()
            .unwrap();
        g.outputs.as_mut().unwrap().push(caption);
        g
    };
    let msg = refused(
        create(
            webvtt_in_dash,
            captioned_input("s3://in/x.mp4", "s3://in/x.srt"),
        )
        .await
        .unwrap_err(),
    );
    assert!(
        msg.contains("destinationType")
            && msg.contains("WEBVTT")
            && msg.contains("DASH_ISO_GROUP_SETTINGS")
            && msg.contains("IMSC, TTML"),
        "{msg}"
    );
    create(
        with_imsc_caption_output(dash_group("s3://out/dash/", &[(320, 180, 300_000, "_a")])),
        captioned_input("s3://in/x.mp4", "s3://in/x.srt"),
    )
    .await
    .expect("IMSC is a DASH ISO caption format");
    // WebVTT in a file group's MP4 output, beside its video.
    let webvtt = with_caption_output(hls_group("s3://out/x/", &[]))
        .outputs
        .unwrap()
        .pop()
        .unwrap()
        .caption_descriptions
        .unwrap();
    let file_group = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination("s3://out/f/")
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Mp4)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .set_caption_descriptions(Some(webvtt))
                .build(),
        )
        .build();
    let msg = refused(
        create(
            file_group,
            captioned_input("s3://in/x.mp4", "s3://in/x.srt"),
        )
        .await
        .unwrap_err(),
    );
    assert!(
        msg.contains("FILE_GROUP_SETTINGS") && msg.contains("supported: none"),
        "{msg}"
    );

    // AAC-LC stereo at 48 kHz takes 64 to 512 kb/s, from AWS's list.
    for (bitrate, mode) in [
        (32_000, AacCodingMode::CodingMode20),
        (72_000, AacCodingMode::CodingMode20),
        (320_000, AacCodingMode::CodingMode10),
    ] {
        let mut g = hls_group("s3://out/aac/", &[(320, 180, 300_000, "_a")]);
        let out = &mut g.outputs.as_mut().unwrap()[0];
        let aac = out.audio_descriptions.as_mut().unwrap()[0]
            .codec_settings
            .as_mut()
            .unwrap()
            .aac_settings
            .as_mut()
            .unwrap();
        aac.bitrate = Some(bitrate);
        aac.coding_mode = Some(mode);
        let msg = refused(create(g, input("s3://in/x.mp4")).await.unwrap_err());
        assert!(
            msg.contains("aacSettings/bitrate") && msg.contains(&bitrate.to_string()),
            "{msg}"
        );
    }
}

#[tokio::test]
async fn idempotency_listing_and_cancel() {
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    upload_clip(&emu, "mc-in", "clips/sample.mp4", 3).await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("out").send().await.unwrap();
    let settings = || {
        JobSettings::builder()
            .inputs(input("s3://mc-in/clips/sample.mp4"))
            .output_groups(hls_group("s3://out/idem/", &[(320, 180, 300_000, "_180p")]))
            .build()
    };
    let a = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .client_request_token("token-1")
        .user_metadata("asset", "a1")
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let id = a.id().unwrap().to_string();
    let (ms, suffix) = id.split_once('-').unwrap();
    assert!(
        ms.len() == 13 && ms.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    assert!(
        suffix.len() == 6
            && suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        a.arn(),
        Some(format!("arn:aws:mediaconvert:us-east-1:123456789012:jobs/{id}").as_str())
    );
    assert_eq!(a.status(), Some(&JobStatus::Submitted));
    assert_eq!(a.role(), Some(ROLE));
    assert_eq!(
        a.queue(),
        Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/Default")
    );
    assert_eq!(
        a.user_metadata().unwrap().get("asset").map(String::as_str),
        Some("a1")
    );
    assert!(a.timing().unwrap().submit_time().is_some());
    assert_eq!(
        a.settings().unwrap().output_groups()[0].outputs()[0].name_modifier(),
        Some("_180p")
    );
    // Same token within a minute: the original job, whatever the request says.
    let again = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .client_request_token("token-1")
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert_eq!(again.id(), Some(id.as_str()));
    let b = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .client_request_token("token-2")
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert_ne!(b.id(), Some(id.as_str()));
    let c = client
        .create_job()
        .role(ROLE)
        .settings(settings())
        .send()
        .await
        .unwrap()
        .job
        .unwrap();

    // Cancel c right away.
    client
        .cancel_job()
        .id(c.id().unwrap())
        .send()
        .await
        .unwrap();
    let got = client
        .get_job()
        .id(c.id().unwrap())
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    assert_eq!(got.status(), Some(&JobStatus::Canceled));
    let e = client
        .cancel_job()
        .id(c.id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ConflictException"), "{e:?}");

    // Listing: newest first by default, paged, filtered by status.
    let all = client.list_jobs().send().await.unwrap();
    let ids: Vec<_> = all.jobs().iter().filter_map(|j| j.id()).collect();
    assert_eq!(ids, [c.id().unwrap(), b.id().unwrap(), id.as_str()]);
    let asc = client
        .list_jobs()
        .order(Order::Ascending)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        asc.jobs().iter().filter_map(|j| j.id()).collect::<Vec<_>>(),
        [id.as_str(), b.id().unwrap()]
    );
    let rest = client
        .list_jobs()
        .order(Order::Ascending)
        .max_results(2)
        .next_token(asc.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rest.jobs()
            .iter()
            .filter_map(|j| j.id())
            .collect::<Vec<_>>(),
        [c.id().unwrap()]
    );
    let canceled = client
        .list_jobs()
        .status(JobStatus::Canceled)
        .send()
        .await
        .unwrap();
    assert_eq!(canceled.jobs().len(), 1);
    let e = client
        .list_jobs()
        .status(JobStatus::from("BOGUS"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("BadRequestException"));

    // The others complete.
    for j in [&id, b.id().unwrap()] {
        let (job, _) = wait_job(&client, j, Duration::from_secs(30)).await;
        assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    }
    let done = client
        .list_jobs()
        .status(JobStatus::Complete)
        .send()
        .await
        .unwrap();
    assert_eq!(done.jobs().len(), 2);
}

#[tokio::test]
async fn injected_throttling_and_internal_errors() {
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let knobs = |t: f64, e: f64| vod_emulator::knobs::ServiceKnobs {
        throttle_probability: t,
        error_probability: e,
        ..Default::default()
    };
    emu.set_service_knobs("mediaconvert", knobs(1.0, 0.0))
        .unwrap();
    let e = client.list_queues().send().await.unwrap_err();
    assert_eq!(e.code(), Some("TooManyRequestsException"), "{e:?}");
    assert!(matches!(
        e.into_service_error(),
        mc::operation::list_queues::ListQueuesError::TooManyRequestsException(_)
    ));
    emu.set_service_knobs("mediaconvert", knobs(0.0, 1.0))
        .unwrap();
    let e = client.get_queue().name("Default").send().await.unwrap_err();
    assert_eq!(e.code(), Some("InternalServerErrorException"), "{e:?}");
    emu.clear_knobs();
    client.list_queues().send().await.unwrap();
}

// ------------------------------------------------------------------------------------------------ transcoding

#[tokio::test]
async fn transcodes_hls_and_dash() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "media-in", "uploads/sample.mp4", 4).await;
    s3.create_bucket().bucket("media-out").send().await.unwrap();
    let ladder = [
        (640, 360, 1_000_000, "_360p"),
        (480, 270, 600_000, "_270p"),
        (320, 180, 300_000, "_180p"),
    ];
    let srt =
        "1\n00:00:00,500 --> 00:00:01,500\nHello\n\n2\n00:00:02,500 --> 00:00:03,500\nWorld\n";
    s3.put_object()
        .bucket("media-in")
        .key("uploads/sample.srt")
        .body(srt.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    let settings = JobSettings::builder()
        .inputs(captioned_input(
            "s3://media-in/uploads/sample.mp4",
            "s3://media-in/uploads/sample.srt",
        ))
        .output_groups(with_caption_output(hls_group(
            "s3://media-out/vod/hls/",
            &ladder,
        )))
        .output_groups(with_imsc_caption_output(dash_group(
            "s3://media-out/vod/dash/",
            &ladder,
        )))
        .build();
    let started = Instant::now();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, seen) = wait_job(&client, job.id().unwrap(), Duration::from_secs(50)).await;
    assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    assert!(
        seen.iter().any(|(s, p)| s == "PROGRESSING" && p.is_some()),
        "never saw PROGRESSING with a percentage: {seen:?}"
    );
    let timing = job.timing().unwrap();
    assert!(timing.start_time().is_some() && timing.finish_time().is_some());
    let details = job.output_group_details();
    assert_eq!(details.len(), 2);
    let hls_details = details[0].output_details();
    assert_eq!(hls_details.len(), 4);
    assert!(hls_details[3].video_details().is_none());
    let vd = hls_details[1].video_details().unwrap();
    assert_eq!(
        (vd.width_in_px(), vd.height_in_px()),
        (Some(480), Some(270))
    );
    assert!(
        (3500..=4500).contains(&hls_details[0].duration_in_ms().unwrap()),
        "{hls_details:?}"
    );
    eprintln!("transcode took {:?}", started.elapsed());

    // Keys and content types.
    let listed = s3
        .list_objects_v2()
        .bucket("media-out")
        .prefix("vod/")
        .send()
        .await
        .unwrap();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    for k in [
        "vod/hls/sample.m3u8",
        "vod/hls/sample_360p.m3u8",
        "vod/hls/sample_360p_00001.ts",
        "vod/hls/sample_180p_00002.ts",
        "vod/dash/sample.mpd",
        "vod/dash/sample_270pinit.mp4",
        "vod/dash/sample_270p_000000001.mp4",
        "vod/dash/sample_audioinit.mp4",
        "vod/hls/sample_en.m3u8",
        "vod/hls/sample_en_00001.vtt",
        "vod/dash/sample_en.xml",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
    }
    let head = s3
        .head_object()
        .bucket("media-out")
        .key("vod/hls/sample_360p_00001.ts")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("video/MP2T"));

    // The master playlist lists the three renditions.
    let (master, ct) = get_text(&s3, "media-out", "vod/hls/sample.m3u8").await;
    assert_eq!(ct.as_deref(), Some("application/vnd.apple.mpegurl"));
    let m3u8_rs::Playlist::MasterPlaylist(mp) =
        m3u8_rs::parse_playlist_res(master.as_bytes()).expect("master parses")
    else {
        panic!("not a master playlist: {master}");
    };
    assert_eq!(mp.variants.len(), 3, "{master}");
    assert_eq!(mp.alternatives.len(), 1, "{master}");
    assert!(
        mp.variants
            .iter()
            .all(|v| v.subtitles.as_deref() == Some("subs")),
        "{master}"
    );
    let (vtt, ct) = get_text(&s3, "media-out", "vod/hls/sample_en_00001.vtt").await;
    assert_eq!(ct.as_deref(), Some("text/vtt"));
    assert!(
        vtt.starts_with("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:")
            && vtt.contains("00:00:00.500 --> 00:00:01.500\nHello"),
        "{vtt}"
    );
    let res: Vec<(u64, u64)> = mp
        .variants
        .iter()
        .map(|v| v.resolution.map(|r| (r.width, r.height)).unwrap())
        .collect();
    assert_eq!(res, [(640, 360), (480, 270), (320, 180)]);
    let uris: Vec<&str> = mp.variants.iter().map(|v| v.uri.as_str()).collect();
    assert_eq!(
        uris,
        ["sample_360p.m3u8", "sample_270p.m3u8", "sample_180p.m3u8"]
    );
    assert!(mp.variants.iter().all(|v| {
        v.bandwidth > 0
            && v.codecs
                .as_deref()
                .is_some_and(|c| c.starts_with("avc1.") && c.contains("mp4a.40.2"))
    }));
    let dir = temp_dir("probe");
    for (i, (w, h, _, m)) in ladder.iter().enumerate() {
        let (text, _) = get_text(&s3, "media-out", &format!("vod/hls/sample{m}.m3u8")).await;
        let m3u8_rs::Playlist::MediaPlaylist(pl) =
            m3u8_rs::parse_playlist_res(text.as_bytes()).unwrap()
        else {
            panic!("{text}")
        };
        assert_eq!(pl.segments.len(), 2, "{text}");
        assert!(
            pl.segments.iter().all(|s| (s.duration - 2.0).abs() < 0.05),
            "segments are not 2 s: {text}"
        );
        assert!(pl.end_list);
        let seg = format!("vod/hls/{}", pl.segments[0].uri);
        assert_eq!(
            ffprobe_size(&s3, "media-out", &[&seg], &dir).await,
            (*w as u64, *h as u64),
            "rendition {i}"
        );
    }

    // The MPD: three video representations and one audio, 2 s segments.
    let (xml, ct) = get_text(&s3, "media-out", "vod/dash/sample.mpd").await;
    assert_eq!(ct.as_deref(), Some("application/dash+xml"));
    let mpd = dash_mpd::parse(&xml).expect("MPD parses");
    let sets = &mpd.periods[0].adaptations;
    let video: Vec<_> = sets
        .iter()
        .filter(|a| a.mimeType.as_deref() == Some("video/mp4"))
        .flat_map(|a| &a.representations)
        .collect();
    let audio: Vec<_> = sets
        .iter()
        .filter(|a| a.mimeType.as_deref() == Some("audio/mp4"))
        .flat_map(|a| &a.representations)
        .collect();
    assert_eq!(
        video
            .iter()
            .map(|r| (r.width.unwrap(), r.height.unwrap()))
            .collect::<Vec<_>>(),
        [(640, 360), (480, 270), (320, 180)]
    );
    assert_eq!(audio.len(), 1);
    // DASH ISO captions: one IMSC document, referenced as TTML, never WebVTT.
    let captions: Vec<_> = sets
        .iter()
        .filter(|a| a.mimeType.as_deref() == Some("application/ttml+xml"))
        .collect();
    assert_eq!(captions.len(), 1, "{xml}");
    assert_eq!(captions[0].lang.as_deref(), Some("eng"), "{xml}");
    assert_eq!(
        captions[0].representations[0].BaseURL[0].base, "sample_en.xml",
        "{xml}"
    );
    assert!(!xml.contains("text/vtt"), "{xml}");
    let (imsc, ct) = get_text(&s3, "media-out", "vod/dash/sample_en.xml").await;
    assert_eq!(ct.as_deref(), Some("application/ttml+xml"));
    assert!(
        imsc.contains("<tt xmlns=\"http://www.w3.org/ns/ttml\"")
            && imsc.contains("imsc1/text")
            && imsc.contains("xml:lang=\"eng\"")
            && imsc.contains("<p begin=\"00:00:"),
        "{imsc}"
    );
    for (r, (w, h, _, m)) in video.iter().zip(ladder.iter()) {
        let st = r.SegmentTemplate.as_ref().unwrap();
        assert_eq!(
            st.media.as_deref(),
            Some(format!("sample{m}_$Number%09d$.mp4").as_str())
        );
        assert_eq!(
            st.initialization.as_deref(),
            Some(format!("sample{m}init.mp4").as_str())
        );
        let tl = &st.SegmentTimeline.as_ref().unwrap().segments;
        let ts = st.timescale.unwrap() as f64;
        assert!(
            (tl[0].d as f64 / ts - 2.0).abs() < 0.05,
            "first DASH segment is not 2 s: {xml}"
        );
        let init = format!("vod/dash/sample{m}init.mp4");
        let seg = format!("vod/dash/sample{m}_000000001.mp4");
        assert_eq!(
            ffprobe_size(&s3, "media-out", &[&init, &seg], &dir).await,
            (*w as u64, *h as u64)
        );
    }

    // Players can read both packages end to end (ffmpeg's HLS and DASH demuxers decode every stream).
    for key in &keys {
        let local = dir.join(key);
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        let o = s3
            .get_object()
            .bucket("media-out")
            .key(key)
            .send()
            .await
            .unwrap();
        std::fs::write(&local, o.body.collect().await.unwrap().into_bytes()).unwrap();
    }
    for manifest in ["vod/hls/sample.m3u8", "vod/dash/sample.mpd"] {
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(dir.join(manifest))
            .args(["-map", "0", "-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{manifest}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// CMAF (video, audio, WebVTT captions) + file group (MP4 and frame captures) settings.
fn cmaf_and_file_settings() -> JobSettings {
    let cmaf = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(
                    CmafGroupSettings::builder()
                        .destination("s3://out2/cmaf/index")
                        .segment_length(1)
                        .fragment_length(1)
                        .write_hls_manifest(CmafWriteHlsManifest::Enabled)
                        .write_dash_manifest(CmafWriteDashManifest::Enabled)
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_video")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Cmfc)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_audio")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Cmfc)
                        .build(),
                )
                .audio_descriptions(aac())
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_en")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Cmfc)
                        .build(),
                )
                .caption_descriptions(
                    CaptionDescription::builder()
                        .caption_selector_name("Captions Selector 1")
                        .language_code(LanguageCode::Eng)
                        .destination_settings(
                            CaptionDestinationSettings::builder()
                                .destination_type(CaptionDestinationType::Webvtt)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let file = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination("s3://out2/mp4/")
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_small")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Mp4)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .audio_descriptions(aac())
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_thumb")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Raw)
                        .build(),
                )
                .video_description(
                    VideoDescription::builder()
                        .width(160)
                        .height(90)
                        .codec_settings(
                            VideoCodecSettings::builder()
                                .codec(VideoCodec::FrameCapture)
                                .frame_capture_settings(
                                    FrameCaptureSettings::builder()
                                        .framerate_numerator(1)
                                        .framerate_denominator(1)
                                        .max_captures(2)
                                        .quality(80)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let with_captions = Input::builder()
        .file_input("s3://in2/a/movie.mp4")
        .audio_selectors(
            "Audio Selector 1",
            AudioSelector::builder()
                .default_selection(AudioDefaultSelection::Default)
                .build(),
        )
        .caption_selectors(
            "Captions Selector 1",
            CaptionSelector::builder()
                .source_settings(
                    CaptionSourceSettings::builder()
                        .source_type(CaptionSourceType::Srt)
                        .file_source_settings(
                            FileSourceSettings::builder()
                                .source_file("s3://in2/a/movie.srt")
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .build();
    let dash_single = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::DashIsoGroupSettings)
                .dash_iso_group_settings(
                    DashIsoGroupSettings::builder()
                        .destination("s3://out2/dash1/")
                        .segment_length(1)
                        .fragment_length(1)
                        .segment_control(DashIsoSegmentControl::SingleFile)
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_v")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Mpd)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .build(),
        )
        .build();
    JobSettings::builder()
        .inputs(with_captions)
        .output_groups(cmaf)
        .output_groups(file)
        .output_groups(dash_single)
        .build()
}

#[tokio::test]
async fn transcodes_cmaf_file_and_frame_capture() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "in2", "a/movie.mp4", 2).await;
    s3.create_bucket().bucket("out2").send().await.unwrap();
    let srt =
        "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\nWorld\n";
    s3.put_object()
        .bucket("in2")
        .key("a/movie.srt")
        .body(srt.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
    let settings = cmaf_and_file_settings();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(40)).await;
    assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    let listed = s3.list_objects_v2().bucket("out2").send().await.unwrap();
    let keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    for k in [
        "cmaf/index.m3u8",
        "cmaf/index.mpd",
        "cmaf/index_video.m3u8",
        "cmaf/index_videoinit.cmfv",
        "cmaf/index_video_000000001.cmfv",
        "cmaf/index_audio_000000002.cmfa",
        "cmaf/index_en.vtt",
        "cmaf/index_en_00001.vtt",
        "cmaf/index_en.m3u8",
        "mp4/movie_small.mp4",
        "mp4/movie_thumb.0000000.jpg",
        "mp4/movie_thumb.0000001.jpg",
        "dash1/movie.mpd",
        "dash1/movie_v.mp4",
    ] {
        assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
    }
    let (master, _) = get_text(&s3, "out2", "cmaf/index.m3u8").await;
    let m3u8_rs::Playlist::MasterPlaylist(mp) =
        m3u8_rs::parse_playlist_res(master.as_bytes()).unwrap()
    else {
        panic!("{master}")
    };
    assert_eq!(mp.variants.len(), 1, "{master}");
    assert_eq!(mp.variants[0].audio.as_deref(), Some("program_audio"));
    assert_eq!(mp.alternatives.len(), 2, "{master}");
    assert_eq!(
        mp.variants[0].subtitles.as_deref(),
        Some("subs"),
        "{master}"
    );
    let (vtt, ct) = get_text(&s3, "out2", "cmaf/index_en.vtt").await;
    assert!(
        vtt.starts_with("WEBVTT") && vtt.contains("Hello") && vtt.contains("World"),
        "{vtt}"
    );
    assert_eq!(ct.as_deref(), Some("text/vtt"));
    eprintln!("{master}");
    let (media, _) = get_text(&s3, "out2", "cmaf/index_video.m3u8").await;
    assert!(
        media.contains("#EXT-X-MAP:URI=\"index_videoinit.cmfv\""),
        "{media}"
    );
    let (xml, _) = get_text(&s3, "out2", "cmaf/index.mpd").await;
    let mpd = dash_mpd::parse(&xml).expect("CMAF MPD parses");
    eprintln!("{xml}");
    let mimes: Vec<_> = mpd.periods[0]
        .adaptations
        .iter()
        .filter_map(|a| a.mimeType.clone())
        .collect();
    assert_eq!(mimes, ["video/mp4", "audio/mp4", "text/vtt"], "{xml}");
    let (xml, _) = get_text(&s3, "out2", "dash1/movie.mpd").await;
    let mpd = dash_mpd::parse(&xml).expect("single-file MPD parses");
    let rep = &mpd.periods[0].adaptations[0].representations[0];
    assert_eq!(rep.BaseURL[0].base, "movie_v.mp4", "{xml}");
    assert_eq!(
        rep.SegmentList.as_ref().map(|l| l.segment_urls.len()),
        Some(2),
        "{xml}"
    );
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with("dash1/") && k.ends_with(".m3u8")),
        "{keys:?}"
    );
    let head = s3
        .head_object()
        .bucket("out2")
        .key("mp4/movie_thumb.0000000.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/jpeg"));
    let head = s3
        .head_object()
        .bucket("out2")
        .key("mp4/movie_small.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("video/mp4"));
}

#[tokio::test]
async fn failures_end_in_error_with_a_message() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    s3.create_bucket().bucket("in3").send().await.unwrap();
    s3.create_bucket().bucket("out3").send().await.unwrap();

    // Missing input object.
    let settings = JobSettings::builder()
        .inputs(input("s3://in3/missing.mp4"))
        .output_groups(hls_group("s3://out3/x/", &[(320, 180, 300_000, "_a")]))
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(job.status(), Some(&JobStatus::Error));
    assert_eq!(job.error_code(), Some(1010));
    assert!(
        job.error_message()
            .unwrap()
            .contains("s3://in3/missing.mp4"),
        "{job:?}"
    );

    // A codec MediaConvert knows but the emulator does not encode.
    let mut dv = h264(320, 180, 300_000);
    dv.codec_settings = Some(VideoCodecSettings::builder().codec(VideoCodec::Av1).build());
    let settings = JobSettings::builder()
        .inputs(input("s3://in3/missing.mp4"))
        .output_groups(
            OutputGroup::builder()
                .output_group_settings(
                    OutputGroupSettings::builder()
                        .r#type(OutputGroupType::CmafGroupSettings)
                        .cmaf_group_settings(
                            CmafGroupSettings::builder()
                                .destination("s3://out3/av1/")
                                .segment_length(2)
                                .build(),
                        )
                        .build(),
                )
                .outputs(
                    Output::builder()
                        .name_modifier("_av1")
                        .video_description(dv)
                        .build(),
                )
                .build(),
        )
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(job.status(), Some(&JobStatus::Error));
    assert_eq!(job.error_code(), Some(1040));
    assert!(job.error_message().unwrap().contains("AV1"), "{job:?}");

    // Not a media file.
    s3.put_object()
        .bucket("in3")
        .key("notes.mp4")
        .body(b"this is not a video".to_vec().into())
        .send()
        .await
        .unwrap();
    let settings = JobSettings::builder()
        .inputs(input("s3://in3/notes.mp4"))
        .output_groups(hls_group("s3://out3/z/", &[(320, 180, 300_000, "_a")]))
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(job.status(), Some(&JobStatus::Error));
    assert_eq!(job.error_code(), Some(1010));
    assert!(
        job.error_message()
            .unwrap()
            .contains("Unable to open input file [s3://in3/notes.mp4]"),
        "{job:?}"
    );

    // ffmpeg failing: its last stderr lines are in the message.
    let dir = temp_dir("fake-ffmpeg");
    let fake = dir.join("ffmpeg");
    std::fs::write(&fake, "#!/bin/sh\n[ \"$1\" = -version ] && exit 0\necho 'first line' >&2\necho 'Encoder exploded: out of unicorns' >&2\nexit 1\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&fake)
        .status()
        .unwrap();
    emu.shared()
        .mediaconvert
        .set_tools(fake.display().to_string(), "ffprobe");
    s3.put_object()
        .bucket("in3")
        .key("real.mp4")
        .body(std::fs::read(make_clip(&dir, 1)).unwrap().into())
        .send()
        .await
        .unwrap();
    let settings = JobSettings::builder()
        .inputs(input("s3://in3/real.mp4"))
        .output_groups(hls_group("s3://out3/w/", &[(320, 180, 300_000, "_a")]))
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(job.status(), Some(&JobStatus::Error));
    let msg = job.error_message().unwrap();
    assert!(
        msg.contains("ffmpeg failed") && msg.contains("out of unicorns"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(dir);

    // ffmpeg missing.
    emu.shared()
        .mediaconvert
        .set_tools("/nonexistent/ffmpeg", "/nonexistent/ffprobe");
    let settings = JobSettings::builder()
        .inputs(input("s3://in3/missing.mp4"))
        .output_groups(hls_group("s3://out3/y/", &[(320, 180, 300_000, "_a")]))
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(20)).await;
    assert_eq!(job.status(), Some(&JobStatus::Error));
    let msg = job.error_message().unwrap();
    assert!(
        msg.contains("ffmpeg not found") && msg.contains("apt-get install ffmpeg"),
        "{msg}"
    );
}

#[tokio::test]
async fn cancel_stops_a_running_transcode() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "in4", "long.mp4", 20).await;
    s3.create_bucket().bucket("out4").send().await.unwrap();
    let settings = JobSettings::builder()
        .inputs(input("s3://in4/long.mp4"))
        .output_groups(hls_group(
            "s3://out4/hls/",
            &[(640, 360, 1_000_000, "_a"), (480, 270, 600_000, "_b")],
        ))
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let id = job.id().unwrap().to_string();
    let start = Instant::now();
    loop {
        let j = client.get_job().id(&id).send().await.unwrap().job.unwrap();
        if j.status() == Some(&JobStatus::Progressing)
            && j.current_phase() == Some(&JobPhase::Transcoding)
        {
            break;
        }
        assert!(
            j.status() != Some(&JobStatus::Complete),
            "job completed before it could be canceled"
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "job never reached TRANSCODING: {j:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.cancel_job().id(&id).send().await.unwrap();
    let (job, _) = wait_job(&client, &id, Duration::from_secs(5)).await;
    assert_eq!(job.status(), Some(&JobStatus::Canceled));
    assert!(job.timing().unwrap().finish_time().is_some());
    // Nothing was uploaded, and the job stays canceled.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let listed = s3.list_objects_v2().bucket("out4").send().await.unwrap();
    assert!(listed.contents().is_empty(), "{:?}", listed.contents());
    let j = client.get_job().id(&id).send().await.unwrap().job.unwrap();
    assert_eq!(j.status(), Some(&JobStatus::Canceled));
}

#[tokio::test]
async fn stitches_several_inputs() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "in5", "a.mp4", 2).await;
    s3.create_bucket().bucket("out5").send().await.unwrap();
    let second = Input::builder()
        .file_input("s3://in5/a.mp4")
        .input_clippings(
            InputClipping::builder()
                .start_timecode("00:00:01:00")
                .build(),
        )
        .build();
    let file = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::FileGroupSettings)
                .file_group_settings(
                    FileGroupSettings::builder()
                        .destination("s3://out5/joined")
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::Mp4)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    let settings = JobSettings::builder()
        .inputs(input("s3://in5/a.mp4"))
        .inputs(second)
        .output_groups(file)
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(30)).await;
    assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    let d = &job.output_group_details()[0].output_details()[0];
    assert!(
        (2900..=3150).contains(&d.duration_in_ms().unwrap()),
        "{d:?}"
    );
    let head = s3
        .head_object()
        .bucket("out5")
        .key("joined.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("video/mp4"));
}

#[tokio::test]
async fn hls_audio_only_output_is_a_raw_aac_rendition() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "in6", "clip.mp4", 2).await;
    s3.create_bucket().bucket("out6").send().await.unwrap();
    let group = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::HlsGroupSettings)
                .hls_group_settings(
                    HlsGroupSettings::builder()
                        .destination("s3://out6/hls/index")
                        .segment_length(1)
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_video")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::M3U8)
                        .build(),
                )
                .video_description(h264(320, 180, 300_000))
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_audio")
                .container_settings(
                    ContainerSettings::builder()
                        .container(ContainerType::M3U8)
                        .build(),
                )
                .output_settings(
                    OutputSettings::builder()
                        .hls_settings(HlsSettings::builder().audio_group_id("aac").build())
                        .build(),
                )
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    let mut group = group;
    // The video output takes its audio from the `aac` group.
    if let Some(o) = group.outputs.as_mut().and_then(|o| o.first_mut()) {
        o.output_settings = Some(
            OutputSettings::builder()
                .hls_settings(HlsSettings::builder().audio_rendition_sets("aac").build())
                .build(),
        );
    }
    let settings = JobSettings::builder()
        .inputs(input("s3://in6/clip.mp4"))
        .output_groups(group)
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(30)).await;
    assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    let head = s3
        .head_object()
        .bucket("out6")
        .key("hls/index_audio_00001.aac")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("audio/aac"));
    let (master, _) = get_text(&s3, "out6", "hls/index.m3u8").await;
    let m3u8_rs::Playlist::MasterPlaylist(mp) =
        m3u8_rs::parse_playlist_res(master.as_bytes()).unwrap()
    else {
        panic!("{master}")
    };
    assert_eq!(mp.variants.len(), 1, "{master}");
    assert_eq!(mp.variants[0].audio.as_deref(), Some("aac"), "{master}");
    assert_eq!(
        mp.variants[0]
            .codecs
            .as_deref()
            .map(|c| c.contains("mp4a.40.2")),
        Some(true),
        "{master}"
    );
    assert_eq!(mp.alternatives.len(), 1, "{master}");
    assert_eq!(mp.alternatives[0].uri.as_deref(), Some("index_audio.m3u8"));
}

/// `audioTrackType: AUDIO_ONLY_VARIANT_STREAM` makes an audio-only output a variant of the master
/// playlist (not an `EXT-X-MEDIA` rendition); the other audio output stays an alternate rendition.
#[tokio::test]
async fn audio_only_variant_stream() {
    require_ffmpeg();
    let emu = crate::common::start().await;
    let client = mc_client(&emu).await;
    let s3 = crate::common::s3_client(&emu).await;
    upload_clip(&emu, "in7", "clip.mp4", 4).await;
    s3.create_bucket().bucket("out7").send().await.unwrap();
    let cmfc = |track: Option<CmfcAudioTrackType>| {
        ContainerSettings::builder()
            .container(ContainerType::Cmfc)
            .cmfc_settings(CmfcSettings::builder().set_audio_track_type(track).build())
            .build()
    };
    let group = OutputGroup::builder()
        .output_group_settings(
            OutputGroupSettings::builder()
                .r#type(OutputGroupType::CmafGroupSettings)
                .cmaf_group_settings(
                    CmafGroupSettings::builder()
                        .destination("s3://out7/cmaf/")
                        .segment_length(2)
                        .fragment_length(1)
                        .write_dash_manifest(CmafWriteDashManifest::Disabled)
                        .build(),
                )
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_video")
                .container_settings(cmfc(None))
                .video_description(h264(320, 180, 300_000))
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_audio")
                .container_settings(cmfc(Some(
                    CmfcAudioTrackType::AlternateAudioAutoSelectDefault,
                )))
                .audio_descriptions(aac())
                .build(),
        )
        .outputs(
            Output::builder()
                .name_modifier("_audio_only")
                .container_settings(cmfc(Some(CmfcAudioTrackType::AudioOnlyVariantStream)))
                .audio_descriptions(aac())
                .build(),
        )
        .build();
    let settings = JobSettings::builder()
        .inputs(input("s3://in7/clip.mp4"))
        .output_groups(group)
        .build();
    let job = client
        .create_job()
        .role(ROLE)
        .settings(settings)
        .send()
        .await
        .unwrap()
        .job
        .unwrap();
    let (job, _) = wait_job(&client, job.id().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(job.status(), Some(&JobStatus::Complete), "{job:?}");
    let (master, _) = get_text(&s3, "out7", "cmaf/clip.m3u8").await;
    let m3u8_rs::Playlist::MasterPlaylist(mp) =
        m3u8_rs::parse_playlist_res(master.as_bytes()).unwrap()
    else {
        panic!("{master}")
    };
    assert_eq!(mp.variants.len(), 2, "{master}");
    let audio_variant = mp
        .variants
        .iter()
        .find(|v| v.uri == "clip_audio_only.m3u8")
        .unwrap_or_else(|| panic!("{master}"));
    assert!(audio_variant.resolution.is_none(), "{master}");
    assert_eq!(
        audio_variant.codecs.as_deref(),
        Some("mp4a.40.2"),
        "{master}"
    );
    assert_eq!(mp.alternatives.len(), 1, "{master}");
    assert_eq!(mp.alternatives[0].uri.as_deref(), Some("clip_audio.m3u8"));
}
