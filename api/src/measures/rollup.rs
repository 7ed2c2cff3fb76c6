//! Roll-ups: how many of a project's measures improve, and how many of a programme's projects
//! show measurable improvement on at least one outcome measure (all sites pooled, default rules).

use entity::measure::{self, MeasureKind};
use entity::programme;
use entity::project::{self, ProjectStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::analysis::analyse;
use crate::actor::Actor;
use crate::analysis::{AnalysisConfig, Verdict};
use crate::db::Db;
use crate::error::ServiceError;

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

/// Verdicts of a project's measures (the caller has been allowed to see the project).
pub async fn project(db: &Db, project_id: uuid::Uuid) -> Result<VerdictCounts, ServiceError> {
    let measures = measure::Entity::find()
        .filter(measure::Column::ProjectId.eq(project_id))
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?;
    let mut counts = VerdictCounts { measures: measures.len(), ..Default::default() };
    for measure in &measures {
        let verdict = analyse(db, measure, None, AnalysisConfig::default()).await?.analysis.verdict.verdict;
        match verdict {
            Verdict::Improving => {
                counts.improving += 1;
                counts.outcome_improving |= measure.kind == MeasureKind::Outcome;
            }
            Verdict::Deteriorating => counts.deteriorating += 1,
            Verdict::NoSignal => counts.no_signal += 1,
            Verdict::InsufficientData => counts.insufficient_data += 1,
        }
    }
    Ok(counts)
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

/// For the programme's funder only.
pub async fn programme(
    db: &Db,
    actor: &Actor,
    programme: &programme::Model,
) -> Result<ProgrammeImprovement, ServiceError> {
    if actor.institution_id()? != programme.funder_institution_id {
        return Err(ServiceError::Forbidden("the programme's evaluation is for its funder"));
    }
    let projects = project::Entity::find()
        .filter(project::Column::ProgrammeId.eq(programme.id))
        .filter(project::Column::Status.is_in([
            ProjectStatus::Funded,
            ProjectStatus::Active,
            ProjectStatus::Completed,
        ]))
        .all(db.conn())
        .await?;
    let mut result = ProgrammeImprovement { funded_projects: projects.len(), ..Default::default() };
    for project in &projects {
        let counts = self::project(db, project.id).await?;
        if counts.measures > 0 {
            result.projects_measuring += 1;
        }
        if counts.outcome_improving {
            result.projects_improving += 1;
        }
    }
    Ok(result)
}
