//! Fixed vectors made with OpenSSL 3.0 from the test keys in `tests/data/keys/` (test-only keys):
//!
//! ```text
//! printf '%s' "$POLICY" | openssl dgst -sha256 -sign rsa2048.pem | base64 -w0 | tr '+=/' '-_~'
//! ```
//!
//! RSA PKCS #1 v1.5 is deterministic, so our signature must equal OpenSSL's byte for byte. ECDSA
//! signatures are randomised by design: OpenSSL's must verify under the public key with our
//! reading of the format, and ours must verify too.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};

use super::*;

fn key(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const URL: &str = "https://d111111abcdef8.cloudfront.net/movie/index.m3u8";
const EXPIRES: u64 = 1767290400;
const CANNED: &str = r#"{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/movie/index.m3u8","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}"#;
/// `openssl dgst -sha256 -sign rsa2048.pem` of CANNED.
const OPENSSL_RSA_SHA256: &str = "USRiMHVrdiG1~7luYvcg2J-kpw82o3rAKStux9ofMNXdKpg1EOiIuSCqrejzhwLrReu-zGHlkRK4OaTZi4qIYGhAeoJ-NgPQzFzRO7vuhyqoOoCEwMTO1Hw4S9jgV5c7FMNWi-o8qTHCRhhZvOl82pu3gvnBWC9yb5zP51U9kjUQa3nRr8apWc0OR5VvJbBQ-GInNoNPumnnJl8QoWKa85gKGJb-d2sVGlm1EfwxI8R2UTpBra6EFYdxhKO9uzeSQnx6m7EAUtQYjhNm0j3URdAwKU-8rGZFFzv8z9iX9zL~5oVeuryPzl9a0MhcGi39v5Oj11Lh98UP0UpNwL-lag__";
/// `openssl dgst -sha256 -sign ec256.pem` of CANNED (one of many valid signatures).
const OPENSSL_ECDSA_SHA256: &str = "MEQCIDI6bMiEEZUDjVAgbwM8IjWiaZ~Hjv59yg3f~i0PpKb~AiBmX1C8JJvqPBS7RWlkOTcrQGhshgVxy81gi1DBEQbxmQ__";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn verifies(public_pem: &str, message: &[u8], signature_cf: &str) -> bool {
    let (_, der) = pem_rfc7468::decode_vec(public_pem.as_bytes()).unwrap();
    let alg: &'static dyn VerificationAlgorithm =
        match PublicKeyPem::parse(public_pem).unwrap().algorithm() {
            KeyAlgorithm::Rsa2048 => &signature::RSA_PKCS1_2048_8192_SHA256,
            KeyAlgorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
        };
    let sig = cloudfront_base64_decode(signature_cf).unwrap();
    ParsedPublicKey::new(alg, der)
        .unwrap()
        .verify_sig(message, &sig)
        .is_ok()
}

fn param(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn rsa_canned_url_equals_the_openssl_vector() {
    for private in ["rsa2048.pem", "rsa2048.pkcs1.pem"] {
        let signer = Signer::from_pem("K2JCJMDEHXQW5F", key(private)).unwrap();
        assert_eq!(signer.algorithm(), KeyAlgorithm::Rsa2048);
        let signed = signer
            .sign_url(&Url::parse(URL).unwrap(), at(EXPIRES))
            .unwrap();
        assert_eq!(
            signed.as_str(),
            format!(
                "{URL}?Expires={EXPIRES}&Signature={OPENSSL_RSA_SHA256}&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256"
            ),
            "{private}"
        );
    }
    assert_eq!(canned_json(URL, EXPIRES), CANNED);
}

#[test]
fn ecdsa_signatures_verify_both_ways() {
    let public = key("ec256.pub.pem");
    assert!(verifies(&public, CANNED.as_bytes(), OPENSSL_ECDSA_SHA256));
    for private in ["ec256.pem", "ec256.sec1.pem"] {
        let signer = Signer::from_pem("K2JCJMDEHXQW5F", key(private)).unwrap();
        assert_eq!(signer.algorithm(), KeyAlgorithm::EcdsaP256);
        let signed = signer
            .sign_url(&Url::parse(URL).unwrap(), at(EXPIRES))
            .unwrap();
        let sig = param(&signed, "Signature");
        assert!(verifies(&public, CANNED.as_bytes(), &sig), "{private}");
        // Tampered: another expiry, the same signature.
        assert!(!verifies(
            &public,
            canned_json(URL, EXPIRES + 1).as_bytes(),
            &sig
        ));
    }
    // A signature from another key does not verify.
    assert!(!verifies(
        &key("rsa2048.pub.pem"),
        CANNED.as_bytes(),
        OPENSSL_ECDSA_SHA256.replace('A', "B").as_str()
    ));
}

#[test]
fn custom_policy_url_and_cookies_carry_the_policy_they_sign() {
    let signer = Signer::from_pem("K2JCJMDEHXQW5F", key("rsa2048.pem")).unwrap();
    let policy = Policy::builder()
        .resource("https://d111111abcdef8.cloudfront.net/movie/*")
        .expires(at(EXPIRES))
        .source_ip("192.0.2.0/24")
        .build()
        .unwrap();
    let url = Url::parse("https://d111111abcdef8.cloudfront.net/movie/hls/index.m3u8?a=1").unwrap();
    let signed = signer.sign_url_with_policy(&url, &policy).unwrap();
    assert!(
        signed
            .as_str()
            .starts_with("https://d111111abcdef8.cloudfront.net/movie/hls/index.m3u8?a=1&Policy=")
    );
    let json = cloudfront_base64_decode(&param(&signed, "Policy")).unwrap();
    assert_eq!(json, policy.to_json().as_bytes());
    let public = key("rsa2048.pub.pem");
    assert!(verifies(&public, &json, &param(&signed, "Signature")));
    assert_eq!(param(&signed, "Hash-Algorithm"), "SHA256");

    let cookies = signer.cookies(&policy).unwrap();
    let pairs = cookies.pairs();
    let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "CloudFront-Policy",
            "CloudFront-Signature",
            "CloudFront-Key-Pair-Id",
            "CloudFront-Hash-Algorithm"
        ]
    );
    assert!(verifies(&public, policy.to_json().as_bytes(), &pairs[1].1));
    let headers = cookies.set_cookie_headers(Some("d111111abcdef8.cloudfront.net"), "/movie/");
    assert!(
        headers[0]
            .ends_with("; Path=/movie/; Domain=d111111abcdef8.cloudfront.net; Secure; HttpOnly"),
        "{}",
        headers[0]
    );
    assert!(cookies.cookie_header().starts_with("CloudFront-Policy="));

    let canned = signer
        .canned_cookies(&Url::parse(URL).unwrap(), at(EXPIRES))
        .unwrap();
    let pairs = canned.pairs();
    assert_eq!(pairs[0], ("CloudFront-Expires", EXPIRES.to_string()));
    assert_eq!(pairs[1].1, OPENSSL_RSA_SHA256);
}

#[test]
fn bad_keys_and_urls_are_named_and_never_echoed() {
    let public = key("rsa2048.pub.pem");
    let err = Signer::from_pem("K2JCJMDEHXQW5F", &public).unwrap_err();
    assert_eq!(err.violations()[0].field, "private_key");
    assert!(err.to_string().contains("public key"), "{err}");
    for (file, words) in [("rsa1024.pem", "1024 bits"), ("ec384.pem", "P-256")] {
        let pem = key(file);
        let err = Signer::from_pem("K2JCJMDEHXQW5F", &pem).unwrap_err();
        assert!(err.to_string().contains(words), "{file}: {err}");
        let body: String = pem.lines().nth(1).unwrap().to_owned();
        assert!(
            !err.to_string().contains(&body),
            "{file}: the key leaked into {err}"
        );
        assert!(!format!("{err:?}").contains(&body));
    }
    let err = Signer::from_pem("not an id!", "garbage").unwrap_err();
    let fields: Vec<&str> = err.violations().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, ["key_pair_id", "private_key"]);
    assert!(err.is_input_error());

    let signer = Signer::from_pem("K2JCJMDEHXQW5F", key("ec256.pem")).unwrap();
    assert!(!format!("{signer:?}").contains("PRIVATE"));
    let err = signer
        .sign_url(
            &Url::parse("https://x.example/a?Signature=1").unwrap(),
            at(EXPIRES),
        )
        .unwrap_err();
    assert!(err.to_string().contains("reserves"), "{err}");
    let err = signer
        .sign_url(&Url::parse(URL).unwrap(), at(MAX_EPOCH_TIME + 1))
        .unwrap_err();
    assert_eq!(err.violations()[0].field, "expires");
}

#[test]
fn public_keys_are_checked_as_cloudfront_does() {
    assert_eq!(
        PublicKeyPem::parse(&key("rsa2048.pub.pem"))
            .unwrap()
            .algorithm(),
        KeyAlgorithm::Rsa2048
    );
    assert_eq!(
        PublicKeyPem::parse(&key("ec256.pub.pem"))
            .unwrap()
            .algorithm(),
        KeyAlgorithm::EcdsaP256
    );
    for (file, words) in [
        ("rsa1024.pub.pem", "1024 bits"),
        ("ec384.pub.pem", "other than P-256"),
        ("rsa2048.pem", "private key"),
        ("ec256.sec1.pem", "private key"),
    ] {
        let err = PublicKeyPem::parse(&key(file)).unwrap_err();
        assert!(err.contains(words), "{file}: {err}");
    }
    assert!(
        PublicKeyPem::parse("hello")
            .unwrap_err()
            .contains("not PEM")
    );
    assert!(
        PublicKeyPem::parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
            .is_err()
    );
}
