//! What may still change in a project, by its status (DESIGN.md, "Writes by project status"):
//! a draft is the lead's to shape; a submitted bid waits for the funder; a funded or active
//! project runs (team, measures, data, results); a completed one takes only results and data
//! for the periods it ran; a withdrawn or declined one is closed.

use chrono::NaiveDate;
use entity::project::{self, ProjectStatus};

use super::lifecycle;
use crate::error::{ServiceError, UserErrorCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Title, aim, area, dates, budget.
    Details,
    /// Naming host sites.
    Sites,
    Team,
    Measures,
    /// Observations and engagement for the period starting on this day.
    Data(NaiveDate),
    Results,
    /// What a college or body commits to the project.
    Commitments,
}

/// The day a completed project stopped taking data: periods from then on are refused.
pub fn completed_on(project: &project::Model) -> Option<NaiveDate> {
    (project.status == ProjectStatus::Completed).then(|| project.status_changed_at.date_naive())
}

fn allows(project: &project::Model, change: Change) -> bool {
    use ProjectStatus::*;
    match (project.status, change) {
        (Draft, Change::Results) => false,
        (Draft, _) => true,
        (Funded | Active, change) => !matches!(change, Change::Details | Change::Sites),
        (Completed, Change::Results) => true,
        (Completed, Change::Data(period)) => completed_on(project).is_some_and(|end| period < end),
        (Submitted | Completed | Withdrawn | Declined, _) => false,
    }
}

fn what(change: Change) -> &'static str {
    match change {
        Change::Details => "its details",
        Change::Sites => "its sites",
        Change::Team => "its team",
        Change::Measures => "its measures",
        Change::Data(_) => "data for this period",
        Change::Results => "shared results",
        Change::Commitments => "commitments",
    }
}

/// Refuses `change` to `project` in its current status, naming the status, as a user error on
/// `field`.
pub fn require(project: &project::Model, change: Change, field: &str) -> Result<(), ServiceError> {
    if allows(project, change) {
        return Ok(());
    }
    let status = lifecycle::name(project.status);
    let message = match (change, completed_on(project)) {
        (Change::Data(_), Some(end)) => {
            format!("the project is COMPLETED (on {end}): only periods before then can still be recorded")
        }
        _ => format!("a {status} project takes no changes to {}", what(change)),
    };
    Err(ServiceError::invalid(field, UserErrorCode::NotAllowedInStatus, message))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn project(status: ProjectStatus) -> project::Model {
        let at = Utc.with_ymd_and_hms(2030, 6, 15, 12, 0, 0).single().expect("a valid instant");
        project::Model {
            id: Uuid::now_v7(),
            programme_id: None,
            lead_institution_id: Uuid::now_v7(),
            title: "t".into(),
            aim_statement: "a".into(),
            clinical_area: "c".into(),
            starts_on: None,
            ends_on: None,
            budget_requested: None,
            budget_awarded: None,
            status,
            status_changed_at: at,
            submitted_at: None,
            adopted_from_result_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, m, d).expect("a valid date")
    }

    #[test]
    fn each_status_allows_exactly_what_the_design_says() {
        use ProjectStatus::*;
        let all = [
            Change::Details,
            Change::Sites,
            Change::Team,
            Change::Measures,
            Change::Data(day(5, 1)),
            Change::Results,
            Change::Commitments,
        ];
        let allowed = |status| all.iter().filter(|c| allows(&project(status), **c)).count();
        assert_eq!(allowed(Draft), 6, "all but results");
        assert_eq!(allowed(Submitted), 0);
        assert_eq!(allowed(Funded), 5, "all but details and sites");
        assert_eq!(allowed(Active), 5);
        assert_eq!(allowed(Completed), 2, "results, and data for periods before completion");
        assert_eq!(allowed(Withdrawn), 0);
        assert_eq!(allowed(Declined), 0);
    }

    #[test]
    fn a_completed_project_takes_data_only_for_periods_before_it_completed() {
        let done = project(ProjectStatus::Completed);
        assert!(allows(&done, Change::Data(day(6, 1))));
        assert!(!allows(&done, Change::Data(day(6, 15))));
        assert!(!allows(&done, Change::Data(day(7, 1))));
        let refused = require(&done, Change::Data(day(7, 1)), "measureId").expect_err("refused");
        assert!(format!("{refused:?}").contains("COMPLETED"), "{refused:?}");
    }
}
