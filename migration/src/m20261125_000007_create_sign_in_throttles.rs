use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInThrottles::Table)
                    .col(ColumnDef::new(SignInThrottles::Email).string_len(254).not_null().primary_key())
                    .col(ColumnDef::new(SignInThrottles::Failures).integer().not_null().default(0))
                    .col(ColumnDef::new(SignInThrottles::LockedUntil).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SignInThrottles::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SignInThrottles::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SignInThrottles {
    Table,
    Email,
    Failures,
    LockedUntil,
    UpdatedAt,
}
