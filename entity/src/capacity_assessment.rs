use sea_orm::entity::prelude::*;

/// An assessment of a host institution's capacity, scored 0–4 with evidence on five
/// dimensions. Scores may be missing while DRAFT; a SUBMITTED one never changes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "capacity_assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assessed_institution_id: Uuid,
    pub assessor_institution_id: Uuid,
    pub project_id: Option<Uuid>,
    pub assessed_on: Date,
    pub status: AssessmentStatus,
    pub project_management_score: Option<i32>,
    pub project_management_evidence: Option<String>,
    pub leadership_score: Option<i32>,
    pub leadership_evidence: Option<String>,
    pub monitoring_and_evaluation_score: Option<i32>,
    pub monitoring_and_evaluation_evidence: Option<String>,
    pub data_infrastructure_score: Option<i32>,
    pub data_infrastructure_evidence: Option<String>,
    pub staff_time_score: Option<i32>,
    pub staff_time_evidence: Option<String>,
    pub created_by: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssessmentStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
