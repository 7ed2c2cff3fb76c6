use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;
use crate::m20261125_000002_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(ColumnDef::new(Memberships::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Memberships::UserId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(Memberships::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Memberships::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Memberships::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("memberships_user_id_fkey")
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("memberships_institution_id_fkey")
                            .from(Memberships::Table, Memberships::InstitutionId)
                            .to(Institutions::Table, Institutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_user_institution_key")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .col(Memberships::InstitutionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_institution_idx")
                    .table(Memberships::Table)
                    .col(Memberships::InstitutionId)
                    .col(Memberships::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Memberships::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Memberships {
    Table,
    Id,
    UserId,
    InstitutionId,
    Role,
    CreatedAt,
    UpdatedAt,
}
