//! How long signing takes, per signed URL and per cookie set, with RSA 2048 and ECDSA P-256:
//! `cargo bench --bench sign`.

use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use vod_pipeline::sign::{Policy, Signer};

fn sign(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys");
    let url = url::Url::parse("https://d111111abcdef8.cloudfront.net/movie/hls/index.m3u8")
        .expect("valid URL");
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let policy = Policy::builder()
        .resource("https://d111111abcdef8.cloudfront.net/movie/*")
        .expires(expires)
        .source_ip("192.0.2.0/24")
        .build()
        .expect("valid policy");
    for (name, file) in [("RSA 2048", "rsa2048.pem"), ("ECDSA P-256", "ec256.pem")] {
        let signer =
            Signer::from_pem_file("K2JCJMDEHXQW5F", format!("{dir}/{file}")).expect("valid key");
        c.bench_function(&format!("signed URL, canned policy, {name}"), |b| {
            b.iter(|| signer.sign_url(std::hint::black_box(&url), expires))
        });
        c.bench_function(&format!("signed URL, custom policy, {name}"), |b| {
            b.iter(|| signer.sign_url_with_policy(std::hint::black_box(&url), &policy))
        });
        c.bench_function(&format!("signed cookies, custom policy, {name}"), |b| {
            b.iter(|| signer.cookies(std::hint::black_box(&policy)))
        });
    }
}

criterion_group!(benches, sign);
criterion_main!(benches);
