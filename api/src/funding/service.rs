use std::collections::HashMap;

use entity::project::{self, ProjectStatus};
use entity::{funding_evidence, institution, measure, programme, project_site, team_member};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::gate::{self, Shortfall, SiteEvidence};
use crate::actor::Actor;
use crate::assessments::service as assessments;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::measures::burden;
use crate::paging;
use crate::programmes::criteria::FundingCriteria;
use crate::projects::{lifecycle, service as projects};
use crate::scope::{Batched, Row, by_rows};

/// Why each of these visible projects would be refused funding today; empty when the gate
/// passes. A bounded number of statements however many projects are asked about.
pub async fn readiness(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<HashMap<Uuid, Vec<Shortfall>>, ServiceError> {
    Ok(readiness_and_evidence(db, actor, projects).await?.0)
}

/// For each project, its accepted sites and the assessment the gate counts for each.
type Evidence = HashMap<Uuid, Vec<(Uuid, Option<Uuid>)>>;

/// `readiness`, with the assessments it counted: a funding decision records them.
async fn readiness_and_evidence(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<(HashMap<Uuid, Vec<Shortfall>>, Evidence), ServiceError> {
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let programme_ids: Vec<Uuid> = projects.iter().filter_map(|p| p.programme_id).collect();
    let programmes =
        programme::Entity::find().filter(programme::Column::Id.is_in(programme_ids)).all(db.conn()).await?;
    let sites = paging::among(projects::visible_sites(actor), project_site::Column::ProjectId, &ids)
        .order_by_asc(project_site::Column::Id)
        .all(db.conn())
        .await?;
    let hosts: Vec<Uuid> = sites.iter().map(|s| s.institution_id).collect();
    let names = institution::Entity::find()
        .filter(institution::Column::Id.is_in(hosts.clone()))
        .all(db.conn())
        .await?;
    let gate_assessors: Vec<assessments::GateAssessors> = projects
        .iter()
        .map(|project| assessments::GateAssessors {
            project_id: project.id,
            assessors: counting_assessors(project, &programmes),
        })
        .collect();
    let assessments = assessments::current_for_sites(db, &gate_assessors, &hosts).await?;
    let team = paging::among(projects::visible_team(actor), team_member::Column::ProjectId, &ids)
        .order_by_asc(team_member::Column::Id)
        .all(db.conn())
        .await?;
    let measures =
        paging::among(crate::measures::service::visible_to(actor), measure::Column::ProjectId, &ids)
            .order_by_asc(measure::Column::Id)
            .all(db.conn())
            .await?;
    let today = db.today();
    let mut out = HashMap::with_capacity(projects.len());
    let mut counted = Evidence::new();
    for project in projects {
        let criteria = project
            .programme_id
            .and_then(|id| programmes.iter().find(|p| p.id == id))
            .map(FundingCriteria::from_model);
        let Some(criteria) = criteria else {
            out.insert(
                project.id,
                vec![
                    FieldError::new(
                        "programmeId",
                        UserErrorCode::NotEligible,
                        "the project is not part of a programme",
                    )
                    .into(),
                ],
            );
            continue;
        };
        let assessors = counting_assessors(project, &programmes);
        let evidence: Vec<SiteEvidence<'_>> = sites
            .iter()
            .filter(|site| site.project_id == project.id)
            .map(|site| {
                let assessment = assessments.get(&(project.id, site.institution_id));
                SiteEvidence {
                    site,
                    institution_name: names
                        .iter()
                        .find(|n| n.id == site.institution_id)
                        .map_or("a site", |n| n.name.as_str()),
                    assessment,
                    disclosed: disclosed(actor, project, site, &assessors, assessment),
                }
            })
            .collect();
        counted.insert(
            project.id,
            evidence
                .iter()
                .filter(|e| e.site.status == project_site::SiteStatus::Accepted)
                .map(|e| (e.site.id, e.assessment.map(|a| a.id)))
                .collect(),
        );
        let members: Vec<team_member::Model> =
            team.iter().filter(|m| m.project_id == project.id).cloned().collect();
        let burden = burden::of_project(project.id, Some(&criteria), &measures, &sites, &team, today);
        out.insert(project.id, gate::assess(&criteria, &evidence, &members, &burden, today));
    }
    Ok((out, counted))
}

/// The institutions whose assessments this project's gate counts.
fn counting_assessors(project: &project::Model, programmes: &[programme::Model]) -> Vec<Uuid> {
    let Some(programme) = project.programme_id.and_then(|id| programmes.iter().find(|p| p.id == id)) else {
        return Vec::new();
    };
    let mut assessors = vec![programme.funder_institution_id];
    if programme.lead_may_assess {
        assessors.push(project.lead_institution_id);
    }
    assessors
}

/// Whether the caller may be told the scores and dates behind a site's shortfall: when it may
/// read the assessment that counts, or, where none counts, when it is the host or one of the
/// assessors who could make one (so that nobody else learns whether a hidden one exists).
fn disclosed(
    actor: &Actor,
    project: &project::Model,
    site: &project_site::Model,
    assessors: &[Uuid],
    assessment: Option<&entity::capacity_assessment::Model>,
) -> bool {
    match assessment {
        Some(assessment) => assessments::readable_by(actor, assessment, Some(project.lead_institution_id)),
        None => actor.institution.is_some_and(|i| i.id == site.institution_id || assessors.contains(&i.id)),
    }
}

/// `readiness` for the GraphQL layer's batches.
pub struct Readiness;

impl Batched for Readiness {
    type Key = Row<project::Model>;
    type Value = Vec<Shortfall>;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<project::Model>],
    ) -> Result<HashMap<Row<project::Model>, Vec<Shortfall>>, ServiceError> {
        by_rows(keys, async |projects| readiness(db, actor, &projects).await).await
    }
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
    let mut evidence = Vec::new();
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
            let (failures, mut counted) =
                readiness_and_evidence(db, actor, std::slice::from_ref(&current)).await?;
            if let Some(failures) = failures.into_values().next().filter(|f| !f.is_empty()) {
                return Err(ServiceError::Invalid(failures.into_iter().map(|s| s.error).collect()));
            }
            evidence = counted.remove(&current.id).unwrap_or_default();
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
    // What the gate counted, kept so that the programme can later test its rule against outcomes.
    if !evidence.is_empty() {
        funding_evidence::Entity::insert_many(evidence.into_iter().map(|(site_id, assessment_id)| {
            funding_evidence::ActiveModel {
                id: Set(Uuid::now_v7()),
                project_id: Set(current.id),
                site_id: Set(site_id),
                assessment_id: Set(assessment_id),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
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
