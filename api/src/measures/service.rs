use std::collections::HashMap;

use chrono::NaiveDate;
use entity::institution;
use entity::measure::{self, CollectionMethod, MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
use entity::observation;
use entity::project_site::{self, SiteStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::paging;
use crate::projects::changes::{self, Change};
use crate::projects::service::{self as projects, require_lead_writer};
use crate::text;

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DEFINITION_CHARS: usize = 10_000;

/// Measures are visible exactly with their project.
pub fn visible_to(actor: &Actor) -> Select<measure::Entity> {
    measure::Entity::find().filter(measure::Column::ProjectId.in_subquery(projects::visible_ids(actor)))
}

/// Observations are visible with their measure.
pub fn visible_observations(actor: &Actor) -> Select<observation::Entity> {
    let measures = visible_to(actor).select_only().column(measure::Column::Id).into_query();
    observation::Entity::find().filter(observation::Column::MeasureId.in_subquery(measures))
}

/// The visible observations that count: voided ones left out (they stay in the history).
pub fn current_observations(actor: &Actor) -> Select<observation::Entity> {
    visible_observations(actor).filter(observation::Column::VoidedAt.is_null())
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<measure::Model>, ServiceError> {
    Ok(visible_to(actor).filter(measure::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn of_project(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
) -> Result<Vec<measure::Model>, ServiceError> {
    Ok(visible_to(actor)
        .filter(measure::Column::ProjectId.eq(project_id))
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?)
}

#[derive(Default)]
pub struct MeasureForm {
    pub name: Option<String>,
    /// A blank code removes it.
    pub code: Option<String>,
    pub operational_definition: Option<String>,
    pub kind: Option<MeasureKind>,
    pub unit: Option<MeasureUnit>,
    pub direction: Option<MeasureDirection>,
    pub frequency: Option<MeasureFrequency>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub baseline_until: Option<NaiveDate>,
    pub rebase_periods: Option<Vec<NaiveDate>>,
    pub collection_method: Option<CollectionMethod>,
    pub minutes_per_site_per_period: Option<f64>,
}

/// A new measure of the project with nothing set yet, for a form or a copy to fill in.
pub fn blank(project_id: Uuid, now: chrono::DateTime<chrono::Utc>) -> measure::Model {
    measure::Model {
        id: Uuid::now_v7(),
        project_id,
        name: String::new(),
        code: None,
        operational_definition: String::new(),
        kind: MeasureKind::Outcome,
        unit: MeasureUnit::Count,
        direction: MeasureDirection::HigherIsBetter,
        frequency: MeasureFrequency::Monthly,
        baseline: None,
        target: None,
        baseline_until: None,
        rebase_periods: "[]".into(),
        collection_method: None,
        minutes_per_site_per_period: None,
        adopted_from_measure_id: None,
        created_at: now,
        updated_at: now,
    }
}

pub const MAX_CODE_CHARS: usize = 32;

/// A measure's code: letters, digits, `-`, `_` and `.`, kept in upper case so that files may
/// write it in any case; blank for none.
pub fn parse_code(raw: &str) -> Result<Option<String>, FieldError> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let valid = code.chars().count() <= MAX_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(FieldError::new(
            "code",
            UserErrorCode::Invalid,
            format!("use up to {MAX_CODE_CHARS} letters, digits, hyphens, underscores or full stops"),
        ));
    }
    Ok(Some(code.to_ascii_uppercase()))
}

/// A week of someone's time: more per site and period is a mistake, not an estimate.
const MAX_MINUTES_PER_SITE_PER_PERIOD: f64 = 7.0 * 24.0 * 60.0;

pub fn rebase_periods(model: &measure::Model) -> Vec<NaiveDate> {
    serde_json::from_str::<Vec<NaiveDate>>(&model.rebase_periods).unwrap_or_default()
}

fn apply(form: MeasureForm, model: &mut measure::Model) -> Result<(), ServiceError> {
    let mut problems = Problems::default();
    if let Some(name) = form.name.and_then(|n| problems.take(text::required(&n, "name", MAX_NAME_CHARS))) {
        model.name = name;
    }
    if let Some(code) = form.code.and_then(|raw| problems.take(parse_code(&raw))) {
        model.code = code;
    }
    if let Some(definition) = form
        .operational_definition
        .and_then(|d| problems.take(text::required(&d, "operationalDefinition", MAX_DEFINITION_CHARS)))
    {
        model.operational_definition = definition;
    }
    model.kind = form.kind.unwrap_or(model.kind);
    model.unit = form.unit.unwrap_or(model.unit);
    model.direction = form.direction.unwrap_or(model.direction);
    model.frequency = form.frequency.unwrap_or(model.frequency);
    for (value, field) in [(form.baseline, "baseline"), (form.target, "target")] {
        if value.is_some_and(|v| !v.is_finite()) {
            problems.push(FieldError::new(field, UserErrorCode::Invalid, "must be a finite number"));
        }
    }
    model.baseline = form.baseline.or(model.baseline);
    model.target = form.target.or(model.target);
    if model.unit == MeasureUnit::Proportion {
        for (value, field) in [(model.baseline, "baseline"), (model.target, "target")] {
            if value.is_some_and(|v| !(0.0..=1.0).contains(&v)) {
                problems.push(FieldError::new(
                    field,
                    UserErrorCode::Invalid,
                    "a proportion lies between 0 and 1",
                ));
            }
        }
    }
    model.collection_method = form.collection_method.or(model.collection_method);
    if let Some(minutes) = form.minutes_per_site_per_period {
        if minutes.is_finite() && (0.0..=MAX_MINUTES_PER_SITE_PER_PERIOD).contains(&minutes) {
            model.minutes_per_site_per_period = Some(minutes);
        } else {
            problems.push(FieldError::new(
                "minutesPerSitePerPeriod",
                UserErrorCode::Invalid,
                format!("minutes between 0 and {MAX_MINUTES_PER_SITE_PER_PERIOD} (a week)"),
            ));
        }
    }
    let baseline_until = problems.take(text::optional_date(form.baseline_until, "baselineUntil")).flatten();
    model.baseline_until = baseline_until.or(model.baseline_until);
    if let Some(mut periods) = form.rebase_periods {
        periods.sort();
        periods.dedup();
        if periods.len() > 50 {
            problems.push(FieldError::new("rebasePeriods", UserErrorCode::Invalid, "at most 50 rebases"));
        } else if periods.iter().any(|p| text::date(*p, "rebasePeriods").is_err()) {
            problems.push(FieldError::new(
                "rebasePeriods",
                UserErrorCode::Invalid,
                "dates must lie between 1900 and 2199",
            ));
        } else if periods.iter().any(|p| !super::periods::is_aligned(model.frequency, *p)) {
            problems.push(FieldError::new(
                "rebasePeriods",
                UserErrorCode::Invalid,
                super::periods::describe(model.frequency),
            ));
        } else {
            model.rebase_periods = serde_json::to_string(&periods).unwrap_or_else(|_| "[]".into());
        }
    }
    problems.into_result()
}

/// The lead's ADMIN or MEMBER defines a measure.
pub async fn create(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    form: MeasureForm,
) -> Result<measure::Model, ServiceError> {
    let project = projects::require(db, actor, project_id, "projectId").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Measures, "projectId")?;
    let mut missing = Problems::default();
    for (present, field) in [
        (form.name.is_some(), "name"),
        (form.operational_definition.is_some(), "operationalDefinition"),
        (form.kind.is_some(), "kind"),
        (form.unit.is_some(), "unit"),
        (form.direction.is_some(), "direction"),
        (form.frequency.is_some(), "frequency"),
    ] {
        if !present {
            missing.push(FieldError::new(field, UserErrorCode::Required, "required"));
        }
    }
    missing.into_result()?;
    let mut model = blank(project_id, db.now());
    apply(form, &mut model)?;
    let txn = db.begin().await?;
    measure::Entity::insert(measure::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await
        .map_err(code_taken)?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "measure.create",
        Subject { kind: "Measure", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

fn code_taken(err: sea_orm::DbErr) -> ServiceError {
    ServiceError::from_unique_violation(err, "code", "another measure of this project has this code")
}

/// The lead edits a measure. Its unit and frequency are fixed once data exists, since existing
/// observations were checked against them.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    form: MeasureForm,
) -> Result<measure::Model, ServiceError> {
    let current = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "id" })?;
    let project = projects::require(db, actor, current.project_id, "id").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Measures, "id")?;
    let changes_shape = form.unit.is_some_and(|u| u != current.unit)
        || form.frequency.is_some_and(|f| f != current.frequency);
    if changes_shape {
        let has_data = entity::observation::Entity::find()
            .filter(entity::observation::Column::MeasureId.eq(id))
            .one(db.conn())
            .await?
            .is_some();
        if has_data {
            return Err(ServiceError::invalid(
                "unit",
                UserErrorCode::Immutable,
                "unit and frequency are fixed once observations exist",
            ));
        }
    }
    let mut updated = current.clone();
    apply(form, &mut updated)?;
    updated.updated_at = db.now();
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(measure::ActiveModel::from(updated.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(id);
    sea_orm::ActiveModelTrait::update(active, &txn).await.map_err(code_taken)?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "measure.update",
        Subject { kind: "Measure", id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// A project's accepted sites, keyed by ProjectSite global ID and by host slug, with the host's
/// slug for export.
#[derive(Clone, Default)]
pub struct SiteDirectory {
    pub by_key: HashMap<String, Uuid>,
    pub slug_of: HashMap<Uuid, String>,
    pub institution_of: HashMap<Uuid, Uuid>,
    /// Each site's host's time zone.
    pub zone_of: HashMap<Uuid, chrono_tz::Tz>,
}

/// The site directories of these projects (as far as the actor sees them), in two statements.
pub async fn site_directories(
    db: &Db,
    actor: &Actor,
    project_ids: &[Uuid],
) -> Result<HashMap<Uuid, SiteDirectory>, ServiceError> {
    let sites = paging::among(projects::visible_sites(actor), project_site::Column::ProjectId, project_ids)
        .filter(project_site::Column::Status.eq(SiteStatus::Accepted))
        .all(db.conn())
        .await?;
    let hosts = institution::Entity::find()
        .filter(institution::Column::Id.is_in(sites.iter().map(|s| s.institution_id)))
        .all(db.conn())
        .await?;
    let mut directories: HashMap<Uuid, SiteDirectory> =
        project_ids.iter().map(|id| (*id, SiteDirectory::default())).collect();
    for site in sites {
        let directory = directories.entry(site.project_id).or_default();
        directory.by_key.insert(crate::ids::global_id(crate::ids::NodeKind::ProjectSite, site.id), site.id);
        directory.institution_of.insert(site.id, site.institution_id);
        if let Some(host) = hosts.iter().find(|h| h.id == site.institution_id) {
            directory.by_key.insert(host.slug.clone(), site.id);
            directory.slug_of.insert(site.id, host.slug.clone());
            directory.zone_of.insert(site.id, crate::institutions::time_zone::of(&host.time_zone));
        }
    }
    Ok(directories)
}

/// Sites named as clients name them (the host's slug, or the site's global ID), each within a
/// project, for the GraphQL layer's batches: a name that is not an accepted site of that project
/// finds nothing.
pub struct SiteNames;

impl crate::scope::Batched for SiteNames {
    type Key = (Uuid, String);
    type Value = Uuid;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[(Uuid, String)],
    ) -> Result<HashMap<(Uuid, String), Uuid>, ServiceError> {
        let projects = paging::distinct(keys.iter().map(|(project, _)| *project));
        let directories = site_directories(db, actor, &projects).await?;
        Ok(keys
            .iter()
            .filter_map(|key @ (project, name)| {
                let site = directories.get(project)?.by_key.get(name.trim())?;
                Some((key.clone(), *site))
            })
            .collect())
    }
}

pub async fn site_directory(db: &Db, actor: &Actor, project_id: Uuid) -> Result<SiteDirectory, ServiceError> {
    Ok(site_directories(db, actor, &[project_id]).await?.remove(&project_id).unwrap_or_default())
}

/// Which observations of a measure a list shows: one site, a range of periods, and whether
/// voided ones are included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ObservationFilter {
    pub site_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_voided: bool,
}

impl ObservationFilter {
    pub fn parse(
        site_id: Option<Uuid>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        include_voided: bool,
    ) -> Result<Self, ServiceError> {
        let mut problems = Problems::default();
        let from = problems.take(text::optional_date(from, "from")).flatten();
        let to = problems.take(text::optional_date(to, "to")).flatten();
        problems.into_result()?;
        Ok(Self { site_id, from, to, include_voided })
    }

    pub fn narrow(&self, select: Select<observation::Entity>) -> Select<observation::Entity> {
        let mut select = select;
        if let Some(site) = self.site_id {
            select = select.filter(observation::Column::SiteId.eq(site));
        }
        if let Some(from) = self.from {
            select = select.filter(observation::Column::PeriodStart.gte(from));
        }
        if let Some(to) = self.to {
            select = select.filter(observation::Column::PeriodStart.lte(to));
        }
        if !self.include_voided {
            select = select.filter(observation::Column::VoidedAt.is_null());
        }
        select
    }
}
