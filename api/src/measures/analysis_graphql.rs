//! The analysis as GraphQL: charts a front end can draw point by point, the signals, and the
//! verdict with what justifies it.

use async_graphql::{Context, ID, InputObject, SimpleObject};
use chrono::NaiveDate;
use entity::measure;

use super::analysis::{MeasureAnalysis, period_date};
use crate::analysis::{
    self, AnalysisConfig, Assurance as AAssurance, ChartKind as AChartKind, Effect as AEffect,
    ExclusionReason as AExclusionReason, LimitsScale as ALimitsScale, Movement as AMovement,
    Position as APosition, Rule as ARule, Variation as AVariation, Verdict as AVerdict,
};
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::graphql::{GlobalId, NodeKind};
use crate::mirror_enum;

mirror_enum! {
    /// How far an XmR chart's process limits sit from its mean, in mean moving ranges. A point
    /// between the two scales' limits is inside or outside by the scale chosen.
    LimitsMultiplier <=> ALimitsScale {
        /// 2.66, as Making Data Count and NHSRplotthedots draw them (the default).
        MakingDataCount,
        /// 3 / 1.128 = 2.6596…, unrounded, as textbooks and most other SPC tools compute it.
        Textbook,
    }
}
mirror_enum! {
    /// Making Data Count's variation icon: what the SPC chart's latest point says, read through the
    /// measure's direction. "High" and "low" say which side of the centre line the point is on (a
    /// special cause exactly on the line reads as low).
    Variation <=> AVariation {
        /// Common-cause variation.
        CommonCause,
        /// Special cause of an improving nature, above the centre line.
        ImprovingHigh,
        /// Special cause of an improving nature, below the centre line.
        ImprovingLow,
        /// Special cause of a concerning nature, above the centre line.
        ConcerningHigh,
        /// Special cause of a concerning nature, below the centre line.
        ConcerningLow,
        /// Special causes that disagree cover the latest point.
        Neither,
    }
}
mirror_enum! {
    /// The verdict on a series, read through the measure's direction.
    Verdict <=> AVerdict { Improving, Deteriorating, NoSignal, InsufficientData }
}
mirror_enum! {
    /// Whether the process, as its limits describe it, will meet the target, as Making Data Count
    /// defines it: CONSISTENTLY_PASSES when the target lies beyond the limit on the bad side,
    /// CONSISTENTLY_FAILS when beyond the limit on the good side, INCONSISTENT (hit-or-miss) when
    /// it lies within the limits or on one (a p-chart's limits are clipped to 0 and 1, so a
    /// target of 100 % is hit-or-miss for a process whose limit reaches it).
    Assurance <=> AAssurance { ConsistentlyPasses, ConsistentlyFails, Inconsistent }
}
mirror_enum! {
    /// The rule behind a signal.
    AnalysisRule <=> ARule {
        RunChartShift,
        RunChartTrend,
        TooFewRuns,
        TooManyRuns,
        AnhoejLongestRun,
        AnhoejFewCrossings,
        OutsideProcessLimits,
        SpcShift,
        SpcTrend,
        TwoOfThreeBeyondTwoSigma,
    }
}
mirror_enum! {
    /// A signal read through the measure's direction.
    SignalEffect <=> AEffect { Improvement, Concern, Neither }
}
mirror_enum! {
    Movement <=> AMovement { Up, Down }
}
mirror_enum! {
    /// Where a point sits against the centre line (median or mean).
    PointPosition <=> APosition { Above, Below, OnCentre }
}
mirror_enum! {
    /// XMR for rates, counts and continuous measures; P for proportions.
    ChartKind <=> AChartKind { Xmr, P }
}
mirror_enum! {
    /// Why an observation is left out of the charts.
    ExclusionReason <=> AExclusionReason {
        DuplicatePeriod,
        NotFinite,
        OutOfRange,
        ZeroDenominator,
        NegativeDenominator,
        NumeratorOutOfRange,
        NoDenominator,
        PeriodNotEnded,
    }
}

/// Rules to switch off and lengths to change; everything left out keeps the published defaults
/// (run chart: shift 6, trend 5, run counts on, Anhøj off; SPC: shift 7, trend 7, all rules on).
#[derive(InputObject, Default)]
pub struct AnalysisOptions {
    #[graphql(default)]
    pub disabled_rules: Vec<AnalysisRule>,
    /// Switch on the Anhøj rules on the run chart.
    #[graphql(default)]
    pub anhoej: bool,
    pub run_chart_shift_length: Option<i32>,
    pub run_chart_trend_length: Option<i32>,
    pub spc_shift_length: Option<i32>,
    pub spc_trend_length: Option<i32>,
    /// XmR limits at 2.66 mean moving ranges (MAKING_DATA_COUNT, the default) or 3 / 1.128
    /// (TEXTBOOK). P-charts' limits are three binomial sigmas either way.
    pub limits_multiplier: Option<LimitsMultiplier>,
    /// Leave moving ranges above 3.267 times their mean (the moving-range chart's upper limit) out
    /// of the XmR limits, so that one jump does not widen them (PowerBI-SPC's default; Making Data
    /// Count keeps them, and so does the default here). The points whose moving range was left out
    /// say so (`movingRangeScreenedOut`).
    #[graphql(default)]
    pub screen_moving_ranges: bool,
    /// Analyse rows whose period has not ended at their site too (the current week, month or
    /// quarter in the host institution's time zone). Off by default: a period half collected
    /// is a classic false signal. The points that hold such rows say so (`incomplete`).
    #[graphql(default)]
    pub include_incomplete: bool,
}

const MIN_RULE_LENGTH: i32 = 2;
const MAX_RULE_LENGTH: i32 = 50;

impl AnalysisOptions {
    pub fn into_config(self) -> Result<AnalysisConfig, ServiceError> {
        let mut config = AnalysisConfig::default();
        let length = |value: Option<i32>,
                      default: Option<usize>,
                      field: &str|
         -> Result<Option<usize>, FieldError> {
            match value {
                None => Ok(default),
                Some(v) if (MIN_RULE_LENGTH..=MAX_RULE_LENGTH).contains(&v) => Ok(usize::try_from(v).ok()),
                Some(_) => Err(FieldError::new(
                    &format!("options.{field}"),
                    UserErrorCode::Invalid,
                    format!("must be between {MIN_RULE_LENGTH} and {MAX_RULE_LENGTH}"),
                )),
            }
        };
        let problems: Vec<FieldError> = [
            length(self.run_chart_shift_length, config.run_chart.shift_length, "runChartShiftLength")
                .map(|v| config.run_chart.shift_length = v),
            length(self.run_chart_trend_length, config.run_chart.trend_length, "runChartTrendLength")
                .map(|v| config.run_chart.trend_length = v),
            length(self.spc_shift_length, config.spc.shift_length, "spcShiftLength")
                .map(|v| config.spc.shift_length = v),
            length(self.spc_trend_length, config.spc.trend_length, "spcTrendLength")
                .map(|v| config.spc.trend_length = v),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        config.run_chart.anhoej = self.anhoej;
        config.spc.screen_moving_ranges = self.screen_moving_ranges;
        if let Some(multiplier) = self.limits_multiplier {
            config.spc.limits_scale = multiplier.into();
        }
        for rule in self.disabled_rules {
            match rule {
                AnalysisRule::RunChartShift => config.run_chart.shift_length = None,
                AnalysisRule::RunChartTrend => config.run_chart.trend_length = None,
                AnalysisRule::TooFewRuns | AnalysisRule::TooManyRuns => config.run_chart.run_count = false,
                AnalysisRule::AnhoejLongestRun | AnalysisRule::AnhoejFewCrossings => {
                    config.run_chart.anhoej = false
                }
                AnalysisRule::OutsideProcessLimits => config.spc.outside_limits = false,
                AnalysisRule::SpcShift => config.spc.shift_length = None,
                AnalysisRule::SpcTrend => config.spc.trend_length = None,
                AnalysisRule::TwoOfThreeBeyondTwoSigma => config.spc.two_of_three = false,
            }
        }
        Ok(config)
    }
}

#[derive(SimpleObject)]
pub struct AnalysisSignal {
    pub rule: AnalysisRule,
    pub movement: Option<Movement>,
    pub effect: SignalEffect,
    pub first_period: Option<NaiveDate>,
    pub last_period: Option<NaiveDate>,
    /// Indexes into the chart's `points`, inclusive.
    pub start_index: i32,
    pub end_index: i32,
}

#[derive(SimpleObject)]
pub struct RunChartPoint {
    pub period_start: Option<NaiveDate>,
    pub value: f64,
    pub position: PointPosition,
    pub after_gap: bool,
    pub in_baseline: bool,
    pub in_shift: bool,
    pub in_trend: bool,
    pub in_long_run: bool,
    pub signal_effect: Option<SignalEffect>,
    /// The period has not ended at (one of) the site(s) behind this point (see `SpcPoint`).
    pub incomplete: bool,
}

#[derive(SimpleObject)]
pub struct RunChart {
    pub median: Option<f64>,
    pub useful_observations: i32,
    pub runs: i32,
    pub crossings: i32,
    pub longest_run: i32,
    /// Limits on the number of runs, when the rule applies (10 to 60 useful observations): the exact
    /// Swed–Eisenhart 5 % limits, which give every even row of Perla, Provost and Murray's table (2011);
    /// fewer runs than the lower limit, or more than the upper, is a signal.
    pub run_count_lower_limit: Option<i32>,
    pub run_count_upper_limit: Option<i32>,
    pub points: Vec<RunChartPoint>,
    pub signals: Vec<AnalysisSignal>,
}

#[derive(SimpleObject)]
pub struct ChartLimits {
    pub lower: f64,
    pub upper: f64,
    pub lower_two_sigma: f64,
    pub upper_two_sigma: f64,
    /// One sigma from the centre (a third of the way to the process limit on an XmR chart).
    pub lower_one_sigma: f64,
    pub upper_one_sigma: f64,
}

#[derive(SimpleObject)]
pub struct SpcSegment {
    pub first_period: Option<NaiveDate>,
    pub last_period: Option<NaiveDate>,
    /// Mean (XmR) or pooled proportion (p-chart).
    pub centre: f64,
    pub mean_moving_range: Option<f64>,
    /// XmR only; a p-chart's limits are per point.
    pub limits: Option<ChartLimits>,
    pub baseline_points: i32,
    /// Limits from fewer than 12 points.
    pub trial: bool,
}

#[derive(SimpleObject)]
pub struct SpcPoint {
    pub period_start: Option<NaiveDate>,
    pub value: f64,
    pub denominator: Option<f64>,
    pub segment: i32,
    pub centre: f64,
    pub limits: ChartLimits,
    pub moving_range: Option<f64>,
    /// Screening (`screenMovingRanges`) left this point's moving range out of its segment's mean
    /// moving range.
    pub moving_range_screened_out: bool,
    pub position: PointPosition,
    pub after_gap: bool,
    pub in_baseline: bool,
    pub above_upper_limit: bool,
    pub below_lower_limit: bool,
    pub in_shift: bool,
    pub in_trend: bool,
    pub in_two_of_three: bool,
    /// Null for common-cause variation.
    pub special_cause: Option<SignalEffect>,
    /// The period has not ended at (one of) the site(s) behind this point: its value may still
    /// change. Only with `includeIncomplete`, or when pooling sites in different time zones.
    pub incomplete: bool,
}

#[derive(SimpleObject)]
pub struct SpcChart {
    pub kind: ChartKind,
    /// The scale the XmR limits were drawn at (the option, or its default).
    pub limits_multiplier: LimitsMultiplier,
    /// Whether outlying moving ranges were left out of the XmR limits (the option).
    pub moving_ranges_screened: bool,
    pub segments: Vec<SpcSegment>,
    pub points: Vec<SpcPoint>,
    pub signals: Vec<AnalysisSignal>,
}

#[derive(SimpleObject)]
pub struct VerdictReport {
    pub verdict: Verdict,
    /// The signals that justify it.
    pub signals: Vec<AnalysisSignal>,
    /// Whether the run chart's signals counted: it needs 10 points.
    pub run_chart_considered: bool,
    /// Whether the SPC chart's signals counted: always once it has points, on trial limits too.
    pub spc_considered: bool,
    /// True while the SPC chart's latest segment has fewer than 12 points: its limits are trial
    /// limits, and the verdict may change as they settle. Its signals count meanwhile (as Making
    /// Data Count shows them); with no signal and too few points for either chart the verdict is
    /// INSUFFICIENT_DATA instead.
    pub provisional: bool,
}

#[derive(SimpleObject)]
pub struct ExcludedObservation {
    pub period_start: Option<NaiveDate>,
    pub reason: ExclusionReason,
}

/// Which chart to draw.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartVariant {
    /// The SPC chart: centre line and process limits per segment, special causes coloured.
    Spc,
    /// The run chart with its median, run-chart signals coloured.
    Run,
}

/// What a chart is drawn from: the measure and its analysis, kept until a chart is asked for.
#[derive(Clone)]
pub struct ChartSource {
    pub measure: measure::Model,
    pub analysis: std::sync::Arc<MeasureAnalysis>,
}

/// A measure's analysis for one site, or for all sites pooled.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Analysis {
    /// Null when all sites are pooled.
    pub site_id: Option<ID>,
    pub verdict: VerdictReport,
    /// Null without a target. Making Data Count's assurance icon.
    pub assurance: Option<Assurance>,
    /// Null without points. Making Data Count's variation icon.
    pub variation: Option<Variation>,
    /// The current centre line minus the measure's baseline.
    pub change_from_baseline: Option<f64>,
    /// The target minus the current centre line.
    pub gap_to_target: Option<f64>,
    pub run_chart: RunChart,
    pub spc: SpcChart,
    pub excluded: Vec<ExcludedObservation>,
    #[graphql(skip)]
    pub chart_source: Option<ChartSource>,
}

#[async_graphql::ComplexObject]
impl Analysis {
    /// The chart as an SVG document (820 × 420, Making Data Count's colours: improvement blue,
    /// concern orange, common cause grey, disagreeing special causes purple; both icons in the top
    /// right corner). Self-contained: system fonts, no scripts, nothing fetched. The same picture
    /// is at `GET /charts/measures/{measureId}.svg?site={siteId}&variant=SPC|RUN`.
    #[graphql(complexity = "crate::graphql::cost::CHART")]
    async fn chart(&self, #[graphql(default_with = "ChartVariant::Spc")] variant: ChartVariant) -> String {
        let Some(source) = &self.chart_source else { return String::new() };
        let variant = match variant {
            ChartVariant::Spc => crate::charts::Variant::Spc,
            ChartVariant::Run => crate::charts::Variant::Run,
        };
        crate::charts::svg::render(&crate::charts::of(&source.measure, &source.analysis, variant))
    }
}

fn limits(l: analysis::Limits) -> ChartLimits {
    ChartLimits {
        lower: l.lower,
        upper: l.upper,
        lower_two_sigma: l.lower_two_sigma,
        upper_two_sigma: l.upper_two_sigma,
        lower_one_sigma: l.lower_one_sigma,
        upper_one_sigma: l.upper_one_sigma,
    }
}

fn signals(measure: &measure::Model, list: &[analysis::Signal]) -> Vec<AnalysisSignal> {
    list.iter()
        .map(|s| AnalysisSignal {
            rule: s.rule.into(),
            movement: s.movement.map(Into::into),
            effect: s.effect.into(),
            first_period: period_date(measure, s.first_period),
            last_period: period_date(measure, s.last_period),
            start_index: crate::graphql::int(s.start),
            end_index: crate::graphql::int(s.end),
        })
        .collect()
}

pub fn to_graphql(
    _ctx: &Context<'_>,
    measure: &measure::Model,
    shared: &std::sync::Arc<MeasureAnalysis>,
) -> Analysis {
    let MeasureAnalysis {
        analysis, site_id, change_from_baseline, gap_to_target, incomplete_periods, ..
    } = shared.as_ref();
    let incomplete = |period: i64| incomplete_periods.binary_search(&period).is_ok();
    let (change_from_baseline, gap_to_target) = (*change_from_baseline, *gap_to_target);
    let run = &analysis.run_chart;
    let spc = &analysis.spc;
    Analysis {
        site_id: site_id.map(|id| GlobalId::encode(NodeKind::ProjectSite, id)),
        verdict: VerdictReport {
            verdict: analysis.verdict.verdict.into(),
            signals: signals(measure, &analysis.verdict.signals),
            run_chart_considered: analysis.verdict.run_chart_considered,
            spc_considered: analysis.verdict.spc_considered,
            provisional: analysis.verdict.provisional,
        },
        assurance: analysis.assurance.map(Into::into),
        variation: analysis.variation.map(Into::into),
        change_from_baseline,
        gap_to_target,
        run_chart: RunChart {
            median: run.median,
            useful_observations: crate::graphql::int(run.useful_observations),
            runs: crate::graphql::int(run.runs),
            crossings: crate::graphql::int(run.crossings),
            longest_run: crate::graphql::int(run.longest_run),
            run_count_lower_limit: run.run_count_limits.map(|l| crate::graphql::int(l.lower)),
            run_count_upper_limit: run.run_count_limits.map(|l| crate::graphql::int(l.upper)),
            points: run
                .points
                .iter()
                .map(|p| RunChartPoint {
                    period_start: period_date(measure, p.period),
                    value: p.value,
                    position: p.position.into(),
                    after_gap: p.after_gap,
                    in_baseline: p.in_baseline,
                    in_shift: p.in_shift,
                    in_trend: p.in_trend,
                    in_long_run: p.in_long_run,
                    signal_effect: p.signal_effect.map(Into::into),
                    incomplete: incomplete(p.period),
                })
                .collect(),
            signals: signals(measure, &run.signals),
        },
        spc: SpcChart {
            kind: spc.kind.into(),
            limits_multiplier: spc.limits_scale.into(),
            moving_ranges_screened: spc.moving_ranges_screened,
            segments: spc
                .segments
                .iter()
                .map(|s| SpcSegment {
                    first_period: period_date(measure, s.first_period),
                    last_period: period_date(measure, s.last_period),
                    centre: s.centre,
                    mean_moving_range: s.mean_moving_range,
                    limits: s.limits.map(limits),
                    baseline_points: crate::graphql::int(s.baseline_points),
                    trial: s.trial,
                })
                .collect(),
            points: spc
                .points
                .iter()
                .map(|p| SpcPoint {
                    period_start: period_date(measure, p.period),
                    value: p.value,
                    denominator: p.denominator,
                    segment: crate::graphql::int(p.segment),
                    centre: p.centre,
                    limits: limits(p.limits),
                    moving_range: p.moving_range,
                    moving_range_screened_out: p.moving_range_screened_out,
                    position: p.position.into(),
                    after_gap: p.after_gap,
                    in_baseline: p.in_baseline,
                    above_upper_limit: p.above_upper_limit,
                    below_lower_limit: p.below_lower_limit,
                    in_shift: p.in_shift,
                    in_trend: p.in_trend,
                    in_two_of_three: p.in_two_of_three,
                    special_cause: p.special_cause.map(Into::into),
                    incomplete: incomplete(p.period),
                })
                .collect(),
            signals: signals(measure, &spc.signals),
        },
        excluded: analysis
            .excluded
            .iter()
            .map(|e| ExcludedObservation {
                period_start: period_date(measure, e.period),
                reason: e.reason.into(),
            })
            .collect(),
        chart_source: Some(ChartSource { measure: measure.clone(), analysis: shared.clone() }),
    }
}
