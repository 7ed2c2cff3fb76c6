use sea_orm::entity::prelude::*;

/// The assessment the funding gate counted for an accepted site when its project was funded
/// (`None` only for projects funded before evidence was recorded, where none could be found).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "funding_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub project_id: Uuid,
    pub site_id: Uuid,
    pub assessment_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
