//! Published results that stand on their own: each linked measure's series (all sites pooled, and
//! each site's) frozen at publication with its points, limits and signals, so that a reader who
//! cannot see the project can still draw every chart. And a version history: a version replaced
//! by a later one stays readable to those its publication reached.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Superseded versions are read as published ones were; withdrawn ones stay the lead's.
const VISIBLE_RESULTS_WITH_HISTORY: &str = "
CREATE OR REPLACE FUNCTION sb_visible_results() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT r.id FROM shared_results r
   WHERE sb_institution() IS NOT NULL
     AND (r.project_id IN (SELECT sb_led_projects())
          OR (r.status IN ('PUBLISHED', 'SUPERSEDED')
              AND (r.visibility = 'PLATFORM'
                   OR r.project_id IN (SELECT sb_visible_projects())
                   OR (r.visibility = 'PROGRAMME' AND r.programme_id IN (SELECT sb_programmes_taken_part()))
                   OR r.id IN (SELECT result_version_id FROM shared_result_shares
                                WHERE institution_id = sb_institution()))));
END $$;";

const VISIBLE_RESULTS_PUBLISHED_ONLY: &str = "
CREATE OR REPLACE FUNCTION sb_visible_results() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT r.id FROM shared_results r
   WHERE sb_institution() IS NOT NULL
     AND (r.project_id IN (SELECT sb_led_projects())
          OR (r.status = 'PUBLISHED'
              AND (r.visibility = 'PLATFORM'
                   OR r.project_id IN (SELECT sb_visible_projects())
                   OR (r.visibility = 'PROGRAMME' AND r.programme_id IN (SELECT sb_programmes_taken_part()))
                   OR r.id IN (SELECT result_version_id FROM shared_result_shares
                                WHERE institution_id = sb_institution()))));
END $$;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SharedResultSeries::Table)
                    .col(ColumnDef::new(SharedResultSeries::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SharedResultSeries::LinkId).uuid().not_null())
                    .col(ColumnDef::new(SharedResultSeries::Position).integer().not_null())
                    .col(ColumnDef::new(SharedResultSeries::SiteId).uuid().null())
                    .col(ColumnDef::new(SharedResultSeries::InstitutionId).uuid().null())
                    .col(ColumnDef::new(SharedResultSeries::Analysis).text().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("shared_result_series_link_id_fkey")
                            .from(SharedResultSeries::Table, SharedResultSeries::LinkId)
                            .to(SharedResultMeasures::Table, SharedResultMeasures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("shared_result_series_link_position_key")
                    .table(SharedResultSeries::Table)
                    .col(SharedResultSeries::LinkId)
                    .col(SharedResultSeries::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Read with the link (itself read with the version); written by the lead's writers.
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "ALTER TABLE shared_result_series ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON shared_result_series USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     CREATE POLICY read ON shared_result_series FOR SELECT \
                       USING (link_id IN (SELECT id FROM shared_result_measures)); \
                     CREATE POLICY manage ON shared_result_series FOR ALL \
                       USING (link_id IN (SELECT id FROM shared_result_measures \
                                           WHERE result_version_id IN (SELECT sb_led_results())) \
                              AND (SELECT sb_writer())) \
                       WITH CHECK (link_id IN (SELECT id FROM shared_result_measures \
                                                WHERE result_version_id IN (SELECT sb_led_results())) \
                                   AND (SELECT sb_writer())); \
                     {VISIBLE_RESULTS_WITH_HISTORY}"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(VISIBLE_RESULTS_PUBLISHED_ONLY).await?;
        }
        manager.drop_table(Table::drop().table(SharedResultSeries::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SharedResultSeries {
    Table,
    Id,
    LinkId,
    Position,
    SiteId,
    InstitutionId,
    Analysis,
}

#[derive(DeriveIden)]
enum SharedResultMeasures {
    Table,
    Id,
}
