//! The analysis as GraphQL: charts a front end can draw point by point, the signals, and the
//! verdict with what justifies it.

use async_graphql::{ID, InputObject, SimpleObject};

use super::analysis::MeasureAnalysis;
use crate::analysis::{
    self, AnalysisConfig, Assurance as AAssurance, ChartKind as AChartKind, Effect as AEffect,
    ExclusionReason as AExclusionReason, LimitsScale as ALimitsScale, Movement as AMovement,
    Position as APosition, Rule as ARule, Variation as AVariation, Verdict as AVerdict,
};
use crate::charts::ChartSubject;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::graphql::{Date, GlobalId, NodeKind};
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
    Verdict <=> AVerdict {
        /// An improvement signal ends in the SPC chart's latest segment and no concern signal ends
        /// in the same period or later.
        Improving,
        /// A concern signal ends in the SPC chart's latest segment and no improvement signal ends
        /// in the same period or later.
        Deteriorating,
        /// No signal with a good or bad side in the SPC chart's latest segment, or an improvement
        /// and a concern ending in the same period (the data point both ways at once).
        NoSignal,
        /// Too few points to judge: the run chart has fewer than 10, the SPC chart's latest
        /// segment fewer than 12, and no SPC signal with a good or bad side ends in that segment.
        InsufficientData,
    }
}
mirror_enum! {
    /// Whether the process, as its limits describe it, will meet the target, as Making Data Count
    /// defines it: CONSISTENTLY_PASSES when the target lies beyond the limit on the bad side,
    /// CONSISTENTLY_FAILS when beyond the limit on the good side, INCONSISTENT (hit-or-miss) when
    /// it lies within the limits or on one (a p-chart's limits are clipped to 0 and 1, so a
    /// target of 100 % is hit-or-miss for a process whose limit reaches it).
    Assurance <=> AAssurance {
        /// The target lies beyond the process limit on the bad side: every point the process
        /// produces meets it.
        ConsistentlyPasses,
        /// The target lies beyond the process limit on the good side: no point will meet it.
        ConsistentlyFails,
        /// The target lies within the limits, or on one: it will be hit and missed at random.
        Inconsistent,
    }
}
mirror_enum! {
    /// The rule behind a signal.
    AnalysisRule <=> ARule {
        /// Run chart (IHI): enough consecutive points on one side of the median (default 6); points
        /// on the median neither break nor count towards it.
        RunChartShift,
        /// Run chart (IHI): enough consecutive points all going up or all going down (default 5);
        /// equal neighbours count as one point.
        RunChartTrend,
        /// Run chart: fewer runs than the lower limit for this many useful observations (10 to 60).
        TooFewRuns,
        /// Run chart: more runs than the upper limit for this many useful observations (10 to 60).
        TooManyRuns,
        /// Run chart (Anhøj, when `anhoej` is on): a run longer than round(log2 n) + 3 useful points.
        AnhoejLongestRun,
        /// Run chart (Anhøj, when `anhoej` is on): fewer median crossings than the binomial 5 %
        /// quantile for n useful points.
        AnhoejFewCrossings,
        /// SPC: a point beyond a process limit.
        OutsideProcessLimits,
        /// SPC (Making Data Count): enough consecutive points on one side of the mean (default 7);
        /// a point on the mean breaks it.
        SpcShift,
        /// SPC (Making Data Count): enough consecutive points each strictly higher (or each
        /// strictly lower) than the last (default 7).
        SpcTrend,
        /// SPC: two of three consecutive points beyond the same two-sigma line (both above the
        /// upper one or both below the lower one).
        TwoOfThreeBeyondTwoSigma,
    }
}
mirror_enum! {
    /// A signal read through the measure's direction.
    SignalEffect <=> AEffect {
        /// Special cause moving the measure the good way for its direction (Making Data Count's
        /// "improving" variation, drawn blue).
        Improvement,
        /// Special cause moving the measure the bad way for its direction ("concerning" variation,
        /// drawn orange).
        Concern,
        /// Non-random but with no good or bad side (too few or too many runs, too few crossings),
        /// or, on a point, covered by signals that disagree.
        Neither,
    }
}
mirror_enum! {
    /// Which way a signal moved the values, before the measure's direction says whether that is
    /// good (see `effect`).
    Movement <=> AMovement {
        /// Above the centre line, rising, or beyond an upper limit or line.
        Up,
        /// Below the centre line, falling, or beyond a lower limit or line.
        Down,
    }
}
mirror_enum! {
    /// Where a point sits against the centre line (median or mean).
    PointPosition <=> APosition {
        /// Above the centre line.
        Above,
        /// Below the centre line.
        Below,
        /// On the centre line, allowing for rounding (a relative tolerance of 10⁻⁹). On a run chart
        /// such a point is not a useful observation.
        OnCentre,
    }
}
mirror_enum! {
    /// XMR for rates, counts and continuous measures; P for proportions.
    ChartKind <=> AChartKind {
        /// Individuals and moving range: one value per period; limits from the mean moving range,
        /// one set per segment.
        Xmr,
        /// Proportion: numerator over denominator per period; limits per point from its own
        /// denominator, clipped to 0–1.
        P,
    }
}
mirror_enum! {
    /// Why an observation is left out of the charts.
    ExclusionReason <=> AExclusionReason {
        /// A second observation for a period already on the chart; the first is kept.
        DuplicatePeriod,
        /// The value, numerator or denominator is not a finite number.
        NotFinite,
        /// The value, numerator, denominator or their quotient is larger in magnitude than 10¹⁵.
        OutOfRange,
        /// The denominator is 0: nothing was at risk, so the period says nothing about the
        /// proportion or rate. The row is kept; it is never divided by.
        ZeroDenominator,
        /// The denominator is below 0.
        NegativeDenominator,
        /// A proportion's numerator is below 0 or above its denominator.
        NumeratorOutOfRange,
        /// A PROPORTION recorded as a bare value: a p-chart needs the denominator for its limits.
        NoDenominator,
        /// The period has not ended at the site, in its host institution's time zone; analysed
        /// only with `includeIncomplete`. Listed once per period.
        PeriodNotEnded,
    }
}

/// Rules to switch off and lengths to change; everything left out keeps the published defaults
/// (run chart: shift 6, trend 5, run counts on, Anhøj off; SPC: shift 7, trend 7, all rules on).
#[derive(InputObject, Default)]
pub struct AnalysisOptions {
    /// Rules to switch off. TOO_FEW_RUNS and TOO_MANY_RUNS go together, as do the two Anhøj
    /// rules: naming either of a pair switches both off.
    #[graphql(default)]
    pub disabled_rules: Vec<AnalysisRule>,
    /// Switch on the Anhøj rules on the run chart.
    #[graphql(default)]
    pub anhoej: bool,
    /// Useful points in a row on one side of the median that make a RUN_CHART_SHIFT: 2 to 50,
    /// default 6. Outside that range `analysis` fails with BAD_USER_INPUT.
    pub run_chart_shift_length: Option<i32>,
    /// Points in a row all going up or all going down that make a RUN_CHART_TREND: 2 to 50,
    /// default 5. Outside that range `analysis` fails with BAD_USER_INPUT.
    pub run_chart_trend_length: Option<i32>,
    /// Points in a row on one side of the mean that make an SPC_SHIFT: 2 to 50, default 7.
    /// Outside that range `analysis` fails with BAD_USER_INPUT.
    pub spc_shift_length: Option<i32>,
    /// Points in a row each higher (or each lower) than the last that make an SPC_TREND: 2 to 50,
    /// default 7. Outside that range `analysis` fails with BAD_USER_INPUT.
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

/// Evidence of non-random variation: which rule found it, which way it moved the values, how that
/// reads for the measure, and which points it covers.
#[derive(SimpleObject)]
pub struct AnalysisSignal {
    /// The rule that raised it.
    pub rule: AnalysisRule,
    /// Which way it moved the values; null for the rules about how often the series crosses its
    /// median (TOO_FEW_RUNS, TOO_MANY_RUNS, ANHOEJ_FEW_CROSSINGS), which have no side.
    pub movement: Option<Movement>,
    /// The movement read through the measure's direction; NEITHER when it has no side.
    pub effect: SignalEffect,
    /// The first day of the period of the first point it covers (YYYY-MM-DD); null only for a
    /// period outside the calendar, which stored observations never have.
    pub first_period: Option<Date>,
    /// The first day of the period of the last point it covers (YYYY-MM-DD); null as
    /// `firstPeriod`.
    pub last_period: Option<Date>,
    /// Indexes into the chart's `points`, inclusive.
    pub start_index: i32,
    /// Index of the last point it covers in the chart's `points`, inclusive (in a verdict's
    /// signals, the points of the chart its rule belongs to).
    pub end_index: i32,
}

/// A point of the run chart as drawn, with the flags a front end needs to highlight it.
#[derive(SimpleObject)]
pub struct RunChartPoint {
    /// The first day of the point's period (YYYY-MM-DD); null only for a period outside the
    /// calendar, which stored observations never have.
    pub period_start: Option<Date>,
    /// The plotted value, in the measure's unit (0–1 for a proportion); all sites pooled, the
    /// period's Σ numerators / Σ denominators, counts summed, other values averaged.
    pub value: f64,
    /// Where it sits against the median.
    pub position: PointPosition,
    /// The period before this one has no point on the chart (missing, or its observation
    /// excluded). Nothing is filled in: runs, shifts and trends carry on across the gap.
    pub after_gap: bool,
    /// Among the points the median was taken from: all points, or those up to the measure's
    /// `baselineUntil`.
    pub in_baseline: bool,
    /// Part of a RUN_CHART_SHIFT (points on the median within it are not flagged).
    pub in_shift: bool,
    /// Part of a RUN_CHART_TREND.
    pub in_trend: bool,
    /// Part of a run longer than the Anhøj limit (ANHOEJ_LONGEST_RUN).
    pub in_long_run: bool,
    /// How the signals flagging this point read: NEITHER when they disagree; null when none flags
    /// it (the run-count and crossing rules flag no point).
    pub signal_effect: Option<SignalEffect>,
    /// The period has not ended at (one of) the site(s) behind this point (see `SpcPoint`).
    pub incomplete: bool,
}

/// The run chart (IHI; Perla, Provost and Murray 2011): the series against its median, with the
/// shift, trend and number-of-runs rules, and Anhøj's rules when `anhoej` asks for them. Points on
/// the median are not useful observations: they neither break nor add to a run.
#[derive(SimpleObject)]
pub struct RunChart {
    /// The median of the baseline points (all points unless the measure has `baselineUntil`), in
    /// the measure's unit; null only without points.
    pub median: Option<f64>,
    /// Points not on the median.
    pub useful_observations: i32,
    /// Runs: maximal stretches of useful points on the same side of the median.
    pub runs: i32,
    /// How often consecutive useful points change side of the median: runs − 1 (0 without runs).
    pub crossings: i32,
    /// The most useful points in one run.
    pub longest_run: i32,
    /// Limits on the number of runs, when the rule applies (10 to 60 useful observations): the exact
    /// Swed–Eisenhart 5 % limits, which give every even row of Perla, Provost and Murray's table (2011);
    /// fewer runs than the lower limit, or more than the upper, is a signal.
    pub run_count_lower_limit: Option<i32>,
    /// The upper limit on the number of runs: more runs than this is TOO_MANY_RUNS. Null outside
    /// 10 to 60 useful observations, or when the run-count rules are switched off.
    pub run_count_upper_limit: Option<i32>,
    /// One point per usable observation (or period, all sites pooled), in period order.
    pub points: Vec<RunChartPoint>,
    /// The run-chart rules' signals, ordered by their last point, then their first.
    pub signals: Vec<AnalysisSignal>,
}

/// An SPC chart's process limits and sigma lines, in the measure's unit. XmR: the mean ± 2.66 (or
/// 3 / 1.128) mean moving ranges, with the two- and one-sigma lines two thirds and one third of
/// the way; p-chart: p̄ ± 3, 2 and 1 × √(p̄(1 − p̄)/n) for the point's denominator n, clipped to 0–1.
#[derive(SimpleObject)]
pub struct ChartLimits {
    /// The lower process limit (about three sigma below the centre): a point below it is
    /// OUTSIDE_PROCESS_LIMITS. Not clipped at 0 on an XmR chart.
    pub lower: f64,
    /// The upper process limit (about three sigma above the centre): a point above it is
    /// OUTSIDE_PROCESS_LIMITS.
    pub upper: f64,
    /// Two sigma below the centre: two of three consecutive points below it raise
    /// TWO_OF_THREE_BEYOND_TWO_SIGMA.
    pub lower_two_sigma: f64,
    /// Two sigma above the centre: two of three consecutive points above it raise
    /// TWO_OF_THREE_BEYOND_TWO_SIGMA.
    pub upper_two_sigma: f64,
    /// One sigma from the centre (a third of the way to the process limit on an XmR chart).
    pub lower_one_sigma: f64,
    /// One sigma above the centre (a third of the way to the upper process limit on an XmR chart).
    pub upper_one_sigma: f64,
}

/// A stretch of the SPC chart between rebases (the measure's `rebasePeriods`), with its own centre
/// line and limits; the special-cause rules run within a segment and never across a rebase.
#[derive(SimpleObject)]
pub struct SpcSegment {
    /// The first day of its first point's period (YYYY-MM-DD); null only for a period outside the
    /// calendar, which stored observations never have.
    pub first_period: Option<Date>,
    /// The first day of its last point's period (YYYY-MM-DD); null as `firstPeriod`.
    pub last_period: Option<Date>,
    /// Mean (XmR) or pooled proportion (p-chart).
    pub centre: f64,
    /// XmR only: the mean of the baseline's moving ranges (after screening, with
    /// `screenMovingRanges`), which sets the limits; null on a p-chart.
    pub mean_moving_range: Option<f64>,
    /// XmR only; a p-chart's limits are per point.
    pub limits: Option<ChartLimits>,
    /// How many of its points the centre and limits were computed from: all of them, or those up
    /// to the measure's `baselineUntil`.
    pub baseline_points: i32,
    /// Limits from fewer than 12 points.
    pub trial: bool,
}

/// A point of the SPC chart as drawn, with the flags a front end needs to highlight it.
#[derive(SimpleObject)]
pub struct SpcPoint {
    /// The first day of the point's period (YYYY-MM-DD); null only for a period outside the
    /// calendar, which stored observations never have.
    pub period_start: Option<Date>,
    /// The plotted value, in the measure's unit (0–1 for a proportion); all sites pooled, the
    /// period's Σ numerators / Σ denominators, counts summed, other values averaged.
    pub value: f64,
    /// The denominator behind the value (summed over sites when pooled), on which a p-chart
    /// point's limits depend; null for a value recorded without one.
    pub denominator: Option<f64>,
    /// Index (from 0) into the chart's `segments` of the segment holding this point.
    pub segment: i32,
    /// Its segment's centre line: the mean (XmR) or pooled proportion (p-chart) of the segment's
    /// baseline points.
    pub centre: f64,
    /// The limits that apply to this point: its segment's on an XmR chart, its own (from its
    /// denominator) on a p-chart.
    pub limits: ChartLimits,
    /// XmR only: |value − previous value| within the segment, across any gap; null for a
    /// segment's first point and on a p-chart.
    pub moving_range: Option<f64>,
    /// Screening (`screenMovingRanges`) left this point's moving range out of its segment's mean
    /// moving range.
    pub moving_range_screened_out: bool,
    /// Where it sits against its segment's centre line.
    pub position: PointPosition,
    /// The period before this one has no point on the chart (missing, or its observation
    /// excluded). Nothing is filled in: shifts and trends carry on across the gap and the
    /// moving range spans it.
    pub after_gap: bool,
    /// Among the points its segment's centre and limits were computed from.
    pub in_baseline: bool,
    /// The value lies above the upper process limit (beyond rounding); set even when
    /// OUTSIDE_PROCESS_LIMITS is switched off.
    pub above_upper_limit: bool,
    /// The value lies below the lower process limit (beyond rounding); set even when
    /// OUTSIDE_PROCESS_LIMITS is switched off.
    pub below_lower_limit: bool,
    /// Part of an SPC_SHIFT.
    pub in_shift: bool,
    /// Part of an SPC_TREND.
    pub in_trend: bool,
    /// Beyond a two-sigma line as one of two or three in three consecutive points beyond the same
    /// line (TWO_OF_THREE_BEYOND_TWO_SIGMA); the third point of the window is not flagged unless it
    /// is beyond the line too.
    pub in_two_of_three: bool,
    /// Null for common-cause variation.
    pub special_cause: Option<SignalEffect>,
    /// The period has not ended at (one of) the site(s) behind this point: its value may still
    /// change. Only with `includeIncomplete`, or when pooling sites in different time zones.
    pub incomplete: bool,
}

/// The SPC chart as NHS England's Making Data Count draws it: an XmR chart for rates, counts and
/// continuous measures, a p-chart for proportions, split into segments at rebases, with the
/// special-cause rules.
#[derive(SimpleObject)]
pub struct SpcChart {
    /// XMR or P, from the measure's unit.
    pub kind: ChartKind,
    /// The scale the XmR limits were drawn at (the option, or its default).
    pub limits_multiplier: LimitsMultiplier,
    /// Whether outlying moving ranges were left out of the XmR limits (the option).
    pub moving_ranges_screened: bool,
    /// The segments, in period order; a segment starts at the first point on or after each of the
    /// measure's `rebasePeriods`.
    pub segments: Vec<SpcSegment>,
    /// One point per usable observation (or period, all sites pooled), in period order.
    pub points: Vec<SpcPoint>,
    /// The special-cause signals, ordered by their last point, then their first.
    pub signals: Vec<AnalysisSignal>,
}

/// The verdict on the series, read through the measure's direction, with what justifies it.
#[derive(SimpleObject)]
pub struct VerdictReport {
    /// IMPROVING, DETERIORATING, NO_SIGNAL or INSUFFICIENT_DATA, from the signals with a good or
    /// bad side whose last point lies in the SPC chart's latest segment.
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

/// An observation (or, all sites pooled, a period) neither chart could use, and why.
#[derive(SimpleObject)]
pub struct ExcludedObservation {
    /// The first day of its period (YYYY-MM-DD); null only for a period outside the calendar,
    /// which stored observations never have.
    pub period_start: Option<Date>,
    /// Why it was left out.
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
    pub subject: crate::charts::ChartSubject,
    pub analysis: std::sync::Arc<MeasureAnalysis>,
}

/// A measure's analysis for one site, or for all sites pooled.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Analysis {
    /// Null when all sites are pooled.
    pub site_id: Option<ID>,
    /// The verdict and the signals behind it.
    pub verdict: VerdictReport,
    /// Null without a target. Making Data Count's assurance icon.
    pub assurance: Option<Assurance>,
    /// Null without points. Making Data Count's variation icon.
    pub variation: Option<Variation>,
    /// The current centre line minus the measure's baseline.
    pub change_from_baseline: Option<f64>,
    /// The target minus the current centre line.
    pub gap_to_target: Option<f64>,
    /// The run chart: the series against its median, with its signals.
    pub run_chart: RunChart,
    /// The SPC chart (XmR or p-chart): centre lines, limits and special causes.
    pub spc: SpcChart,
    /// Observations neither chart could use, each with the reason; those of periods not yet
    /// ended (PERIOD_NOT_ENDED, one per period) come last.
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
    async fn chart(
        &self,
        #[graphql(default_with = "ChartVariant::Spc", desc = "SPC (the default) or RUN.")]
        variant: ChartVariant,
    ) -> String {
        let Some(source) = &self.chart_source else { return String::new() };
        let variant = match variant {
            ChartVariant::Spc => crate::charts::Variant::Spc,
            ChartVariant::Run => crate::charts::Variant::Run,
        };
        crate::charts::svg::render(&crate::charts::of(&source.subject, &source.analysis, variant))
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

fn signals(measure: &ChartSubject, list: &[analysis::Signal]) -> Vec<AnalysisSignal> {
    list.iter()
        .map(|s| AnalysisSignal {
            rule: s.rule.into(),
            movement: s.movement.map(Into::into),
            effect: s.effect.into(),
            first_period: measure.period_date(s.first_period).map(Into::into),
            last_period: measure.period_date(s.last_period).map(Into::into),
            start_index: crate::graphql::int(s.start),
            end_index: crate::graphql::int(s.end),
        })
        .collect()
}

/// An analysis as the schema shows it: a live one, or one frozen in a published result.
pub fn to_graphql(measure: &ChartSubject, shared: &std::sync::Arc<MeasureAnalysis>) -> Analysis {
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
                    period_start: measure.period_date(p.period).map(Into::into),
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
                    first_period: measure.period_date(s.first_period).map(Into::into),
                    last_period: measure.period_date(s.last_period).map(Into::into),
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
                    period_start: measure.period_date(p.period).map(Into::into),
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
                period_start: measure.period_date(e.period).map(Into::into),
                reason: e.reason.into(),
            })
            .collect(),
        chart_source: Some(ChartSource { subject: measure.clone(), analysis: shared.clone() }),
    }
}
