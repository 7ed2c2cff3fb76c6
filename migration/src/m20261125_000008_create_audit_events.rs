use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// No foreign keys: the audit trail outlives whatever it mentions.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditEvents::InstitutionId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::ActorUserId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::ActorTokenId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::SubjectType).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::SubjectId).uuid().not_null())
                    .col(ColumnDef::new(AuditEvents::OccurredAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_institution_idx")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::InstitutionId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditEvents::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    InstitutionId,
    ActorUserId,
    ActorTokenId,
    Action,
    SubjectType,
    SubjectId,
    OccurredAt,
}
