//! Authentication: passwords, access and refresh tokens, API tokens, and turning a bearer
//! credential into an `Actor`.

pub mod attempts;
pub mod authenticate;
pub mod challenges;
pub mod graphql;
pub mod graphql_passwords;
pub mod jwt;
pub mod opaque;
pub mod password;
pub mod passwords;
pub mod recovery_codes;
pub mod refresh;
pub mod revocation;
pub mod revoke;
pub mod sealing;
pub mod sessions;
pub mod settings;
pub mod successor;
pub mod throttle;
pub mod totp;
pub mod two_factor;
pub mod two_factor_graphql;

use std::sync::Arc;

use crate::mail::Mailer;
use crate::settings::Settings;
use crate::shared_state::SharedRedis;
use jwt::JwtKeys;
pub use password::PasswordRules;
use revocation::Revocations;

/// Token lifetimes, keys and lockout rules, fixed at start-up.
#[derive(Debug)]
pub struct AuthConfig {
    pub keys: JwtKeys,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub invitation_ttl_secs: i64,
    pub lockout_threshold: i32,
    pub lockout_secs: i64,
    /// How long after its use a refresh token still gets the same successor.
    pub refresh_grace_secs: i64,
    /// Session families whose access tokens are refused.
    pub revocations: Revocations,
    /// Counts the passwords sign-in verifies (exported in `/metrics`).
    pub password_checks: prometheus::IntCounter,
    pub password_rules: password::PasswordRules,
    pub recovery: settings::RecoverySettings,
    pub two_factor: settings::TwoFactorSettings,
    /// Seal authenticator secrets at rest.
    pub data_keys: sealing::DataKeys,
    /// Reset links, invitations and security notices.
    pub mailer: Mailer,
    /// Institutions' identity providers, for single sign-on.
    pub sso: crate::sso::provider::IdentityProviders,
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
            refresh_grace_secs: settings.refresh_grace_secs,
            revocations: Revocations::new(Self::deny_for(settings.access_token_ttl_secs), None),
            password_checks,
            password_rules: settings.passwords.rules(),
            recovery: settings.recovery.clone(),
            two_factor: settings.two_factor.clone(),
            data_keys: sealing::DataKeys::ephemeral(),
            mailer: Mailer::log_only(&settings.mail.link_base_url),
            sso: crate::sso::provider::IdentityProviders::default(),
        }
    }

    /// Sends email through `mailer` rather than to the log.
    pub fn mailing(mut self, mailer: Mailer) -> Self {
        self.mailer = mailer;
        self
    }

    /// Seals authenticator secrets with the configured data keys rather than a key that dies
    /// with the process.
    pub fn sealing(mut self, data_keys: sealing::DataKeys) -> Self {
        self.data_keys = data_keys;
        self
    }

    /// Shares the deny-list with every replica through Redis.
    pub fn sharing(mut self, redis: Option<Arc<SharedRedis>>) -> Self {
        self.revocations = Revocations::new(Self::deny_for(self.access_ttl_secs), redis);
        self
    }

    /// How long a denial must last: until the last access token issued before it has expired.
    fn deny_for(access_ttl_secs: i64) -> chrono::Duration {
        chrono::Duration::seconds(access_ttl_secs.saturating_add(jwt::CLOCK_SKEW_SECS))
    }
}
