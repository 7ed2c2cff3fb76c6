use clap::Args;

use crate::settings::Secret;

#[derive(Args, Clone, Debug)]
pub struct MailSettings {
    /// SMTP server for outgoing email: `smtp://host:25` (plain, for a local relay),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS) or `smtps://user:password@host:465`
    /// (TLS). Unset: messages are written to the log.
    #[arg(long, env = "SPRINGBOARD_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<Secret>,

    /// Sender of every message, `Name <address>` or an address.
    #[arg(long, env = "SPRINGBOARD_MAIL_FROM", default_value = "Springboard <springboard@localhost>")]
    pub mail_from: String,

    /// Base URL of the front end that links in emails open: `<base>/reset-password?token=…`,
    /// `<base>/accept-invitation?token=…`.
    #[arg(long, env = "SPRINGBOARD_LINK_BASE_URL", default_value = "http://localhost:3000")]
    pub link_base_url: String,

    /// Wait before a failed delivery is tried again; it doubles with each attempt (up to
    /// 15 minutes; ten attempts in all).
    #[arg(long, env = "SPRINGBOARD_SMTP_RETRY_MS", default_value_t = 5_000)]
    pub smtp_retry_ms: u64,
}
