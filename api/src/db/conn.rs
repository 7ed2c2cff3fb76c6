//! Where a service's statements go: the pool, or the one transaction a request runs in.

use std::sync::Arc;

use sea_orm::entity::prelude::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult,
    Statement,
};

/// Services take `db.conn()` wherever sea-orm wants a connection; whether that is the pool or a
/// request's transaction (PostgreSQL with row level security) is decided once per request, in
/// `Db::acting_for`, and never by a service.
#[derive(Clone, Debug)]
pub enum Conn {
    Pool(DatabaseConnection),
    /// Shared by every resolver of one request; statements on it run one at a time.
    Request(Arc<DatabaseTransaction>),
}

#[async_trait::async_trait]
impl ConnectionTrait for Conn {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Conn::Pool(pool) => pool.get_database_backend(),
            Conn::Request(tx) => tx.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Conn::Pool(pool) => pool.execute_raw(stmt).await,
            Conn::Request(tx) => tx.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Conn::Pool(pool) => pool.execute_unprepared(sql).await,
            Conn::Request(tx) => tx.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Conn::Pool(pool) => pool.query_one_raw(stmt).await,
            Conn::Request(tx) => tx.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Conn::Pool(pool) => pool.query_all_raw(stmt).await,
            Conn::Request(tx) => tx.query_all_raw(stmt).await,
        }
    }
}
