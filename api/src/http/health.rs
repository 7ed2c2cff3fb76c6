//! Liveness and readiness, answered in microseconds whatever the load: neither waits for the
//! request pool. Readiness reports what a background probe, on a connection of its own, last
//! saw of the database; a load balancer asking while every pooled connection is busy gets the
//! truth at once instead of queueing behind the requests it is meant to protect.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use sea_orm::DatabaseConnection;

use super::AppState;

/// How often the probe asks the database.
const PROBE_EVERY: Duration = Duration::from_millis(500);
/// A ping slower than this counts as a failure.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// A success older than this no longer counts (the probe itself is stuck).
const STALE_AFTER_MS: i64 = 3_000;

#[derive(Debug, Default)]
pub struct Readiness {
    reachable: AtomicBool,
    /// Milliseconds since the Unix epoch of the last probe that succeeded.
    last_success_ms: AtomicI64,
    /// Set when the process has been told to stop: a load balancer drains it.
    stopping: AtomicBool,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        !self.stopping.load(Ordering::Acquire)
            && self.reachable.load(Ordering::Acquire)
            && now_ms() - self.last_success_ms.load(Ordering::Acquire) <= STALE_AFTER_MS
    }

    fn record(&self, reachable: bool) {
        if reachable {
            self.last_success_ms.store(now_ms(), Ordering::Release);
        }
        self.reachable.store(reachable, Ordering::Release);
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Asks the database once, on the probe's own connection.
    pub async fn probe(&self, probe: &DatabaseConnection) -> bool {
        let reachable = matches!(tokio::time::timeout(PROBE_TIMEOUT, probe.ping()).await, Ok(Ok(())));
        if !reachable && self.reachable.load(Ordering::Acquire) {
            tracing::warn!("readiness probe failed: database unreachable");
        }
        self.record(reachable);
        reachable
    }

    /// Probes until the process ends.
    pub async fn keep_probing(&self, probe: DatabaseConnection) {
        let mut every = tokio::time::interval(PROBE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            self.probe(&probe).await;
        }
    }
}

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The process can serve: the database answered the probe within the last few seconds.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if state.readiness.is_ready() {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(serde_json::json!({ "status": "unavailable" }))
    }
}
