use sea_orm::entity::prelude::*;

/// One series of a linked measure frozen at publication: all sites pooled (`site_id` null,
/// position 0), then each site with observations. `analysis` is the analysis as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_result_series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub link_id: Uuid,
    pub position: i32,
    pub site_id: Option<Uuid>,
    /// The site's host institution.
    pub institution_id: Option<Uuid>,
    pub analysis: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
