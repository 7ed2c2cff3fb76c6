//! Sealing secrets the server must read back (authenticator secrets): AES-256-GCM under a key
//! derived (HKDF-SHA256) from a configured data key, with the row's owner as associated data
//! so that a sealed value copied onto another row does not open. A sealed value names its key,
//! so keys rotate as JWT keys do: the first seals, every listed key opens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};

use crate::settings::Secret;

const MIN_SECRET_BYTES: usize = 32;
const KDF_SALT: &[u8] = b"springboard data key v1";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DataKeyError {
    #[error("SPRINGBOARD_DATA_KEYS is empty")]
    Empty,
    #[error("each data key must be `kid:secret`; `{0}` has no `:`")]
    Malformed(String),
    #[error("data key `{0}`: the secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort(String),
    #[error("data key id `{0}` appears twice, or is not letters, digits, `-` and `_`")]
    BadKid(String),
}

#[derive(Debug, thiserror::Error)]
#[error("sealing failed")]
pub struct SealError;

pub struct DataKeys {
    /// The first seals; all open.
    keys: Vec<(String, LessSafeKey)>,
    random: SystemRandom,
}

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|(kid, _)| kid.as_str()).collect();
        f.debug_struct("DataKeys").field("kids", &kids).finish_non_exhaustive()
    }
}

impl DataKeys {
    pub fn parse(spec: &Secret) -> Result<Self, DataKeyError> {
        let mut keys: Vec<(String, LessSafeKey)> = Vec::new();
        for pair in spec.expose().split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kid, secret) = pair.split_once(':').ok_or_else(|| DataKeyError::Malformed(redact(pair)))?;
            let plain =
                !kid.is_empty() && kid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !plain || keys.iter().any(|(k, _)| k == kid) {
                return Err(DataKeyError::BadKid(kid.to_owned()));
            }
            if secret.len() < MIN_SECRET_BYTES {
                return Err(DataKeyError::TooShort(kid.to_owned()));
            }
            keys.push((kid.to_owned(), derive(secret.as_bytes())));
        }
        if keys.is_empty() {
            return Err(DataKeyError::Empty);
        }
        Ok(Self { keys, random: SystemRandom::new() })
    }

    /// A key that lives as long as the process: for tests and in-memory databases only.
    pub fn ephemeral() -> Self {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
        Self { keys: vec![("ephemeral".to_owned(), derive(&secret))], random: SystemRandom::new() }
    }

    /// `kid.base64(nonce ‖ ciphertext ‖ tag)`, bound to `owner`.
    pub fn seal(&self, plaintext: &[u8], owner: &[u8]) -> Result<String, SealError> {
        let (kid, key) = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).map_err(|_| SealError)?;
        let mut sealed = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(owner), &mut sealed)
            .map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{kid}.{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The plaintext, or `None` if the key is no longer configured or the value was altered or
    /// belongs to another owner.
    pub fn open(&self, sealed: &str, owner: &[u8]) -> Option<Vec<u8>> {
        let (kid, body) = sealed.split_once('.')?;
        let (_, key) = self.keys.iter().find(|(k, _)| k == kid)?;
        let mut bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let plain = key.open_in_place(nonce, Aad::from(owner), &mut ciphertext).ok()?;
        Some(plain.to_vec())
    }
}

fn derive(secret: &[u8]) -> LessSafeKey {
    let okm = hkdf::Salt::new(hkdf::HKDF_SHA256, KDF_SALT).extract(secret);
    let okm =
        okm.expand(&[b"aes-256-gcm"], &AES_256_GCM).expect("32 bytes is within HKDF-SHA256's output limit");
    LessSafeKey::new(UnboundKey::from(okm))
}

/// What a malformed pair may show in an error: never the secret part.
fn redact(pair: &str) -> String {
    pair.chars().take(8).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "a:0123456789abcdef0123456789abcdef";
    const KEY_B: &str = "b:fedcba9876543210fedcba9876543210";

    #[test]
    fn sealed_values_open_for_their_owner_only() {
        let keys = DataKeys::parse(&Secret::new(KEY_A)).unwrap();
        let sealed = keys.seal(b"authenticator secret", b"owner-1").unwrap();
        assert!(sealed.starts_with("a."));
        assert!(!sealed.contains("authenticator"));
        assert_eq!(keys.open(&sealed, b"owner-1").unwrap(), b"authenticator secret");
        assert_eq!(keys.open(&sealed, b"owner-2"), None);
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(keys.open(std::str::from_utf8(&altered).unwrap(), b"owner-1"), None);
    }

    #[test]
    fn a_rotated_key_still_opens_what_the_old_one_sealed() {
        let old = DataKeys::parse(&Secret::new(KEY_A)).unwrap();
        let sealed = old.seal(b"x", b"o").unwrap();
        let rotated = DataKeys::parse(&Secret::new(format!("{KEY_B},{KEY_A}"))).unwrap();
        assert_eq!(rotated.open(&sealed, b"o").unwrap(), b"x");
        assert!(rotated.seal(b"x", b"o").unwrap().starts_with("b."));
        let dropped = DataKeys::parse(&Secret::new(KEY_B)).unwrap();
        assert_eq!(dropped.open(&sealed, b"o"), None);
    }

    #[test]
    fn bad_specs_are_refused_without_echoing_secrets() {
        let err = |s: &str| DataKeys::parse(&Secret::new(s)).unwrap_err();
        assert_eq!(err(""), DataKeyError::Empty);
        assert_eq!(err("a:short"), DataKeyError::TooShort("a".into()));
        assert_eq!(err(&format!("{KEY_A},{KEY_A}")), DataKeyError::BadKid("a".into()));
        let malformed = err("0123456789abcdef0123456789abcdefSECRET").to_string();
        assert!(!malformed.contains("SECRET"), "{malformed}");
    }
}
