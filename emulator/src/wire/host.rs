//! The `Host` header and the virtual hosts the emulator answers on.

/// Host header without port, lowercased.
pub fn host_of(headers: &http::HeaderMap, uri: &http::Uri) -> String {
    let raw = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    strip_port(&raw).to_ascii_lowercase()
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .map(|h| &host[..h.len() + 1])
            .unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Whether a host is a viewer edge host (`<anything>.cloudfront.localhost`).
pub fn is_edge_host(host: &str) -> bool {
    host.ends_with(".cloudfront.localhost")
}

/// If the host is a MediaStore data endpoint (`<id>.data.mediastore.<region>.localhost`), its id and region.
pub fn mediastore_data_host(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(".localhost")?;
    let (id, rest) = rest.split_once(".data.mediastore.")?;
    if id.is_empty() || rest.is_empty() || rest.contains('.') || id.contains('.') {
        return None;
    }
    Some((id, rest))
}
