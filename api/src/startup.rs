//! Building and running the server: `Application::build(settings)`, then `port()` and
//! `run_until_stopped()`.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{Method, header};
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;

use crate::clock::Clock;
use crate::db::{self, Db, Wall};
use crate::graphql::cost::Costs;
use crate::graphql::ordering::Shapes;
use crate::graphql::schema::{self, QueryLimits};
use crate::http::admission::Admission;
use crate::http::health::Readiness;
use crate::http::metrics_access::MetricsAccess;
use crate::http::{self, AppState};
use crate::identity::{AuthConfig, password};
use crate::ratelimit::{Policy, RateLimits};
use crate::results::publications::Publications;
use crate::settings::Settings;
use crate::shared_state::SharedRedis;

pub struct Application {
    port: u16,
    server: Server,
    /// The private `/metrics` listener, when one is configured, and its port.
    metrics_server: Option<(Server, u16)>,
    db: Db,
    readiness: Arc<Readiness>,
    drain: std::time::Duration,
}

/// Stops the server the way a rolling deploy needs: readiness turns 503 at once, no new
/// connection is accepted, requests in flight finish (within the grace period), and then
/// `run_until_stopped` closes the pool and returns.
#[derive(Clone)]
pub struct Shutdown {
    handle: ServerHandle,
    metrics_handle: Option<ServerHandle>,
    readiness: Arc<Readiness>,
    drain: std::time::Duration,
}

impl Shutdown {
    pub async fn begin(&self) {
        self.readiness.stop();
        tokio::time::sleep(self.drain).await;
        self.handle.stop(true).await;
        if let Some(metrics) = &self.metrics_handle {
            metrics.stop(true).await;
        }
    }
}

impl Application {
    /// Connects, applies pending migrations, and binds; serving starts with `run_until_stopped`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// As `build`, reading the time from `clock`: tests run the server at a date of their choice.
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let keys = crate::keys::resolve(&settings)?;
        let data_keys = crate::keys::resolve_data_keys(&settings)?;
        let deadline = std::time::Duration::from_millis(settings.request_deadline_ms);
        let url = &settings.database.database_url;
        // The pool gives up a little after the deadline, so that the deadline, not a pool
        // timeout, is what a waiting request meets.
        let acquire = deadline + std::time::Duration::from_secs(1);
        // The owner migrates first: it may have to create the runtime role before anyone can
        // connect as it.
        let owner_url = separate_owner(&settings);
        if let Some(owner_url) = owner_url {
            migrate_as_owner(owner_url, url).await?;
        }
        let mut conn =
            db::connect_with_deadline(url, settings.database.db_max_connections, acquire, Some(deadline))
                .await
                .context("connecting to the database")?;
        let metrics = Arc::new(http::metrics::Metrics::new().context("registering metrics")?);
        let password_checks = metrics.password_checks.clone();
        conn.set_metric_callback(statement_metrics(&metrics));
        // Migrations run on a connection of their own: the request pool's statement timeout
        // would cut a long index build short.
        let probe = db::connect(url, 1).await.context("connecting to the database")?;
        if owner_url.is_none() {
            db::migrate(&probe).await.context("applying migrations")?;
        }
        let wall = db::wall::inspect(&probe).await.context("inspecting the database role")?;
        let db = match &wall {
            Wall::Enforced => {
                let system_size = settings.database.db_system_connections.max(1);
                let mut system = db::connect_pool(url, system_size, acquire, Some(deadline), true)
                    .await
                    .context("connecting to the database")?;
                system.set_metric_callback(statement_metrics(&metrics));
                tracing::info!("row level security binds every request");
                Db::walled(conn, system, wall, clock)
            }
            Wall::Absent(why) => {
                if !db::is_sqlite_url(url) {
                    tracing::warn!(
                        reason = %why,
                        "row level security does not bind this server: connect as a runtime role \
                         and migrate as the owner (SPRINGBOARD_MIGRATION_DATABASE_URL)"
                    );
                }
                Db::new(conn, clock)
            }
        };
        password::warm_up();

        let redis = match &settings.redis_url {
            Some(url) => Some(Arc::new(
                SharedRedis::connect(url, &settings.redis_key_prefix, metrics.redis_fallbacks.clone())
                    .context("SPRINGBOARD_REDIS_URL")?,
            )),
            None => None,
        };
        let rate_limits = rate_limits(&settings, redis.clone(), db.clock().clone())?;
        let mailer = crate::mail::Mailer::start(&settings.mail, metrics.emails.clone())?;
        let auth = Arc::new(
            AuthConfig::new(keys, &settings, password_checks)
                .sealing(data_keys)
                .sharing(redis)
                .mailing(mailer),
        );
        let limits =
            QueryLimits { depth: settings.max_query_depth, complexity: settings.max_query_complexity };
        let schema = schema::build(auth.clone(), limits);
        let readiness = Arc::new(Readiness::default());
        readiness.probe(&probe).await;
        tokio::spawn({
            let readiness = readiness.clone();
            async move { readiness.keep_probing(probe).await }
        });
        let publications = Publications::new(Duration::from_millis(settings.publications_poll_ms.max(10)));
        tokio::spawn(publications.clone().watch(db.system()));
        let sdl = schema.sdl();
        let state = web::Data::new(AppState {
            shapes: Shapes::from_sdl(&sdl),
            costs: Costs::from_sdl(&sdl),
            schema,
            db: db.clone(),
            auth,
            max_body_bytes: settings.max_body_bytes,
            max_batch_size: settings.max_batch_size,
            metrics,
            admission: Admission::new(settings.max_concurrent_cost, settings.admission_queue),
            rate_limits,
            deadline,
            readiness: readiness.clone(),
            metrics_access: match (&settings.metrics_bind, &settings.metrics_token) {
                (Some(_), _) => MetricsAccess::Private,
                (None, Some(token)) => MetricsAccess::Token(token.clone()),
                (None, None) => MetricsAccess::Closed,
            },
            proxy_hops: settings.trusted_proxy_hops,
            persisted: Arc::new(persisted_queries(&settings)?),
            publications,
            subscribers: Arc::new(tokio::sync::Semaphore::new(settings.max_subscribers)),
        });
        let metrics_server = match &settings.metrics_bind {
            Some(bind) => {
                let listener =
                    TcpListener::bind(bind).with_context(|| format!("binding {bind} for /metrics"))?;
                let port = listener.local_addr()?.port();
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new().app_data(state.clone()).configure(http::private_routes)
                })
                .listen(listener)?
                .workers(1)
                .disable_signals()
                .run();
                tracing::info!(port, "serving /metrics privately");
                Some((server, port))
            }
            None => None,
        };

        let listener =
            TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let origins = settings.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(cors(&origins))
                .wrap(middleware::from_fn(http::request_id::middleware))
                .app_data(state.clone())
                .configure(http::routes)
        })
        .listen(listener)?
        // Signals are handled by the caller (see `Shutdown`), so readiness can turn first.
        .disable_signals()
        .shutdown_timeout(settings.shutdown_grace_secs);
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        tracing::info!(port, "listening");
        let drain = std::time::Duration::from_secs(settings.shutdown_drain_secs);
        Ok(Self { port, server: server.run(), metrics_server, db, readiness, drain })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The database for tools and tests: it reads and writes across tenants, as the identity
    /// flows do (see `db::wall`).
    pub fn db(&self) -> Db {
        self.db.system()
    }

    /// The pool requests run on, before any request scopes it: for tests that hold its
    /// connections. Under row level security it shows no tenant's rows.
    pub fn request_pool(&self) -> Db {
        self.db.clone()
    }

    /// The private `/metrics` listener's port, when one is configured.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    pub fn shutdown(&self) -> Shutdown {
        Shutdown {
            handle: self.server.handle(),
            metrics_handle: self.metrics_server.as_ref().map(|(server, _)| server.handle()),
            readiness: self.readiness.clone(),
            drain: self.drain,
        }
    }

    /// Serves until stopped, then closes the database pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics_server {
            Some((metrics, _)) => {
                let (served, _) = futures_util::future::join(self.server, metrics).await;
                served?;
            }
            None => self.server.await?,
        }
        if let Err(err) = self.db.close().await {
            tracing::warn!(error.message = %err, "closing the database pool");
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The budgets, if on. A budget smaller than the complexity limit would let an operation
/// through validation that no budget can ever pay for.
fn rate_limits(
    settings: &Settings,
    redis: Option<Arc<SharedRedis>>,
    clock: Clock,
) -> anyhow::Result<RateLimits> {
    let policy = (settings.rate_limit_per_sec > 0)
        .then_some(Policy { burst: settings.rate_limit_burst, per_sec: settings.rate_limit_per_sec });
    if policy.is_some() && settings.rate_limit_burst < settings.max_query_complexity as u64 {
        anyhow::bail!(
            "SPRINGBOARD_RATE_LIMIT_BURST ({}) must be at least SPRINGBOARD_MAX_QUERY_COMPLEXITY ({})",
            settings.rate_limit_burst,
            settings.max_query_complexity
        );
    }
    Ok(RateLimits::new(policy, redis, clock))
}

/// The owner's URL for migrations, when it differs from the runtime one.
fn separate_owner(settings: &Settings) -> Option<&str> {
    let url = &settings.database.database_url;
    settings.database.migration_database_url.as_deref().filter(|u| !u.is_empty() && *u != url)
}

/// Applies pending migrations as the owner and grants the runtime role what it needs.
async fn migrate_as_owner(owner_url: &str, runtime_url: &str) -> anyhow::Result<()> {
    let owner = db::connect(owner_url, 1).await.context("connecting to the database as its owner")?;
    db::migrate(&owner).await.context("applying migrations")?;
    if let Some(role) = db::wall::role_of_url(runtime_url) {
        let password = db::wall::password_of_url(runtime_url);
        db::wall::ensure_runtime_role(&owner, &role, password.as_deref())
            .await
            .context("granting the runtime role")?;
    }
    owner.close().await.context("closing the owner's connection")?;
    Ok(())
}

fn statement_metrics(
    metrics: &Arc<http::metrics::Metrics>,
) -> impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static {
    let metrics = metrics.clone();
    move |info| {
        tracing::debug!(db.statement = %info.statement.sql, "sql statement");
        metrics.observe_statement(info.elapsed, info.failed)
    }
}

/// Browsers on the configured origins may call the API; with none configured, no cross-origin
/// access at all.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static(http::idempotency::HEADER),
        ])
        .expose_headers([
            header::HeaderName::from_static(http::request_id::HEADER),
            header::RETRY_AFTER,
            header::HeaderName::from_static("idempotency-replayed"),
            header::HeaderName::from_static(http::rate_limit::RATELIMIT),
            header::HeaderName::from_static(http::rate_limit::RATELIMIT_POLICY),
        ])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The persisted-query store, with the operator's manifest if one is configured.
fn persisted_queries(settings: &Settings) -> anyhow::Result<crate::http::persisted::PersistedQueries> {
    let manifest = match &settings.persisted_queries_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("SPRINGBOARD_PERSISTED_QUERIES_FILE {}", path.display()))?,
        ),
        None if settings.persisted_queries_only => {
            anyhow::bail!("SPRINGBOARD_PERSISTED_QUERIES_ONLY needs SPRINGBOARD_PERSISTED_QUERIES_FILE")
        }
        None => None,
    };
    Ok(crate::http::persisted::PersistedQueries::new(manifest.as_deref(), settings.persisted_queries_only)?)
}
