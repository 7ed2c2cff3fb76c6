use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000002_create_users::Users;
use crate::m20261125_000010_create_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(ColumnDef::new(TeamMembers::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TeamMembers::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(TeamMembers::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(TeamMembers::UserId).uuid().null())
                    .col(ColumnDef::new(TeamMembers::ExternalName).string_len(200).null())
                    .col(ColumnDef::new(TeamMembers::Role).string_len(32).not_null())
                    .col(ColumnDef::new(TeamMembers::HoursPerWeek).double().not_null())
                    .col(ColumnDef::new(TeamMembers::StartsOn).date().null())
                    .col(ColumnDef::new(TeamMembers::EndsOn).date().null())
                    .col(ColumnDef::new(TeamMembers::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(TeamMembers::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("team_members_project_id_fkey")
                            .from(TeamMembers::Table, TeamMembers::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("team_members_institution_id_fkey")
                            .from(TeamMembers::Table, TeamMembers::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("team_members_user_id_fkey")
                            .from(TeamMembers::Table, TeamMembers::UserId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("team_members_project_idx")
                    .table(TeamMembers::Table)
                    .col(TeamMembers::ProjectId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TeamMembers::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Id,
    ProjectId,
    InstitutionId,
    UserId,
    ExternalName,
    Role,
    HoursPerWeek,
    StartsOn,
    EndsOn,
    CreatedAt,
    UpdatedAt,
}
