//! The `source` section: the bucket, the key prefix and the list of files, which may be empty (then
//! apply deploys the infrastructure only). Each file is checked, and becomes an asset, in
//! [`super::assets`].

use std::path::PathBuf;

use super::Collector;
use crate::spec::input::SourceSpec;
use crate::types::{BucketName, KeyPrefix};

/// The source section as far as it parsed.
pub(super) struct Parsed {
    pub(super) bucket: Option<BucketName>,
    pub(super) prefix: Option<KeyPrefix>,
    pub(super) files: Vec<PathBuf>,
}

pub(super) fn section(c: &mut Collector, s: SourceSpec) -> Parsed {
    let bucket = c.get("source.bucket", s.bucket);
    let prefix = c
        .opt("source.prefix", s.prefix)
        .map(Option::unwrap_or_default);
    Parsed {
        bucket,
        prefix,
        files: s.files,
    }
}
