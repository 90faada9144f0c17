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

/// Boundaries of the rules that are checked where values meet (quotas, lengths, cross-field rules).
#[test]
fn quota_and_cross_field_boundaries() {
    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs/sample.mp4");
    let build = |cf: CloudFrontSpec, seg: &str, gop: Option<&str>| {
        VodPipeline::builder()
            .name("b-vod")
            .region("us-east-1")
            .source(
                SourceSpec::builder()
                    .bucket("src-bucket")
                    .files([SAMPLE])
                    .build(),
            )
            .transcode(
                TranscodeSpec::builder()
                    .role_arn("arn:aws:iam::123456789012:role/r")
                    .segment_length(seg)
                    .maybe_gop_length(gop)
                    .build(),
            )
            .abr_ladder("aws-qvbr")
            .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
            .cloudfront(cf)
            .build()
    };
    let ok = |cf: CloudFrontSpec| build(cf, "6s", None).is_ok();
    let fields = |cf: CloudFrontSpec| {
        build(cf, "6s", None)
            .unwrap_err()
            .violations()
            .iter()
            .map(|v| v.field.clone())
            .collect::<Vec<_>>()
    };

    // Comment: 128 characters.
    assert!(ok(CloudFrontSpec::builder()
        .comment("c".repeat(128))
        .build()));
    assert_eq!(
        fields(CloudFrontSpec::builder().comment("c".repeat(129)).build()),
        ["cloudfront.comment"]
    );

    // Origin custom headers: 10 per origin; 10,240 characters in all.
    let headers =
        |n: usize, len: usize| (0..n).map(move |i| (format!("X-H{i:02}"), "v".repeat(len)));
    assert!(ok(CloudFrontSpec::builder()
        .origin_custom_headers(headers(10, 1))
        .build()));
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .origin_custom_headers(headers(11, 1))
                .build()
        ),
        ["cloudfront.origin_custom_headers"]
    );
    // 6 headers of 5-character names: values of 1,701 and 1,702 characters total 10,236 and 10,242.
    assert!(ok(CloudFrontSpec::builder()
        .origin_custom_headers(headers(6, 1701))
        .build()));
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .origin_custom_headers(headers(6, 1702))
                .build()
        ),
        ["cloudfront.origin_custom_headers"]
    );

    // CORS origins: 100.
    let origins = |n: usize| (0..n).map(|i| format!("https://o{i}.example.com"));
    assert!(ok(CloudFrontSpec::builder()
        .cors_allowed_origins(origins(100))
        .build()));
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .cors_allowed_origins(origins(101))
                .build()
        ),
        ["cloudfront.cors_allowed_origins"]
    );

    // Aliases: 100, and they need a certificate.
    let cert = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let aliases = |n: usize| (0..n).map(|i| format!("v{i}.example.com"));
    assert!(ok(CloudFrontSpec::builder()
        .aliases(aliases(100))
        .acm_certificate_arn(cert)
        .build()));
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .aliases(aliases(101))
                .acm_certificate_arn(cert)
                .build()
        ),
        ["cloudfront.aliases"]
    );

    // TTLs: equal values are fine; one second out of order is not.
    assert!(ok(CloudFrontSpec::builder()
        .min_ttl("1d")
        .default_ttl("1d")
        .max_ttl("1d")
        .build()));
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .min_ttl("86401")
                .default_ttl("1d")
                .max_ttl("2d")
                .build()
        ),
        ["cloudfront.min_ttl"]
    );
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .default_ttl("1d")
                .max_ttl("86399")
                .build()
        ),
        ["cloudfront.max_ttl"]
    );
    // Without a default, a minimum above one day makes the default equal to it (as CloudFront does).
    assert!(ok(CloudFrontSpec::builder().min_ttl("2d").build()));
    // Origin cache headers take no TTLs.
    assert_eq!(
        fields(
            CloudFrontSpec::builder()
                .object_caching("origin-cache-headers")
                .min_ttl("0s")
                .build()
        ),
        ["cloudfront.min_ttl"]
    );

    // GOP: the default divides the segment length; an explicit one must.
    let seg = |s: &str, g: Option<&str>| build(CloudFrontSpec::default(), s, g);
    assert_eq!(seg("7s", None).unwrap().transcode().gop_length.get(), 1);
    assert_eq!(seg("6s", None).unwrap().transcode().gop_length.get(), 2);
    assert!(seg("6s", Some("3s")).is_ok());
    assert!(seg("6s", Some("6s")).is_ok());
    assert!(seg("6s", Some("4s")).is_err());
    assert!(seg("6s", Some("12s")).is_err());
    assert!(seg("6s", Some("0s")).is_err());
    assert!(seg("60s", None).is_ok());
    assert!(seg("61s", None).is_err());
}

#[test]
fn asset_ids_must_be_unique_and_fit_the_origin() {
    let dir = std::env::temp_dir().join(format!("vod-assets-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    for f in ["a/clip.mp4", "clip.mov", "ab.mp4", "my_movie.mp4"] {
        std::fs::write(dir.join(f), b"x").unwrap();
    }
    let run = |files: &[&str], mediastore: bool| {
        let b = VodPipeline::builder()
            .name("a-vod")
            .region("us-east-1")
            .source(
                SourceSpec::builder()
                    .bucket("src-bucket")
                    .files(files.iter().map(|f| dir.join(f)))
                    .build(),
            )
            .transcode(
                TranscodeSpec::builder()
                    .role_arn("arn:aws:iam::123456789012:role/r")
                    .output_bucket("out-bucket")
                    .build(),
            )
            .abr_ladder("aws-qvbr")
            .cloudfront(CloudFrontSpec::default());
        let r = if mediastore {
            b.mediastore(
                vod_pipeline::MediaStoreSpec::builder()
                    .container("c1")
                    .build(),
            )
            .build()
        } else {
            b.s3_origin(S3OriginSpec::builder().bucket("out-bucket").build())
                .build()
        };
        r.map(|p| p.assets().iter().map(|a| a.id.clone()).collect::<Vec<_>>())
            .map_err(|e| {
                e.violations()
                    .iter()
                    .map(|v| v.field.clone())
                    .collect::<Vec<_>>()
            })
    };
    assert_eq!(
        run(&["a/clip.mp4", "ab.mp4", "my_movie.mp4"], false),
        Ok(vec!["clip".into(), "ab".into(), "my_movie".into()])
    );
    assert_eq!(
        run(&["a/clip.mp4", "clip.mov"], false),
        Err(vec!["source.files[1]".into()])
    );
    // MediaStore folder names: at least 3 characters, no underscore.
    assert_eq!(
        run(&["ab.mp4", "my_movie.mp4", "clip.mov"], true),
        Err(vec!["source.files[0]".into(), "source.files[1]".into()])
    );
    assert_eq!(
        run(&["a"], false),
        Err(vec!["source.files[0]".into()]),
        "a directory is not a file"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
