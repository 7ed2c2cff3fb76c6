//! Corrections: an observation can be voided (taken out of charts and verdicts, kept in the
//! history, with the reason), and an audit event can carry what a write changed (each row's old
//! and new values), so that "who changed this month, from what" has an answer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Observations::Table)
                    .add_column(ColumnDef::new(Observations::VoidedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Observations::Table)
                    .add_column(ColumnDef::new(Observations::VoidReason).string_len(500).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(ColumnDef::new(AuditEvents::Details).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(AuditEvents::Table).drop_column(AuditEvents::Details).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Observations::Table).drop_column(Observations::VoidReason).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Observations::Table).drop_column(Observations::VoidedAt).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Observations {
    Table,
    VoidedAt,
    VoidReason,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Details,
}
