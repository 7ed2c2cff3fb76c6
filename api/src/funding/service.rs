use entity::institution;
use entity::project::{self, ProjectStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::gate::{self, SiteEvidence};
use crate::actor::Actor;
use crate::assessments::service as assessments;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::programmes::service as programmes;
use crate::projects::{lifecycle, service as projects, sites, team};

/// Why a visible project would be refused funding today; empty when the gate passes.
pub async fn readiness(db: &Db, project: &project::Model) -> Result<Vec<FieldError>, ServiceError> {
    let Some(programme_id) = project.programme_id else {
        return Ok(vec![FieldError::new(
            "programmeId",
            UserErrorCode::NotEligible,
            "the project is not part of a programme",
        )]);
    };
    let Some((_, criteria)) = programmes::criteria_of(db, programme_id).await? else {
        return Err(ServiceError::internal(MissingProgramme(programme_id)));
    };
    let site_rows = sites::of_project(db, project.id).await?;
    let institution_ids: Vec<Uuid> = site_rows.iter().map(|s| s.institution_id).collect();
    let names = institution::Entity::find()
        .filter(institution::Column::Id.is_in(institution_ids.iter().copied()))
        .all(db.conn())
        .await?;
    let current = assessments::current_for_sites(db, project.id, &institution_ids).await?;
    let evidence: Vec<SiteEvidence<'_>> = site_rows
        .iter()
        .map(|site| SiteEvidence {
            site,
            institution_name: names
                .iter()
                .find(|n| n.id == site.institution_id)
                .map_or("a site", |n| n.name.as_str()),
            assessment: current.iter().find(|a| a.assessed_institution_id == site.institution_id),
        })
        .collect();
    let team_members = team::of_project(db, project.id).await?;
    Ok(gate::evaluate(&criteria, &evidence, &team_members, db.today()))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Fund,
    Decline,
}

/// The programme's funder decides a SUBMITTED project: FUNDED only through the gate, with an
/// awarded budget; DECLINED at any time.
pub async fn decide(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    decision: Decision,
    awarded_budget: Option<i64>,
) -> Result<project::Model, ServiceError> {
    let current = projects::require(db, actor, project_id, "projectId").await?;
    let standing = projects::standing(db.conn(), actor, &current).await?;
    if !standing.is_funder {
        return Err(ServiceError::Forbidden("only the programme's funder decides funding"));
    }
    actor.require_writer()?;
    if current.status != ProjectStatus::Submitted {
        return Err(ServiceError::invalid(
            "projectId",
            UserErrorCode::InvalidTransition,
            format!("funding is decided for SUBMITTED projects; {}", lifecycle::explain(current.status)),
        ));
    }
    let (to, budget) = match decision {
        Decision::Decline => (ProjectStatus::Declined, None),
        Decision::Fund => {
            let budget = match awarded_budget {
                Some(b) if (0..=projects::MAX_BUDGET).contains(&b) => b,
                Some(_) => {
                    return Err(ServiceError::invalid(
                        "awardedBudget",
                        UserErrorCode::Invalid,
                        format!("must be between 0 and {} pounds", projects::MAX_BUDGET),
                    ));
                }
                None => {
                    return Err(ServiceError::invalid(
                        "awardedBudget",
                        UserErrorCode::Required,
                        "funding needs an awarded budget",
                    ));
                }
            };
            let failures = readiness(db, &current).await?;
            if !failures.is_empty() {
                return Err(ServiceError::Invalid(failures));
            }
            (ProjectStatus::Funded, Some(budget))
        }
    };
    let txn = db.begin().await?;
    let now = db.now();
    let changed = project::Entity::update_many()
        .col_expr(project::Column::Status, Expr::val(sea_orm::ActiveEnum::to_value(&to)))
        .col_expr(project::Column::BudgetAwarded, Expr::val(budget))
        .col_expr(project::Column::StatusChangedAt, Expr::val(now))
        .col_expr(project::Column::UpdatedAt, Expr::val(now))
        .filter(project::Column::Id.eq(current.id))
        .filter(project::Column::Status.eq(ProjectStatus::Submitted))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(ServiceError::invalid(
            "projectId",
            UserErrorCode::Conflict,
            "the project changed meanwhile; read it again",
        ));
    }
    let action = if to == ProjectStatus::Funded { "project.fund" } else { "project.decline" };
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        actor.institution.map(|i| i.id),
        action,
        Subject { kind: "Project", id: current.id },
    )
    .await?;
    txn.commit().await?;
    Ok(project::Model {
        status: to,
        budget_awarded: budget,
        status_changed_at: now,
        updated_at: now,
        ..current
    })
}

#[derive(Debug, thiserror::Error)]
#[error("project refers to missing programme {0}")]
struct MissingProgramme(Uuid);
