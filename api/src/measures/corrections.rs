//! Corrections: voiding the observations of a measure for a range of periods (one site, or every
//! site the actor may write for), with a reason. Voided rows leave charts, verdicts, exports and
//! data flow, stay in the history (`observations(includeVoided: true)`), and the audit event keeps
//! each row's old values. Sending a period again brings it back.

use chrono::NaiveDate;
use entity::measure;
use entity::observation::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::ingest::{CHUNK_ROWS, Mode, ValuesOf, row_change, writable_sites};
use super::service;
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::projects::changes::{self, Change};
use crate::projects::service as projects;
use crate::text;

pub const MAX_REASON_CHARS: usize = 500;

/// Which observations to void, and why.
pub struct VoidRequest {
    /// A site as observations name it (the host's slug or the site's ID); `None` for every site
    /// the actor may write for.
    pub site: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

pub struct Voided {
    pub measure: measure::Model,
    pub voided: usize,
    pub dry_run: bool,
}

pub async fn void(
    db: &Db,
    actor: &Actor,
    measure_id: Uuid,
    request: VoidRequest,
    mode: Mode,
) -> Result<Voided, ServiceError> {
    let measure =
        service::get(db, actor, measure_id).await?.ok_or(ServiceError::NotFound { field: "measureId" })?;
    let project = projects::require(db, actor, measure.project_id, "measureId").await?;
    let closed_from = changes::completed_on(&project);
    if closed_from.is_none() {
        changes::require(&project, Change::Data(db.today()), "measureId")?;
    }
    let directory = service::site_directory(db, actor, project.id).await?;
    let writable = writable_sites(actor, project.lead_institution_id, &directory)?;
    let mut problems = Problems::default();
    let reason = problems.take(text::required(&request.reason, "reason", MAX_REASON_CHARS));
    let from = problems.take(text::date(request.from, "from"));
    let to = problems.take(text::date(request.to, "to"));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        problems.push(FieldError::new(
            "to",
            UserErrorCode::Invalid,
            "the range must end on or after its start",
        ));
    }
    if let (Some(to), Some(closed)) = (to, closed_from)
        && to >= closed
    {
        problems.push(FieldError::new(
            "to",
            UserErrorCode::NotAllowedInStatus,
            format!("the project completed on {closed}: only earlier periods can be corrected"),
        ));
    }
    let sites: Vec<Uuid> = match request.site.as_deref() {
        None => writable.iter().copied().collect(),
        Some(raw) => match directory.by_key.get(raw.trim()) {
            None => {
                problems.push(FieldError::new("site", UserErrorCode::NotFound, "not a site of this project"));
                Vec::new()
            }
            Some(site) if !writable.contains(site) => {
                problems.push(FieldError::new(
                    "site",
                    UserErrorCode::NotEligible,
                    "your institution corrects its own site's data only",
                ));
                Vec::new()
            }
            Some(site) => vec![*site],
        },
    };
    problems.into_result()?;
    let (Some(reason), Some(from), Some(to)) = (reason, from, to) else {
        return Err(ServiceError::invalid("reason", UserErrorCode::Invalid, "incomplete request"));
    };
    let rows = service::current_observations(actor)
        .filter(Column::MeasureId.eq(measure.id))
        .filter(Column::SiteId.is_in(sites))
        .filter(Column::PeriodStart.between(from, to))
        .order_by_asc(Column::PeriodStart)
        .order_by_asc(Column::SiteId)
        .all(db.conn())
        .await?;
    if mode == Mode::DryRun || rows.is_empty() {
        return Ok(Voided { measure, voided: rows.len(), dry_run: mode == Mode::DryRun });
    }
    let now = db.now();
    let txn = db.begin().await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    for chunk in ids.chunks(CHUNK_ROWS) {
        observation::Entity::update_many()
            .col_expr(Column::VoidedAt, Expr::val(now))
            .col_expr(Column::VoidReason, Expr::val(reason.clone()))
            .filter(Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let changed: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let new = ValuesOf { voided: Some(&reason), ..ValuesOf::stored(r) };
            row_change(&directory.slug_of, r.site_id, r.period_start, Some(ValuesOf::stored(r)), Some(new))
        })
        .collect();
    audit::record_with_details(
        &txn,
        now,
        actor.into(),
        actor.institution.map(|i| i.id),
        "observation.void",
        Subject { kind: "Measure", id: measure.id },
        Some(serde_json::json!({ "reason": reason, "rows": changed })),
    )
    .await?;
    txn.commit().await?;
    Ok(Voided { measure, voided: rows.len(), dry_run: false })
}
