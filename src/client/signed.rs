//! Signed playback for private content: an asset's manifests as signed URLs, or signed cookies for
//! its folder. Pure: the [`Signer`] makes no AWS call.

use std::time::SystemTime;

use super::PublishedAsset;
use crate::apply::PlaybackUrl;
use crate::error::Error;
use crate::sign::{Policy, SignedCookies, Signer};

impl PublishedAsset {
    /// The asset's folder on the distribution, as a policy resource: `https://<domain>/<id>/*`.
    /// Every manifest and segment of the asset is under it. `None` without playback URLs.
    pub fn folder_resource(&self) -> Option<String> {
        let url = &self.playback.first()?.url;
        let host = url.host_str()?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        Some(format!("{}://{host}{port}/{}/*", url.scheme(), self.id))
    }

    /// Every playback URL of the asset signed with a canned policy until `expires`. A player that
    /// requests segments by relative URLs needs [`PublishedAsset::signed_cookies`] instead: a signed
    /// URL covers one file.
    pub fn signed_urls(
        &self,
        signer: &Signer,
        expires: SystemTime,
    ) -> Result<Vec<PlaybackUrl>, Error> {
        self.playback
            .iter()
            .map(|p| {
                Ok(PlaybackUrl {
                    url: signer.sign_url(&p.url, expires)?,
                    ..p.clone()
                })
            })
            .collect()
    }

    /// Signed cookies for the asset's folder until `expires`: one set admits every manifest and
    /// segment of the asset, and nothing else. Set them with
    /// [`SignedCookies::set_cookie_headers`] and path `/<id>/`.
    pub fn signed_cookies(
        &self,
        signer: &Signer,
        expires: SystemTime,
    ) -> Result<SignedCookies, Error> {
        let resource = self.folder_resource().ok_or_else(|| {
            Error::InvalidSigningInput(vec![crate::error::Violation {
                field: "asset".to_owned(),
                value: self.id.clone(),
                rule: "the asset has no playback URL to sign".to_owned(),
            }])
        })?;
        let policy = Policy::builder()
            .resource(resource)
            .expires(expires)
            .build()?;
        signer.cookies(&policy)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::apply::Change;
    use crate::types::{ManifestKind, OutputFormat};

    fn asset() -> PublishedAsset {
        let url = |p: &str| {
            url::Url::parse(&format!("http://d1.cloudfront.localhost:4566/clip/{p}")).unwrap()
        };
        PublishedAsset {
            id: "clip".into(),
            job_id: "job".into(),
            playback: vec![
                PlaybackUrl {
                    asset: "clip".into(),
                    format: OutputFormat::Hls,
                    manifest: ManifestKind::M3u8,
                    url: url("hls/clip.m3u8"),
                },
                PlaybackUrl {
                    asset: "clip".into(),
                    format: OutputFormat::Dash,
                    manifest: ManifestKind::Mpd,
                    url: url("dash/clip.mpd"),
                },
            ],
            change: Change::NoOp,
            published: true,
        }
    }

    #[test]
    fn every_manifest_is_signed_and_cookies_cover_the_folder() {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/ec256.pem"
        ))
        .unwrap();
        let signer = Signer::from_pem("K1", pem).unwrap();
        let a = asset();
        assert_eq!(
            a.folder_resource().unwrap(),
            "http://d1.cloudfront.localhost:4566/clip/*"
        );
        let expires = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let signed = a.signed_urls(&signer, expires).unwrap();
        assert_eq!(signed.len(), 2);
        for (s, p) in signed.iter().zip(&a.playback) {
            assert_eq!(s.url.path(), p.url.path());
            assert!(
                s.url
                    .query()
                    .unwrap()
                    .starts_with("Expires=2000000000&Signature="),
                "{}",
                s.url
            );
        }
        let cookies = a.signed_cookies(&signer, expires).unwrap();
        let policy = crate::sign::cloudfront_base64_decode(&cookies.pairs()[0].1).unwrap();
        assert!(
            String::from_utf8(policy)
                .unwrap()
                .contains(r#""Resource":"http://d1.cloudfront.localhost:4566/clip/*""#)
        );
        let empty = PublishedAsset {
            playback: Vec::new(),
            ..a
        };
        assert!(
            empty
                .signed_cookies(&signer, expires)
                .unwrap_err()
                .is_input_error()
        );
    }
}
