use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000010_create_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProjectSites::Table)
                    .col(ColumnDef::new(ProjectSites::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ProjectSites::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(ProjectSites::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(ProjectSites::SiteLeadUserId).uuid().null())
                    .col(ColumnDef::new(ProjectSites::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ProjectSites::RespondedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ProjectSites::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("project_sites_project_id_fkey")
                            .from(ProjectSites::Table, ProjectSites::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("project_sites_institution_id_fkey")
                            .from(ProjectSites::Table, ProjectSites::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("project_sites_project_institution_key")
                    .table(ProjectSites::Table)
                    .col(ProjectSites::ProjectId)
                    .col(ProjectSites::InstitutionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("project_sites_institution_idx")
                    .table(ProjectSites::Table)
                    .col(ProjectSites::InstitutionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ProjectSites::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ProjectSites {
    Table,
    Id,
    ProjectId,
    InstitutionId,
    SiteLeadUserId,
    Status,
    RespondedAt,
    CreatedAt,
}
