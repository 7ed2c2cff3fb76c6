//! Observations out as CSV, in the import format, for many measures at once.

use std::collections::HashMap;

use entity::measure;
use uuid::Uuid;

use super::analysis::observations_of;
use super::service::site_directories;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging;
use crate::scope::{Batched, Row};

/// Rows in one export at most; a bigger series is exported a site at a time.
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// Which export: a measure (already read) and one site, or all of them.
pub type ExportKey = (Row<measure::Model>, Option<Uuid>);

/// Each measure's observations as CSV, oldest period first, in three statements.
pub async fn csv(
    db: &Db,
    actor: &Actor,
    keys: &[ExportKey],
) -> Result<HashMap<ExportKey, String>, ServiceError> {
    let measure_ids = paging::distinct(keys.iter().map(|(m, _)| m.id));
    let project_ids = paging::distinct(keys.iter().map(|(m, _)| m.model.project_id));
    let observations = observations_of(db, actor, &measure_ids).await?;
    let directories = site_directories(db, actor, &project_ids).await?;
    let mut out = HashMap::with_capacity(keys.len());
    for key @ (measure, site) in keys {
        let mut rows: Vec<_> = observations
            .get(&measure.id)
            .map(|rows| rows.iter().filter(|r| site.is_none_or(|s| r.site_id == s)).cloned().collect())
            .unwrap_or_default();
        rows.sort_by_key(|r| (r.period_start, r.site_id));
        rows.truncate(MAX_EXPORT_ROWS);
        let slugs = directories.get(&measure.model.project_id).map(|d| &d.slug_of);
        let text =
            super::csv::export(&rows, slugs.unwrap_or(&HashMap::new())).map_err(ServiceError::internal)?;
        out.insert(key.clone(), text);
    }
    Ok(out)
}

/// `csv` for the GraphQL layer's batches.
pub struct CsvExports;

impl Batched for CsvExports {
    type Key = ExportKey;
    type Value = String;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[ExportKey],
    ) -> Result<HashMap<ExportKey, String>, ServiceError> {
        csv(db, actor, keys).await
    }
}
