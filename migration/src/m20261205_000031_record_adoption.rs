//! Spread: a project started from a published shared result records the result version it
//! adopted, and each measure copied from that result records the measure it was copied from, so
//! that a programme can ask whether an adopted result improved again.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "projects_adopted_from_result_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Projects::Table)
                    .add_column(ColumnDef::new(Projects::AdoptedFromResultId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Measures::Table)
                    .add_column(ColumnDef::new(Measures::AdoptedFromMeasureId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Projects::Table)
                    .col(Projects::AdoptedFromResultId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(Projects::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table(Measures::Table).drop_column(Measures::AdoptedFromMeasureId).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Projects::Table).drop_column(Projects::AdoptedFromResultId).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    AdoptedFromResultId,
}

#[derive(DeriveIden)]
enum Measures {
    Table,
    AdoptedFromMeasureId,
}
