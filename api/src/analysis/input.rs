//! From observations to a clean series: ordered by period, one point per period, and every point a chart
//! cannot use set aside with a reason instead of being dropped in silence.
//!
//! Gaps: a missing period is not filled in or interpolated. Points are taken in period order, so a run,
//! shift or trend carries on across a gap (the rules are about consecutive *observations*), and a moving
//! range spans it. Each chart flags the first point after a gap (`after_gap`) so that a reader can judge.

use chrono::{Datelike, NaiveDate};

use super::model::{ChartKind, Unit};
use super::numeric::ratio;

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Frequency {
    Weekly,
    Monthly,
    Quarterly,
}

/// The ordinal of the period that contains `date`. Consecutive periods have consecutive indices, so a
/// difference of more than one between neighbouring points is a missing period. Weeks start on Monday.
pub fn period_index(date: NaiveDate, frequency: Frequency) -> i64 {
    match frequency {
        // Day 1 of the common era, 0001-01-01, was a Monday, so whole weeks count from it.
        Frequency::Weekly => (i64::from(date.num_days_from_ce()) - 1).div_euclid(7),
        Frequency::Monthly => i64::from(date.year()) * 12 + i64::from(date.month0()),
        Frequency::Quarterly => i64::from(date.year()) * 4 + i64::from(date.month0() / 3),
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Fraction {
    pub numerator: f64,
    pub denominator: f64,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub enum Measurement {
    Value(f64),
    /// A proportion's or a rate's parts; the plotted value is their quotient.
    Fraction(Fraction),
}

/// One observation as recorded: its period (see [`period_index`]) and what was measured.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub period: i64,
    pub measurement: Measurement,
}

/// A point a chart can use: its value is finite and, for a fraction, the quotient of a positive denominator.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub period: i64,
    pub value: f64,
    pub fraction: Option<Fraction>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExclusionReason {
    /// A second observation for a period already seen. The first in input order is kept: the store holds
    /// one observation per measure, site and period, so a caller combining sites must sum them first.
    DuplicatePeriod,
    NotFinite,
    /// Larger in magnitude than [`MAX_MAGNITUDE`].
    OutOfRange,
    /// Nothing was at risk, so the period says nothing about the proportion; never divided by.
    ZeroDenominator,
    NegativeDenominator,
    /// A proportion's numerator below zero or above its denominator.
    NumeratorOutOfRange,
    /// A proportion recorded as a bare value: a p-chart needs the denominator for its limits.
    NoDenominator,
    /// The period has not ended where the data is collected. Decided by the caller, which knows
    /// the calendar; the analysis itself never reports it.
    PeriodNotEnded,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExcludedPoint {
    pub period: i64,
    pub reason: ExclusionReason,
}

/// Values beyond this are refused: below 2^53 every whole number is exact, and sums of many such values
/// stay far from overflow, so no limit can become infinite.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// The points of one measure (at one site or summed over sites) ready for charting.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Series {
    kind: ChartKind,
    samples: Vec<Sample>,
    excluded: Vec<ExcludedPoint>,
}

impl Series {
    /// Orders `points` by period (stable, so input order breaks ties) and sets aside what a chart of
    /// `unit` cannot use.
    pub fn new(points: &[Point], unit: Unit) -> Series {
        let kind = unit.chart_kind();
        let mut ordered: Vec<&Point> = points.iter().collect();
        ordered.sort_by_key(|point| point.period);
        let mut samples = Vec::with_capacity(ordered.len());
        let mut excluded = Vec::new();
        let mut previous_period = None;
        for point in ordered {
            let checked = if previous_period == Some(point.period) {
                Err(ExclusionReason::DuplicatePeriod)
            } else {
                sample(point, kind)
            };
            previous_period = Some(point.period);
            match checked {
                Ok(sample) => samples.push(sample),
                Err(reason) => excluded.push(ExcludedPoint { period: point.period, reason }),
            }
        }
        Series { kind, samples, excluded }
    }

    pub fn kind(&self) -> ChartKind {
        self.kind
    }

    /// The usable points, in period order, one per period.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The points set aside, in period order.
    pub fn excluded(&self) -> &[ExcludedPoint] {
        &self.excluded
    }
}

fn sample(point: &Point, kind: ChartKind) -> Result<Sample, ExclusionReason> {
    let period = point.period;
    match point.measurement {
        Measurement::Value(_) if kind == ChartKind::P => Err(ExclusionReason::NoDenominator),
        Measurement::Value(value) => {
            check_magnitude(value)?;
            Ok(Sample { period, value, fraction: None })
        }
        Measurement::Fraction(fraction) => {
            check_magnitude(fraction.numerator)?;
            check_magnitude(fraction.denominator)?;
            if fraction.denominator < 0.0 {
                return Err(ExclusionReason::NegativeDenominator);
            }
            if fraction.denominator == 0.0 {
                return Err(ExclusionReason::ZeroDenominator);
            }
            let is_proportion = kind == ChartKind::P;
            if is_proportion && !(0.0..=fraction.denominator).contains(&fraction.numerator) {
                return Err(ExclusionReason::NumeratorOutOfRange);
            }
            let value = ratio(fraction.numerator, fraction.denominator).ok_or(ExclusionReason::OutOfRange)?;
            check_magnitude(value)?;
            Ok(Sample { period, value, fraction: Some(fraction) })
        }
    }
}

fn check_magnitude(value: f64) -> Result<(), ExclusionReason> {
    if !value.is_finite() {
        Err(ExclusionReason::NotFinite)
    } else if value.abs() > MAX_MAGNITUDE {
        Err(ExclusionReason::OutOfRange)
    } else {
        Ok(())
    }
}

/// Whether point `index` follows a missing period.
pub(crate) fn after_gap(samples: &[Sample], index: usize) -> bool {
    match (index.checked_sub(1).and_then(|previous| samples.get(previous)), samples.get(index)) {
        (Some(previous), Some(current)) => current.period.abs_diff(previous.period) > 1,
        _ => false,
    }
}
