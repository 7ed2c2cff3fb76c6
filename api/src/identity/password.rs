//! Password hashing: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1),
//! always off the async workers because one hash takes tens of milliseconds of CPU.
//!
//! Hashes run on a small fixed pool of threads, not tokio's blocking pool: each hash allocates
//! 19 MiB, and the allocator keeps a freed block per thread that used one, so hundreds of
//! blocking threads would hold hundreds of MiB after a burst of sign-ins. A fixed pool bounds
//! that memory, and the CPU a sign-in flood can take.

use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{FieldError, ServiceError, UserErrorCode};

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password that passed the length rules. Not `Debug`, so it cannot end up in a log.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(FieldError::new(
                field,
                UserErrorCode::Invalid,
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(FieldError::new(
                field,
                UserErrorCode::Invalid,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting beyond this many make callers wait to enqueue (backpressure, not an error).
const QUEUE: usize = 256;

struct Pool {
    jobs: tokio::sync::mpsc::Sender<Job>,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| {
    let (jobs, receiver) = tokio::sync::mpsc::channel::<Job>(QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    for index in 0..threads {
        let receiver = receiver.clone();
        let spawned = std::thread::Builder::new().name(format!("password-{index}")).spawn(move || {
            loop {
                let job = match receiver.lock() {
                    Ok(mut receiver) => receiver.blocking_recv(),
                    Err(_) => None,
                };
                match job {
                    Some(job) => job(),
                    None => break,
                }
            }
        });
        if let Err(err) = spawned {
            tracing::error!(error.message = %err, "could not start a password hashing thread");
        }
    }
    Pool { jobs }
});

/// Runs `work` on the hashing pool and waits for its answer.
async fn on_pool<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ServiceError> {
    let (answer, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(work());
    });
    POOL.jobs
        .send(job)
        .await
        .map_err(|_| ServiceError::internal(PasswordError("the hashing pool stopped".into())))?;
    result.await.map_err(ServiceError::internal)
}

pub async fn hash(password: Password) -> Result<String, ServiceError> {
    let hashed =
        on_pool(move || hasher().hash_password(password.0.as_bytes()).map(|h| h.to_string())).await?;
    hashed.map_err(|e| ServiceError::internal(PasswordError(e.to_string())))
}

/// Checks `candidate` against `stored`; with no stored hash (unknown account) it checks against
/// a fixed dummy hash, so that the answer takes as long as for a real account.
pub async fn verify(candidate: &str, stored: Option<&str>) -> Result<bool, ServiceError> {
    let candidate = candidate.to_owned();
    let known = stored.is_some();
    let stored: Arc<str> = match stored {
        Some(s) => Arc::from(s),
        None => DUMMY_HASH.clone(),
    };
    let matches = on_pool(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        hasher().verify_password(candidate.as_bytes(), &parsed).is_ok()
    })
    .await?;
    Ok(known && matches)
}

static DUMMY_HASH: LazyLock<Arc<str>> = LazyLock::new(|| {
    let hashed =
        hasher().hash_password(b"springboard-timing-equaliser").map(|h| h.to_string()).unwrap_or_default();
    Arc::from(hashed)
});

/// Computes the dummy hash and starts the pool at start-up rather than in the first sign-in.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
    LazyLock::force(&POOL);
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
struct PasswordError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let stored = hash(Password::parse("correct horse battery", "p").unwrap()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&stored)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("springboard-timing-equaliser", None).await.unwrap());
    }

    #[test]
    fn passwords_outside_the_length_limits_are_refused() {
        assert!(Password::parse("short", "p").is_err());
        assert!(Password::parse(&"x".repeat(MAX_PASSWORD_CHARS + 1), "p").is_err());
        assert!(Password::parse("exactly twelve", "p").is_ok());
    }
}
