//! Small numeric helpers. Comparisons carry a tolerance so that a value entered as 0.2 counts as on a
//! centre line computed as 0.20000000000000004, and two readings entered as equal stay equal.

use super::model::Position;

/// Relative to the larger magnitude, with an absolute floor of this much for values below 1, so that
/// proportions near zero are still compared sensibly.
const TOLERANCE: f64 = 1e-9;

pub(crate) fn same_level(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

pub(crate) fn is_above(value: f64, level: f64) -> bool {
    value > level && !same_level(value, level)
}

pub(crate) fn is_below(value: f64, level: f64) -> bool {
    value < level && !same_level(value, level)
}

pub(crate) fn position(value: f64, centre: f64) -> Position {
    if is_above(value, centre) {
        Position::Above
    } else if is_below(value, centre) {
        Position::Below
    } else {
        Position::OnCentre
    }
}

pub(crate) fn mean(values: &[f64]) -> Option<f64> {
    ratio(values.iter().sum(), values.len() as f64)
}

/// The middle value, or the mean of the middle two for an even count.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        len if len % 2 == 1 => sorted.get(middle).copied(),
        _ => Some((sorted.get(middle - 1)? + sorted.get(middle)?) / 2.0),
    }
}

/// `numerator / denominator` when the denominator is positive and the quotient finite; every division in
/// the analysis goes through here so that no NaN or infinity can reach a chart.
pub(crate) fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator > 0.0 {
        Some(numerator / denominator).filter(|quotient| quotient.is_finite())
    } else {
        None
    }
}
