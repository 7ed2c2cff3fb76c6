//! The five capacity dimensions and the 0–4 score scale.

use crate::error::{FieldError, UserErrorCode};

/// A dimension of a host institution's capacity to deliver a project.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapacityDimension {
    /// Capacity to manage the project.
    ProjectManagement,
    /// Leadership to drive the project.
    Leadership,
    /// Skills to monitor and evaluate the project.
    MonitoringAndEvaluation,
    /// Fit with the existing electronic systems.
    DataInfrastructure,
    /// Time staff can give despite service pressure.
    StaffTime,
}

impl CapacityDimension {
    pub const ALL: [CapacityDimension; 5] = [
        CapacityDimension::ProjectManagement,
        CapacityDimension::Leadership,
        CapacityDimension::MonitoringAndEvaluation,
        CapacityDimension::DataInfrastructure,
        CapacityDimension::StaffTime,
    ];

    /// As clients spell it, for error fields and messages.
    pub fn code(self) -> &'static str {
        match self {
            CapacityDimension::ProjectManagement => "PROJECT_MANAGEMENT",
            CapacityDimension::Leadership => "LEADERSHIP",
            CapacityDimension::MonitoringAndEvaluation => "MONITORING_AND_EVALUATION",
            CapacityDimension::DataInfrastructure => "DATA_INFRASTRUCTURE",
            CapacityDimension::StaffTime => "STAFF_TIME",
        }
    }
}

pub const MAX_SCORE: i32 = 4;

/// A score on the 0–4 scale.
pub fn parse_score(raw: i32, field: &str) -> Result<i32, FieldError> {
    if (0..=MAX_SCORE).contains(&raw) {
        Ok(raw)
    } else {
        Err(FieldError::new(field, UserErrorCode::Invalid, format!("scores run from 0 to {MAX_SCORE}")))
    }
}

/// One score per dimension, in `CapacityDimension::ALL` order.
pub type Scores = [Option<i32>; 5];

pub fn index(dimension: CapacityDimension) -> usize {
    CapacityDimension::ALL.iter().position(|d| *d == dimension).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_outside_zero_to_four_are_refused() {
        assert!(parse_score(-1, "s").is_err());
        assert!(parse_score(5, "s").is_err());
        assert_eq!(parse_score(0, "s").unwrap(), 0);
        assert_eq!(parse_score(4, "s").unwrap(), 4);
    }
}
