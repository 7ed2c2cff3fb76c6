//! Spread. A royal college or professional body starts a DRAFT project from a published shared
//! result it can see, with the result's measures as they were published (definitions only, never
//! observations). Who adopted a result is counted for everyone who sees the result and listed only
//! where the reader sees the adopting project; whether adopters improved again is told only where
//! it cannot reveal what the reader could not see row by row.

use std::collections::{HashMap, HashSet};

use entity::measure;
use entity::observation;
use entity::project::{self, ProjectStatus};
use entity::shared_result::{self as result, ResultStatus};
use entity::shared_result_measure as linked;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::snapshot::{FrozenDefinition, MeasureSnapshot};
use super::visibility;
use crate::actor::Actor;
use crate::analysis::{AnalysisConfig, Verdict};
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::measures::analysis::{Periods, analyse_rows};
use crate::measures::calendar::Calendar;
use crate::paging;
use crate::projects::service::{self as projects, ProjectForm};
use crate::scope::{Batched, Row, by_rows};

/// Below this many adopting projects, whether they improved is told only to a reader who sees
/// every one of them (DESIGN.md: groups under five give a size but no rate).
pub const SMALLEST_DISCLOSED_GROUP: usize = 5;
/// Adopting projects listed on a result, newest first; `count` has them all.
pub const MAX_LISTED: u64 = 100;

/// The new project's own fields; title and aim default to the result's title and summary.
pub struct AdoptionForm {
    pub programme_id: Option<Uuid>,
    pub title: Option<String>,
    pub aim_statement: Option<String>,
    pub clinical_area: Option<String>,
}

/// The measures of a result version as its readers see them: the definition frozen at
/// publication, or, for versions published before definitions were frozen, the measure's
/// current one (read beyond the row policies: linking a measure to a published result shows
/// its definition to the result's readers). In the order they were linked.
pub async fn definitions(
    db: &Db,
    actor: &Actor,
    version_ids: &[Uuid],
) -> Result<Vec<(linked::Model, FrozenDefinition)>, ServiceError> {
    let links = paging::among(visibility::visible_links(actor), linked::Column::ResultVersionId, version_ids)
        .order_by_asc(linked::Column::Id)
        .all(db.conn())
        .await?;
    let frozen: Vec<Option<FrozenDefinition>> = links
        .iter()
        .map(|link| {
            link.snapshot
                .as_deref()
                .and_then(|text| serde_json::from_str::<MeasureSnapshot>(text).ok())
                .and_then(|s| s.definition)
        })
        .collect();
    let unfrozen: Vec<Uuid> =
        links.iter().zip(&frozen).filter(|(_, f)| f.is_none()).map(|(l, _)| l.measure_id).collect();
    let current = if unfrozen.is_empty() {
        Vec::new()
    } else {
        measure::Entity::find().filter(measure::Column::Id.is_in(unfrozen)).all(db.system().conn()).await?
    };
    Ok(links
        .into_iter()
        .zip(frozen)
        .filter_map(|(link, frozen)| {
            let definition = frozen
                .or_else(|| current.iter().find(|m| m.id == link.measure_id).map(FrozenDefinition::of))?;
            Some((link, definition))
        })
        .collect())
}

/// Starts a DRAFT project for the actor's college or professional body from a published result
/// it can see. A result it cannot see is reported as one that does not exist.
pub async fn adopt(
    db: &Db,
    actor: &Actor,
    version_id: Uuid,
    form: AdoptionForm,
) -> Result<project::Model, ServiceError> {
    let source = visibility::visible_to(actor)
        .filter(result::Column::Id.eq(version_id))
        .one(db.conn())
        .await?
        .ok_or(ServiceError::NotFound { field: "resultId" })?;
    if source.status != ResultStatus::Published {
        return Err(ServiceError::invalid(
            "resultId",
            UserErrorCode::NotAllowedInStatus,
            "only a published version can be adopted; publish it, or adopt the published version",
        ));
    }
    let definitions = definitions(db, actor, &[source.id]).await?;
    let mut project = projects::prepare(
        db,
        actor,
        form.programme_id,
        ProjectForm {
            title: Some(form.title.unwrap_or_else(|| source.title.clone())),
            aim_statement: Some(form.aim_statement.unwrap_or_else(|| source.summary.clone())),
            clinical_area: form.clinical_area,
            ..ProjectForm::default()
        },
    )
    .await?;
    project.adopted_from_result_id = Some(source.id);
    let now = db.now();
    let mut measures = Vec::with_capacity(definitions.len());
    for (link, definition) in &definitions {
        // A definition naming a kind this version no longer knows cannot be copied faithfully.
        let Some((kind, unit, direction, frequency)) = definition.parts() else { continue };
        measures.push(measure::Model {
            name: definition.name.clone(),
            operational_definition: definition.operational_definition.clone(),
            kind,
            unit,
            direction,
            frequency,
            adopted_from_measure_id: Some(link.measure_id),
            ..crate::measures::service::blank(project.id, now)
        });
    }
    let txn = db.begin().await?;
    project::Entity::insert(project::ActiveModel::from(project.clone())).exec_without_returning(&txn).await?;
    if !measures.is_empty() {
        measure::Entity::insert_many(measures.into_iter().map(measure::ActiveModel::from))
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        actor.into(),
        Some(project.lead_institution_id),
        "project.adopt",
        Subject { kind: "Project", id: project.id },
    )
    .await?;
    txn.commit().await?;
    Ok(project)
}

/// Every project started from any version of these results (by `result_id`), withdrawn ones
/// left out, newest first; read beyond the actor's scope, so callers decide what to tell.
async fn adopters(db: &Db, result_ids: &[Uuid]) -> Result<Vec<(Uuid, project::Model)>, ServiceError> {
    let system = db.system();
    let versions: Vec<(Uuid, Uuid)> =
        paging::among(result::Entity::find(), result::Column::ResultId, result_ids)
            .select_only()
            .column(result::Column::Id)
            .column(result::Column::ResultId)
            .into_tuple()
            .all(system.conn())
            .await?;
    let version_ids: Vec<Uuid> = versions.iter().map(|(id, _)| *id).collect();
    let adopting = paging::among(project::Entity::find(), project::Column::AdoptedFromResultId, &version_ids)
        .filter(project::Column::Status.ne(ProjectStatus::Withdrawn))
        .order_by_desc(project::Column::Id)
        .all(system.conn())
        .await?;
    let result_of: HashMap<Uuid, Uuid> = versions.into_iter().collect();
    Ok(adopting
        .into_iter()
        .filter_map(|p| {
            let result_id = p.adopted_from_result_id.and_then(|v| result_of.get(&v).copied())?;
            Some((result_id, p))
        })
        .collect())
}

/// Which of these projects the actor sees.
async fn visible_among(db: &Db, actor: &Actor, ids: &[Uuid]) -> Result<HashSet<Uuid>, ServiceError> {
    let visible: Vec<Uuid> = paging::among(projects::visible_to(actor), project::Column::Id, ids)
        .select_only()
        .column(project::Column::Id)
        .into_tuple()
        .all(db.conn())
        .await?;
    Ok(visible.into_iter().collect())
}

/// A result's adoptions as a reader sees them: how many (all), and those it may see.
#[derive(Clone, Debug, Default)]
pub struct Adoptions {
    pub count: usize,
    pub visible: Vec<project::Model>,
}

/// The adoptions of each result version's result, for the GraphQL layer's batches.
pub struct AdoptionsOfResults;

impl Batched for AdoptionsOfResults {
    type Key = Row<result::Model>;
    type Value = Adoptions;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<result::Model>],
    ) -> Result<HashMap<Row<result::Model>, Adoptions>, ServiceError> {
        by_rows(keys, async |versions| {
            let result_ids: Vec<Uuid> = versions.iter().map(|v| v.result_id).collect();
            let adopting = adopters(db, &result_ids).await?;
            let ids: Vec<Uuid> = adopting.iter().map(|(_, p)| p.id).collect();
            let visible = visible_among(db, actor, &ids).await?;
            Ok(versions
                .iter()
                .map(|version| {
                    let of_result = adopting.iter().filter(|(r, _)| *r == version.result_id);
                    let adoptions = Adoptions {
                        count: of_result.clone().count(),
                        visible: of_result
                            .filter(|(_, p)| visible.contains(&p.id))
                            .map(|(_, p)| p.clone())
                            .take(MAX_LISTED as usize)
                            .collect(),
                    };
                    (version.id, adoptions)
                })
                .collect())
        })
        .await
    }
}

/// Whether a result spread: how many projects adopted it and, where it may be told, how many of
/// them have data enough for a verdict on an adopted measure and how many improve on one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    pub adoptions: usize,
    pub visible_adoptions: usize,
    /// `None` where telling would reveal projects the reader cannot see (fewer than five
    /// adoptions, not all visible).
    pub measuring: Option<usize>,
    pub improved_again: Option<usize>,
}

/// Verdict tallies per adopting project, from its adopted measures only (all sites pooled,
/// default rules), read beyond the actor's scope: callers disclose them per `Spread`'s rule.
async fn adopted_verdicts(
    db: &Db,
    project_ids: &[Uuid],
) -> Result<HashMap<Uuid, (bool, bool)>, ServiceError> {
    let system = db.system();
    let measures = paging::among(measure::Entity::find(), measure::Column::ProjectId, project_ids)
        .filter(measure::Column::AdoptedFromMeasureId.is_not_null())
        .order_by_asc(measure::Column::Id)
        .all(system.conn())
        .await?;
    let ids: Vec<Uuid> = measures.iter().map(|m| m.id).collect();
    let rows = paging::among(observation::Entity::find(), observation::Column::MeasureId, &ids)
        .filter(observation::Column::VoidedAt.is_null())
        .all(system.conn())
        .await?;
    let calendar = Calendar::of_rows(system.conn(), db.now(), &rows).await?;
    let mut by_measure: HashMap<Uuid, Vec<&observation::Model>> = HashMap::new();
    for row in &rows {
        by_measure.entry(row.measure_id).or_default().push(row);
    }
    let mut out: HashMap<Uuid, (bool, bool)> = HashMap::new();
    for measure in &measures {
        let rows = by_measure.get(&measure.id).cloned().unwrap_or_default();
        let verdict =
            analyse_rows(measure, &rows, None, AnalysisConfig::default(), &calendar, &Periods::default())
                .analysis
                .verdict
                .verdict;
        let (measuring, improving) = out.entry(measure.project_id).or_default();
        *measuring |= verdict != Verdict::InsufficientData;
        *improving |= verdict == Verdict::Improving;
    }
    Ok(out)
}

/// The spread of each of these results (keyed by `result_id`), in a fixed number of statements.
pub async fn spread(
    db: &Db,
    actor: &Actor,
    results: &[result::Model],
) -> Result<HashMap<Uuid, Spread>, ServiceError> {
    let result_ids: Vec<Uuid> = results.iter().map(|r| r.result_id).collect();
    let adopting = adopters(db, &result_ids).await?;
    let ids: Vec<Uuid> = adopting.iter().map(|(_, p)| p.id).collect();
    let visible = visible_among(db, actor, &ids).await?;
    let verdicts = adopted_verdicts(db, &ids).await?;
    Ok(result_ids
        .into_iter()
        .map(|result_id| {
            let of_result: Vec<&project::Model> =
                adopting.iter().filter(|(r, _)| *r == result_id).map(|(_, p)| p).collect();
            let adoptions = of_result.len();
            let visible_adoptions = of_result.iter().filter(|p| visible.contains(&p.id)).count();
            let disclosed = adoptions >= SMALLEST_DISCLOSED_GROUP || visible_adoptions == adoptions;
            let tally = |pick: fn(&(bool, bool)) -> bool| {
                of_result.iter().filter(|p| verdicts.get(&p.id).is_some_and(pick)).count()
            };
            let spread = Spread {
                adoptions,
                visible_adoptions,
                measuring: disclosed.then(|| tally(|v| v.0)),
                improved_again: disclosed.then(|| tally(|v| v.1)),
            };
            (result_id, spread)
        })
        .collect())
}
