//! The capacity assessment the funding gate counted for each accepted site when its project was
//! funded, so that a programme can test its capacity rule against who improved. Submitted
//! assessments never change, so a row names the evidence exactly. Projects funded before this
//! was kept get the assessment the gate would have counted then: the newest submitted by an
//! assessor the programme counts, for the project or general, submitted before the funding
//! decision's audit event.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Records the evidence of funded projects that have none; also run by a test against projects
/// funded through the API, to show that it finds what the gate recorded. Row IDs are the site's:
/// one row per site, and the insert stays plain SQL on both databases.
pub const BACKFILL: &str = "INSERT INTO funding_evidence (id, project_id, site_id, assessment_id)
SELECT s.id, s.project_id, s.id, (
    SELECT a.id FROM capacity_assessments a, programmes g
    WHERE g.id = p.programme_id
      AND a.assessed_institution_id = s.institution_id
      AND a.status = 'SUBMITTED'
      AND (a.assessor_institution_id = g.funder_institution_id
           OR (g.lead_may_assess AND a.assessor_institution_id = p.lead_institution_id))
      AND (a.project_id IS NULL OR a.project_id = p.id)
      AND a.submitted_at <= (
          SELECT MIN(e.occurred_at) FROM audit_events e
          WHERE e.subject_id = p.id AND e.action = 'project.fund')
    ORDER BY a.assessed_on DESC, a.id DESC
    LIMIT 1)
FROM project_sites s JOIN projects p ON p.id = s.project_id
WHERE s.status = 'ACCEPTED'
  AND p.status IN ('FUNDED', 'ACTIVE', 'COMPLETED')
  AND NOT EXISTS (SELECT 1 FROM funding_evidence f WHERE f.site_id = s.id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FundingEvidence::Table)
                    .col(ColumnDef::new(FundingEvidence::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(FundingEvidence::ProjectId).uuid().not_null())
                    .col(ColumnDef::new(FundingEvidence::SiteId).uuid().not_null())
                    // Null when no submitted assessment can be found for a project funded before
                    // the gate recorded its evidence.
                    .col(ColumnDef::new(FundingEvidence::AssessmentId).uuid().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("funding_evidence_project_id_fkey")
                            .from(FundingEvidence::Table, FundingEvidence::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("funding_evidence_site_id_fkey")
                            .from(FundingEvidence::Table, FundingEvidence::SiteId)
                            .to(ProjectSites::Table, ProjectSites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funding_evidence_site_key")
                    .table(FundingEvidence::Table)
                    .col(FundingEvidence::SiteId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("funding_evidence_project_idx")
                    .table(FundingEvidence::Table)
                    .col(FundingEvidence::ProjectId)
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            // Read with the project; written once, by the funder that funds it.
            conn.execute_unprepared(
                "ALTER TABLE funding_evidence ENABLE ROW LEVEL SECURITY; \
                 CREATE POLICY system ON funding_evidence USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                 CREATE POLICY read ON funding_evidence FOR SELECT USING (project_id IN (SELECT id FROM projects)); \
                 CREATE POLICY record ON funding_evidence FOR INSERT WITH CHECK ((SELECT sb_writer()) AND project_id IN \
                   (SELECT id FROM projects WHERE programme_id IN (SELECT sb_funded_programmes())));",
            )
            .await?;
        }
        conn.execute_unprepared(BACKFILL).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(FundingEvidence::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum FundingEvidence {
    Table,
    Id,
    ProjectId,
    SiteId,
    AssessmentId,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProjectSites {
    Table,
    Id,
}
