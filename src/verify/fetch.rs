//! The HTTP side of verification: plain viewer GETs through the distribution, as a player sends them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::checks::Response;

/// `*.localhost` resolves to the loopback address (RFC 6761, as curl and browsers do), so the local
/// emulator's `dXXXX.cloudfront.localhost` URLs work; every other name goes to the system resolver.
struct LocalhostFirst;

impl Resolve for LocalhostFirst {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            if host == "localhost" || host.ends_with(".localhost") {
                let addrs: Addrs = Box::new(std::iter::once(SocketAddr::from(([127, 0, 0, 1], 0))));
                return Ok(addrs);
            }
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// A viewer: GETs with an optional `Origin` header, whole bodies, no cookies, no redirects.
pub(crate) struct Fetcher {
    client: reqwest::Client,
    /// The `Cookie` header of every request (signed cookies, for a private distribution).
    cookie: Option<String>,
}

impl Fetcher {
    pub(crate) fn new(timeout: Duration) -> Result<Self, crate::Error> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(LocalhostFirst))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(concat!(
                "vod-pipeline/",
                env!("CARGO_PKG_VERSION"),
                " (verify)"
            ))
            .build()
            .map_err(|e| crate::Error::Http {
                message: "cannot build the HTTP client".into(),
                source: Box::new(e),
            })?;
        Ok(Fetcher {
            client,
            cookie: None,
        })
    }

    /// Sends `cookie` (signed cookies) with every request.
    pub(crate) fn with_cookie(mut self, cookie: Option<String>) -> Self {
        self.cookie = cookie;
        self
    }

    /// One GET without the signed cookies: what a viewer without access gets.
    pub(crate) async fn get_unsigned(&self, url: &str) -> Result<Response, String> {
        self.send(self.client.get(url), url).await
    }

    /// One GET. A transport failure (refused, reset, timed out) is an `Err` with its description;
    /// any HTTP status is an `Ok`.
    pub(crate) async fn get(&self, url: &str, origin: Option<&str>) -> Result<Response, String> {
        let mut req = self.client.get(url);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        tracing::debug!(url, origin, "verify: GET");
        self.send(req, url).await
    }

    async fn send(&self, req: reqwest::RequestBuilder, url: &str) -> Result<Response, String> {
        let resp = req.send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let mut headers = BTreeMap::new();
        for (k, v) in resp.headers() {
            if let Ok(v) = v.to_str() {
                headers.insert(k.as_str().to_ascii_lowercase(), v.to_owned());
            }
        }
        let body: Bytes = resp.bytes().await.map_err(|e| describe(&e))?;
        Ok(Response {
            url: url.to_owned(),
            status,
            headers,
            body,
        })
    }
}

/// The error with its causes, one line.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
