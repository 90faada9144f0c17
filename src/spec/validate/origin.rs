//! The origin: exactly one of `mediastore` (deprecated by AWS) and `s3_origin` (recommended), where
//! MediaConvert writes for it, and the rules between the origin and the source.

use std::str::FromStr;

use super::Collector;
use crate::spec::input::{MediaStoreSpec, S3OriginSpec};
use crate::spec::model::{CloudFront, Origin};
use crate::types::*;

pub(super) fn section(
    c: &mut Collector,
    mediastore: Option<MediaStoreSpec>,
    s3_origin: Option<S3OriginSpec>,
) -> Option<Origin> {
    match (mediastore, s3_origin) {
        (Some(ms), None) => c
            .get("mediastore.container", ms.container)
            .map(|container| Origin::MediaStore { container }),
        (None, Some(s3)) => c
            .get("s3_origin.bucket", s3.bucket)
            .map(|bucket| Origin::S3 { bucket }),
        (Some(_), Some(_)) => {
            c.push(
                "origin",
                "mediastore and s3_origin",
                "choose exactly one origin: s3_origin (recommended) or mediastore",
            );
            None
        }
        (None, None) => {
            c.push("origin", "", "an origin is required: s3_origin (recommended) or mediastore (discontinued by AWS on 2025-11-13)");
            None
        }
    }
}

/// Where MediaConvert writes: (bucket, prefix).
pub(super) fn output_location(
    c: &mut Collector,
    origin: Option<&Origin>,
    bucket: Option<Option<BucketName>>,
    prefix: Option<Option<KeyPrefix>>,
    cloudfront: Option<&CloudFront>,
) -> Option<(BucketName, KeyPrefix)> {
    let (bucket, prefix) = (bucket?, prefix?);
    match origin? {
        Origin::MediaStore { .. } => match bucket {
            Some(b) => Some((b, prefix.unwrap_or_default())),
            None => {
                c.push("transcode.output_bucket", "", "required with a MediaStore origin: MediaConvert writes only to S3, and the packaged output is copied from there into the container");
                None
            }
        },
        Origin::S3 {
            bucket: origin_bucket,
        } => {
            // Another output bucket (a pipeline moved off MediaStore keeps its own): MediaConvert
            // writes there, and the output is copied into the origin under the origin path.
            if let Some(b) = bucket
                && &b != origin_bucket
            {
                return Some((b, prefix.unwrap_or_default()));
            }
            if let Some(p) = &prefix {
                c.push("transcode.output_prefix", p.as_str(), format!("with an S3 origin MediaConvert writes into the origin bucket ({origin_bucket}) under cloudfront.origin_path; leave output_prefix out, or name another transcode.output_bucket to copy the output from"));
            }
            let prefix = KeyPrefix::from_str(&cloudfront?.origin_path.as_key_prefix()).ok()?;
            Some((origin_bucket.clone(), prefix))
        }
    }
}

/// The rules between the origin, the source and the output location.
pub(super) fn cross_checks(
    c: &mut Collector,
    origin: Option<&Origin>,
    source: &super::source::Parsed,
    output: Option<&(BucketName, KeyPrefix)>,
) {
    if let (Some(Origin::S3 { bucket }), Some(src)) = (origin, source.bucket.as_ref())
        && bucket == src
    {
        c.push(
            "s3_origin.bucket",
            bucket.as_str(),
            "must differ from source.bucket: CloudFront may read everything in the origin bucket, and the mezzanine files must stay private",
        );
    }
    // Only where the output bucket is not the origin bucket (which must differ from the source).
    let separate_output = |out: &BucketName| match origin {
        Some(Origin::S3 { bucket }) => bucket != out,
        _ => true,
    };
    if let (Some(src), Some(src_prefix), Some((out_bucket, out_prefix))) =
        (source.bucket.as_ref(), source.prefix.as_ref(), output)
        && src == out_bucket
        && separate_output(out_bucket)
        && (src_prefix.as_str().starts_with(out_prefix.as_str())
            || out_prefix.as_str().starts_with(src_prefix.as_str()))
    {
        c.push(
            "transcode.output_prefix",
            out_prefix.as_str(),
            format!(
                "the output bucket is the source bucket, so the output prefix and source.prefix ({:?}) must not contain one another",
                src_prefix.as_str()
            ),
        );
    }
}

/// MediaStore folder-name rules (<https://docs.aws.amazon.com/mediastore/latest/ug/folders-rules-for-names.html>):
/// 3 to 63 characters of letters, digits, `.`, `-` and `~`; starting with a letter or digit; not ending
/// with `-`; no `..`, `-.` or `.-`; not formatted as an IP address.
pub(crate) fn mediastore_folder_rule(s: &str) -> Result<(), &'static str> {
    const RULE: &str = "must be a MediaStore folder name: 3 to 63 letters, digits, '.', '-' and '~', starting with a letter or digit, not ending with '-', with no '..', '-.' or '.-' and not an IP address (https://docs.aws.amazon.com/mediastore/latest/ug/folders-rules-for-names.html)";
    let ok = (3..=63).contains(&s.len())
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ".-~".contains(ch))
        && s.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && !s.ends_with('-')
        && !s.contains("..")
        && !s.contains("-.")
        && !s.contains(".-")
        && s.parse::<std::net::Ipv4Addr>().is_err();
    if ok { Ok(()) } else { Err(RULE) }
}

#[cfg(test)]
mod tests {
    use super::mediastore_folder_rule as rule;

    #[test]
    fn mediastore_folder_names() {
        assert!(rule("vod").is_ok());
        assert!(rule("sample").is_ok());
        assert!(rule(&"a".repeat(63)).is_ok());
        assert!(rule(&"a".repeat(64)).is_err());
        assert!(rule("ab").is_err());
        assert!(rule("a_b").is_err());
        assert!(rule("-ab").is_err());
        assert!(rule("ab-").is_err());
        assert!(rule("a..b").is_err());
        assert!(rule("a-.b").is_err());
        assert!(rule("a.-b").is_err());
        assert!(rule("10.0.0.1").is_err());
        assert!(rule("v1.2~x").is_ok());
    }
}
