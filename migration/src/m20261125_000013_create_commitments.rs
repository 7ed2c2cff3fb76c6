use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000009_create_programmes::Programmes;
use crate::m20261125_000010_create_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Commitments::Table)
                    .col(ColumnDef::new(Commitments::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Commitments::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(Commitments::ProjectId).uuid().null())
                    .col(ColumnDef::new(Commitments::ProgrammeId).uuid().null())
                    .col(ColumnDef::new(Commitments::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Commitments::Description).text().not_null())
                    .col(ColumnDef::new(Commitments::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Commitments::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Commitments::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("commitments_institution_id_fkey")
                            .from(Commitments::Table, Commitments::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("commitments_project_id_fkey")
                            .from(Commitments::Table, Commitments::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("commitments_programme_id_fkey")
                            .from(Commitments::Table, Commitments::ProgrammeId)
                            .to(Programmes::Table, Programmes::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("commitments_institution_idx", Commitments::InstitutionId),
            ("commitments_project_idx", Commitments::ProjectId),
            ("commitments_programme_idx", Commitments::ProgrammeId),
        ] {
            manager
                .create_index(Index::create().name(name).table(Commitments::Table).col(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Commitments::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Commitments {
    Table,
    Id,
    InstitutionId,
    ProjectId,
    ProgrammeId,
    Kind,
    Description,
    Status,
    CreatedAt,
    UpdatedAt,
}
