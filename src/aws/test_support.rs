//! A [`Ctx`] over SDK clients answered by `aws-smithy-mocks` rules, for the executor's unit tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};

use super::{Clients, Ctx};
use crate::apply::event::{ApplyOptions, Event};

/// Rules per service; a service without rules fails every call.
#[derive(Default)]
pub(crate) struct Rules<'a> {
    pub s3: &'a [&'a Rule],
    pub mediaconvert: &'a [&'a Rule],
    pub mediastore: &'a [&'a Rule],
    pub cloudfront: &'a [&'a Rule],
}

fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |i, r| i.with_rule(r),
    )
}

macro_rules! client {
    ($krate:ident, $rules:expr) => {{
        use $krate::config::{BehaviorVersion, Credentials, Region};
        $krate::Client::from_conf(
            $krate::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .http_client(create_mock_http_client())
                .interceptor(interceptor($rules))
                .build(),
        )
    }};
}

/// A context whose clients answer from `rules`, with fast polling; returns the recorded events too.
pub(crate) fn mock_ctx(rules: Rules<'_>) -> (Ctx, Arc<Mutex<Vec<Event>>>) {
    let sdk_config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let clients = Clients {
        sdk_config,
        s3: client!(aws_sdk_s3, rules.s3),
        mediaconvert: client!(aws_sdk_mediaconvert, rules.mediaconvert),
        mediastore: client!(aws_sdk_mediastore, rules.mediastore),
        cloudfront: client!(aws_sdk_cloudfront, rules.cloudfront),
        job_polls: Arc::new(super::rate::RateLimit::new(1000)),
        invalidations: Arc::default(),
        endpoint_ok: Arc::default(),
    };
    let options = ApplyOptions {
        poll_interval: Duration::from_millis(1),
        max_poll_interval: Duration::from_millis(4),
        job_timeout: Duration::from_secs(30),
        deploy_timeout: Duration::from_secs(30),
        listing_lag: Duration::ZERO,
        ..ApplyOptions::default()
    };
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let ctx = Ctx::new(
        clients,
        options,
        "vod".into(),
        Box::new(move |e| sink.lock().unwrap_or_else(|p| p.into_inner()).push(e)),
    );
    (ctx, events)
}
