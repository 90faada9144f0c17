//! The one home of derived names: the tag that finds a pipeline's resources again, the markers
//! that make jobs and copies idempotent, the hash behind idempotency tokens, and `s3://` URIs.

/// The tag every resource carries, so apply can find it again without a state file.
pub(crate) const PIPELINE_TAG: &str = "vod-pipeline:pipeline";

/// The marker a finished MediaConvert job leaves beside its output groups:
/// `<output prefix><asset>/.vod-pipeline-job.json`.
pub(crate) const JOB_MARKER: &str = ".vod-pipeline-job.json";

/// The folder, under the output prefix, where each published asset has one empty object named
/// after the job that produced it: `<output prefix>.vod-pipeline/assets/<asset>/<job id>`. Listing it
/// lists the catalog, a page per 1,000 assets, without reading any asset's folder.
pub(crate) const PUBLISHED_INDEX: &str = ".vod-pipeline/assets/";

/// The folder, under the output prefix, where apply records each asset of the spec with one empty
/// object, `<output prefix>.vod-pipeline/spec-assets/<asset>`: the assets a later apply may delete
/// once they leave the spec. Assets published at runtime are never recorded here, so never swept.
pub(crate) const SPEC_INDEX: &str = ".vod-pipeline/spec-assets/";

/// The object, under the output prefix, that names the origin bucket the output is copied into
/// (`<output prefix>.vod-pipeline/copies-origin`, the bucket name as its body). When the origin moves
/// away from that bucket (back to MediaStore, or to another bucket), the spec no longer names it; this
/// record is how apply finds the copies it made there.
pub(crate) const COPIES_ORIGIN: &str = ".vod-pipeline/copies-origin";

/// The claim a publisher takes, with a conditional write, before it starts a job:
/// `<output prefix><asset>/.vod-pipeline-claim-<token>.json`. The first writer starts the job and
/// records its id in the claim; every other publisher of the same content waits for that job.
pub(crate) const CLAIM_PREFIX: &str = ".vod-pipeline-claim-";

/// The marker a finished copy into a MediaStore container leaves in the asset's folder.
pub(crate) const COPY_MARKER: &str = "vod-pipeline-copy.json";

/// FNV-1a, 64 bits: a hash that is stable across runs and platforms, for idempotency tokens and
/// caller references.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The name of the pipeline's origin access control for an origin of `kind`. CloudFront has no tags
/// on an OAC, so destroy and the sweep of unused resources find it by this name.
pub(crate) fn oac_name(pipeline: &str, kind: crate::spec::model::OriginKind) -> String {
    format!("{pipeline}-{kind}-oac")
}

/// The name of a CloudFront policy that every pipeline with the same configuration shares:
/// `vod-<kind>-<16 hex digits of the configuration's hash>`. An account has 20 custom cache policies
/// and 20 custom response headers policies by default
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-policies>),
/// so a policy per pipeline would stop the 21st pipeline.
pub(crate) fn shared_policy_name(kind: &str, configuration: &str) -> String {
    format!("vod-{kind}-{:016x}", fnv1a64(configuration.as_bytes()))
}

/// The comment of a shared policy: it names no pipeline, since several use it.
pub(crate) const SHARED_POLICY_COMMENT: &str =
    "vod-pipeline: shared by every pipeline with this configuration";

/// `s3://bucket/key` to bucket and key (the key may be empty); `None` for anything else.
pub(crate) fn parse_s3_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then_some((bucket, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        // Test vectors of the FNV reference implementation.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn s3_uris() {
        assert_eq!(parse_s3_uri("s3://b/k/x.mp4"), Some(("b", "k/x.mp4")));
        assert_eq!(parse_s3_uri("s3://b/"), Some(("b", "")));
        assert_eq!(parse_s3_uri("s3://b"), Some(("b", "")));
        assert_eq!(parse_s3_uri("s3:///k"), None);
        assert_eq!(parse_s3_uri("https://b/k"), None);
        assert_eq!(parse_s3_uri("s3://b/p/a/"), Some(("b", "p/a/")));
        assert_eq!(parse_s3_uri("https://b/"), None);
    }
}
