//! Opaque bearer secrets (API tokens, refresh tokens, invitations): `PREFIX_<id>_<secret>`.
//! The id finds the row; only SHA-256 of the secret is stored, and it is compared in constant
//! time. SHA-256 suffices because the secret is 256 random bits, not something a person chose.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    ApiToken,
    RefreshToken,
    Invitation,
    PasswordReset,
    SignInChallenge,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::ApiToken => "sbt",
            Kind::RefreshToken => "sbr",
            Kind::Invitation => "sbi",
            Kind::PasswordReset => "sbp",
            Kind::SignInChallenge => "sbc",
        }
    }
}

/// A freshly minted secret: `token` goes to the client once, `hash` to the database.
pub struct Minted {
    pub id: Uuid,
    pub token: String,
    pub hash: Vec<u8>,
}

pub fn mint(kind: Kind) -> Minted {
    let id = Uuid::now_v7();
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Minted { id, hash: digest(&secret), token: assemble(kind, id, &secret) }
}

/// The token for a secret that was derived rather than drawn (a refresh token's successor).
pub fn assemble(kind: Kind, id: Uuid, secret: &str) -> String {
    format!("{}_{}_{}", kind.prefix(), id.simple(), secret)
}

/// The id and secret of a token of the given kind, or `None` if it is not one.
pub fn parse(kind: Kind, token: &str) -> Option<(Uuid, String)> {
    let rest = token.strip_prefix(kind.prefix())?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.is_empty() || secret.len() > 64 {
        return None;
    }
    Some((Uuid::try_parse(id).ok()?, secret.to_owned()))
}

pub fn looks_like(kind: Kind, token: &str) -> bool {
    token.starts_with(kind.prefix()) && token[kind.prefix().len()..].starts_with('_')
}

pub fn verify(secret: &str, stored_hash: &[u8]) -> bool {
    digest(secret).ct_eq(stored_hash).into()
}

pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_token_parses_back_and_verifies() {
        let minted = mint(Kind::ApiToken);
        assert!(minted.token.starts_with("sbt_"));
        let (id, secret) = parse(Kind::ApiToken, &minted.token).unwrap();
        assert_eq!(id, minted.id);
        assert!(verify(&secret, &minted.hash));
        assert!(!verify("something else", &minted.hash));
    }

    #[test]
    fn tokens_of_another_kind_or_malformed_do_not_parse() {
        let minted = mint(Kind::RefreshToken);
        assert!(parse(Kind::ApiToken, &minted.token).is_none());
        for bad in ["", "sbt_", "sbt_xyz_abc", "sbt__", "sbtx_0190f0c0a0b07c3d8e9f0a1b2c3d4e5f_x"] {
            assert!(parse(Kind::ApiToken, bad).is_none(), "{bad}");
        }
    }
}
