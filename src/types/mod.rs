//! Typed values. Each one can only hold a value that satisfies its AWS rule.
//!
//! Every type here is built through `TryFrom<&str>` / `FromStr` (or a checked constructor), implements
//! `Display`, and round-trips through serde as the same text a spec file uses. The doc comment of each
//! type states the rule and links the AWS page it comes from.

mod cloudfront;
mod media;
mod names;
mod time;
mod transcode;

pub use cloudfront::{
    Alias, CacheSettings, CorsOrigin, CustomHeader, HeaderName, HttpVersion, MAX_CUSTOM_HEADERS,
    MAX_CUSTOM_HEADERS_TOTAL_LEN, ObjectCaching, OriginPath, PriceClass, Protect,
    ViewerProtocolPolicy,
};
#[cfg(test)]
pub(crate) use cloudfront::{FORBIDDEN_HEADER_PREFIXES, FORBIDDEN_HEADERS};
#[cfg(test)]
pub(crate) use media::CONTENT_TYPES;
pub(crate) use media::content_type;
pub use media::{
    AbrLadder, Bitrate, LadderPreset, ManifestKind, OutputFormat, QvbrLevel, Rendition, VideoCodec,
};
pub use names::{
    AcmCertificateArn, AssetId, BucketName, ContainerName, KeyPrefix, PipelineName, Region, RoleArn,
};
pub use time::{Seconds, SegmentLength, Ttl};
pub use transcode::{
    AacCodingMode, Acceleration, AudioRendition, CaptionFormat, Captions, JobOptions,
    JobTemplateName, LanguageCode, Priority, QueueName, StatusUpdateInterval, Thumbnails,
};

/// Implements `Display`, `FromStr`, `TryFrom<&str>`, `TryFrom<String>`, `AsRef<str>` and serde (as a
/// string) for a newtype over `String` whose checked constructor is `fn check(&str) -> Result<(), String>`.
macro_rules! string_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::error::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match Self::check(s) {
                    Ok(()) => Ok(Self(s.to_owned())),
                    Err(rule) => Err($crate::error::InvalidValue::new(s, rule)),
                }
            }
        }
        impl TryFrom<&str> for $ty {
            type Error = $crate::error::InvalidValue;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
        impl TryFrom<String> for $ty {
            type Error = $crate::error::InvalidValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_newtype;

/// Implements `Display`, `FromStr` and serde for a fieldless enum from a table of (variant, text).
macro_rules! text_enum {
    ($ty:ident, $what:literal, [$(($v:ident, $s:literal)),+ $(,)?]) => {
        impl $ty {
            /// Every accepted spelling, as a spec file writes it.
            pub const ALL: &'static [&'static str] = &[$($s),+];
            /// The value as a spec file (and, where they agree, the AWS API) writes it.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl std::fmt::Display for $ty {
            /// The text form; honours width and alignment (`{:<6}`).
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::error::InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($s => Ok(Self::$v),)+
                    _ => Err($crate::error::InvalidValue::new(
                        s,
                        format!(concat!("must be one of the ", $what, ": {}"), Self::ALL.join(", ")),
                    )),
                }
            }
        }
        impl TryFrom<&str> for $ty {
            type Error = $crate::error::InvalidValue;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_enum;
