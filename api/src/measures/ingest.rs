//! Recording observations in bulk: all rows checked first, then compared with what is stored
//! and written in one transaction as multi-row upserts on (measure, site, period), so a script
//! can re-send a month safely. A row identical to the stored one is left alone (its
//! `recordedAt` included), and the report says what was created, updated and left unchanged;
//! a dry run gives the same report and writes nothing.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use entity::measure;
use entity::observation::{self, Arrival, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::calendar::Calendar;
use super::csv_import::Columns;
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
pub(super) const CHUNK_ROWS: usize = 1_000;

/// What a call did (or, in a dry run, would do) to the stored rows.
pub struct Recorded {
    pub measure: measure::Model,
    /// Rows for a (site, period) that had none.
    pub created: usize,
    /// Rows whose value, numerator, denominator or note changed.
    pub updated: usize,
    /// Rows identical to what is stored: not written.
    pub unchanged: usize,
    /// Rows sent for a period that has not ended at their site: kept, and left out of analyses
    /// until it ends.
    pub incomplete: usize,
    pub dry_run: bool,
}

impl Recorded {
    fn of(
        measure: measure::Model,
        changes: &[Pending],
        unchanged: usize,
        incomplete: usize,
        dry_run: bool,
    ) -> Self {
        let created = changes.iter().filter(|c| c.creates()).count();
        Self { measure, created, updated: changes.len() - created, unchanged, incomplete, dry_run }
    }

    /// Rows written (or, in a dry run, that would be).
    pub fn written(&self) -> usize {
        self.created + self.updated
    }
}

/// Whether the call writes, or only reports what it would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    DryRun,
}

/// Where rows come from, for error paths: `observations.<i>` (GraphQL) or `file.<line>.<column>`
/// (CSV, the column as the file names it).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub prefix: &'a str,
    /// A CSV upload's columns; `None` for rows in a request.
    pub columns: Option<&'a Columns>,
}

impl Source<'static> {
    /// Rows in a request, numbered from 0 under `observations`.
    pub const REQUEST: Self = Self { prefix: "observations", columns: None };
}

impl<'a> Source<'a> {
    /// A CSV file, numbered by line (the header is line 1) under `file`.
    pub fn file(columns: &'a Columns) -> Self {
        Self { prefix: "file", columns: Some(columns) }
    }
}

/// The sites the actor may record for: every accepted site for the lead's writers, its own for
/// a host's writers.
pub(super) fn writable_sites(
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

/// Rows for one measure, checked and ready to write.
pub struct Prepared {
    measure: measure::Model,
    valid: Vec<ValidRow>,
    incomplete: usize,
    arrival: Arrival,
    slug_of: HashMap<Uuid, String>,
}

/// Checks one measure's rows (numbered by their request index or file line) against the
/// measure, the project's status and sites, and what the actor may write. Nothing is read
/// beyond the measure's project, and nothing is written.
pub async fn prepare(
    db: &Db,
    actor: &Actor,
    measure_id: Uuid,
    rows: Vec<(usize, RawRow)>,
    source: Source<'_>,
) -> Result<Prepared, ServiceError> {
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
    let calendar = Calendar::new(db.now(), directory.zone_of.clone());
    let ctx = Context {
        unit: measure.unit,
        frequency: measure.frequency,
        calendar: &calendar,
        closed_from,
        sites: &directory.by_key,
        writable: &writable,
    };
    let valid =
        validate::check_numbered(rows, &ctx, source.prefix, source.columns).map_err(ServiceError::Invalid)?;
    let incomplete =
        valid.iter().filter(|r| !calendar.has_ended(measure.frequency, r.site_id, r.period_start)).count();
    let arrival = match (actor.token_id(), source.columns.is_some(), valid.len()) {
        (Some(_), _, _) => Arrival::IntegrationToken,
        (None, true, _) => Arrival::CsvUpload,
        (None, false, 1) => Arrival::SingleEntry,
        (None, false, _) => Arrival::BulkEntry,
    };
    Ok(Prepared { measure, valid, incomplete, arrival, slug_of: directory.slug_of })
}

/// Writes prepared rows of one or more measures in one transaction (or, in a dry run, only
/// compares them with what is stored), and reports per measure.
pub async fn commit(
    db: &Db,
    actor: &Actor,
    batches: Vec<Prepared>,
    mode: Mode,
) -> Result<Vec<Recorded>, ServiceError> {
    let mut reports = Vec::with_capacity(batches.len());
    if mode == Mode::DryRun {
        for batch in batches {
            let (changes, unchanged) = classify(db.conn(), batch.measure.id, batch.valid).await?;
            reports.push(Recorded::of(batch.measure, &changes, unchanged, batch.incomplete, true));
        }
        return Ok(reports);
    }
    let txn = db.begin().await?;
    for batch in batches {
        let (changes, unchanged) = classify(&txn, batch.measure.id, batch.valid).await?;
        write(&txn, db, actor, &batch.measure, &changes, batch.arrival, &batch.slug_of).await?;
        reports.push(Recorded::of(batch.measure, &changes, unchanged, batch.incomplete, false));
    }
    txn.commit().await?;
    Ok(reports)
}

/// Records one measure's rows from a request, numbered from 0.
pub async fn record(
    db: &Db,
    actor: &Actor,
    measure_id: Uuid,
    rows: Vec<RawRow>,
    mode: Mode,
) -> Result<Recorded, ServiceError> {
    let numbered = rows.into_iter().enumerate().collect();
    let prepared = prepare(db, actor, measure_id, numbered, Source::REQUEST).await?;
    commit(db, actor, vec![prepared], mode)
        .await?
        .pop()
        .ok_or_else(|| ServiceError::internal(NothingRecorded))
}

#[derive(Debug, thiserror::Error)]
#[error("a batch was committed and no report came back")]
struct NothingRecorded;

/// A row to write, and the row stored for its (site, period) before, if any.
struct Pending {
    row: ValidRow,
    before: Option<observation::Model>,
}

impl Pending {
    /// New to the data: no row before, or only a voided one.
    fn creates(&self) -> bool {
        self.before.as_ref().is_none_or(|b| b.voided_at.is_some())
    }
}

fn same(stored: &observation::Model, row: &ValidRow) -> bool {
    stored.value == row.value
        && stored.numerator == row.numerator
        && stored.denominator == row.denominator
        && stored.note == row.note
}

/// Splits the rows into those to write and a count of those identical to what is stored.
async fn classify(
    conn: &impl ConnectionTrait,
    measure_id: Uuid,
    rows: Vec<ValidRow>,
) -> Result<(Vec<Pending>, usize), ServiceError> {
    let mut periods: Vec<NaiveDate> = rows.iter().map(|r| r.period_start).collect();
    periods.sort_unstable();
    periods.dedup();
    let mut stored: HashMap<(Uuid, NaiveDate), observation::Model> = HashMap::new();
    for chunk in periods.chunks(CHUNK_ROWS) {
        let found = observation::Entity::find()
            .filter(Column::MeasureId.eq(measure_id))
            .filter(Column::PeriodStart.is_in(chunk.iter().copied()))
            .all(conn)
            .await?;
        stored.extend(found.into_iter().map(|o| ((o.site_id, o.period_start), o)));
    }
    let mut unchanged = 0;
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        match stored.get(&(row.site_id, row.period_start)) {
            Some(existing) if existing.voided_at.is_none() && same(existing, &row) => unchanged += 1,
            existing => changes.push(Pending { before: existing.cloned(), row }),
        }
    }
    Ok((changes, unchanged))
}

async fn write(
    txn: &impl ConnectionTrait,
    db: &Db,
    actor: &Actor,
    measure: &measure::Model,
    changes: &[Pending],
    arrival: Arrival,
    slug_of: &HashMap<Uuid, String>,
) -> Result<(), ServiceError> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = db.now();
    for chunk in changes.chunks(CHUNK_ROWS) {
        let models = chunk.iter().map(|Pending { row, .. }| {
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
                voided_at: None,
                void_reason: None,
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
                        Column::VoidedAt,
                        Column::VoidReason,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    let rows: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            let new = ValuesOf {
                value: c.row.value,
                numerator: c.row.numerator,
                denominator: c.row.denominator,
                note: c.row.note.as_deref(),
                voided: None,
            };
            row_change(
                slug_of,
                c.row.site_id,
                c.row.period_start,
                c.before.as_ref().map(ValuesOf::stored),
                Some(new),
            )
        })
        .collect();
    audit::record_with_details(
        txn,
        db.now(),
        actor.into(),
        actor.institution.map(|i| i.id),
        "observation.record",
        Subject { kind: "Measure", id: measure.id },
        Some(serde_json::json!({ "rows": rows })),
    )
    .await?;
    Ok(())
}

/// An observation's values as the audit keeps them.
pub(super) struct ValuesOf<'a> {
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub note: Option<&'a str>,
    /// The reason, for a voided row.
    pub voided: Option<&'a str>,
}

impl<'a> ValuesOf<'a> {
    pub(super) fn stored(row: &'a observation::Model) -> Self {
        Self {
            value: row.value,
            numerator: row.numerator,
            denominator: row.denominator,
            note: row.note.as_deref(),
            voided: row.void_reason.as_deref().or(row.voided_at.map(|_| "")),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "value": self.value, "numerator": self.numerator, "denominator": self.denominator,
            "note": self.note, "voided": self.voided,
        })
    }
}

/// One row's change, for an audit event's details.
pub(super) fn row_change(
    slug_of: &HashMap<Uuid, String>,
    site_id: Uuid,
    period_start: NaiveDate,
    old: Option<ValuesOf<'_>>,
    new: Option<ValuesOf<'_>>,
) -> serde_json::Value {
    let site = slug_of.get(&site_id).cloned().unwrap_or_else(|| site_id.to_string());
    serde_json::json!({
        "site": site,
        "periodStart": period_start,
        "old": old.map(|v| v.json()),
        "new": new.map(|v| v.json()),
    })
}
