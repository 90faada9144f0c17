//! Edge compression, as CloudFront serves compressed files
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/ServingCompressedFiles.html>): with the
//! behavior's `Compress` on, a viewer that accepts gzip or Brotli gets a compressed copy of a 200 whose content
//! type is on CloudFront's list, whose size is 1,000 to 10,000,000 bytes, and which the origin did not encode
//! already. Brotli needs a cache policy that enables it; legacy cache settings compress with gzip only. The
//! normalised `Accept-Encoding` is part of the cache key, the ETag turns weak, and `Vary: Accept-Encoding` is sent.

use super::OriginResp;
use crate::cloudfront::xml::El;
use bytes::Bytes;
use std::io::Write;

/// An encoding the edge compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    fn token(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
        }
    }
}

/// The encodings a behavior compresses with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Compression {
    gzip: bool,
    brotli: bool,
}

/// The smallest and largest objects CloudFront compresses, in bytes.
const MIN_SIZE: usize = 1_000;
const MAX_SIZE: usize = 10_000_000;

/// The content types CloudFront compresses (the developer guide's list), lowercase, without parameters.
const TYPES: &[&str] = &[
    "application/dash+xml",
    "application/eot",
    "application/font",
    "application/font-sfnt",
    "application/javascript",
    "application/json",
    "application/opentype",
    "application/otf",
    "application/pdf",
    "application/pkcs7-mime",
    "application/protobuf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.apple.mpegurl",
    "application/vnd.mapbox-vector-tile",
    "application/vnd.ms-fontobject",
    "application/wasm",
    "application/xhtml+xml",
    "application/xml",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "application/x-font-ttf",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-mpegurl",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-ttf",
    "font/eot",
    "font/opentype",
    "font/otf",
    "font/ttf",
    "image/svg+xml",
    "text/css",
    "text/csv",
    "text/html",
    "text/javascript",
    "text/js",
    "text/plain",
    "text/richtext",
    "text/tab-separated-values",
    "text/xml",
    "text/x-component",
    "text/x-java-source",
    "text/x-script",
    "vnd.apple.mpegurl",
];

/// What a behavior compresses with: nothing unless `Compress` is true; then gzip and Brotli as its cache policy
/// enables them, or gzip alone under legacy cache settings (no cache policy).
pub(crate) fn compression(behavior: &El, cache_policy: Option<&El>) -> Compression {
    if behavior.bool_at("Compress") != Some(true) {
        return Compression::default();
    }
    match cache_policy {
        Some(p) => {
            let params = "ParametersInCacheKeyAndForwardedToOrigin";
            Compression {
                gzip: p.bool_at(&format!("{params}/EnableAcceptEncodingGzip")) == Some(true),
                brotli: p.bool_at(&format!("{params}/EnableAcceptEncodingBrotli")) == Some(true),
            }
        }
        None => Compression {
            gzip: true,
            brotli: false,
        },
    }
}

/// The encoding to serve a viewer with this `Accept-Encoding`: Brotli when both are accepted and enabled, else
/// gzip; `None` when the viewer accepts neither (a `q=0` refuses) or the behavior compresses with neither.
pub(crate) fn negotiate(c: Compression, accept_encoding: Option<&str>) -> Option<Encoding> {
    if c.brotli && accepts(accept_encoding, "br") {
        Some(Encoding::Brotli)
    } else if c.gzip && accepts(accept_encoding, "gzip") {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// Whether `Accept-Encoding` accepts the coding `name` (listed, and not with `q=0`).
fn accepts(accept_encoding: Option<&str>, name: &str) -> bool {
    accept_encoding.is_some_and(|ae| {
        ae.split(',').any(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            coding.eq_ignore_ascii_case(name) && q > 0.0
        })
    })
}

/// The cache key part: CloudFront normalises `Accept-Encoding` to `br,gzip`, `br` or `gzip` (what the viewer
/// accepts of what the behavior enables), and leaves it out when the viewer accepts neither
/// (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cache-key-understand-cache-policy.html>).
pub(crate) fn key_part(c: Compression, accept_encoding: Option<&str>) -> &'static str {
    let br = c.brotli && accepts(accept_encoding, "br");
    let gzip = c.gzip && accepts(accept_encoding, "gzip");
    match (br, gzip) {
        (true, true) => "br,gzip",
        (true, false) => "br",
        (false, true) => "gzip",
        (false, false) => "",
    }
}

/// Whether CloudFront compresses this origin response.
fn eligible(r: &OriginResp) -> bool {
    let content_type = r
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(r.status, 200 | 403 | 404)
        && r.header("content-encoding").is_none()
        && (MIN_SIZE..=MAX_SIZE).contains(&r.body.len())
        && TYPES.contains(&content_type.as_str())
}

/// Compresses an eligible response (200, 403 or 404, no `Content-Encoding` from the origin, a listed type, 1,000 to
/// 10,000,000 bytes) with `e`: `Content-Encoding`, a weak ETag and `Vary: Accept-Encoding`. The guide does not say
/// whether CloudFront adds that `Vary`; the emulator does, as a shared cache must. Any other response, or a failure
/// to compress, is returned as it came.
/// Runs on a blocking thread ([`tokio::task::spawn_blocking`]): compressing up to 10 MB must not hold an async
/// worker.
pub(crate) async fn compress(r: OriginResp, e: Option<Encoding>) -> OriginResp {
    let Some(e) = e else { return r };
    if !eligible(&r) {
        return r;
    }
    let body = r.body.clone();
    match tokio::task::spawn_blocking(move || encode(&body, e)).await {
        Ok(Ok(encoded)) => with_encoding(r, e, encoded),
        _ => r,
    }
}

/// The body compressed with `e`, at the speed-leaning levels a CDN uses (gzip 6, Brotli 5 with a 1 MiB window),
/// not Brotli's default 11, which is far too slow for a request path.
fn encode(body: &[u8], e: Encoding) -> std::io::Result<Vec<u8>> {
    match e {
        Encoding::Gzip => {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            w.write_all(body)?;
            w.finish()
        }
        Encoding::Brotli => {
            let mut out = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 5,
                lgwin: 20,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut &body[..], &mut out, &params)?;
            Ok(out)
        }
    }
}

fn with_encoding(mut r: OriginResp, e: Encoding, body: Vec<u8>) -> OriginResp {
    r.body = Bytes::from(body);
    r.set_header("content-encoding", e.token());
    // A strong ETag turns weak; a weak one stays; one that is neither is removed.
    match r.header("etag").map(str::to_string) {
        Some(etag) if etag.starts_with('"') => r.set_header("etag", format!("W/{etag}")),
        Some(etag) if etag.starts_with("W/") => {}
        Some(_) => r.remove_header("etag"),
        None => {}
    }
    let vary = match r.header("vary") {
        Some(v) if !v.to_ascii_lowercase().contains("accept-encoding") => {
            format!("{v}, Accept-Encoding")
        }
        Some(v) => v.to_string(),
        None => "Accept-Encoding".to_string(),
    };
    r.set_header("vary", vary);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::xml::parse;
    use std::io::Read;

    fn manifest(len: usize) -> OriginResp {
        OriginResp {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "application/vnd.apple.mpegurl".into(),
                ),
                ("etag".into(), "\"abc\"".into()),
            ],
            body: Bytes::from("#EXTM3U\n".repeat(len / 8 + 1)),
        }
    }

    #[test]
    fn what_a_behavior_compresses_with() {
        let on = parse(b"<DefaultCacheBehavior><Compress>true</Compress></DefaultCacheBehavior>")
            .unwrap();
        let off = parse(b"<DefaultCacheBehavior><Compress>false</Compress></DefaultCacheBehavior>")
            .unwrap();
        let policy = parse(b"<CachePolicyConfig><ParametersInCacheKeyAndForwardedToOrigin><EnableAcceptEncodingGzip>true</EnableAcceptEncodingGzip><EnableAcceptEncodingBrotli>true</EnableAcceptEncodingBrotli></ParametersInCacheKeyAndForwardedToOrigin></CachePolicyConfig>").unwrap();
        assert_eq!(
            compression(&on, Some(&policy)),
            Compression {
                gzip: true,
                brotli: true
            }
        );
        assert_eq!(compression(&off, Some(&policy)), Compression::default());
        // Legacy cache settings: gzip only.
        assert_eq!(
            compression(&on, None),
            Compression {
                gzip: true,
                brotli: false
            }
        );
        let both = compression(&on, Some(&policy));
        assert_eq!(
            negotiate(both, Some("gzip, deflate, br")),
            Some(Encoding::Brotli)
        );
        assert_eq!(negotiate(both, Some("gzip, br;q=0")), Some(Encoding::Gzip));
        assert_eq!(negotiate(both, Some("identity")), None);
        assert_eq!(negotiate(both, None), None);
        assert_eq!(negotiate(compression(&on, None), Some("br")), None);
        assert_eq!(key_part(both, Some("gzip, br")), "br,gzip");
        assert_eq!(key_part(both, Some("br")), "br");
        assert_eq!(key_part(compression(&on, None), Some("gzip, br")), "gzip");
        assert_eq!(key_part(both, Some("deflate")), "");
    }

    /// [`compress`] without a runtime's blocking pool.
    fn compress(r: OriginResp, e: Option<Encoding>) -> OriginResp {
        match e {
            Some(e) if eligible(&r) => {
                let body = encode(&r.body, e).unwrap();
                with_encoding(r, e, body)
            }
            _ => r,
        }
    }

    #[test]
    fn only_eligible_responses_are_compressed() {
        let r = compress(manifest(2_000), Some(Encoding::Gzip));
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("etag"), Some("W/\"abc\""));
        assert_eq!(r.header("vary"), Some("Accept-Encoding"));
        let mut plain = String::new();
        flate2::read::GzDecoder::new(&r.body[..])
            .read_to_string(&mut plain)
            .unwrap();
        assert_eq!(plain.as_bytes(), &manifest(2_000).body[..]);
        let br = compress(manifest(2_000), Some(Encoding::Brotli));
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut &br.body[..], &mut plain).unwrap();
        assert_eq!(plain, manifest(2_000).body.to_vec());
        // Too small, not on the list, already encoded, not a 200: as they came.
        assert_eq!(
            compress(manifest(100), Some(Encoding::Gzip)).header("content-encoding"),
            None
        );
        let mut ts = manifest(2_000);
        ts.set_header("content-type", "video/mp2t");
        assert_eq!(
            compress(ts, Some(Encoding::Gzip)).header("content-encoding"),
            None
        );
        let mut pre = manifest(2_000);
        pre.set_header("content-encoding", "gzip");
        let same = compress(pre.clone(), Some(Encoding::Brotli));
        assert_eq!(same.body, pre.body);
        let mut moved = manifest(2_000);
        moved.status = 301;
        assert_eq!(
            compress(moved, Some(Encoding::Gzip)).header("content-encoding"),
            None
        );
        let mut missing = manifest(2_000);
        missing.status = 404;
        assert_eq!(
            compress(missing, Some(Encoding::Gzip)).header("content-encoding"),
            Some("gzip")
        );
        let mut odd = manifest(2_000);
        odd.set_header("etag", "abc");
        assert_eq!(compress(odd, Some(Encoding::Gzip)).header("etag"), None);
    }
}
