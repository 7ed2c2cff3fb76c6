//! A short code per measure, unique within its project (`ABX-1H`), so that one CSV file can carry
//! several measures' rows and name each by something a person can type.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Measures::Table)
                    .add_column(ColumnDef::new(Measures::Code).string_len(32).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("measures_project_code_key")
                    .table(Measures::Table)
                    .col(Measures::ProjectId)
                    .col(Measures::Code)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("measures_project_code_key").table(Measures::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Measures::Table).drop_column(Measures::Code).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Measures {
    Table,
    ProjectId,
    Code,
}
