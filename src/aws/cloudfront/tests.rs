//! The CloudFront executor against a mocked SDK (`aws-smithy-mocks`): retries, error mapping,
//! destroy's disable-wait-delete sequence, invalidations.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudfront::operation::create_distribution_with_tags::{
    CreateDistributionWithTagsError, CreateDistributionWithTagsOutput,
};
use aws_sdk_cloudfront::operation::create_invalidation::CreateInvalidationOutput;
use aws_sdk_cloudfront::operation::delete_distribution::DeleteDistributionOutput;
use aws_sdk_cloudfront::operation::get_distribution::GetDistributionOutput;
use aws_sdk_cloudfront::operation::get_distribution_config::{
    GetDistributionConfigError, GetDistributionConfigOutput,
};
use aws_sdk_cloudfront::operation::list_distributions::ListDistributionsOutput;
use aws_sdk_cloudfront::operation::list_origin_access_controls::{
    ListOriginAccessControlsError, ListOriginAccessControlsOutput,
};
use aws_sdk_cloudfront::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_cloudfront::operation::update_distribution::{
    UpdateDistributionError, UpdateDistributionOutput,
};
use aws_sdk_cloudfront::types::error::{
    AccessDenied, DistributionAlreadyExists, PreconditionFailed,
};
use aws_sdk_cloudfront::types::{
    Distribution, DistributionConfig, DistributionList, DistributionSummary, Invalidation,
    OriginAccessControlList, OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors,
    OriginAccessControlSigningProtocols, OriginAccessControlSummary, PriceClass, Tag, Tags,
};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;

use super::{Resolved, desired_config};
use crate::VodPipeline;
use crate::apply::event::{ApplyOptions, Change, Event};
use crate::aws::{Clients, Ctx, Mode};
use crate::error::Error;
use crate::plan::{OutputKey, Params, Plan, Step, StepId};

const ID: &str = "E2QWRUHAPOMQZL";
const ARN: &str = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL";

fn plan() -> Plan {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
    VodPipeline::from_toml_file(format!("{dir}/mediastore.toml"))
        .unwrap()
        .plan()
}

fn step<'a>(plan: &'a Plan, id: &str) -> &'a Step {
    plan.step(id).unwrap()
}

type Events = Arc<Mutex<Vec<Event>>>;

fn mock_ctx(rules: &[&Rule]) -> (Ctx, Events) {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::Sequential);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let conf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .retry_config(aws_sdk_cloudfront::config::retry::RetryConfig::disabled())
        .http_client(create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let clients = Clients {
        s3: aws_sdk_s3::Client::new(&sdk),
        mediaconvert: aws_sdk_mediaconvert::Client::new(&sdk),
        mediastore: aws_sdk_mediastore::Client::new(&sdk),
        cloudfront: Client::from_conf(conf),
        sdk_config: sdk,
        job_polls: std::sync::Arc::new(crate::aws::rate::RateLimit::new(1000)),
        invalidations: Default::default(),
        endpoint_ok: Default::default(),
    };
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(1),
        max_poll_interval: Duration::from_millis(2),
        deploy_timeout: Duration::from_secs(5),
        // One look at the listing; `a_distribution_listed_late_is_found_not_duplicated` sets a lag.
        listing_lag: Duration::ZERO,
        ..ApplyOptions::default()
    };
    let events: Events = Arc::default();
    let sink = events.clone();
    let ctx = Ctx::new(
        clients,
        options,
        "seed-vod".into(),
        Box::new(move |e| sink.lock().unwrap().push(e)),
    );
    // What the earlier steps of an apply recorded.
    ctx.record_outputs(
        &StepId::OriginAccessControl,
        &[(OutputKey::Id, "E1OAC".into())],
    );
    ctx.record_outputs(&StepId::CachePolicy, &[(OutputKey::Id, "cp-1".into())]);
    ctx.record_outputs(
        &StepId::ResponseHeadersPolicy,
        &[(OutputKey::Id, "rhp-1".into())],
    );
    ctx.record_outputs(
        &StepId::Container,
        &[
            (
                OutputKey::EndpointHost,
                "abc.data.mediastore.us-east-1.amazonaws.com".into(),
            ),
            (OutputKey::EndpointPath, String::new()),
        ],
    );
    (ctx, events)
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message(format!("{code} message"))
        .custom("aws_request_id", "req-1234")
        .build()
}

/// The config the plan asks for, as the distribution holds it now.
fn live_config(plan: &Plan) -> DistributionConfig {
    let Params::Distribution(p) = &step(plan, "cloudfront.distribution").params else {
        panic!()
    };
    let r = Resolved {
        origin_domain: "abc.data.mediastore.us-east-1.amazonaws.com".into(),
        origin_path_prefix: String::new(),
        oac_id: "E1OAC".into(),
        cache_policy_id: Some("cp-1".into()),
        response_headers_policy_id: Some("rhp-1".into()),
        trusted_key_group_id: None,
    };
    desired_config(p, &r).unwrap()
}

fn summary() -> DistributionSummary {
    DistributionSummary::builder()
        .id(ID)
        .arn(ARN)
        .status("Deployed")
        .last_modified_time(DateTime::from_secs(0))
        .domain_name("d111111abcdef8.cloudfront.net")
        .comment("seed-vod on-demand video")
        .price_class(PriceClass::PriceClassAll)
        .enabled(true)
        .web_acl_id("")
        .http_version(aws_sdk_cloudfront::types::HttpVersion::Http2)
        .is_ipv6_enabled(true)
        .staging(false)
        .build()
        .unwrap()
}

fn distribution(status: &str) -> Distribution {
    Distribution::builder()
        .id(ID)
        .arn(ARN)
        .status(status)
        .last_modified_time(DateTime::from_secs(0))
        .in_progress_invalidation_batches(0)
        .domain_name("d111111abcdef8.cloudfront.net")
        .build()
        .unwrap()
}

fn list_rule() -> Rule {
    mock!(Client::list_distributions).then_output(|| {
        ListDistributionsOutput::builder()
            .distribution_list(
                DistributionList::builder()
                    .marker("")
                    .max_items(100)
                    .is_truncated(false)
                    .quantity(1)
                    .items(summary())
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn tags_rule() -> Rule {
    mock!(Client::list_tags_for_resource)
        .match_requests(|r| r.resource() == Some(ARN))
        .then_output(|| {
            ListTagsForResourceOutput::builder()
                .tags(
                    Tags::builder()
                        .items(
                            Tag::builder()
                                .key("vod-pipeline:pipeline")
                                .value("seed-vod")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
        })
}

fn get_config_rule(config: DistributionConfig, etag: &'static str) -> Rule {
    mock!(Client::get_distribution_config)
        .match_requests(|r| r.id() == Some(ID))
        .then_output(move || {
            GetDistributionConfigOutput::builder()
                .distribution_config(config.clone())
                .e_tag(etag)
                .build()
        })
}

fn precondition_failed(if_match: &'static str) -> Rule {
    mock!(Client::update_distribution)
        .match_requests(move |r| r.if_match() == Some(if_match))
        .then_error(|| {
            UpdateDistributionError::PreconditionFailed(
                PreconditionFailed::builder()
                    .message("PreconditionFailed message")
                    .meta(meta("PreconditionFailed"))
                    .build(),
            )
        })
}

fn stale(plan: &Plan) -> DistributionConfig {
    let mut live = live_config(plan);
    live.default_cache_behavior.as_mut().unwrap().compress = Some(false);
    live
}

#[tokio::test]
async fn update_precondition_failed_twice_gives_up_after_one_retry() {
    let plan = plan();
    let live = stale(&plan);
    let get1 = get_config_rule(live.clone(), "E1");
    let upd1 = precondition_failed("E1");
    let get2 = get_config_rule(live, "E2");
    let upd2 = precondition_failed("E2");
    let (ctx, _) = mock_ctx(&[&list_rule(), &tags_rule(), &get1, &upd1, &get2, &upd2]);
    let err = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap_err();
    match &err {
        Error::Aws(boxed) => {
            let crate::error::AwsError {
                operation,
                code,
                request_id,
                resource,
                ..
            } = &**boxed;
            assert_eq!(operation, "cloudfront:UpdateDistribution");
            assert_eq!(code.as_deref(), Some("PreconditionFailed"));
            assert_eq!(request_id.as_deref(), Some("req-1234"));
            assert_eq!(resource, ID);
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert_eq!(
        (
            get1.num_calls(),
            upd1.num_calls(),
            get2.num_calls(),
            upd2.num_calls()
        ),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn update_precondition_failed_once_then_succeeds() {
    let plan = plan();
    let live = stale(&plan);
    let get1 = get_config_rule(live.clone(), "E1");
    let upd1 = precondition_failed("E1");
    let get2 = get_config_rule(live, "E2");
    let upd2 = mock!(Client::update_distribution)
        .match_requests(|r| {
            r.if_match() == Some("E2")
                && r.distribution_config()
                    .and_then(|c| c.default_cache_behavior.as_ref())
                    .and_then(|b| b.compress)
                    == Some(true)
        })
        .then_output(|| {
            UpdateDistributionOutput::builder()
                .distribution(distribution("InProgress"))
                .e_tag("E3")
                .build()
        });
    let (ctx, _) = mock_ctx(&[&list_rule(), &tags_rule(), &get1, &upd1, &get2, &upd2]);
    let report = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(
        report.change,
        Change::Update {
            diff: vec!["default_cache_behavior.compress: false -> true".into()]
        }
    );
    let out: std::collections::BTreeMap<_, _> = report.outputs.into_iter().collect();
    assert_eq!(out[&OutputKey::Etag], "E3");
    assert_eq!(out[&OutputKey::Status], "InProgress");
    assert_eq!(out[&OutputKey::Id], ID);
    assert_eq!(out[&OutputKey::Arn], ARN);
    assert_eq!(out[&OutputKey::DomainName], "d111111abcdef8.cloudfront.net");
    assert_eq!(upd2.num_calls(), 1);
}

#[tokio::test]
async fn unchanged_distribution_makes_no_mutating_call() {
    let plan = plan();
    let get = get_config_rule(live_config(&plan), "E1");
    let (ctx, _) = mock_ctx(&[&list_rule(), &tags_rule(), &get]);
    // A mutating call would find no rule and panic in the mock.
    let report = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(report.change, Change::NoOp);
}

#[tokio::test]
async fn refresh_reports_update_without_writing() {
    let plan = plan();
    let get = get_config_rule(stale(&plan), "E1");
    let (ctx, _) = mock_ctx(&[&list_rule(), &tags_rule(), &get]);
    let report = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Refresh)
        .await
        .unwrap();
    assert!(matches!(report.change, Change::Update { .. }));
}

#[tokio::test]
async fn access_denied_maps_with_code_and_request_id() {
    let plan = plan();
    let get = mock!(Client::get_distribution_config).then_error(|| {
        GetDistributionConfigError::AccessDenied(
            AccessDenied::builder()
                .message("User is not authorized")
                .meta(meta("AccessDenied"))
                .build(),
        )
    });
    let (ctx, _) = mock_ctx(&[&list_rule(), &tags_rule(), &get]);
    let err = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap_err();
    match &err {
        Error::Aws(boxed) => {
            let crate::error::AwsError {
                operation,
                code,
                request_id,
                retryable,
                ..
            } = &**boxed;
            assert_eq!(operation, "cloudfront:GetDistributionConfig");
            assert_eq!(code.as_deref(), Some("AccessDenied"));
            assert_eq!(request_id.as_deref(), Some("req-1234"));
            assert!(!retryable);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("AccessDenied") && text.contains("req-1234"),
        "{text}"
    );

    // An unmodeled error of a list call keeps its code too.
    let list = mock!(Client::list_origin_access_controls)
        .then_error(|| ListOriginAccessControlsError::generic(meta("AccessDenied")));
    let (ctx, _) = mock_ctx(&[&list]);
    let err = super::run(
        &ctx,
        step(&plan, "cloudfront.origin_access_control"),
        Mode::Apply,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::Aws(a)
            if a.code.as_deref() == Some("AccessDenied") && a.request_id.as_deref() == Some("req-1234") && a.operation == "cloudfront:ListOriginAccessControls"),
        "{err:?}"
    );
}

#[tokio::test]
async fn destroy_enabled_distribution_disables_waits_and_deletes_with_new_etag() {
    let plan = plan();
    let get = get_config_rule(live_config(&plan), "E1");
    let disable = mock!(Client::update_distribution)
        .match_requests(|r| {
            r.if_match() == Some("E1") && r.distribution_config().is_some_and(|c| !c.enabled)
        })
        .then_output(|| {
            UpdateDistributionOutput::builder()
                .distribution(distribution("InProgress"))
                .e_tag("E2")
                .build()
        });
    let poll = mock!(Client::get_distribution)
        .sequence()
        .output(|| {
            GetDistributionOutput::builder()
                .distribution(distribution("InProgress"))
                .e_tag("E2")
                .build()
        })
        .times(2)
        .output(|| {
            GetDistributionOutput::builder()
                .distribution(distribution("Deployed"))
                .e_tag("E2")
                .build()
        })
        .build();
    let delete = mock!(Client::delete_distribution)
        .match_requests(|r| r.id() == Some(ID) && r.if_match() == Some("E2"))
        .then_output(|| DeleteDistributionOutput::builder().build());
    let (ctx, events) = mock_ctx(&[&list_rule(), &tags_rule(), &get, &disable, &poll, &delete]);
    let report = super::destroy(&ctx, step(&plan, "cloudfront.distribution"))
        .await
        .unwrap();
    assert_eq!(report.change, Change::Delete);
    assert_eq!(
        (disable.num_calls(), poll.num_calls(), delete.num_calls()),
        (1, 3, 1)
    );
    let statuses: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::DistributionStatus { status, id, .. } if id == ID => Some(status.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, ["InProgress", "InProgress", "Deployed"]);
}

/// `ListOriginAccessControls` with one MediaStore OAC per name.
fn oacs_rule(names: &[&'static str]) -> Rule {
    let names = names.to_vec();
    mock!(Client::list_origin_access_controls).then_output(move || {
        let items: Vec<OriginAccessControlSummary> = names
            .iter()
            .map(|name| {
                OriginAccessControlSummary::builder()
                    .id("OAC1")
                    .name(*name)
                    .description("")
                    .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
                    .signing_behavior(OriginAccessControlSigningBehaviors::Always)
                    .origin_access_control_origin_type(OriginAccessControlOriginTypes::Mediastore)
                    .build()
                    .unwrap()
            })
            .collect();
        ListOriginAccessControlsOutput::builder()
            .origin_access_control_list(
                OriginAccessControlList::builder()
                    .marker("")
                    .max_items(100)
                    .is_truncated(false)
                    .quantity(items.len() as i32)
                    .set_items(Some(items))
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

fn no_distributions_rule() -> Rule {
    mock!(Client::list_distributions).then_output(|| {
        ListDistributionsOutput::builder()
            .distribution_list(
                DistributionList::builder()
                    .marker("")
                    .max_items(100)
                    .is_truncated(false)
                    .quantity(0)
                    .build()
                    .unwrap(),
            )
            .build()
    })
}

/// CloudFront remembers the CallerReference of a deleted distribution: with no distribution of the
/// pipeline listed, `DistributionAlreadyExists` on create means exactly that, and the create is made
/// once more with a reference of its own.
#[tokio::test]
async fn create_retries_once_with_its_own_caller_reference() {
    let plan = plan();
    let refs: Arc<Mutex<Vec<String>>> = Arc::default();
    let recorder = |seen: Arc<Mutex<Vec<String>>>| {
        move |r: &aws_sdk_cloudfront::operation::create_distribution_with_tags::CreateDistributionWithTagsInput| {
            let reference = r
                .distribution_config_with_tags()
                .and_then(|c| c.distribution_config())
                .map(|c| c.caller_reference().to_owned())
                .unwrap_or_default();
            seen.lock().unwrap().push(reference);
            true
        }
    };
    let taken = mock!(Client::create_distribution_with_tags)
        .match_requests(recorder(refs.clone()))
        .then_error(|| {
            CreateDistributionWithTagsError::DistributionAlreadyExists(
                DistributionAlreadyExists::builder()
                    .message("The caller reference that you are using to create a distribution is associated with another distribution.")
                    .meta(meta("DistributionAlreadyExists"))
                    .build(),
            )
        });
    let created = mock!(Client::create_distribution_with_tags)
        .match_requests(recorder(refs.clone()))
        .then_output(|| {
            CreateDistributionWithTagsOutput::builder()
                .distribution(distribution("InProgress"))
                .e_tag("E1")
                .build()
        });
    // Before it retries, the create checks that no distribution of the pipeline exists now (two
    // applies at once share the reference too, and then the other one's distribution is used).
    let still_none = no_distributions_rule();
    let (ctx, _) = mock_ctx(&[&no_distributions_rule(), &taken, &still_none, &created]);
    let report = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(report.change, Change::Create);
    assert_eq!(taken.num_calls() + created.num_calls(), 2);
    assert_eq!(still_none.num_calls(), 1);
    let refs = refs.lock().unwrap();
    assert_eq!(refs.len(), 2, "{refs:?}");
    assert_ne!(refs[0], refs[1]);
    assert!(refs[1].starts_with(&format!("{}/", refs[0])), "{refs:?}");
}

/// Issue 16: a create refused with `DistributionAlreadyExists` while the listing does not show the
/// pipeline's distribution yet (it was created a moment ago and is listed late) looks again until
/// the listing lag has passed: the distribution listed on the third look is the pipeline's, and no
/// second distribution is created under another caller reference.
#[tokio::test]
async fn a_distribution_listed_late_is_found_not_duplicated() {
    let plan = plan();
    let taken = mock!(Client::create_distribution_with_tags)
        .then_error(|| {
            CreateDistributionWithTagsError::DistributionAlreadyExists(
                DistributionAlreadyExists::builder()
                    .message("The caller reference that you are using to create a distribution is associated with another distribution.")
                    .meta(meta("DistributionAlreadyExists"))
                    .build(),
            )
        });
    let created_again = mock!(Client::create_distribution_with_tags).then_output(|| {
        CreateDistributionWithTagsOutput::builder()
            .distribution(distribution("InProgress"))
            .e_tag("E1")
            .build()
    });
    let (first, second, third) = (
        no_distributions_rule(),
        no_distributions_rule(),
        no_distributions_rule(),
    );
    let (mut ctx, _) = mock_ctx(&[
        &first,
        &taken,
        &second,
        &third,
        &list_rule(),
        &tags_rule(),
        // The reconcile driver reads the winner again.
        &list_rule(),
        &tags_rule(),
        &get_config_rule(live_config(&plan), "E1"),
    ]);
    ctx.options.listing_lag = Duration::from_secs(5);
    let report = super::run(&ctx, step(&plan, "cloudfront.distribution"), Mode::Apply)
        .await
        .unwrap();
    assert_eq!(taken.num_calls(), 1);
    assert_eq!(created_again.num_calls(), 0, "no second distribution");
    assert_eq!((second.num_calls(), third.num_calls()), (1, 1));
    assert_eq!(
        report
            .outputs
            .iter()
            .find(|(k, _)| *k == OutputKey::Id)
            .map(|(_, v)| v.as_str()),
        Some(ID)
    );
}

#[tokio::test]
async fn destroy_absent_distribution_and_policies() {
    let plan = plan();
    let empty = no_distributions_rule();
    let no_oac = || oacs_rule(&[]);
    // Destroy of the distribution looks for the pipeline's OAC (none: nothing to wait for), then
    // destroy of the OAC looks for it.
    let (ctx, _) = mock_ctx(&[&empty, &no_oac(), &no_oac()]);
    assert_eq!(
        super::destroy(&ctx, step(&plan, "cloudfront.distribution"))
            .await
            .unwrap()
            .change,
        Change::Absent
    );
    assert_eq!(
        super::destroy(&ctx, step(&plan, "cloudfront.origin_access_control"))
            .await
            .unwrap()
            .change,
        Change::Absent
    );
    assert_eq!(
        super::destroy(&ctx, step(&plan, "cloudfront.invalidation"))
            .await
            .unwrap()
            .change,
        Change::Absent
    );
}

/// Destroy right after apply: the distribution is not listed yet (CloudFront's listing lags), but
/// the pipeline's origin access control exists, so destroy looks again until it is listed and
/// deletes it, instead of calling it absent and leaving the OAC in use.
#[tokio::test]
async fn destroy_looks_again_for_a_distribution_not_listed_yet() {
    let plan = plan();
    let oac = oacs_rule(&["seed-vod-mediastore-oac"]);
    let (first, second) = (no_distributions_rule(), no_distributions_rule());
    let get = get_config_rule(live_config(&plan), "E1");
    let disable = mock!(Client::update_distribution).then_output(|| {
        UpdateDistributionOutput::builder()
            .distribution(distribution("InProgress"))
            .e_tag("E2")
            .build()
    });
    let poll = mock!(Client::get_distribution).then_output(|| {
        GetDistributionOutput::builder()
            .distribution(distribution("Deployed"))
            .e_tag("E2")
            .build()
    });
    let delete = mock!(Client::delete_distribution)
        .match_requests(|r| r.id() == Some(ID))
        .then_output(|| DeleteDistributionOutput::builder().build());
    let (mut ctx, _) = mock_ctx(&[
        &first,
        &oac,
        &second,
        &list_rule(),
        &tags_rule(),
        // The reconcile driver reads it again.
        &list_rule(),
        &tags_rule(),
        &get,
        &disable,
        &poll,
        &delete,
    ]);
    ctx.options.listing_lag = Duration::from_secs(5);
    let report = super::destroy(&ctx, step(&plan, "cloudfront.distribution"))
        .await
        .unwrap();
    assert_eq!(report.change, Change::Delete);
    assert_eq!((oac.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(delete.num_calls(), 1);
}

#[tokio::test]
async fn deploy_wait_times_out() {
    let plan = plan();
    let poll = mock!(Client::get_distribution)
        .sequence()
        .output(|| {
            GetDistributionOutput::builder()
                .distribution(distribution("InProgress"))
                .e_tag("E1")
                .build()
        })
        .repeatedly()
        .build();
    let (mut ctx, events) = mock_ctx(&[&poll]);
    ctx.options.deploy_timeout = Duration::from_millis(30);
    let err = super::wait_deployed(&ctx, step(&plan, "cloudfront.distribution"), ID)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(poll.num_calls() >= 2);
    assert_eq!(events.lock().unwrap().len(), poll.num_calls());
}

#[tokio::test]
async fn invalidation_only_for_republished_assets_of_an_existing_distribution() {
    let plan = plan();
    let inv_step = step(&plan, "cloudfront.invalidation");

    // Nothing republished: no call.
    let (ctx, _) = mock_ctx(&[]);
    ctx.record(
        &StepId::Distribution,
        &Change::NoOp,
        &[(OutputKey::Id, ID.into())],
    );
    ctx.record(&StepId::Copy("sample".into()), &Change::NoOp, &[]);
    assert_eq!(
        super::run(&ctx, inv_step, Mode::Apply)
            .await
            .unwrap()
            .change,
        Change::NoOp
    );

    // A new asset on an existing distribution: nothing of it is cached but, briefly, an error.
    let (ctx, _) = mock_ctx(&[]);
    ctx.record(
        &StepId::Distribution,
        &Change::NoOp,
        &[(OutputKey::Id, ID.into())],
    );
    ctx.record(&StepId::Copy("sample".into()), &Change::Create, &[]);
    assert_eq!(
        super::run(&ctx, inv_step, Mode::Apply)
            .await
            .unwrap()
            .change,
        Change::NoOp
    );

    // A new distribution has nothing cached.
    let (ctx, _) = mock_ctx(&[]);
    ctx.record(
        &StepId::Distribution,
        &Change::Create,
        &[(OutputKey::Id, ID.into())],
    );
    ctx.record(&StepId::Copy("sample".into()), &Change::Create, &[]);
    assert_eq!(
        super::run(&ctx, inv_step, Mode::Apply)
            .await
            .unwrap()
            .change,
        Change::NoOp
    );

    // Republished to an existing distribution: invalidate the asset's paths.
    let create = mock!(Client::create_invalidation)
        .match_requests(|r| {
            let b = r.invalidation_batch().unwrap();
            r.distribution_id() == Some(ID)
                && b.paths.as_ref().and_then(|p| p.items.as_deref())
                    == Some(&["/sample/*".to_owned()][..])
                && b.caller_reference
                    .starts_with("vod-pipeline/seed-vod/invalidation/")
        })
        .then_output(|| {
            CreateInvalidationOutput::builder()
                .invalidation(
                    Invalidation::builder()
                        .id("I2J0I21PCUYOIK")
                        .status("InProgress")
                        .create_time(DateTime::from_secs(0))
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let (ctx, _) = mock_ctx(&[&create]);
    ctx.record(
        &StepId::Distribution,
        &Change::NoOp,
        &[(OutputKey::Id, ID.into())],
    );
    ctx.record_outputs(
        &StepId::Job("sample".into()),
        &[(OutputKey::JobId, "1234-abcd".into())],
    );
    ctx.record(
        &StepId::Copy("sample".into()),
        &Change::Update { diff: vec![] },
        &[],
    );
    let report = super::run(&ctx, inv_step, Mode::Apply).await.unwrap();
    assert_eq!(report.change, Change::Create);
    assert_eq!(create.num_calls(), 1);
    // Refresh never invalidates: it reports that apply would (create), and makes no call.
    assert_eq!(
        super::run(&ctx, inv_step, Mode::Refresh)
            .await
            .unwrap()
            .change,
        Change::Create
    );
    assert_eq!(create.num_calls(), 1);
}

async fn apply_all(ctx: &Ctx, plan: &Plan, ids: &[&StepId], mode: Mode) -> Vec<Change> {
    let mut out = Vec::new();
    for id in ids {
        let r = super::run(ctx, step_by_id(plan, id), mode)
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        ctx.record(id, &r.change, &r.outputs);
        out.push(r.change);
    }
    out
}

fn step_by_id<'a>(plan: &'a Plan, id: &StepId) -> &'a Step {
    plan.steps.iter().find(|s| &s.id == id).unwrap()
}

/// Create, re-apply without changes, refresh, update (`edit` of the spec; `expect` is one line of the
/// distribution's diff), invalidate, destroy, destroy again.
async fn round_trip(file: &str, pipeline: &str, edit: (&str, &str), expect: &str) {
    let url = std::env::var("VOD_EMULATOR_URL").expect("VOD_EMULATOR_URL");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .load()
        .await;
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(50),
        max_poll_interval: Duration::from_millis(200),
        deploy_timeout: Duration::from_secs(30),
        wait_for_deployment: true,
        ..ApplyOptions::default()
    };
    let new_ctx = || {
        let ctx = Ctx::new(
            Clients::new(&sdk, "us-east-1"),
            options.clone(),
            pipeline.into(),
            Box::new(|_| {}),
        );
        ctx.record_outputs(
            &StepId::Container,
            &[
                (
                    OutputKey::EndpointHost,
                    "abc.data.mediastore.us-east-1.localhost".into(),
                ),
                (OutputKey::EndpointPath, String::new()),
            ],
        );
        ctx
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
    let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
    let first = VodPipeline::from_toml_str(&text, dir).unwrap().plan();
    let ids: Vec<&StepId> = first
        .steps
        .iter()
        .filter(|s| s.service == crate::plan::Service::Cloudfront)
        .map(|s| &s.id)
        .collect();
    let n = ids.len() - 1; // all but the invalidation

    let ctx = new_ctx();
    let changes = apply_all(&ctx, &first, &ids, Mode::Apply).await;
    assert!(
        changes[..n].iter().all(|c| *c == Change::Create),
        "{changes:?}"
    );
    assert_eq!(
        ctx.output(&StepId::Distribution, OutputKey::Status)
            .as_deref(),
        Some("Deployed")
    );
    for mode in [Mode::Apply, Mode::Refresh] {
        let changes = apply_all(&new_ctx(), &first, &ids, mode).await;
        assert!(
            changes.iter().all(|c| *c == Change::NoOp),
            "{mode:?} {changes:?}"
        );
    }

    assert!(text.contains(edit.0));
    let second = VodPipeline::from_toml_str(&text.replace(edit.0, edit.1), dir)
        .unwrap()
        .plan();
    let changes = apply_all(&new_ctx(), &second, &ids, Mode::Apply).await;
    match &changes[n - 1] {
        Change::Update { diff } => assert!(diff.iter().any(|l| l == expect), "{diff:?}"),
        other => panic!("{other:?}"),
    }
    // A republished asset on an existing distribution is invalidated.
    let ctx = new_ctx();
    let changes = apply_all(&ctx, &second, &ids[..n], Mode::Apply).await;
    assert!(changes.iter().all(|c| *c == Change::NoOp), "{changes:?}");
    let inv = step(&second, "cloudfront.invalidation");
    let Params::Invalidation(p) = &inv.params else {
        panic!()
    };
    ctx.record(&p.assets[0].step, &Change::Update { diff: vec![] }, &[]);
    assert_eq!(
        super::run(&ctx, inv, Mode::Apply).await.unwrap().change,
        Change::Create
    );

    let ctx = new_ctx();
    for id in ids.iter().rev() {
        let r = super::destroy(&ctx, step_by_id(&second, id))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let want = if **id == StepId::Invalidation {
            Change::Absent
        } else {
            Change::Delete
        };
        assert_eq!(r.change, want, "{id}");
    }
    for id in ids.iter().rev() {
        assert_eq!(
            super::destroy(&ctx, step_by_id(&second, id))
                .await
                .unwrap()
                .change,
            Change::Absent,
            "{id}"
        );
    }
}

/// The CloudFront steps of both example specs against a running vod-emulator
/// (`VOD_EMULATOR_URL=http://127.0.0.1:PORT`).
#[tokio::test]
#[ignore = "needs a running vod-emulator; set VOD_EMULATOR_URL"]
async fn against_the_emulator() {
    round_trip(
        "mediastore.toml",
        "seed-vod",
        (
            "error_caching_min_ttl = \"5s\"",
            "error_caching_min_ttl = \"3s\"",
        ),
        "custom_error_responses.404.error_caching_min_ttl: 5 -> 3",
    )
    .await;
    round_trip(
        "s3-origin.toml",
        "s3-vod",
        ("default_ttl = \"6h\"", "default_ttl = \"12h\""),
        "default_cache_behavior.default_ttl: 21600 -> 43200",
    )
    .await;
}
