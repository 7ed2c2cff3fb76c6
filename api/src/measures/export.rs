use entity::{measure, observation};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::db::Db;
use crate::error::ServiceError;

/// Rows in one export at most; a bigger series is exported a site or a period range at a time.
pub const MAX_EXPORT_ROWS: u64 = 100_000;

/// A measure's observations as CSV. The caller has already been allowed to see the measure.
pub async fn csv(db: &Db, measure: &measure::Model, site_id: Option<Uuid>) -> Result<String, ServiceError> {
    let mut query = observation::Entity::find().filter(observation::Column::MeasureId.eq(measure.id));
    if let Some(site) = site_id {
        query = query.filter(observation::Column::SiteId.eq(site));
    }
    let rows = sea_orm::QuerySelect::limit(
        query.order_by_asc(observation::Column::PeriodStart).order_by_asc(observation::Column::SiteId),
        MAX_EXPORT_ROWS,
    )
    .all(db.conn())
    .await?;
    let directory = super::service::site_directory(db, measure.project_id).await?;
    super::csv::export(&rows, &directory.slug_of).map_err(ServiceError::internal)
}
