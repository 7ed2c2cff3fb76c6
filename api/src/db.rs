//! The database handle that services receive.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait,
};

use crate::clock::Clock;

/// What a service uses to reach the database, and the clock its rules read. Today a pooled
/// connection; the indirection is here so that a request can later run all of its statements
/// in one transaction with the institution set for PostgreSQL row level security, by changing
/// how `Db` is built per request and nothing in the resolvers.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    clock: Clock,
}

impl Db {
    pub fn new(conn: DatabaseConnection, clock: Clock) -> Self {
        Self { conn, clock }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// For reads that need no transaction.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// For writes: every mutation and its audit event commit together or not at all.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.conn.begin().await
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }
}

/// Opens a pool for tools and tests: no request deadline applies.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with_deadline(url, max_connections, Duration::from_secs(10), None).await
}

/// Opens the pool requests use: waiting for a connection gives up at the request deadline, and
/// on PostgreSQL no statement runs longer than it (`statement_timeout`), so a request stopped
/// at its deadline leaves nothing running behind it. SQLite gets WAL so readers do not wait for
/// the writer, and a longer busy timeout because bulk writes from several requests queue on its
/// single writer.
pub async fn connect_with_deadline(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(acquire_timeout)
        // A ping before every statement doubled the round trips of a request; connections are
        // still checked when they have sat idle long enough to have gone stale.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|sqlite| {
            sqlite.foreign_keys(true).busy_timeout(Duration::from_secs(10)).pragma("journal_mode", "WAL")
        });
    if let Some(limit) = statement_timeout {
        let millis = limit.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |pg| pg.options([("statement_timeout", millis.as_str())]));
    }
    Database::connect(options).await
}

pub fn is_sqlite_url(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// Key of the PostgreSQL advisory lock that migrations hold: "sprgbd" in ASCII.
const MIGRATION_LOCK: i64 = 0x7370_7267_6264;

/// Applies every pending migration on `conn` (a pool of one connection, so the session-level
/// lock and the migrations share a session). On PostgreSQL, replicas starting together take
/// turns under an advisory lock: the first migrates, the others then find nothing pending.
/// SQLite's own file lock serialises writers already.
pub async fn migrate(conn: &DatabaseConnection) -> Result<(), DbErr> {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    let postgres = conn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await?;
    }
    let migrated = Migrator::up(conn, None).await;
    if postgres {
        conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await?;
    }
    migrated
}
