//! The crate and the emulator each keep their own copy of the AWS rules they both encode: the crate
//! to check input and build requests, the emulator as the test oracle. These tests fail when the two
//! copies drift apart.

use std::collections::BTreeSet;

use vod_emulator::rules;

use crate::plan::managed;
use crate::types::{CONTENT_TYPES, FORBIDDEN_HEADER_PREFIXES, FORBIDDEN_HEADERS};

#[test]
fn forbidden_origin_custom_headers_agree() {
    let ours: BTreeSet<&str> = FORBIDDEN_HEADERS.iter().copied().collect();
    let emulator: BTreeSet<&str> = rules::FORBIDDEN_ORIGIN_HEADERS.iter().copied().collect();
    assert_eq!(
        ours.symmetric_difference(&emulator).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "names only one side refuses"
    );
    assert_eq!(
        FORBIDDEN_HEADER_PREFIXES,
        rules::FORBIDDEN_ORIGIN_HEADER_PREFIXES
    );
    // And the emulator's own predicate agrees with the crate's validation on every listed name, in
    // the case a user would write it.
    for name in FORBIDDEN_HEADERS {
        let written: String = name
            .split('-')
            .map(|w| w[..1].to_ascii_uppercase() + &w[1..])
            .collect::<Vec<_>>()
            .join("-");
        assert!(rules::is_forbidden_origin_header(&written), "{written}");
        assert!(
            written.parse::<crate::types::HeaderName>().is_err(),
            "{written}"
        );
    }
    for allowed in ["X-Origin-Verify", "Authorization", "Origin"] {
        assert!(!rules::is_forbidden_origin_header(allowed), "{allowed}");
        assert!(
            allowed.parse::<crate::types::HeaderName>().is_ok(),
            "{allowed}"
        );
    }
}

#[test]
fn managed_policy_ids_agree() {
    let emulator = rules::managed_policy_ids();
    for (name, id) in [
        managed::CORS_S3_ORIGIN,
        managed::CORS_CUSTOM_ORIGIN,
        managed::CORS_WITH_PREFLIGHT,
    ] {
        let theirs = emulator.iter().find(|(n, _)| n == name).map(|(_, i)| *i);
        assert_eq!(theirs, Some(id), "{name}");
    }
}

#[test]
fn content_types_agree_where_both_know_the_extension() {
    let mut shared = 0;
    for (ext, ours) in CONTENT_TYPES {
        if let Some((_, theirs)) = rules::CONTENT_TYPES.iter().find(|(e, _)| e == ext) {
            // Media types compare without regard to case (RFC 9110, section 8.3.1).
            assert!(
                ours.eq_ignore_ascii_case(theirs),
                ".{ext}: crate {ours}, emulator {theirs}"
            );
            shared += 1;
        }
    }
    // The manifests, segments and captions of every format are in both tables.
    assert!(shared >= 8, "only {shared} extensions in common");
    assert_eq!(
        crate::types::content_type("noext"),
        rules::content_type("noext")
    );
}
