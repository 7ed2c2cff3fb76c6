use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000010_create_projects::Projects;
use crate::m20261125_000015_create_measures::Measures;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Shared results, their linked measures with frozen snapshots, their explicit shares, and the
/// engagement records the programme evaluation counts.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SharedResults as R;
        manager
            .create_table(
                Table::create()
                    .table(R::Table)
                    .col(ColumnDef::new(R::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(R::ResultId).uuid().not_null())
                    .col(ColumnDef::new(R::Version).integer().not_null())
                    .col(ColumnDef::new(R::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(R::Title).string_len(300).not_null())
                    .col(ColumnDef::new(R::Summary).text().not_null())
                    .col(ColumnDef::new(R::Body).text().not_null())
                    .col(ColumnDef::new(R::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(R::BarrierTags).string_len(500).not_null())
                    .col(ColumnDef::new(R::Visibility).string_len(16).not_null())
                    .col(ColumnDef::new(R::Status).string_len(16).not_null())
                    .col(ColumnDef::new(R::PublishedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(R::PublicationKey).string_len(64).not_null())
                    .col(ColumnDef::new(R::WithdrawnAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(R::CreatedBy).uuid().null())
                    .col(ColumnDef::new(R::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(R::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_results_project_id_fkey")
                            .from(R::Table, R::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_results_result_version_key")
                    .table(R::Table)
                    .col(R::ResultId)
                    .col(R::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_results_project_idx")
                    .table(R::Table)
                    .col(R::ProjectId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_results_publication_idx")
                    .table(R::Table)
                    .col(R::PublicationKey)
                    .to_owned(),
            )
            .await?;

        use SharedResultMeasures as M;
        manager
            .create_table(
                Table::create()
                    .table(M::Table)
                    .col(ColumnDef::new(M::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(M::ResultVersionId).uuid().not_null())
                    .col(ColumnDef::new(M::MeasureId).uuid().not_null())
                    .col(ColumnDef::new(M::Snapshot).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_result_measures_result_fkey")
                            .from(M::Table, M::ResultVersionId)
                            .to(R::Table, R::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_result_measures_measure_fkey")
                            .from(M::Table, M::MeasureId)
                            .to(Measures::Table, Measures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_result_measures_result_idx")
                    .table(M::Table)
                    .col(M::ResultVersionId)
                    .to_owned(),
            )
            .await?;

        use SharedResultShares as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(S::ResultVersionId).uuid().not_null())
                    .col(ColumnDef::new(S::InstitutionId).uuid().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_result_shares_result_fkey")
                            .from(S::Table, S::ResultVersionId)
                            .to(R::Table, R::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_result_shares_institution_fkey")
                            .from(S::Table, S::InstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_result_shares_key")
                    .table(S::Table)
                    .col(S::ResultVersionId)
                    .col(S::InstitutionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_result_shares_institution_idx")
                    .table(S::Table)
                    .col(S::InstitutionId)
                    .to_owned(),
            )
            .await?;

        use EngagementRecords as E;
        manager
            .create_table(
                Table::create()
                    .table(E::Table)
                    .col(ColumnDef::new(E::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(E::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(E::PeriodStart).date().not_null())
                    .col(ColumnDef::new(E::Clinicians).integer().not_null())
                    .col(ColumnDef::new(E::ServiceUsers).integer().not_null())
                    .col(ColumnDef::new(E::Others).integer().not_null())
                    .col(ColumnDef::new(E::RecordedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("engagement_records_project_fkey")
                            .from(E::Table, E::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("engagement_records_project_period_key")
                    .table(E::Table)
                    .col(E::ProjectId)
                    .col(E::PeriodStart)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EngagementRecords::Table.into_iden(),
            SharedResultShares::Table.into_iden(),
            SharedResultMeasures::Table.into_iden(),
            SharedResults::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum SharedResults {
    Table,
    Id,
    ResultId,
    Version,
    ProjectId,
    Title,
    Summary,
    Body,
    Outcome,
    BarrierTags,
    Visibility,
    Status,
    PublishedAt,
    PublicationKey,
    WithdrawnAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SharedResultMeasures {
    Table,
    Id,
    ResultVersionId,
    MeasureId,
    Snapshot,
}

#[derive(DeriveIden, Clone, Copy)]
enum SharedResultShares {
    Table,
    Id,
    ResultVersionId,
    InstitutionId,
}

#[derive(DeriveIden, Clone, Copy)]
enum EngagementRecords {
    Table,
    Id,
    ProjectId,
    PeriodStart,
    Clinicians,
    ServiceUsers,
    Others,
    RecordedAt,
}
