//! Typed configuration: environment variables, with command-line flags to override them.

use std::fmt;
use std::str::FromStr;

use clap::{Args, ValueEnum};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://springboard.db?mode=rwc";

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Where the database is. Shared by every subcommand.
#[derive(Args, Clone, Debug)]
pub struct DatabaseSettings {
    /// Database URL: `postgres://…` in production, `sqlite://FILE?mode=rwc` embedded.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most connections the pool opens. On two cores, 16 served the heaviest nested list about
    /// 30 % faster than 10 and 70 % faster than 4 (bench/loading.py); each costs a PostgreSQL
    /// backend (a few MiB there) and little here.
    #[arg(long, env = "SPRINGBOARD_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// PostgreSQL: the tables' owner, for migrations. With it set, `DATABASE_URL` names the
    /// runtime role the server connects as, which owns nothing, so that row level security
    /// binds every request; migrating grants that role what it needs. Unset: migrations run over
    /// `DATABASE_URL`, and the policies bind only if that role neither owns the tables nor is a
    /// superuser.
    #[arg(long, env = "SPRINGBOARD_MIGRATION_DATABASE_URL", hide_env_values = true)]
    pub migration_database_url: Option<String>,

    /// PostgreSQL with row level security: connections kept apart for authentication and the
    /// other identity flows, which must read across tenants. Authentication is one short
    /// statement per request, so a few serve many requests.
    #[arg(long, env = "SPRINGBOARD_DB_SYSTEM_CONNECTIONS", default_value_t = 4)]
    pub db_system_connections: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything `serve` needs.
#[derive(Args, Clone, Debug)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(flatten)]
    pub passwords: crate::identity::settings::PasswordSettings,

    #[command(flatten)]
    pub recovery: crate::identity::settings::RecoverySettings,

    #[command(flatten)]
    pub mail: crate::mail::MailSettings,

    #[command(flatten)]
    pub two_factor: crate::identity::settings::TwoFactorSettings,

    /// Proxies (load balancers) in front of the server that append to `X-Forwarded-For`: the
    /// client address is the one the outermost of them saw. 0 (the default) trusts no header
    /// and takes the connection's address.
    #[arg(long, env = "SPRINGBOARD_TRUSTED_PROXY_HOPS", default_value_t = 0)]
    pub trusted_proxy_hops: usize,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "SPRINGBOARD_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// JWT signing keys as comma-separated `kid:secret` pairs (each secret at least 32 bytes).
    /// The first signs new tokens; all verify, so a key can be rotated in without signing
    /// everyone out. Required with PostgreSQL; with SQLite one is generated into a file beside
    /// the database when unset.
    #[arg(long, env = "SPRINGBOARD_JWT_SECRETS", hide_env_values = true)]
    pub jwt_secrets: Option<Secret>,

    /// `iss` claim of access tokens.
    #[arg(long, env = "SPRINGBOARD_JWT_ISSUER", default_value = "springboard")]
    pub jwt_issuer: String,

    /// `aud` claim of access tokens.
    #[arg(long, env = "SPRINGBOARD_JWT_AUDIENCE", default_value = "springboard-api")]
    pub jwt_audience: String,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "SPRINGBOARD_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl_secs: i64,

    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "SPRINGBOARD_REFRESH_TOKEN_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: i64,

    /// Lifetime of an invitation, in seconds.
    #[arg(long, env = "SPRINGBOARD_INVITATION_TTL", default_value_t = 7 * 24 * 3600)]
    pub invitation_ttl_secs: i64,

    /// Seconds after its use during which a refresh token still gets the same successor
    /// instead of revoking its session: two browser tabs (or a retry after a lost response)
    /// that refresh together both succeed. A few seconds cover that race even on a slow mobile
    /// connection; a thief replaying within the window only gets what the owner got, and the
    /// next use after the window by either of them revokes the family. 0 turns it off.
    #[arg(long, env = "SPRINGBOARD_REFRESH_GRACE_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(0..=300))]
    pub refresh_grace_secs: i64,

    /// Failed sign-ins for one email before it is locked.
    #[arg(long, env = "SPRINGBOARD_LOCKOUT_THRESHOLD", default_value_t = 5)]
    pub lockout_threshold: i32,

    /// How long a lockout lasts, in seconds; failures older than this are forgotten.
    #[arg(long, env = "SPRINGBOARD_LOCKOUT_SECS", default_value_t = 900)]
    pub lockout_secs: i64,

    /// Deepest query nesting accepted.
    #[arg(long, env = "SPRINGBOARD_MAX_QUERY_DEPTH", default_value_t = 15)]
    pub max_query_depth: usize,

    /// Highest query complexity accepted; a list counts once per item of its page size. A page
    /// of 50 projects with the latest 24 observations of each measure costs about 5,100. Fields
    /// whose work grows with the data behind them cost more than 100 each (a measure's analysis
    /// 120, a project's improvement 150, a CSV export 200, a programme's evaluation 1,000), so
    /// a hundred aliases of one are refused.
    #[arg(long, env = "SPRINGBOARD_MAX_QUERY_COMPLEXITY", default_value_t = 10_000)]
    pub max_query_complexity: usize,

    /// Total cost (as the complexity limit counts it) executing at once; an operation costing
    /// more than 100 takes its cost from this budget. The default runs about four pages of 50
    /// projects with their latest observations at once, which keeps two cores busy without
    /// queueing for database connections.
    #[arg(long, env = "SPRINGBOARD_MAX_CONCURRENT_COST", default_value_t = 20_000)]
    pub max_concurrent_cost: usize,

    /// Cost points (as the complexity limit counts them) an API token, or a person within one
    /// institution, may spend at once: the size of its leaky bucket. The default holds ten
    /// operations at the complexity limit, so a full batch of the heaviest operations allowed
    /// still fits, and a script can pull about twenty pages of 50 projects with their latest
    /// observations before it has to pace itself. Must be at least the complexity limit.
    #[arg(long, env = "SPRINGBOARD_RATE_LIMIT_BURST", default_value_t = 100_000)]
    pub rate_limit_burst: u64,

    /// Cost points a second that refill each budget; 0 turns cost limits off. The default
    /// (7.2 million an hour) lets a script run cheap operations (cost under 50) forty times a
    /// second for ever, or a page of 50 projects with their observations (cost about 5,100)
    /// every two and a half seconds: generous for any script we know of, while no one token
    /// can keep two cores busy on its own.
    #[arg(long, env = "SPRINGBOARD_RATE_LIMIT_PER_SEC", default_value_t = 2_000)]
    pub rate_limit_per_sec: u64,

    /// Redis (`redis://[user:password@]host:6379/db`) for the state replicas must share: rate
    /// limit budgets and the access-token deny-list. Unset: both live in the process, which
    /// is right for a single replica. With it set, the server still starts and serves while
    /// Redis is down (budgets per replica, revocations checked in the database meanwhile).
    #[arg(long, env = "SPRINGBOARD_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,

    /// Prefix of every key written to Redis, so that several deployments can share one.
    #[arg(long, env = "SPRINGBOARD_REDIS_KEY_PREFIX", default_value = "springboard:")]
    pub redis_key_prefix: String,

    /// Operations that may wait (at most two seconds) for room to execute; beyond them the
    /// answer is an immediate 503 with `Retry-After`.
    #[arg(long, env = "SPRINGBOARD_ADMISSION_QUEUE", default_value_t = 32)]
    pub admission_queue: usize,

    /// How long a request may take, in milliseconds, waiting for a database connection and for
    /// room to execute included; past it the request is stopped and answered with 503
    /// `DEADLINE_EXCEEDED`. On PostgreSQL, no statement runs longer either.
    #[arg(long, env = "SPRINGBOARD_REQUEST_DEADLINE_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub request_deadline_ms: u64,

    /// On SIGTERM, how long requests in flight have to finish, in seconds, before the server
    /// exits anyway.
    #[arg(long, env = "SPRINGBOARD_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,

    /// On SIGTERM, how long to keep serving with `/readyz` answering 503 before refusing new
    /// connections, in seconds: long enough for a load balancer's health check to see it.
    #[arg(long, env = "SPRINGBOARD_SHUTDOWN_DRAIN_SECS", default_value_t = 0)]
    pub shutdown_drain_secs: u64,

    /// A persisted-query manifest (Apollo's `persisted-query-manifest.json`, or a JSON object of
    /// SHA-256 → document): those documents run by hash without being registered first.
    #[arg(long, env = "SPRINGBOARD_PERSISTED_QUERIES_FILE")]
    pub persisted_queries_file: Option<std::path::PathBuf>,

    /// Run only the manifest's documents (an allow-list for a production front end): any other
    /// document, or a registration, is refused with PERSISTED_QUERY_NOT_ALLOWED.
    #[arg(long, env = "SPRINGBOARD_PERSISTED_QUERIES_ONLY", default_value_t = false)]
    pub persisted_queries_only: bool,

    /// How often each replica looks for new publications for `resultPublished` subscribers, in
    /// milliseconds (only while someone subscribes): at most this late, from any replica.
    #[arg(long, env = "SPRINGBOARD_PUBLICATIONS_POLL_MS", default_value_t = 1_000)]
    pub publications_poll_ms: u64,

    /// Most WebSocket subscription connections one replica holds; more get 503.
    #[arg(long, env = "SPRINGBOARD_MAX_SUBSCRIBERS", default_value_t = 1_000)]
    pub max_subscribers: usize,

    /// Most operations in one batched request.
    #[arg(long, env = "SPRINGBOARD_MAX_BATCH_SIZE", default_value_t = 10)]
    pub max_batch_size: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SPRINGBOARD_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Origins allowed to call the API from a browser, comma-separated (e.g.
    /// `https://app.example.org`). Empty: no cross-origin access.
    #[arg(long, env = "SPRINGBOARD_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// HTTP worker threads; one per core by default.
    #[arg(long, env = "SPRINGBOARD_WORKERS")]
    pub workers: Option<usize>,

    /// Bearer token that `GET /metrics` on the public address requires (the metrics name every
    /// tenant's operations). Unset, and without `metrics_bind`, `/metrics` is off.
    #[arg(long, env = "SPRINGBOARD_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// A private address (e.g. an interface only the scraper reaches) serving `/metrics` alone,
    /// without a token; the public address then serves none.
    #[arg(long, env = "SPRINGBOARD_METRICS_BIND")]
    pub metrics_bind: Option<String>,

    /// Log format.
    #[arg(long, env = "SPRINGBOARD_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Settings {
    /// What `serve` would use with no flags (the environment still applies), on the given database.
    pub fn with_database(database_url: impl Into<String>) -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            settings: Settings,
        }
        let mut settings = <Defaults as clap::Parser>::parse_from(["springboard"]).settings;
        // Parsing above may have read the environment; pin what callers of this expect.
        settings.database.database_url = database_url.into();
        settings
    }
}
