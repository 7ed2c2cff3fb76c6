//! Analysis on read: a measure's observations for one site, or all sites pooled, turned into the
//! analysis module's points and analysed with the measure's direction, target, baseline and
//! rebases.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use entity::measure::{self, MeasureDirection, MeasureUnit};
use entity::observation;
use uuid::Uuid;

use super::calendar::Calendar;
use super::periods::{analysis_frequency, start_of_index};
use crate::actor::Actor;
use crate::analysis::{self, AnalysisConfig, Fraction, MeasureSpec, Measurement, Point};
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging;
use crate::scope::{Batched, Row};

/// Periods analysed at most per series: twenty years of weekly data.
pub const MAX_PERIODS: u64 = 1_040;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct MeasureAnalysis {
    pub analysis: analysis::Analysis,
    pub site_id: Option<Uuid>,
    /// The latest segment's centre line minus the measure's baseline.
    pub change_from_baseline: Option<f64>,
    /// The measure's target minus the latest segment's centre line.
    pub gap_to_target: Option<f64>,
    /// Periods (indices) holding rows whose period has not ended at their site.
    pub incomplete_periods: Vec<i64>,
    /// Whether those rows were analysed (`includeIncomplete`) or left out.
    pub incomplete_included: bool,
}

/// Which rows of a series are analysed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Periods {
    /// Analyse rows whose period has not ended too; by default they are left out, so that a
    /// month half collected does not raise a false signal.
    pub include_incomplete: bool,
}

fn spec(measure: &measure::Model) -> MeasureSpec {
    MeasureSpec {
        unit: match measure.unit {
            MeasureUnit::Proportion => analysis::Unit::Proportion,
            MeasureUnit::Rate => analysis::Unit::Rate,
            MeasureUnit::Count => analysis::Unit::Count,
            MeasureUnit::Continuous => analysis::Unit::Continuous,
        },
        direction: match measure.direction {
            MeasureDirection::HigherIsBetter => analysis::Direction::HigherIsBetter,
            MeasureDirection::LowerIsBetter => analysis::Direction::LowerIsBetter,
        },
        target: measure.target,
    }
}

fn measurement(row: &observation::Model) -> Option<Measurement> {
    match (row.numerator, row.denominator, row.value) {
        (Some(numerator), Some(denominator), _) => {
            Some(Measurement::Fraction(Fraction { numerator, denominator }))
        }
        (_, _, Some(value)) => Some(Measurement::Value(value)),
        _ => None,
    }
}

/// All sites pooled per period: fractions summed (Σ numerators / Σ denominators); counts summed;
/// other values averaged over the sites that reported.
fn pool(unit: MeasureUnit, rows: &[&observation::Model], frequency: analysis::Frequency) -> Vec<Point> {
    let mut by_period: BTreeMap<i64, Vec<&observation::Model>> = BTreeMap::new();
    for row in rows.iter().copied() {
        by_period.entry(analysis::period_index(row.period_start, frequency)).or_default().push(row);
    }
    by_period
        .into_iter()
        .filter_map(|(period, rows)| {
            let fractions: Vec<Fraction> = rows
                .iter()
                .filter_map(|r| {
                    r.numerator
                        .zip(r.denominator)
                        .map(|(numerator, denominator)| Fraction { numerator, denominator })
                })
                .collect();
            let measurement = if !fractions.is_empty() && fractions.len() == rows.len() {
                Measurement::Fraction(Fraction {
                    numerator: fractions.iter().map(|f| f.numerator).fold(0.0, |a, b| a + b),
                    denominator: fractions.iter().map(|f| f.denominator).fold(0.0, |a, b| a + b),
                })
            } else {
                let values: Vec<f64> = rows.iter().filter_map(|r| r.value).collect();
                if values.is_empty() {
                    return None;
                }
                let total = values.iter().fold(0.0, |a, b| a + b);
                match unit {
                    MeasureUnit::Count => Measurement::Value(total),
                    _ => Measurement::Value(total / values.len() as f64),
                }
            };
            Some(Point { period, measurement })
        })
        .collect()
}

/// One series analysed: `rows` are the measure's observations (any order, any sites); `site_id`
/// picks one site's, or pools all sites; `calendar` says which periods have ended.
pub fn analyse_rows(
    measure: &measure::Model,
    rows: &[&observation::Model],
    site_id: Option<Uuid>,
    mut config: AnalysisConfig,
    calendar: &Calendar,
    periods: &Periods,
) -> MeasureAnalysis {
    let frequency = analysis_frequency(measure.frequency);
    let mut incomplete_periods = Vec::new();
    let mut rows: Vec<&observation::Model> = rows
        .iter()
        .copied()
        .filter(|r| site_id.is_none_or(|site| r.site_id == site))
        .filter(|r| {
            let ended = calendar.row_has_ended(measure.frequency, r);
            if !ended {
                incomplete_periods.push(analysis::period_index(r.period_start, frequency));
            }
            ended || periods.include_incomplete
        })
        .collect();
    incomplete_periods.sort_unstable();
    incomplete_periods.dedup();
    rows.sort_by_key(|r| (r.period_start, r.site_id));
    // The newest periods, if there are more than the cap.
    let cap = usize::try_from(MAX_PERIODS).unwrap_or(usize::MAX) * if site_id.is_some() { 1 } else { 50 };
    let rows = &rows[rows.len().saturating_sub(cap)..];
    let points: Vec<Point> = match site_id {
        Some(_) => rows
            .iter()
            .filter_map(|row| {
                measurement(row).map(|m| Point {
                    period: analysis::period_index(row.period_start, frequency),
                    measurement: m,
                })
            })
            .collect(),
        None => pool(measure.unit, rows, frequency),
    };
    config.spc.rebase_periods = super::service::rebase_periods(measure)
        .into_iter()
        .map(|d| analysis::period_index(d, frequency))
        .collect();
    if let Some(until) = measure.baseline_until {
        let last = analysis::period_index(until, frequency);
        // The SPC chart fixes the segment holding the baseline on it, and later segments on their
        // own points; the run chart has one median, from the points up to the date.
        config.spc.baseline_until = Some(last);
        let baseline = points.iter().filter(|p| p.period <= last).count();
        if baseline > 0 {
            config.run_chart.baseline_points = Some(baseline);
        }
    }
    let mut analysis = analysis::analyse(&points, &spec(measure), &config);
    if !periods.include_incomplete {
        analysis.excluded.extend(incomplete_periods.iter().map(|&period| analysis::ExcludedPoint {
            period,
            reason: analysis::ExclusionReason::PeriodNotEnded,
        }));
    }
    let current = analysis.spc.segments.last().map(|s| s.centre);
    MeasureAnalysis {
        change_from_baseline: current.zip(measure.baseline).map(|(c, b)| c - b),
        gap_to_target: current.zip(measure.target).map(|(c, t)| t - c),
        analysis,
        site_id,
        incomplete_periods,
        incomplete_included: periods.include_incomplete,
    }
}

/// Every visible observation of these measures, in one statement, grouped by measure.
pub async fn observations_of(
    db: &Db,
    actor: &Actor,
    measure_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<observation::Model>>, ServiceError> {
    let rows = paging::among(
        super::service::current_observations(actor),
        observation::Column::MeasureId,
        measure_ids,
    )
    .all(db.conn())
    .await?;
    let mut grouped: HashMap<Uuid, Vec<observation::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.measure_id).or_default().push(row);
    }
    Ok(grouped)
}

/// One measure's analysis, for one site or all sites pooled, of the periods that have ended.
pub async fn analyse(
    db: &Db,
    actor: &Actor,
    measure: &measure::Model,
    site_id: Option<Uuid>,
    config: AnalysisConfig,
) -> Result<MeasureAnalysis, ServiceError> {
    let rows = observations_of(db, actor, &[measure.id]).await?.remove(&measure.id).unwrap_or_default();
    let calendar = Calendar::of_rows(db.conn(), db.now(), &rows).await?;
    let rows: Vec<&observation::Model> = rows.iter().collect();
    Ok(analyse_rows(measure, &rows, site_id, config, &calendar, &Periods::default()))
}

/// Which analysis of which measure: the measure (already read), a site or all, and the rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AnalysisKey {
    pub measure: Row<measure::Model>,
    pub site_id: Option<Uuid>,
    pub config: AnalysisConfig,
    pub periods: Periods,
}

/// Many analyses from two statements: the observations, and their sites' time zones.
pub struct Analyses;

impl Batched for Analyses {
    type Key = AnalysisKey;
    type Value = Arc<MeasureAnalysis>;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[AnalysisKey],
    ) -> Result<HashMap<AnalysisKey, Arc<MeasureAnalysis>>, ServiceError> {
        let rows = observations_of(db, actor, &paging::distinct(keys.iter().map(|k| k.measure.id))).await?;
        let calendar = Calendar::of_rows(db.conn(), db.now(), rows.values().flatten()).await?;
        Ok(keys
            .iter()
            .map(|key| {
                let series: Vec<&observation::Model> =
                    rows.get(&key.measure.id).map(|r| r.iter().collect()).unwrap_or_default();
                let analysis = analyse_rows(
                    &key.measure.model,
                    &series,
                    key.site_id,
                    key.config.clone(),
                    &calendar,
                    &key.periods,
                );
                (key.clone(), Arc::new(analysis))
            })
            .collect())
    }
}

/// A period index back to its first day, for output.
pub fn period_date(measure: &measure::Model, index: i64) -> Option<chrono::NaiveDate> {
    start_of_index(measure.frequency, index)
}
