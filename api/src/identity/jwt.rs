//! Access tokens: short-lived HS256 JWTs naming the user, the active institution and the
//! session family they belong to (`sid`, so that ending a session reaches them: see
//! `revocation`). The `kid` header picks the verifying key, so keys rotate without signing
//! anyone out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::settings::Secret;

pub const MIN_SECRET_BYTES: usize = 32;

/// How far past `exp` a token is still accepted, for replicas whose clocks disagree slightly.
pub const CLOCK_SKEW_SECS: i64 = 30;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The session family (of the refresh token issued with this token). Required: a token
    /// without one could not be revoked.
    pub sid: Uuid,
    /// Not used when signing; a token that carries one is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The active institution; absent for a platform admin who belongs to none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inst: Option<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyConfigError {
    #[error("SPRINGBOARD_JWT_SECRETS is empty")]
    Empty,
    #[error("JWT key entry {0} is not of the form kid:secret")]
    Malformed(usize),
    #[error("JWT key `{0}` is shorter than {MIN_SECRET_BYTES} bytes")]
    TooShort(String),
    #[error("JWT key id `{0}` appears twice")]
    Duplicate(String),
}

pub struct JwtKeys {
    signing_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    issuer: String,
    audience: String,
    /// The secrets themselves, signing key's first, to derive keys for other purposes from.
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys").field("signing_kid", &self.signing_kid).finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Parses `kid:secret[,kid:secret…]`; the first entry signs.
    pub fn parse(spec: &Secret, issuer: &str, audience: &str) -> Result<Self, KeyConfigError> {
        let mut entries = Vec::new();
        for (index, entry) in spec.expose().split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let (kid, secret) = entry.split_once(':').ok_or(KeyConfigError::Malformed(index))?;
            if kid.is_empty() {
                return Err(KeyConfigError::Malformed(index));
            }
            if secret.len() < MIN_SECRET_BYTES {
                return Err(KeyConfigError::TooShort(kid.to_owned()));
            }
            if entries.iter().any(|(k, _)| k == &kid) {
                return Err(KeyConfigError::Duplicate(kid.to_owned()));
            }
            entries.push((kid, secret));
        }
        let (signing_kid, signing_secret) = *entries.first().ok_or(KeyConfigError::Empty)?;
        Ok(Self {
            signing_kid: signing_kid.to_owned(),
            encoding: EncodingKey::from_secret(signing_secret.as_bytes()),
            decoding: entries
                .iter()
                .map(|(kid, s)| ((*kid).to_owned(), DecodingKey::from_secret(s.as_bytes())))
                .collect(),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            secrets: entries.iter().map(|(_, secret)| Secret::new(*secret)).collect(),
        })
    }

    /// A key for `purpose` derived from each configured secret, the signing key's first: keys
    /// that rotate with the JWT keys and need no setting of their own. HMAC-SHA256 with the
    /// secret as key is a PRF, so a derived key reveals nothing of the secret or of the key
    /// derived for another purpose.
    pub fn derived_keys(&self, purpose: &str) -> Vec<[u8; 32]> {
        self.secrets
            .iter()
            .map(|secret| hmac_sha256(secret.expose().as_bytes(), &[purpose.as_bytes()]))
            .collect()
    }

    pub fn sign(
        &self,
        user_id: Uuid,
        institution_id: Option<Uuid>,
        session_id: Uuid,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<(String, DateTime<Utc>), jsonwebtoken::errors::Error> {
        let expires_at = now + chrono::Duration::seconds(ttl_secs);
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: Uuid::now_v7(),
            sid: session_id,
            nbf: None,
            inst: institution_id,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing_kid.clone());
        Ok((jsonwebtoken::encode(&header, &claims, &self.encoding)?, expires_at))
    }

    /// Verifies signature, algorithm, key id, issuer, audience and times at `now` (the server's
    /// clock, not the library's): not expired, not issued or valid only in the future, and not
    /// living longer than `max_lifetime_secs` (a token this server would not have signed). Any
    /// failure is just `None`: a client learns only that the token is not accepted.
    pub fn verify(&self, token: &str, now: DateTime<Utc>, max_lifetime_secs: i64) -> Option<Claims> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        if header.alg != Algorithm::HS256 {
            return None;
        }
        let key = self.decoding.get(header.kid.as_deref()?)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation).ok()?.claims;
        let now = now.timestamp();
        let current = claims.exp + CLOCK_SKEW_SECS > now
            && claims.iat <= now + CLOCK_SKEW_SECS
            && claims.nbf.is_none_or(|nbf| nbf <= now + CLOCK_SKEW_SECS)
            && claims.exp.saturating_sub(claims.iat) <= max_lifetime_secs;
        current.then_some(claims)
    }
}

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(spec: &str) -> JwtKeys {
        JwtKeys::parse(&Secret::new(spec), "iss", "aud").unwrap()
    }

    const A: &str = "a:0123456789abcdef0123456789abcdef";
    const B: &str = "b:fedcba9876543210fedcba9876543210";

    #[test]
    fn a_token_signed_with_an_older_key_still_verifies_after_rotation() {
        let before = keys(A);
        let (token, _) = before.sign(Uuid::now_v7(), None, Uuid::now_v7(), Utc::now(), 60).unwrap();
        let after = keys(&format!("{B},{A}"));
        assert!(after.verify(&token, Utc::now(), 3600).is_some());
        let retired = keys(B);
        assert!(retired.verify(&token, Utc::now(), 3600).is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys(A);
        let (token, _) = k
            .sign(Uuid::now_v7(), None, Uuid::now_v7(), Utc::now() - chrono::Duration::hours(1), 60)
            .unwrap();
        assert!(k.verify(&token, Utc::now(), 3600).is_none());
    }

    #[test]
    fn expiry_is_judged_by_the_clock_it_is_given() {
        let k = keys(A);
        let signed_at = Utc::now() + chrono::Duration::days(3 * 365);
        let (token, expires_at) = k.sign(Uuid::now_v7(), None, Uuid::now_v7(), signed_at, 60).unwrap();
        assert!(k.verify(&token, signed_at, 60).is_some());
        assert!(k.verify(&token, expires_at + chrono::Duration::seconds(CLOCK_SKEW_SECS), 60).is_none());
    }

    #[test]
    fn tokens_from_the_future_or_living_too_long_are_refused() {
        let k = keys(A);
        let now = Utc::now();
        let (issued_later, _) =
            k.sign(Uuid::now_v7(), None, Uuid::now_v7(), now + chrono::Duration::minutes(5), 60).unwrap();
        assert!(k.verify(&issued_later, now, 60).is_none(), "iat in the future");
        let (too_long, _) = k.sign(Uuid::now_v7(), None, Uuid::now_v7(), now, 61).unwrap();
        assert!(k.verify(&too_long, now, 60).is_none(), "a lifetime beyond the configured one");
        assert!(k.verify(&too_long, now, 61).is_some());

        let claims = Claims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: Uuid::now_v7(),
            exp: (now + chrono::Duration::seconds(60)).timestamp(),
            iat: now.timestamp(),
            jti: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            nbf: Some((now + chrono::Duration::seconds(40)).timestamp()),
            inst: None,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("a".into());
        let not_yet = jsonwebtoken::encode(&header, &claims, &k.encoding).unwrap();
        assert!(k.verify(&not_yet, now, 60).is_none(), "nbf in the future");
        assert!(k.verify(&not_yet, now + chrono::Duration::seconds(15), 60).is_some());
    }

    #[test]
    fn bad_key_specs_are_rejected() {
        for spec in ["", "nokid", "a:short", &format!("{A},{A}"), ":0123456789abcdef0123456789abcdef"] {
            assert!(JwtKeys::parse(&Secret::new(spec), "i", "a").is_err(), "{spec}");
        }
    }
}
