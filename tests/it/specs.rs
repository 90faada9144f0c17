//! The shared specs load exactly as written, and compile into the expected plan graph.

use std::path::PathBuf;

use vod_pipeline::plan::Params;
use vod_pipeline::{Plan, VodPipeline};

/// `../shared/specs` beside the repository (CI clones the repository with `shared/` beside it).
fn shared(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/specs")
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: the shared specs must sit beside the repository",
        p.display()
    );
    p
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/specs")
        .join(name)
}

fn graph(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let deps: Vec<String> = s.depends_on.iter().map(|d| d.to_string()).collect();
            format!("{} {} <- [{}]", s.id, s.action(), deps.join(", "))
        })
        .collect()
}

fn by_id<'a>(j: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn json(plan: &Plan) -> serde_json::Value {
    serde_json::from_str(&plan.to_json()).expect("plan JSON parses")
}

#[test]
fn example_specs_equal_the_shared_specs() {
    for name in ["mediastore.toml", "s3-origin.toml", "sample.mp4"] {
        let a = std::fs::read(shared(name)).unwrap();
        let b = std::fs::read(example(name)).unwrap();
        assert!(
            a == b,
            "examples/specs/{name} differs from ../shared/specs/{name}"
        );
    }
}

#[test]
fn mediastore_spec_plan_graph() {
    let plan = VodPipeline::from_toml_file(shared("mediastore.toml"))
        .unwrap()
        .plan();
    assert_eq!(
        graph(&plan),
        [
            "s3.bucket.source s3:CreateBucket <- []",
            "s3.bucket.output s3:CreateBucket <- []",
            "s3.upload.sample s3:PutObject <- [s3.bucket.source]",
            "mediaconvert.job.sample mediaconvert:CreateJob <- [s3.upload.sample, s3.bucket.output]",
            "mediastore.container mediastore:CreateContainer <- []",
            "mediastore.cors_policy mediastore:PutCorsPolicy <- [mediastore.container]",
            "mediastore.copy.sample mediastore-data:PutObject <- [mediaconvert.job.sample, mediastore.container]",
            "cloudfront.origin_access_control cloudfront:CreateOriginAccessControl <- []",
            "cloudfront.response_headers_policy cloudfront:CreateResponseHeadersPolicy <- []",
            "cloudfront.cache_policy cloudfront:CreateCachePolicy <- []",
            "cloudfront.existing_distribution cloudfront:ListDistributions <- []",
            "mediastore.container_policy.early mediastore:PutContainerPolicy <- [mediastore.container, cloudfront.existing_distribution]",
            "cloudfront.distribution cloudfront:CreateDistributionWithTags <- [cloudfront.origin_access_control, cloudfront.response_headers_policy, cloudfront.cache_policy, mediastore.container, mediastore.container_policy.early, mediastore.copy.sample]",
            "cloudfront.invalidation cloudfront:CreateInvalidation <- [cloudfront.distribution, mediastore.copy.sample]",
            "mediastore.container_policy mediastore:PutContainerPolicy <- [mediastore.container, cloudfront.distribution]",
            "s3.orphaned_output s3:DeleteObjects <- [mediaconvert.job.sample, mediastore.container, mediastore.copy.sample, cloudfront.distribution, cloudfront.invalidation, mediastore.container_policy]",
            "cloudfront.orphans cloudfront:DeleteCachePolicy <- [cloudfront.distribution, s3.orphaned_output]",
        ]
    );
    // Bucket, upload, job, copy, the distribution (which waits for the copy, so that a switch of
    // origin has no gap) and invalidation, then the two sweeps of what left the spec.
    assert_eq!(plan.critical_path_len(), 8);
    let j = json(&plan);
    let dist = &by_id(&j, "cloudfront.distribution")["params"];
    let cb = &dist["default_cache_behavior"];
    assert_eq!(
        (
            cb["min_ttl"].as_u64(),
            cb["default_ttl"].as_u64(),
            cb["max_ttl"].as_u64()
        ),
        (Some(0), Some(86_400), Some(31_536_000))
    );
    assert!(
        cb["cache_key_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Origin")
    );
    assert_eq!(cb["cache_settings"], "policies");
    assert_eq!(dist["origin"]["origin_path"], "/vod");
    assert_eq!(dist["origin"]["origin_protocol_policy"], "https-only");
    assert_eq!(
        dist["origin"]["custom_headers"][0]["name"],
        "X-Origin-Verify"
    );
    for r in dist["custom_error_responses"].as_array().unwrap() {
        assert_eq!(r["error_caching_min_ttl"], 5);
    }
    // The container policy is OAC: the CloudFront service principal, the distribution's ARN, HTTPS.
    let statements = by_id(&j, "mediastore.container_policy")["params"]["policy"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let sid = |sid: &str| {
        statements
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no statement {sid}: {statements:?}"))
            .clone()
    };
    let policy = &sid("AllowCloudFrontServicePrincipalReadOnly");
    assert_eq!(policy["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert_eq!(
        policy["Condition"]["StringEquals"]["AWS:SourceArn"],
        "${cloudfront.distribution.arn}"
    );
    assert_eq!(policy["Condition"]["Bool"]["aws:SecureTransport"], "true");
    // MediaStore's default statement stays (the account keeps its access), and the pipeline's state
    // objects are denied to the distribution (issue 16).
    let account = sid("MediaStoreFullAccess");
    assert_eq!(account["Effect"], "Allow");
    assert_eq!(account["Action"], "mediastore:*");
    let deny = sid("DenyCloudFrontPipelineState");
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"]["Service"], "cloudfront.amazonaws.com");
    assert!(
        deny["Resource"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().ends_with("/*vod-pipeline-copy.json")),
        "{deny}"
    );
    assert!(
        plan.warnings.iter().any(|w| w.contains("discontinued")),
        "{:?}",
        plan.warnings
    );
    assert_eq!(
        plan.playback
            .iter()
            .map(|p| p.path.as_str())
            .collect::<Vec<_>>(),
        ["/sample/hls/sample.m3u8", "/sample/dash/sample.mpd"]
    );
}

#[test]
fn s3_origin_spec_plan_graph() {
    let plan = VodPipeline::from_toml_file(shared("s3-origin.toml"))
        .unwrap()
        .plan();
    assert_eq!(
        graph(&plan),
        [
            "s3.bucket.source s3:CreateBucket <- []",
            "s3.bucket.origin s3:CreateBucket <- []",
            "s3.upload.sample s3:PutObject <- [s3.bucket.source]",
            "mediaconvert.job.sample mediaconvert:CreateJob <- [s3.upload.sample, s3.bucket.origin]",
            "s3.bucket_cors.origin s3:PutBucketCors <- [s3.bucket.origin]",
            "cloudfront.origin_access_control cloudfront:CreateOriginAccessControl <- []",
            "cloudfront.response_headers_policy cloudfront:CreateResponseHeadersPolicy <- []",
            "cloudfront.existing_distribution cloudfront:ListDistributions <- []",
            "s3.bucket_policy.origin.early s3:PutBucketPolicy <- [s3.bucket.origin, cloudfront.existing_distribution]",
            "cloudfront.distribution cloudfront:CreateDistributionWithTags <- [cloudfront.origin_access_control, cloudfront.response_headers_policy, s3.bucket.origin, s3.bucket_policy.origin.early]",
            "cloudfront.invalidation cloudfront:CreateInvalidation <- [cloudfront.distribution, mediaconvert.job.sample]",
            "s3.bucket_policy.origin s3:PutBucketPolicy <- [s3.bucket.origin, cloudfront.distribution]",
            "s3.orphaned_output s3:DeleteObjects <- [mediaconvert.job.sample, cloudfront.distribution, cloudfront.invalidation, s3.bucket_policy.origin]",
            "cloudfront.orphans cloudfront:DeleteCachePolicy <- [cloudfront.distribution, s3.orphaned_output]",
        ]
    );
    let j = json(&plan);
    let oac = &by_id(&j, "cloudfront.origin_access_control")["params"];
    assert_eq!(oac["origin_type"], "s3");
    let dist = &by_id(&j, "cloudfront.distribution")["params"];
    let cb = &dist["default_cache_behavior"];
    assert_eq!(cb["cache_settings"], "legacy");
    assert_eq!(
        cb["response_headers_policy_id"],
        "${cloudfront.response_headers_policy.id}"
    );
    assert_eq!(
        (
            cb["min_ttl"].as_u64(),
            cb["default_ttl"].as_u64(),
            cb["max_ttl"].as_u64()
        ),
        (Some(1), Some(21_600), Some(604_800))
    );
    assert_eq!(cb["forwarded_values_headers"][0], "Origin");
    assert!(cb.get("cache_policy_id").is_none());
    assert_eq!(
        dist["origin"]["domain_name"],
        "s3-vod-origin.s3.eu-west-1.amazonaws.com"
    );
    assert_eq!(dist["price_class"], "PriceClass_100");
    assert_eq!(
        dist["custom_error_responses"][0]["error_caching_min_ttl"],
        2
    );
    // MediaConvert writes into the origin bucket under the origin path; only that folder is readable.
    let job = &by_id(&j, "mediaconvert.job.sample")["params"];
    assert_eq!(
        job["output_groups"][2]["destination"],
        "s3://s3-vod-origin/assets/sample/cmaf/"
    );
    assert_eq!(
        by_id(&j, "s3.bucket_policy.origin")["params"]["policy"]["Statement"][0]["Resource"],
        "arn:aws:s3:::s3-vod-origin/assets/*"
    );
    assert_eq!(plan.playback.len(), 4);
}

#[test]
fn specs_resolve_files_relative_to_the_spec() {
    let p = VodPipeline::from_toml_file(shared("mediastore.toml")).unwrap();
    let file = &p.assets()[0].file;
    assert!(
        file.ends_with("sample.mp4") && file.exists(),
        "{}",
        file.display()
    );
    assert_eq!(p.assets()[0].source_key, "uploads/sample.mp4");
}

#[test]
fn plan_steps_are_in_dependency_order_and_ids_are_unique() {
    for spec in ["mediastore.toml", "s3-origin.toml"] {
        let plan = VodPipeline::from_toml_file(shared(spec)).unwrap().plan();
        let mut seen = std::collections::HashSet::new();
        for s in &plan.steps {
            for d in &s.depends_on {
                assert!(
                    seen.contains(d),
                    "{spec}: {} depends on {d}, which comes later or not at all",
                    s.id
                );
            }
            assert!(
                seen.insert(s.id.clone()),
                "{spec}: duplicate step id {}",
                s.id
            );
            // Every ${step.output} placeholder names a step this one depends on (directly).
            let text = serde_json::to_string(&s.params).unwrap();
            for r in text.split("${").skip(1) {
                let step = r.split('}').next().unwrap().rsplit_once('.').unwrap().0;
                assert!(
                    s.depends_on.iter().any(|d| d == step),
                    "{spec}: {} uses ${{{step}..}} without depending on it",
                    s.id
                );
            }
        }
        assert!(matches!(
            plan.step("cloudfront.distribution").unwrap().params,
            Params::Distribution(_)
        ));
    }
}

#[test]
fn plan_snapshots() {
    // Reviewed snapshots of the whole plan text; review changes with `cargo insta review`.
    for spec in ["mediastore.toml", "s3-origin.toml"] {
        let plan = VodPipeline::from_toml_file(example(spec)).unwrap().plan();
        // File paths differ between machines; show them relative to the repository.
        let text = plan
            .to_string()
            .replace(env!("CARGO_MANIFEST_DIR"), "<repo>");
        insta::assert_snapshot!(spec, text);
    }
}
