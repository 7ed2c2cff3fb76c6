//! Password hashing: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1),
//! always off the async workers because one hash takes tens of milliseconds of CPU.
//!
//! Hashes run on a small fixed pool of threads (one per core, at most four), not tokio's
//! blocking pool: each hash needs 19 MiB while it runs, so the pool bounds what a burst of
//! sign-ins can take, in memory (19 MiB per thread) and in CPU (a core per thread). The working
//! memory is freed after each hash; the server's allocator gives it back to the system once the
//! burst is over (see `main`), where a per-thread cache would have kept it for good.

use std::sync::{Arc, LazyLock, Mutex};

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::ServiceError;

mod rules;

pub use rules::{DEFAULT_MIN_CHARS, LEAST_MIN_CHARS, MAX_PASSWORD_CHARS, PasswordRules};

fn params() -> Params {
    Params::new(19 * 1024, 2, 1, None).unwrap_or_default()
}

const SALT_BYTES: usize = 16;
const OUTPUT_BYTES: usize = 32;

fn with_workspace<T>(blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
    work(&mut vec![Block::default(); blocks])
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password` with a fresh salt.
fn hash_now(password: &[u8]) -> Result<String, String> {
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt = [0u8; SALT_BYTES];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_BYTES];
    with_workspace(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(password, &salt, &mut out, blocks)
    })
    .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `candidate` produces the hash in the PHC string `stored`, compared in constant time.
fn verify_now(candidate: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else { return false };
    let (Ok(params), Ok(algorithm)) =
        (Params::try_from(&parsed), Algorithm::try_from(parsed.algorithm.as_str()))
    else {
        return false;
    };
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(version), Some(salt), Some(expected)) = (version, parsed.salt, parsed.hash) else { return false };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = with_workspace(params.block_count(), |blocks| {
        argon2.hash_password_into_with_memory(candidate, salt.as_ref(), &mut out, blocks)
    });
    computed.is_ok() && bool::from(out.as_slice().ct_eq(expected.as_ref()))
}

/// Refuses a candidate too long to be any password (`INVALID` on `field`) before it is hashed:
/// argon2 over megabytes of input would be a cheap way to burn a server's CPU.
pub fn within_limit(candidate: &str, field: &str) -> Result<(), ServiceError> {
    if candidate.chars().nth(MAX_PASSWORD_CHARS).is_some() {
        return Err(ServiceError::invalid(
            field,
            crate::error::UserErrorCode::Invalid,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A password that passed `PasswordRules`. Not `Debug`, so it cannot end up in a log.
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 256 random bits no one is shown: the password of an account made at its first single
    /// sign-on, which signs in through its organisation until someone resets it.
    pub fn unguessable() -> Self {
        use base64::Engine;
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
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
    let hashed = on_pool(move || hash_now(password.0.as_bytes())).await?;
    hashed.map_err(|e| ServiceError::internal(PasswordError(e)))
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
    let matches = on_pool(move || verify_now(candidate.as_bytes(), &stored)).await?;
    Ok(known && matches)
}

static DUMMY_HASH: LazyLock<Arc<str>> =
    LazyLock::new(|| Arc::from(hash_now(b"springboard-timing-equaliser").unwrap_or_default()));

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
        let password = PasswordRules::default().check("correct horse battery", "p", &[]).unwrap();
        let stored = hash(password).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&stored)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("springboard-timing-equaliser", None).await.unwrap());
    }
}
