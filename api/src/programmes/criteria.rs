//! A programme's funding criteria: minimum scores, the oldest assessment that still counts, and
//! the springboard rule for the team. Kept as small JSON in text columns; typed here.

use entity::institution::InstitutionKind;
use entity::programme;
use entity::team_member::ProjectRole;

use crate::assessments::dimension::{CapacityDimension, Scores};

#[derive(Clone, Debug, PartialEq)]
pub struct SpringboardRule {
    /// Each group needs at least one team member holding one of its roles.
    pub role_groups: Vec<Vec<ProjectRole>>,
    /// Committed hours per week across the whole team.
    pub min_weekly_hours: f64,
    /// The most of the team's committed hours that forecast monitoring may take.
    pub max_monitoring_share: f64,
}

/// A third: the share of its committed time a team may expect to spend collecting data.
pub const DEFAULT_MAX_MONITORING_SHARE: f64 = 1.0 / 3.0;

impl Default for SpringboardRule {
    fn default() -> Self {
        Self {
            role_groups: vec![
                vec![ProjectRole::ClinicalLead],
                vec![ProjectRole::ProjectManager],
                vec![ProjectRole::DataAnalyst, ProjectRole::Evaluator],
            ],
            min_weekly_hours: 15.0,
            max_monitoring_share: DEFAULT_MAX_MONITORING_SHARE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FundingCriteria {
    pub minimum_scores: Scores,
    pub max_assessment_age_days: i32,
    pub rule: SpringboardRule,
    pub lead_may_assess: bool,
}

pub const DEFAULT_MINIMUM_SCORE: i32 = 2;
pub const DEFAULT_MAX_ASSESSMENT_AGE_DAYS: i32 = 365;

impl Default for FundingCriteria {
    fn default() -> Self {
        Self {
            minimum_scores: [Some(DEFAULT_MINIMUM_SCORE); 5],
            max_assessment_age_days: DEFAULT_MAX_ASSESSMENT_AGE_DAYS,
            rule: SpringboardRule::default(),
            lead_may_assess: false,
        }
    }
}

impl FundingCriteria {
    pub fn from_model(model: &programme::Model) -> Self {
        Self {
            minimum_scores: [
                Some(model.min_project_management),
                Some(model.min_leadership),
                Some(model.min_monitoring_and_evaluation),
                Some(model.min_data_infrastructure),
                Some(model.min_staff_time),
            ],
            max_assessment_age_days: model.max_assessment_age_days,
            rule: SpringboardRule {
                role_groups: decode_role_groups(&model.springboard_roles),
                min_weekly_hours: model.min_team_hours_per_week,
                max_monitoring_share: model.max_monitoring_share,
            },
            lead_may_assess: model.lead_may_assess,
        }
    }

    pub fn minimum(&self, dimension: CapacityDimension) -> i32 {
        self.minimum_scores[crate::assessments::dimension::index(dimension)].unwrap_or_default()
    }
}

pub fn encode_role_groups(groups: &[Vec<ProjectRole>]) -> String {
    let groups: Vec<Vec<String>> =
        groups.iter().map(|g| g.iter().map(sea_orm::ActiveEnum::to_value).collect()).collect();
    serde_json::to_string(&groups).unwrap_or_else(|_| "[]".to_owned())
}

/// Unknown role names are skipped rather than failing the read: a row written by a newer
/// version must not make the programme unreadable.
pub fn decode_role_groups(text: &str) -> Vec<Vec<ProjectRole>> {
    let groups: Vec<Vec<String>> = serde_json::from_str(text).unwrap_or_default();
    groups
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter_map(|r| <ProjectRole as sea_orm::ActiveEnum>::try_from_value(&r).ok())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

pub fn encode_kinds(kinds: &[InstitutionKind]) -> String {
    let names: Vec<String> = kinds.iter().map(sea_orm::ActiveEnum::to_value).collect();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned())
}

pub fn decode_kinds(text: &str) -> Vec<InstitutionKind> {
    let names: Vec<String> = serde_json::from_str(text).unwrap_or_default();
    names.iter().filter_map(|n| <InstitutionKind as sea_orm::ActiveEnum>::try_from_value(n).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_groups_round_trip_and_unknown_roles_are_skipped() {
        let groups = SpringboardRule::default().role_groups;
        assert_eq!(decode_role_groups(&encode_role_groups(&groups)), groups);
        assert_eq!(
            decode_role_groups(r#"[["CLINICAL_LEAD","TIME_TRAVELLER"],["NOPE"]]"#),
            vec![vec![ProjectRole::ClinicalLead]]
        );
        assert!(decode_role_groups("not json").is_empty());
    }

    #[test]
    fn kinds_round_trip() {
        let kinds = vec![InstitutionKind::RoyalCollege, InstitutionKind::ProfessionalBody];
        assert_eq!(decode_kinds(&encode_kinds(&kinds)), kinds);
    }
}
