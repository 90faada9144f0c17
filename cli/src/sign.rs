//! `vod sign`: signed URLs and signed cookies for a private pipeline (`[cloudfront.private_content]`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;
use vod_pipeline::sign::{Policy, Signer};
use vod_pipeline::types::Seconds;
use vod_pipeline::{AssetStatus, Error, Violation, Violations, VodPipeline};

use crate::{aws_config, json, out};

#[derive(Args)]
pub(crate) struct SignArgs {
    /// The pipeline spec (TOML), with `[cloudfront.private_content]`.
    pub spec: PathBuf,
    /// A URL on the distribution (signed without any AWS call), or a published asset's id (every
    /// manifest of it is signed; its URLs are read from live state).
    target: String,
    /// The private key (PEM: RSA 2048 or ECDSA P-256) of a public key in the key group.
    #[arg(long)]
    key: PathBuf,
    /// The key-pair id: CloudFront's id of that public key (`vod status` shows it).
    #[arg(long)]
    key_pair_id: String,
    /// How long the signature works: 90s, 30m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    expires: Seconds,
    /// Only viewers from this IPv4 address or range (CIDR) may use it.
    #[arg(long)]
    ip: Option<String>,
    /// Signed cookies for the asset's folder (what an HLS or DASH player needs) instead of signed URLs.
    #[arg(long)]
    cookies: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn invalid(field: &str, value: &str, rule: &str) -> Error {
    Error::Invalid(Violations(vec![Violation {
        field: field.to_owned(),
        value: value.to_owned(),
        rule: rule.to_owned(),
    }]))
}

pub(crate) async fn sign(a: SignArgs) -> Result<ExitCode, Error> {
    let pipeline = VodPipeline::from_toml_file(&a.spec)?;
    if pipeline.cloudfront().private_content.is_none() {
        return Err(invalid(
            "cloudfront.private_content",
            "",
            "the spec has no [cloudfront.private_content]: its distribution serves without signatures",
        ));
    }
    let signer = Signer::from_pem_file(&a.key_pair_id, &a.key)?;
    let expires = SystemTime::now() + Duration::from_secs(a.expires.get());
    // The URLs to sign, and the folder a cookie policy covers.
    let (urls, folder) = match url::Url::parse(&a.target) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            let mut folder = url.clone();
            folder.set_query(None);
            let path = folder
                .path()
                .rsplit_once('/')
                .map_or("", |(dir, _)| dir)
                .to_owned();
            folder.set_path(&format!("{path}/*"));
            (vec![url], folder.to_string())
        }
        _ => {
            let vod = pipeline.client(&aws_config().await);
            match vod.asset(&a.target).await? {
                AssetStatus::Published(asset) => {
                    let urls: Vec<url::Url> =
                        asset.playback.iter().map(|p| p.url.clone()).collect();
                    let folder = asset.folder_resource().ok_or_else(|| {
                        invalid("target", &a.target, "the asset has no playback URL")
                    })?;
                    (urls, folder)
                }
                other => {
                    let state = match other {
                        AssetStatus::NotFound => "not found",
                        AssetStatus::Uploading => "uploading",
                        AssetStatus::Transcoding { .. } => "transcoding",
                        AssetStatus::CopyingToOrigin { .. } => "being copied to the origin",
                        AssetStatus::Failed { .. } => "failed",
                        _ => "not published",
                    };
                    return Err(invalid(
                        "target",
                        &a.target,
                        &format!(
                            "neither an http(s) URL nor a published asset (the asset is {state})"
                        ),
                    ));
                }
            }
        }
    };
    if a.cookies {
        let policy = Policy::builder()
            .resource(folder.clone())
            .expires(expires)
            .maybe_source_ip(a.ip.clone())
            .build()?;
        let cookies = signer.cookies(&policy)?;
        let path = url::Url::parse(&folder.replace('*', ""))
            .map(|u| u.path().to_owned())
            .unwrap_or_else(|_| "/".to_owned());
        if a.json {
            out(&json(&serde_json::json!({
                "resource": folder,
                "expires": policy.expires_epoch(),
                "cookies": cookies.pairs().into_iter().collect::<std::collections::BTreeMap<_, _>>(),
                "urls": urls.iter().map(url::Url::as_str).collect::<Vec<_>>(),
            })));
        } else {
            out(&format!(
                "Signed cookies for {folder} until Unix time {}:",
                policy.expires_epoch()
            ));
            for h in cookies.set_cookie_headers(None, &path) {
                out(&format!("Set-Cookie: {h}"));
            }
            for u in &urls {
                out(&format!(
                    "curl -H 'Cookie: {}' '{u}'",
                    cookies.cookie_header()
                ));
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut signed = Vec::new();
    for url in &urls {
        let s = match &a.ip {
            Some(ip) => {
                let policy = Policy::builder()
                    .resource(url.as_str())
                    .expires(expires)
                    .source_ip(ip.clone())
                    .build()?;
                signer.sign_url_with_policy(url, &policy)?
            }
            None => signer.sign_url(url, expires)?,
        };
        signed.push(s);
    }
    if a.json {
        out(&json(&serde_json::json!({
            "signed_urls": signed.iter().map(url::Url::as_str).collect::<Vec<_>>(),
        })));
    } else {
        for s in &signed {
            out(s.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}
