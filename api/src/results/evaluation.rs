//! The programme evaluation, for its funder: projects by status, how many show measurable
//! improvement, engagement per project, what got in the way, what was published, how data
//! arrives, which projects are short of the time they committed, whether published results
//! spread, and whether the capacity rule predicted who improved.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use entity::project::{self, ProjectStatus};
use entity::shared_result::{self as result, ResultOutcome, ResultStatus};
use entity::{engagement_record, programme};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::adoption::{self, Spread};
use super::capacity::{self, DimensionImprovement};
use super::{BarrierTag, engagement, visibility};
use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::burden::{self, Burden};
use crate::measures::data_flow::{self, ProjectFlow};
use crate::measures::rollup::{self, ProgrammeImprovement};
use crate::paging;
use crate::projects::service as projects;
use crate::projects::team_time;
use crate::scope::{Batched, Row, by_rows};

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
    /// Each project's data flow and monitoring forecast.
    pub data_flow: Vec<(project::Model, ProjectFlow, Burden)>,
    /// Projects whose reported time stayed below three quarters of commitment for two ended
    /// months running, with the latest such pair and the lower share.
    pub time_pressure: Vec<(project::Model, NaiveDate, NaiveDate, f64)>,
    /// Each published result's spread, in `published`'s order.
    pub spread: Vec<(result::Model, Spread)>,
    /// Improvement grouped by the capacity the funding gate counted, per dimension.
    pub improvement_by_capacity: Vec<DimensionImprovement>,
}

/// The evaluation of each programme the actor funds (the others are left out; callers check
/// `rollup::require_funder` first), in a fixed number of statements however many programmes.
pub async fn evaluate(
    db: &Db,
    actor: &Actor,
    programmes: &[programme::Model],
) -> Result<HashMap<Uuid, Evaluation>, ServiceError> {
    let funded: Vec<&programme::Model> =
        programmes.iter().filter(|p| rollup::require_funder(actor, p).is_ok()).collect();
    let programme_ids: Vec<Uuid> = funded.iter().map(|p| p.id).collect();
    let projects = paging::among(projects::visible_to(actor), project::Column::ProgrammeId, &programme_ids)
        .order_by_asc(project::Column::Id)
        .all(db.conn())
        .await?;
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let records = paging::among(engagement::visible_to(actor), engagement_record::Column::ProjectId, &ids)
        .all(db.conn())
        .await?;
    let published_all = paging::among(visibility::visible_to(actor), result::Column::ProjectId, &ids)
        .filter(result::Column::Status.eq(ResultStatus::Published))
        .order_by_desc(result::Column::PublicationKey)
        .limit(super::service::MAX_COUNTED)
        .all(db.conn())
        .await?;
    let funded_ids: Vec<Uuid> = projects.iter().filter(|p| rollup::was_funded(p)).map(|p| p.id).collect();
    let counts = rollup::projects(db, actor, &funded_ids).await?;
    let mut improvements = rollup::summarise(&projects, &counts);
    let mut by_capacity = capacity::by_capacity(db, actor, &funded, &projects, &counts).await?;
    let mut spreads = adoption::spread(db, actor, &published_all).await?;
    let mut flows = data_flow::flows(db, actor, &projects).await?;
    let mut forecasts = burden::burdens(db, actor, &projects).await?;
    let (team, reports) = team_time::load(db, actor, &ids).await?;
    let recent = team_time::last_months(db.today(), 12);
    let mut out = HashMap::with_capacity(funded.len());
    for programme in funded {
        let mine: Vec<&project::Model> =
            projects.iter().filter(|p| p.programme_id == Some(programme.id)).collect();
        let mut projects_by_status: Vec<(ProjectStatus, usize)> = Vec::new();
        for p in &mine {
            match projects_by_status.iter_mut().find(|(s, _)| *s == p.status) {
                Some((_, n)) => *n += 1,
                None => projects_by_status.push((p.status, 1)),
            }
        }
        let engagement = mine
            .iter()
            .map(|p| {
                let of_project = records.iter().filter(|r| r.project_id == p.id);
                let sum = |f: fn(&engagement_record::Model) -> i32| {
                    of_project.clone().map(|r| i64::from(f(r))).sum::<i64>()
                };
                ProjectEngagement {
                    project: (*p).clone(),
                    clinicians: sum(|r| r.clinicians),
                    service_users: sum(|r| r.service_users),
                    others: sum(|r| r.others),
                }
            })
            .collect();
        let published: Vec<result::Model> =
            published_all.iter().filter(|r| mine.iter().any(|p| p.id == r.project_id)).cloned().collect();
        let tally = super::service::count(&published);
        let spread =
            published.iter().map(|r| (r.clone(), spreads.remove(&r.result_id).unwrap_or_default())).collect();
        let data_flow = mine
            .iter()
            .map(|p| {
                let flow = flows.remove(&p.id).unwrap_or_default();
                let forecast = forecasts.remove(&p.id).unwrap_or_else(|| burden::forecast(&[], 0, 0.0, 0.0));
                ((*p).clone(), flow, forecast)
            })
            .collect();
        let time_pressure = mine
            .iter()
            .filter_map(|p| {
                let months = team_time::of_project(p.id, &team, &reports, &recent);
                team_time::pressure(&months, db.today()).map(|(a, b, share)| ((*p).clone(), a, b, share))
            })
            .collect();
        out.insert(
            programme.id,
            Evaluation {
                projects_by_status,
                improvement: improvements.remove(&programme.id).unwrap_or_default(),
                engagement,
                barriers: tally.barrier_tags,
                outcomes: tally.outcomes,
                published,
                data_flow,
                time_pressure,
                spread,
                improvement_by_capacity: by_capacity.remove(&programme.id).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// `evaluate` for the GraphQL layer's batches.
pub struct Evaluations;

impl Batched for Evaluations {
    type Key = Row<programme::Model>;
    type Value = Arc<Evaluation>;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<programme::Model>],
    ) -> Result<HashMap<Row<programme::Model>, Arc<Evaluation>>, ServiceError> {
        let found = by_rows(keys, async |rows| evaluate(db, actor, &rows).await).await?;
        Ok(found.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}
