//! Latency and fault injection per service. Owner: core.
//!
//! Knobs are keyed by service name: `s3`, `mediaconvert`, `mediastore` (control and data plane), `cloudfront`
//! (API) and `edge` (viewer requests). The key `*` applies to every service that has no entry of its own.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Knobs for one service. Probabilities are in `[0, 1]`; they are tried in the order
/// drop, throttle, error (one random draw each).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceKnobs {
    /// Added latency before the request is served, in milliseconds.
    pub latency_ms: u64,
    /// Probability of answering with the service's throttling error.
    pub throttle_probability: f64,
    /// Probability of answering with a 500 internal error.
    pub error_probability: f64,
    /// Probability of closing the connection without any response.
    pub drop_probability: f64,
    /// `edge` only: viewer responses carry no `Access-Control-*` header, as if the distribution had
    /// no CORS policy and the origin no CORS rules. For testing what a player sees when CORS breaks.
    pub drop_cors: bool,
    /// `edge` only: apply each cache behavior's `ViewerProtocolPolicy`. The edge serves plain HTTP, so with this on
    /// every viewer request counts as HTTP unless it carries `X-Forwarded-Proto: https` (a TLS proxy in front):
    /// `redirect-to-https` answers 301 with the `https://` URL and `https-only` answers 403, as CloudFront does.
    /// Off by default, so that local `http://` playback works whatever the distribution says.
    pub enforce_viewer_protocol: bool,
    /// `edge` only: every origin fetch of the edge answers with this status (500 to 599; 0, the default, is off),
    /// as an origin in trouble would. For testing what viewers get then: cached 5xx, and expired objects served
    /// stale.
    pub origin_error_status: u16,
    /// `s3` only: for this many milliseconds after CreateBucket, every other request on the new bucket gets
    /// `NoSuchBucket`, as S3 may answer while a new bucket propagates (it is eventually consistent,
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html>). 0 (the default) is off.
    pub new_bucket_window_ms: u64,
    /// `cloudfront` only: a distribution is missing from `ListDistributions` for this many milliseconds after it
    /// is created, as CloudFront's listings are eventually consistent. 0 (the default) is off.
    pub list_delay_ms: u64,
    /// Throttling by rate: at most this many requests a second to the service for each HTTP method (a token
    /// bucket per service and method, holding one second's worth), beyond which requests get the service's
    /// throttling error, as AWS's per-operation rate limits answer. 0 (the default) is off.
    pub requests_per_second: f64,
}

/// All knobs: service name (or `*`) to its knobs. This is the JSON body of `PUT /_emulator/knobs`.
pub type KnobsConfig = BTreeMap<String, ServiceKnobs>;

/// What the router should do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with the service's throttling error.
    Throttle,
    /// Answer with a 500 internal error.
    Error,
    /// Close the connection without a response.
    Drop,
}

/// Latency and fault injection per service.
#[derive(Default)]
pub struct Knobs {
    config: Mutex<KnobsConfig>,
    /// Token buckets of `requests_per_second`: (service, method) to (tokens, last refill).
    buckets: Mutex<std::collections::HashMap<(String, String), (f64, std::time::Instant)>>,
}

impl Knobs {
    /// Replaces all knobs.
    pub fn set(&self, config: KnobsConfig) -> Result<(), String> {
        for (service, k) in &config {
            for (name, p) in [
                ("throttle_probability", k.throttle_probability),
                ("error_probability", k.error_probability),
                ("drop_probability", k.drop_probability),
            ] {
                if !(0.0..=1.0).contains(&p) || p.is_nan() {
                    return Err(format!("{service}.{name} must be within [0, 1], got {p}"));
                }
            }
            if k.origin_error_status != 0 && !(500..=599).contains(&k.origin_error_status) {
                return Err(format!(
                    "{service}.origin_error_status must be 0 (off) or a 5xx status, got {}",
                    k.origin_error_status
                ));
            }
            let rate = k.requests_per_second;
            if !rate.is_finite() || rate < 0.0 {
                return Err(format!(
                    "{service}.requests_per_second must be a number of requests a second, 0 or more, got {rate}"
                ));
            }
        }
        *self.config.lock().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(())
    }

    /// The current knobs.
    pub fn get(&self) -> KnobsConfig {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets the knobs of one service (or `*`), keeping the others.
    pub fn set_service(&self, service: &str, knobs: ServiceKnobs) -> Result<(), String> {
        let mut all = self.get();
        all.insert(service.to_string(), knobs);
        self.set(all)
    }

    /// Clears every knob.
    pub fn clear(&self) {
        self.config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The knobs of `service`, else those of `*`, applied with `f`; `None` when neither is set.
    fn with_service<T>(&self, service: &str, f: impl FnOnce(&ServiceKnobs) -> T) -> Option<T> {
        let config = self.config.lock().unwrap_or_else(|e| e.into_inner());
        config.get(service).or_else(|| config.get("*")).map(f)
    }

    /// Whether `service` (or `*`) has `drop_cors` set.
    pub fn drop_cors(&self, service: &str) -> bool {
        self.with_service(service, |k| k.drop_cors).unwrap_or(false)
    }

    /// Whether `edge` (or `*`) has [`ServiceKnobs::enforce_viewer_protocol`] set.
    pub fn enforce_viewer_protocol(&self) -> bool {
        self.with_service("edge", |k| k.enforce_viewer_protocol)
            .unwrap_or(false)
    }

    /// The `edge` knob [`ServiceKnobs::origin_error_status`] (or that of `*`), when set.
    pub fn origin_error_status(&self) -> Option<u16> {
        self.with_service("edge", |k| k.origin_error_status)
            .filter(|s| *s != 0)
    }

    /// The `s3` knob [`ServiceKnobs::new_bucket_window_ms`] (or that of `*`).
    pub fn new_bucket_window(&self) -> Duration {
        Duration::from_millis(
            self.with_service("s3", |k| k.new_bucket_window_ms)
                .unwrap_or(0),
        )
    }

    /// The `cloudfront` knob [`ServiceKnobs::list_delay_ms`] (or that of `*`).
    pub fn list_delay(&self) -> Duration {
        Duration::from_millis(
            self.with_service("cloudfront", |k| k.list_delay_ms)
                .unwrap_or(0),
        )
    }

    /// Takes a token of the `(service, method)` bucket of [`ServiceKnobs::requests_per_second`]; `false` when
    /// the bucket is empty (the request is throttled).
    fn take_token(&self, service: &str, method: &str, rate: f64) -> bool {
        let now = std::time::Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let capacity = rate.max(1.0);
        let (tokens, last) = buckets
            .entry((service.to_string(), method.to_string()))
            .or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(capacity);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Draws the latency and fault for one `method` request to `service`: the probabilities (drop,
    /// throttle, error), then the rate limit ([`ServiceKnobs::requests_per_second`]).
    pub fn decide(&self, service: &str, method: &str) -> (Duration, Option<Fault>) {
        let Some(k) = self.with_service(service, ServiceKnobs::clone) else {
            return (Duration::ZERO, None);
        };
        let latency = Duration::from_millis(k.latency_ms);
        let hit = |p: f64| p > 0.0 && (p >= 1.0 || rand::random::<f64>() < p);
        let fault = if hit(k.drop_probability) {
            Some(Fault::Drop)
        } else if hit(k.throttle_probability) {
            Some(Fault::Throttle)
        } else if hit(k.error_probability) {
            Some(Fault::Error)
        } else if k.requests_per_second > 0.0
            && !self.take_token(service, method, k.requests_per_second)
        {
            Some(Fault::Throttle)
        } else {
            None
        };
        (latency, fault)
    }
}
