//! The analysis of a linked measure, frozen when a result is published, so the published claim
//! does not change when data later does.

use chrono::{DateTime, NaiveDate, Utc};
use entity::measure::{self, MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
use entity::{institution, observation, project_site};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::analysis::AnalysisConfig;
use crate::charts::{self, ChartData, ChartSubject, Variant, screaming};
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::analysis::{MeasureAnalysis, Periods, analyse_rows, observations_of, period_date};
use crate::measures::calendar::Calendar;

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
    /// The measure's target when frozen (plotted unit); absent from older snapshots.
    #[serde(default)]
    pub target: Option<f64>,
}

/// One series frozen beside a snapshot: all sites pooled (no site), or one site's.
pub struct FrozenSeries {
    pub site_id: Option<Uuid>,
    /// The site's host institution.
    pub institution_id: Option<Uuid>,
    pub analysis: MeasureAnalysis,
}

/// A linked measure as frozen at publication: the summary, and every series behind it.
pub struct Frozen {
    pub measure_id: Uuid,
    pub snapshot: MeasureSnapshot,
    /// All sites pooled first, then each site with observations, by its host's name.
    pub series: Vec<FrozenSeries>,
}

impl MeasureSnapshot {
    /// What the frozen series' charts are drawn with: the definition as frozen. `None` for a
    /// snapshot frozen before definitions were.
    pub fn chart_subject(&self) -> Option<ChartSubject> {
        let definition = self.definition.as_ref()?;
        let (_, unit, _, frequency) = definition.parts()?;
        Some(ChartSubject { name: definition.name.clone(), unit, frequency, target: self.target })
    }
}

fn making_data_count() -> String {
    "MAKING_DATA_COUNT".to_owned()
}

/// Each measure frozen with default rules, all sites pooled and site by site, from three
/// statements whatever the number of measures and sites: the observations, their sites' time
/// zones, and the sites' hosts.
pub async fn take_all(
    db: &Db,
    actor: &Actor,
    measures: &[measure::Model],
) -> Result<Vec<Frozen>, ServiceError> {
    let ids: Vec<Uuid> = measures.iter().map(|m| m.id).collect();
    let rows = observations_of(db, actor, &ids).await?;
    let calendar = Calendar::of_rows(db.conn(), db.now(), rows.values().flatten()).await?;
    let hosts = hosts(db, rows.values().flatten()).await?;
    let taken_at = db.now();
    Ok(measures
        .iter()
        .map(|measure| {
            let series: Vec<&observation::Model> =
                rows.get(&measure.id).map(|r| r.iter().collect()).unwrap_or_default();
            let analyse = |site: Option<Uuid>| {
                analyse_rows(
                    measure,
                    &series,
                    site,
                    AnalysisConfig::default(),
                    &calendar,
                    &Periods::default(),
                )
            };
            let pooled = analyse(None);
            let snapshot = summarise(measure, &pooled, taken_at);
            let mut frozen = vec![FrozenSeries { site_id: None, institution_id: None, analysis: pooled }];
            frozen.extend(hosts.iter().filter(|h| series.iter().any(|r| r.site_id == h.site_id)).map(|h| {
                FrozenSeries {
                    site_id: Some(h.site_id),
                    institution_id: Some(h.institution_id),
                    analysis: analyse(Some(h.site_id)),
                }
            }));
            Frozen { measure_id: measure.id, snapshot, series: frozen }
        })
        .collect())
}

struct Host {
    site_id: Uuid,
    institution_id: Uuid,
}

/// The host institution of each site among the rows, by the host's name.
async fn hosts<'a>(
    db: &Db,
    rows: impl Iterator<Item = &'a observation::Model>,
) -> Result<Vec<Host>, ServiceError> {
    let mut site_ids: Vec<Uuid> = rows.map(|r| r.site_id).collect();
    site_ids.sort_unstable();
    site_ids.dedup();
    if site_ids.is_empty() {
        return Ok(Vec::new());
    }
    let host = project_site::Entity::belongs_to(institution::Entity)
        .from(project_site::Column::InstitutionId)
        .to(institution::Column::Id)
        .into();
    let found: Vec<(Uuid, Uuid)> = project_site::Entity::find()
        .select_only()
        .column(project_site::Column::Id)
        .column(project_site::Column::InstitutionId)
        .join(JoinType::InnerJoin, host)
        .filter(project_site::Column::Id.is_in(site_ids))
        .order_by_asc(institution::Column::Name)
        .order_by_asc(project_site::Column::Id)
        .into_tuple()
        .all(db.conn())
        .await?;
    Ok(found.into_iter().map(|(site_id, institution_id)| Host { site_id, institution_id }).collect())
}

/// The pooled analysis as the snapshot's summary.
fn summarise(measure: &measure::Model, result: &MeasureAnalysis, taken_at: DateTime<Utc>) -> MeasureSnapshot {
    let analysis = &result.analysis;
    MeasureSnapshot {
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
        taken_at,
        chart: Some(charts::of(&ChartSubject::of(measure), result, Variant::Spc)),
        target: measure.target,
    }
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
