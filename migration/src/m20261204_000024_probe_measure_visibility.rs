//! Measures are read a project or a few at a time, so their read policy asks, for each row
//! read, whether its project is visible (an index probe on `projects`, whose own policy then
//! applies) instead of building the set of every project the actor sees. For a funder that set
//! was 500 projects scanned per statement: 0.32 ms of the one-project query's 0.5 ms in
//! PostgreSQL, 0.13 ms with the probe (bench/rls.py with pg_stat_statements). `OFFSET 0` keeps
//! the planner from turning the probe back into that set (it converts a plain `EXISTS` into a
//! hashed `IN`). Observations keep the set: a statement reads thousands of them, where one
//! probe per row measured dearer than one set per statement.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DROP POLICY read ON measures; \
                 CREATE POLICY read ON measures FOR SELECT \
                   USING (EXISTS (SELECT 1 FROM projects p WHERE p.id = measures.project_id OFFSET 0));",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "DROP POLICY read ON measures; \
                 CREATE POLICY read ON measures FOR SELECT USING (project_id IN (SELECT id FROM projects));",
            )
            .await
            .map(|_| ())
    }
}
