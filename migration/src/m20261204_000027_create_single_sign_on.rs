//! Single sign-on per institution (OpenID Connect): each institution's identity provider, with
//! its client secret sealed by the server's data key, and the sign-ins under way (the `state`,
//! only its SHA-256 kept, the `nonce` and the PKCE verifier), each usable once.

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
                    .table(SsoProviders::Table)
                    .col(ColumnDef::new(SsoProviders::InstitutionId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SsoProviders::Issuer).string_len(500).not_null())
                    .col(ColumnDef::new(SsoProviders::ClientId).string_len(300).not_null())
                    .col(ColumnDef::new(SsoProviders::SealedClientSecret).string_len(1200).not_null())
                    .col(ColumnDef::new(SsoProviders::AllowedDomains).string_len(2000).not_null())
                    .col(ColumnDef::new(SsoProviders::FirstTimeRole).string_len(32).not_null())
                    .col(ColumnDef::new(SsoProviders::RedirectUri).string_len(500).not_null())
                    .col(ColumnDef::new(SsoProviders::Required).boolean().not_null().default(false))
                    .col(ColumnDef::new(SsoProviders::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SsoProviders::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("sso_providers_institution_id_fkey")
                            .from(SsoProviders::Table, SsoProviders::InstitutionId)
                            .to(Institutions::Table, Institutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SsoAttempts::Table)
                    .col(ColumnDef::new(SsoAttempts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SsoAttempts::InstitutionId).uuid().not_null())
                    .col(ColumnDef::new(SsoAttempts::StateHash).binary_len(32).not_null().unique_key())
                    .col(ColumnDef::new(SsoAttempts::Nonce).string_len(64).not_null())
                    .col(ColumnDef::new(SsoAttempts::CodeVerifier).string_len(128).not_null())
                    .col(ColumnDef::new(SsoAttempts::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SsoAttempts::UsedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SsoAttempts::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("sso_attempts_institution_id_fkey")
                            .from(SsoAttempts::Table, SsoAttempts::InstitutionId)
                            .to(Institutions::Table, Institutions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sso_attempts_expiry_idx")
                    .table(SsoAttempts::Table)
                    .col(SsoAttempts::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Identity flows only, on the system connections: sign-in reads them before anyone is
            // known, and the settings service checks that its caller administers the institution.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE sso_providers ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON sso_providers USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system())); \
                     ALTER TABLE sso_attempts ENABLE ROW LEVEL SECURITY; \
                     CREATE POLICY system ON sso_attempts USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system()));",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SsoAttempts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SsoProviders::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SsoProviders {
    Table,
    InstitutionId,
    Issuer,
    ClientId,
    SealedClientSecret,
    AllowedDomains,
    FirstTimeRole,
    RedirectUri,
    Required,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoAttempts {
    Table,
    Id,
    InstitutionId,
    StateHash,
    Nonce,
    CodeVerifier,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Institutions {
    Table,
    Id,
}
