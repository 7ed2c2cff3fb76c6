use sea_orm::entity::prelude::*;

/// Hours a team member actually gave a project in a month (`month` is its first day).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "time_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub team_member_id: Uuid,
    pub month: Date,
    pub hours: f64,
    pub reported_by_user_id: Uuid,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
