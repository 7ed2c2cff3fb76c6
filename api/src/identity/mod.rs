//! Authentication: passwords, access and refresh tokens, API tokens, and turning a bearer
//! credential into an `Actor`.

pub mod authenticate;
pub mod graphql;
pub mod jwt;
pub mod opaque;
pub mod password;
pub mod sessions;
pub mod throttle;

use crate::settings::Settings;
use jwt::JwtKeys;

/// Token lifetimes, keys and lockout rules, fixed at start-up.
#[derive(Debug)]
pub struct AuthConfig {
    pub keys: JwtKeys,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub invitation_ttl_secs: i64,
    pub lockout_threshold: i32,
    pub lockout_secs: i64,
    /// Counts the passwords sign-in verifies (exported in `/metrics`).
    pub password_checks: prometheus::IntCounter,
}

impl AuthConfig {
    pub fn new(keys: JwtKeys, settings: &Settings, password_checks: prometheus::IntCounter) -> Self {
        Self {
            keys,
            access_ttl_secs: settings.access_token_ttl_secs,
            refresh_ttl_secs: settings.refresh_token_ttl_secs,
            invitation_ttl_secs: settings.invitation_ttl_secs,
            lockout_threshold: settings.lockout_threshold,
            lockout_secs: settings.lockout_secs,
            password_checks,
        }
    }
}
