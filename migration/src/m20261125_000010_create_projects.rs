use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000009_create_programmes::Programmes;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(ColumnDef::new(Projects::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Projects::ProgrammeId).uuid().null())
                    .col(ColumnDef::new(Projects::LeadInstitutionId).uuid().not_null())
                    .col(ColumnDef::new(Projects::Title).string_len(300).not_null())
                    .col(ColumnDef::new(Projects::AimStatement).text().not_null())
                    .col(ColumnDef::new(Projects::ClinicalArea).string_len(200).not_null())
                    .col(ColumnDef::new(Projects::StartsOn).date().null())
                    .col(ColumnDef::new(Projects::EndsOn).date().null())
                    .col(ColumnDef::new(Projects::BudgetRequested).big_integer().null())
                    .col(ColumnDef::new(Projects::BudgetAwarded).big_integer().null())
                    .col(ColumnDef::new(Projects::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Projects::StatusChangedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Projects::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Projects::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("projects_programme_id_fkey")
                            .from(Projects::Table, Projects::ProgrammeId)
                            .to(Programmes::Table, Programmes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("projects_lead_institution_id_fkey")
                            .from(Projects::Table, Projects::LeadInstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("projects_lead_idx", Projects::LeadInstitutionId),
            ("projects_programme_idx", Projects::ProgrammeId),
            ("projects_status_idx", Projects::Status),
        ] {
            manager
                .create_index(Index::create().name(name).table(Projects::Table).col(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Projects::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Projects {
    Table,
    Id,
    ProgrammeId,
    LeadInstitutionId,
    Title,
    AimStatement,
    ClinicalArea,
    StartsOn,
    EndsOn,
    BudgetRequested,
    BudgetAwarded,
    Status,
    StatusChangedAt,
    CreatedAt,
    UpdatedAt,
}
