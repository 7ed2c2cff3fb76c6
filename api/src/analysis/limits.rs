//! Centre lines and limits for one segment of an SPC chart, from its baseline points.

use super::input::Sample;
use super::numeric::{is_above, mean, ratio};

/// D4 for moving ranges of two points: the upper limit of a moving-range chart, in mean moving ranges.
/// A moving range above it is itself a special cause, and screening leaves it out of the limits.
pub const MOVING_RANGE_SCREEN: f64 = 3.267;

/// 3 / d2, with d2 = 1.128 for moving ranges of two points: mean ± 2.66 × mean moving range is the XmR
/// estimate of mean ± 3 sigma.
pub const XMR_LIMIT_FACTOR: f64 = 2.66;

/// How far an XmR chart's process limits sit from its mean, in mean moving ranges.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LimitsScale {
    /// 2.66, as Making Data Count (and NHSRplotthedots) round 3 / d2.
    #[default]
    MakingDataCount,
    /// 3 / 1.128 = 2.6596…, unrounded, as textbooks and most other tools compute it.
    Textbook,
}

impl LimitsScale {
    pub fn factor(self) -> f64 {
        match self {
            Self::MakingDataCount => XMR_LIMIT_FACTOR,
            Self::Textbook => 3.0 / 1.128,
        }
    }
}

/// Process limits (about three sigma), and two- and one-sigma lines. A p-chart's are clipped to [0, 1].
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    pub lower: f64,
    pub upper: f64,
    pub lower_two_sigma: f64,
    pub upper_two_sigma: f64,
    pub lower_one_sigma: f64,
    pub upper_one_sigma: f64,
}

/// A segment's centre and limits, and each point's limits and moving range.
pub(crate) struct Fit {
    pub centre: f64,
    pub mean_moving_range: Option<f64>,
    pub segment_limits: Option<Limits>,
    pub point_limits: Vec<Limits>,
    pub moving_ranges: Vec<Option<f64>>,
    /// Per point: its moving range was left out of the mean moving range by screening.
    pub screened_out: Vec<bool>,
}

/// Mean of the baseline, mean of the moving ranges inside it (a single point has none: 0), and limits at
/// mean ± `scale` × that (2.66 by default), two-sigma lines at two thirds of the way. With `screen`, the
/// baseline's moving ranges above 3.267 times their mean are left out and the mean taken again over the
/// rest (once, as PowerBI-SPC does), so that one jump does not widen the limits.
pub(crate) fn fit_xmr(slice: &[Sample], baseline: usize, scale: LimitsScale, screen: bool) -> Fit {
    let values: Vec<f64> = slice.iter().map(|sample| sample.value).collect();
    let moving_ranges: Vec<Option<f64>> = (0..values.len())
        .map(|index| index.checked_sub(1).map(|previous| (values[index] - values[previous]).abs()))
        .collect();
    let centre = mean(&values[..baseline]).unwrap_or_default();
    let baseline_ranges: Vec<f64> = moving_ranges[..baseline].iter().flatten().copied().collect();
    let unscreened = mean(&baseline_ranges).unwrap_or_default();
    let screen_above = |range: f64| screen && is_above(range, MOVING_RANGE_SCREEN * unscreened);
    let screened_out: Vec<bool> = moving_ranges
        .iter()
        .enumerate()
        .map(|(index, range)| index < baseline && range.is_some_and(screen_above))
        .collect();
    let kept: Vec<f64> = baseline_ranges.iter().copied().filter(|&range| !screen_above(range)).collect();
    let mean_moving_range = mean(&kept).unwrap_or(unscreened);
    let width = scale.factor() * mean_moving_range;
    let two_sigma_width = 2.0 / 3.0 * width;
    let limits = Limits {
        lower: centre - width,
        upper: centre + width,
        lower_two_sigma: centre - two_sigma_width,
        upper_two_sigma: centre + two_sigma_width,
        lower_one_sigma: centre - width / 3.0,
        upper_one_sigma: centre + width / 3.0,
    };
    Fit {
        centre,
        mean_moving_range: Some(mean_moving_range),
        segment_limits: Some(limits),
        point_limits: vec![limits; values.len()],
        moving_ranges,
        screened_out,
    }
}

/// Pooled proportion of the baseline, and for every point p̄ ± k·√(p̄(1 − p̄)/nᵢ) with its own nᵢ, clipped
/// to [0, 1] because a proportion cannot leave it.
pub(crate) fn fit_p(slice: &[Sample], baseline: usize) -> Fit {
    let fractions = slice[..baseline].iter().filter_map(|sample| sample.fraction);
    let (numerators, denominators) = fractions.fold((0.0, 0.0), |(numerators, denominators), fraction| {
        (numerators + fraction.numerator, denominators + fraction.denominator)
    });
    let centre = ratio(numerators, denominators).unwrap_or_default().clamp(0.0, 1.0);
    let variance = centre * (1.0 - centre);
    let point_limits = slice
        .iter()
        .map(|sample| {
            let denominator = sample.fraction.map_or(0.0, |fraction| fraction.denominator);
            let sigma = ratio(variance, denominator).map_or(0.0, f64::sqrt);
            Limits {
                lower: (centre - 3.0 * sigma).max(0.0),
                upper: (centre + 3.0 * sigma).min(1.0),
                lower_two_sigma: (centre - 2.0 * sigma).max(0.0),
                upper_two_sigma: (centre + 2.0 * sigma).min(1.0),
                lower_one_sigma: (centre - sigma).max(0.0),
                upper_one_sigma: (centre + sigma).min(1.0),
            }
        })
        .collect();
    Fit {
        centre,
        mean_moving_range: None,
        segment_limits: None,
        point_limits,
        moving_ranges: vec![None; slice.len()],
        screened_out: vec![false; slice.len()],
    }
}
