//! Two-factor sign-in: each person's TOTP secret (sealed with the server's data key, never
//! stored in the clear), their single-use recovery codes (only SHA-256 kept), the short-lived
//! challenges a password sign-in hands out when a second step is due, and each institution's
//! choice to require a second factor of its members.

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
                    .table(TotpFactors::Table)
                    .col(ColumnDef::new(TotpFactors::UserId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TotpFactors::SealedSecret).string_len(200).not_null())
                    .col(ColumnDef::new(TotpFactors::ConfirmedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(TotpFactors::LastStep).big_integer().null())
                    .col(ColumnDef::new(TotpFactors::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("totp_factors_user_id_fkey")
                            .from(TotpFactors::Table, TotpFactors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(ColumnDef::new(RecoveryCodes::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RecoveryCodes::UserId).uuid().not_null())
                    .col(ColumnDef::new(RecoveryCodes::CodeHash).binary_len(32).not_null())
                    .col(ColumnDef::new(RecoveryCodes::UsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(RecoveryCodes::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("recovery_codes_user_id_fkey")
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("recovery_codes_user_idx")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInChallenges::Table)
                    .col(ColumnDef::new(SignInChallenges::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SignInChallenges::UserId).uuid().not_null())
                    .col(ColumnDef::new(SignInChallenges::InstitutionId).uuid().null())
                    .col(ColumnDef::new(SignInChallenges::SecretHash).binary_len(32).not_null())
                    .col(ColumnDef::new(SignInChallenges::Step).string_len(16).not_null())
                    .col(ColumnDef::new(SignInChallenges::FailedCodes).integer().not_null().default(0))
                    .col(ColumnDef::new(SignInChallenges::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SignInChallenges::UsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SignInChallenges::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("sign_in_challenges_user_id_fkey")
                            .from(SignInChallenges::Table, SignInChallenges::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sign_in_challenges_expiry_idx")
                    .table(SignInChallenges::Table)
                    .col(SignInChallenges::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Institutions::Table)
                    .add_column(
                        ColumnDef::new(Institutions::RequireTwoFactor).boolean().not_null().default(false),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Identity flows only: read and written on the system connections, as the sign-in
            // throttle is (see migration 22).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE totp_factors ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON totp_factors USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON recovery_codes USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     ALTER TABLE sign_in_challenges ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON sign_in_challenges USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system()));",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Institutions::Table)
                    .drop_column(Institutions::RequireTwoFactor)
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(SignInChallenges::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RecoveryCodes::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(TotpFactors::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum TotpFactors {
    Table,
    UserId,
    SealedSecret,
    ConfirmedAt,
    LastStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SignInChallenges {
    Table,
    Id,
    UserId,
    InstitutionId,
    SecretHash,
    Step,
    FailedCodes,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    RequireTwoFactor,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
