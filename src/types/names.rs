//! Names and identifiers: pipeline, bucket, key prefix, container, role ARN, region, certificate ARN.

use super::string_newtype;

/// The pipeline's name. Every resource name, tag and idempotency token derives from it.
///
/// Rule (this crate's, chosen so that every derived name fits AWS's limits): 1 to 40 characters,
/// lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen. The
/// tightest derived name is the origin access control name (at most 64 characters,
/// <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_OriginAccessControlConfig.html>),
/// which is `<name>-` plus up to 16 characters; cache policy names allow only letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PipelineName(String);
string_newtype!(PipelineName);

impl PipelineName {
    /// Longest accepted name.
    pub const MAX_LEN: usize = 40;

    fn check(s: &str) -> Result<(), String> {
        let rule = "must be 1 to 40 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen";
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok { Ok(()) } else { Err(rule.into()) }
    }
}

/// An S3 general-purpose bucket name.
///
/// Rules (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>): 3 to 63
/// characters; lowercase letters, digits, `.` and `-`; begins and ends with a letter or digit; no two
/// adjacent periods; not formatted as an IPv4 address; does not start with `xn--`, `sthree-` or
/// `amzn-s3-demo-`; does not end with `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3` or `--table-s3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketName(String);
string_newtype!(BucketName);

impl BucketName {
    fn check(s: &str) -> Result<(), String> {
        const PAGE: &str =
            "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)";
        if !(3..=63).contains(&s.len()) {
            return Err(format!(
                "an S3 bucket name must be 3 to 63 characters long {PAGE}"
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err(format!(
                "an S3 bucket name may contain only lowercase letters, digits, '.' and '-' {PAGE}"
            ));
        }
        let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        if !s.starts_with(alnum) || !s.ends_with(alnum) {
            return Err(format!(
                "an S3 bucket name must begin and end with a letter or digit {PAGE}"
            ));
        }
        if s.contains("..") {
            return Err(format!(
                "an S3 bucket name must not contain two adjacent periods {PAGE}"
            ));
        }
        if s.parse::<std::net::Ipv4Addr>().is_ok() {
            return Err(format!(
                "an S3 bucket name must not be formatted as an IP address {PAGE}"
            ));
        }
        for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
            if s.starts_with(p) {
                return Err(format!(
                    "an S3 bucket name must not start with the reserved prefix {p:?} {PAGE}"
                ));
            }
        }
        for x in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
            if s.ends_with(x) {
                return Err(format!(
                    "an S3 bucket name must not end with the reserved suffix {x:?} {PAGE}"
                ));
            }
        }
        Ok(())
    }
}

/// An S3 key prefix such as `uploads/`: empty, or ending with `/`.
///
/// Rules: a key is at most 1,024 bytes of UTF-8
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html>); this crate also requires
/// a prefix to be empty or end with `/`, not to start with `/`, and to have no empty, `.` or `..`
/// segment, so that keys map cleanly onto folders and URL paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KeyPrefix(String);
string_newtype!(KeyPrefix);

impl KeyPrefix {
    /// Longest key S3 accepts, in bytes.
    pub const MAX_KEY_BYTES: usize = 1024;

    fn check(s: &str) -> Result<(), String> {
        if s.is_empty() {
            return Ok(());
        }
        if s.len() > Self::MAX_KEY_BYTES {
            return Err("an S3 key is at most 1024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html)".into());
        }
        if !s.ends_with('/') || s.starts_with('/') {
            return Err(
                "a key prefix must end with '/' and must not start with '/', e.g. \"uploads/\""
                    .into(),
            );
        }
        let body = &s[..s.len() - 1];
        if body
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
        {
            return Err("a key prefix must not contain empty, '.' or '..' segments".into());
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("a key prefix must not contain control characters".into());
        }
        Ok(())
    }

    /// `prefix + rest`.
    pub fn join(&self, rest: &str) -> String {
        format!("{}{}", self.0, rest)
    }
}

/// An AWS Elemental MediaStore container name.
///
/// **MediaStore was discontinued by AWS on 2025-11-13.** Rules
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/containers-rules-for-names.html>): 1 to 255
/// characters of uppercase and lowercase letters, digits and underscores. (The API pattern `[\w-]+` also
/// admits `-`; the user guide does not, and this crate follows the stricter user guide.)
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerName(String);
string_newtype!(ContainerName);

impl ContainerName {
    fn check(s: &str) -> Result<(), String> {
        if (1..=255).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            Ok(())
        } else {
            Err("a MediaStore container name is 1 to 255 letters, digits and underscores (https://docs.aws.amazon.com/mediastore/latest/ug/containers-rules-for-names.html)".into())
        }
    }
}

/// The ARN of the IAM role MediaConvert assumes to read the source and write the output.
///
/// Form (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns>):
/// `arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`; the role name is 1 to 64
/// characters of letters, digits and `+=,.@_-`, and a path is `/`-separated segments of printable ASCII
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleArn(String);
string_newtype!(RoleArn);

impl RoleArn {
    fn check(s: &str) -> Result<(), String> {
        let rule = "must be an IAM role ARN, arn:aws:iam::<12-digit account id>:role/<path/><name> with a role name of 1 to 64 characters from letters, digits and +=,.@_- (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)";
        let mut parts = s.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(rule.into());
        };
        if !matches!(partition, "aws" | "aws-cn" | "aws-us-gov") {
            return Err(rule.into());
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(rule.into());
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(rule.into());
        };
        if path_and_name.len() > 512 + 64 {
            return Err(rule.into());
        }
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        let name_ok = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        let path = &path_and_name[..path_and_name.len() - name.len()];
        let path_ok = path
            .split('/')
            .all(|seg| seg.chars().all(|c| c.is_ascii_graphic()))
            && !path.contains("//");
        if name_ok && path_ok {
            Ok(())
        } else {
            Err(rule.into())
        }
    }

    /// The 12-digit account id in the ARN.
    pub fn account_id(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }

    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }
}

/// An AWS Region code such as `us-east-1`.
///
/// Form (<https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>): a
/// two-letter area, optional `-gov`, a direction word, and a number: `^[a-z]{2}(-gov)?-[a-z]+-[0-9]{1,2}$`.
/// This checks the form only: whether a service runs in the Region is AWS's answer, at apply time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Region(String);
string_newtype!(Region);

impl Region {
    fn check(s: &str) -> Result<(), String> {
        let rule = "must be an AWS Region code such as us-east-1 or eu-west-1 (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html)";
        let parts: Vec<&str> = s.split('-').collect();
        let lower = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase());
        let ok = match parts.as_slice() {
            [area, dir, num] => {
                area.len() == 2 && lower(area) && lower(dir) && is_small_number(num)
            }
            [area, "gov", dir, num] => {
                area.len() == 2 && lower(area) && lower(dir) && is_small_number(num)
            }
            _ => false,
        };
        if ok { Ok(()) } else { Err(rule.into()) }
    }
}

fn is_small_number(s: &str) -> bool {
    (1..=2).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
}

/// The ARN of an ACM certificate for the distribution's alternate domain names.
///
/// CloudFront only uses certificates from ACM in US East (N. Virginia), `us-east-1`
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html>):
/// `arn:aws:acm:us-east-1:<12-digit account>:certificate/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AcmCertificateArn(String);
string_newtype!(AcmCertificateArn);

impl AcmCertificateArn {
    fn check(s: &str) -> Result<(), String> {
        let rule = "must be an ACM certificate ARN in us-east-1, arn:aws:acm:us-east-1:<account id>:certificate/<id>: CloudFront only uses certificates from us-east-1 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html)";
        let p: Vec<&str> = s.splitn(6, ':').collect();
        let ok = p.len() == 6
            && p[0] == "arn"
            && matches!(p[1], "aws" | "aws-cn" | "aws-us-gov")
            && p[2] == "acm"
            && p[3] == "us-east-1"
            && p[4].len() == 12
            && p[4].chars().all(|c| c.is_ascii_digit())
            && p[5].strip_prefix("certificate/").is_some_and(|id| {
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if ok { Ok(()) } else { Err(rule.into()) }
    }
}

/// An asset's id: the folder of its packaged output and the first segment of its playback paths
/// (`/<id>/hls/<id>.m3u8`). Derived from the source file's name without extension, or given.
///
/// Rule (this crate's, so that the id is safe as an S3 key segment, a URL path segment and a
/// CloudFront invalidation path): 1 to 255 characters of ASCII letters, digits and `-`, `.`, `_`,
/// `~`, starting with a letter or digit, and without `.vod-pipeline` or `vod-pipeline-copy` in it
/// (the names of the crate's state objects, which the origin policy keeps from viewers). A MediaStore origin adds its folder-name rule
/// (<https://docs.aws.amazon.com/mediastore/latest/ug/folders-rules-for-names.html>), checked where
/// the origin is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(String);
string_newtype!(AssetId);

impl AssetId {
    /// Longest accepted id.
    pub const MAX_LEN: usize = 255;

    /// The rule, for error messages.
    pub(crate) const RULE: &'static str = "an asset id names the asset's folder and URL: 1 to 255 letters, digits and - . _ ~, starting with a letter or digit, without \".vod-pipeline\" or \"vod-pipeline-copy\" (reserved for the pipeline's state objects)";

    fn check(s: &str) -> Result<(), String> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch))
            && !s.contains(".vod-pipeline")
            && !s.contains("vod-pipeline-copy");
        if ok { Ok(()) } else { Err(Self::RULE.into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<T: std::str::FromStr>(s: &str) -> bool {
        s.parse::<T>().is_ok()
    }

    #[test]
    fn asset_ids_cannot_take_the_state_objects_names() {
        assert!(ok::<AssetId>("vod-pipeline-demo"));
        assert!(ok::<AssetId>("movie.v2"));
        assert!(!ok::<AssetId>("a.vod-pipeline"));
        assert!(!ok::<AssetId>("x.vod-pipeline-job.json"));
        assert!(!ok::<AssetId>("vod-pipeline-copy.json"));
    }

    #[test]
    fn pipeline_name_bounds() {
        assert!(ok::<PipelineName>("a"));
        assert!(ok::<PipelineName>("seed-vod"));
        assert!(ok::<PipelineName>(&"a".repeat(40)));
        assert!(!ok::<PipelineName>(&"a".repeat(41)));
        assert!(!ok::<PipelineName>(""));
        assert!(!ok::<PipelineName>("1abc"));
        assert!(!ok::<PipelineName>("abc-"));
        assert!(!ok::<PipelineName>("Abc"));
        assert!(!ok::<PipelineName>("a_b"));
    }

    #[test]
    fn bucket_name_rules() {
        assert!(ok::<BucketName>("abc"));
        assert!(!ok::<BucketName>("ab"));
        assert!(ok::<BucketName>(&"a".repeat(63)));
        assert!(!ok::<BucketName>(&"a".repeat(64)));
        assert!(ok::<BucketName>("seed-vod-source"));
        assert!(ok::<BucketName>("a.b-c"));
        assert!(!ok::<BucketName>("Seed"));
        assert!(!ok::<BucketName>("a_b"));
        assert!(!ok::<BucketName>("-ab"));
        assert!(!ok::<BucketName>("ab-"));
        assert!(!ok::<BucketName>(".ab"));
        assert!(!ok::<BucketName>("a..b"));
        assert!(!ok::<BucketName>("192.168.5.4"));
        assert!(ok::<BucketName>("192.168.5.4a"));
        assert!(!ok::<BucketName>("xn--abc"));
        assert!(!ok::<BucketName>("sthree-abc"));
        assert!(!ok::<BucketName>("amzn-s3-demo-x"));
        for sfx in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
            assert!(!ok::<BucketName>(&format!("abc{sfx}")), "{sfx}");
        }
        let e = "A".parse::<BucketName>().unwrap_err();
        assert!(e.rule.contains("bucketnamingrules"), "{e}");
    }

    #[test]
    fn key_prefix_rules() {
        assert!(ok::<KeyPrefix>(""));
        assert!(ok::<KeyPrefix>("uploads/"));
        assert!(ok::<KeyPrefix>("a/b/"));
        assert!(!ok::<KeyPrefix>("uploads"));
        assert!(!ok::<KeyPrefix>("/uploads/"));
        assert!(!ok::<KeyPrefix>("a//"));
        assert!(!ok::<KeyPrefix>("a/../"));
        assert!(!ok::<KeyPrefix>("./"));
        let long = format!("{}/", "a".repeat(1023));
        assert!(ok::<KeyPrefix>(&long));
        let too_long = format!("{}/", "a".repeat(1024));
        assert!(!ok::<KeyPrefix>(&too_long));
    }

    #[test]
    fn container_name_rules() {
        assert!(ok::<ContainerName>("seed_vod"));
        assert!(ok::<ContainerName>("A"));
        assert!(ok::<ContainerName>(&"a".repeat(255)));
        assert!(!ok::<ContainerName>(&"a".repeat(256)));
        assert!(!ok::<ContainerName>(""));
        assert!(!ok::<ContainerName>("seed-vod"));
        assert!(!ok::<ContainerName>("seed.vod"));
    }

    #[test]
    fn role_arn_rules() {
        assert!(ok::<RoleArn>(
            "arn:aws:iam::123456789012:role/MediaConvert_Default_Role"
        ));
        assert!(ok::<RoleArn>(
            "arn:aws:iam::123456789012:role/service-role/MediaConvertRole"
        ));
        assert!(ok::<RoleArn>("arn:aws-cn:iam::123456789012:role/r"));
        assert!(!ok::<RoleArn>("arn:aws:iam::12345678901:role/r"));
        assert!(!ok::<RoleArn>("arn:aws:iam::123456789012:user/r"));
        assert!(!ok::<RoleArn>("arn:aws:s3::123456789012:role/r"));
        assert!(!ok::<RoleArn>("arn:aws:iam:us-east-1:123456789012:role/r"));
        assert!(!ok::<RoleArn>("arn:aws:iam::123456789012:role/"));
        assert!(ok::<RoleArn>(&format!(
            "arn:aws:iam::123456789012:role/{}",
            "r".repeat(64)
        )));
        assert!(!ok::<RoleArn>(&format!(
            "arn:aws:iam::123456789012:role/{}",
            "r".repeat(65)
        )));
        assert!(!ok::<RoleArn>("arn:aws:iam::123456789012:role/a b"));
        let arn: RoleArn = "arn:aws:iam::123456789012:role/x".parse().unwrap();
        assert_eq!(arn.account_id(), "123456789012");
        assert_eq!(arn.partition(), "aws");
    }

    #[test]
    fn region_rules() {
        for r in [
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "me-central-1",
        ] {
            assert!(ok::<Region>(r), "{r}");
        }
        for r in [
            "",
            "us-east",
            "useast1",
            "US-EAST-1",
            "us-east-100",
            "u-east-1",
            "us--1",
        ] {
            assert!(!ok::<Region>(r), "{r}");
        }
    }

    #[test]
    fn acm_arn_rules() {
        assert!(ok::<AcmCertificateArn>(
            "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"
        ));
        assert!(!ok::<AcmCertificateArn>(
            "arn:aws:acm:eu-west-1:123456789012:certificate/abcd"
        ));
        assert!(!ok::<AcmCertificateArn>(
            "arn:aws:acm:us-east-1:123456789012:certificate/"
        ));
    }

    #[test]
    fn serde_round_trip_and_rejects() {
        let b: BucketName = serde_json::from_str("\"seed-vod\"").unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"seed-vod\"");
        assert!(serde_json::from_str::<BucketName>("\"NO\"").is_err());
    }

    #[test]
    fn asset_ids() {
        for ok in ["sample", "a", "clip-2.v1_x~", &"a".repeat(255)] {
            assert!(ok.parse::<AssetId>().is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "a b",
            "..",
            "é",
            &"a".repeat(256),
        ] {
            let e = bad.parse::<AssetId>().unwrap_err();
            assert!(e.to_string().contains("asset id"), "{bad}: {e}");
        }
    }
}
