//! What a lead is told before a claim goes out that the charts do not bear out: an outcome of
//! change over a linked measure whose verdict says otherwise, or over no measure at all. The lead
//! may still publish, by acknowledging what was said.

use entity::shared_result::ResultOutcome;
use uuid::Uuid;

use super::snapshot::MeasureSnapshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningCode {
    /// A linked measure's verdict is not the one the outcome claims.
    VerdictDisagrees,
    /// The outcome claims a change, and no measure is linked to show it.
    NoLinkedMeasure,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublicationWarning {
    pub code: WarningCode,
    pub message: String,
    pub measure_id: Option<Uuid>,
    pub measure_name: Option<String>,
    /// As frozen (`IMPROVING`, `NO_SIGNAL`, …).
    pub verdict: Option<String>,
}

/// The verdict an outcome claims of its measures; `None` for a lesson, which claims no change.
fn claimed(outcome: ResultOutcome) -> Option<&'static str> {
    match outcome {
        ResultOutcome::Improvement => Some("IMPROVING"),
        ResultOutcome::Deterioration => Some("DETERIORATING"),
        ResultOutcome::NoChange => Some("NO_SIGNAL"),
        ResultOutcome::Lesson => None,
    }
}

fn reading(verdict: &str) -> &'static str {
    match verdict {
        "IMPROVING" => "shows improvement",
        "DETERIORATING" => "shows deterioration",
        "NO_SIGNAL" => "shows no signal of change",
        _ => "has too little data for a verdict",
    }
}

/// The warnings for publishing a version with `outcome` over these frozen measures.
pub fn warnings(outcome: ResultOutcome, measures: &[(Uuid, &MeasureSnapshot)]) -> Vec<PublicationWarning> {
    let Some(claim) = claimed(outcome) else { return Vec::new() };
    let outcome_name = match outcome {
        ResultOutcome::Improvement => "IMPROVEMENT",
        ResultOutcome::Deterioration => "DETERIORATION",
        ResultOutcome::NoChange => "NO_CHANGE",
        ResultOutcome::Lesson => "LESSON",
    };
    if measures.is_empty() {
        return vec![PublicationWarning {
            code: WarningCode::NoLinkedMeasure,
            message: format!("the outcome is {outcome_name} and no measure is linked to show it"),
            measure_id: None,
            measure_name: None,
            verdict: None,
        }];
    }
    measures
        .iter()
        .filter(|(_, snapshot)| snapshot.verdict != claim)
        .map(|(measure_id, snapshot)| PublicationWarning {
            code: WarningCode::VerdictDisagrees,
            message: format!(
                "the outcome is {outcome_name}, but \"{}\" {} ({})",
                snapshot.measure_name,
                reading(&snapshot.verdict),
                snapshot.verdict
            ),
            measure_id: Some(*measure_id),
            measure_name: Some(snapshot.measure_name.clone()),
            verdict: Some(snapshot.verdict.clone()),
        })
        .collect()
}
