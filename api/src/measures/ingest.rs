//! Recording observations in bulk: all rows checked first, then written in one transaction as
//! multi-row upserts on (measure, site, period), so a script can re-send a month safely.

use std::collections::HashSet;

use entity::measure;
use entity::observation::{self, Arrival, Column};
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;
use uuid::Uuid;

use super::service::{self, SiteDirectory};
use super::validate::{self, Context, RawRow, ValidRow};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::ServiceError;
use crate::projects::changes::{self, Change};
use crate::projects::service as projects;

/// Rows per INSERT: 11 parameters each keeps a statement well under SQLite's and PostgreSQL's
/// parameter limits while amortising round trips.
const CHUNK_ROWS: usize = 1_000;

pub struct Recorded {
    pub measure: measure::Model,
    pub count: usize,
}

/// Where rows come from, for error paths: `observations.<i>` (GraphQL) or `file.<line>` (CSV).
pub struct Source<'a> {
    pub prefix: &'a str,
    pub first_number: usize,
    /// A CSV upload rather than rows in a request.
    pub file: bool,
}

impl Source<'static> {
    /// Rows in a request, numbered from 0 under `observations`.
    pub const REQUEST: Self = Self { prefix: "observations", first_number: 0, file: false };
    /// A CSV file, numbered by line (the header is line 1) under `file`.
    pub const CSV: Self = Self { prefix: "file", first_number: 2, file: true };
}

/// The sites the actor may record for: every accepted site for the lead's writers, its own for
/// a host's writers.
fn writable_sites(
    actor: &Actor,
    lead_id: Uuid,
    directory: &SiteDirectory,
) -> Result<HashSet<Uuid>, ServiceError> {
    let writer = actor.require_writer()?;
    let sites: HashSet<Uuid> = directory
        .institution_of
        .iter()
        .filter(|(_, institution)| writer == lead_id || **institution == writer)
        .map(|(site, _)| *site)
        .collect();
    if sites.is_empty() && writer != lead_id {
        return Err(ServiceError::Forbidden("only the lead and the project's sites record observations"));
    }
    Ok(sites)
}

pub async fn record(
    db: &Db,
    actor: &Actor,
    measure_id: Uuid,
    rows: Vec<RawRow>,
    source: Source<'_>,
) -> Result<Recorded, ServiceError> {
    let measure =
        service::get(db, actor, measure_id).await?.ok_or(ServiceError::NotFound { field: "measureId" })?;
    let project = projects::require(db, actor, measure.project_id, "measureId").await?;
    // A status that takes no data refuses the call; a completed project refuses the rows for
    // periods from its completion on, one by one.
    let closed_from = changes::completed_on(&project);
    if closed_from.is_none() {
        changes::require(&project, Change::Data(db.today()), "measureId")?;
    }
    let directory = service::site_directory(db, actor, project.id).await?;
    let writable = writable_sites(actor, project.lead_institution_id, &directory)?;
    let ctx = Context {
        unit: measure.unit,
        frequency: measure.frequency,
        today: db.today(),
        closed_from,
        sites: &directory.by_key,
        writable: &writable,
    };
    let valid = validate::check_batch(rows, &ctx, source.prefix, source.first_number)
        .map_err(ServiceError::Invalid)?;
    let count = valid.len();
    let arrival = match (actor.token_id(), source.file, count) {
        (Some(_), _, _) => Arrival::IntegrationToken,
        (None, true, _) => Arrival::CsvUpload,
        (None, false, 1) => Arrival::SingleEntry,
        (None, false, _) => Arrival::BulkEntry,
    };
    write(db, actor, &measure, valid, arrival).await?;
    Ok(Recorded { measure, count })
}

async fn write(
    db: &Db,
    actor: &Actor,
    measure: &measure::Model,
    rows: Vec<ValidRow>,
    arrival: Arrival,
) -> Result<(), ServiceError> {
    let now = db.now();
    let txn = db.begin().await?;
    for chunk in rows.chunks(CHUNK_ROWS) {
        let models = chunk.iter().map(|row| {
            observation::ActiveModel::from(observation::Model {
                id: Uuid::now_v7(),
                measure_id: measure.id,
                site_id: row.site_id,
                period_start: row.period_start,
                value: row.value,
                numerator: row.numerator,
                denominator: row.denominator,
                note: row.note.clone(),
                recorded_by_user_id: actor.user_id(),
                recorded_by_token_id: actor.token_id(),
                recorded_at: now,
                first_recorded_at: Some(now),
                arrival,
            })
        });
        observation::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([Column::MeasureId, Column::SiteId, Column::PeriodStart])
                    .update_columns([
                        Column::Value,
                        Column::Numerator,
                        Column::Denominator,
                        Column::Note,
                        Column::RecordedByUserId,
                        Column::RecordedByTokenId,
                        Column::RecordedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        actor.institution.map(|i| i.id),
        "observation.record",
        Subject { kind: "Measure", id: measure.id },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
