//! Time given against time committed. A team member (or the project's manager, or the lead's
//! admins) reports the hours actually given each month; committed hours for a month are each
//! member's weekly hours over the days of the month they were on the team. A programme sees
//! early which projects are short of time: reported below three quarters of committed for two
//! ended months running, counted from a project's first report.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use entity::project::{self, ProjectStatus};
use entity::team_member::{self, ProjectRole};
use entity::time_report;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::service::{self, is_current};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::paging;
use crate::scope::{Batched, Row};

/// Reported below this share of committed hours counts as short of time.
pub const PRESSURE_SHARE: f64 = 0.75;
/// The most hours in a month: 31 days of 24.
const MAX_HOURS_PER_MONTH: f64 = 744.0;
pub const MAX_MONTHS: u8 = 24;

pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn month_end(month: NaiveDate) -> NaiveDate {
    month.checked_add_months(Months::new(1)).and_then(|m| m.pred_opt()).unwrap_or(month)
}

/// A member's committed hours in `month`: weekly hours × the days of it they were on the team / 7.
pub fn committed_in(member: &team_member::Model, month: NaiveDate) -> f64 {
    let first = member.starts_on.map_or(month, |s| s.max(month));
    let last = member.ends_on.map_or(month_end(month), |e| e.min(month_end(month)));
    if last < first {
        return 0.0;
    }
    member.hours_per_week * ((last - first).num_days() + 1) as f64 / 7.0
}

#[derive(Clone, Debug, PartialEq)]
pub struct RoleTime {
    pub role: ProjectRole,
    pub committed_hours: f64,
    pub reported_hours: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MonthTime {
    pub month: NaiveDate,
    pub committed_hours: f64,
    pub reported_hours: f64,
    /// Whether anyone reported for the month.
    pub reported: bool,
    pub by_role: Vec<RoleTime>,
}

impl MonthTime {
    pub fn share(&self) -> Option<f64> {
        (self.committed_hours > 0.0).then(|| self.reported_hours / self.committed_hours)
    }
}

/// Reported against committed for each of `months`, by role.
pub fn monthly(
    team: &[&team_member::Model],
    reports: &[&time_report::Model],
    months: &[NaiveDate],
) -> Vec<MonthTime> {
    months
        .iter()
        .map(|&month| {
            let mut by_role: Vec<RoleTime> = Vec::new();
            let mut reported = false;
            for member in team {
                let committed = committed_in(member, month);
                let given: f64 = reports
                    .iter()
                    .filter(|r| r.team_member_id == member.id && r.month == month)
                    .inspect(|_| reported = true)
                    .map(|r| r.hours)
                    .fold(0.0, |a, b| a + b);
                match by_role.iter_mut().find(|r| r.role == member.role) {
                    Some(role) => {
                        role.committed_hours += committed;
                        role.reported_hours += given;
                    }
                    None => by_role.push(RoleTime {
                        role: member.role,
                        committed_hours: committed,
                        reported_hours: given,
                    }),
                }
            }
            by_role.sort_by_key(|r| r.role);
            MonthTime {
                month,
                committed_hours: by_role.iter().map(|r| r.committed_hours).fold(0.0, |a, b| a + b),
                reported_hours: by_role.iter().map(|r| r.reported_hours).fold(0.0, |a, b| a + b),
                reported,
                by_role,
            }
        })
        .collect()
}

/// The `count` months up to and including the one holding `today`, oldest first.
pub fn last_months(today: NaiveDate, count: u8) -> Vec<NaiveDate> {
    let current = month_of(today);
    (0..u32::from(count)).rev().filter_map(|back| current.checked_sub_months(Months::new(back))).collect()
}

/// The two ended months running, if any, in which reported time stayed below three quarters of
/// committed, counting only from the first month anyone reported (before it there is nothing to
/// compare). The latest such pair.
pub fn pressure(months: &[MonthTime], today: NaiveDate) -> Option<(NaiveDate, NaiveDate, f64)> {
    let current = month_of(today);
    let first_reported = months.iter().find(|m| m.reported)?.month;
    let short = |m: &MonthTime| {
        m.month >= first_reported && m.month < current && m.share().is_some_and(|s| s < PRESSURE_SHARE)
    };
    months.windows(2).rev().find(|pair| short(&pair[0]) && short(&pair[1])).map(|pair| {
        let lowest = pair.iter().filter_map(MonthTime::share).fold(f64::INFINITY, f64::min);
        (pair[0].month, pair[1].month, lowest)
    })
}

/// Reports `hours` given by a team member in `month`; a later report for the same member and
/// month replaces it.
pub async fn report(
    db: &Db,
    actor: &Actor,
    team_member_id: Uuid,
    month: NaiveDate,
    hours: f64,
) -> Result<time_report::Model, ServiceError> {
    let user_id = actor.require_user()?;
    let member = service::visible_team(actor)
        .filter(team_member::Column::Id.eq(team_member_id))
        .one(db.conn())
        .await?
        .ok_or(ServiceError::NotFound { field: "teamMemberId" })?;
    let project = service::require(db, actor, member.project_id, "teamMemberId").await?;
    let lead_admin = actor.institution.is_some_and(|i| i.id == project.lead_institution_id)
        && actor.require_admin().is_ok();
    let manager = service::visible_team(actor)
        .filter(team_member::Column::ProjectId.eq(project.id))
        .filter(team_member::Column::UserId.eq(user_id))
        .filter(team_member::Column::Role.eq(ProjectRole::ProjectManager))
        .all(db.conn())
        .await?
        .iter()
        .any(|m| is_current(m, db.today()));
    if member.user_id != Some(user_id) && !manager && !lead_admin {
        return Err(ServiceError::Forbidden(
            "only the team member, the project's manager or the lead's admins report its time",
        ));
    }
    if !matches!(project.status, ProjectStatus::Funded | ProjectStatus::Active | ProjectStatus::Completed) {
        return Err(ServiceError::invalid(
            "teamMemberId",
            UserErrorCode::NotAllowedInStatus,
            "time is reported once a project is FUNDED, ACTIVE or COMPLETED",
        ));
    }
    let mut problems = Problems::default();
    if let Err(e) = crate::text::date(month, "month") {
        problems.push(e);
    } else if month.day() != 1 {
        problems.push(FieldError::new("month", UserErrorCode::Invalid, "a month, given as its first day"));
    } else if month > month_of(db.today()) {
        problems.push(FieldError::new(
            "month",
            UserErrorCode::Invalid,
            "time is reported for this month or earlier",
        ));
    }
    if !(hours.is_finite() && (0.0..=MAX_HOURS_PER_MONTH).contains(&hours)) {
        problems.push(FieldError::new(
            "hours",
            UserErrorCode::Invalid,
            format!("hours between 0 and {MAX_HOURS_PER_MONTH}"),
        ));
    }
    problems.into_result()?;
    let now = db.now();
    let model = time_report::Model {
        id: Uuid::now_v7(),
        project_id: project.id,
        team_member_id: member.id,
        month,
        hours,
        reported_by_user_id: user_id,
        reported_at: now,
    };
    let txn = db.begin().await?;
    time_report::Entity::insert(time_report::ActiveModel::from(model.clone()))
        .on_conflict(
            OnConflict::columns([time_report::Column::TeamMemberId, time_report::Column::Month])
                .update_columns([
                    time_report::Column::Hours,
                    time_report::Column::ReportedByUserId,
                    time_report::Column::ReportedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    let subject = Subject { kind: "TeamMember", id: member.id };
    audit::record(&txn, now, actor.into(), Some(project.lead_institution_id), "team_time.report", subject)
        .await?;
    txn.commit().await?;
    Ok(model)
}

/// Team and reports of these visible projects, in two statements.
pub async fn load(
    db: &Db,
    actor: &Actor,
    project_ids: &[Uuid],
) -> Result<(Vec<team_member::Model>, Vec<time_report::Model>), ServiceError> {
    let team = paging::among(service::visible_team(actor), team_member::Column::ProjectId, project_ids)
        .order_by_asc(team_member::Column::Id)
        .all(db.conn())
        .await?;
    let visible = service::visible_ids(actor);
    let reports = paging::among(
        time_report::Entity::find().filter(time_report::Column::ProjectId.in_subquery(visible)),
        time_report::Column::ProjectId,
        project_ids,
    )
    .all(db.conn())
    .await?;
    Ok((team, reports))
}

/// One project's months from rows loaded for many.
pub fn of_project(
    project_id: Uuid,
    team: &[team_member::Model],
    reports: &[time_report::Model],
    months: &[NaiveDate],
) -> Vec<MonthTime> {
    let own_team: Vec<&team_member::Model> = team.iter().filter(|m| m.project_id == project_id).collect();
    let own_reports: Vec<&time_report::Model> =
        reports.iter().filter(|r| r.project_id == project_id).collect();
    monthly(&own_team, &own_reports, months)
}

/// `Project.teamTime(months)` for the GraphQL layer's batches.
pub struct TeamTimes;

impl Batched for TeamTimes {
    type Key = (Row<project::Model>, u8);
    type Value = Vec<MonthTime>;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[(Row<project::Model>, u8)],
    ) -> Result<HashMap<(Row<project::Model>, u8), Vec<MonthTime>>, ServiceError> {
        let ids: Vec<Uuid> = keys.iter().map(|(row, _)| row.id).collect();
        let (team, reports) = load(db, actor, &ids).await?;
        let today = db.today();
        Ok(keys
            .iter()
            .map(|(row, count)| {
                let months = last_months(today, *count);
                ((row.clone(), *count), of_project(row.id, &team, &reports, &months))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn member(role: ProjectRole, hours: f64, starts: Option<NaiveDate>) -> team_member::Model {
        let now = Utc::now();
        team_member::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            institution_id: Uuid::nil(),
            user_id: None,
            external_name: Some("X".into()),
            role,
            hours_per_week: hours,
            starts_on: starts,
            ends_on: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn report(member: &team_member::Model, month: NaiveDate, hours: f64) -> time_report::Model {
        time_report::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            team_member_id: member.id,
            month,
            hours,
            reported_by_user_id: Uuid::nil(),
            reported_at: Utc::now(),
        }
    }

    #[test]
    fn committed_hours_follow_the_days_on_the_team() {
        // February 2026: 28 days, 4 weeks.
        assert_eq!(committed_in(&member(ProjectRole::ProjectManager, 10.0, None), day(2026, 2, 1)), 40.0);
        // Joined on the 15th: 14 days.
        assert_eq!(
            committed_in(&member(ProjectRole::ProjectManager, 7.0, Some(day(2026, 2, 15))), day(2026, 2, 1)),
            14.0
        );
        assert_eq!(
            committed_in(&member(ProjectRole::ProjectManager, 7.0, Some(day(2026, 3, 1))), day(2026, 2, 1)),
            0.0
        );
    }

    #[test]
    fn two_short_months_running_are_pressure_one_is_not() {
        let pm = member(ProjectRole::ProjectManager, 7.0, None);
        let months = [day(2026, 2, 1), day(2026, 3, 1), day(2026, 4, 1), day(2026, 5, 1)];
        // Committed: 28, 31, 30, 31 hours. Reported: full, 20 (65 %), 25 (83 %), 10.
        let reports = [
            report(&pm, months[0], 28.0),
            report(&pm, months[1], 20.0),
            report(&pm, months[2], 25.0),
            report(&pm, months[3], 10.0),
        ];
        let refs: Vec<&time_report::Model> = reports.iter().collect();
        let time = monthly(&[&pm], &refs, &months);
        assert_eq!(
            time[1].by_role,
            vec![RoleTime { role: ProjectRole::ProjectManager, committed_hours: 31.0, reported_hours: 20.0 }]
        );
        // On 10 June: May ended short, but April was not.
        assert_eq!(pressure(&time, day(2026, 6, 10)), None);
        let short_april = [
            report(&pm, months[0], 28.0),
            report(&pm, months[1], 20.0),
            report(&pm, months[2], 15.0),
            report(&pm, months[3], 10.0),
        ];
        let refs: Vec<&time_report::Model> = short_april.iter().collect();
        let time = monthly(&[&pm], &refs, &months);
        assert_eq!(pressure(&time, day(2026, 6, 10)).map(|(a, b, _)| (a, b)), Some((months[2], months[3])));
        // The current month is not over: May and a short June so far do not count yet.
        assert_eq!(pressure(&time, day(2026, 5, 20)).map(|(a, b, _)| (a, b)), Some((months[1], months[2])));
    }
}
