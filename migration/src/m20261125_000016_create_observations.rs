use sea_orm_migration::prelude::*;

use crate::m20261125_000015_create_measures::Measures;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The unique (measure, site, period) index is what makes re-sending a period an update: the
/// bulk upsert names it in ON CONFLICT. No foreign key to sites: a site's removal must not
/// silently delete monitoring data (sites are fixed once a project is funded anyway).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Observations::Table)
                    .col(ColumnDef::new(Observations::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Observations::MeasureId).uuid().not_null())
                    .col(ColumnDef::new(Observations::SiteId).uuid().not_null())
                    .col(ColumnDef::new(Observations::PeriodStart).date().not_null())
                    .col(ColumnDef::new(Observations::Value).double().null())
                    .col(ColumnDef::new(Observations::Numerator).double().null())
                    .col(ColumnDef::new(Observations::Denominator).double().null())
                    .col(ColumnDef::new(Observations::Note).string_len(2000).null())
                    .col(ColumnDef::new(Observations::RecordedByUserId).uuid().null())
                    .col(ColumnDef::new(Observations::RecordedByTokenId).uuid().null())
                    .col(ColumnDef::new(Observations::RecordedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("observations_measure_id_fkey")
                            .from(Observations::Table, Observations::MeasureId)
                            .to(Measures::Table, Measures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("observations_measure_site_period_key")
                    .table(Observations::Table)
                    .col(Observations::MeasureId)
                    .col(Observations::SiteId)
                    .col(Observations::PeriodStart)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Observations::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Observations {
    Table,
    Id,
    MeasureId,
    SiteId,
    PeriodStart,
    Value,
    Numerator,
    Denominator,
    Note,
    RecordedByUserId,
    RecordedByTokenId,
    RecordedAt,
}
