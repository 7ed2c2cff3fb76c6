//! Observations are listed by period within a measure (`observations(last: 24)` is the latest 24
//! periods), and read by measure for analyses and exports. The unique key (measure, site,
//! period) serves neither order; this index serves both without sorting a measure's history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "observations_measure_period_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Observations::Table)
                    .col(Observations::MeasureId)
                    .col(Observations::PeriodStart)
                    .col(Observations::SiteId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table(Observations::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Observations {
    Table,
    MeasureId,
    SiteId,
    PeriodStart,
}
