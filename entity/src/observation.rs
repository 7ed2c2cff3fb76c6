use sea_orm::entity::prelude::*;

/// One period's data point of a measure at a site. (measure, site, period) is unique: sending
/// the same key again updates the row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "observations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub measure_id: Uuid,
    pub site_id: Uuid,
    pub period_start: Date,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<String>,
    pub recorded_by_user_id: Option<Uuid>,
    pub recorded_by_token_id: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
