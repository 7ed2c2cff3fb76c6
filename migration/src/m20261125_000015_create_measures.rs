use sea_orm_migration::prelude::*;

use crate::m20261125_000010_create_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Measures::Table)
                    .col(ColumnDef::new(Measures::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Measures::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(Measures::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Measures::OperationalDefinition).text().not_null())
                    .col(ColumnDef::new(Measures::Kind).string_len(16).not_null())
                    .col(ColumnDef::new(Measures::Unit).string_len(16).not_null())
                    .col(ColumnDef::new(Measures::Direction).string_len(24).not_null())
                    .col(ColumnDef::new(Measures::Frequency).string_len(16).not_null())
                    .col(ColumnDef::new(Measures::Baseline).double().null())
                    .col(ColumnDef::new(Measures::Target).double().null())
                    .col(ColumnDef::new(Measures::BaselineUntil).date().null())
                    .col(ColumnDef::new(Measures::RebasePeriods).string_len(2000).not_null().default("[]"))
                    .col(ColumnDef::new(Measures::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Measures::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("measures_project_id_fkey")
                            .from(Measures::Table, Measures::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("measures_project_idx")
                    .table(Measures::Table)
                    .col(Measures::ProjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Measures::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Measures {
    Table,
    Id,
    ProjectId,
    Name,
    OperationalDefinition,
    Kind,
    Unit,
    Direction,
    Frequency,
    Baseline,
    Target,
    BaselineUntil,
    RebasePeriods,
    CreatedAt,
    UpdatedAt,
}
