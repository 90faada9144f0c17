//! Invalid input yields every one of its problems at once, with field, value and rule.

use std::path::PathBuf;

use vod_pipeline::{
    CloudFrontSpec, Error, OutputFormat, RenditionSpec, S3OriginSpec, SourceSpec, TranscodeSpec,
    VodPipeline,
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
                .output_prefix("packaged/")
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
            "transcode.role_arn",
            "transcode.segment_length",
            "transcode.abr_ladder[0].width",
            "transcode.abr_ladder[0].height",
            "transcode.abr_ladder[0].max_bitrate",
            "transcode.abr_ladder[0].qvbr_quality_level",
            "transcode.output_prefix",
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
    // S3 origin with an output bucket of its own (a pipeline moved off MediaStore keeps it): accepted,
    // and the packaged output is copied into the origin bucket instead of transcoded again.
    let moved = base()
        .transcode(
            t().output_bucket("out-bucket")
                .output_prefix("packaged/")
                .build(),
        )
        .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
        .cloudfront(CloudFrontSpec::default())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.transcode().output_bucket.as_str(), "out-bucket");
    let plan = moved.plan();
    assert!(
        plan.steps.iter().any(|s| s.action() == "s3:CopyObject"),
        "{plan}"
    );
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
        // The start of an MP4 (an `ftyp` box): validation reads a source file's first bytes.
        std::fs::write(dir.join(f), b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2").unwrap();
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

/// Every transcoding option (issue 7): accepted at each boundary, rejected one step past it, with the
/// field path; the alignment rules of GOP, fragment and segment.
#[test]
fn transcoding_option_boundaries() {
    use vod_pipeline::{AudioSpec, CaptionsSpec, ThumbnailsSpec};
    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs/sample.mp4");
    let base = |t: TranscodeSpec, ladder: Vec<RenditionSpec>| {
        VodPipeline::builder()
            .name("t-vod")
            .region("us-east-1")
            .source(
                SourceSpec::builder()
                    .bucket("src-bucket")
                    .files([SAMPLE])
                    .build(),
            )
            .transcode(t)
            .abr_ladder(if ladder.is_empty() {
                vod_pipeline::LadderSpec::from("aws-qvbr")
            } else {
                ladder.into()
            })
            .s3_origin(S3OriginSpec::builder().bucket("origin-bucket").build())
            .cloudfront(CloudFrontSpec::default())
            .build()
    };
    let t = || TranscodeSpec::builder().role_arn("arn:aws:iam::123456789012:role/r");
    let fields = |r: Result<VodPipeline, Error>| match r {
        Ok(_) => Vec::new(),
        Err(e) => e
            .violations()
            .iter()
            .map(|v| v.field.clone())
            .collect::<Vec<_>>(),
    };
    let check = |r: Result<VodPipeline, Error>, want: &[&str]| {
        let got = fields(r);
        assert_eq!(got, want, "expected {want:?}");
    };

    // Fragments: a multiple of the GOP that divides the segment; only where fragments exist.
    let frag = |formats: &[&str], f: &str| {
        base(
            t().formats(formats.iter().copied())
                .segment_length("6s")
                .gop_length("2s")
                .fragment_length(f)
                .build(),
            vec![],
        )
    };
    for ok in ["2s", "6s"] {
        check(frag(&["dash"], ok), &[]);
        check(frag(&["cmaf"], ok), &[]);
        check(frag(&["hls-fmp4"], ok), &[]);
    }
    for bad in ["0s", "1s", "3s", "4s", "8s", "12s"] {
        check(frag(&["dash"], bad), &["transcode.fragment_length"]);
    }
    check(frag(&["hls", "mp4"], "2s"), &["transcode.fragment_length"]);
    let p = base(
        t().formats(["dash"])
            .segment_length("6s")
            .gop_length("3s")
            .build(),
        vec![],
    )
    .unwrap();
    assert_eq!(
        p.transcode().fragment_length.get(),
        3,
        "defaults to the GOP"
    );

    // Per-format segment lengths: a listed, segmented format; a multiple of the GOP; whole fragments.
    let per = |formats: &[&str], over: &[(&str, &str)], f: Option<&str>| {
        base(
            t().formats(formats.iter().copied())
                .segment_length("6s")
                .gop_length("2s")
                .segment_lengths(over.iter().copied())
                .maybe_fragment_length(f)
                .build(),
            vec![],
        )
    };
    let p = per(&["hls", "dash"], &[("dash", "4s")], None).unwrap();
    assert_eq!(
        p.transcode().segment_length_of(OutputFormat::Dash).secs(),
        4
    );
    assert_eq!(p.transcode().segment_length_of(OutputFormat::Hls).secs(), 6);
    let j = p.plan().to_json();
    assert!(j.contains("\"segment_length\": 4"), "{j}");
    check(per(&["dash"], &[("dash", "2s")], None), &[]);
    check(per(&["dash"], &[("dash", "60s")], None), &[]);
    check(
        per(&["dash"], &[("dash", "3s")], None),
        &["transcode.segment_lengths.dash"],
    );
    check(
        per(&["dash"], &[("dash", "61s")], None),
        &["transcode.segment_lengths.dash"],
    );
    check(
        per(&["dash"], &[("cmaf", "4s")], None),
        &["transcode.segment_lengths.cmaf"],
    );
    check(
        per(&["dash", "mp4"], &[("mp4", "4s")], None),
        &["transcode.segment_lengths.mp4"],
    );
    check(
        per(&["dash"], &[("webm", "4s")], None),
        &["transcode.segment_lengths.webm"],
    );
    check(per(&["dash"], &[("dash", "4s")], Some("4s")), &[]);
    check(
        per(&["dash", "cmaf"], &[("dash", "4s")], Some("4s")),
        &["transcode.fragment_length"],
    );

    // Codecs and their bitrate bounds.
    let r = |codec: &str, br: &str| {
        base(
            t().build(),
            vec![
                RenditionSpec::builder()
                    .width(1280)
                    .height(720)
                    .max_bitrate(br)
                    .codec(codec)
                    .build(),
            ],
        )
    };
    check(r("h264", "1000"), &[]);
    check(r("h264", "1152000000"), &[]);
    check(r("h264", "999"), &["transcode.abr_ladder[0].max_bitrate"]);
    check(
        r("h264", "1152000001"),
        &["transcode.abr_ladder[0].max_bitrate"],
    );
    check(r("h265", "1000"), &[]);
    check(r("h265", "1466400000"), &[]);
    check(
        r("h265", "1466400001"),
        &["transcode.abr_ladder[0].max_bitrate"],
    );
    check(r("vp9", "3M"), &["transcode.abr_ladder[0].codec"]);

    // Audio: AWS's AAC table.
    let audio = |specs: Vec<AudioSpec>| base(t().formats(["hls"]).audio(specs).build(), vec![]);
    let a = |b: &str, mode: Option<&str>, sr: Option<i64>| {
        AudioSpec::builder()
            .bitrate(b)
            .maybe_coding_mode(mode)
            .maybe_sample_rate(sr)
            .build()
    };
    check(audio(vec![a("64k", None, None)]), &[]);
    check(audio(vec![a("512k", None, Some(48_000))]), &[]);
    check(
        audio(vec![a("56k", None, None)]),
        &["transcode.audio[0].bitrate"],
    );
    check(
        audio(vec![a("576k", None, Some(44_100))]),
        &["transcode.audio[0].bitrate"],
    );
    check(
        audio(vec![a("100k", None, None)]),
        &["transcode.audio[0].bitrate"],
    );
    check(audio(vec![a("56k", Some("CODING_MODE_1_0"), None)]), &[]);
    check(
        audio(vec![a("288k", Some("CODING_MODE_1_0"), Some(48_000))]),
        &[],
    );
    check(
        audio(vec![a("320k", Some("CODING_MODE_1_0"), Some(48_000))]),
        &["transcode.audio[0].bitrate"],
    );
    check(
        audio(vec![a("32k", Some("CODING_MODE_1_0"), Some(32_000))]),
        &[],
    );
    check(
        audio(vec![a("96k", Some("CODING_MODE_5_1"), None)]),
        &["transcode.audio[0].coding_mode"],
    );
    check(
        audio(vec![a("96k", None, Some(22_050))]),
        &["transcode.audio[0].sample_rate"],
    );
    check(
        audio(vec![a("96k", None, Some(-1))]),
        &["transcode.audio[0].sample_rate"],
    );
    check(
        audio(vec![
            a("96k", None, None),
            a("96k", Some("CODING_MODE_1_0"), None),
        ]),
        &["transcode.audio[1].bitrate"],
    );
    let rates = [
        "64k", "80k", "96k", "112k", "128k", "160k", "192k", "224k", "256k",
    ];
    check(
        audio(rates[..8].iter().map(|b| a(b, None, None)).collect()),
        &[],
    );
    check(
        audio(rates.iter().map(|b| a(b, None, None)).collect()),
        &["transcode.audio"],
    );
    let p = audio(vec![a("64k", None, None), a("128k", None, None)]).unwrap();
    let bitrates: Vec<u64> = p
        .transcode()
        .audio
        .iter()
        .map(|a| a.bitrate().bps())
        .collect();
    assert_eq!(bitrates, [128_000, 64_000], "highest first");
    // The audio-only variant needs an HLS format.
    check(
        base(t().formats(["dash"]).hls_audio_only(true).build(), vec![]),
        &["transcode.hls_audio_only"],
    );
    check(
        base(
            t().formats(["hls-fmp4"]).hls_audio_only(true).build(),
            vec![],
        ),
        &[],
    );

    // Thumbnails.
    let th = |i: &str, w: i64, h: i64, q: i64, m: Option<i64>| {
        base(
            t().thumbnails(
                ThumbnailsSpec::builder()
                    .interval(i)
                    .width(w)
                    .height(h)
                    .quality(q)
                    .maybe_max_captures(m)
                    .build(),
            )
            .build(),
            vec![],
        )
    };
    check(th("1s", 32, 32, 1, Some(1)), &[]);
    check(th("1h", 8192, 8192, 100, Some(10_000_000)), &[]);
    check(
        th("0s", 320, 180, 80, None),
        &["transcode.thumbnails.interval"],
    );
    check(
        th("3601s", 320, 180, 80, None),
        &["transcode.thumbnails.interval"],
    );
    check(
        th("10s", 30, 180, 80, None),
        &["transcode.thumbnails.width"],
    );
    check(
        th("10s", 320, 8194, 80, None),
        &["transcode.thumbnails.height"],
    );
    check(
        th("10s", 321, 180, 80, None),
        &["transcode.thumbnails.width"],
    );
    check(
        th("10s", 320, 180, 0, None),
        &["transcode.thumbnails.quality"],
    );
    check(
        th("10s", 320, 180, 101, None),
        &["transcode.thumbnails.quality"],
    );
    check(
        th("10s", 320, 180, 80, Some(0)),
        &["transcode.thumbnails.max_captures"],
    );
    check(
        th("10s", 320, 180, 80, Some(10_000_001)),
        &["transcode.thumbnails.max_captures"],
    );
    check(
        th("10s", -320, 180, 80, Some(-1)),
        &[
            "transcode.thumbnails.width",
            "transcode.thumbnails.max_captures",
        ],
    );

    // Job options.
    let job = |f: &dyn Fn(TranscodeSpec) -> TranscodeSpec| base(f(t().build()), vec![]);
    let with = |f: fn(&mut TranscodeSpec)| {
        job(&move |mut s| {
            f(&mut s);
            s
        })
    };
    check(with(|s| s.priority = Some(-50)), &[]);
    check(with(|s| s.priority = Some(50)), &[]);
    check(with(|s| s.priority = Some(-51)), &["transcode.priority"]);
    check(with(|s| s.priority = Some(51)), &["transcode.priority"]);
    for ok in ["DISABLED", "PREFERRED", "ENABLED"] {
        check(
            job(&|mut s| {
                s.acceleration = Some(ok.into());
                s
            }),
            &[],
        );
    }
    check(
        with(|s| s.acceleration = Some("ON".into())),
        &["transcode.acceleration"],
    );
    for ok in ["SECONDS_10", "SECONDS_600", "2m", "60s"] {
        check(
            job(&|mut s| {
                s.status_update_interval = Some(ok.into());
                s
            }),
            &[],
        );
    }
    for bad in ["SECONDS_5", "SECONDS_601", "11s", "soon"] {
        check(
            job(&|mut s| {
                s.status_update_interval = Some(bad.into());
                s
            }),
            &["transcode.status_update_interval"],
        );
    }
    check(with(|s| s.queue = Some("fast-lane_1".into())), &[]);
    check(
        with(|s| s.queue = Some("arn:aws:mediaconvert:us-east-1:123456789012:queues/fast".into())),
        &[],
    );
    check(
        with(|s| s.queue = Some("fast lane".into())),
        &["transcode.queue"],
    );
    check(
        with(|s| s.queue = Some("arn:aws:mediaconvert:us-east-1:1234:queues/fast".into())),
        &["transcode.queue"],
    );
    check(with(|s| s.job_template = Some("my-template".into())), &[]);
    check(
        with(|s| s.job_template = Some("".into())),
        &["transcode.job_template"],
    );
    check(
        with(|s| s.user_metadata = vec![("team".into(), "video".into())]),
        &[],
    );
    check(
        with(|s| s.user_metadata = vec![("vod-pipeline:asset".into(), "x".into())]),
        &["transcode.user_metadata.vod-pipeline:asset"],
    );
    check(
        with(|s| s.user_metadata = vec![(" ".into(), "x".into())]),
        &["transcode.user_metadata. "],
    );

    // Captions: the sidecar must exist beside each source file; format and language are checked.
    check(
        base(t().captions(CaptionsSpec::default()).build(), vec![]),
        &["source.files[0]"],
    );
    check(
        base(
            t().captions(CaptionsSpec::builder().format("ass").language("en").build())
                .build(),
            vec![],
        ),
        &["transcode.captions.format", "transcode.captions.language"],
    );
}

/// Every new key in a TOML spec, loaded and planned; the same pipeline through the builder reports
/// the same problems when broken.
#[test]
fn transcoding_options_in_a_spec_file() {
    let dir = std::env::temp_dir().join(format!("vod-spec-t7-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs/sample.mp4"),
        dir.join("movie.mp4"),
    )
    .unwrap();
    std::fs::write(
        dir.join("movie.vtt"),
        "WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n",
    )
    .unwrap();
    let spec = r#"
name = "t7-vod"
region = "eu-west-1"
[source]
bucket = "t7-source"
prefix = "in/"
files = ["movie.mp4"]
[transcode]
role_arn = "arn:aws:iam::123456789012:role/r"
formats = ["hls", "hls-fmp4", "dash", "cmaf", "mp4"]
segment_length = "6s"
gop_length = "2s"
fragment_length = "2s"
segment_lengths = { dash = "4s" }
hls_audio_only = true
queue = "arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod"
priority = -10
acceleration = "PREFERRED"
status_update_interval = "SECONDS_30"
abr_ladder = [
  { width = 1920, height = 1080, max_bitrate = "6M", codec = "h265", qvbr_quality_level = 9 },
  { width = 1280, height = 720, max_bitrate = "3M" },
]
[[transcode.audio]]
bitrate = "128k"
[[transcode.audio]]
bitrate = "64k"
coding_mode = "CODING_MODE_1_0"
sample_rate = 44100
[transcode.captions]
format = "webvtt"
language = "fra"
[transcode.thumbnails]
interval = "5s"
width = 480
height = 270
quality = 70
max_captures = 50
[transcode.user_metadata]
team = "video"
[s3_origin]
bucket = "t7-origin"
[cloudfront]
origin_path = "/vod"
"#;
    let p = VodPipeline::from_toml_str(spec, &dir).unwrap_or_else(|e| panic!("{e}"));
    let plan = p.plan();
    let j: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    let step = |id: &str| {
        j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
            .clone()
    };
    assert_eq!(
        step("s3.upload.movie.captions")["params"]["key"],
        "in/movie.vtt"
    );
    let job = step("mediaconvert.job.movie");
    assert!(
        job["depends_on"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "s3.upload.movie.captions")
    );
    let params = &job["params"];
    assert_eq!(params["priority"], -10);
    assert_eq!(params["acceleration"], "PREFERRED");
    assert_eq!(params["status_update_interval"], "SECONDS_30");
    assert_eq!(
        params["queue"],
        "arn:aws:mediaconvert:eu-west-1:123456789012:queues/vod"
    );
    assert_eq!(params["user_metadata"]["team"], "video");
    assert_eq!(params["user_metadata"]["vod-pipeline:asset"], "movie");
    assert_eq!(params["captions"]["source"], "s3://t7-source/in/movie.vtt");
    assert_eq!(params["captions"]["source_type"], "WEBVTT");
    assert_eq!(params["captions"]["language"], "FRA");
    assert_eq!(
        params["thumbnails"]["destination"],
        "s3://t7-origin/vod/movie/thumbnails/"
    );
    assert_eq!(params["thumbnails"]["interval"], 5);
    assert_eq!(params["audio"].as_array().unwrap().len(), 2);
    assert_eq!(params["audio"][1]["sample_rate"], 44_100);
    assert_eq!(params["renditions"][0]["codec"], "h265");
    let groups = params["output_groups"].as_array().unwrap();
    let g: Vec<(&str, &str, Option<u64>)> = groups
        .iter()
        .map(|g| {
            (
                g["format"].as_str().unwrap(),
                g["group_type"].as_str().unwrap(),
                g["fragment_length"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        g,
        [
            ("hls", "HLS_GROUP_SETTINGS", None),
            ("hls-fmp4", "CMAF_GROUP_SETTINGS", Some(2)),
            ("dash", "DASH_ISO_GROUP_SETTINGS", Some(2)),
            ("cmaf", "CMAF_GROUP_SETTINGS", Some(2)),
            ("mp4", "FILE_GROUP_SETTINGS", None),
        ]
    );
    let segs: Vec<Option<u64>> = groups
        .iter()
        .map(|g| g["segment_length"].as_u64())
        .collect();
    assert_eq!(segs, [Some(6), Some(6), Some(4), Some(6), None]);
    let paths: Vec<&str> = plan.playback.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/movie/hls/movie.m3u8",
            "/movie/hls-fmp4/movie.m3u8",
            "/movie/dash/movie.mpd",
            "/movie/cmaf/movie.m3u8",
            "/movie/cmaf/movie.mpd",
            "/movie/mp4/movie.mp4",
        ]
    );

    // Broken values are all reported, with their paths.
    let broken = spec
        .replace("priority = -10", "priority = 99")
        .replace("\"PREFERRED\"", "\"SOMETIMES\"")
        .replace("\"SECONDS_30\"", "\"SECONDS_31\"")
        .replace("fragment_length = \"2s\"", "fragment_length = \"4s\"")
        .replace(
            "coding_mode = \"CODING_MODE_1_0\"",
            "coding_mode = \"CODING_MODE_1_0\"\nchannels = 1",
        )
        .replace("quality = 70", "quality = 700")
        .replace("codec = \"h265\"", "codec = \"av1\"")
        .replace("language = \"fra\"", "language = \"fr\"")
        .replace("team = \"video\"", "team = 1");
    let e = VodPipeline::from_toml_str(&broken, &dir).unwrap_err();
    let fields: Vec<&str> = e.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "transcode.audio[1].channels",
            "transcode.user_metadata.team",
            "transcode.fragment_length",
            "transcode.abr_ladder[0].codec",
            "transcode.captions.language",
            "transcode.thumbnails.quality",
            "transcode.priority",
            "transcode.acceleration",
            "transcode.status_update_interval",
        ],
        "{e}"
    );
    for v in e.violations() {
        assert!(!v.rule.is_empty(), "{v:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Without source files a pipeline is its infrastructure only: valid from the builder and from a
/// spec file without `files`, and planned without uploads, jobs, copies, invalidation or playback.
#[test]
fn a_pipeline_without_files_is_infrastructure_only() {
    use crate::common::shared_spec;
    for spec in ["mediastore.toml", "s3-origin.toml"] {
        let text = std::fs::read_to_string(shared_spec(spec)).unwrap();
        let without = crate::common::spec_without_files(spec);
        assert_ne!(without, text, "{spec} lists files");
        let dir = shared_spec(spec).parent().unwrap().to_owned();
        let pipeline = VodPipeline::from_toml_str(&without, &dir)
            .unwrap_or_else(|e| panic!("{spec} without files: {e}"));
        assert!(pipeline.assets().is_empty());
        let plan = pipeline.plan();
        let ids: Vec<String> = plan.steps.iter().map(|s| s.id.to_string()).collect();
        for absent in [
            "s3.upload.",
            "mediaconvert.job.",
            "mediastore.copy.",
            "cloudfront.invalidation",
        ] {
            assert!(
                ids.iter().all(|id| !id.starts_with(absent)),
                "{spec}: {ids:?}"
            );
        }
        for present in [
            "s3.bucket.source",
            "cloudfront.origin_access_control",
            "cloudfront.distribution",
        ] {
            assert!(ids.iter().any(|id| id == present), "{spec}: {ids:?}");
        }
        assert!(plan.playback.is_empty(), "{spec}");
        // The same plan as with files, minus the per-asset steps.
        let full = VodPipeline::from_toml_file(shared_spec(spec))
            .unwrap()
            .plan();
        let per_asset = full.steps.len() - plan.steps.len();
        let expected = full
            .steps
            .iter()
            .filter(|s| s.id.asset().is_some() || s.id == "cloudfront.invalidation")
            .count();
        assert_eq!(per_asset, expected, "{spec}");
    }
    // The builder, with no files at all.
    let pipeline = VodPipeline::builder()
        .name("infra")
        .region("us-east-1")
        .source(SourceSpec::builder().bucket("infra-source").build())
        .transcode(
            TranscodeSpec::builder()
                .role_arn("arn:aws:iam::123456789012:role/MediaConvert_Default_Role")
                .build(),
        )
        .abr_ladder("aws-qvbr")
        .s3_origin(S3OriginSpec::builder().bucket("infra-origin").build())
        .cloudfront(CloudFrontSpec::builder().build())
        .build()
        .expect("a pipeline without files is valid");
    assert!(pipeline.plan().playback.is_empty());
}

/// Rules AWS documents that a spec alone can break (issue 16): each one is an input error that
/// names the field, the value and the AWS page, before any AWS call.
#[test]
fn documented_aws_rules_in_a_spec() {
    let spec = |ladder: &str, captions: &str, cloudfront: &str| {
        format!(
            r#"
name = "c-vod"
region = "eu-west-1"
[source]
bucket = "c-vod-source"
[transcode]
role_arn = "arn:aws:iam::123456789012:role/r"
formats = ["hls", "cmaf"]
abr_ladder = [{ladder}]
{captions}
[s3_origin]
bucket = "c-vod-origin"
[cloudfront]
{cloudfront}
"#
        )
    };
    let violations = |text: String| -> Vec<(String, String, String)> {
        match VodPipeline::from_toml_str(&text, std::env::temp_dir()) {
            Ok(_) => Vec::new(),
            Err(e) => {
                assert!(e.is_input_error(), "{e}");
                e.violations()
                    .iter()
                    .map(|v| (v.field.clone(), v.value.clone(), v.rule.clone()))
                    .collect()
            }
        }
    };
    let hd = r#"{ width = 1280, height = 720, max_bitrate = "3M" }"#;
    assert_eq!(violations(spec(hd, "", "")), vec![]);

    // The largest output resolution per codec.
    let v = violations(spec(
        r#"{ width = 4096, height = 2304, max_bitrate = "20M" }, { width = 2160, height = 3840, max_bitrate = "20M" }, { width = 8192, height = 4320, max_bitrate = "40M", codec = "h265" }, { width = 8192, height = 4608, max_bitrate = "40M", codec = "h265" }"#,
        "",
        "",
    ));
    let fields: Vec<&str> = v.iter().map(|(f, _, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "transcode.abr_ladder[0].width",
            "transcode.abr_ladder[3].width"
        ]
    );
    assert_eq!(v[0].1, "4096x2304");
    assert!(
        v[0].2.contains("4096x2160")
            && v[0]
                .2
                .contains("supported-output-resolution-maximums-by-codec"),
        "{}",
        v[0].2
    );
    assert!(v[1].2.contains("H.265 up to 8192x4320"), "{}", v[1].2);

    // Caption languages: MediaConvert's LanguageCode enum, not any three letters.
    let captions =
        |lang: &str| format!("[transcode.captions]\nformat = \"srt\"\nlanguage = \"{lang}\"");
    assert_eq!(violations(spec(hd, &captions("fra"), "")), vec![]);
    for (given, hint) in [("fre", "FRA"), ("CHI", "ZHO"), ("dut", "NLD")] {
        let v = violations(spec(hd, &captions(given), ""));
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].0, "transcode.captions.language");
        assert_eq!(v[0].1, given);
        assert!(
            v[0].2.contains(hint) && v[0].2.contains("languagecode"),
            "{}",
            v[0].2
        );
    }
    let v = violations(spec(hd, &captions("xyz"), ""));
    assert!(v[0].2.contains("LanguageCode values"), "{v:?}");

    // A max_ttl of 0 disables caching, which a cache policy with Origin in its key cannot do;
    // the legacy form (ForwardedValues) can.
    let uncached =
        "object_caching = \"customize\"\nmin_ttl = \"0s\"\ndefault_ttl = \"0s\"\nmax_ttl = \"0s\"";
    let v = violations(spec(hd, "", uncached));
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].0.as_str(), v[0].1.as_str()),
        ("cloudfront.max_ttl", "0s")
    );
    assert!(
        v[0].2.contains("disables caching") && v[0].2.contains("cache-key-understand-cache-policy"),
        "{}",
        v[0].2
    );
    let legacy = format!("{uncached}\ncache_settings = \"legacy\"");
    assert_eq!(violations(spec(hd, "", &legacy)), vec![]);
}

/// The first hour (issue 18): messages a newcomer meets. A folder with the shared s3-origin spec,
/// `sample.mp4`, an empty `empty.mp4` and random bytes named `noise.mp4`; `edit` replaces text.
fn first_hour(edit: &[(&str, &str)]) -> Result<VodPipeline, Error> {
    let dir = std::env::temp_dir().join(format!("vod-first-hour-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs/sample.mp4"),
        dir.join("sample.mp4"),
    )
    .unwrap();
    std::fs::write(dir.join("empty.mp4"), b"").unwrap();
    // Random-looking bytes: a fixed start that is no container's signature, then a pseudo-random run.
    let mut noise = b"\xde\xad\xbe\xef\x13\x37BB".to_vec();
    noise.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(dir.join("noise.mp4"), noise).unwrap();
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/specs/s3-origin.toml"
    ))
    .unwrap();
    for (from, to) in edit {
        assert!(text.contains(from), "no {from:?}");
        text = text.replace(from, to);
    }
    VodPipeline::from_toml_str(&text, &dir)
}

fn rule_of(err: &Error, field: &str) -> String {
    err.violations()
        .iter()
        .find(|v| v.field == field)
        .unwrap_or_else(|| panic!("no problem with {field}: {err}"))
        .rule
        .clone()
}

#[test]
fn an_empty_or_non_media_source_file_is_refused_at_validation() {
    first_hour(&[]).expect("the sample passes");
    let err = first_hour(&[(
        r#"files = ["sample.mp4"]"#,
        r#"files = ["sample.mp4", "empty.mp4", "noise.mp4"]"#,
    )])
    .unwrap_err();
    assert_eq!(err.violations().len(), 2, "{err}");
    let empty = rule_of(&err, "source.files[1]");
    assert!(empty.contains("is empty (0 bytes)"), "{empty}");
    let noise = rule_of(&err, "source.files[2]");
    assert!(
        noise.contains("is not a media file MediaConvert reads")
            && noise.contains("reference-codecs-containers-input"),
        "{noise}"
    );
}

#[test]
fn a_ttl_too_large_to_count_is_out_of_range() {
    let err = first_hour(&[(
        r#"default_ttl = "6h""#,
        r#"default_ttl = "99999999999999999999s""#,
    )])
    .unwrap_err();
    let rule = rule_of(&err, "cloudfront.default_ttl");
    assert!(
        rule.starts_with("is out of range")
            && rule.contains("3153600000 s")
            && rule.contains("https://docs.aws.amazon.com/cloudfront/"),
        "{rule}"
    );
}

#[test]
fn a_cors_origin_is_told_which_part_is_wrong() {
    let err = first_hour(&[(
        r#"cors_allowed_origins = ["https://app.example.com", "http://localhost:8080"]"#,
        r#"cors_allowed_origins = ["https://*.example.com", "http://localhost:99999"]"#,
    )])
    .unwrap_err();
    let wildcard = rule_of(&err, "cloudfront.cors_allowed_origins[0]");
    assert!(wildcard.contains("the host has a wildcard"), "{wildcard}");
    let port = rule_of(&err, "cloudfront.cors_allowed_origins[1]");
    assert!(
        port.contains("the port must be a number from 1 to 65535"),
        "{port}"
    );
}

/// A 5 MB comment is shown by its start and length; tens of thousands of bad `files` entries print
/// a bounded list and how many more, and every problem is still in the error.
#[test]
fn long_values_and_many_problems_make_a_short_message() {
    let comment = "c".repeat(5 * 1024 * 1024);
    let err = first_hour(&[(
        r#"price_class = "PriceClass_100""#,
        &format!("price_class = \"PriceClass_100\"\ncomment = \"{comment}\""),
    )])
    .unwrap_err();
    let text = err.to_string();
    assert!(text.len() < 2_000, "{} bytes: {}", text.len(), &text[..200]);
    assert!(
        text.contains("cloudfront.comment") && text.contains("(5242880 characters in all)"),
        "{text}"
    );

    let files: Vec<String> = (0..20_000)
        .map(|i| format!("\"missing-{i}.mp4\""))
        .collect();
    let err = first_hour(&[(
        r#"files = ["sample.mp4"]"#,
        &format!("files = [{}]", files.join(", ")),
    )])
    .unwrap_err();
    assert_eq!(err.violations().len(), 20_000);
    let text = err.to_string();
    assert!(text.len() < 20_000, "{} bytes", text.len());
    assert!(
        text.contains("... and 19950 more"),
        "{}",
        &text[text.len() - 200..]
    );
}
