//! Account settings: password rules and the recovery flows. Shared by `serve` and `create-admin`.

use clap::Args;

use super::password::{DEFAULT_MIN_CHARS, PasswordRules};

#[derive(Args, Clone, Debug)]
pub struct PasswordSettings {
    /// Fewest characters a new password may have (NIST SP 800-63B: 15 where the password is the
    /// only factor; never fewer than 8). Existing passwords keep working.
    #[arg(long, env = "SPRINGBOARD_PASSWORD_MIN_CHARS", default_value_t = DEFAULT_MIN_CHARS)]
    pub password_min_chars: usize,
}

impl PasswordSettings {
    pub fn rules(&self) -> PasswordRules {
        PasswordRules::with_min_chars(self.password_min_chars)
    }
}

#[derive(Args, Clone, Debug)]
pub struct RecoverySettings {
    /// How long a password-reset link works, in seconds.
    #[arg(long, env = "SPRINGBOARD_PASSWORD_RESET_TTL", default_value_t = 30 * 60,
          value_parser = clap::value_parser!(i64).range(60..=24 * 3600))]
    pub password_reset_ttl_secs: i64,

    /// Password resets that may be asked for per email address per hour (known or not: the
    /// answer must not tell them apart).
    #[arg(long, env = "SPRINGBOARD_PASSWORD_RESETS_PER_EMAIL", default_value_t = 3,
          value_parser = clap::value_parser!(i32).range(1..=1_000))]
    pub password_resets_per_email: i32,

    /// Password resets that may be asked for per client address per hour.
    #[arg(long, env = "SPRINGBOARD_PASSWORD_RESETS_PER_CLIENT", default_value_t = 30,
          value_parser = clap::value_parser!(i32).range(1..=100_000))]
    pub password_resets_per_client: i32,
}

#[derive(Args, Clone, Debug)]
pub struct TwoFactorSettings {
    /// Keys that seal secrets the server must read back (authenticator secrets), as
    /// comma-separated `kid:secret` pairs, each secret at least 32 bytes. The first seals; all
    /// open, so a key can be rotated in while older rows stay readable. Required with
    /// PostgreSQL; with SQLite one is generated into a file beside the database when unset.
    #[arg(long, env = "SPRINGBOARD_DATA_KEYS", hide_env_values = true)]
    pub data_keys: Option<crate::settings::Secret>,

    /// How long the second step of a sign-in may take, in seconds.
    #[arg(long, env = "SPRINGBOARD_TWO_FACTOR_CHALLENGE_TTL", default_value_t = 300,
          value_parser = clap::value_parser!(i64).range(30..=3600))]
    pub two_factor_challenge_ttl_secs: i64,

    /// Wrong second-factor codes one person may enter per 15 minutes, across every sign-in and
    /// replica; beyond them codes are refused (`TOO_MANY_ATTEMPTS`) until the window ends.
    #[arg(long, env = "SPRINGBOARD_TWO_FACTOR_ATTEMPTS", default_value_t = 10,
          value_parser = clap::value_parser!(i32).range(1..=1_000))]
    pub two_factor_attempts: i32,
}
