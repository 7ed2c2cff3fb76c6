use sea_orm::entity::prelude::*;

/// What a royal college or professional body gives a project or a programme.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub institution_id: Uuid,
    pub project_id: Option<Uuid>,
    pub programme_id: Option<Uuid>,
    pub kind: CommitmentKind,
    pub description: String,
    pub status: CommitmentStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum CommitmentKind {
    #[sea_orm(string_value = "LEADERSHIP")]
    Leadership,
    #[sea_orm(string_value = "LEGITIMACY")]
    Legitimacy,
    #[sea_orm(string_value = "ORGANISATIONAL_SUPPORT")]
    OrganisationalSupport,
    #[sea_orm(string_value = "PROFESSIONAL_TRAINING")]
    ProfessionalTraining,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CommitmentStatus {
    #[sea_orm(string_value = "OFFERED")]
    Offered,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
