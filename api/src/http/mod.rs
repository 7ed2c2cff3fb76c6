//! The HTTP surface: GraphQL over HTTP, health, readiness and metrics.

pub mod admission;
pub mod charts;
pub mod client_address;
pub mod downloads;
pub mod explorer;
pub mod exports;
pub mod graphql;
pub mod health;
pub mod idempotency;
pub mod metrics;
pub mod metrics_access;
pub mod negotiate;
pub mod overload;
pub mod persisted;
pub mod rate_limit;
pub mod render;
pub mod request_id;
pub mod subscriptions;

use std::sync::Arc;

use actix_web::web;

use crate::db::Db;
use crate::graphql::cost::Costs;
use crate::graphql::ordering::Shapes;
use crate::graphql::schema::AppSchema;
use crate::identity::AuthConfig;

/// Shared by every worker; nothing per-request lives here.
pub struct AppState {
    pub schema: AppSchema,
    /// The schema's output types, to put responses in selection-set order.
    pub shapes: Shapes,
    pub db: Db,
    pub auth: Arc<AuthConfig>,
    pub max_body_bytes: usize,
    pub max_batch_size: usize,
    pub metrics: Arc<metrics::Metrics>,
    /// What each operation costs, before it runs.
    pub costs: Costs,
    pub admission: admission::Admission,
    /// Each caller's budget of cost over time.
    pub rate_limits: crate::ratelimit::RateLimits,
    /// How long a request may take, queueing and database waits included.
    pub deadline: std::time::Duration,
    /// The database's state as the background probe last saw it.
    pub readiness: Arc<health::Readiness>,
    /// Who may read `/metrics` on the public address.
    pub metrics_access: metrics_access::MetricsAccess,
    /// Trusted proxies in front of the server (see `client_address`).
    pub proxy_hops: usize,
    /// Documents known by hash (see `persisted`).
    pub persisted: Arc<persisted::PersistedQueries>,
    /// Publications as they happen, for `resultPublished`.
    pub publications: Arc<crate::results::publications::Publications>,
    /// Room for WebSocket subscribers on this replica.
    pub subscribers: Arc<tokio::sync::Semaphore>,
}

/// The private listener's only route.
pub fn private_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics::render));
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql::post))
        .route("/graphql", web::get().to(graphql::get))
        .route("/graphiql/{name}", web::get().to(explorer::asset))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/charts/measures/{file}", web::get().to(charts::measure))
        .route("/export/measures/{file}", web::get().to(exports::measure))
        .route("/export/projects/{file}", web::get().to(exports::project))
        .route("/export/projects/{id}/template.csv", web::get().to(exports::template))
        .route("/metrics", web::get().to(metrics_access::public));
}
