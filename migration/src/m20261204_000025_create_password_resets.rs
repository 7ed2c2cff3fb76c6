//! Password resets: single-use tokens (only their SHA-256 stored) with an expiry, and counters
//! of attempts per fixed window, shared by every replica, that bound how often a reset can be
//! asked for per email and per client address.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(ColumnDef::new(PasswordResets::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(PasswordResets::UserId).uuid().not_null())
                    .col(ColumnDef::new(PasswordResets::SecretHash).binary_len(32).not_null())
                    .col(ColumnDef::new(PasswordResets::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(PasswordResets::UsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(PasswordResets::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("password_resets_user_id_fkey")
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("password_resets_user_idx")
                    .table(PasswordResets::Table)
                    .col(PasswordResets::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AttemptWindows::Table)
                    .col(ColumnDef::new(AttemptWindows::Key).string_len(300).not_null().primary_key())
                    .col(ColumnDef::new(AttemptWindows::Attempts).integer().not_null())
                    .col(ColumnDef::new(AttemptWindows::EndsAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Identity flows only: read and written on the system connections, as the sign-in
            // throttle is (see migration 22).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON password_resets USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     ALTER TABLE attempt_windows ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON attempt_windows USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system()));",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AttemptWindows::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(PasswordResets::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    SecretHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AttemptWindows {
    Table,
    Key,
    Attempts,
    EndsAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
