//! Compiles a [`VodPipeline`] into a [`Plan`]. Pure: no I/O.
//!
//! # Output layout and playback URLs
//!
//! This layout is stable: players, CDN rules and scripts may rely on it. For asset `movie` (the source
//! file's name without extension), MediaConvert writes under `<output>` = `s3://<output bucket>/<output
//! prefix>movie/` (with an S3 origin: the origin bucket, under the origin path), one folder per format:
//!
//! | format | folder | manifest / file | playback path |
//! |---|---|---|---|
//! | `hls` | `hls/` | `movie.m3u8`, media playlists `movie_<label>.m3u8`, segments `movie_<label>_00001.ts` | `/movie/hls/movie.m3u8` |
//! | `hls-fmp4` | `hls-fmp4/` | `movie.m3u8`, `movie_<label>.m3u8`, init `movie_<label>init.cmfv`, segments `movie_<label>_000000001.cmfv` | `/movie/hls-fmp4/movie.m3u8` |
//! | `dash` | `dash/` | `movie.mpd`, init `movie_<label>init.mp4`, segments `movie_<label>_000000001.mp4` | `/movie/dash/movie.mpd` |
//! | `cmaf` | `cmaf/` | `movie.m3u8` and `movie.mpd` over segments `movie_<label>_000000001.cmfv` / `.cmfa` | `/movie/cmaf/movie.m3u8`, `/movie/cmaf/movie.mpd` |
//! | `mp4` | `mp4/` | `movie.mp4` (the top rendition with the first audio rendition) | `/movie/mp4/movie.mp4` |
//! | thumbnails | `thumbnails/` | `movie_thumb.0000000.jpg`, `movie_thumb.0000001.jpg`, … | `/movie/thumbnails/movie_thumb.0000000.jpg` |
//!
//! Segments are `transcode.segment_length` long (or the format's `transcode.segment_lengths` entry);
//! fMP4 segments are made of `transcode.fragment_length` fragments.
//!
//! `<label>` names a rendition: `1080p_8500k` (height and maximum bitrate; `_h265` is appended for
//! H.265, and the width is prepended when two renditions would otherwise share a label). Audio outputs
//! are `_audio` (one audio rendition) or `_audio_<bitrate>` (several); the HLS audio-only variant is
//! `_audio_only`; captions are `_captions` (HLS: WebVTT, `movie_captions.m3u8` and segments
//! `movie_captions_00001.vtt`; CMAF: WebVTT, and the whole file `movie_captions.vtt` for its MPD; DASH: one
//! IMSC document `movie_captions.xml`, as MediaConvert writes no WebVTT for DASH ISO). A completed
//! job leaves the marker `<output>.vod-pipeline-job.json`.
//!
//! The playback URL of a path is `https://<distribution domain><path>` (the origin path is CloudFront's
//! business: it is not part of the URL). With a job template
//! ([`JobOptions::job_template`](crate::types::JobOptions)), the template decides the outputs: the
//! playback paths assume it writes this layout, and the plan warns about it.

use std::collections::BTreeMap;

use super::job::{job_params, manifest_names_of};
use super::*;
use crate::spec::model::{Origin, VodPipeline};
use crate::types::{CacheSettings, ObjectCaching, Ttl};

/// AWS-managed CloudFront policies this crate attaches, under their published ids.
pub mod managed {
    /// Origin request policy `Managed-CORS-S3Origin`: forwards `Origin` and the CORS preflight headers
    /// to an S3 origin (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html>).
    pub const CORS_S3_ORIGIN: (&str, &str) = (
        "Managed-CORS-S3Origin",
        "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    );
    /// Origin request policy `Managed-CORS-CustomOrigin`: forwards `Origin` to a custom origin (same page).
    pub const CORS_CUSTOM_ORIGIN: (&str, &str) = (
        "Managed-CORS-CustomOrigin",
        "59781a5b-3903-41f3-afcb-af62929ccde1",
    );
    /// Response headers policy `Managed-CORS-With-Preflight`: allows every origin
    /// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html>).
    pub const CORS_WITH_PREFLIGHT: (&str, &str) = (
        "Managed-CORS-With-Preflight",
        "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
    );
}

/// Headers in the cache key and forwarded to the origin, for CORS: the `Origin` header and the
/// preflight headers (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/header-caching.html#header-caching-web-cors>).
pub const CORS_HEADERS: [&str; 3] = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
];

/// Status codes that get a custom error response carrying the error caching minimum TTL: those
/// CloudFront may cache (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html>).
/// 404, 414 and 500 to 504 are cached by default; 400, 403 and 405 only when the origin sends
/// `max-age` or `s-maxage`. 416 is left out: CloudFront never caches it.
pub const CACHED_ERROR_CODES: [u16; 10] = [400, 403, 404, 405, 414, 500, 501, 502, 503, 504];

/// AWS's guidance for video: cache errors for 5 s or less.
const RECOMMENDED_MAX_ERROR_TTL: u64 = 5;

struct Builder {
    steps: Vec<Step>,
}

impl Builder {
    fn add(
        &mut self,
        id: StepId,
        service: Service,
        operation: &str,
        resource: impl Into<String>,
        params: Params,
        depends_on: &[&StepId],
    ) -> StepId {
        self.steps.push(Step {
            id: id.clone(),
            service,
            operation: operation.to_owned(),
            resource: resource.into(),
            params,
            depends_on: depends_on.iter().map(|s| (*s).clone()).collect(),
        });
        id
    }
}

pub(crate) fn build(p: &VodPipeline) -> Plan {
    let mut b = Builder { steps: Vec::new() };
    let name = p.name.as_str();
    let tags: Tags = BTreeMap::from([(crate::names::PIPELINE_TAG.to_owned(), name.to_owned())]);
    let cf = &p.cloudfront;
    let t = &p.transcode;

    // Buckets.
    let bucket = |b: &mut Builder, purpose: BucketRole, bucket: &crate::types::BucketName| {
        b.add(
            StepId::Bucket(purpose),
            Service::S3,
            "CreateBucket",
            bucket.as_str(),
            Params::Bucket(BucketParams {
                bucket: bucket.clone(),
                region: p.region.clone(),
                purpose,
                block_public_access: true,
                tags: tags.clone(),
            }),
            &[],
        )
    };
    let source_bucket = bucket(&mut b, BucketRole::Source, &p.source.bucket);
    let copies = p.copies_into_origin();
    let origin_bucket = match &p.origin {
        Origin::S3 { bucket: ob } => Some(bucket(&mut b, BucketRole::Origin, ob)),
        Origin::MediaStore { .. } => None,
    };
    // Where MediaConvert writes: the origin bucket, or (when the output is copied into the origin)
    // the output bucket.
    let output_bucket = match &origin_bucket {
        Some(ob) if !copies => ob.clone(),
        _ if t.output_bucket == p.source.bucket => source_bucket.clone(),
        _ => bucket(&mut b, BucketRole::Output, &t.output_bucket),
    };

    // Uploads and jobs, one per asset.
    let mut jobs = Vec::new();
    for a in &p.assets {
        let up = b.add(
            StepId::Upload(a.id.clone()),
            Service::S3,
            "PutObject",
            format!("s3://{}/{}", p.source.bucket, a.source_key),
            Params::Upload(UploadParams {
                file: a.file.display().to_string(),
                bucket: p.source.bucket.clone(),
                key: a.source_key.clone(),
                checksum_algorithm: "CRC64NVME".into(),
            }),
            &[&source_bucket],
        );
        let mut job_deps = vec![up.clone()];
        if let (Some(file), Some(key)) = (&a.caption_file, &a.caption_key) {
            job_deps.push(b.add(
                StepId::UploadCaptions(a.id.clone()),
                Service::S3,
                "PutObject",
                format!("s3://{}/{key}", p.source.bucket),
                Params::Upload(UploadParams {
                    file: file.display().to_string(),
                    bucket: p.source.bucket.clone(),
                    key: key.clone(),
                    checksum_algorithm: "CRC64NVME".into(),
                }),
                &[&source_bucket],
            ));
        }
        job_deps.push(output_bucket.clone());
        let job_deps: Vec<&StepId> = job_deps.iter().collect();
        let job = job_params(p, a, &tags);
        let id = b.add(
            StepId::Job(a.id.clone()),
            Service::Mediaconvert,
            "CreateJob",
            format!("job for {}", a.id),
            Params::Job(Box::new(job)),
            &job_deps,
        );
        jobs.push((a, id));
    }

    let (min, default, max) = cf.object_caching.ttls();
    let cors_rules = |origins: &[crate::types::CorsOrigin]| {
        vec![CorsRule {
            allowed_origins: origins.to_vec(),
            allowed_methods: vec!["GET".into(), "HEAD".into()],
            allowed_headers: vec!["*".into()],
            expose_headers: vec![
                "Content-Length".into(),
                "Content-Range".into(),
                "ETag".into(),
            ],
            max_age_seconds: 3000,
        }]
    };
    let has_cors = !cf.cors_allowed_origins.is_empty();

    // Origin resources that do not need the distribution.
    let (domain_name, origin_path_prefix, origin_protocol) = match &p.origin {
        Origin::MediaStore { container } => {
            let c = b.add(
                StepId::Container,
                Service::Mediastore,
                "CreateContainer",
                container.as_str(),
                Params::Container(ContainerParams {
                    container: container.clone(),
                    tags: tags.clone(),
                }),
                &[],
            );
            if has_cors {
                b.add(
                    StepId::ContainerCors,
                    Service::Mediastore,
                    "PutCorsPolicy",
                    container.as_str(),
                    Params::ContainerCors(ContainerCorsParams {
                        container: container.clone(),
                        rules: cors_rules(&cf.cors_allowed_origins),
                    }),
                    &[&c],
                );
            }
            for (a, job) in &jobs {
                let to_path = format!("{}{}/", cf.origin_path.as_key_prefix(), a.id);
                b.add(
                    StepId::Copy(a.id.clone()),
                    Service::MediastoreData,
                    "PutObject",
                    format!("{container}/{to_path}"),
                    Params::Copy(CopyParams {
                        asset: a.id.clone(),
                        from: format!("s3://{}/{}{}/", t.output_bucket, t.output_prefix, a.id),
                        container: container.clone(),
                        to_path,
                        endpoint: c.output(OutputKey::Endpoint),
                        cache_control: format!("max-age={}", default.secs()),
                        published_index: published_index(p, &a.id),
                    }),
                    &[job, &c],
                );
            }
            (
                c.output(OutputKey::EndpointHost),
                Some(c.output(OutputKey::EndpointPath)),
                Some("https-only".to_owned()),
            )
        }
        Origin::S3 { bucket: ob } => {
            if has_cors {
                b.add(
                    StepId::OriginBucketCors,
                    Service::S3,
                    "PutBucketCors",
                    ob.as_str(),
                    Params::BucketCors(BucketCorsParams {
                        bucket: ob.clone(),
                        rules: cors_rules(&cf.cors_allowed_origins),
                    }),
                    &[&StepId::Bucket(BucketRole::Origin)],
                );
            }
            if copies {
                for (a, job) in &jobs {
                    let to_prefix = format!("{}{}/", cf.origin_path.as_key_prefix(), a.id);
                    b.add(
                        StepId::OriginCopy(a.id.clone()),
                        Service::S3,
                        "CopyObject",
                        format!("s3://{ob}/{to_prefix}"),
                        Params::OriginCopy(OriginCopyParams {
                            asset: a.id.clone(),
                            from: format!("s3://{}/{}{}/", t.output_bucket, t.output_prefix, a.id),
                            bucket: ob.clone(),
                            to_prefix,
                            published_index: published_index(p, &a.id),
                        }),
                        &[job, &StepId::Bucket(BucketRole::Origin)],
                    );
                }
            }
            (
                Deferred::Known(format!("{ob}.s3.{}.amazonaws.com", p.region)),
                None,
                None,
            )
        }
    };

    // CloudFront.
    let oac = b.add(
        StepId::OriginAccessControl,
        Service::Cloudfront,
        "CreateOriginAccessControl",
        crate::names::oac_name(name, p.origin.kind()),
        Params::OriginAccessControl(OacParams {
            name: crate::names::oac_name(name, p.origin.kind()),
            origin_type: p.origin.kind(),
            signing_behavior: SigningBehavior::Always,
            signing_protocol: SigningProtocol::Sigv4,
        }),
        &[],
    );
    let mut dist_deps = vec![oac.clone()];
    let cache_key_headers: Vec<String> = CORS_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    // CORS headers come from CloudFront itself (a response headers policy), whatever the cache
    // settings, so a player gets them even when the origin answers without them.
    let response_headers_policy_id = if !has_cors {
        None
    } else if cf.cors_allowed_origins.iter().any(|o| o.is_any()) {
        Some(Deferred::Known(managed::CORS_WITH_PREFLIGHT.1.to_owned()))
    } else {
        let mut params = ResponseHeadersPolicyParams {
            name: String::new(),
            allow_origins: cf.cors_allowed_origins.clone(),
            allow_methods: vec!["GET".into(), "HEAD".into(), "OPTIONS".into()],
            allow_headers: vec!["*".into()],
            expose_headers: vec![
                "Content-Length".into(),
                "Content-Range".into(),
                "ETag".into(),
            ],
            max_age_seconds: 3000,
            origin_override: true,
        };
        // Named after its configuration: pipelines that allow the same origins share it.
        params.name = crate::names::shared_policy_name("cors", &fingerprint(&params));
        let id = b.add(
            StepId::ResponseHeadersPolicy,
            Service::Cloudfront,
            "CreateResponseHeadersPolicy",
            params.name.clone(),
            Params::ResponseHeadersPolicy(params),
            &[],
        );
        dist_deps.push(id.clone());
        Some(id.output(OutputKey::Id))
    };
    let (cache_policy_id, origin_request_policy, forwarded) = match cf.cache_settings {
        CacheSettings::Policies => {
            let mut params = CachePolicyParams {
                name: String::new(),
                min_ttl: min,
                default_ttl: default,
                max_ttl: max,
                cache_key_headers: cache_key_headers.clone(),
                query_strings: "none".into(),
                cookies: "none".into(),
                compression: true,
            };
            // Named after its configuration: pipelines with the same TTLs share it.
            params.name = crate::names::shared_policy_name("cache", &fingerprint(&params));
            let cp = b.add(
                StepId::CachePolicy,
                Service::Cloudfront,
                "CreateCachePolicy",
                params.name.clone(),
                Params::CachePolicy(params),
                &[],
            );
            dist_deps.push(cp.clone());
            let (orp_name, orp_id) = match p.origin {
                Origin::S3 { .. } => managed::CORS_S3_ORIGIN,
                Origin::MediaStore { .. } => managed::CORS_CUSTOM_ORIGIN,
            };
            (
                Some(cp.output(OutputKey::Id)),
                Some(ManagedPolicy {
                    name: orp_name.into(),
                    id: orp_id.into(),
                }),
                None,
            )
        }
        CacheSettings::Legacy => (None, None, Some(cache_key_headers.clone())),
    };
    // The distribution reads from its origin: it waits for the container, or for the origin
    // bucket, so that an origin that cannot be used (another account's bucket, one in another
    // Region) stops the apply before a distribution is created.
    match p.origin {
        Origin::MediaStore { .. } => dist_deps.push(StepId::Container),
        Origin::S3 { .. } => dist_deps.push(StepId::Bucket(BucketRole::Origin)),
    }
    // An existing distribution (an earlier apply made it) may read the origin before it is pointed
    // at it, and a copied origin holds the output first: moving the origin leaves no gap.
    let existing = b.add(
        StepId::ExistingDistribution,
        Service::Cloudfront,
        "ListDistributions",
        cf.comment.clone(),
        Params::ExistingDistribution(ExistingDistributionParams {
            comment: cf.comment.clone(),
        }),
        &[],
    );
    let early = origin_policy(
        &mut b,
        p,
        true,
        existing.output(OutputKey::Arn),
        &[&existing],
    );
    dist_deps.push(early);
    // An origin fed by copies (MediaStore, or an S3 origin with its own output bucket) is how a
    // pipeline switches origin in place: its distribution may exist already and must not point at
    // the new origin before the output is there. So the distribution waits for the copies.
    if copies {
        dist_deps.extend(jobs.iter().map(|(a, _)| match p.origin {
            Origin::MediaStore { .. } => StepId::Copy(a.id.clone()),
            Origin::S3 { .. } => StepId::OriginCopy(a.id.clone()),
        }));
    }
    // Private content: one step per public key, the key group, and the behaviors that trust it.
    let trusted_key_group = cf.private_content.as_ref().map(|pc| {
        let key_ids: Vec<Deferred<String>> = pc
            .public_keys
            .iter()
            .map(|k| {
                b.add(
                    StepId::PublicKey(k.name.clone()),
                    Service::Cloudfront,
                    "CreatePublicKey",
                    k.name.clone(),
                    Params::PublicKey(PublicKeyParams {
                        name: k.name.clone(),
                        file: k.path.display().to_string(),
                        algorithm: k.pem.algorithm(),
                        encoded_key: k.pem.pem().to_owned(),
                    }),
                    &[],
                )
                .output(OutputKey::Id)
            })
            .collect();
        let key_steps: Vec<StepId> = pc
            .public_keys
            .iter()
            .map(|k| StepId::PublicKey(k.name.clone()))
            .collect();
        let key_steps: Vec<&StepId> = key_steps.iter().collect();
        let group = b.add(
            StepId::KeyGroup,
            Service::Cloudfront,
            "CreateKeyGroup",
            format!("{name}-keys"),
            Params::KeyGroup(KeyGroupParams {
                name: format!("{name}-keys"),
                public_key_ids: key_ids,
            }),
            &key_steps,
        );
        dist_deps.push(group.clone());
        TrustedKeyGroupParams {
            key_group_id: group.output(OutputKey::Id),
            protect: pc.protect,
        }
    });
    let dist_deps_ref: Vec<&StepId> = dist_deps.iter().collect();
    let dist = b.add(
        StepId::Distribution,
        Service::Cloudfront,
        "CreateDistributionWithTags",
        cf.comment.clone(),
        Params::Distribution(Box::new(DistributionParams {
            caller_reference: format!("vod-pipeline/{name}/distribution"),
            comment: cf.comment.clone(),
            enabled: cf.enabled,
            price_class: cf.price_class,
            http_version: cf.http_version,
            aliases: cf.aliases.clone(),
            viewer_certificate: cf
                .acm_certificate_arn
                .clone()
                .map_or(ViewerCertificate::CloudFrontDefault, ViewerCertificate::Acm),
            origin: OriginParams {
                id: format!("{name}-{}", p.origin.kind()),
                kind: p.origin.kind(),
                domain_name,
                origin_path_prefix,
                origin_path: cf.origin_path.clone(),
                origin_protocol_policy: origin_protocol,
                origin_access_control_id: oac.output(OutputKey::Id),
                custom_headers: cf
                    .custom_headers
                    .iter()
                    .map(|h| CustomHeaderParams {
                        name: h.name.clone(),
                        value: h.value.clone(),
                    })
                    .collect(),
            },
            default_cache_behavior: CacheBehaviorParams {
                viewer_protocol_policy: cf.viewer_protocol_policy,
                allowed_methods: vec!["GET".into(), "HEAD".into(), "OPTIONS".into()],
                cached_methods: vec!["GET".into(), "HEAD".into(), "OPTIONS".into()],
                compress: true,
                cache_settings: cf.cache_settings,
                object_caching: cf.object_caching.as_str().into(),
                min_ttl: min,
                default_ttl: default,
                max_ttl: max,
                cache_key_headers,
                cache_policy_id,
                origin_request_policy,
                response_headers_policy_id,
                forwarded_values_headers: forwarded,
            },
            custom_error_responses: CACHED_ERROR_CODES
                .iter()
                .map(|&error_code| ErrorResponseParams {
                    error_code,
                    error_caching_min_ttl: cf.error_caching_min_ttl,
                })
                .collect(),
            trusted_key_group,
            tags: tags.clone(),
        })),
        &dist_deps_ref,
    );

    // Republished assets must not be served stale from the edge caches.
    let publish_steps: Vec<StepId> = jobs
        .iter()
        .map(|(a, job)| match p.origin {
            Origin::MediaStore { .. } => StepId::Copy(a.id.clone()),
            Origin::S3 { .. } if copies => StepId::OriginCopy(a.id.clone()),
            Origin::S3 { .. } => job.clone(),
        })
        .collect();
    let mut inv_deps: Vec<&StepId> = vec![&dist];
    inv_deps.extend(publish_steps.iter());
    // Without assets (infrastructure only) there is nothing to invalidate.
    if !jobs.is_empty() {
        b.add(
            StepId::Invalidation,
            Service::Cloudfront,
            "CreateInvalidation",
            "republished assets",
            Params::Invalidation(InvalidationParams {
                distribution_id: dist.output(OutputKey::Id),
                assets: jobs
                    .iter()
                    .zip(&publish_steps)
                    .map(|((a, _), step)| InvalidationAsset {
                        step: step.clone(),
                        path: format!("/{}/*", a.id),
                    })
                    .collect(),
            }),
            &inv_deps,
        );
    }

    // The origin's access policy names the distribution, so it comes after it.
    origin_policy(&mut b, p, false, dist.output(OutputKey::Arn), &[&dist]);

    // Last, once the new state is in place: what left the spec leaves the origin.
    let sweep_deps: Vec<StepId> = b
        .steps
        .iter()
        .filter(|s| {
            matches!(
                s.id,
                StepId::Distribution
                    | StepId::Invalidation
                    | StepId::Job(_)
                    | StepId::Copy(_)
                    | StepId::OriginCopy(_)
                    | StepId::Container
                    | StepId::ContainerPolicy
                    | StepId::OriginBucketPolicy
            )
        })
        .map(|s| s.id.clone())
        .collect();
    let sweep_deps: Vec<&StepId> = sweep_deps.iter().collect();
    let mut folders: Vec<String> = t.formats.iter().map(ToString::to_string).collect();
    if t.thumbnails.is_some() {
        folders.push("thumbnails".into());
    }
    let output = format!("s3://{}/{}", t.output_bucket, t.output_prefix);
    let swept = b.add(
        StepId::OrphanedOutput,
        Service::S3,
        "DeleteObjects",
        output.clone(),
        Params::OrphanedOutput(OrphanedOutputParams {
            output,
            origin: match &p.origin {
                Origin::MediaStore { container } => Some(OriginLocation::Mediastore {
                    container: container.clone(),
                    prefix: cf.origin_path.as_key_prefix(),
                    endpoint: StepId::Container.output(OutputKey::Endpoint),
                }),
                Origin::S3 { bucket: ob } if copies => Some(OriginLocation::S3 {
                    bucket: ob.clone(),
                    prefix: cf.origin_path.as_key_prefix(),
                }),
                Origin::S3 { .. } => None,
            },
            assets: p.assets.iter().map(|a| a.id.clone()).collect(),
            folders: t.job.job_template.is_none().then_some(folders),
            distribution_id: dist.output(OutputKey::Id),
        }),
        &sweep_deps,
    );
    let other = p.origin.kind().other();
    b.add(
        StepId::Unused,
        Service::Cloudfront,
        "DeleteCachePolicy",
        "what the distribution no longer uses",
        Params::Unused(UnusedParams {
            origin: p.origin.kind(),
            other_oac: crate::names::oac_name(name, other),
            managed_policies: [
                managed::CORS_S3_ORIGIN,
                managed::CORS_CUSTOM_ORIGIN,
                managed::CORS_WITH_PREFLIGHT,
            ]
            .iter()
            .map(|(_, id)| (*id).to_owned())
            .collect(),
            public_keys: cf
                .private_content
                .as_ref()
                .map(|pc| pc.public_keys.iter().map(|k| k.name.clone()).collect())
                .unwrap_or_default(),
            distribution_id: dist.output(OutputKey::Id),
            output: format!("s3://{}/{}", t.output_bucket, t.output_prefix),
            copies_bucket: match &p.origin {
                Origin::S3 { bucket: ob } if copies => Some(ob.clone()),
                _ => None,
            },
        }),
        &[&dist, &swept],
    );

    Plan {
        pipeline: name.to_owned(),
        region: p.region.to_string(),
        origin: p.origin.kind(),
        playback: playback_paths(p),
        warnings: warnings(p),
        steps: b.steps,
    }
}

/// The origin's read policy for the distribution `source_arn`: `early`, before the distribution
/// step, for a distribution an earlier apply made (it does nothing while there is none); else
/// after it.
fn origin_policy(
    b: &mut Builder,
    p: &VodPipeline,
    early: bool,
    source_arn: Deferred<String>,
    after: &[&StepId],
) -> StepId {
    match &p.origin {
        Origin::MediaStore { container } => {
            let mut deps = vec![&StepId::Container];
            deps.extend_from_slice(after);
            b.add(
                if early {
                    StepId::EarlyContainerPolicy
                } else {
                    StepId::ContainerPolicy
                },
                Service::Mediastore,
                "PutContainerPolicy",
                container.as_str(),
                Params::Policy(PolicyParams {
                    target: container.to_string(),
                    policy: OriginReadPolicy::MediaStore {
                        container_arn: StepId::Container.output(OutputKey::Arn),
                        source_arn,
                    },
                }),
                &deps,
            )
        }
        Origin::S3 { bucket: ob } => {
            let origin = StepId::Bucket(BucketRole::Origin);
            let mut deps = vec![&origin];
            deps.extend_from_slice(after);
            b.add(
                if early {
                    StepId::EarlyBucketPolicy
                } else {
                    StepId::OriginBucketPolicy
                },
                Service::S3,
                "PutBucketPolicy",
                ob.as_str(),
                Params::Policy(PolicyParams {
                    target: ob.to_string(),
                    policy: OriginReadPolicy::S3 {
                        resource: format!(
                            "arn:aws:s3:::{ob}/{}*",
                            p.cloudfront.origin_path.as_key_prefix()
                        ),
                        source_arn,
                    },
                }),
                &deps,
            )
        }
    }
}

fn playback_paths(p: &VodPipeline) -> Vec<PlaybackPath> {
    p.assets
        .iter()
        .flat_map(|a| asset_playback_paths(p, &a.id))
        .collect()
}

/// Where a player finds one asset, in every format of the pipeline.
pub(crate) fn asset_playback_paths(p: &VodPipeline, id: &str) -> Vec<PlaybackPath> {
    let mut out = Vec::new();
    for &f in &p.transcode.formats {
        for (m, manifest) in manifest_names_of(id, f) {
            out.push(PlaybackPath {
                asset: id.to_owned(),
                format: f,
                manifest,
                path: format!("/{id}/{f}/{m}"),
            });
        }
    }
    out
}

fn warnings(p: &VodPipeline) -> Vec<String> {
    let mut w = Vec::new();
    let cf = &p.cloudfront;
    if let Some(tpl) = &p.transcode.job.job_template {
        w.push(format!("transcode.job_template is {tpl}: the template's output groups replace the ladder, formats, audio and thumbnails of the spec; the playback paths assume the template writes the documented layout (<asset>/<format>/<asset>.m3u8 under the output location)"));
    }
    if p.transcode.job.acceleration == crate::types::Acceleration::Enabled {
        w.push("transcode.acceleration is ENABLED: jobs that are not eligible for accelerated transcoding fail (PREFERRED falls back); accelerated transcoding is billed at its own rate".into());
    }
    if let Origin::MediaStore { .. } = p.origin {
        w.push("mediastore: AWS discontinued AWS Elemental MediaStore on 2025-11-13; an S3 origin with origin access control (s3_origin) is the recommended replacement".into());
    }
    if cf.error_caching_min_ttl.secs() > RECOMMENDED_MAX_ERROR_TTL {
        w.push(format!(
            "cloudfront.error_caching_min_ttl is {}: AWS recommends 5 s or less for video, so that players do not keep getting a cached error after the object appears",
            cf.error_caching_min_ttl
        ));
    }
    if cf.cors_allowed_origins.iter().any(|o| o.is_any()) {
        w.push("cloudfront.cors_allowed_origins is \"*\": any web page may play this video".into());
    }
    if cf.cors_allowed_origins.is_empty() {
        w.push("cloudfront.cors_allowed_origins is empty: browsers on other origins cannot fetch the video".into());
    }
    if cf.viewer_protocol_policy == crate::types::ViewerProtocolPolicy::AllowAll {
        w.push(
            "cloudfront.viewer_protocol_policy is allow-all: viewers may fetch over plain HTTP"
                .into(),
        );
    }
    if let ObjectCaching::Customize { min, .. } = cf.object_caching
        && min > Ttl::DEFAULT_MIN
    {
        w.push(format!("cloudfront.min_ttl is {min}: CloudFront caches at least that long even when the origin says no-cache"));
    }
    w
}

/// The configuration of a policy (its parameters, name left empty) as text, for its shared name.
fn fingerprint(params: &impl serde::Serialize) -> String {
    serde_json::to_string(params).unwrap_or_default()
}
