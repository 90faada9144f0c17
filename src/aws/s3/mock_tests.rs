//! Failure paths of the S3 steps that the emulator cannot produce: another account's bucket,
//! AccessDenied, a name taken between the check and the create.

use aws_sdk_s3::operation::create_bucket::CreateBucketError;
use aws_sdk_s3::operation::list_buckets::{ListBucketsError, ListBucketsOutput};
use aws_sdk_s3::types::Bucket;
use aws_smithy_mocks::mock;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

use crate::aws::test_support::{Rules, mock_ctx};
use crate::aws::{Mode, s3};
use crate::error::{Error, ErrorCategory};
use crate::plan::{Params, Step};

fn bucket_step(name: &str) -> Step {
    let spec = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/specs/s3-origin.toml"
    ))
    .unwrap()
    .replace("s3-vod-source", name);
    let plan = crate::VodPipeline::from_toml_str(
        &spec,
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs"),
    )
    .unwrap()
    .plan();
    let step = plan.step("s3.bucket.source").unwrap().clone();
    assert!(matches!(step.params, Params::Bucket(_)));
    step
}

fn no_buckets() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_s3::Client::list_buckets).then_output(|| ListBucketsOutput::builder().build())
}

#[tokio::test]
async fn a_bucket_of_another_account_is_a_conflict_not_a_takeover() {
    let list = no_buckets();
    let head = mock!(aws_sdk_s3::Client::head_bucket).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            StatusCode::try_from(403).unwrap(),
            SdkBody::empty(),
        )
    });
    let create = mock!(aws_sdk_s3::Client::create_bucket).then_output(|| {
        aws_sdk_s3::operation::create_bucket::CreateBucketOutput::builder().build()
    });
    let (ctx, _) = mock_ctx(Rules {
        s3: &[&list, &head, &create],
        ..Rules::default()
    });
    let err = s3::run(&ctx, &bucket_step("someone-elses"), Mode::Apply)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Conflict { resource, .. } if resource == "s3://someone-elses"),
        "{err:?}"
    );
    assert_eq!(err.category(), ErrorCategory::Aws);
    assert_eq!(
        create.num_calls(),
        0,
        "no CreateBucket for a bucket that is not ours"
    );
    // Refresh says the same, without writing.
    let err = s3::run(&ctx, &bucket_step("someone-elses"), Mode::Refresh)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }));
    assert_eq!(create.num_calls(), 0);
}

#[tokio::test]
async fn our_own_bucket_is_a_no_op() {
    let list = mock!(aws_sdk_s3::Client::list_buckets).then_output(|| {
        ListBucketsOutput::builder()
            .buckets(
                Bucket::builder()
                    .name("mine-already")
                    .bucket_region("eu-west-1")
                    .build(),
            )
            .build()
    });
    let create = mock!(aws_sdk_s3::Client::create_bucket).then_output(|| {
        aws_sdk_s3::operation::create_bucket::CreateBucketOutput::builder().build()
    });
    let (ctx, _) = mock_ctx(Rules {
        s3: &[&list, &create],
        ..Rules::default()
    });
    let report = s3::run(&ctx, &bucket_step("mine-already"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(report.change, crate::apply::event::Change::NoOp);
    assert_eq!(create.num_calls(), 0);
}

/// Our own bucket in another Region than the spec's is a conflict naming both Regions (issue 16),
/// whether ListBuckets gives the Region or GetBucketLocation has to (`EU` is eu-west-1's old name).
#[tokio::test]
async fn our_bucket_in_another_region_is_a_conflict_naming_both() {
    let list = mock!(aws_sdk_s3::Client::list_buckets).then_output(|| {
        ListBucketsOutput::builder()
            .buckets(
                Bucket::builder()
                    .name("mine-in-us")
                    .bucket_region("us-east-2")
                    .build(),
            )
            .buckets(Bucket::builder().name("mine-no-region").build())
            .build()
    });
    let location = mock!(aws_sdk_s3::Client::get_bucket_location)
        .match_requests(|r| r.bucket() == Some("mine-no-region"))
        .then_output(|| {
            aws_sdk_s3::operation::get_bucket_location::GetBucketLocationOutput::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::Eu)
                .build()
        });
    let create = mock!(aws_sdk_s3::Client::create_bucket).then_output(|| {
        aws_sdk_s3::operation::create_bucket::CreateBucketOutput::builder().build()
    });
    let (ctx, _) = mock_ctx(Rules {
        s3: &[&list, &location, &create],
        ..Rules::default()
    });
    for mode in [Mode::Apply, Mode::Refresh] {
        let err = s3::run(&ctx, &bucket_step("mine-in-us"), mode)
            .await
            .unwrap_err();
        let Error::Conflict { resource, reason } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(resource, "s3://mine-in-us");
        assert!(
            reason.contains("us-east-2") && reason.contains("eu-west-1"),
            "{reason}"
        );
    }
    // The spec's Region is eu-west-1, which GetBucketLocation calls EU: the same Region.
    let report = s3::run(&ctx, &bucket_step("mine-no-region"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(report.change, crate::apply::event::Change::NoOp);
    assert_eq!(location.num_calls(), 1);
    assert_eq!(
        create.num_calls(),
        0,
        "no write to a bucket in another Region"
    );
}

#[tokio::test]
async fn a_name_taken_between_check_and_create_is_a_conflict() {
    let list = no_buckets();
    let head = mock!(aws_sdk_s3::Client::head_bucket).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            StatusCode::try_from(404).unwrap(),
            SdkBody::empty(),
        )
    });
    let create = mock!(aws_sdk_s3::Client::create_bucket).then_error(|| {
        CreateBucketError::generic(
            ErrorMetadata::builder()
                .code("BucketAlreadyExists")
                .message("taken")
                .build(),
        )
    });
    let (ctx, _) = mock_ctx(Rules {
        s3: &[&list, &head, &create],
        ..Rules::default()
    });
    let err = s3::run(&ctx, &bucket_step("just-taken"), Mode::Apply)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err:?}");
    assert_eq!(create.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_keeps_code_and_request_id() {
    let list = mock!(aws_sdk_s3::Client::list_buckets).then_error(|| {
        ListBucketsError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("User is not authorized to perform: s3:ListAllMyBuckets")
                .custom("aws_request_id", "REQ123")
                .build(),
        )
    });
    let (ctx, _) = mock_ctx(Rules {
        s3: &[&list],
        ..Rules::default()
    });
    let err = s3::run(&ctx, &bucket_step("denied-bucket"), Mode::Apply)
        .await
        .unwrap_err();
    let Error::Aws(a) = &err else {
        panic!("expected Error::Aws, got {err:?}")
    };
    assert_eq!(a.operation, "s3:ListBuckets");
    assert_eq!(a.code.as_deref(), Some("AccessDenied"));
    assert_eq!(a.request_id.as_deref(), Some("REQ123"));
    assert!(!a.retryable);
    assert_eq!(err.category(), ErrorCategory::Aws);
    assert!(err.to_string().contains("AccessDenied"), "{err}");
}
