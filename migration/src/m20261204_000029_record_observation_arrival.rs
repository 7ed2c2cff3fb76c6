//! How each observation first arrived (an integration token, a person's CSV upload, a person's
//! entry of several rows or of one) and when, kept through later corrections, so that data
//! completeness, timeliness and integration can be measured from what arrives. Rows recorded
//! before this was kept: first arrival = last recording, and those sent with a token count as
//! integrated, the rest as a person's entry of several rows (the kind cannot be told apart now).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Observations::Table)
                    .add_column(
                        ColumnDef::new(Observations::FirstRecordedAt).timestamp_with_time_zone().null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Observations::Table)
                    .add_column(
                        ColumnDef::new(Observations::Arrival).string_len(24).not_null().default("BULK_ENTRY"),
                    )
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared("UPDATE observations SET first_recorded_at = recorded_at").await?;
        conn.execute_unprepared(
            "UPDATE observations SET arrival = 'INTEGRATION_TOKEN' WHERE recorded_by_token_id IS NOT NULL",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Observations::Table).drop_column(Observations::Arrival).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Observations::Table)
                    .drop_column(Observations::FirstRecordedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Observations {
    Table,
    FirstRecordedAt,
    Arrival,
}
