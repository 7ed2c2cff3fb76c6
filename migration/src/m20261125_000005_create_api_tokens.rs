use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(ColumnDef::new(ApiTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ApiTokens::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(ApiTokens::Name).string_len(200).not_null())
                    .col(ColumnDef::new(ApiTokens::Scope).string_len(16).not_null())
                    .col(ColumnDef::new(ApiTokens::SecretHash).binary_len(32).not_null())
                    .col(ColumnDef::new(ApiTokens::CreatedBy).uuid().null())
                    .col(ColumnDef::new(ApiTokens::ExpiresAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ApiTokens::LastUsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ApiTokens::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ApiTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("api_tokens_institution_id_fkey")
                            .from(ApiTokens::Table, ApiTokens::InstitutionId)
                            .to(Institutions::Table, Institutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_tokens_institution_idx")
                    .table(ApiTokens::Table)
                    .col(ApiTokens::InstitutionId)
                    .col(ApiTokens::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiTokens::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    InstitutionId,
    Name,
    Scope,
    SecretHash,
    CreatedBy,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}
