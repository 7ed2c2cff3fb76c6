//! Each institution's time zone (an IANA name), so that "has this period ended?" and "is this
//! period in the future?" are asked in the zone where the data is collected rather than in UTC.
//! Existing institutions get the default, the United Kingdom's zone.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Institutions::Table)
                    .add_column(
                        ColumnDef::new(Institutions::TimeZone)
                            .string_len(64)
                            .not_null()
                            .default("Europe/London"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Institutions::Table).drop_column(Institutions::TimeZone).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    TimeZone,
}
