//! State that every replica must see at once (rate-limit budgets, the access-token deny-list)
//! lives in Redis when `SPRINGBOARD_REDIS_URL` is set. This is the one handle to it.
//!
//! Redis is an accelerator here, never the source of truth, so its outage must not become
//! ours: every call is bounded by a short timeout, and after a failure Redis is left alone for
//! a few seconds (the callers use their fallback meanwhile) instead of making every request
//! wait for a connection that will not come. The change of state is logged once each way, not
//! once per request.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::settings::Secret;

/// Longest a request waits for Redis; loopback or same-zone answers take well under 1 ms.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis is not asked after a failure.
const BACK_OFF: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SharedStateError {
    #[error("SPRINGBOARD_REDIS_URL is not a usable Redis URL")]
    InvalidUrl(#[source] redis::RedisError),
    #[error("creating the Redis connection")]
    Connect(#[source] redis::RedisError),
}

pub struct SharedRedis {
    conn: ConnectionManager,
    prefix: String,
    /// Until when Redis is being left alone; `None` while it answers.
    resting_until: Mutex<Option<Instant>>,
    failures: prometheus::IntCounterVec,
}

impl std::fmt::Debug for SharedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRedis").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl SharedRedis {
    /// Connects lazily: a replica starts (and serves, on its fallbacks) while Redis is down.
    /// `failures` counts calls that fell back, by purpose.
    pub fn connect(
        url: &Secret,
        prefix: &str,
        failures: prometheus::IntCounterVec,
    ) -> Result<Self, SharedStateError> {
        let client = redis::Client::open(url.expose()).map_err(SharedStateError::InvalidUrl)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1);
        let conn =
            ConnectionManager::new_lazy_with_config(client, config).map_err(SharedStateError::Connect)?;
        Ok(Self { conn, prefix: prefix.to_owned(), resting_until: Mutex::new(None), failures })
    }

    /// `name` under this deployment's prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// Runs `call` on a connection, or says `None` when Redis did not answer in time, failed,
    /// or is being left alone after a recent failure. `purpose` names the caller in logs and
    /// metrics.
    pub async fn run<T, F, Fut>(&self, purpose: &'static str, call: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.resting() {
            self.failures.with_label_values(&[purpose]).inc();
            return None;
        }
        let outcome = tokio::time::timeout(CALL_TIMEOUT, call(self.conn.clone())).await;
        match outcome {
            Ok(Ok(value)) => {
                self.recovered();
                Some(value)
            }
            Ok(Err(err)) => {
                self.failed(purpose, &format!("{:?}", err.kind()));
                None
            }
            Err(_) => {
                self.failed(purpose, "timed out");
                None
            }
        }
    }

    fn resting(&self) -> bool {
        let mut resting = self.resting_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match *resting {
            Some(until) if Instant::now() < until => true,
            // Time to try again; a failure sets a new rest, a success clears it.
            Some(_) => {
                *resting = Some(Instant::now() + CALL_TIMEOUT);
                false
            }
            None => false,
        }
    }

    fn failed(&self, purpose: &'static str, what: &str) {
        self.failures.with_label_values(&[purpose]).inc();
        let mut resting = self.resting_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if resting.is_none() {
            // Only the kind of error: a Redis error's text may quote the command and its keys.
            tracing::warn!(
                redis.purpose = purpose,
                error.kind = what,
                "Redis unavailable: rate limits fall back to this replica's own budgets and the \
                 deny-list to the database until it answers again"
            );
        }
        *resting = Some(Instant::now() + BACK_OFF);
    }

    fn recovered(&self) {
        let mut resting = self.resting_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if resting.take().is_some() {
            tracing::info!("Redis answers again: budgets and the deny-list are shared again");
        }
    }
}
