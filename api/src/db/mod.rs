//! The database handle that services receive.

mod conn;
pub mod wall;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait,
};

pub use conn::Conn;
pub use wall::Wall;

use crate::actor::Actor;
use crate::clock::Clock;

/// What a service uses to reach the database, and the clock its rules read. Outside a request
/// it is the pool; inside one (PostgreSQL with the wall enforced) it is that request's
/// transaction, scoped to its actor, so resolvers and services never choose.
#[derive(Clone, Debug)]
pub struct Db {
    conn: Conn,
    /// Connections for identity flows, which must read across tenants (see `wall`).
    system: DatabaseConnection,
    wall: Arc<Wall>,
    clock: Clock,
    /// Work that must wait for the request's transaction to commit (see `after_commit`).
    on_commit: Option<Arc<OnCommit>>,
}

type Deferred = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct OnCommit(std::sync::Mutex<Vec<Deferred>>);

impl OnCommit {
    fn push(&self, work: Deferred) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(work);
    }

    fn take(&self) -> Vec<Deferred> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl std::fmt::Debug for OnCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnCommit(..)")
    }
}

impl Db {
    /// One pool for everything: SQLite, tools, and PostgreSQL roles the policies do not bind.
    pub fn new(conn: DatabaseConnection, clock: Clock) -> Self {
        let wall = Wall::Absent("one pool for every purpose".into());
        Self { system: conn.clone(), conn: Conn::Pool(conn), wall: Arc::new(wall), clock, on_commit: None }
    }

    /// Requests on `conn`, identity flows on `system`; `wall` says whether the policies bind.
    pub fn walled(conn: DatabaseConnection, system: DatabaseConnection, wall: Wall, clock: Clock) -> Self {
        Self { conn: Conn::Pool(conn), system, wall: Arc::new(wall), clock, on_commit: None }
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

    pub fn wall(&self) -> &Wall {
        &self.wall
    }

    /// For reads: the request's transaction or the pool.
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    /// For writes: every mutation and its audit event commit together or not at all (within a
    /// request's transaction, as a savepoint).
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        match &self.conn {
            Conn::Pool(pool) => pool.begin().await,
            Conn::Request(tx) => tx.begin().await,
        }
    }

    pub fn backend(&self) -> DbBackend {
        sea_orm::ConnectionTrait::get_database_backend(&self.conn)
    }

    /// The request pool, outside a request (for its gauges).
    pub fn pool(&self) -> Option<&DatabaseConnection> {
        match &self.conn {
            Conn::Pool(pool) => Some(pool),
            Conn::Request(_) => None,
        }
    }

    /// For identity flows only: authentication, sign-in, refresh, invitations, idempotency.
    /// Their statements see across tenants, so nothing an actor asked for runs here.
    pub fn system(&self) -> Db {
        Self { conn: Conn::Pool(self.system.clone()), on_commit: None, ..self.clone() }
    }

    /// The database as `actor` may see it for one request: with the wall enforced, a
    /// transaction whose settings name the actor to the policies; otherwise this pool.
    /// `finish` commits it.
    pub async fn acting_for(&self, actor: &Actor) -> Result<Db, DbErr> {
        let Conn::Pool(pool) = &self.conn else { return Ok(self.clone()) };
        if !self.wall.enforced() {
            return Ok(self.clone());
        }
        let tx = pool.begin().await?;
        wall::enter(&tx, actor, self.today()).await?;
        Ok(Self { conn: Conn::Request(Arc::new(tx)), on_commit: Some(Arc::default()), ..self.clone() })
    }

    /// Commits the request's transaction, if there is one. Every other handle on it must have
    /// been dropped: one still held means a resolver outlived its request.
    pub async fn finish(self) -> Result<(), DbErr> {
        match self.conn {
            Conn::Pool(_) => Ok(()),
            Conn::Request(tx) => match Arc::try_unwrap(tx) {
                Ok(tx) => {
                    tx.commit().await?;
                    let deferred = self.on_commit.map(|list| list.take());
                    deferred.into_iter().flatten().for_each(|work| work());
                    Ok(())
                }
                Err(_) => Err(DbErr::Custom("the request's transaction is still in use".into())),
            },
        }
    }

    /// Runs `work` once what was written so far is committed: at once outside a request's
    /// transaction (whose writes commit as they go), after `finish` within one, and never if
    /// that transaction is rolled back. For effects outside the database, such as email.
    pub fn after_commit(&self, work: impl FnOnce() + Send + 'static) {
        match &self.on_commit {
            Some(list) => list.push(Box::new(work)),
            None => work(),
        }
    }

    /// Closes the pools, at shutdown.
    pub async fn close(&self) -> Result<(), DbErr> {
        if let Conn::Pool(pool) = &self.conn {
            pool.clone().close().await?;
        }
        self.system.clone().close().await
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
/// single writer. `system` opens connections for identity flows (see `wall`).
pub async fn connect_with_deadline(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    connect_pool(url, max_connections, acquire_timeout, statement_timeout, false).await
}

pub async fn connect_pool(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    system: bool,
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
    // One closure: sea-orm keeps only the last one given. JIT stays off: it compiles a plan once
    // its estimated cost passes `jit_above_cost`, which the row level policies' subplans push
    // the nested reads past, and compiling took about 70 ms of a statement that runs in 17.
    // Prepared statements keep one generic plan: with the policies' subplans, PostgreSQL's own
    // choice was a fresh plan at every execution (0.3 to 0.5 ms each for the one-project query's
    // two statements, more than running them), where the generic plan ran as fast. Every
    // statement here is a key lookup, a key list or a page by key, which one plan serves.
    let millis = statement_timeout.map(|limit| limit.as_millis().to_string());
    options.map_sqlx_postgres_opts(move |mut pg| {
        pg = pg.options([("jit", "off"), ("plan_cache_mode", "force_generic_plan")]);
        if let Some(millis) = &millis {
            pg = pg.options([("statement_timeout", millis.as_str())]);
        }
        if system {
            pg = pg.options([wall::SYSTEM_OPTION]);
        }
        pg
    });
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
