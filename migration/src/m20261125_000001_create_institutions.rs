use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Institutions::Table)
                    .col(ColumnDef::new(Institutions::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Institutions::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Institutions::Slug).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Institutions::Kind).string_len(32).not_null())
                    .col(ColumnDef::new(Institutions::Nation).string_len(32).not_null())
                    .col(ColumnDef::new(Institutions::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Institutions::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Institutions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Institutions {
    Table,
    Id,
    Name,
    Slug,
    Kind,
    Nation,
    CreatedAt,
    UpdatedAt,
}
