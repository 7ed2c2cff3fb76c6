//! The run chart (IHI; Perla, Provost and Murray 2011): the series against its median, with the shift,
//! trend and number-of-runs rules, and optionally the Anhøj rules.
//!
//! Points exactly on the median are not "useful": they neither break nor add to a run or shift, and the
//! run-count and Anhøj rules count only the others. A series whose points all sit on the median (a constant
//! one) therefore has no useful points, no runs and no signals. Equal neighbours count once in a trend.

use super::input::{Series, after_gap};
use super::model::{Direction, Effect, Movement, Position, Rule, Signal};
use super::numeric::{median, position};
use super::rules::{self, CentrePoints, Span, Ties};
use super::tables::{self, RunCountLimits};

/// Which run-chart rules apply and how long a pattern must be. `None` switches a rule off.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunChartConfig {
    /// Take the median of the first `k` points only (a baseline: at least one point, at most all) and
    /// judge every point against it.
    pub baseline_points: Option<usize>,
    /// IHI: 6 or more consecutive useful points on one side of the median.
    pub shift_length: Option<usize>,
    /// IHI: 5 or more consecutive points all going up or all going down.
    pub trend_length: Option<usize>,
    /// Too few or too many runs, by the published table (10..=60 useful observations).
    pub run_count: bool,
    /// The Anhøj rules: an unusually long run, or unusually few crossings.
    pub anhoej: bool,
}

impl Default for RunChartConfig {
    fn default() -> Self {
        RunChartConfig {
            baseline_points: None,
            shift_length: Some(6),
            trend_length: Some(5),
            run_count: true,
            anhoej: false,
        }
    }
}

/// The Anhøj critical values for this chart's number of useful observations.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AnhoejLimits {
    /// A run longer than this signals a shift.
    pub longest_run: usize,
    /// Fewer crossings than this signal a shift.
    pub min_crossings: usize,
}

/// A point as drawn, with the flags a front end needs to highlight it.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct RunChartPoint {
    pub period: i64,
    pub value: f64,
    pub position: Position,
    /// The period before this one is missing from the chart.
    pub after_gap: bool,
    /// Among the points the median was taken from.
    pub in_baseline: bool,
    pub in_shift: bool,
    pub in_trend: bool,
    /// In a run longer than the Anhøj limit.
    pub in_long_run: bool,
    /// How the signals covering this point read, if any cover it.
    pub signal_effect: Option<Effect>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct RunChart {
    /// `None` only when there are no points.
    pub median: Option<f64>,
    pub points: Vec<RunChartPoint>,
    /// Points not on the median.
    pub useful_observations: usize,
    pub runs: usize,
    /// How often consecutive useful points change side: runs − 1.
    pub crossings: usize,
    /// The most useful points in one run.
    pub longest_run: usize,
    /// The table's limits when the run-count rule is on and applies to this many useful observations.
    pub run_count_limits: Option<RunCountLimits>,
    /// The Anhøj limits when those rules are on.
    pub anhoej_limits: Option<AnhoejLimits>,
    /// Ordered by their last point, then their first.
    pub signals: Vec<Signal>,
}

pub fn run_chart(series: &Series, direction: Direction, config: &RunChartConfig) -> RunChart {
    let samples = series.samples();
    let values: Vec<f64> = samples.iter().map(|sample| sample.value).collect();
    let periods: Vec<i64> = samples.iter().map(|sample| sample.period).collect();
    let baseline_len = config.baseline_points.map_or(values.len(), |k| k.clamp(1, values.len().max(1)));
    let median = median(values.get(..baseline_len).unwrap_or(&values));
    let positions: Vec<Position> = values
        .iter()
        .map(|&value| median.map_or(Position::OnCentre, |centre| position(value, centre)))
        .collect();
    let mut points: Vec<RunChartPoint> = samples
        .iter()
        .zip(&positions)
        .enumerate()
        .map(|(index, (sample, &position))| RunChartPoint {
            period: sample.period,
            value: sample.value,
            position,
            after_gap: after_gap(samples, index),
            in_baseline: index < baseline_len,
            in_shift: false,
            in_trend: false,
            in_long_run: false,
            signal_effect: None,
        })
        .collect();

    let runs = rules::shifts(&positions, 1, CentrePoints::Skip);
    let useful_observations = runs.iter().map(|run| run.points).sum();
    let crossings = runs.len().saturating_sub(1);
    let longest_run = runs.iter().map(|run| run.points).max().unwrap_or(0);
    let mut signals = Vec::new();
    let signal = |rule: Rule, movement: Option<Movement>, span: (usize, usize)| {
        Signal::new(rule, movement, span, &periods, direction)
    };

    if let Some(length) = config.shift_length {
        for shift in rules::shifts(&positions, length, CentrePoints::Skip) {
            let found = signal(Rule::RunChartShift, Some(shift.movement), (shift.start, shift.end));
            flag(&mut points, &shift, Counted::Useful, found.effect, |point| point.in_shift = true);
            signals.push(found);
        }
    }
    if let Some(length) = config.trend_length {
        for trend in rules::trends(&values, length, Ties::CountOnce) {
            let found = signal(Rule::RunChartTrend, Some(trend.movement), (trend.start, trend.end));
            flag(&mut points, &trend, Counted::All, found.effect, |point| point.in_trend = true);
            signals.push(found);
        }
    }
    // The rules about the number of runs concern every useful point, from the first to the last; having
    // no side, they flag no point.
    let useful_span = runs.first().zip(runs.last()).map(|(first, last)| (first.start, last.end));
    let run_count_limits =
        if config.run_count { tables::run_count_limits(useful_observations) } else { None };
    if let (Some(limits), Some(span)) = (run_count_limits, useful_span) {
        if runs.len() < limits.lower {
            signals.push(signal(Rule::TooFewRuns, None, span));
        } else if runs.len() > limits.upper {
            signals.push(signal(Rule::TooManyRuns, None, span));
        }
    }
    let anhoej_limits = config.anhoej.then(|| AnhoejLimits {
        longest_run: tables::anhoej_longest_run_limit(useful_observations),
        min_crossings: tables::anhoej_min_crossings(useful_observations),
    });
    if let (Some(limits), Some(span)) = (anhoej_limits, useful_span) {
        for run in runs.iter().filter(|run| run.points > limits.longest_run) {
            let found = signal(Rule::AnhoejLongestRun, Some(run.movement), (run.start, run.end));
            flag(&mut points, run, Counted::Useful, found.effect, |point| point.in_long_run = true);
            signals.push(found);
        }
        if crossings < limits.min_crossings {
            signals.push(signal(Rule::AnhoejFewCrossings, None, span));
        }
    }
    signals.sort_by_key(|signal| (signal.end, signal.start));
    RunChart {
        median,
        points,
        useful_observations,
        runs: runs.len(),
        crossings,
        longest_run,
        run_count_limits,
        anhoej_limits,
        signals,
    }
}

/// Which points of a span a pattern is made of.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// A run or shift: the points off the median.
    Useful,
    /// A trend: every point, including any on the median.
    All,
}

fn flag(
    points: &mut [RunChartPoint],
    span: &Span,
    counted: Counted,
    effect: Effect,
    set: impl Fn(&mut RunChartPoint),
) {
    let covered = points[span.start..=span.end].iter_mut();
    for point in covered.filter(|point| counted == Counted::All || point.position != Position::OnCentre) {
        set(point);
        point.signal_effect = Effect::combine(point.signal_effect, effect);
    }
}
