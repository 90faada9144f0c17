//! Arbitrary builder and TOML input never panics: it gives a pipeline, or an error listing problems.

use proptest::prelude::*;
use vod_pipeline::{
    CloudFrontSpec, Error, MediaStoreSpec, RenditionSpec, S3OriginSpec, SourceSpec, TranscodeSpec,
    VodPipeline,
};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs/sample.mp4");

/// Mostly plausible values, sometimes valid, sometimes anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("seed-vod".to_owned()),
        Just("us-east-1".to_owned()),
        Just("arn:aws:iam::123456789012:role/r".to_owned()),
        Just("/vod".to_owned()),
        Just("6s".to_owned()),
        Just("365d".to_owned()),
        Just("3000k".to_owned()),
        Just("https://player.example.com".to_owned()),
        Just("*".to_owned()),
        Just("customize".to_owned()),
        "[a-z0-9._/:*-]{0,70}",
        "[0-9]{1,25}[smhdkM]?",
        any::<String>(),
    ]
}

fn ok_or_problems(r: Result<VodPipeline, Error>) {
    match r {
        Ok(p) => {
            let plan = p.plan();
            let json: serde_json::Value =
                serde_json::from_str(&plan.to_json()).expect("plan JSON parses");
            assert!(json["steps"].as_array().is_some_and(|s| !s.is_empty()));
            let _ = plan.to_string();
        }
        Err(Error::Invalid(v)) => {
            assert!(!v.is_empty());
            let _ = v.to_string();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn builder_never_panics(
        name in text(), region in text(), bucket in text(), prefix in proptest::option::of(text()),
        use_sample in any::<bool>(), file in text(),
        role in text(), out_bucket in proptest::option::of(text()), out_prefix in proptest::option::of(text()),
        formats in proptest::collection::vec(text(), 0..4), seg in proptest::option::of(text()), gop in proptest::option::of(text()),
        ladder in prop_oneof![
            text().prop_map(vod_pipeline::LadderSpec::Preset),
            proptest::collection::vec((any::<i64>(), -10i64..9000, text(), proptest::option::of(-3i64..15)), 0..4)
                .prop_map(|v| vod_pipeline::LadderSpec::Renditions(v.into_iter().map(|(w, h, b, q)| RenditionSpec {
                    width: w % 10_000, height: h, max_bitrate: b.into(), qvbr_quality_level: q, codec: None,
                }).collect())),
        ],
        origin in 0u8..4, container in text(),
        path in proptest::option::of(text()), ttls in proptest::collection::vec(proptest::option::of(text()), 4),
        mode in proptest::option::of(text()), cors in proptest::collection::vec(text(), 0..3),
        headers in proptest::collection::vec((text(), text()), 0..12),
        enums in proptest::collection::vec(proptest::option::of(text()), 4),
        aliases in proptest::collection::vec(text(), 0..2), cert in proptest::option::of(text()),
    ) {
        let files = if use_sample { vec![SAMPLE.to_owned()] } else { vec![file] };
        let mut t = TranscodeSpec::builder().role_arn(role).formats(formats)
            .maybe_output_bucket(out_bucket).maybe_output_prefix(out_prefix)
            .maybe_segment_length(seg).maybe_gop_length(gop).build();
        t.formats.truncate(3);
        let cf = CloudFrontSpec::builder()
            .maybe_origin_path(path)
            .maybe_min_ttl(ttls[0].clone()).maybe_default_ttl(ttls[1].clone()).maybe_max_ttl(ttls[2].clone())
            .maybe_error_caching_min_ttl(ttls[3].clone()).maybe_object_caching(mode)
            .cors_allowed_origins(cors).origin_custom_headers(headers)
            .maybe_price_class(enums[0].clone()).maybe_cache_settings(enums[1].clone())
            .maybe_viewer_protocol_policy(enums[2].clone()).maybe_http_version(enums[3].clone())
            .aliases(aliases).maybe_acm_certificate_arn(cert)
            .build();
        let b = VodPipeline::builder()
            .name(name).region(region)
            .source(SourceSpec::builder().bucket(bucket).maybe_prefix(prefix).files(files).build())
            .transcode(t).abr_ladder(ladder).cloudfront(cf);
        let ms = MediaStoreSpec::builder().container(container.clone()).build();
        let s3 = S3OriginSpec::builder().bucket(container).build();
        let r = match origin {
            0 => b.build(),
            1 => b.mediastore(ms).build(),
            2 => b.s3_origin(s3).build(),
            _ => b.mediastore(ms).s3_origin(s3).build(),
        };
        ok_or_problems(r);
    }

    #[test]
    fn toml_text_never_panics(text in any::<String>()) {
        ok_or_problems(VodPipeline::from_toml_str(&text, "."));
    }

    #[test]
    fn toml_documents_never_panic(doc in toml_doc()) {
        let text = toml::to_string(&doc).unwrap_or_default();
        ok_or_problems(VodPipeline::from_toml_str(&text, concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs")));
    }
}

fn value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        text().prop_map(toml::Value::String),
        Just(toml::Value::String("sample.mp4".into())),
        any::<i64>().prop_map(toml::Value::Integer),
        (-5i64..10_000).prop_map(toml::Value::Integer),
        any::<bool>().prop_map(toml::Value::Boolean),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(toml::Value::Float),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            proptest::collection::btree_map(key(), inner, 0..5)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

/// Keys the loader knows, and some it does not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "name",
            "region",
            "source",
            "bucket",
            "prefix",
            "files",
            "transcode",
            "role_arn",
            "output_bucket",
            "output_prefix",
            "formats",
            "segment_length",
            "gop_length",
            "abr_ladder",
            "width",
            "height",
            "max_bitrate",
            "qvbr_quality_level",
            "mediastore",
            "container",
            "s3_origin",
            "cloudfront",
            "comment",
            "origin_path",
            "origin_custom_headers",
            "object_caching",
            "min_ttl",
            "default_ttl",
            "max_ttl",
            "error_caching_min_ttl",
            "cors_allowed_origins",
            "cache_settings",
            "price_class",
            "viewer_protocol_policy",
            "http_version",
            "aliases",
            "acm_certificate_arn",
            "enabled",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_-]{1,12}",
    ]
}

fn toml_doc() -> impl Strategy<Value = toml::Table> {
    // Start from the real spec and overwrite or add some keys, so that deep paths are reached.
    let base: toml::Table = toml::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/specs/mediastore.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    let sections = vec![
        "",
        "source",
        "transcode",
        "mediastore",
        "s3_origin",
        "cloudfront",
    ];
    proptest::collection::vec((proptest::sample::select(sections), key(), value()), 0..6).prop_map(
        move |edits| {
            let mut doc = base.clone();
            for (section, k, v) in edits {
                let table = if section.is_empty() {
                    &mut doc
                } else {
                    match doc
                        .entry(section)
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                    {
                        toml::Value::Table(t) => t,
                        _ => continue,
                    }
                };
                table.insert(k, v);
            }
            doc
        },
    )
}
