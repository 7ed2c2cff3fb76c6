//! The analysis of a linked measure, frozen when a result is published, so the published claim
//! does not change when data later does.

use chrono::{DateTime, NaiveDate, Utc};
use entity::measure::{self, MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::analysis::AnalysisConfig;
use crate::charts::{self, ChartData, Variant, screaming};
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::analysis::{analyse, period_date};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotSignal {
    pub rule: String,
    pub effect: String,
    pub last_period: Option<NaiveDate>,
}

/// What a measure is, as published: what an adopting project copies. Enum values are kept as
/// their database names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrozenDefinition {
    pub name: String,
    pub operational_definition: String,
    pub kind: String,
    pub unit: String,
    pub direction: String,
    pub frequency: String,
}

impl FrozenDefinition {
    pub fn of(measure: &measure::Model) -> Self {
        Self {
            name: measure.name.clone(),
            operational_definition: measure.operational_definition.clone(),
            kind: measure.kind.to_value(),
            unit: measure.unit.to_value(),
            direction: measure.direction.to_value(),
            frequency: measure.frequency.to_value(),
        }
    }

    /// The definition as measure columns; `None` if a value is no longer known to this version.
    pub fn parts(&self) -> Option<(MeasureKind, MeasureUnit, MeasureDirection, MeasureFrequency)> {
        Some((
            MeasureKind::try_from_value(&self.kind).ok()?,
            MeasureUnit::try_from_value(&self.unit).ok()?,
            MeasureDirection::try_from_value(&self.direction).ok()?,
            MeasureFrequency::try_from_value(&self.frequency).ok()?,
        ))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeasureSnapshot {
    pub measure_name: String,
    /// The measure's definition when frozen; absent from snapshots frozen before it was
    /// recorded (readers then see the measure's current definition).
    #[serde(default)]
    pub definition: Option<FrozenDefinition>,
    pub verdict: String,
    /// The verdict stood on trial limits. Absent from snapshots frozen before it was recorded, which
    /// the rule of the time did not judge on trial limits at all.
    #[serde(default)]
    pub provisional: bool,
    /// The XmR limits' scale (`MAKING_DATA_COUNT` or `TEXTBOOK`); snapshots frozen before it was
    /// recorded used Making Data Count's, the only one there was.
    #[serde(default = "making_data_count")]
    pub limits_multiplier: String,
    /// Outlying moving ranges were left out of the limits (never, before it was recorded).
    #[serde(default)]
    pub moving_ranges_screened: bool,
    /// The icons (`Assurance` and `Variation` as the live analysis names them); absent from older
    /// snapshots.
    #[serde(default)]
    pub assurance: Option<String>,
    #[serde(default)]
    pub variation: Option<String>,
    pub signals: Vec<SnapshotSignal>,
    /// The current centre line (mean, or pooled proportion) when frozen.
    pub centre: Option<f64>,
    pub change_from_baseline: Option<f64>,
    pub gap_to_target: Option<f64>,
    pub points: usize,
    pub latest_period: Option<NaiveDate>,
    pub taken_at: DateTime<Utc>,
    /// The SPC chart's points, centre and limits when frozen, so that readers who cannot see the
    /// project still see the picture; absent from snapshots frozen before it was recorded.
    #[serde(default)]
    pub chart: Option<ChartData>,
}

fn making_data_count() -> String {
    "MAKING_DATA_COUNT".to_owned()
}

/// All sites pooled, default rules.
pub async fn take(db: &Db, actor: &Actor, measure: &measure::Model) -> Result<MeasureSnapshot, ServiceError> {
    let result = analyse(db, actor, measure, None, AnalysisConfig::default()).await?;
    let analysis = &result.analysis;
    Ok(MeasureSnapshot {
        measure_name: measure.name.clone(),
        definition: Some(FrozenDefinition::of(measure)),
        verdict: screaming(&format!("{:?}", analysis.verdict.verdict)),
        provisional: analysis.verdict.provisional,
        limits_multiplier: screaming(&format!("{:?}", analysis.spc.limits_scale)),
        moving_ranges_screened: analysis.spc.moving_ranges_screened,
        assurance: analysis.assurance.map(|a| screaming(&format!("{a:?}"))),
        variation: analysis.variation.map(|v| screaming(&format!("{v:?}"))),
        signals: analysis
            .verdict
            .signals
            .iter()
            .map(|s| SnapshotSignal {
                rule: screaming(&format!("{:?}", s.rule)),
                effect: screaming(&format!("{:?}", s.effect)),
                last_period: period_date(measure, s.last_period),
            })
            .collect(),
        centre: analysis.spc.segments.last().map(|s| s.centre),
        change_from_baseline: result.change_from_baseline,
        gap_to_target: result.gap_to_target,
        points: analysis.spc.points.len(),
        latest_period: analysis.spc.points.last().and_then(|p| period_date(measure, p.period)),
        taken_at: db.now(),
        chart: Some(charts::of(measure, &result, Variant::Spc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_become_screaming_snake_case() {
        assert_eq!(screaming("NoSignal"), "NO_SIGNAL");
        assert_eq!(screaming("TwoOfThreeBeyondTwoSigma"), "TWO_OF_THREE_BEYOND_TWO_SIGMA");
        assert_eq!(screaming("Improving"), "IMPROVING");
    }
}
