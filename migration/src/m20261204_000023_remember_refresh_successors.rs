//! Which token replaced a used refresh token, so that a second use within the grace window
//! (two browser tabs refreshing together) gets the same successor instead of revoking the
//! family; and an index to find a user's sessions, to end them all (password change, removed
//! membership) without reading the whole table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(ColumnDef::new(RefreshTokens::SuccessorId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("refresh_tokens_user_idx")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("refresh_tokens_user_idx").table(RefreshTokens::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(RefreshTokens::Table).drop_column(RefreshTokens::SuccessorId).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    UserId,
    SuccessorId,
}
