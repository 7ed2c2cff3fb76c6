//! Prometheus metrics: GraphQL requests and latency by operation and outcome, and the database
//! pool. Operation names come from clients, so they are sanitised and their number capped.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sea_orm::DbBackend;

use super::AppState;

const MAX_OPERATION_NAMES: usize = 200;
const MAX_OPERATION_NAME_CHARS: usize = 64;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    statements: IntCounterVec,
    statement_latency: prometheus::Histogram,
    /// Passwords verified by sign-in: argon2 work, and what the lockout bounds.
    pub password_checks: prometheus::IntCounter,
    /// Requests refused by admission control, and stopped at their deadline.
    pub admission_refused: prometheus::IntCounter,
    pub deadline_exceeded: prometheus::IntCounter,
    /// Requests refused for want of budget (429).
    pub rate_limited: prometheus::IntCounter,
    /// Calls to Redis that fell back (rate limits to this replica, the deny-list to the
    /// database), by purpose.
    pub redis_fallbacks: IntCounterVec,
    /// Outgoing email by outcome: sent, retried, given_up, dropped (queue full), logged (no SMTP).
    pub emails: IntCounterVec,
    admission: IntGaugeVec,
    known_operations: Mutex<HashSet<String>>,
}

#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Executed without errors.
    Ok,
    /// Executed, with errors in the response.
    Error,
    /// Refused before execution: unparsable, invalid, over a limit.
    Rejected,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
        }
    }
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("springboard_graphql_requests_total", "GraphQL operations by name and outcome"),
            &["operation", "outcome"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("springboard_graphql_request_duration_seconds", "GraphQL operation latency")
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["operation", "outcome"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("springboard_db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let statements = IntCounterVec::new(
            Opts::new("springboard_db_statements_total", "SQL statements executed, by outcome"),
            &["outcome"],
        )?;
        let statement_latency = prometheus::Histogram::with_opts(
            HistogramOpts::new("springboard_db_statement_duration_seconds", "SQL statement latency")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0]),
        )?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(statements.clone()))?;
        registry.register(Box::new(statement_latency.clone()))?;
        let password_checks = prometheus::IntCounter::new(
            "springboard_sign_in_password_checks_total",
            "Passwords verified by sign-in (attempts refused by the lockout are not verified)",
        )?;
        registry.register(Box::new(password_checks.clone()))?;
        let admission_refused = prometheus::IntCounter::new(
            "springboard_admission_refused_total",
            "Requests answered 503 because the server was at capacity",
        )?;
        let deadline_exceeded = prometheus::IntCounter::new(
            "springboard_deadline_exceeded_total",
            "Requests stopped at their deadline",
        )?;
        let admission = IntGaugeVec::new(
            Opts::new("springboard_admission", "Cost executing now, and operations queued for room"),
            &["state"],
        )?;
        registry.register(Box::new(admission_refused.clone()))?;
        registry.register(Box::new(deadline_exceeded.clone()))?;
        registry.register(Box::new(admission.clone()))?;
        let rate_limited = prometheus::IntCounter::new(
            "springboard_rate_limited_total",
            "Requests answered 429 because their budget could not pay for them",
        )?;
        let redis_fallbacks = IntCounterVec::new(
            Opts::new(
                "springboard_redis_fallbacks_total",
                "Redis calls that failed or were skipped after a failure, so a fallback decided",
            ),
            &["purpose"],
        )?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(redis_fallbacks.clone()))?;
        let emails = IntCounterVec::new(
            Opts::new(
                "springboard_emails_total",
                "Outgoing email by outcome: sent, retried (a delivery failed and is tried again), given_up, \
                 dropped (the queue was full), logged (no SMTP server configured)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(emails.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool,
            statements,
            statement_latency,
            password_checks,
            admission_refused,
            deadline_exceeded,
            rate_limited,
            redis_fallbacks,
            emails,
            admission,
            known_operations: Mutex::new(HashSet::new()),
        })
    }

    /// Called by the database layer after every statement.
    pub fn observe_statement(&self, elapsed: Duration, failed: bool) {
        self.statements.with_label_values(&[if failed { "error" } else { "ok" }]).inc();
        self.statement_latency.observe(elapsed.as_secs_f64());
    }

    pub fn observe(&self, operation: Option<&str>, outcome: Outcome, elapsed: Duration) {
        let operation = self.operation_label(operation);
        let labels = [operation.as_str(), outcome.label()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(elapsed.as_secs_f64());
    }

    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation.filter(|n| !n.is_empty()) else { return "anonymous".to_owned() };
        let clean: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(MAX_OPERATION_NAME_CHARS)
            .collect();
        if clean.is_empty() {
            return "anonymous".to_owned();
        }
        let Ok(mut known) = self.known_operations.lock() else { return "other".to_owned() };
        if known.contains(&clean) || known.len() < MAX_OPERATION_NAMES {
            known.insert(clean.clone());
            clean
        } else {
            "other".to_owned()
        }
    }
}

pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let (size, idle) = match (state.db.pool(), state.db.backend()) {
        (None, _) => (0, 0),
        (Some(conn), DbBackend::Postgres) => {
            let pool = conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        (Some(conn), DbBackend::Sqlite) => {
            let pool = conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    state.metrics.pool.with_label_values(&["idle"]).set(idle);
    state.metrics.pool.with_label_values(&["in_use"]).set(i64::from(size) - idle);
    let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    state.metrics.admission.with_label_values(&["cost_in_flight"]).set(gauge(state.admission.in_flight()));
    state.metrics.admission.with_label_values(&["queued"]).set(gauge(state.admission.waiting()));
    let mut buffer = Vec::new();
    if let Err(err) = TextEncoder::new().encode(&state.metrics.registry.gather(), &mut buffer) {
        tracing::error!(error.message = %err, "metrics encoding failed");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_sanitised_and_capped() {
        let metrics = Metrics::new().unwrap();
        assert_eq!(metrics.operation_label(None), "anonymous");
        assert_eq!(metrics.operation_label(Some("Get-Me{}")), "GetMe");
        for i in 0..MAX_OPERATION_NAMES {
            metrics.operation_label(Some(&format!("op{i}")));
        }
        assert_eq!(metrics.operation_label(Some("oneTooMany")), "other");
        assert_eq!(metrics.operation_label(Some("op1")), "op1");
    }
}
