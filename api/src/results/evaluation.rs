//! The programme evaluation, for its funder: projects by status, how many show measurable
//! improvement, engagement per project, what got in the way, and what was published.

use entity::project::{self, ProjectStatus};
use entity::shared_result::{self as result, ResultOutcome, ResultStatus};
use entity::{engagement_record, programme};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::BarrierTag;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::rollup::{self, ProgrammeImprovement};

pub struct ProjectEngagement {
    pub project: project::Model,
    pub clinicians: i64,
    pub service_users: i64,
    pub others: i64,
}

pub struct Evaluation {
    pub projects_by_status: Vec<(ProjectStatus, usize)>,
    pub improvement: ProgrammeImprovement,
    pub engagement: Vec<ProjectEngagement>,
    pub barriers: Vec<(BarrierTag, usize)>,
    pub outcomes: Vec<(ResultOutcome, usize)>,
    /// Published results of the programme's projects, newest first.
    pub published: Vec<result::Model>,
}

/// For the programme's funder only (anyone else: FORBIDDEN).
pub async fn evaluate(
    db: &Db,
    actor: &Actor,
    programme: &programme::Model,
) -> Result<Evaluation, ServiceError> {
    if actor.institution_id()? != programme.funder_institution_id {
        return Err(ServiceError::Forbidden("the programme's evaluation is for its funder"));
    }
    let projects = project::Entity::find()
        .filter(project::Column::ProgrammeId.eq(programme.id))
        .order_by_asc(project::Column::Id)
        .all(db.conn())
        .await?;
    let mut projects_by_status: Vec<(ProjectStatus, usize)> = Vec::new();
    for p in &projects {
        match projects_by_status.iter_mut().find(|(s, _)| *s == p.status) {
            Some((_, n)) => *n += 1,
            None => projects_by_status.push((p.status, 1)),
        }
    }
    let ids: Vec<uuid::Uuid> = projects.iter().map(|p| p.id).collect();
    let records = engagement_record::Entity::find()
        .filter(engagement_record::Column::ProjectId.is_in(ids.iter().copied()))
        .all(db.conn())
        .await?;
    let engagement = projects
        .iter()
        .map(|p| {
            let mine = records.iter().filter(|r| r.project_id == p.id);
            let sum =
                |f: fn(&engagement_record::Model) -> i32| mine.clone().map(|r| i64::from(f(r))).sum::<i64>();
            ProjectEngagement {
                project: p.clone(),
                clinicians: sum(|r| r.clinicians),
                service_users: sum(|r| r.service_users),
                others: sum(|r| r.others),
            }
        })
        .collect();
    let published = result::Entity::find()
        .filter(result::Column::ProjectId.is_in(ids.iter().copied()))
        .filter(result::Column::Status.eq(ResultStatus::Published))
        .order_by_desc(result::Column::PublicationKey)
        .limit(super::service::MAX_COUNTED)
        .all(db.conn())
        .await?;
    let tally = super::service::count(&published);
    Ok(Evaluation {
        projects_by_status,
        improvement: rollup::programme(db, actor, programme).await?,
        engagement,
        barriers: tally.barrier_tags,
        outcomes: tally.outcomes,
        published,
    })
}
