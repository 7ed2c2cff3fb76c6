use sea_orm_migration::prelude::*;

use crate::m20261125_000001_create_institutions::Institutions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let score = |col: Programmes| ColumnDef::new(col).integer().not_null().default(0).to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Programmes::Table)
                    .col(ColumnDef::new(Programmes::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Programmes::FunderInstitutionId).uuid().not_null())
                    .col(ColumnDef::new(Programmes::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Programmes::Objectives).text().not_null())
                    .col(ColumnDef::new(Programmes::BiddingOpensOn).date().not_null())
                    .col(ColumnDef::new(Programmes::BiddingClosesOn).date().not_null())
                    .col(ColumnDef::new(Programmes::EligibleBidderKinds).string_len(200).not_null())
                    .col(score(Programmes::MinProjectManagement))
                    .col(score(Programmes::MinLeadership))
                    .col(score(Programmes::MinMonitoringAndEvaluation))
                    .col(score(Programmes::MinDataInfrastructure))
                    .col(score(Programmes::MinStaffTime))
                    .col(ColumnDef::new(Programmes::MaxAssessmentAgeDays).integer().not_null())
                    .col(ColumnDef::new(Programmes::SpringboardRoles).string_len(1000).not_null())
                    .col(ColumnDef::new(Programmes::MinTeamHoursPerWeek).double().not_null())
                    .col(ColumnDef::new(Programmes::LeadMayAssess).boolean().not_null().default(false))
                    .col(ColumnDef::new(Programmes::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Programmes::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("programmes_funder_institution_id_fkey")
                            .from(Programmes::Table, Programmes::FunderInstitutionId)
                            .to(Institutions::Table, Institutions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("programmes_funder_idx")
                    .table(Programmes::Table)
                    .col(Programmes::FunderInstitutionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Programmes::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Programmes {
    Table,
    Id,
    FunderInstitutionId,
    Name,
    Objectives,
    BiddingOpensOn,
    BiddingClosesOn,
    EligibleBidderKinds,
    MinProjectManagement,
    MinLeadership,
    MinMonitoringAndEvaluation,
    MinDataInfrastructure,
    MinStaffTime,
    MaxAssessmentAgeDays,
    SpringboardRoles,
    MinTeamHoursPerWeek,
    LeadMayAssess,
    CreatedAt,
    UpdatedAt,
}
