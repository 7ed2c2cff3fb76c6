//! Time given, as reported: hours a team member actually gave a project in a month, one row per
//! member and month (a later report replaces it), beside the hours committed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TimeReports::Table)
                    .col(ColumnDef::new(TimeReports::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TimeReports::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(TimeReports::TeamMemberId).uuid().not_null())
                    .col(ColumnDef::new(TimeReports::Month).date().not_null())
                    .col(ColumnDef::new(TimeReports::Hours).double().not_null())
                    .col(ColumnDef::new(TimeReports::ReportedByUserId).uuid().not_null())
                    .col(ColumnDef::new(TimeReports::ReportedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("time_reports_project_id_fkey")
                            .from(TimeReports::Table, TimeReports::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("time_reports_team_member_id_fkey")
                            .from(TimeReports::Table, TimeReports::TeamMemberId)
                            .to(TeamMembers::Table, TeamMembers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("time_reports_member_month_key")
                    .table(TimeReports::Table)
                    .col(TimeReports::TeamMemberId)
                    .col(TimeReports::Month)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("time_reports_project_idx")
                    .table(TimeReports::Table)
                    .col(TimeReports::ProjectId)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Read with the project; written only as oneself, within a project one can see (a
            // correction may replace a row someone else reported; the service decides who may
            // report for whom).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE time_reports ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON time_reports USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     CREATE POLICY read ON time_reports FOR SELECT USING (project_id IN (SELECT id FROM projects)); \
                     CREATE POLICY report ON time_reports FOR ALL \
                       USING (project_id IN (SELECT id FROM projects)) \
                       WITH CHECK (project_id IN (SELECT id FROM projects) AND reported_by_user_id = (SELECT sb_user()));",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TimeReports::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum TimeReports {
    Table,
    Id,
    ProjectId,
    TeamMemberId,
    Month,
    Hours,
    ReportedByUserId,
    ReportedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Id,
}
