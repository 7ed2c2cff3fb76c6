//! Monitoring burden, anticipated before funding: how each measure's data is collected and how
//! many minutes it takes per site per period (both unknown for measures defined before), and
//! each programme's cap on the forecast as a share of the team's committed hours.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Measures::Table)
                    .add_column(ColumnDef::new(Measures::CollectionMethod).string_len(32).null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Measures::Table)
                    .add_column(ColumnDef::new(Measures::MinutesPerSitePerPeriod).double().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Programmes::Table)
                    .add_column(
                        ColumnDef::new(Programmes::MaxMonitoringShare).double().not_null().default(1.0 / 3.0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Programmes::Table)
                    .drop_column(Programmes::MaxMonitoringShare)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Measures::Table)
                    .drop_column(Measures::MinutesPerSitePerPeriod)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(Measures::Table).drop_column(Measures::CollectionMethod).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Measures {
    Table,
    CollectionMethod,
    MinutesPerSitePerPeriod,
}

#[derive(DeriveIden)]
enum Programmes {
    Table,
    MaxMonitoringShare,
}
