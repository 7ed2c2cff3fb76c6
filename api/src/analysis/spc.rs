//! SPC as NHS England's "Making Data Count" (MDC) uses it: an XmR chart for counts, rates and continuous
//! measures, a p-chart for proportions, and MDC's special-cause rules, each switchable.
//!
//! Segments: a rebase starts a new segment whose mean and limits come from its own points only, and the
//! rules run within a segment (a shift never straddles a rebase). Within a segment the limits can be fixed
//! on a baseline: the first `k` points give the mean and limits, which then apply to every point.
//!
//! Two of three: two or three of three consecutive points beyond the same two-sigma line (both above the
//! upper one or both below the lower one), wherever the third lies. A point beyond the process limit is
//! beyond the two-sigma line too, so it counts. Only the points beyond the line are flagged.
//!
//! A constant segment has a mean moving range of 0, so its limits and two-sigma lines all equal the mean;
//! every point sits on the mean, and on-mean points break shifts and ties break trends, so it raises no
//! signal. A p-chart whose proportion is 0 or 1 throughout behaves the same way.

use super::input::{Sample, Series, after_gap};
use super::limits::{Limits, LimitsScale, fit_p, fit_xmr};
use super::model::{ChartKind, Direction, Effect, Movement, Position, Rule, Signal};
use super::numeric::{is_above, is_below, position};
use super::rules::{self, CentrePoints, Span, Ties};

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpcConfig {
    /// Rule 1: a point beyond a process limit.
    pub outside_limits: bool,
    /// Rule 2: this many consecutive points on one side of the mean (MDC: 7). `None` switches it off.
    pub shift_length: Option<usize>,
    /// Rule 3: this many consecutive points each higher (or each lower) than the last (MDC: 7).
    pub trend_length: Option<usize>,
    /// Rule 4: two of three consecutive points beyond the same two-sigma line.
    pub two_of_three: bool,
    /// Fix each segment's mean and limits on its first `k` points (at least one, at most all of them).
    pub baseline_points: Option<usize>,
    /// Fix the mean and limits on the points up to this period index, in the segment that holds them:
    /// a segment wholly within the baseline uses all its points, one that starts after it computes its
    /// own limits from all of its points. Takes precedence over `baseline_points`.
    pub baseline_until: Option<i64>,
    /// Period indices at which a new segment starts: the first point at or after each one opens a segment.
    /// Periods rather than positions, so that a missing or excluded point cannot move a rebase.
    pub rebase_periods: Vec<i64>,
    /// Limits computed from fewer points than this are "trial" limits (MDC: 12; 20 is the textbook ideal).
    pub firm_limits_points: usize,
    /// XmR limits at 2.66 (MDC) or 3 / 1.128 mean moving ranges from the mean. A p-chart's limits are
    /// three binomial sigmas either way.
    pub limits_scale: LimitsScale,
    /// Leave moving ranges above 3.267 times their mean out of the XmR limits (PowerBI-SPC's default;
    /// Making Data Count keeps them).
    pub screen_moving_ranges: bool,
}

impl Default for SpcConfig {
    fn default() -> Self {
        SpcConfig {
            outside_limits: true,
            shift_length: Some(7),
            trend_length: Some(7),
            two_of_three: true,
            baseline_points: None,
            baseline_until: None,
            rebase_periods: Vec::new(),
            firm_limits_points: 12,
            limits_scale: LimitsScale::MakingDataCount,
            screen_moving_ranges: false,
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    /// Index of its first point in the chart's `points`.
    pub start: usize,
    /// Index of its last point (inclusive).
    pub end: usize,
    pub first_period: i64,
    pub last_period: i64,
    /// The mean (XmR) or pooled proportion Σ numerators / Σ denominators (p-chart) of its baseline.
    pub centre: f64,
    /// XmR only.
    pub mean_moving_range: Option<f64>,
    /// XmR only: one set for the whole segment. A p-chart's limits are per point.
    pub limits: Option<Limits>,
    /// How many points the centre and limits were computed from.
    pub baseline_points: usize,
    /// Computed from fewer points than `SpcConfig::firm_limits_points`.
    pub trial: bool,
}

/// A point as drawn, with the flags a front end needs to highlight it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct SpcPoint {
    pub period: i64,
    pub value: f64,
    /// A p-chart point's denominator, on which its limits depend.
    pub denominator: Option<f64>,
    /// Index into the chart's `segments`.
    pub segment: usize,
    pub centre: f64,
    pub limits: Limits,
    /// |x − previous x| within the segment (XmR only; none for a segment's first point).
    pub moving_range: Option<f64>,
    /// Screening left this point's moving range out of the segment's mean moving range.
    pub moving_range_screened_out: bool,
    pub position: Position,
    /// The period before this one is missing from the chart.
    pub after_gap: bool,
    /// Among the points the segment's centre and limits were computed from.
    pub in_baseline: bool,
    pub above_upper_limit: bool,
    pub below_lower_limit: bool,
    pub in_shift: bool,
    pub in_trend: bool,
    pub in_two_of_three: bool,
    /// `None` for common-cause variation; otherwise how the special causes covering the point read.
    pub special_cause: Option<Effect>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct SpcChart {
    pub kind: ChartKind,
    pub points: Vec<SpcPoint>,
    pub segments: Vec<Segment>,
    /// Ordered by their last point, then their first.
    pub signals: Vec<Signal>,
    /// The scale the XmR limits were drawn at.
    pub limits_scale: LimitsScale,
    /// Whether outlying moving ranges were left out of the XmR limits.
    pub moving_ranges_screened: bool,
}

pub fn spc_chart(series: &Series, direction: Direction, config: &SpcConfig) -> SpcChart {
    let samples = series.samples();
    let periods: Vec<i64> = samples.iter().map(|sample| sample.period).collect();
    let mut points = Vec::with_capacity(samples.len());
    let mut segments = Vec::new();
    for (start, end) in segment_bounds(samples, &config.rebase_periods) {
        let slice = &samples[start..=end];
        let baseline = match config.baseline_until {
            Some(until) => match slice.iter().filter(|sample| sample.period <= until).count() {
                0 => slice.len(),
                within => within,
            },
            None => config.baseline_points.map_or(slice.len(), |k| k.clamp(1, slice.len())),
        };
        let fit = match series.kind() {
            ChartKind::Xmr => fit_xmr(slice, baseline, config.limits_scale, config.screen_moving_ranges),
            ChartKind::P => fit_p(slice, baseline),
        };
        for (offset, (sample, (limits, moving_range))) in
            slice.iter().zip(fit.point_limits.iter().zip(&fit.moving_ranges)).enumerate()
        {
            points.push(SpcPoint {
                period: sample.period,
                value: sample.value,
                denominator: sample.fraction.map(|fraction| fraction.denominator),
                segment: segments.len(),
                centre: fit.centre,
                limits: *limits,
                moving_range: *moving_range,
                moving_range_screened_out: fit.screened_out[offset],
                position: position(sample.value, fit.centre),
                after_gap: after_gap(samples, start + offset),
                in_baseline: offset < baseline,
                above_upper_limit: is_above(sample.value, limits.upper),
                below_lower_limit: is_below(sample.value, limits.lower),
                in_shift: false,
                in_trend: false,
                in_two_of_three: false,
                special_cause: None,
            });
        }
        segments.push(Segment {
            start,
            end,
            first_period: periods[start],
            last_period: periods[end],
            centre: fit.centre,
            mean_moving_range: fit.mean_moving_range,
            limits: fit.segment_limits,
            baseline_points: baseline,
            trial: baseline < config.firm_limits_points,
        });
    }
    let mut signals = Vec::new();
    for segment in &segments {
        let found = Finder { offset: segment.start, periods: &periods, direction, config };
        signals.extend(found.signals(&mut points[segment.start..=segment.end]));
    }
    signals.sort_by_key(|signal| (signal.end, signal.start));
    SpcChart {
        kind: series.kind(),
        points,
        segments,
        signals,
        limits_scale: config.limits_scale,
        moving_ranges_screened: config.screen_moving_ranges,
    }
}

/// Runs of samples between rebases, as inclusive index ranges; a rebase with no point after it (before
/// the next one) opens no segment.
fn segment_bounds(samples: &[Sample], rebase_periods: &[i64]) -> Vec<(usize, usize)> {
    let segment_of = |period: i64| rebase_periods.iter().filter(|&&rebase| rebase <= period).count();
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    let mut current = None;
    for (index, sample) in samples.iter().enumerate() {
        let segment = segment_of(sample.period);
        match bounds.last_mut() {
            Some(bound) if current == Some(segment) => bound.1 = index,
            _ => {
                bounds.push((index, index));
                current = Some(segment);
            }
        }
    }
    bounds
}

/// The special-cause rules over one segment's points, which it flags as it goes.
struct Finder<'a> {
    /// Index of the segment's first point in the chart, to turn local spans into chart indices.
    offset: usize,
    periods: &'a [i64],
    direction: Direction,
    config: &'a SpcConfig,
}

impl Finder<'_> {
    fn signals(&self, points: &mut [SpcPoint]) -> Vec<Signal> {
        let values: Vec<f64> = points.iter().map(|point| point.value).collect();
        let mut signals = Vec::new();
        if self.config.outside_limits {
            let lower: Vec<f64> = points.iter().map(|point| point.limits.lower).collect();
            let upper: Vec<f64> = points.iter().map(|point| point.limits.upper).collect();
            for span in rules::outside(&values, &lower, &upper) {
                signals.push(self.raise(points, Rule::OutsideProcessLimits, &span, |_| true, |_| {}));
            }
        }
        if let Some(length) = self.config.shift_length {
            let positions: Vec<Position> = points.iter().map(|point| point.position).collect();
            for span in rules::shifts(&positions, length, CentrePoints::Break) {
                signals.push(self.raise(
                    points,
                    Rule::SpcShift,
                    &span,
                    |_| true,
                    |point| point.in_shift = true,
                ));
            }
        }
        if let Some(length) = self.config.trend_length {
            for span in rules::trends(&values, length, Ties::Break) {
                signals.push(self.raise(
                    points,
                    Rule::SpcTrend,
                    &span,
                    |_| true,
                    |point| point.in_trend = true,
                ));
            }
        }
        if self.config.two_of_three {
            let beyond: Vec<Option<Movement>> = points.iter().map(beyond_two_sigma).collect();
            let (flagged, spans) = rules::two_of_three(&beyond);
            // A point between two flagged ones but not beyond the line is not part of the pattern.
            let is_flagged = |index: usize| flagged.get(index).copied().unwrap_or(false);
            for span in spans {
                let rule = Rule::TwoOfThreeBeyondTwoSigma;
                signals
                    .push(self.raise(points, rule, &span, is_flagged, |point| point.in_two_of_three = true));
            }
        }
        signals
    }

    /// The signal for `span`, after flagging with `set` those of its points that `counts` (given an index
    /// within the segment), and recording their special cause.
    fn raise(
        &self,
        points: &mut [SpcPoint],
        rule: Rule,
        span: &Span,
        counts: impl Fn(usize) -> bool,
        set: impl Fn(&mut SpcPoint),
    ) -> Signal {
        let chart_span = (self.offset + span.start, self.offset + span.end);
        let signal = Signal::new(rule, Some(span.movement), chart_span, self.periods, self.direction);
        for (index, point) in points.iter_mut().enumerate().take(span.end + 1).skip(span.start) {
            if counts(index) {
                set(point);
                point.special_cause = Effect::combine(point.special_cause, signal.effect);
            }
        }
        signal
    }
}

fn beyond_two_sigma(point: &SpcPoint) -> Option<Movement> {
    if is_above(point.value, point.limits.upper_two_sigma) {
        Some(Movement::Up)
    } else if is_below(point.value, point.limits.lower_two_sigma) {
        Some(Movement::Down)
    } else {
        None
    }
}
