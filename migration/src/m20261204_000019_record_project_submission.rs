//! When a project was first submitted. A funder sees a project only from submission on, and a
//! bid withdrawn while still a draft never reaches it; the status alone cannot tell a project
//! withdrawn from DRAFT from one withdrawn after submitting.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .add_column(ColumnDef::new(Projects::SubmittedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        // Projects past submission were submitted when their status last changed at the latest;
        // a withdrawn one was submitted only if the audit trail says so.
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE projects SET submitted_at = status_changed_at \
             WHERE status IN ('SUBMITTED', 'FUNDED', 'ACTIVE', 'COMPLETED', 'DECLINED')",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE projects SET submitted_at = (SELECT MIN(a.occurred_at) FROM audit_events a \
             WHERE a.subject_id = projects.id AND a.action = 'project.submitted') \
             WHERE status = 'WITHDRAWN'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Projects::Table).drop_column(Projects::SubmittedAt).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Projects {
    Table,
    SubmittedAt,
}
