//! The executor against mocked SDK clients (`aws-smithy-mocks`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_mediaconvert::Client as Mc;
use aws_sdk_mediaconvert::operation::create_job::{CreateJobError, CreateJobOutput};
use aws_sdk_mediaconvert::operation::get_job::GetJobOutput;
use aws_sdk_mediaconvert::types::{Job, JobPhase, JobStatus};
use aws_sdk_s3::Client as S3;
use aws_sdk_s3::operation::delete_object::DeleteObjectOutput;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::error::NoSuchKey;
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::error::ErrorMetadata;

use super::settings::TOKEN_KEY;
use super::settings::tests::params;
use super::*;
use crate::plan::{OutputKey, Service};
use crate::types::OutputFormat;

const TOKEN: &str = "vod-0123456789abcdef";

/// A `Ctx` whose MediaConvert and S3 clients answer from the rules; events are collected.
fn ctx(mc_rules: &[&Rule], s3_rules: &[&Rule]) -> (Ctx, Arc<Mutex<Vec<Event>>>) {
    crate::aws::test_support::mock_ctx(crate::aws::test_support::Rules {
        s3: s3_rules,
        mediaconvert: mc_rules,
        ..Default::default()
    })
}

fn step() -> Step {
    Step {
        id: crate::plan::StepId::Job("sample".into()),
        service: Service::Mediaconvert,
        operation: "CreateJob".into(),
        resource: "job for sample".into(),
        params: Params::Job(Box::new(params(
            &[OutputFormat::Hls, OutputFormat::Dash, OutputFormat::Cmaf],
            6,
            2,
        ))),
        depends_on: vec![],
    }
}

fn job(status: JobStatus) -> Job {
    Job::builder()
        .id("1700000000000-abc123")
        .status(status)
        .build()
}

fn marker_body(token: &str) -> ByteStream {
    ByteStream::from(
        serde_json::to_vec(&serde_json::json!({"client_request_token": token, "job_id": "1699999999999-old", "completed": 1_700_000_000u64}))
            .unwrap(),
    )
}

fn no_marker() -> Rule {
    mock!(S3::get_object).then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()))
}

/// The claim's conditional write succeeds: this publisher starts the job.
fn claim_taken() -> Rule {
    mock!(S3::put_object)
        .match_requests(|r| r.key().is_some_and(|k| k.contains(".vod-pipeline-claim-")))
        .then_output(|| PutObjectOutput::builder().build())
}

fn claim_released() -> Rule {
    mock!(S3::delete_object).then_output(|| DeleteObjectOutput::builder().build())
}

#[test]
fn marker_sits_beside_the_output_groups() {
    let p = params(
        &[OutputFormat::Hls, OutputFormat::Dash, OutputFormat::Cmaf],
        6,
        2,
    );
    let loc = marker_location(&p).unwrap();
    assert_eq!(
        loc.to_string(),
        "s3://vod-out/packaged/sample/.vod-pipeline-job.json"
    );
    let mut one = params(&[OutputFormat::Hls], 6, 2);
    assert_eq!(
        marker_location(&one).unwrap().key,
        "packaged/sample/.vod-pipeline-job.json"
    );
    one.output_groups[0].destination = "s3://vod-out/sample/hls/".into();
    assert_eq!(
        marker_location(&one).unwrap().key,
        "sample/.vod-pipeline-job.json"
    );
    one.output_groups[0].destination = "https://example.com/x/".into();
    assert_eq!(marker_location(&one), None);
}

#[tokio::test]
async fn job_error_maps_to_error_job_with_mediaconvert_code_and_message() {
    let get = mock!(S3::get_object)
        .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
    let put = mock!(S3::put_object).then_output(|| PutObjectOutput::builder().build());
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job).then_output(|| {
        CreateJobOutput::builder()
            .job(job(JobStatus::Submitted))
            .build()
    });
    let poll = mock!(Mc::get_job)
        .sequence()
        .output(|| {
            GetJobOutput::builder()
                .job(job(JobStatus::Submitted))
                .build()
        })
        .output(|| {
            let j = Job::builder()
                .id("1700000000000-abc123")
                .status(JobStatus::Progressing)
                .current_phase(JobPhase::Transcoding)
                .job_percent_complete(42)
                .build();
            GetJobOutput::builder().job(j).build()
        })
        .output(|| {
            let j = Job::builder()
                .id("1700000000000-abc123")
                .status(JobStatus::Error)
                .error_code(1010)
                .error_message("Unable to open input file [s3://vod-source/uploads/sample.mp4]")
                .build();
            GetJobOutput::builder().job(j).build()
        })
        .build();
    let (ctx, events) = ctx(&[&create, &poll], &[&claim, &release, &get, &put]);

    let err = run(&ctx, &step(), Mode::Apply).await.unwrap_err();
    match &err {
        Error::Job {
            asset,
            job_id,
            status,
            code,
            message,
        } => {
            assert_eq!(asset, "sample");
            assert_eq!(job_id, "1700000000000-abc123");
            assert_eq!(status, "ERROR");
            assert_eq!(*code, Some(1010));
            assert!(message.contains("Unable to open input file"), "{message}");
        }
        other => panic!("expected Error::Job, got {other:?}"),
    }
    assert!(err.to_string().contains("(error code 1010)"), "{err}");
    assert_eq!(create.num_calls(), 1);
    assert_eq!(poll.num_calls(), 3);
    assert_eq!(put.num_calls(), 0, "no marker for a failed job");
    assert_eq!(
        claim.num_calls(),
        2,
        "claim taken, then the job recorded in it"
    );
    assert_eq!(
        release.num_calls(),
        0,
        "the claim keeps naming the failed job"
    );

    let progress: Vec<(String, Option<String>, Option<i32>)> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::JobProgress {
                status,
                phase,
                percent,
                ..
            } => Some((status.clone(), phase.clone(), *percent)),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [
            ("SUBMITTED".to_owned(), None, None),
            (
                "PROGRESSING".to_owned(),
                Some("TRANSCODING".to_owned()),
                Some(42)
            ),
            ("ERROR".to_owned(), None, None),
        ]
    );
}

#[tokio::test]
async fn marker_with_same_token_makes_no_create_job_call() {
    let get = mock!(S3::get_object)
        .match_requests(|r| {
            r.bucket() == Some("vod-out")
                && r.key() == Some("packaged/sample/.vod-pipeline-job.json")
        })
        .then_output(|| GetObjectOutput::builder().body(marker_body(TOKEN)).build());
    let put = mock!(S3::put_object).then_output(|| PutObjectOutput::builder().build());
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job).then_output(|| {
        CreateJobOutput::builder()
            .job(job(JobStatus::Submitted))
            .build()
    });
    let poll = mock!(Mc::get_job).then_output(|| {
        GetJobOutput::builder()
            .job(job(JobStatus::Complete))
            .build()
    });

    for mode in [Mode::Apply, Mode::Refresh] {
        let (ctx, _) = ctx(&[&create, &poll], &[&claim, &release, &get, &put]);
        let report = run(&ctx, &step(), mode).await.unwrap();
        assert_eq!(report.change, Change::NoOp);
        assert_eq!(
            report.outputs,
            [
                (OutputKey::JobId, "1699999999999-old".to_owned()),
                (OutputKey::Status, "COMPLETE".to_owned())
            ]
        );
    }
    assert_eq!(get.num_calls(), 2);
    assert_eq!(
        claim.num_calls() + create.num_calls() + poll.num_calls() + put.num_calls(),
        0
    );
}

#[tokio::test]
async fn changed_settings_transcode_again_and_rewrite_the_marker() {
    let get = mock!(S3::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(marker_body("vod-fedcba9876543210"))
            .build()
    });
    let put = mock!(S3::put_object)
        .match_requests(|r| {
            r.bucket() == Some("vod-out")
                && r.key() == Some("packaged/sample/.vod-pipeline-job.json")
                && r.content_type() == Some("application/json")
        })
        .then_output(|| PutObjectOutput::builder().build());
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job)
        .match_requests(|r| {
            r.client_request_token() == Some(TOKEN)
                && r.role() == Some("arn:aws:iam::123456789012:role/MediaConvert_Default_Role")
                && r.queue().is_none()
                && r.user_metadata()
                    .and_then(|m| m.get(TOKEN_KEY))
                    .map(String::as_str)
                    == Some(TOKEN)
                && r.settings()
                    .is_some_and(|s| s.output_groups().len() == 3 && s.inputs().len() == 1)
        })
        .then_output(|| {
            CreateJobOutput::builder()
                .job(job(JobStatus::Submitted))
                .build()
        });
    let poll = mock!(Mc::get_job).then_output(|| {
        GetJobOutput::builder()
            .job(job(JobStatus::Complete))
            .build()
    });

    // Refresh reads the marker only.
    let (ctx_r, _) = ctx(&[&create, &poll], &[&claim, &release, &get, &put]);
    let report = run(&ctx_r, &step(), Mode::Refresh).await.unwrap();
    assert_eq!(
        report.change,
        Change::Update {
            diff: vec!["settings changed".into()]
        }
    );
    assert!(report.outputs.is_empty());
    assert_eq!(claim.num_calls() + create.num_calls() + put.num_calls(), 0);

    let (ctx, _) = ctx(&[&create, &poll], &[&claim, &release, &get, &put]);
    let report = run(&ctx, &step(), Mode::Apply).await.unwrap();
    assert_eq!(
        report.change,
        Change::Update {
            diff: vec!["settings changed".into()]
        }
    );
    assert_eq!(
        report.outputs,
        [
            (OutputKey::JobId, "1700000000000-abc123".to_owned()),
            (OutputKey::Status, "COMPLETE".to_owned())
        ]
    );
    assert_eq!(create.num_calls(), 1);
    assert_eq!(put.num_calls(), 1);
}

/// A format left the spec and nothing else changed: the marker's token differs, but its output
/// holds each group the plan asks for, made with the same settings, so no job is created. A group
/// made with other settings (another segment length) is transcoded again.
#[tokio::test]
async fn a_format_removed_needs_no_new_job() {
    let with =
        |formats: &[OutputFormat], segment: u64| -> JobParams { params(formats, segment, 2) };
    let all = with(
        &[OutputFormat::Hls, OutputFormat::Dash, OutputFormat::Cmaf],
        6,
    );
    let fewer_params = with(&[OutputFormat::Hls, OutputFormat::Cmaf], 6);
    let (probe, _) = ctx(&[], &[]);
    let groups = group_tokens(&probe, &all).unwrap();
    let fewer_groups = group_tokens(&probe, &fewer_params).unwrap();
    assert_eq!((groups.len(), fewer_groups.len()), (3, 2));
    let marker_with = |groups: std::collections::BTreeMap<String, String>| {
        let body = serde_json::json!({
            "client_request_token": "vod-fedcba9876543210",
            "job_id": "1699999999999-old",
            "completed": 1_700_000_000u64,
            "groups": groups,
        });
        mock!(S3::get_object)
            .match_requests(|r| {
                r.key()
                    .is_some_and(|k| k.ends_with(".vod-pipeline-job.json"))
            })
            .then_output(move || {
                GetObjectOutput::builder()
                    .body(ByteStream::from(serde_json::to_vec(&body).unwrap()))
                    .build()
            })
    };
    let step_of = |p: JobParams| Step {
        params: Params::Job(Box::new(p)),
        ..step()
    };
    let create = mock!(Mc::create_job).then_output(|| {
        CreateJobOutput::builder()
            .job(job(JobStatus::Submitted))
            .build()
    });

    // Apply records the output as what the plan asks for now: the same job, two groups.
    let expected = serde_json::to_value(&fewer_groups).unwrap();
    let narrowed = mock!(S3::put_object)
        .match_requests(move |r| {
            r.key() == Some("packaged/sample/.vod-pipeline-job.json")
                && r.body().bytes().is_some_and(|b| {
                    let m: serde_json::Value = serde_json::from_slice(b).unwrap_or_default();
                    m["job_id"] == "1699999999999-old" && m["groups"] == expected
                })
        })
        .then_output(|| PutObjectOutput::builder().build());
    let fewer = step_of(fewer_params);
    for mode in [Mode::Refresh, Mode::Apply] {
        let get = marker_with(groups.clone());
        let (c, _) = ctx(&[&create], &[&get, &narrowed]);
        let report = run(&c, &fewer, mode).await.unwrap();
        assert_eq!(report.change, Change::NoOp);
        assert_eq!(report.outputs[0].1, "1699999999999-old");
    }
    assert_eq!(create.num_calls(), 0);
    assert_eq!(
        narrowed.num_calls(),
        1,
        "refresh writes nothing; apply narrows the marker"
    );

    // Another segment length: each group is made differently, so the asset is transcoded again.
    let other_segments = step_of(with(&[OutputFormat::Hls, OutputFormat::Cmaf], 4));
    let (get, no_claim) = (marker_with(groups.clone()), no_marker());
    let (c, _) = ctx(&[&create], &[&get, &no_claim]);
    let report = run(&c, &other_segments, Mode::Refresh).await.unwrap();
    assert!(
        matches!(report.change, Change::Update { .. }),
        "{:?}",
        report.change
    );

    // The format put back after the marker was narrowed: it is transcoded again.
    let (get, no_claim) = (marker_with(fewer_groups), no_marker());
    let (c, _) = ctx(&[&create], &[&get, &no_claim]);
    let report = run(&c, &step_of(all), Mode::Refresh).await.unwrap();
    assert!(
        matches!(report.change, Change::Update { .. }),
        "{:?}",
        report.change
    );
}

/// Another publisher (or an apply that crashed) holds the claim and names its running job: this
/// run waits for that job instead of starting a duplicate.
#[tokio::test]
async fn in_flight_job_is_attached_to_not_duplicated() {
    let get_marker = mock!(S3::get_object)
        .match_requests(|r| {
            r.key()
                .is_some_and(|k| k.ends_with(".vod-pipeline-job.json"))
        })
        .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
    let get_claim = mock!(S3::get_object)
        .match_requests(|r| r.key().is_some_and(|k| k.contains(".vod-pipeline-claim-")))
        .then_output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(
                    br#"{"client_request_token":"vod-0123456789abcdef","job_id":"1700000000000-running"}"#,
                ))
                .build()
        });
    let claim_held = mock!(S3::put_object)
        .match_requests(|r| {
            r.key().is_some_and(|k| k.contains(".vod-pipeline-claim-"))
                && r.if_none_match() == Some("*")
        })
        .then_error(|| {
            PutObjectError::generic(
                ErrorMetadata::builder()
                    .code("PreconditionFailed")
                    .message("At least one of the pre-conditions you specified did not hold")
                    .build(),
            )
        });
    let put = mock!(S3::put_object)
        .match_requests(|r| {
            r.key()
                .is_some_and(|k| k.ends_with(".vod-pipeline-job.json"))
        })
        .then_output(|| PutObjectOutput::builder().build());
    let release = claim_released();
    let create = mock!(Mc::create_job).then_output(|| {
        CreateJobOutput::builder()
            .job(job(JobStatus::Submitted))
            .build()
    });
    let poll = mock!(Mc::get_job)
        .match_requests(|r| r.id() == Some("1700000000000-running"))
        .then_output(|| {
            GetJobOutput::builder()
                .job(
                    Job::builder()
                        .id("1700000000000-running")
                        .status(JobStatus::Complete)
                        .build(),
                )
                .build()
        });
    let (ctx, _) = ctx(
        &[&create, &poll],
        &[&get_marker, &get_claim, &claim_held, &put, &release],
    );

    let report = run(&ctx, &step(), Mode::Apply).await.unwrap();
    assert_eq!(report.change, Change::Create);
    assert_eq!(
        report.outputs[0],
        (OutputKey::JobId, "1700000000000-running".to_owned())
    );
    assert_eq!(create.num_calls(), 0);
    assert_eq!(claim_held.num_calls(), 1);
    assert_eq!(put.num_calls(), 1);
    assert_eq!(release.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_on_create_job_maps_to_error_aws() {
    let get = no_marker();
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job).then_error(|| {
        CreateJobError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: mediaconvert:CreateJob")
                .custom("aws_request_id", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111")
                .build(),
        )
    });
    let (ctx, _) = ctx(&[&create], &[&claim, &release, &get]);

    let err = run(&ctx, &step(), Mode::Apply).await.unwrap_err();
    match &err {
        Error::Aws(boxed) => {
            let crate::error::AwsError {
                operation,
                resource,
                code,
                message,
                request_id,
                retryable,
                ..
            } = &**boxed;
            assert_eq!(operation, "mediaconvert:CreateJob");
            assert_eq!(resource, "job for sample");
            assert_eq!(code.as_deref(), Some("AccessDeniedException"));
            assert!(message.contains("not authorized"), "{message}");
            assert_eq!(
                request_id.as_deref(),
                Some("a1b2c3d4-5678-90ab-cdef-EXAMPLE11111")
            );
            assert!(!retryable);
        }
        other => panic!("expected Error::Aws, got {other:?}"),
    }
    assert!(err.to_string().contains("request id a1b2c3d4"), "{err}");
}

/// A CreateJob answer without a job id is AWS's incomplete answer, not a bug and not the input.
#[tokio::test]
async fn create_job_without_a_job_id_is_an_incomplete_response() {
    let get = no_marker();
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job).then_output(|| CreateJobOutput::builder().build());
    let (ctx, _) = ctx(&[&create], &[&claim, &release, &get]);

    let err = run(&ctx, &step(), Mode::Apply).await.unwrap_err();
    match &err {
        Error::IncompleteResponse {
            operation,
            resource,
            field,
        } => {
            assert_eq!(operation, "mediaconvert:CreateJob");
            assert_eq!(resource, "job for sample");
            assert_eq!(field, "Job.Id");
        }
        other => panic!("expected Error::IncompleteResponse, got {other:?}"),
    }
    assert_eq!(err.category(), crate::ErrorCategory::Aws);
}

/// A step handed to the wrong executor is a bug in this crate: categorised as internal, never AWS.
#[tokio::test]
async fn a_step_for_another_service_is_an_internal_error() {
    let (ctx, _) = ctx(&[], &[]);
    let mut wrong = step();
    wrong.params = Params::Invalidation(crate::plan::InvalidationParams {
        distribution_id: crate::plan::Deferred::Known("E1".into()),
        assets: vec![],
    });
    let err = run(&ctx, &wrong, Mode::Apply).await.unwrap_err();
    assert!(matches!(err, Error::Internal { .. }), "{err:?}");
    assert_eq!(err.category(), crate::ErrorCategory::Internal);
    assert!(err.to_string().contains("please report it"), "{err}");
}

#[tokio::test]
async fn no_marker_is_create_in_refresh_without_writes() {
    let get = no_marker();
    let (ctx, _) = ctx(&[], &[&get]);
    let report = run(&ctx, &step(), Mode::Refresh).await.unwrap();
    assert_eq!(report.change, Change::Create);
    // The marker, then the claim (none: no job of these settings failed or runs).
    assert_eq!(get.num_calls(), 2);
}

#[tokio::test]
async fn job_that_never_finishes_times_out() {
    let get = no_marker();
    let (claim, release) = (claim_taken(), claim_released());
    let create = mock!(Mc::create_job).then_output(|| {
        CreateJobOutput::builder()
            .job(job(JobStatus::Submitted))
            .build()
    });
    let poll = mock!(Mc::get_job).then_output(|| {
        GetJobOutput::builder()
            .job(job(JobStatus::Progressing))
            .build()
    });
    let (mut ctx, _) = ctx(&[&create, &poll], &[&claim, &release, &get]);
    ctx.options.job_timeout = Duration::from_millis(30);
    let err = run(&ctx, &step(), Mode::Apply).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(poll.num_calls() >= 2);
}

#[tokio::test]
async fn destroy_keeps_outputs_without_calls() {
    let (ctx, _) = ctx(&[], &[]);
    let report = destroy(&ctx, &step()).await.unwrap();
    assert_eq!(report.change, Change::Kept);
}

/// After a failed transcode there is no marker, but the claim names the job: refresh (and so
/// `vod status`) reports the job as failed, with MediaConvert's code and message, not as missing.
#[tokio::test]
async fn refresh_reports_a_failed_job_with_its_code_and_message() {
    let no_job_marker = mock!(S3::get_object)
        .match_requests(|r| {
            r.key()
                .is_some_and(|k| k.ends_with(".vod-pipeline-job.json"))
        })
        .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
    let claim = mock!(S3::get_object)
        .match_requests(|r| r.key().is_some_and(|k| k.contains(".vod-pipeline-claim-")))
        .then_output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from(
                    serde_json::to_vec(
                        &serde_json::json!({"client_request_token": TOKEN, "job_id": "1700000000000-bad"}),
                    )
                    .unwrap(),
                ))
                .build()
        });
    let failed = mock!(Mc::get_job)
        .match_requests(|r| r.id() == Some("1700000000000-bad"))
        .then_output(|| {
            GetJobOutput::builder()
                .job(
                    Job::builder()
                        .id("1700000000000-bad")
                        .status(JobStatus::Error)
                        .error_code(1010)
                        .error_message("Unable to open input file")
                        .build(),
                )
                .build()
        });
    let (ctx, _) = ctx(&[&failed], &[&no_job_marker, &claim]);
    let report = run(&ctx, &step(), Mode::Refresh).await.unwrap();
    assert_eq!(
        report.change,
        Change::Update {
            diff: vec![
                "job 1700000000000-bad ERROR (error code 1010): Unable to open input file; apply starts a new job"
                    .into()
            ]
        }
    );
}
