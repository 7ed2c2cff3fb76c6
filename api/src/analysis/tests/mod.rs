//! Worked examples. Every expected number was computed independently of this code: by hand, or with a
//! short Python script using exact fractions (the numbers, not the script, are written here).

mod input;
mod robustness;
mod run_chart;
mod spc;
mod tables;
mod verdict;

use super::{Measurement, Movement, Point, Rule, Series, Signal, Unit};

/// Twelve points alternating 11, 10: mean 10.5 and mean moving range 1, so XmR limits 7.84 and 13.16
/// and two-sigma lines 8.7266… and 12.2733…; and it ends below the mean, so it never extends a shift.
pub(super) const BASELINE: [f64; 12] =
    [11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0];

/// `BASELINE` followed by `rest`.
pub(super) fn after_baseline(rest: &[f64]) -> Vec<f64> {
    BASELINE.iter().chain(rest).copied().collect()
}

/// One point per consecutive period, starting at period 0.
pub(super) fn points(values: &[f64]) -> Vec<Point> {
    values
        .iter()
        .enumerate()
        .map(|(period, &value)| Point { period: period as i64, measurement: Measurement::Value(value) })
        .collect()
}

pub(super) fn series(values: &[f64]) -> Series {
    Series::new(&points(values), Unit::Continuous)
}

pub(super) fn proportions(pairs: &[(f64, f64)]) -> Series {
    let points: Vec<Point> = pairs
        .iter()
        .enumerate()
        .map(|(period, &(numerator, denominator))| Point {
            period: period as i64,
            measurement: Measurement::Fraction(super::Fraction { numerator, denominator }),
        })
        .collect();
    Series::new(&points, Unit::Proportion)
}

#[track_caller]
pub(super) fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "expected {expected}, got {actual}");
}

/// (rule, movement, first index, last index) of each signal, for compact assertions.
pub(super) fn summary(signals: &[Signal]) -> Vec<(Rule, Option<Movement>, usize, usize)> {
    signals.iter().map(|signal| (signal.rule, signal.movement, signal.start, signal.end)).collect()
}
