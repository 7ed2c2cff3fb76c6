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
                    .table(Invitations::Table)
                    .col(ColumnDef::new(Invitations::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Invitations::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(Invitations::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Invitations::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Invitations::TokenHash).binary_len(32).not_null())
                    .col(ColumnDef::new(Invitations::InvitedBy).uuid().null())
                    .col(ColumnDef::new(Invitations::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Invitations::AcceptedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Invitations::AcceptedBy).uuid().null())
                    .col(ColumnDef::new(Invitations::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Invitations::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("invitations_institution_id_fkey")
                            .from(Invitations::Table, Invitations::InstitutionId)
                            .to(Institutions::Table, Institutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("invitations_institution_idx")
                    .table(Invitations::Table)
                    .col(Invitations::InstitutionId)
                    .col(Invitations::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Invitations::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    InstitutionId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    ExpiresAt,
    AcceptedAt,
    AcceptedBy,
    RevokedAt,
    CreatedAt,
}
