//! Observations out as CSV, for many measures or projects at once: in the import format (which
//! a script can send back), or as a table for analysis tools (every value filled in, one file for
//! a whole project).

use std::collections::HashMap;

use entity::{measure, project};
use sea_orm::QueryOrder;
use uuid::Uuid;

use super::analysis::observations_of;
use super::service::site_directories;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging;
use crate::scope::{Batched, Row, by_rows};

/// Rows in one export at most; a bigger series is exported a site at a time.
pub const MAX_EXPORT_ROWS: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `site,period_start,value,numerator,denominator,note`, as `importObservationsCsv` reads it.
    Import,
    /// `measure_id,measure,site,period_start,value,…`, with `value` filled for proportions.
    Table,
}

/// Which export: a measure (already read), one site or all of them, and the layout.
pub type ExportKey = (Row<measure::Model>, Option<Uuid>, Layout);

/// Each measure's observations as CSV, oldest period first, in three statements.
pub async fn csv(
    db: &Db,
    actor: &Actor,
    keys: &[ExportKey],
) -> Result<HashMap<ExportKey, String>, ServiceError> {
    let measure_ids = paging::distinct(keys.iter().map(|(m, _, _)| m.id));
    let project_ids = paging::distinct(keys.iter().map(|(m, _, _)| m.model.project_id));
    let observations = observations_of(db, actor, &measure_ids).await?;
    let directories = site_directories(db, actor, &project_ids).await?;
    let mut out = HashMap::with_capacity(keys.len());
    for key @ (measure, site, layout) in keys {
        let mut rows: Vec<_> = observations
            .get(&measure.id)
            .map(|rows| rows.iter().filter(|r| site.is_none_or(|s| r.site_id == s)).collect())
            .unwrap_or_default();
        rows.sort_by_key(|r| (r.period_start, r.site_id));
        rows.truncate(MAX_EXPORT_ROWS);
        let empty = HashMap::new();
        let slugs = directories.get(&measure.model.project_id).map_or(&empty, |d| &d.slug_of);
        let text = match layout {
            Layout::Import => {
                let owned: Vec<_> = rows.into_iter().cloned().collect();
                super::csv::export(&owned, slugs)
            }
            Layout::Table => {
                let pairs: Vec<_> = rows.into_iter().map(|r| (measure.model.as_ref(), r)).collect();
                super::csv::table(&pairs, slugs)
            }
        }
        .map_err(ServiceError::internal)?;
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

/// Every observation of each project's measures as one table (measures in the order they were
/// defined, then period, then site), in four statements.
pub async fn project_tables(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<HashMap<Uuid, String>, ServiceError> {
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let measures = paging::among(super::service::visible_to(actor), measure::Column::ProjectId, &ids)
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?;
    let measure_ids: Vec<Uuid> = measures.iter().map(|m| m.id).collect();
    let observations = observations_of(db, actor, &measure_ids).await?;
    let directories = site_directories(db, actor, &ids).await?;
    let empty = HashMap::new();
    let mut out = HashMap::with_capacity(projects.len());
    for project in projects {
        let mut rows = Vec::new();
        for measure in measures.iter().filter(|m| m.project_id == project.id) {
            let mut own: Vec<_> =
                observations.get(&measure.id).map(|r| r.iter().collect()).unwrap_or_default();
            own.sort_by_key(|r| (r.period_start, r.site_id));
            rows.extend(own.into_iter().map(|r| (measure, r)));
        }
        rows.truncate(MAX_EXPORT_ROWS);
        let slugs = directories.get(&project.id).map_or(&empty, |d| &d.slug_of);
        out.insert(project.id, super::csv::table(&rows, slugs).map_err(ServiceError::internal)?);
    }
    Ok(out)
}

/// `project_tables` for the GraphQL layer's batches.
pub struct ProjectExports;

impl Batched for ProjectExports {
    type Key = Row<project::Model>;
    type Value = String;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<project::Model>],
    ) -> Result<HashMap<Row<project::Model>, String>, ServiceError> {
        by_rows(keys, async |projects| project_tables(db, actor, &projects).await).await
    }
}
