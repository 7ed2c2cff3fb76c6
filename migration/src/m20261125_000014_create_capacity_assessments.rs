use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000010_create_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use CapacityAssessments as A;
        let score = |col: A| ColumnDef::new(col).integer().null().to_owned();
        let evidence = |col: A| ColumnDef::new(col).text().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::AssessedInstitutionId).uuid().not_null())
                    .col(ColumnDef::new(A::AssessorInstitutionId).uuid().not_null())
                    .col(ColumnDef::new(A::ProjectId).uuid().null())
                    .col(ColumnDef::new(A::AssessedOn).date().not_null())
                    .col(ColumnDef::new(A::Status).string_len(16).not_null())
                    .col(score(A::ProjectManagementScore))
                    .col(evidence(A::ProjectManagementEvidence))
                    .col(score(A::LeadershipScore))
                    .col(evidence(A::LeadershipEvidence))
                    .col(score(A::MonitoringAndEvaluationScore))
                    .col(evidence(A::MonitoringAndEvaluationEvidence))
                    .col(score(A::DataInfrastructureScore))
                    .col(evidence(A::DataInfrastructureEvidence))
                    .col(score(A::StaffTimeScore))
                    .col(evidence(A::StaffTimeEvidence))
                    .col(ColumnDef::new(A::CreatedBy).uuid().null())
                    .col(ColumnDef::new(A::SubmittedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(A::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(A::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("capacity_assessments_assessed_fkey")
                            .from(A::Table, A::AssessedInstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("capacity_assessments_assessor_fkey")
                            .from(A::Table, A::AssessorInstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("capacity_assessments_project_id_fkey")
                            .from(A::Table, A::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("capacity_assessments_project_idx", A::ProjectId),
            ("capacity_assessments_assessed_idx", A::AssessedInstitutionId),
        ] {
            manager.create_index(Index::create().name(name).table(A::Table).col(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CapacityAssessments::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CapacityAssessments {
    Table,
    Id,
    AssessedInstitutionId,
    AssessorInstitutionId,
    ProjectId,
    AssessedOn,
    Status,
    ProjectManagementScore,
    ProjectManagementEvidence,
    LeadershipScore,
    LeadershipEvidence,
    MonitoringAndEvaluationScore,
    MonitoringAndEvaluationEvidence,
    DataInfrastructureScore,
    DataInfrastructureEvidence,
    StaffTimeScore,
    StaffTimeEvidence,
    CreatedBy,
    SubmittedAt,
    CreatedAt,
    UpdatedAt,
}
