//! Rules AWS enforces on live state (issue 16), against the in-process emulator: each one fails
//! the apply with an error that names what is wrong, before anything is written.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::common::*;
use vod_pipeline::{Error, VodPipeline};

/// The spec's Region is eu-west-1; a bucket of the same account in us-east-2 with the origin
/// bucket's name is refused by refresh and apply, naming both Regions; nothing is written to it,
/// and no distribution is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_in_another_region_is_an_error_naming_both() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let us = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .region(aws_sdk_s3::config::Region::new("us-east-2"))
            .force_path_style(true)
            .build(),
    );
    us.create_bucket()
        .bucket("s3-vod-origin")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::UsEast2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let head = us
        .head_bucket()
        .bucket("s3-vod-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-2"));

    let pipeline = crate::publish::infra_only("s3-origin.toml");
    let plan = pipeline.plan();
    let check = |err: &Error| {
        let text = err.to_string();
        assert!(
            text.contains("s3://s3-vod-origin")
                && text.contains("us-east-2")
                && text.contains("eu-west-1"),
            "{text}"
        );
    };
    let refresh = plan.refresh(&config).await;
    match refresh {
        Err(e) => check(&e),
        Ok(r) => panic!("refresh accepted a bucket in another Region: {r:?}"),
    }
    emu.reset_requests();
    let err = plan
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_err();
    check(&err);
    let writes: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.operation.starts_with("Put") || r.operation.starts_with("Create"))
        .filter(|r| r.operation.contains("Distribution") || r.path.starts_with("/s3-vod-origin"))
        .map(|r| format!("{} {}", r.operation, r.path))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

/// S3 is eventually consistent right after CreateBucket: with the emulator answering
/// `NoSuchBucket` for 1.5 s to every other request on a new bucket, both shared specs' infrastructure
/// still applies (tagging, policy and CORS are retried), and destroys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applies_while_new_buckets_are_not_yet_visible() {
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        let emu = emulator().await;
        emu.set_service_knobs(
            "s3",
            vod_emulator::knobs::ServiceKnobs {
                new_bucket_window_ms: 1500,
                ..Default::default()
            },
        )
        .unwrap();
        let config = sdk_config(&emu).await;
        let pipeline = crate::publish::infra_only(spec);
        let plan = pipeline.plan();
        let started = std::time::Instant::now();
        plan.apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: {e}"));
        let refused = emu
            .requests()
            .iter()
            .filter(|r| r.operation == "NewBucketWindow")
            .count();
        assert!(refused > 0, "{spec}: the knob refused nothing");
        assert!(started.elapsed() >= std::time::Duration::from_millis(1500));
        // Everything is in place: a refresh finds nothing to do.
        let refresh = plan.refresh(&config).await.unwrap();
        assert!(
            refresh
                .steps
                .iter()
                .all(|s| s.change == vod_pipeline::Change::NoOp),
            "{spec}: {refresh}"
        );
        plan.destroy(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: destroy: {e}"));
    }
}

/// The emulator takes the account from the credentials: a spec whose role is in account
/// 210987654321 applies (and transcodes) when the access key id is `210987654321`; with another
/// access key id the emulator acts as its default account, and the PassRole refusal names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_comes_from_the_access_key_id() {
    let text = std::fs::read_to_string(shared_spec("s3-origin.toml"))
        .unwrap()
        .replace("arn:aws:iam::123456789012:", "arn:aws:iam::210987654321:");
    assert!(text.contains("arn:aws:iam::210987654321:role/"));
    let dir = shared_spec("s3-origin.toml").parent().unwrap().to_owned();
    let pipeline = VodPipeline::from_toml_str(&text, &dir).unwrap();
    let emu = emulator().await;
    let err = pipeline
        .plan()
        .apply(&config_as(&emu, "test").await)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_err();
    let text = format!("{err} {:?}", std::error::Error::source(&err));
    assert!(
        text.contains("iam:PassRole") && text.contains("arn:aws:iam::123456789012:user/"),
        "{text}"
    );

    let emu = emulator().await;
    let deployment = pipeline
        .plan()
        .apply(&config_as(&emu, "210987654321").await)
        .options(options())
        .start()
        .join()
        .await
        .expect("the role is the caller's account's");
    let dist = deployment.distribution.expect("a distribution");
    assert!(
        dist.arn
            .starts_with("arn:aws:cloudfront::210987654321:distribution/"),
        "{}",
        dist.arn
    );
    assert!(!deployment.playback.is_empty());
}

/// An SDK configuration for the emulator with the access key id `key`.
async fn config_as(emu: &vod_emulator::EmulatorHandle, key: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            key, "test", None, None, "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(emu.endpoint_url())
        .load()
        .await
}

/// The emulator's realism knobs, all on: new buckets answer `NoSuchBucket` for 1 s, a new
/// distribution is missing from `ListDistributions` for 1.5 s, and every service throttles by rate.
fn realism(emu: &vod_emulator::EmulatorHandle) {
    use vod_emulator::knobs::ServiceKnobs;
    let rate = |requests_per_second: f64| ServiceKnobs {
        requests_per_second,
        ..Default::default()
    };
    emu.set_service_knobs(
        "s3",
        ServiceKnobs {
            new_bucket_window_ms: 1000,
            ..rate(40.0)
        },
    )
    .unwrap();
    emu.set_service_knobs(
        "cloudfront",
        ServiceKnobs {
            list_delay_ms: 1500,
            ..rate(5.0)
        },
    )
    .unwrap();
    emu.set_service_knobs("mediaconvert", rate(5.0)).unwrap();
    emu.set_service_knobs("mediastore", rate(20.0)).unwrap();
}

/// Issue 16: both shared specs apply (with their sample file), play (every check of `verify`) and
/// destroy with the realism knobs on, and the knobs did answer some requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_specs_apply_play_and_destroy_with_the_realism_knobs_on() {
    for spec in ["s3-origin.toml", "mediastore.toml"] {
        let emu = emulator().await;
        realism(&emu);
        let config = sdk_config(&emu).await;
        let pipeline = VodPipeline::from_toml_file(shared_spec(spec)).unwrap();
        let plan = pipeline.plan();
        let deployment = plan
            .apply(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: {e}"));
        let report = deployment
            .verify(&pipeline)
            .request_timeout(std::time::Duration::from_secs(10))
            .run()
            .await
            .unwrap();
        assert!(report.passed(), "{spec}: {report}");
        plan.destroy(&config)
            .options(options())
            .start()
            .join()
            .await
            .unwrap_or_else(|e| panic!("{spec}: destroy: {e}"));
        let log = emu.requests();
        let throttled = log
            .iter()
            .filter(|r| r.operation.is_empty() && matches!(r.status, 400 | 429 | 503))
            .count();
        let invisible = log
            .iter()
            .filter(|r| r.operation == "NewBucketWindow")
            .count();
        assert!(
            throttled > 0 && invisible > 0,
            "{spec}: {throttled} throttled, {invisible} NoSuchBucket"
        );
    }
}

/// Issue 16: a second apply right after the first, while the new distribution is not listed yet,
/// gets `DistributionAlreadyExists` for its CallerReference, looks at the listing again until it
/// shows the distribution, and carries on with it: one distribution, not two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distribution_listed_late_is_not_created_twice() {
    let emu = emulator().await;
    emu.set_service_knobs(
        "cloudfront",
        vod_emulator::knobs::ServiceKnobs {
            list_delay_ms: 6000,
            ..Default::default()
        },
    )
    .unwrap();
    let config = sdk_config(&emu).await;
    let pipeline = crate::publish::infra_only("s3-origin.toml");
    let plan = pipeline.plan();
    // Longer than the 6 s the knob hides the distribution for.
    let mut patient = options();
    patient.listing_lag = std::time::Duration::from_secs(20);
    let first = plan
        .apply(&config)
        .options(patient.clone())
        .start()
        .join()
        .await
        .unwrap();
    let second = plan
        .apply(&config)
        .options(patient)
        .start()
        .join()
        .await
        .expect("the second apply finds the distribution listed late");
    let (a, b) = (first.distribution.unwrap(), second.distribution.unwrap());
    assert_eq!(a.id, b.id);
    let creates = emu
        .requests()
        .iter()
        .filter(|r| r.operation == "CreateDistributionWithTags")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(creates, [201, 409], "one created, one refused as existing");
    tokio::time::sleep(std::time::Duration::from_millis(6000)).await;
    let listed = aws_sdk_cloudfront::Client::new(&config)
        .list_distributions()
        .send()
        .await
        .unwrap()
        .distribution_list()
        .map(|l| l.quantity())
        .unwrap_or(0);
    assert_eq!(listed, 1);
}

/// A spec without files for pipeline `p<i>` with the given TTLs, cache policies (the default) and
/// one allowed CORS origin (so a custom response headers policy).
fn numbered_spec(i: usize, max_ttl: &str) -> VodPipeline {
    let text = format!(
        r#"
name = "p{i:02}-vod"
region = "us-east-1"
[source]
bucket = "p{i:02}-vod-source"
[transcode]
role_arn = "arn:aws:iam::123456789012:role/r"
formats = ["hls"]
abr_ladder = [{{ width = 640, height = 360, max_bitrate = "1M" }}]
[s3_origin]
bucket = "p{i:02}-vod-origin"
[cloudfront]
object_caching = "customize"
min_ttl = "1s"
default_ttl = "1h"
max_ttl = "{max_ttl}"
cors_allowed_origins = ["https://app.example.com"]
"#
    );
    VodPipeline::from_toml_str(&text, std::env::temp_dir()).unwrap()
}

async fn custom_policy_counts(config: &aws_config::SdkConfig) -> (i32, i32) {
    use aws_sdk_cloudfront::types::{CachePolicyType, ResponseHeadersPolicyType};
    let cf = aws_sdk_cloudfront::Client::new(config);
    let cache = cf
        .list_cache_policies()
        .r#type(CachePolicyType::Custom)
        .send()
        .await
        .unwrap()
        .cache_policy_list
        .map_or(0, |l| l.quantity);
    let cors = cf
        .list_response_headers_policies()
        .r#type(ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .unwrap()
        .response_headers_policy_list
        .map_or(0, |l| l.quantity);
    (cache, cors)
}

/// Issue 16: 25 pipelines with the same cache and CORS settings apply, five at a time (results in
/// pipeline order), in one
/// account with CloudFront's default quotas on (20 custom cache policies, 20 response headers
/// policies): they share one cache policy and one response headers policy. Destroying one leaves
/// the others' distributions with their policies, and their refresh finds nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_pipelines_share_their_policies_within_the_quotas() {
    use futures::StreamExt;
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let pipelines: Vec<VodPipeline> = (0..25).map(|i| numbered_spec(i, "1d")).collect();
    let results: Vec<_> = futures::stream::iter(&pipelines)
        .map(|p| {
            let config = config.clone();
            async move {
                p.plan()
                    .apply(&config)
                    .options(options())
                    .start()
                    .join()
                    .await
            }
        })
        .buffered(5)
        .collect()
        .await;
    let deployments: Vec<_> = results
        .into_iter()
        .map(|r| r.expect("every pipeline applies"))
        .collect();
    assert_eq!(custom_policy_counts(&config).await, (1, 1));
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let listed = cf.list_distributions().send().await.unwrap();
    assert_eq!(listed.distribution_list().map(|l| l.quantity()), Some(25));
    let policy_of = |id: String| {
        let cf = cf.clone();
        async move {
            let c = cf.get_distribution_config().id(id).send().await.unwrap();
            let b = c
                .distribution_config()
                .unwrap()
                .default_cache_behavior()
                .unwrap();
            (
                b.cache_policy_id().unwrap_or_default().to_owned(),
                b.response_headers_policy_id()
                    .unwrap_or_default()
                    .to_owned(),
            )
        }
    };
    let shared = policy_of(deployments[1].distribution.clone().unwrap().id).await;
    assert_eq!(
        policy_of(deployments[24].distribution.clone().unwrap().id).await,
        shared
    );

    // Destroy the first: its distribution goes, the shared policies stay (in use), the others work.
    pipelines[0]
        .plan()
        .destroy(&config)
        .options(options())
        .start()
        .join()
        .await
        .expect("destroy keeps the shared policies");
    assert_eq!(custom_policy_counts(&config).await, (1, 1));
    let listed = cf.list_distributions().send().await.unwrap();
    assert_eq!(listed.distribution_list().map(|l| l.quantity()), Some(24));
    assert_eq!(
        policy_of(deployments[1].distribution.clone().unwrap().id).await,
        shared
    );
    let refresh = pipelines[1].plan().refresh(&config).await.unwrap();
    assert!(
        refresh
            .steps
            .iter()
            .all(|s| s.change == vod_pipeline::Change::NoOp),
        "{refresh}"
    );
    assert!(refresh.warnings.is_empty(), "{refresh}");
}

/// Issue 16: with 20 custom cache policies in the account, a pipeline whose settings need a new one
/// gets a refresh warning naming the quota, and its apply fails with CloudFront's
/// `TooManyCachePolicies` (the emulator enforces the default quota).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_quota_is_warned_about_and_enforced() {
    let emu = emulator().await;
    let config = sdk_config(&emu).await;
    let cf = aws_sdk_cloudfront::Client::new(&config);
    for i in 0..20 {
        cf.create_cache_policy()
            .cache_policy_config(other_policy(&format!("filler-{i}")))
            .send()
            .await
            .unwrap();
    }
    let pipeline = numbered_spec(30, "1d");
    let refresh = pipeline.plan().refresh(&config).await.unwrap();
    assert_eq!(refresh.warnings.len(), 1, "{refresh}");
    assert!(
        refresh.warnings[0].contains("20 custom cache policies")
            && refresh.warnings[0].contains("limits-policies"),
        "{refresh}"
    );
    assert!(
        refresh.to_string().contains("warning: the account has 20"),
        "{refresh}"
    );
    let err = pipeline
        .plan()
        .apply(&config)
        .options(options())
        .start()
        .join()
        .await
        .unwrap_err();
    assert_eq!(err.aws_code(), Some("TooManyCachePolicies"), "{err}");
}

/// A custom cache policy of that name (the test fills the account's quota with them).
fn other_policy(name: &str) -> aws_sdk_cloudfront::types::CachePolicyConfig {
    use aws_sdk_cloudfront::types::*;
    CachePolicyConfig::builder()
        .name(name)
        .min_ttl(0)
        .default_ttl(60)
        .max_ttl(600)
        .parameters_in_cache_key_and_forwarded_to_origin(
            ParametersInCacheKeyAndForwardedToOrigin::builder()
                .enable_accept_encoding_gzip(false)
                .headers_config(
                    CachePolicyHeadersConfig::builder()
                        .header_behavior(CachePolicyHeaderBehavior::None)
                        .build()
                        .unwrap(),
                )
                .cookies_config(
                    CachePolicyCookiesConfig::builder()
                        .cookie_behavior(CachePolicyCookieBehavior::None)
                        .build()
                        .unwrap(),
                )
                .query_strings_config(
                    CachePolicyQueryStringsConfig::builder()
                        .query_string_behavior(CachePolicyQueryStringBehavior::None)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// An endpoint URL where nothing listens (a wrong or stopped emulator): refresh, apply and a
/// publish fail at once with `Error::Unreachable` naming it, before any call. Without the check,
/// the SDK retried the refused connection for about 14 s and the error named no endpoint.
#[tokio::test]
async fn a_refused_endpoint_is_named_at_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let pipeline = VodPipeline::from_toml_file(shared_spec("s3-origin.toml")).unwrap();
    let named = |e: &Error| match e {
        Error::Unreachable {
            endpoint: named, ..
        } => {
            assert_eq!(named, &endpoint);
            assert!(e.to_string().contains(&endpoint), "{e}");
            assert_eq!(e.category(), vod_pipeline::ErrorCategory::Local);
        }
        other => panic!("{other:?}"),
    };
    let t = std::time::Instant::now();
    named(&pipeline.plan().refresh(&config).await.unwrap_err());
    named(
        &pipeline
            .plan()
            .apply(&config)
            .start()
            .join()
            .await
            .unwrap_err(),
    );
    named(
        &pipeline
            .client(&config)
            .publish(vod_pipeline::AssetSource::file(shared_spec("sample.mp4")))
            .start()
            .join()
            .await
            .unwrap_err(),
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
}
