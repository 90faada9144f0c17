//! Playback verification: fetch what a player fetches, through the distribution, and check it
//! against the pipeline.
//!
//! [`Deployment::verify`] takes the pipeline the deployment was made from. For each asset and
//! format it GETs, through the playback URL:
//!
//! - the master playlist and every media playlist (parsed with `m3u8-rs`), or the MPD (parsed with
//!   `dash-mpd-core`);
//! - the initialization segment, if any, and the first media segment of every rendition;
//!
//! and checks what the table says. Each row is a [`CheckKind`]; a check asserts only what
//! CloudFront's documentation promises, and nothing that depends on what the guide leaves open, so what
//! passes against the emulator should pass against AWS.
//!
//! | Check | What it asserts | Why CloudFront gives exactly that |
//! | --- | --- | --- |
//! | `manifest` | Every master and media playlist (`m3u8-rs`) and every MPD (`dash-mpd-core`) parses and lists renditions. | CloudFront serves the origin's bytes as stored. It compresses only for a viewer that sends `Accept-Encoding`, and verify sends none ([Serve compressed files](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html)). |
//! | `variant` | Each rung's resolution is advertised, and each advertised bandwidth is at most the rung's video `max_bitrate` plus the audio bitrate plus a tolerance (QVBR encodes below its cap, so there is no lower bound). | A property of the encode; CloudFront does not touch manifests. |
//! | `fetch` | Every manifest, initialization segment and first media segment answers 200 with a Content-Type a player accepts for its extension (HLS: `application/vnd.apple.mpegurl` or `x-mpegurl`; DASH: `application/dash+xml`; segments: `video/mp2t`, `video/mp4`, ...), with CORS for the allowed origin. | CloudFront passes the origin's `Content-Type` through: it is not among the headers it removes or replaces ([S3 origins](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorS3Origin.html)). |
//! | `cors-allowed` | A GET with an allowed `Origin` gets `Access-Control-Allow-Origin` equal to that origin, or `*`. | The response headers policy adds it on every response to an allowed origin; with legacy settings, `Origin` is forwarded, so the origin's CORS rules answer ([Response headers policies](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/understanding-response-headers-policies.html), [CORS settings](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/header-caching.html)). |
//! | `cors-disallowed` | A GET with an origin that is not allowed gets no `Access-Control-Allow-Origin` naming it (or `*`). | `Origin` is part of the cache key, so an allowed origin's cached answer is never served to another origin. |
//! | `cache-ttl` | With `customize`, the origin's `max-age` lies within `min_ttl..max_ttl`; with `origin-cache-headers`, the origin sends one (or `Expires`). A second GET is a hit whose `Age` is within the TTL CloudFront applies: `s-maxage` or `max-age`, else the time from storing to `Expires`, clamped to the TTLs, else `default_ttl`. A miss is retried, up to 3 GETs a second apart, since an edge location has many cache servers. | [Manage how long content stays in the cache](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html). |
//! | `error-cache` | Two GETs of an object that cannot exist give the same status, 404 or 403. A 404 is cached, with an `Age` within `error_caching_min_ttl` (a repeat GET that reached the origin is tried twice more, 250 ms apart, since an edge location has many cache servers), or not cached at all when that is 0 (for an S3 origin, 0 counts as 1 s, so either passes). A 403 without `max-age` passes cached or not, but a cached one must be within `error_caching_min_ttl`. Any other status, a changed status or an older `Age` fails. | S3 answers a missing key with 403 unless the reader may list the bucket, and the pipeline grants no `s3:ListBucket` ([GetObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)). CloudFront caches 404 by default, and 403 only with `max-age` or `s-maxage`, for the greater of that and `ErrorCachingMinTTL` ([HTTP status codes](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html), [Error caching](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/custom-error-pages-expiration.html)). The guide does not say whether a custom error response's `ErrorCachingMinTTL` caches a 403 that has no `max-age`, so verify accepts both readings. |
//! | `private` | For a private pipeline, a request without a signature is refused with 403. | A behavior with trusted key groups serves only signed URLs or cookies ([Serve private content](https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/PrivateContent.html)). |
//! | `state-hidden` | The asset's job marker and copy marker are not served (anything but 200). | The origin policy denies them to the distribution, and CloudFront passes the origin's 403 to the viewer. |
//!
//! The result is a [`VerifyReport`]: one [`Check`] per finding, a table in `Display`, JSON through
//! serde. The parsing and the rules are pure functions, unit-tested on good and broken manifests;
//! only the fetching does I/O.
//!
//! ```no_run
//! # async fn demo(config: aws_config::SdkConfig) -> Result<(), vod_pipeline::Error> {
//! use vod_pipeline::VodPipeline;
//!
//! let pipeline = VodPipeline::from_toml_file("examples/specs/s3-origin.toml")?;
//! let deployment = pipeline.plan().deployment(&config).await?;
//! let report = deployment.verify(&pipeline).run().await?;
//! println!("{report}");
//! assert!(report.passed(), "{} checks failed", report.failures().count());
//! # Ok(()) }
//! ```

mod checks;
mod fetch;
mod manifest;

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use crate::apply::{Deployment, PlaybackUrl};
use crate::types::{CorsOrigin, ManifestKind};
use crate::{Error, VodPipeline};
use checks::{Finding, Response};
use fetch::Fetcher;
use manifest::{LadderExpectation, Rung};

/// What a check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CheckKind {
    /// A manifest parses and lists renditions.
    Manifest,
    /// An advertised variant or representation against its ladder rung.
    Variant,
    /// A GET: status 200, Content-Type, and CORS for the allowed origin.
    Fetch,
    /// An allowed `Origin` gets `Access-Control-Allow-Origin`.
    CorsAllowed,
    /// An origin that is not allowed gets no access.
    CorsDisallowed,
    /// Cache headers and the cache hit agree with the TTLs.
    CacheTtl,
    /// A missing object is answered as CloudFront documents: 404 cached within
    /// `error_caching_min_ttl`, or 403 cached within it or not at all.
    ErrorCache,
    /// A private distribution refuses a request without a signature (403).
    Private,
    /// The pipeline's own state objects (job marker, copy marker) are not served to viewers.
    StateHidden,
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckKind::Manifest => "manifest",
            CheckKind::Variant => "variant",
            CheckKind::Fetch => "fetch",
            CheckKind::CorsAllowed => "cors-allowed",
            CheckKind::CorsDisallowed => "cors-disallowed",
            CheckKind::CacheTtl => "cache-ttl",
            CheckKind::ErrorCache => "error-cache",
            CheckKind::Private => "private",
            CheckKind::StateHidden => "state-hidden",
        })
    }
}

/// A check's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// As the pipeline promises.
    Pass,
    /// Not as the pipeline promises: a viewer would notice, or the configuration is not applied.
    Fail,
    /// Could not be checked with this configuration (the reason is in the detail).
    Skip,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Check {
    /// The asset id; empty for checks of the distribution as a whole.
    pub asset: String,
    /// `hls`, `dash` or `cmaf`; empty for checks of the distribution as a whole.
    pub format: String,
    /// What was checked.
    pub kind: CheckKind,
    /// The URL or rendition checked.
    pub subject: String,
    /// The result.
    pub outcome: Outcome,
    /// What was seen, and for a failure, what was expected.
    pub detail: String,
}

/// The result of [`Deployment::verify`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The pipeline.
    pub pipeline: String,
    /// The `Origin` sent as an allowed origin, if the pipeline allows any.
    pub allowed_origin: Option<String>,
    /// The `Origin` sent as one that is not allowed.
    pub disallowed_origin: String,
    /// Every finding, in the order of the playback URLs.
    pub checks: Vec<Check>,
}

impl VerifyReport {
    /// Whether no check failed (skipped checks do not fail a report).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Fail)
    }

    /// How many checks passed, failed and were skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |o| self.checks.iter().filter(|c| c.outcome == o).count();
        (n(Outcome::Pass), n(Outcome::Fail), n(Outcome::Skip))
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Playback verification of pipeline {:?}:", self.pipeline)?;
        let w = |get: fn(&Check) -> usize, head: &str| {
            self.checks
                .iter()
                .map(get)
                .max()
                .unwrap_or(0)
                .max(head.len())
        };
        let (wa, wf, wk) = (
            w(|c| c.asset.len(), "ASSET"),
            w(|c| c.format.len(), "FORMAT"),
            w(|c| c.kind.to_string().len(), "CHECK"),
        );
        writeln!(
            f,
            "  {:<6} {:<wa$} {:<wf$} {:<wk$} SUBJECT / DETAIL",
            "RESULT", "ASSET", "FORMAT", "CHECK"
        )?;
        for c in &self.checks {
            writeln!(
                f,
                "  {:<6} {:<wa$} {:<wf$} {:<wk$} {}",
                c.outcome.to_string(),
                c.asset,
                c.format,
                c.kind.to_string(),
                c.subject
            )?;
            writeln!(
                f,
                "  {:<6} {:<wa$} {:<wf$} {:<wk$}   {}",
                "", "", "", "", c.detail
            )?;
        }
        let (pass, fail, skip) = self.counts();
        write!(
            f,
            "{} checks: {pass} passed, {fail} failed, {skip} skipped",
            self.checks.len()
        )
    }
}

/// What the pipeline promises, in the terms the checks need.
struct Expectations {
    ladder: LadderExpectation,
    caching: crate::types::ObjectCaching,
    error_ttl: u64,
    /// The origin is an S3 bucket (else a MediaStore container).
    s3_origin: bool,
    allowed: Option<String>,
    disallowed: String,
    any_origin: bool,
}

/// The `Origin` sent as not allowed when none is given: a reserved name (RFC 2606) no pipeline lists.
const DEFAULT_DISALLOWED: &str = "https://not-allowed.vod-pipeline.invalid";

#[bon::bon]
impl Deployment {
    /// Verifies playback through the distribution, as a player would fetch it: see the
    /// [module documentation](crate::verify) for what is fetched and checked. `pipeline` is the
    /// pipeline this deployment was made from.
    ///
    /// Failed checks are findings in the report, not errors; the error is for a deployment with no
    /// playback URL ([`Error::NotDeployed`]), a disallowed origin the pipeline allows
    /// ([`Error::Invalid`]), or an HTTP client that cannot be built.
    #[builder(finish_fn = run)]
    pub async fn verify(
        &self,
        #[builder(start_fn)] pipeline: &VodPipeline,
        /// The `Origin` to send as allowed. Default: the first of `cors_allowed_origins` that is
        /// not `*`.
        allowed_origin: Option<CorsOrigin>,
        /// The `Origin` to send as not allowed. Default: `https://not-allowed.vod-pipeline.invalid`.
        disallowed_origin: Option<CorsOrigin>,
        /// How far above a rung's cap (video `MaxBitrate` + audio bitrate) an advertised bandwidth
        /// may be, in percent. Default 10.
        #[builder(default = 10)]
        bandwidth_tolerance_percent: u32,
        /// Timeout of each GET. Default 30 s.
        #[builder(default = Duration::from_secs(30))]
        request_timeout: Duration,
        /// GETs in flight at once for one playback URL (its playlists and segments); half as many
        /// playback URLs, rounded up, are verified at a time. Default 4.
        #[builder(default = 4)]
        concurrency: usize,
        /// For a private pipeline (`[cloudfront.private_content]`), required: a signer whose key is
        /// in the key group. Every GET then carries signed cookies for the distribution (valid 10
        /// minutes), and one GET without them must be refused with 403.
        signer: Option<crate::sign::Signer>,
    ) -> Result<VerifyReport, Error> {
        let expect = expectations(
            pipeline,
            allowed_origin,
            disallowed_origin,
            bandwidth_tolerance_percent,
        )?;
        if self.playback.is_empty() {
            return Err(Error::NotDeployed {
                pipeline: self.pipeline.clone(),
                reason: match &self.distribution {
                    None => "it has no CloudFront distribution; apply it first".into(),
                    Some(d) => format!("distribution {} has no playback URL", d.id),
                },
            });
        }
        let private = pipeline.cloudfront().private_content.is_some();
        let cookie = match (&signer, private) {
            (None, true) => {
                return Err(Error::Invalid(crate::error::Violations(vec![
                    crate::error::Violation {
                        field: "signer".into(),
                        value: String::new(),
                        rule: "the pipeline serves private content: give a signer (vod verify --key <private.pem> --key-pair-id <id>)".into(),
                    },
                ])));
            }
            (Some(signer), _) => {
                let first = &self.playback[0].url;
                let host = first.host_str().unwrap_or_default();
                let port = first.port().map(|p| format!(":{p}")).unwrap_or_default();
                let policy = crate::sign::Policy::builder()
                    .resource(format!("{}://{host}{port}/*", first.scheme()))
                    .expires(std::time::SystemTime::now() + Duration::from_secs(600))
                    .build()?;
                Some(signer.cookies(&policy)?.cookie_header())
            }
            (None, false) => None,
        };
        let fetcher = Fetcher::new(request_timeout)?.with_cookie(cookie);
        let concurrency = concurrency.max(1);
        let v = Verifier {
            fetcher: &fetcher,
            expect: &expect,
            concurrency,
            cache_retry_delay: Duration::from_secs(1),
        };
        let per_url = futures::stream::iter(&self.playback)
            .map(|p| v.playback(p))
            .buffered(concurrency.div_ceil(2))
            .collect::<Vec<_>>()
            .await;
        let mut checks: Vec<Check> = per_url.into_iter().flatten().collect();
        // Per asset: its state objects are not served.
        let mut assets = BTreeSet::new();
        for p in &self.playback {
            if assets.insert(p.asset.clone()) {
                for f in v.state_hidden(&p.url, &p.asset).await {
                    checks.push(attach(f, &p.asset, ""));
                }
            }
        }
        // One error-cache check per distribution host, and for private content one unsigned GET.
        let mut hosts = BTreeSet::new();
        for p in &self.playback {
            if hosts.insert(p.url.origin().ascii_serialization()) {
                let f = v.error_cache(&p.url).await;
                checks.push(attach(f, "", ""));
                if private {
                    let f = v.unsigned_refused(&p.url).await;
                    checks.push(attach(f, &p.asset, p.format.as_str()));
                }
            }
        }
        Ok(VerifyReport {
            pipeline: self.pipeline.clone(),
            allowed_origin: expect.allowed.clone(),
            disallowed_origin: expect.disallowed.clone(),
            checks,
        })
    }
}

/// Checks the origins a verification is asked to send, before any call: an allowed origin must be one
/// that `cloudfront.cors_allowed_origins` lists (any, with `*`), and a disallowed one must not be. The
/// problems ([`Error::Invalid`]) name the options `allowed_origin` and `disallowed_origin`, which are
/// values given to the verification, not fields of the spec. [`Deployment::verify`] checks the same
/// when it runs.
pub fn check_origins(
    pipeline: &VodPipeline,
    allowed: Option<&CorsOrigin>,
    disallowed: Option<&CorsOrigin>,
) -> Result<(), Error> {
    let cf = pipeline.cloudfront();
    let listed: Vec<&str> = cf.cors_allowed_origins.iter().map(|o| o.as_str()).collect();
    let any_origin = cf.cors_allowed_origins.iter().any(CorsOrigin::is_any);
    let mut problems = Vec::new();
    if let Some(a) = &allowed
        && !any_origin
        && !listed.contains(&a.as_str())
    {
        problems.push(crate::Violation {
            field: "allowed_origin".into(),
            value: a.to_string(),
            rule: format!("must be one of cloudfront.cors_allowed_origins {listed:?}"),
        });
    }
    if let Some(d) = &disallowed
        && (d.is_any() || listed.contains(&d.as_str()))
    {
        problems.push(crate::Violation {
            field: "disallowed_origin".into(),
            value: d.to_string(),
            rule: format!(
                "must be an origin that cloudfront.cors_allowed_origins {listed:?} does not list"
            ),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(crate::Violations(problems)));
    }
    Ok(())
}

fn expectations(
    pipeline: &VodPipeline,
    allowed: Option<CorsOrigin>,
    disallowed: Option<CorsOrigin>,
    tolerance: u32,
) -> Result<Expectations, Error> {
    check_origins(pipeline, allowed.as_ref(), disallowed.as_ref())?;
    let cf = pipeline.cloudfront();
    let any_origin = cf.cors_allowed_origins.iter().any(CorsOrigin::is_any);
    let allowed = allowed.map(|a| a.to_string()).or_else(|| {
        cf.cors_allowed_origins
            .iter()
            .find(|o| !o.is_any())
            .map(|o| o.to_string())
            .or_else(|| any_origin.then(|| "https://player.vod-pipeline.invalid".to_owned()))
    });
    let t = pipeline.transcode();
    Ok(Expectations {
        ladder: LadderExpectation {
            rungs: t
                .abr_ladder
                .renditions()
                .iter()
                .map(|r| Rung {
                    width: r.width(),
                    height: r.height(),
                    max_bitrate: r.max_bitrate().bps(),
                })
                .collect(),
            audio_bitrate: t.audio.iter().map(|a| a.bitrate().bps()).max().unwrap_or(0),
            tolerance_percent: tolerance,
        },
        caching: cf.object_caching,
        error_ttl: cf.error_caching_min_ttl.secs(),
        s3_origin: pipeline.origin().kind() == crate::OriginKind::S3,
        allowed,
        disallowed: disallowed
            .map(|d| d.to_string())
            .unwrap_or_else(|| DEFAULT_DISALLOWED.to_owned()),
        any_origin,
    })
}

fn attach(f: Finding, asset: &str, format: &str) -> Check {
    Check {
        asset: asset.to_owned(),
        format: format.to_owned(),
        kind: f.kind,
        subject: f.subject,
        outcome: f.outcome,
        detail: f.detail,
    }
}

/// How many repeat GETs the cache check makes at most before it reports a miss.
const CACHE_TRIES: u32 = 3;

/// The pause before another GET of a missing object whose 404 came from the origin again: short, so that the
/// retry falls within even a 1 s `error_caching_min_ttl`.
const ERROR_RETRY_PAUSE: Duration = Duration::from_millis(250);

struct Verifier<'a> {
    fetcher: &'a Fetcher,
    expect: &'a Expectations,
    concurrency: usize,
    /// The pause between repeat GETs of the cache check.
    cache_retry_delay: Duration,
}

impl Verifier<'_> {
    async fn get(&self, url: &str, origin: Option<&str>) -> Result<Response, Finding> {
        self.fetcher
            .get(url, origin)
            .await
            .map_err(|e| Finding::fail(CheckKind::Fetch, url, format!("GET failed: {e}")))
    }

    /// GETs `url` again and checks that the cache served it within the TTL. A miss where a hit is
    /// expected is retried, [`CACHE_TRIES`] GETs in all, [`Verifier::cache_retry_delay`] apart, before
    /// it is reported: a repeat request may reach another cache server of the same edge location.
    async fn cache_check(&self, url: &str, origin: Option<&str>) -> Finding {
        let mut tries = 1;
        loop {
            let again = match self.get(url, origin).await {
                Ok(r) => r,
                Err(f) => return f,
            };
            if tries < CACHE_TRIES && checks::missed_expected_hit(&again, &self.expect.caching) {
                tries += 1;
                tokio::time::sleep(self.cache_retry_delay).await;
                continue;
            }
            let mut f = checks::check_cache(&again, &self.expect.caching);
            if tries > 1 {
                f.detail = format!("{} (repeat GET {tries} of {CACHE_TRIES})", f.detail);
            }
            return f;
        }
    }

    /// Every check of one playback URL.
    async fn playback(&self, p: &PlaybackUrl) -> Vec<Check> {
        tracing::info!(asset = %p.asset, format = %p.format, url = %p.url, "verify: playback URL");
        self.findings(p)
            .await
            .into_iter()
            .map(|f| attach(f, &p.asset, p.format.as_str()))
            .collect()
    }

    async fn findings(&self, p: &PlaybackUrl) -> Vec<Finding> {
        let allowed = self.expect.allowed.as_deref();
        let url = p.url.as_str();
        let mut out = Vec::new();
        let first = match self.get(url, allowed).await {
            Ok(r) => r,
            Err(f) => return vec![f],
        };
        out.push(checks::check_fetch(&first, allowed));
        if first.status != 200 {
            return out;
        }
        out.extend(self.cors_checks(&first).await);
        // The same request again: served from the cache.
        out.push(self.cache_check(url, allowed).await);
        let segments = if p.manifest == ManifestKind::Mpd {
            let mpd = manifest::check_mpd(url, &first.body, &self.expect.ladder);
            out.extend(mpd.findings);
            mpd.segments
        } else {
            let master = manifest::check_hls_master(url, &first.body, &self.expect.ladder);
            out.extend(master.findings);
            let media: Vec<String> = master
                .media_playlists
                .iter()
                .filter_map(|m| join(url, m, &mut out))
                .collect();
            let fetched = self.fetch_all(&media).await;
            let mut segments = Vec::new();
            for (url, r) in media.iter().zip(fetched) {
                match r {
                    Ok(r) => {
                        out.push(checks::check_fetch(&r, allowed));
                        // A CORS or Content-Type failure is reported; the segments are still checked.
                        if r.status == 200 {
                            match manifest::hls_first_segment(&r.body) {
                                Ok(uris) => segments
                                    .extend(uris.iter().filter_map(|u| join(url, u, &mut out))),
                                Err(e) => out.push(Finding::fail(CheckKind::Manifest, url, e)),
                            }
                        }
                    }
                    Err(f) => out.push(f),
                }
            }
            segments
        };
        let fetched = self.fetch_all(&segments).await;
        for r in fetched {
            match r {
                Ok(r) => out.push(checks::check_fetch(&r, allowed)),
                Err(f) => out.push(f),
            }
        }
        // One segment's cache headers too (media segments are most of what CloudFront caches).
        if let Some(seg) = segments.last() {
            out.push(self.cache_check(seg, allowed).await);
        }
        out
    }

    async fn cors_checks(&self, first: &Response) -> Vec<Finding> {
        let mut out = Vec::new();
        match self.expect.allowed.as_deref() {
            Some(origin) => out.push(checks::check_cors_allowed(first, origin)),
            None => out.push(Finding::skip(
                CheckKind::CorsAllowed,
                &first.url,
                "cloudfront.cors_allowed_origins is empty: no origin is allowed",
            )),
        }
        if self.expect.any_origin {
            out.push(Finding::skip(
                CheckKind::CorsDisallowed,
                &first.url,
                "cloudfront.cors_allowed_origins has \"*\": every origin is allowed",
            ));
        } else {
            match self.get(&first.url, Some(&self.expect.disallowed)).await {
                Ok(r) => out.push(checks::check_cors_disallowed(&r, &self.expect.disallowed)),
                Err(f) => out.push(f),
            }
        }
        out
    }

    async fn fetch_all(&self, urls: &[String]) -> Vec<Result<Response, Finding>> {
        let allowed = self.expect.allowed.as_deref();
        futures::stream::iter(urls)
            .map(|u| self.get(u, allowed))
            .buffered(self.concurrency)
            .collect()
            .await
    }

    /// GETs a playback URL without signed cookies: a private distribution must answer 403.
    async fn unsigned_refused(&self, playback: &url::Url) -> Finding {
        match self.fetcher.get_unsigned(playback.as_str()).await {
            Ok(r) if r.status == 403 => Finding::pass(
                CheckKind::Private,
                playback.as_str(),
                "an unsigned request is refused (403)",
            ),
            Ok(r) => Finding::fail(
                CheckKind::Private,
                playback.as_str(),
                format!(
                    "an unsigned request got {}, not 403: the content is public",
                    r.status
                ),
            ),
            Err(e) => Finding::fail(
                CheckKind::Private,
                playback.as_str(),
                format!("GET failed: {e}"),
            ),
        }
    }

    /// GETs the asset's job marker and copy marker through the distribution (with the signed
    /// cookies of a private pipeline): neither may be served. The origin policy denies them to the
    /// distribution whether they exist or not.
    async fn state_hidden(&self, playback: &url::Url, asset: &str) -> Vec<Finding> {
        let mut out = Vec::new();
        for name in [crate::names::JOB_MARKER, crate::names::COPY_MARKER] {
            let mut url = playback.clone();
            url.set_query(None);
            url.set_path(&format!("/{asset}/{name}"));
            let f = match self.get(url.as_str(), None).await {
                Ok(r) if r.status == 200 => Finding::fail(
                    CheckKind::StateHidden,
                    url.as_str(),
                    "the pipeline's state object is served to viewers (200): the origin policy must deny it",
                ),
                Ok(r) => Finding::pass(
                    CheckKind::StateHidden,
                    url.as_str(),
                    format!("not served ({})", r.status),
                ),
                Err(mut f) => {
                    f.kind = CheckKind::StateHidden;
                    f
                }
            };
            out.push(f);
        }
        out
    }

    /// GETs an object that cannot exist, twice, beside the playback URL.
    async fn error_cache(&self, playback: &url::Url) -> Finding {
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let Ok(missing) = playback.join(&format!("vod-pipeline-verify-missing-{nonce}.m3u8"))
        else {
            return Finding::fail(
                CheckKind::ErrorCache,
                playback.as_str(),
                "cannot build a URL",
            );
        };
        let first = match self.get(missing.as_str(), None).await {
            Ok(r) => r,
            Err(f) => return f,
        };
        let mut second = match self.get(missing.as_str(), None).await {
            Ok(r) => r,
            Err(f) => return f,
        };
        for _ in 1..CACHE_TRIES {
            if !checks::missed_expected_error_hit(&first, &second, self.expect.error_ttl) {
                break;
            }
            tokio::time::sleep(ERROR_RETRY_PAUSE).await;
            second = match self.get(missing.as_str(), None).await {
                Ok(r) => r,
                Err(f) => return f,
            };
        }
        checks::check_error_cache(
            &first,
            &second,
            self.expect.error_ttl,
            self.expect.s3_origin,
        )
    }
}

/// Resolves `uri` against `base`; a failure becomes a finding.
fn join(base: &str, uri: &str, out: &mut Vec<Finding>) -> Option<String> {
    match url::Url::parse(base).and_then(|b| b.join(uri)) {
        Ok(u) => Some(u.to_string()),
        Err(e) => {
            out.push(Finding::fail(
                CheckKind::Manifest,
                uri,
                format!("cannot resolve against {base}: {e}"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Outcome) -> Check {
        Check {
            asset: "a".into(),
            format: "hls".into(),
            kind: CheckKind::Fetch,
            subject: "http://d.localhost/a.m3u8".into(),
            outcome,
            detail: "200".into(),
        }
    }

    /// A one-connection-at-a-time HTTP server on 127.0.0.1 that answers the first `misses` GETs with
    /// `X-Cache: Miss from cloudfront` and the rest with a hit. It returns its URL and a count of the
    /// requests it answered.
    async fn edge(misses: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/a/seg_1.ts", listener.local_addr().unwrap());
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = served.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let n = count.fetch_add(1, Ordering::SeqCst);
                let x_cache = if n < misses { "Miss" } else { "Hit" };
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nx-cache: {x_cache} from cloudfront\r\ncache-control: max-age=60\r\n\
                     age: 1\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            }
        });
        (url, served)
    }

    async fn cache_check(misses: usize) -> (Finding, usize) {
        let (url, served) = edge(misses).await;
        let fetcher = Fetcher::new(Duration::from_secs(5)).unwrap();
        let expect = Expectations {
            ladder: LadderExpectation {
                rungs: Vec::new(),
                audio_bitrate: 0,
                tolerance_percent: 10,
            },
            caching: crate::types::ObjectCaching::OriginCacheHeaders,
            error_ttl: 0,
            s3_origin: false,
            allowed: None,
            disallowed: DEFAULT_DISALLOWED.into(),
            any_origin: false,
        };
        let v = Verifier {
            fetcher: &fetcher,
            expect: &expect,
            concurrency: 1,
            cache_retry_delay: Duration::from_millis(1),
        };
        let f = v.cache_check(&url, None).await;
        (f, served.load(std::sync::atomic::Ordering::SeqCst))
    }

    #[tokio::test]
    async fn the_cache_check_retries_a_miss_before_reporting_it() {
        let (f, gets) = cache_check(0).await;
        assert_eq!((f.outcome, gets), (Outcome::Pass, 1), "{}", f.detail);
        assert!(!f.detail.contains("repeat GET"), "{}", f.detail);

        let (f, gets) = cache_check(2).await;
        assert_eq!((f.outcome, gets), (Outcome::Pass, 3), "{}", f.detail);
        assert!(f.detail.contains("(repeat GET 3 of 3)"), "{}", f.detail);

        let (f, gets) = cache_check(3).await;
        assert_eq!((f.outcome, gets), (Outcome::Fail, 3), "{}", f.detail);
        assert!(f.detail.contains("expected a cache hit"), "{}", f.detail);
    }

    #[test]
    fn a_report_passes_only_without_failures_and_renders_a_table() {
        let mut r = VerifyReport {
            pipeline: "p".into(),
            allowed_origin: Some("https://a".into()),
            disallowed_origin: DEFAULT_DISALLOWED.into(),
            checks: vec![check(Outcome::Pass), check(Outcome::Skip)],
        };
        assert!(r.passed());
        r.checks.push(check(Outcome::Fail));
        assert!(!r.passed());
        assert_eq!(r.counts(), (1, 1, 1));
        let text = r.to_string();
        assert!(text.contains("RESULT"), "{text}");
        assert!(text.contains("FAIL   a     hls    fetch"), "{text}");
        assert!(
            text.ends_with("3 checks: 1 passed, 1 failed, 1 skipped"),
            "{text}"
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["checks"][2]["outcome"], "fail");
        assert_eq!(json["checks"][2]["kind"], "fetch");
    }
}
