//! What the charts say about a series as a whole: the verdict, and the assurance against a target.

use super::model::{Direction, Effect, Position, Signal};
use super::numeric::{is_above, is_below};
use super::run_chart::RunChart;
use super::spc::SpcChart;

/// The verdict on a series, read through the measure's direction.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Improving,
    Deteriorating,
    NoSignal,
    InsufficientData,
}

/// How many points each chart needs: the run chart before its signals count towards a verdict, the
/// SPC chart before its limits stop being trial limits (its signals count before, provisionally).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VerdictConfig {
    /// Points on the run chart (IHI: at least 10 before the run rules mean much).
    pub min_run_chart_points: usize,
    /// Points in the SPC chart's latest segment (MDC: 12 before limits stop being trial limits).
    pub min_spc_points: usize,
}

impl Default for VerdictConfig {
    fn default() -> Self {
        VerdictConfig { min_run_chart_points: 10, min_spc_points: 12 }
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct VerdictReport {
    pub verdict: Verdict,
    /// The signals that justify the verdict: for IMPROVING the improvement signals after the latest
    /// concern (all of them if there is none), symmetrically for DETERIORATING; for NO_SIGNAL the
    /// improvement and concern signals that end together, if that is why; none for INSUFFICIENT_DATA.
    pub signals: Vec<Signal>,
    /// Whether the run chart had enough points for its signals to count.
    pub run_chart_considered: bool,
    /// Whether the SPC chart's signals counted: always, once it has a point (MDC reads signals on trial
    /// limits too).
    pub spc_considered: bool,
    /// The SPC chart's latest segment has fewer points than settled limits need, so its limits are trial
    /// limits and the verdict may change as they settle.
    pub provisional: bool,
    /// Signals ending before this period (the start of the SPC chart's latest segment) were ignored.
    pub from_period: Option<i64>,
}

/// The verdict on a series. The rule, in order:
///
/// 1. The run chart's signals count once it has enough points ([`VerdictConfig`]). The SPC chart's count
///    always, as Making Data Count shows them on trial limits; while its latest segment is shorter than
///    settled limits need, the verdict is provisional. If the run chart is too short, the latest segment
///    too, and no signal with a side shows, the verdict is INSUFFICIENT_DATA: then a chart's points show
///    no signal the verdict ignores.
/// 2. Only signals with a good or bad side count (shifts, trends, Anhøj long runs, points beyond limits,
///    two-of-three), and only those whose last point lies in the SPC chart's latest segment: a rebase says
///    the process changed, and the verdict is about the process as it is now.
/// 3. Signals are ordered by the period of their last point. IMPROVING if there is an improvement signal
///    and no concern signal ends later or at the same time; DETERIORATING symmetrically; otherwise
///    NO_SIGNAL — which includes an improvement and a concern ending in the same period, because the
///    data then point both ways at once.
pub fn verdict(run_chart: &RunChart, spc: &SpcChart, config: &VerdictConfig) -> VerdictReport {
    let latest_segment = spc.segments.last();
    let from_period = latest_segment.map(|segment| segment.first_period);
    let run_chart_considered = run_chart.points.len() >= config.min_run_chart_points;
    let spc_considered = latest_segment.is_some();
    let spc_settled =
        latest_segment.is_some_and(|segment| segment.end - segment.start + 1 >= config.min_spc_points);
    let report = |verdict: Verdict, signals: Vec<Signal>| VerdictReport {
        provisional: verdict != Verdict::InsufficientData && !spc_settled,
        verdict,
        signals,
        run_chart_considered,
        spc_considered,
        from_period,
    };
    let considered = |chart_considered: bool, signals: &[Signal]| -> Vec<Signal> {
        let chart_signals = if chart_considered { signals } else { &[] };
        chart_signals
            .iter()
            .filter(|signal| signal.effect != Effect::Neither)
            .filter(|signal| from_period.is_none_or(|from| signal.last_period >= from))
            .cloned()
            .collect()
    };
    let mut in_scope = considered(run_chart_considered, &run_chart.signals);
    in_scope.extend(considered(spc_considered, &spc.signals));
    in_scope.sort_by_key(|signal| (signal.last_period, signal.first_period));
    if !run_chart_considered && !spc_settled && in_scope.is_empty() {
        return report(Verdict::InsufficientData, Vec::new());
    }

    let latest = |effect: Effect| in_scope.iter().filter(|s| s.effect == effect).map(|s| s.last_period).max();
    let since = |effect: Effect, after: Option<i64>| -> Vec<Signal> {
        let later = |signal: &&Signal| after.is_none_or(|after| signal.last_period > after);
        in_scope.iter().filter(|signal| signal.effect == effect).filter(later).cloned().collect()
    };
    match (latest(Effect::Improvement), latest(Effect::Concern)) {
        (None, None) => report(Verdict::NoSignal, Vec::new()),
        (Some(improvement), concern) if concern.is_none_or(|concern| concern < improvement) => {
            report(Verdict::Improving, since(Effect::Improvement, concern))
        }
        (improvement, Some(concern)) if improvement.is_none_or(|improvement| improvement < concern) => {
            report(Verdict::Deteriorating, since(Effect::Concern, improvement))
        }
        (_, latest_concern) => {
            let conflicting =
                in_scope.into_iter().filter(|signal| Some(signal.last_period) == latest_concern);
            report(Verdict::NoSignal, conflicting.collect())
        }
    }
}

/// Whether the process, as its limits describe it, will meet a target (MDC's assurance icons).
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Assurance {
    /// The target lies beyond the limit on the bad side: every point the process produces meets it.
    ConsistentlyPasses,
    /// The target lies beyond the limit on the good side: no point will meet it.
    ConsistentlyFails,
    /// The target lies within the limits, on them included: it will be hit and missed at random.
    Inconsistent,
}

/// Assurance of the latest point's limits against `target` (in the plotted unit: a proportion from 0 to 1
/// on a p-chart). An XmR chart's latest limits are its latest segment's; a p-chart's depend on each
/// point's denominator, so the latest point's own limits are used, as the best guide to the next period.
///
/// As Making Data Count defines it (and NHSRplotthedots computes it): only a target strictly beyond a
/// limit is assured either way; one inside the limits or on one is hit-or-miss. For HIGHER_IS_BETTER a
/// target below the lower limit passes and above the upper limit fails; LOWER_IS_BETTER mirrors it. So a
/// p-chart whose upper limit is clipped to 1 cannot "fail" a target of 1 (a process that sometimes
/// reaches 100 % sometimes meets it), and a constant series is hit-or-miss against a target equal to its
/// value. "On a limit" allows for rounding (`is_above`, `is_below`). `None` without points or with a non-finite
/// target.
pub fn assurance(chart: &SpcChart, direction: Direction, target: f64) -> Option<Assurance> {
    let limits = chart.points.last()?.limits;
    if !target.is_finite() {
        return None;
    }
    let (below_lower, above_upper) = (is_below(target, limits.lower), is_above(target, limits.upper));
    let (passes, fails) = match direction {
        Direction::HigherIsBetter => (below_lower, above_upper),
        Direction::LowerIsBetter => (above_upper, below_lower),
    };
    Some(if passes {
        Assurance::ConsistentlyPasses
    } else if fails {
        Assurance::ConsistentlyFails
    } else {
        Assurance::Inconsistent
    })
}

/// Making Data Count's variation icon: what the latest point says, read through the measure's
/// direction.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variation {
    /// The latest point is common-cause variation.
    CommonCause,
    /// Special cause of an improving nature, the point above the centre line (higher is better).
    ImprovingHigh,
    /// Special cause of an improving nature, the point below the centre line (lower is better).
    ImprovingLow,
    /// Special cause of a concerning nature, above the centre line (lower is better).
    ConcerningHigh,
    /// Special cause of a concerning nature, below the centre line (higher is better).
    ConcerningLow,
    /// Special causes that disagree cover the latest point (an improvement and a concern at once).
    Neither,
}

/// The variation icon of the SPC chart's latest point; `None` without points.
pub fn variation(chart: &SpcChart) -> Option<Variation> {
    let latest = chart.points.last()?;
    let high = latest.position == Position::Above;
    Some(match latest.special_cause {
        None => Variation::CommonCause,
        Some(Effect::Improvement) if high => Variation::ImprovingHigh,
        Some(Effect::Improvement) => Variation::ImprovingLow,
        Some(Effect::Concern) if high => Variation::ConcerningHigh,
        Some(Effect::Concern) => Variation::ConcerningLow,
        Some(Effect::Neither) => Variation::Neither,
    })
}
