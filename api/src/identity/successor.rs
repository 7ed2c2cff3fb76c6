//! The secret of the refresh token that replaces a used one, derived rather than drawn at
//! random, so that a second use within the grace window can be answered with the *same*
//! successor although only hashes are stored:
//!
//!   successor secret = HMAC-SHA256(K, used token id ‖ used token secret)
//!
//! where K is derived from the JWT signing secret (`JwtKeys::derived_keys`). Whoever presents
//! the used token within the window can be given the successor again, recomputed on the spot;
//! nothing but its SHA-256 is ever written down. K matters: without it, anyone who copied a
//! used refresh token could compute its successor offline and use that, never presenting the
//! used token that reuse detection watches for. With it, the successor is as unguessable as a
//! random secret to anyone who does not hold the server's key.
//!
//! The secret is recomputed with every configured key (the signing key first), so a key
//! rotation inside the grace window still finds the successor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use super::jwt::{JwtKeys, hmac_sha256};
use super::opaque;

const PURPOSE: &str = "springboard refresh-token successor v1";

/// The successor's secret for the token `used_id` whose secret is `used_secret`, under the
/// signing key.
pub fn secret(keys: &JwtKeys, used_id: Uuid, used_secret: &str) -> Option<String> {
    keys.derived_keys(PURPOSE).first().map(|key| derive(key, used_id, used_secret))
}

/// The successor's secret again, if some configured key derives one matching `stored_hash`.
pub fn recover(keys: &JwtKeys, used_id: Uuid, used_secret: &str, stored_hash: &[u8]) -> Option<String> {
    keys.derived_keys(PURPOSE)
        .iter()
        .map(|key| derive(key, used_id, used_secret))
        .find(|secret| opaque::verify(secret, stored_hash))
}

fn derive(key: &[u8; 32], used_id: Uuid, used_secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(key, &[used_id.as_bytes(), used_secret.as_bytes()]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    fn keys(spec: &str) -> JwtKeys {
        JwtKeys::parse(&Secret::new(spec), "i", "a").expect("valid keys")
    }

    const A: &str = "a:0123456789abcdef0123456789abcdef";
    const B: &str = "b:fedcba9876543210fedcba9876543210";

    #[test]
    fn the_successor_is_the_same_for_the_same_token_and_unrelated_otherwise() {
        let (id, k) = (Uuid::now_v7(), keys(A));
        let first = secret(&k, id, "s3cret").expect("a key");
        assert_eq!(secret(&k, id, "s3cret"), Some(first.clone()));
        assert_ne!(secret(&k, id, "s3creT"), Some(first.clone()));
        assert_ne!(secret(&k, Uuid::now_v7(), "s3cret"), Some(first.clone()));
        assert_ne!(secret(&keys(B), id, "s3cret"), Some(first), "the server key matters");
    }

    #[test]
    fn a_successor_derived_before_a_key_rotation_is_recovered_after_it() {
        let id = Uuid::now_v7();
        let before = secret(&keys(A), id, "s3cret").expect("a key");
        let hash = opaque::digest(&before);
        assert_eq!(recover(&keys(&format!("{B},{A}")), id, "s3cret", &hash), Some(before));
        assert_eq!(recover(&keys(B), id, "s3cret", &hash), None);
    }
}
