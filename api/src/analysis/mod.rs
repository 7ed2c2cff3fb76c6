//! Run-chart and SPC analysis of monitoring data: plain functions, no I/O.
//!
//! [`analyse`] is the whole analysis of one series; the pieces are public for callers that need one:
//! [`Series::new`] cleans the observations, [`run_chart`] and [`spc_chart`] draw the charts, [`verdict`]
//! and [`assurance`] read them. Every number that leaves this module is finite.
//!
//! Points are taken in period order. A missing period is neither filled in nor a break: patterns run on
//! across it and each chart flags the point after it (`after_gap`). Observations a chart cannot use (a zero
//! denominator, a non-finite value, a second one for the same period, …) are set aside and reported with
//! their reason, never divided by or silently dropped.

mod input;
mod limits;
mod model;
mod numeric;
mod rules;
mod run_chart;
mod spc;
mod tables;
mod verdict;

#[cfg(test)]
mod tests;

pub use input::{
    ExcludedPoint, ExclusionReason, Fraction, Frequency, MAX_MAGNITUDE, Measurement, Point, Sample, Series,
    period_index,
};
pub use limits::{Limits, LimitsScale, XMR_LIMIT_FACTOR};
pub use model::{ChartKind, Direction, Effect, Movement, Position, Rule, Signal, Unit};
pub use run_chart::{AnhoejLimits, RunChart, RunChartConfig, RunChartPoint, run_chart};
pub use spc::{Segment, SpcChart, SpcConfig, SpcPoint, spc_chart};
pub use tables::{RunCountLimits, anhoej_longest_run_limit, anhoej_min_crossings, run_count_limits};
pub use verdict::{
    Assurance, Variation, Verdict, VerdictConfig, VerdictReport, assurance, variation, verdict,
};

/// What the analysis needs to know about a measure.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct MeasureSpec {
    pub unit: Unit,
    pub direction: Direction,
    /// In the plotted unit: a proportion from 0 to 1 for a PROPORTION measure.
    pub target: Option<f64>,
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AnalysisConfig {
    pub run_chart: RunChartConfig,
    pub spc: SpcConfig,
    pub verdict: VerdictConfig,
}

/// Everything the analysis says about one series of one measure.
#[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Analysis {
    pub run_chart: RunChart,
    pub spc: SpcChart,
    /// `None` without a target or without points.
    pub assurance: Option<Assurance>,
    /// The latest point's variation icon; `None` without points.
    pub variation: Option<Variation>,
    pub verdict: VerdictReport,
    /// Observations neither chart could use, with the reason.
    pub excluded: Vec<ExcludedPoint>,
}

pub fn analyse(points: &[Point], measure: &MeasureSpec, config: &AnalysisConfig) -> Analysis {
    let series = Series::new(points, measure.unit);
    let run_chart = run_chart(&series, measure.direction, &config.run_chart);
    let spc = spc_chart(&series, measure.direction, &config.spc);
    let assurance = measure.target.and_then(|target| assurance(&spc, measure.direction, target));
    let verdict = verdict(&run_chart, &spc, &config.verdict);
    let variation = variation(&spc);
    Analysis { run_chart, spc, assurance, variation, verdict, excluded: series.excluded().to_vec() }
}
