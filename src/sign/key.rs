//! Keys for CloudFront signed URLs and cookies: the private key a service signs with, and the public
//! keys a spec puts in the distribution's key group.
//!
//! CloudFront accepts RSA 2048 and ECDSA P-256 keys for signed URLs and signed cookies
//! (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html>), and a public
//! key as a PEM `SubjectPublicKeyInfo` (`-----BEGIN PUBLIC KEY-----`), which is what
//! `openssl pkey -pubout` writes.

use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{self, EcdsaKeyPair, ParsedPublicKey};
use der::{Decode, Header, SliceReader, asn1::UintRef};
use spki::ObjectIdentifier;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// What the DER structure of a key says it is, before any crypto library accepts it (aws-lc
/// refuses RSA keys below 2048 bits without saying so, and the error should).
enum Kind {
    Rsa { bits: usize },
    Ec { p256: bool },
    Other,
}

/// The modulus size of a PKCS #1 `RSAPublicKey` or (with `private`) `RSAPrivateKey`.
fn rsa_bits(der: &[u8], private: bool) -> Option<usize> {
    let mut r = SliceReader::new(der).ok()?;
    Header::decode(&mut r).ok()?;
    if private {
        UintRef::decode(&mut r).ok()?;
    }
    let n = UintRef::decode(&mut r).ok()?;
    let first = *n.as_bytes().first()?;
    Some((n.as_bytes().len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

fn kind_of(
    oid: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
    key: &[u8],
    private: bool,
) -> Kind {
    if oid == RSA_ENCRYPTION {
        rsa_bits(key, private).map_or(Kind::Other, |bits| Kind::Rsa { bits })
    } else if oid == EC_PUBLIC_KEY {
        Kind::Ec {
            p256: curve == Some(PRIME256V1),
        }
    } else {
        Kind::Other
    }
}

fn spki_kind(der: &[u8]) -> Kind {
    match spki::SubjectPublicKeyInfoRef::from_der(der) {
        Ok(k) => kind_of(
            k.algorithm.oid,
            k.algorithm.parameters_oid().ok(),
            k.subject_public_key.raw_bytes(),
            false,
        ),
        Err(_) => Kind::Other,
    }
}

fn pkcs8_kind(der: &[u8]) -> Kind {
    match pkcs8::PrivateKeyInfoRef::from_der(der) {
        Ok(k) => kind_of(
            k.algorithm.oid,
            k.algorithm.parameters_oid().ok(),
            k.private_key.as_bytes(),
            true,
        ),
        Err(_) => Kind::Other,
    }
}

const KEY_RULE: &str = "CloudFront signed URLs and cookies take RSA 2048 or ECDSA P-256 keys (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKey.html)";

/// The kind of a CloudFront signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus, signing with PKCS #1 v1.5.
    #[serde(rename = "RSA-2048")]
    Rsa2048,
    /// ECDSA on the NIST P-256 curve, signatures DER-encoded.
    #[serde(rename = "ECDSA-P256")]
    EcdsaP256,
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyAlgorithm::Rsa2048 => "RSA 2048",
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
        })
    }
}

/// The PEM labels of private keys: one of these where a public key is expected is a mistake worth
/// naming (and the key must not be echoed).
const PRIVATE_LABELS: &[&str] = &[
    "PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
];

/// Decodes one PEM block into its label and DER bytes.
fn decode_pem(text: &[u8]) -> Result<(String, Vec<u8>), String> {
    let start = text
        .windows(11)
        .position(|w| w == b"-----BEGIN ")
        .ok_or_else(|| "is not PEM: no '-----BEGIN' line".to_owned())?;
    pem_rfc7468::decode_vec(&text[start..])
        .map(|(label, der)| (label.to_owned(), der))
        .map_err(|e| format!("is not valid PEM: {e}"))
}

/// A public key checked against CloudFront's rules: PEM `PUBLIC KEY`, RSA 2048 or ECDSA P-256.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKeyPem {
    pem: String,
    algorithm: KeyAlgorithm,
}

impl std::fmt::Debug for PublicKeyPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKeyPem")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl PublicKeyPem {
    /// Checks the text of a PEM public key. The error says what is wrong in words; it never
    /// contains the text, since a private key given by mistake must not reach a log.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (label, der) = decode_pem(text.as_bytes())?;
        if PRIVATE_LABELS.contains(&label.as_str()) {
            return Err(format!(
                "is a private key (PEM '{label}'), where the public key is expected: keep the private key secret, and give the output of `openssl pkey -in private.pem -pubout`"
            ));
        }
        if label != "PUBLIC KEY" {
            return Err(format!(
                "is a PEM '{label}'; CloudFront takes a public key as PEM 'PUBLIC KEY' (SubjectPublicKeyInfo), as `openssl pkey -pubout` writes"
            ));
        }
        let algorithm = public_key_algorithm(&der)?;
        Ok(Self {
            pem: text.trim().to_owned() + "\n",
            algorithm,
        })
    }

    /// The PEM text, as CloudFront's `PublicKeyConfig.EncodedKey` takes it.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// RSA 2048 or ECDSA P-256.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }
}

fn public_key_algorithm(spki: &[u8]) -> Result<KeyAlgorithm, String> {
    let parses = |alg| ParsedPublicKey::new(alg, spki).is_ok();
    match spki_kind(spki) {
        Kind::Rsa { bits: 2048 } if parses(&signature::RSA_PKCS1_2048_8192_SHA256) => {
            Ok(KeyAlgorithm::Rsa2048)
        }
        Kind::Rsa { bits } if bits != 2048 => {
            Err(format!("is an RSA key of {bits} bits; {KEY_RULE}"))
        }
        Kind::Ec { p256: true } if parses(&signature::ECDSA_P256_SHA256_ASN1) => {
            Ok(KeyAlgorithm::EcdsaP256)
        }
        Kind::Ec { p256: false } => Err(format!(
            "is an ECDSA key on a curve other than P-256; {KEY_RULE}"
        )),
        _ => Err(format!(
            "is not a valid RSA or ECDSA public key; {KEY_RULE}"
        )),
    }
}

/// A private key, parsed once and kept for signing.
pub(crate) enum PrivateKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
}

impl PrivateKey {
    /// Parses a PEM private key: PKCS #8 (`PRIVATE KEY`), PKCS #1 (`RSA PRIVATE KEY`) or SEC 1
    /// (`EC PRIVATE KEY`). Errors never contain the key.
    pub(crate) fn from_pem(text: &[u8]) -> Result<Self, String> {
        let (label, der) = decode_pem(text)?;
        let key = match label.as_str() {
            "PRIVATE KEY" => match pkcs8_kind(&der) {
                Kind::Rsa { bits } if bits != 2048 => {
                    return Err(format!("is an RSA key of {bits} bits; {KEY_RULE}"));
                }
                Kind::Ec { p256: false } => {
                    return Err(format!(
                        "is an ECDSA key on a curve other than P-256; {KEY_RULE}"
                    ));
                }
                _ => RsaKeyPair::from_pkcs8(&der)
                    .map(PrivateKey::Rsa)
                    .or_else(|_| {
                        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &der)
                            .map(PrivateKey::Ecdsa)
                    })
                    .map_err(|_| format!("is not a valid private key; {KEY_RULE}"))?,
            },
            "RSA PRIVATE KEY" => match rsa_bits(&der, true) {
                Some(bits) if bits != 2048 => {
                    return Err(format!("is an RSA key of {bits} bits; {KEY_RULE}"));
                }
                _ => RsaKeyPair::from_der(&der)
                    .map(PrivateKey::Rsa)
                    .map_err(|e| format!("is not a valid RSA private key ({e})"))?,
            },
            "EC PRIVATE KEY" => {
                EcdsaKeyPair::from_private_key_der(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &der)
                    .map(PrivateKey::Ecdsa)
                    .map_err(|_| "is not an ECDSA private key on the P-256 curve".to_owned())?
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(
                    "is encrypted; decrypt it first (`openssl pkey -in key.pem -out plain.pem`)"
                        .to_owned(),
                );
            }
            "PUBLIC KEY" => {
                return Err("is a public key; signing needs the private key of the pair".to_owned());
            }
            other => return Err(format!("is a PEM '{other}', not a private key")),
        };
        if let PrivateKey::Rsa(k) = &key
            && k.public_modulus_len() != 256
        {
            let bits = k.public_modulus_len() * 8;
            return Err(format!("is an RSA key of {bits} bits; {KEY_RULE}"));
        }
        Ok(key)
    }

    pub(crate) fn algorithm(&self) -> KeyAlgorithm {
        match self {
            PrivateKey::Rsa(_) => KeyAlgorithm::Rsa2048,
            PrivateKey::Ecdsa(_) => KeyAlgorithm::EcdsaP256,
        }
    }

    /// Signs `message` with SHA-256: RSASSA-PKCS1-v1_5 for RSA, DER-encoded ECDSA for P-256.
    pub(crate) fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self {
            PrivateKey::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| "RSA signing failed".to_owned())?;
                Ok(sig)
            }
            PrivateKey::Ecdsa(k) => k
                .sign(&rng, message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_owned()),
        }
    }
}
