//! The springboard team: who works on the project, in which role, for how many hours a week;
//! and whether that meets the programme's springboard rule.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::membership;
use entity::project::{self};
use entity::project_site::{self, SiteStatus};
use entity::team_member::{self, ProjectRole};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::changes::{self, Change};
use super::service::{self, require_lead_writer};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::programmes::criteria::SpringboardRule;
use crate::text;

pub const MAX_HOURS_PER_WEEK: f64 = 100.0;

/// How a team measures up to a springboard rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    pub hours_by_role: BTreeMap<ProjectRole, f64>,
    pub total_hours: f64,
    /// Role groups nobody on the team fills.
    pub missing_role_groups: Vec<Vec<ProjectRole>>,
    /// Hours a week still needed to reach the rule's minimum; zero when met.
    pub hours_short: f64,
}

impl Capacity {
    pub fn meets_rule(&self) -> bool {
        self.missing_role_groups.is_empty() && self.hours_short <= 0.0
    }
}

/// Measures the team members still serving on `on` against `rule`.
pub fn capacity(rule: &SpringboardRule, team: &[team_member::Model], on: NaiveDate) -> Capacity {
    let mut hours_by_role: BTreeMap<ProjectRole, f64> = BTreeMap::new();
    for member in team.iter().filter(|m| service::is_current(m, on)) {
        *hours_by_role.entry(member.role).or_default() += member.hours_per_week;
    }
    // A fold from 0.0, not `sum()`, which starts at -0.0 and would report "-0 hours".
    let total_hours = hours_by_role.values().fold(0.0, |total, hours| total + hours);
    let missing_role_groups = rule
        .role_groups
        .iter()
        .filter(|group| !group.iter().any(|role| hours_by_role.contains_key(role)))
        .cloned()
        .collect();
    let hours_short = (rule.min_weekly_hours - total_hours).max(0.0);
    Capacity { hours_by_role, total_hours, missing_role_groups, hours_short }
}

/// A project's team as the actor may see it, in the order members were added.
pub async fn of_project(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
) -> Result<Vec<team_member::Model>, ServiceError> {
    Ok(service::visible_team(actor)
        .filter(team_member::Column::ProjectId.eq(project_id))
        .order_by_asc(team_member::Column::Id)
        .all(db.conn())
        .await?)
}

pub struct TeamMemberForm {
    pub user_id: Option<Uuid>,
    pub external_name: Option<String>,
    pub institution_id: Uuid,
    pub role: ProjectRole,
    pub hours_per_week: f64,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

fn check_hours(hours: f64) -> Result<f64, FieldError> {
    if hours.is_finite() && hours > 0.0 && hours <= MAX_HOURS_PER_WEEK {
        Ok(hours)
    } else {
        Err(FieldError::new(
            "hoursPerWeek",
            UserErrorCode::Invalid,
            format!("must be more than 0 and at most {MAX_HOURS_PER_WEEK}"),
        ))
    }
}

/// The lead adds a person from a participating institution (the lead or a site that has not
/// declined): a user of that institution, or a named external person.
pub async fn add(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    form: TeamMemberForm,
) -> Result<team_member::Model, ServiceError> {
    let project = service::require(db, actor, project_id, "projectId").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Team, "projectId")?;
    let mut problems = Problems::default();
    let hours = problems.take(check_hours(form.hours_per_week));
    let external_name = problems.take(text::optional(form.external_name.as_deref(), "externalName", 200));
    match (&form.user_id, &external_name) {
        (Some(_), Some(Some(_))) | (None, Some(None)) => problems.push(FieldError::new(
            "userId",
            UserErrorCode::Invalid,
            "give either a user or an external person's name",
        )),
        _ => {}
    }
    problems.take(text::optional_date(form.starts_on, "startsOn"));
    problems.take(text::optional_date(form.ends_on, "endsOn"));
    if let (Some(start), Some(end)) = (form.starts_on, form.ends_on)
        && end < start
    {
        problems.push(FieldError::new("endsOn", UserErrorCode::Invalid, "must be on or after the start"));
    }
    problems.into_result()?;

    let participating = form.institution_id == project.lead_institution_id
        || project_site::Entity::find()
            .filter(project_site::Column::ProjectId.eq(project.id))
            .filter(project_site::Column::InstitutionId.eq(form.institution_id))
            .filter(project_site::Column::Status.ne(SiteStatus::Declined))
            .one(db.conn())
            .await?
            .is_some();
    if !participating {
        return Err(ServiceError::invalid(
            "institutionId",
            UserErrorCode::NotEligible,
            "the institution is neither the lead nor a site of the project",
        ));
    }
    if let Some(user_id) = form.user_id {
        // The lead may ask whether a person belongs to a site, not read the site's members: a
        // question the row level policies cannot tell from a listing, so it is asked outside them.
        let member = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user_id))
            .filter(membership::Column::InstitutionId.eq(form.institution_id))
            .one(db.system().conn())
            .await?;
        if member.is_none() {
            return Err(ServiceError::NotFound { field: "userId" });
        }
    }
    let now = db.now();
    let model = team_member::Model {
        id: Uuid::now_v7(),
        project_id,
        institution_id: form.institution_id,
        user_id: form.user_id,
        external_name: external_name.flatten(),
        role: form.role,
        hours_per_week: hours.unwrap_or_default(),
        starts_on: form.starts_on,
        ends_on: form.ends_on,
        created_at: now,
        updated_at: now,
    };
    let txn = db.begin().await?;
    team_member::Entity::insert(team_member::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "team_member.add",
        Subject { kind: "TeamMember", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub struct TeamMemberChanges {
    pub role: Option<ProjectRole>,
    pub hours_per_week: Option<f64>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

async fn visible_member(
    db: &Db,
    actor: &Actor,
    id: Uuid,
) -> Result<(team_member::Model, project::Model), ServiceError> {
    let member = service::visible_team(actor)
        .filter(team_member::Column::Id.eq(id))
        .one(db.conn())
        .await?
        .ok_or(ServiceError::NotFound { field: "teamMemberId" })?;
    let project = service::require(db, actor, member.project_id, "teamMemberId").await?;
    Ok((member, project))
}

pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    changes: TeamMemberChanges,
) -> Result<team_member::Model, ServiceError> {
    let (mut member, project) = visible_member(db, actor, id).await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Team, "teamMemberId")?;
    let mut problems = Problems::default();
    if let Some(hours) = changes.hours_per_week.and_then(|h| problems.take(check_hours(h))) {
        member.hours_per_week = hours;
    }
    member.role = changes.role.unwrap_or(member.role);
    let starts_on = problems.take(text::optional_date(changes.starts_on, "startsOn")).flatten();
    let ends_on = problems.take(text::optional_date(changes.ends_on, "endsOn")).flatten();
    member.starts_on = starts_on.or(member.starts_on);
    member.ends_on = ends_on.or(member.ends_on);
    if let (Some(start), Some(end)) = (member.starts_on, member.ends_on)
        && end < start
    {
        problems.push(FieldError::new("endsOn", UserErrorCode::Invalid, "must be on or after the start"));
    }
    problems.into_result()?;
    member.updated_at = db.now();
    let txn = db.begin().await?;
    let mut active = sea_orm::ActiveModelTrait::reset_all(team_member::ActiveModel::from(member.clone()));
    active.id = sea_orm::ActiveValue::Unchanged(member.id);
    sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "team_member.update",
        Subject { kind: "TeamMember", id },
    )
    .await?;
    txn.commit().await?;
    Ok(member)
}

pub async fn remove(db: &Db, actor: &Actor, id: Uuid) -> Result<Uuid, ServiceError> {
    let (member, project) = visible_member(db, actor, id).await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Team, "teamMemberId")?;
    let txn = db.begin().await?;
    team_member::Entity::delete_by_id(member.id).exec(&txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "team_member.remove",
        Subject { kind: "TeamMember", id },
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: ProjectRole, hours: f64, ends_on: Option<NaiveDate>) -> team_member::Model {
        let now = chrono::Utc::now();
        team_member::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            institution_id: Uuid::nil(),
            user_id: None,
            external_name: Some("X".into()),
            role,
            hours_per_week: hours,
            starts_on: None,
            ends_on,
            created_at: now,
            updated_at: now,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap()
    }

    #[test]
    fn a_full_team_meets_the_default_rule() {
        let team = [
            member(ProjectRole::ClinicalLead, 4.0, None),
            member(ProjectRole::ProjectManager, 8.0, None),
            member(ProjectRole::Evaluator, 3.0, None),
        ];
        let capacity = capacity(&SpringboardRule::default(), &team, day(10));
        assert!(capacity.meets_rule(), "{capacity:?}");
        assert_eq!(capacity.total_hours, 15.0);
    }

    #[test]
    fn missing_roles_and_hours_are_named() {
        let team = [
            member(ProjectRole::ClinicalLead, 4.0, None),
            member(ProjectRole::DataAnalyst, 2.0, Some(day(1))),
        ];
        let capacity = capacity(&SpringboardRule::default(), &team, day(10));
        assert!(!capacity.meets_rule());
        assert_eq!(
            capacity.missing_role_groups,
            vec![vec![ProjectRole::ProjectManager], vec![ProjectRole::DataAnalyst, ProjectRole::Evaluator]],
            "a member whose period ended no longer counts"
        );
        assert_eq!(capacity.hours_short, 11.0);
    }

    #[test]
    fn an_empty_team_has_zero_hours_not_negative_zero() {
        let capacity = capacity(&SpringboardRule::default(), &[], day(10));
        assert!(capacity.total_hours.is_sign_positive());
        assert_eq!(capacity.hours_short, 15.0);
    }

    #[test]
    fn hours_must_be_positive_and_bounded() {
        for bad in [0.0, -1.0, 100.5, f64::NAN, f64::INFINITY] {
            assert!(check_hours(bad).is_err(), "{bad}");
        }
        assert!(check_hours(37.5).is_ok());
    }
}
