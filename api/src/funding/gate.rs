//! The funding gate, as a pure function: a project may be FUNDED only if every accepted site has
//! a current submitted assessment, no older than the programme allows, meeting every minimum,
//! and the team meets the springboard rule. It reports every shortfall, not just the first.

use chrono::NaiveDate;
use entity::capacity_assessment as assessment;
use entity::project_site::{self, SiteStatus};
use entity::team_member::{self, ProjectRole};
use uuid::Uuid;

use crate::assessments::dimension::CapacityDimension;
use crate::assessments::service::scores;
use crate::error::{FieldError, UserErrorCode};
use crate::ids::{NodeKind, global_id};
use crate::measures::burden::Burden;
use crate::programmes::criteria::FundingCriteria;
use crate::projects::team;

/// A site as the gate sees it: the row, the host's name for messages, its current assessment,
/// and whether the caller may be told the scores and dates behind a shortfall.
pub struct SiteEvidence<'a> {
    pub site: &'a project_site::Model,
    pub institution_name: &'a str,
    pub assessment: Option<&'a assessment::Model>,
    pub disclosed: bool,
}

/// One reason the gate fails: the error a client is told (`error`), and the figures behind it
/// for a front end to show ("1 of 2") without reading the message. Figures the caller may not
/// read (another institution's scores, see `SiteEvidence::disclosed`) are never filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Shortfall {
    pub error: FieldError,
    pub site_id: Option<Uuid>,
    pub institution_id: Option<Uuid>,
    pub dimension: Option<CapacityDimension>,
    pub score: Option<i32>,
    pub minimum: Option<i32>,
    pub assessed_on: Option<NaiveDate>,
    /// The last day the assessment counts.
    pub valid_until: Option<NaiveDate>,
    /// Any one of these roles would meet a missing role group.
    pub roles: Vec<ProjectRole>,
    /// The team's committed hours a week, or the monitoring forecast, as the code says.
    pub hours: Option<f64>,
    /// The programme's minimum hours, or its cap on monitoring hours.
    pub required_hours: Option<f64>,
}

impl From<FieldError> for Shortfall {
    fn from(error: FieldError) -> Self {
        Self {
            error,
            site_id: None,
            institution_id: None,
            dimension: None,
            score: None,
            minimum: None,
            assessed_on: None,
            valid_until: None,
            roles: Vec::new(),
            hours: None,
            required_hours: None,
        }
    }
}

impl Shortfall {
    fn at_site(error: FieldError, evidence: &SiteEvidence<'_>) -> Self {
        Self {
            site_id: Some(evidence.site.id),
            institution_id: Some(evidence.site.institution_id),
            ..error.into()
        }
    }
}

/// The gate's failures as a client's errors (for `decideFunding`).
pub fn evaluate(
    criteria: &FundingCriteria,
    sites: &[SiteEvidence<'_>],
    team_members: &[team_member::Model],
    burden: &Burden,
    today: NaiveDate,
) -> Vec<FieldError> {
    assess(criteria, sites, team_members, burden, today).into_iter().map(|s| s.error).collect()
}

/// Every shortfall, with its figures.
pub fn assess(
    criteria: &FundingCriteria,
    sites: &[SiteEvidence<'_>],
    team_members: &[team_member::Model],
    burden: &Burden,
    today: NaiveDate,
) -> Vec<Shortfall> {
    let mut failures: Vec<Shortfall> = Vec::new();
    let accepted: Vec<&SiteEvidence<'_>> =
        sites.iter().filter(|s| s.site.status == SiteStatus::Accepted).collect();
    if accepted.is_empty() {
        failures.push(
            failure(
                vec!["sites".into()],
                UserErrorCode::NoAcceptedSite,
                "no host institution has accepted a site role".into(),
            )
            .into(),
        );
    }
    for evidence in accepted {
        let shortfalls = site_shortfalls(criteria, evidence, today);
        if shortfalls.is_empty() || evidence.disclosed {
            failures.extend(shortfalls);
        } else {
            let error = failure(
                vec!["sites".into(), global_id(NodeKind::ProjectSite, evidence.site.id)],
                UserErrorCode::CapacityShortfall,
                format!("{} does not meet the programme's capacity requirements", evidence.institution_name),
            );
            failures.push(Shortfall::at_site(error, evidence));
        }
    }
    let capacity = team::capacity(&criteria.rule, team_members, today);
    for group in &capacity.missing_role_groups {
        let names: Vec<String> = group.iter().map(sea_orm::ActiveEnum::to_value).collect();
        let error = failure(
            vec!["team".into(), names.join("|")],
            UserErrorCode::RoleMissing,
            format!("the team needs a {}", names.join(" or ")),
        );
        failures.push(Shortfall { roles: group.clone(), ..error.into() });
    }
    if capacity.hours_short > 0.0 {
        let error = failure(
            vec!["team".into(), "hoursPerWeek".into()],
            UserErrorCode::HoursBelowMinimum,
            format!(
                "the team commits {} hours a week; the programme needs at least {}",
                capacity.total_hours, criteria.rule.min_weekly_hours
            ),
        );
        failures.push(Shortfall {
            hours: Some(capacity.total_hours),
            required_hours: Some(criteria.rule.min_weekly_hours),
            ..error.into()
        });
    }
    if burden.above_cap() {
        let error = failure(
            vec!["measures".into(), "monitoringBurden".into()],
            UserErrorCode::MonitoringBurdenAboveCapacity,
            format!(
                "monitoring is forecast at {:.1} hours a week, above the {:.1} hours ({:.0}% of the team's {} \
                 committed hours) the programme allows",
                burden.total_hours_per_week(),
                burden.cap_hours_per_week(),
                burden.max_share * 100.0,
                burden.committed_hours_per_week,
            ),
        );
        failures.push(Shortfall {
            hours: Some(burden.total_hours_per_week()),
            required_hours: Some(burden.cap_hours_per_week()),
            ..error.into()
        });
    }
    failures
}

/// Every shortfall of one accepted site, with the scores and dates behind it.
fn site_shortfalls(
    criteria: &FundingCriteria,
    evidence: &SiteEvidence<'_>,
    today: NaiveDate,
) -> Vec<Shortfall> {
    let mut failures = Vec::new();
    let site_id = global_id(NodeKind::ProjectSite, evidence.site.id);
    let name = evidence.institution_name;
    let Some(assessment) = evidence.assessment else {
        let error = failure(
            vec!["sites".into(), site_id],
            UserErrorCode::AssessmentMissing,
            format!("{name} has no submitted capacity assessment"),
        );
        failures.push(Shortfall::at_site(error, evidence));
        return failures;
    };
    let dated = |error: FieldError| Shortfall {
        assessed_on: Some(assessment.assessed_on),
        valid_until: assessment.assessed_on.checked_add_days(chrono::Days::new(
            u64::try_from(criteria.max_assessment_age_days).unwrap_or(0),
        )),
        ..Shortfall::at_site(error, evidence)
    };
    let age = (today - assessment.assessed_on).num_days();
    if age > i64::from(criteria.max_assessment_age_days) {
        failures.push(dated(failure(
            vec!["sites".into(), site_id.clone()],
            UserErrorCode::AssessmentExpired,
            format!(
                "{name}'s latest assessment ({}) is {age} days old; the programme accepts at most {}",
                assessment.assessed_on, criteria.max_assessment_age_days
            ),
        )));
    }
    for (dimension, score) in CapacityDimension::ALL.into_iter().zip(scores(assessment)) {
        let minimum = criteria.minimum(dimension);
        let score = score.unwrap_or_default();
        if score < minimum {
            let error = failure(
                vec!["sites".into(), site_id.clone(), dimension.code().into()],
                UserErrorCode::ScoreBelowMinimum,
                format!(
                    "{name} scores {score} on {}; the programme needs at least {minimum}",
                    dimension.code()
                ),
            );
            failures.push(Shortfall {
                dimension: Some(dimension),
                score: Some(score),
                minimum: Some(minimum),
                ..dated(error)
            });
        }
    }
    failures
}

fn failure(field: Vec<String>, code: UserErrorCode, message: String) -> FieldError {
    FieldError { field, message, code }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entity::capacity_assessment::AssessmentStatus;
    use entity::team_member::ProjectRole;
    use uuid::Uuid;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn site(status: SiteStatus) -> project_site::Model {
        project_site::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            institution_id: Uuid::now_v7(),
            site_lead_user_id: None,
            status,
            responded_at: None,
            created_at: Utc::now(),
        }
    }

    fn assessed(on: NaiveDate, score: i32) -> assessment::Model {
        let now = Utc::now();
        assessment::Model {
            id: Uuid::now_v7(),
            assessed_institution_id: Uuid::nil(),
            assessor_institution_id: Uuid::nil(),
            project_id: None,
            assessed_on: on,
            status: AssessmentStatus::Submitted,
            project_management_score: Some(score),
            project_management_evidence: None,
            leadership_score: Some(score),
            leadership_evidence: None,
            monitoring_and_evaluation_score: Some(score),
            monitoring_and_evaluation_evidence: None,
            data_infrastructure_score: Some(score),
            data_infrastructure_evidence: None,
            staff_time_score: Some(1),
            staff_time_evidence: None,
            created_by: None,
            submitted_at: Some(now),
            created_at: now,
            updated_at: now,
        }
    }

    fn member(role: ProjectRole, hours: f64) -> team_member::Model {
        let now = Utc::now();
        team_member::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            institution_id: Uuid::nil(),
            user_id: None,
            external_name: Some("X".into()),
            role,
            hours_per_week: hours,
            starts_on: None,
            ends_on: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn no_burden() -> Burden {
        crate::measures::burden::forecast(&[], 1, 20.0, 1.0 / 3.0)
    }

    fn full_team() -> Vec<team_member::Model> {
        vec![
            member(ProjectRole::ClinicalLead, 5.0),
            member(ProjectRole::ProjectManager, 10.0),
            member(ProjectRole::DataAnalyst, 5.0),
        ]
    }

    fn lenient() -> FundingCriteria {
        let mut criteria = FundingCriteria::default();
        criteria.minimum_scores[4] = Some(1);
        criteria
    }

    #[test]
    fn a_project_with_assessed_sites_and_a_full_team_passes() {
        let (s, a) = (site(SiteStatus::Accepted), assessed(day(2026, 6, 1), 3));
        let evidence =
            [SiteEvidence { site: &s, institution_name: "Northgate", assessment: Some(&a), disclosed: true }];
        assert_eq!(evaluate(&lenient(), &evidence, &full_team(), &no_burden(), day(2026, 7, 1)), vec![]);
    }

    #[test]
    fn every_shortfall_is_reported_with_its_place() {
        let (s1, s2, s3) =
            (site(SiteStatus::Accepted), site(SiteStatus::Accepted), site(SiteStatus::Declined));
        let old = assessed(day(2024, 1, 1), 1);
        let evidence = [
            SiteEvidence { site: &s1, institution_name: "Northgate", assessment: None, disclosed: true },
            SiteEvidence {
                site: &s2,
                institution_name: "Clydeside",
                assessment: Some(&old),
                disclosed: true,
            },
            SiteEvidence { site: &s3, institution_name: "Declined", assessment: None, disclosed: true },
        ];
        let team = [member(ProjectRole::ClinicalLead, 2.0)];
        let failures = evaluate(&FundingCriteria::default(), &evidence, &team, &no_burden(), day(2026, 7, 1));
        let codes: Vec<UserErrorCode> = failures.iter().map(|f| f.code).collect();
        use UserErrorCode::*;
        assert_eq!(
            codes,
            vec![
                AssessmentMissing,
                AssessmentExpired,
                ScoreBelowMinimum,
                ScoreBelowMinimum,
                ScoreBelowMinimum,
                ScoreBelowMinimum,
                ScoreBelowMinimum,
                RoleMissing,
                RoleMissing,
                HoursBelowMinimum,
            ]
        );
        assert_eq!(failures[2].field[2], "PROJECT_MANAGEMENT");
        assert!(failures[1].message.contains("Clydeside"));
        assert_eq!(failures[8].field, vec!["team".to_owned(), "DATA_ANALYST|EVALUATOR".to_owned()]);
    }

    #[test]
    fn an_undisclosed_site_is_one_shortfall_without_scores_or_dates() {
        let (s, old) = (site(SiteStatus::Accepted), assessed(day(2024, 1, 1), 1));
        let hidden = [SiteEvidence {
            site: &s,
            institution_name: "Clydeside",
            assessment: Some(&old),
            disclosed: false,
        }];
        let failures = evaluate(&lenient(), &hidden, &full_team(), &no_burden(), day(2026, 7, 1));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert_eq!(failures[0].code, UserErrorCode::CapacityShortfall);
        assert_eq!(failures[0].field.len(), 2, "no dimension in the path");
        assert!(!failures[0].message.contains("2024") && !failures[0].message.contains("scores"));
        let missing =
            [SiteEvidence { site: &s, institution_name: "Clydeside", assessment: None, disclosed: false }];
        let failures = evaluate(&lenient(), &missing, &full_team(), &no_burden(), day(2026, 7, 1));
        assert_eq!(
            failures.iter().map(|f| f.code).collect::<Vec<_>>(),
            vec![UserErrorCode::CapacityShortfall]
        );
        let fine = assessed(day(2026, 6, 1), 3);
        let passing = [SiteEvidence {
            site: &s,
            institution_name: "Clydeside",
            assessment: Some(&fine),
            disclosed: false,
        }];
        assert_eq!(evaluate(&lenient(), &passing, &full_team(), &no_burden(), day(2026, 7, 1)), vec![]);
    }

    #[test]
    fn without_an_accepted_site_the_gate_is_shut() {
        let s = site(SiteStatus::Invited);
        let evidence =
            [SiteEvidence { site: &s, institution_name: "Invited", assessment: None, disclosed: true }];
        let failures = evaluate(&lenient(), &evidence, &full_team(), &no_burden(), day(2026, 7, 1));
        assert_eq!(failures.iter().map(|f| f.code).collect::<Vec<_>>(), vec![UserErrorCode::NoAcceptedSite]);
    }

    #[test]
    fn an_assessment_exactly_as_old_as_allowed_still_counts() {
        let s = site(SiteStatus::Accepted);
        let a = assessed(day(2025, 7, 1), 3);
        let evidence =
            [SiteEvidence { site: &s, institution_name: "N", assessment: Some(&a), disclosed: true }];
        assert_eq!(evaluate(&lenient(), &evidence, &full_team(), &no_burden(), day(2026, 7, 1)), vec![]);
        assert_eq!(evaluate(&lenient(), &evidence, &full_team(), &no_burden(), day(2026, 7, 2)).len(), 1);
    }
}
