use sea_orm::entity::prelude::*;

/// Budgets are whole pounds sterling.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "projects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub programme_id: Option<Uuid>,
    pub lead_institution_id: Uuid,
    pub title: String,
    pub aim_statement: String,
    pub clinical_area: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub budget_requested: Option<i64>,
    pub budget_awarded: Option<i64>,
    pub status: ProjectStatus,
    pub status_changed_at: DateTimeUtc,
    /// When the lead first submitted the bid; the funder sees it from then on.
    pub submitted_at: Option<DateTimeUtc>,
    /// The published shared result version this project was started from, if any.
    pub adopted_from_result_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProjectStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "FUNDED")]
    Funded,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
