use sea_orm::entity::prelude::*;

/// A funding programme run by a FUNDER. Eligible bidder kinds and the springboard rule's role
/// groups are small JSON arrays in text columns; the API parses them into types.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "programmes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub funder_institution_id: Uuid,
    pub name: String,
    pub objectives: String,
    pub bidding_opens_on: Date,
    pub bidding_closes_on: Date,
    pub eligible_bidder_kinds: String,
    pub min_project_management: i32,
    pub min_leadership: i32,
    pub min_monitoring_and_evaluation: i32,
    pub min_data_infrastructure: i32,
    pub min_staff_time: i32,
    pub max_assessment_age_days: i32,
    pub springboard_roles: String,
    pub min_team_hours_per_week: f64,
    /// The most of the team's committed hours that forecast monitoring may take (0 to 1).
    pub max_monitoring_share: f64,
    pub lead_may_assess: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
