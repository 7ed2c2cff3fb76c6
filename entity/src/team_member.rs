use sea_orm::entity::prelude::*;

/// A member of a project's springboard team: a user, or a named external person.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub institution_id: Uuid,
    pub user_id: Option<Uuid>,
    pub external_name: Option<String>,
    pub role: ProjectRole,
    pub hours_per_week: f64,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ProjectRole {
    #[sea_orm(string_value = "CLINICAL_LEAD")]
    ClinicalLead,
    #[sea_orm(string_value = "PROJECT_MANAGER")]
    ProjectManager,
    #[sea_orm(string_value = "EXECUTIVE_SPONSOR")]
    ExecutiveSponsor,
    #[sea_orm(string_value = "DATA_ANALYST")]
    DataAnalyst,
    #[sea_orm(string_value = "IMPROVEMENT_ADVISOR")]
    ImprovementAdvisor,
    #[sea_orm(string_value = "SERVICE_USER_REPRESENTATIVE")]
    ServiceUserRepresentative,
    #[sea_orm(string_value = "EVALUATOR")]
    Evaluator,
    #[sea_orm(string_value = "TEAM_MEMBER")]
    TeamMember,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
