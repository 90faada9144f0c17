//! Shared helpers for the emulator's integration tests. Owner: core.
#![allow(dead_code)]

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use vod_emulator::{Emulator, EmulatorHandle};

/// Starts an emulator on a random port with a temporary data dir and a short deploy delay.
pub async fn start() -> EmulatorHandle {
    Emulator::builder()
        .deploy_delay(Duration::from_millis(200))
        .start()
        .await
        .expect("emulator starts")
}

/// A DNS resolver mapping `localhost` and every `*.localhost` name to 127.0.0.1 (RFC 6761), and refusing others.
#[derive(Debug, Clone)]
pub struct LocalhostResolver;

impl ResolveDns for LocalhostResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            DnsFuture::ready(Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]))
        } else if let Ok(ip) = name.parse::<IpAddr>() {
            DnsFuture::ready(Ok(vec![ip]))
        } else {
            DnsFuture::ready(Err(ResolveDnsError::new(format!(
                "{name} is not a *.localhost name"
            ))))
        }
    }
}

/// An SDK HTTP client that resolves `*.localhost` to 127.0.0.1.
pub fn localhost_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_with_resolver(LocalhostResolver)
}

/// SDK config for the emulator: credentials test/test, region us-east-1, endpoint `url`.
pub async fn sdk_config(url: &str) -> SdkConfig {
    sdk_config_region(url, "us-east-1").await
}

/// SDK config for the emulator in another region.
pub async fn sdk_config_region(url: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .region(aws_config::Region::new(region.to_string()))
        .endpoint_url(url)
        .http_client(localhost_http_client())
        .load()
        .await
}

/// An S3 client (path-style) for the emulator.
pub async fn s3_client(emu: &EmulatorHandle) -> aws_sdk_s3::Client {
    let conf = sdk_config(&emu.endpoint_url()).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    )
}

/// A plain HTTP/1.1 request to the emulator over TCP (no SDK): returns status, headers and body.
pub async fn raw_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await?;
    s.write_all(body).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response head")
        })?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let hs = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    Ok((status, hs, buf[split + 4..].to_vec()))
}
