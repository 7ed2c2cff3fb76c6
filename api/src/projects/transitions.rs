//! Moving a project through its lifecycle (all but the funding decision, see `funding`).

use entity::project::{self, ProjectStatus};
use entity::project_site;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use super::lifecycle::{self, Party};
use super::service::{self as projects, Standing};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::programmes::service as programmes;

/// The states this actor could move the project to now (preconditions aside).
pub fn available(project: &project::Model, standing: Standing) -> Vec<ProjectStatus> {
    if !standing.may_write {
        return Vec::new();
    }
    lifecycle::moves_from(project.status)
        .into_iter()
        .filter(|(_, party)| match party {
            Party::Lead => standing.is_lead,
            Party::Funder => standing.is_funder,
        })
        .map(|(to, _)| to)
        .collect()
}

pub async fn transition(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    to: ProjectStatus,
) -> Result<project::Model, ServiceError> {
    let current = projects::require(db, actor, project_id, "projectId").await?;
    let standing = projects::standing(db.conn(), actor, &current).await?;
    if matches!(to, ProjectStatus::Funded | ProjectStatus::Declined)
        && current.status == ProjectStatus::Submitted
    {
        return Err(ServiceError::invalid(
            "to",
            UserErrorCode::InvalidTransition,
            "funding is decided with decideFunding",
        ));
    }
    let Some(party) = lifecycle::who_may(current.status, to) else {
        return Err(ServiceError::invalid(
            "to",
            UserErrorCode::InvalidTransition,
            format!("cannot move to {}: {}", lifecycle::name(to), lifecycle::explain(current.status)),
        ));
    };
    actor.require_writer()?;
    match party {
        Party::Lead if !standing.is_lead => {
            return Err(ServiceError::Forbidden("only the lead institution makes this move"));
        }
        Party::Funder if !standing.is_funder => {
            return Err(ServiceError::Forbidden("only the programme's funder makes this move"));
        }
        _ => {}
    }
    if to == ProjectStatus::Submitted {
        check_submittable(db, &current).await?;
    }
    let txn = db.begin().await?;
    let now = db.now();
    let submitted_at = match (to, current.submitted_at) {
        (ProjectStatus::Submitted, None) => Some(now),
        (_, earlier) => earlier,
    };
    let changed = project::Entity::update_many()
        .col_expr(project::Column::Status, Expr::val(lifecycle::name(to)))
        .col_expr(project::Column::StatusChangedAt, Expr::val(now))
        .col_expr(project::Column::SubmittedAt, Expr::val(submitted_at))
        .col_expr(project::Column::UpdatedAt, Expr::val(now))
        .filter(project::Column::Id.eq(current.id))
        .filter(project::Column::Status.eq(current.status))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ServiceError::invalid(
            "projectId",
            UserErrorCode::Conflict,
            "the project changed meanwhile; read it again",
        ));
    }
    let action = format!("project.{}", lifecycle::name(to).to_lowercase());
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        actor.institution.map(|i| i.id),
        &action,
        Subject { kind: "Project", id: current.id },
    )
    .await?;
    txn.commit().await?;
    Ok(project::Model { status: to, status_changed_at: now, submitted_at, updated_at: now, ..current })
}

/// A bid goes to an open programme and names at least one host site.
async fn check_submittable(db: &Db, project: &project::Model) -> Result<(), ServiceError> {
    let mut problems = Vec::new();
    match project.programme_id {
        None => problems.push(FieldError::new(
            "programmeId",
            UserErrorCode::Required,
            "a project is submitted to a programme",
        )),
        Some(programme_id) => {
            let programme = entity::programme::Entity::find_by_id(programme_id).one(db.conn()).await?;
            if !programme.is_some_and(|p| programmes::is_bidding_open(&p, db.today())) {
                problems.push(FieldError::new(
                    "programmeId",
                    UserErrorCode::BiddingClosed,
                    "the programme is not open for bids today",
                ));
            }
        }
    }
    let sites = project_site::Entity::find()
        .filter(project_site::Column::ProjectId.eq(project.id))
        .count(db.conn())
        .await?;
    if sites == 0 {
        problems.push(FieldError::new(
            "sites",
            UserErrorCode::NoAcceptedSite,
            "name at least one host site before submitting",
        ));
    }
    if problems.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(problems)) }
}
