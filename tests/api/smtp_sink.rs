//! A mail server for tests: speaks enough SMTP for the server's client to hand over messages,
//! and keeps each message's text.

use std::time::Duration;

use springboard::settings::{Secret, Settings};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub struct SmtpSink {
    pub port: u16,
    messages: mpsc::UnboundedReceiver<String>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener)
    }

    /// Listens on `port`, which a test reserved earlier (a server that was down comes up).
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        Self::serve(listener)
    }

    fn serve(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let (sender, messages) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, sender.clone()));
            }
        });
        Self { port, messages }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The next message received, waiting up to `within`.
    pub async fn next(&mut self, within: Duration) -> Option<String> {
        tokio::time::timeout(within, self.messages.recv()).await.ok().flatten()
    }
}

async fn session(stream: TcpStream, delivered: mpsc::UnboundedSender<String>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "DATA" => {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut text = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line == "." {
                        break;
                    }
                    text.push_str(line.strip_prefix('.').unwrap_or(&line));
                    text.push('\n');
                }
                let _ = delivered.send(readable(&text));
                b"250 queued\r\n"
            }
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The message as a mail client shows it: a quoted-printable body decoded.
fn readable(message: &str) -> String {
    let (headers, body) = message.split_once("\n\n").unwrap_or((message, ""));
    if !headers.to_ascii_lowercase().contains("content-transfer-encoding: quoted-printable") {
        return message.to_owned();
    }
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    format!("{headers}\n\n{}", String::from_utf8_lossy(&decoded))
}

/// The token in the message's link to `path` (`…/path?token=…`).
pub fn token_in(message: &str, path: &str) -> String {
    let marker = format!("/{path}?token=");
    let start =
        message.find(&marker).unwrap_or_else(|| panic!("no {path} link in:\n{message}")) + marker.len();
    message[start..].split_whitespace().next().unwrap().to_owned()
}

pub fn mail_to(sink: &SmtpSink) -> impl FnOnce(&mut Settings) {
    let url = sink.url();
    move |settings: &mut Settings| {
        settings.mail.smtp_url = Some(Secret::new(url));
        settings.mail.smtp_retry_ms = 200;
        settings.mail.link_base_url = "https://front.example.org/qi".into();
    }
}

/// Runs the body against SQLite and PostgreSQL, each with a mail server of its own.
#[macro_export]
macro_rules! mail_test {
    (async fn $name:ident($app:ident, $sink:ident) $body:block) => {
        mod $name {
            use super::*;
            use $crate::helpers::{Backend, spawn_app_with};
            use $crate::smtp_sink::{SmtpSink, mail_to};

            async fn run(backend: Backend) {
                #[allow(unused_mut)]
                let mut $sink = SmtpSink::start().await;
                let Some($app) = spawn_app_with(backend, mail_to(&$sink)).await else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                    return;
                };
                $body
            }

            #[tokio::test]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}
