//! The vocabulary shared by both charts and the verdict: how a measure is read, where a point sits, and
//! what a signal is.

/// Which way is good for a measure. Every signal is read through it: the same upward shift is an
/// improvement for a vaccination rate and a concern for a fall rate.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// What a measure counts. It picks the SPC chart, because a proportion's limits depend on each period's
/// denominator while everything else is judged by its own point-to-point variation.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    Proportion,
    Rate,
    Count,
    Continuous,
}

impl Unit {
    /// A p-chart for proportions, an XmR chart for rates, counts and continuous measures (as NHS England's
    /// "Making Data Count" does: the XmR chart's empirical limits need no distributional assumption).
    pub fn chart_kind(self) -> ChartKind {
        match self {
            Unit::Proportion => ChartKind::P,
            Unit::Rate | Unit::Count | Unit::Continuous => ChartKind::Xmr,
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChartKind {
    /// Individuals and moving range: one value per period.
    Xmr,
    /// Proportion: numerator over denominator per period, limits per point.
    P,
}

/// Where a point sits against a chart's centre line: the median of a run chart, the mean of an SPC chart.
/// "On" the centre allows for floating-point noise (see `numeric::same_level`).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    Above,
    Below,
    OnCentre,
}

/// Which way a signal moved the values, before the measure's direction says whether that is good.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Movement {
    Up,
    Down,
}

/// A signal read through the measure's direction: MDC's "special cause improving / concerning variation".
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    Improvement,
    Concern,
    /// Non-random but with no good or bad side (too many runs, too few crossings), or, on a point, covered
    /// by signals that disagree.
    Neither,
}

impl Effect {
    pub fn of(movement: Option<Movement>, direction: Direction) -> Effect {
        match (movement, direction) {
            (None, _) => Effect::Neither,
            (Some(Movement::Up), Direction::HigherIsBetter)
            | (Some(Movement::Down), Direction::LowerIsBetter) => Effect::Improvement,
            (Some(Movement::Up), Direction::LowerIsBetter)
            | (Some(Movement::Down), Direction::HigherIsBetter) => Effect::Concern,
        }
    }

    /// The effect of a point that more than one signal covers: agreement keeps it, disagreement is neither.
    pub(crate) fn combine(current: Option<Effect>, new: Effect) -> Option<Effect> {
        match current {
            None => Some(new),
            Some(existing) if existing == new => Some(existing),
            Some(_) => Some(Effect::Neither),
        }
    }
}

/// The rule that raised a signal.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Run chart: enough consecutive points on one side of the median (IHI: 6).
    RunChartShift,
    /// Run chart: enough consecutive points going one way, equal neighbours counted once (IHI: 5).
    RunChartTrend,
    /// Run chart: fewer runs than the published table's lower limit.
    TooFewRuns,
    /// Run chart: more runs than the published table's upper limit.
    TooManyRuns,
    /// Anhøj: a run longer than round(log2 n) + 3.
    AnhoejLongestRun,
    /// Anhøj: fewer median crossings than the binomial 5% quantile.
    AnhoejFewCrossings,
    /// SPC: a point beyond a process limit.
    OutsideProcessLimits,
    /// SPC: enough consecutive points on one side of the mean (MDC: 7).
    SpcShift,
    /// SPC: enough consecutive points each higher (or each lower) than the last (MDC: 7).
    SpcTrend,
    /// SPC: two of three consecutive points beyond the same two-sigma line.
    TwoOfThreeBeyondTwoSigma,
}

/// Evidence of non-random variation, located so that a front end can highlight it and the verdict can
/// order it in time.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Signal {
    pub rule: Rule,
    /// `None` for the rules about how often the series crosses its centre, which have no side.
    pub movement: Option<Movement>,
    pub effect: Effect,
    /// Index of the first point the signal covers in its chart's `points`.
    pub start: usize,
    /// Index of the last point it covers (inclusive).
    pub end: usize,
    pub first_period: i64,
    pub last_period: i64,
}

impl Signal {
    /// `periods[i]` is the period of the chart's point `i`; `start..=end` must index it.
    pub(crate) fn new(
        rule: Rule,
        movement: Option<Movement>,
        (start, end): (usize, usize),
        periods: &[i64],
        direction: Direction,
    ) -> Signal {
        let period_at = |index: usize| periods.get(index).copied().unwrap_or_default();
        Signal {
            rule,
            movement,
            effect: Effect::of(movement, direction),
            start,
            end,
            first_period: period_at(start),
            last_period: period_at(end),
        }
    }
}
