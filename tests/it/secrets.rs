//! Origin custom header values never appear in Debug, Display, JSON or errors.

use vod_pipeline::VodPipeline;

const SECRET: &str = "replace-with-a-secret";

#[test]
fn secret_header_value_is_never_shown() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/specs/mediastore.toml"
    );
    assert!(
        std::fs::read_to_string(spec).unwrap().contains(SECRET),
        "the spec carries the secret"
    );
    let p = VodPipeline::from_toml_file(spec).unwrap();
    let plan = p.plan();
    for (what, text) in [
        ("pipeline Debug", format!("{p:?}")),
        ("plan Debug", format!("{plan:?}")),
        ("plan Display", plan.to_string()),
        ("plan JSON", plan.to_json()),
    ] {
        assert!(!text.contains(SECRET), "{what} leaks the header value");
    }
    assert!(
        plan.to_json().contains("X-Origin-Verify"),
        "the header name is shown"
    );
    // The value is still there for the executor.
    assert_eq!(p.cloudfront().custom_headers[0].value.expose(), SECRET);
}

#[test]
fn secret_is_not_echoed_by_errors() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/specs/mediastore.toml"
    ))
    .unwrap()
    .replace(
        "X-Origin-Verify = \"replace-with-a-secret\"",
        &format!(
            "X-Origin-Verify = \"{}\"",
            "replace-with-a-secret".repeat(100)
        ),
    );
    let e = VodPipeline::from_toml_str(
        &text,
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs"),
    )
    .unwrap_err();
    assert_eq!(e.violations().len(), 1, "{e}");
    assert!(!e.to_string().contains(SECRET), "{e}");
    assert!(!format!("{e:?}").contains(SECRET));
}
