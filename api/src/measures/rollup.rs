//! Roll-ups: how many of a project's measures improve, and how many of a programme's projects
//! show measurable improvement on at least one outcome measure (all sites pooled, default rules).
//! Both work on many projects or programmes at once, in a fixed number of statements.

use std::collections::HashMap;

use entity::measure::{self, MeasureKind};
use entity::programme;
use entity::project::{self, ProjectStatus};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::analysis::{Periods, analyse_rows, observations_of};
use super::calendar::Calendar;
use crate::actor::Actor;
use crate::analysis::{AnalysisConfig, Verdict};
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging;
use crate::projects::service as projects;
use crate::scope::{Batched, Row, by_rows};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerdictCounts {
    pub measures: usize,
    pub improving: usize,
    pub deteriorating: usize,
    pub no_signal: usize,
    pub insufficient_data: usize,
    /// At least one OUTCOME measure is IMPROVING.
    pub outcome_improving: bool,
}

/// Verdicts of each project's measures; projects the actor cannot see count nothing.
pub async fn projects(
    db: &Db,
    actor: &Actor,
    project_ids: &[Uuid],
) -> Result<HashMap<Uuid, VerdictCounts>, ServiceError> {
    let measures = paging::among(super::service::visible_to(actor), measure::Column::ProjectId, project_ids)
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?;
    let ids: Vec<Uuid> = measures.iter().map(|m| m.id).collect();
    let observations = observations_of(db, actor, &ids).await?;
    let calendar = Calendar::of_rows(db.conn(), db.now(), observations.values().flatten()).await?;
    let mut counts: HashMap<Uuid, VerdictCounts> =
        project_ids.iter().map(|id| (*id, VerdictCounts::default())).collect();
    for measure in &measures {
        let rows: Vec<_> = observations.get(&measure.id).map(|r| r.iter().collect()).unwrap_or_default();
        let verdict =
            analyse_rows(measure, &rows, None, AnalysisConfig::default(), &calendar, &Periods::default())
                .analysis
                .verdict
                .verdict;
        let count = counts.entry(measure.project_id).or_default();
        count.measures += 1;
        match verdict {
            Verdict::Improving => {
                count.improving += 1;
                count.outcome_improving |= measure.kind == MeasureKind::Outcome;
            }
            Verdict::Deteriorating => count.deteriorating += 1,
            Verdict::NoSignal => count.no_signal += 1,
            Verdict::InsufficientData => count.insufficient_data += 1,
        }
    }
    Ok(counts)
}

/// `projects` for the GraphQL layer's batches.
pub struct ProjectImprovement;

impl Batched for ProjectImprovement {
    type Key = Uuid;
    type Value = VerdictCounts;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, VerdictCounts>, ServiceError> {
        projects(db, actor, keys).await
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProgrammeImprovement {
    /// Projects that were funded (FUNDED, ACTIVE or COMPLETED).
    pub funded_projects: usize,
    /// Of those, how many have at least one measure.
    pub projects_measuring: usize,
    /// Of those, how many show improvement on at least one OUTCOME measure.
    pub projects_improving: usize,
}

/// A programme's evaluation is for its funder.
pub fn require_funder(actor: &Actor, programme: &programme::Model) -> Result<(), ServiceError> {
    if actor.institution_id()? != programme.funder_institution_id {
        return Err(ServiceError::Forbidden("the programme's evaluation is for its funder"));
    }
    Ok(())
}

/// For each programme the actor funds; the others are left out.
pub async fn programmes(
    db: &Db,
    actor: &Actor,
    programmes: &[programme::Model],
) -> Result<HashMap<Uuid, ProgrammeImprovement>, ServiceError> {
    let ids: Vec<Uuid> =
        programmes.iter().filter(|p| require_funder(actor, p).is_ok()).map(|p| p.id).collect();
    let funded = paging::among(projects::visible_to(actor), project::Column::ProgrammeId, &ids)
        .filter(project::Column::Status.is_in([
            ProjectStatus::Funded,
            ProjectStatus::Active,
            ProjectStatus::Completed,
        ]))
        .all(db.conn())
        .await?;
    let counts = projects(db, actor, &funded.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    let mut out = summarise(&funded, &counts);
    for id in ids {
        out.entry(id).or_default();
    }
    Ok(out)
}

/// Whether a project has been funded (and so counts in its programme's roll-ups).
pub fn was_funded(project: &project::Model) -> bool {
    matches!(project.status, ProjectStatus::Funded | ProjectStatus::Active | ProjectStatus::Completed)
}

/// Each programme's roll-up from its funded projects' verdict counts (other projects are skipped).
pub fn summarise(
    projects: &[project::Model],
    counts: &HashMap<Uuid, VerdictCounts>,
) -> HashMap<Uuid, ProgrammeImprovement> {
    let mut out: HashMap<Uuid, ProgrammeImprovement> = HashMap::new();
    for project in projects.iter().filter(|p| was_funded(p)) {
        let (Some(programme_id), Some(counts)) = (project.programme_id, counts.get(&project.id)) else {
            continue;
        };
        let entry = out.entry(programme_id).or_default();
        entry.funded_projects += 1;
        entry.projects_measuring += usize::from(counts.measures > 0);
        entry.projects_improving += usize::from(counts.outcome_improving);
    }
    out
}

/// `programmes` for the GraphQL layer's batches.
pub struct ProgrammeImprovements;

impl Batched for ProgrammeImprovements {
    type Key = Row<programme::Model>;
    type Value = ProgrammeImprovement;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<programme::Model>],
    ) -> Result<HashMap<Row<programme::Model>, ProgrammeImprovement>, ServiceError> {
        by_rows(keys, async |rows| programmes(db, actor, &rows).await).await
    }
}
