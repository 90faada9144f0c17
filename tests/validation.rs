//! Invalid input yields every one of its problems at once, with field, value and rule.

use std::path::PathBuf;

use vod_pipeline::{
    CloudFrontSpec, Error, RenditionSpec, S3OriginSpec, SourceSpec, TranscodeSpec, VodPipeline,
};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn spec_with_23_problems_reports_all_23() {
    let err = VodPipeline::from_toml_file(data("every-error.toml")).unwrap_err();
    assert!(err.is_input_error());
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "region",
            "source.files[1]",
            "source.bucket",
            "source.files[0]",
            "transcode.abr_ladder[1].fps",
            "transcode.role_arn",
            "transcode.formats[1]",
            "transcode.formats[2]",
            "transcode.gop_length",
            "transcode.abr_ladder[0].width",
            "transcode.abr_ladder[0].max_bitrate",
            "transcode.abr_ladder[1].qvbr_quality_level",
            "origin",
            "cloudfront.origin_custom_headers.X-Amz-Foo",
            "cloudfront.origin_path",
            "cloudfront.origin_custom_headers.Host",
            "cloudfront.min_ttl",
            "cloudfront.max_ttl",
            "cloudfront.error_caching_min_ttl",
            "cloudfront.cors_allowed_origins[0]",
            "cloudfront.price_class",
            "colour",
        ]
    );
    // Each problem carries the value as given and a rule; secrets are never echoed.
    let text = err.to_string();
    assert!(text.starts_with("invalid pipeline: 23 problems"), "{text}");
    assert!(!text.contains("super-secret-value"), "{text}");
    for v in err.violations() {
        assert!(!v.rule.is_empty(), "{v:?}");
    }
    let ttl = err
        .violations()
        .iter()
        .find(|v| v.field == "cloudfront.min_ttl")
        .unwrap();
    assert_eq!(ttl.value, "2d");
    assert!(ttl.rule.contains("min <= default <= max"), "{ttl:?}");
}

#[test]
fn builder_reports_every_problem_at_once() {
    let err = VodPipeline::builder()
        .name("-x")
        .region("us-east-1")
        .source(
            SourceSpec::builder()
                .bucket("Upper")
                .prefix("no-slash")
                .files(Vec::<PathBuf>::new())
                .build(),
        )
        .transcode(
            TranscodeSpec::builder()
                .role_arn("arn:aws:iam::123456789012:user/bob")
                .output_bucket("other-bucket")
                .segment_length("0s")
                .build(),
        )
        .abr_ladder(vec![
            RenditionSpec::builder()
                .width(-2)
                .height(9000)
                .max_bitrate("2Q")
                .qvbr_quality_level(0)
                .build(),
        ])
        .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
        .cloudfront(
            CloudFrontSpec::builder()
                .origin_path("/a//b")
                .object_caching("origin-cache-headers")
                .max_ttl("1d")
                .aliases(["video.example.com"])
                .origin_custom_headers((0..11).map(|i| (format!("X-H{i}"), "v")))
                .build(),
        )
        .build()
        .unwrap_err();
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "source.bucket",
            "source.prefix",
            "source.files",
            "transcode.role_arn",
            "transcode.segment_length",
            "transcode.abr_ladder[0].width",
            "transcode.abr_ladder[0].height",
            "transcode.abr_ladder[0].max_bitrate",
            "transcode.abr_ladder[0].qvbr_quality_level",
            "transcode.output_bucket",
            "cloudfront.origin_path",
            "cloudfront.origin_custom_headers",
            "cloudfront.max_ttl",
            "cloudfront.acm_certificate_arn",
        ],
        "{err}"
    );
}

#[test]
fn cross_field_rules() {
    let base = || {
        VodPipeline::builder()
            .name("x-vod")
            .region("us-east-1")
            .source(
                SourceSpec::builder()
                    .bucket("src-bucket")
                    .files([concat!(
                        env!("CARGO_MANIFEST_DIR"),
                        "/examples/specs/sample.mp4"
                    )])
                    .build(),
            )
            .abr_ladder("aws-qvbr")
    };
    let fields = |e: Error| {
        e.violations()
            .iter()
            .map(|v| v.field.clone())
            .collect::<Vec<_>>()
    };
    let t = || TranscodeSpec::builder().role_arn("arn:aws:iam::123456789012:role/r");

    // No origin, and two origins.
    let e = base()
        .transcode(t().build())
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap_err();
    assert_eq!(fields(e), ["origin"]);
    // MediaStore needs an output bucket.
    let e = base()
        .transcode(t().build())
        .mediastore(
            vod_pipeline::MediaStoreSpec::builder()
                .container("c1")
                .build(),
        )
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap_err();
    assert_eq!(fields(e), ["transcode.output_bucket"]);
    // S3 origin: the origin bucket must not be the source bucket; output_prefix is derived.
    let e = base()
        .transcode(t().output_prefix("out/").build())
        .s3_origin(S3OriginSpec::builder().bucket("src-bucket").build())
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap_err();
    assert_eq!(fields(e), ["transcode.output_prefix", "s3_origin.bucket"]);
    // MediaStore folder names: origin path segments of 3+ characters without underscores.
    let e = base()
        .transcode(t().output_bucket("out-bucket").build())
        .mediastore(
            vod_pipeline::MediaStoreSpec::builder()
                .container("c1")
                .build(),
        )
        .cloudfront(CloudFrontSpec::builder().origin_path("/v_d").build())
        .build()
        .unwrap_err();
    assert_eq!(fields(e), ["cloudfront.origin_path"]);
    // Same bucket for source and output with nested prefixes would mix uploads and packaged output.
    let e = base()
        .transcode(t().output_bucket("src-bucket").build())
        .mediastore(
            vod_pipeline::MediaStoreSpec::builder()
                .container("c1")
                .build(),
        )
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap_err();
    assert_eq!(fields(e), ["transcode.output_prefix"]);
    // A certificate without aliases; wildcard CORS with others; duplicate header names.
    let e = base()
        .transcode(t().build())
        .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
        .cloudfront(
            CloudFrontSpec::builder()
                .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/abc")
                .cors_allowed_origins(["*", "https://a.example.com"])
                .origin_custom_headers([("X-A", "1"), ("x-a", "2")])
                .build(),
        )
        .build()
        .unwrap_err();
    assert_eq!(
        fields(e),
        [
            "cloudfront.origin_custom_headers.x-a",
            "cloudfront.cors_allowed_origins",
            "cloudfront.acm_certificate_arn"
        ]
    );
}

#[test]
fn defaults_are_safe_and_documented() {
    let p = VodPipeline::builder()
        .name("d-vod")
        .region("eu-west-1")
        .source(
            SourceSpec::builder()
                .bucket("src-bucket")
                .files([concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/examples/specs/sample.mp4"
                )])
                .build(),
        )
        .transcode(
            TranscodeSpec::builder()
                .role_arn("arn:aws:iam::123456789012:role/r")
                .build(),
        )
        .abr_ladder("apple-hls")
        .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap();
    let cf = p.cloudfront();
    assert_eq!(cf.error_caching_min_ttl.secs(), 5);
    assert_eq!(cf.object_caching.as_str(), "origin-cache-headers");
    assert_eq!(cf.viewer_protocol_policy.as_str(), "redirect-to-https");
    assert_eq!(cf.cache_settings.as_str(), "policies");
    assert_eq!(cf.comment, "d-vod on-demand video");
    assert_eq!(p.transcode().segment_length.secs(), 6);
    assert_eq!(p.transcode().gop_length.get(), 2);
    assert_eq!(p.transcode().formats.len(), 2);
    // A warning, not an error, above 5 s of error caching.
    let p2 = VodPipeline::from_toml_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/specs/s3-origin.toml"
        ))
        .unwrap()
        .replace(
            "error_caching_min_ttl = \"2s\"",
            "error_caching_min_ttl = \"30s\"",
        ),
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs"),
    )
    .unwrap();
    assert!(
        p2.plan()
            .warnings
            .iter()
            .any(|w| w.contains("error_caching_min_ttl is 30s"))
    );
}

#[test]
fn spec_syntax_errors_and_missing_sections() {
    let e = VodPipeline::from_toml_str("name = ", ".").unwrap_err();
    assert!(matches!(e, Error::SpecParse { .. }), "{e}");
    assert!(e.is_input_error());
    let e = VodPipeline::from_toml_str("name = \"a-b\"\nregion = \"us-east-1\"", ".").unwrap_err();
    let fields: Vec<_> = e.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["source", "transcode", "origin"]);
    let e = VodPipeline::from_toml_file("/nonexistent/spec.toml").unwrap_err();
    assert!(matches!(e, Error::SpecRead { .. }));
}
