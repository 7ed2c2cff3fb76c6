//! Outgoing email: password-reset links, invitations and security notices.
//!
//! With `SPRINGBOARD_SMTP_URL` set, messages go through a queue to the SMTP server; a request
//! only enqueues (it never waits on the mail server), and a failed delivery is tried again with
//! growing delays. Without it, each message is written to the log instead, links included, so
//! that a demo or a developer's machine works with nothing else installed.
//!
//! The queue lives in this process and is not written to the database: these messages carry
//! live secrets (a reset link signs whoever holds it in), and a table of them would undo
//! storing only the tokens' hashes. A message still queued when the process stops is lost; the
//! person can ask again, and invitations return their token to the caller too.

mod settings;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::mpsc;

pub use settings::MailSettings;

/// Messages waiting beyond this are dropped (and logged): a mail server that is down must not
/// grow the process without bound.
const QUEUE: usize = 1_000;
/// Delivery attempts per message before it is given up (and logged).
const MAX_ATTEMPTS: u32 = 10;
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// A mail server that accepts the connection and then stalls gives up the worker after this.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// What each message is, for the logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    PasswordReset,
    Invitation,
    SecurityNotice,
}

impl MailKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::Invitation => "invitation",
            Self::SecurityNotice => "security_notice",
        }
    }
}

/// One plain-text message to one recipient.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub body: String,
}

struct Queued {
    mail: Outgoing,
    attempt: u32,
}

#[derive(Clone)]
pub struct Mailer {
    queue: Option<mpsc::Sender<Queued>>,
    link_base: Arc<str>,
    /// Counts each outcome, for `/metrics`.
    outcomes: Outcomes,
}

/// `springboard_emails_total` by outcome; a mailer made outside the server counts nowhere.
#[derive(Clone, Default)]
struct Outcomes(Option<prometheus::IntCounterVec>);

impl Outcomes {
    fn count(&self, outcome: &str) {
        if let Some(counter) = &self.0 {
            counter.with_label_values(&[outcome]).inc();
        }
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("smtp", &self.queue.is_some())
            .field("link_base", &self.link_base)
            .finish()
    }
}

impl Mailer {
    /// Messages go to the log.
    pub fn log_only(link_base: &str) -> Self {
        Self {
            queue: None,
            link_base: Arc::from(link_base.trim_end_matches('/')),
            outcomes: Outcomes::default(),
        }
    }

    /// Starts the delivery worker when SMTP is configured (within a tokio runtime).
    pub fn start(settings: &MailSettings, counter: prometheus::IntCounterVec) -> anyhow::Result<Self> {
        let link_base = settings.link_base_url.trim_end_matches('/');
        let outcomes = Outcomes(Some(counter));
        let Some(url) = &settings.smtp_url else {
            tracing::warn!(
                "SPRINGBOARD_SMTP_URL is not set: emails, with their reset and invitation links, \
                 are written to the log instead of sent"
            );
            return Ok(Self { outcomes, ..Self::log_only(link_base) });
        };
        let from: Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| anyhow::anyhow!("SPRINGBOARD_MAIL_FROM is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| anyhow::anyhow!("SPRINGBOARD_SMTP_URL: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let (queue, receiver) = mpsc::channel(QUEUE);
        let retry_base = Duration::from_millis(settings.smtp_retry_ms.max(1));
        tokio::spawn(deliver(transport, from, receiver, queue.clone(), retry_base, outcomes.clone()));
        Ok(Self { queue: Some(queue), link_base: Arc::from(link_base), outcomes })
    }

    /// The front end's page for `path`, carrying `token`. Tokens are URL-safe as they are.
    /// The partner front end's base URL that links open.
    pub fn link_base(&self) -> &str {
        &self.link_base
    }

    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}/{path}?token={token}", self.link_base)
    }

    /// Hands the message over without waiting for it to be delivered.
    pub fn send(&self, mail: Outgoing) {
        let Some(queue) = &self.queue else {
            tracing::info!(
                mail.kind = mail.kind.as_str(),
                mail.to = %mail.to,
                mail.subject = %mail.subject,
                mail.body = %mail.body,
                "email (not sent: no SMTP server configured)"
            );
            self.outcomes.count("logged");
            return;
        };
        let kind = mail.kind.as_str();
        if let Err(err) = queue.try_send(Queued { mail, attempt: 1 }) {
            let reason = match err {
                mpsc::error::TrySendError::Full(_) => "the mail queue is full",
                mpsc::error::TrySendError::Closed(_) => "the mail worker stopped",
            };
            tracing::error!(mail.kind = kind, reason, "email dropped");
            self.outcomes.count("dropped");
        }
    }
}

async fn deliver(
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    mut receiver: mpsc::Receiver<Queued>,
    queue: mpsc::Sender<Queued>,
    retry_base: Duration,
    outcomes: Outcomes,
) {
    while let Some(queued) = receiver.recv().await {
        let kind = queued.mail.kind.as_str();
        let message = match build(&from, &queued.mail) {
            Ok(message) => message,
            Err(reason) => {
                tracing::error!(mail.kind = kind, reason = %reason, "email dropped: it cannot be built");
                outcomes.count("dropped");
                continue;
            }
        };
        match transport.send(message).await {
            Ok(_) => {
                tracing::info!(mail.kind = kind, attempt = queued.attempt, "email sent");
                outcomes.count("sent");
            }
            Err(err) if queued.attempt < MAX_ATTEMPTS => {
                let delay = retry_delay(retry_base, queued.attempt);
                tracing::warn!(
                    mail.kind = kind,
                    attempt = queued.attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    error.message = %err,
                    "email not delivered; it will be tried again"
                );
                outcomes.count("retried");
                let queue = queue.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let again = Queued { mail: queued.mail, attempt: queued.attempt + 1 };
                    if queue.send(again).await.is_err() {
                        tracing::error!(mail.kind = kind, "email dropped: the mail worker stopped");
                    }
                });
            }
            Err(err) => {
                tracing::error!(mail.kind = kind, attempts = queued.attempt, error.message = %err, "email given up");
                outcomes.count("given_up");
            }
        }
    }
}

/// Doubles from `base` with each attempt, up to `MAX_DELAY`.
fn retry_delay(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(MAX_DELAY)
}

fn build(from: &Mailbox, mail: &Outgoing) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("recipient: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_ceiling() {
        let base = Duration::from_secs(5);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(5));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(10));
        assert_eq!(retry_delay(base, 4), Duration::from_secs(40));
        assert_eq!(retry_delay(base, 9), MAX_DELAY);
        assert_eq!(retry_delay(base, u32::MAX), MAX_DELAY);
    }

    #[test]
    fn links_point_at_the_front_end_with_the_token() {
        let mailer = Mailer::log_only("https://qi.example.org/app/");
        assert_eq!(
            mailer.link("reset-password", "sbp_abc_def"),
            "https://qi.example.org/app/reset-password?token=sbp_abc_def"
        );
    }

    #[test]
    fn a_message_has_its_sender_recipient_and_text() {
        let from: Mailbox = "Springboard <no-reply@example.org>".parse().unwrap();
        let mail = Outgoing {
            kind: MailKind::SecurityNotice,
            to: "ada@example.org".into(),
            subject: "Your password was changed".into(),
            body: "It was you, we hope.".into(),
        };
        let text = String::from_utf8(build(&from, &mail).unwrap().formatted()).unwrap();
        assert!(text.contains("From: Springboard <no-reply@example.org>"), "{text}");
        assert!(text.contains("To: ada@example.org"), "{text}");
        assert!(text.contains("It was you, we hope."), "{text}");
        assert!(build(&from, &Outgoing { to: "not an address".into(), ..mail }).is_err());
    }
}
