use super::{after_baseline, assert_close, points, proportions, series};
use crate::analysis::{
    Analysis, AnalysisConfig, Assurance, Direction, Effect, ExclusionReason, Fraction, MeasureSpec,
    Measurement, Movement, Point, Rule, RunChartConfig, SpcConfig, Unit, Variation, Verdict, analyse,
    assurance, spc_chart,
};

fn measure(direction: Direction) -> MeasureSpec {
    MeasureSpec { unit: Unit::Continuous, direction, target: None }
}

/// SPC limits fixed on the twelve-point baseline; the run chart as IHI has it.
fn fixed_on_baseline() -> AnalysisConfig {
    AnalysisConfig {
        spc: SpcConfig { baseline_points: Some(12), ..SpcConfig::default() },
        ..AnalysisConfig::default()
    }
}

/// As above with the run-chart rules off, to see the SPC chart's part alone.
fn spc_only() -> AnalysisConfig {
    let run_chart =
        RunChartConfig { shift_length: None, trend_length: None, run_count: false, ..Default::default() };
    AnalysisConfig { run_chart, ..fixed_on_baseline() }
}

fn analysed(values: &[f64], direction: Direction, config: &AnalysisConfig) -> Analysis {
    analyse(&points(values), &measure(direction), config)
}

#[test]
fn fewer_points_than_either_chart_needs_and_no_signal_are_insufficient_data() {
    let analysis = analysed(
        &[5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0],
        Direction::HigherIsBetter,
        &AnalysisConfig::default(),
    );
    assert_eq!(analysis.verdict.verdict, Verdict::InsufficientData);
    assert!(!analysis.verdict.run_chart_considered && analysis.verdict.spc_considered);
    assert!(!analysis.verdict.provisional, "there is nothing to be provisional about");
    assert!(analysis.spc.signals.is_empty() && analysis.verdict.signals.is_empty());
}

/// Nine points going up: too few for the run chart, but the SPC chart shows signals on its trial limits
/// (mean 5, mean moving range 1, limits 2.34 and 7.66: 8 and 9 above, and the trend), as MDC draws
/// them; the verdict follows the points and says it is provisional.
#[test]
fn a_signal_on_trial_limits_decides_a_provisional_verdict() {
    let analysis = analysed(
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        Direction::HigherIsBetter,
        &AnalysisConfig::default(),
    );
    assert!(!analysis.verdict.run_chart_considered && analysis.verdict.spc_considered);
    assert_eq!(analysis.verdict.verdict, Verdict::Improving);
    assert!(analysis.verdict.provisional);
    let rules: Vec<Rule> = analysis.verdict.signals.iter().map(|signal| signal.rule).collect();
    assert!(rules.contains(&Rule::SpcTrend) && rules.contains(&Rule::OutsideProcessLimits), "{rules:?}");
    assert!(analysis.verdict.signals.iter().all(|signal| signal.effect == Effect::Improvement));
    assert!(analysis.spc.points.iter().any(|point| point.special_cause == Some(Effect::Improvement)));
}

/// A point beyond the trial limits of eight points counts, provisionally: a DETERIORATING verdict when
/// higher is better. Limits from the eight points: mean 10.875, mean moving range 2, so the upper limit
/// is 10.875 + 2.66 × 2 = 16.195 (worked by hand) and 4 sits below the lower one, 5.555.
#[test]
fn a_point_beyond_trial_limits_counts_provisionally() {
    let analysis = analysed(
        &[12.0, 11.0, 13.0, 12.0, 11.0, 13.0, 11.0, 4.0],
        Direction::HigherIsBetter,
        &AnalysisConfig::default(),
    );
    assert_eq!(analysis.verdict.verdict, Verdict::Deteriorating);
    assert!(analysis.verdict.provisional);
    let rules: Vec<Rule> = analysis.verdict.signals.iter().map(|signal| signal.rule).collect();
    assert!(rules.contains(&Rule::OutsideProcessLimits), "{rules:?}");
}

#[test]
fn ten_points_let_the_run_chart_decide_while_the_spc_limits_are_trial() {
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
    let analysis = analysed(&values, Direction::HigherIsBetter, &AnalysisConfig::default());
    assert!(analysis.verdict.run_chart_considered && analysis.verdict.spc_considered);
    assert_eq!(analysis.verdict.verdict, Verdict::Improving);
    assert!(analysis.verdict.provisional);
    let rules: Vec<Rule> = analysis.verdict.signals.iter().map(|signal| signal.rule).collect();
    assert!(rules.contains(&Rule::RunChartTrend) && rules.contains(&Rule::SpcTrend), "{rules:?}");
    assert!(!rules.contains(&Rule::TooFewRuns), "too few runs has no side, so it does not count");
}

#[test]
fn twelve_points_in_the_latest_segment_settle_the_verdict() {
    let values = [5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0];
    let analysis = analysed(&values, Direction::HigherIsBetter, &AnalysisConfig::default());
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
    assert!(!analysis.verdict.provisional);
}

#[test]
fn the_minimum_numbers_of_points_are_configurable() {
    let mut config = AnalysisConfig::default();
    config.verdict.min_run_chart_points = 11;
    config.verdict.min_spc_points = 13;
    let values = [5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0, 5.0, 6.0];
    let analysis = analysed(&values, Direction::HigherIsBetter, &config);
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
    assert!(analysis.verdict.provisional, "12 points are trial limits when 13 are needed");
    config.verdict.min_run_chart_points = 13;
    let short = analysed(&values, Direction::HigherIsBetter, &config);
    assert_eq!(short.verdict.verdict, Verdict::InsufficientData);
}

#[test]
fn a_step_up_is_improving_when_higher_is_better_and_deteriorating_when_lower_is() {
    let values = after_baseline(&[14.0; 7]);
    let improving = analysed(&values, Direction::HigherIsBetter, &fixed_on_baseline());
    assert_eq!(improving.verdict.verdict, Verdict::Improving);
    // The run chart's earlier downward shift (the 10s, with the 11s on the median) ends before the step.
    assert!(
        improving.run_chart.signals.iter().any(|signal| signal.effect == Effect::Concern && signal.end == 11)
    );
    assert!(improving.verdict.signals.iter().all(|signal| signal.effect == Effect::Improvement));
    assert!(
        improving
            .verdict
            .signals
            .iter()
            .any(|signal| signal.rule == Rule::OutsideProcessLimits && signal.end == 18)
    );
    assert!(improving.verdict.signals.iter().any(|signal| signal.rule == Rule::RunChartShift));

    let deteriorating = analysed(&values, Direction::LowerIsBetter, &fixed_on_baseline());
    assert_eq!(deteriorating.verdict.verdict, Verdict::Deteriorating);
    assert!(deteriorating.verdict.signals.iter().all(|signal| signal.effect == Effect::Concern));
}

#[test]
fn an_improvement_after_a_concern_is_improving_and_cites_only_what_came_after() {
    let analysis = analysed(
        &after_baseline(&[5.0, 10.0, 11.0, 10.0, 20.0]),
        Direction::HigherIsBetter,
        &fixed_on_baseline(),
    );
    assert_eq!(analysis.verdict.verdict, Verdict::Improving);
    let cited: Vec<(Rule, usize)> =
        analysis.verdict.signals.iter().map(|signal| (signal.rule, signal.end)).collect();
    assert_eq!(cited, [(Rule::OutsideProcessLimits, 16)]);
}

#[test]
fn a_concern_after_an_improvement_is_deteriorating() {
    let analysis = analysed(
        &after_baseline(&[20.0, 10.0, 11.0, 10.0, 5.0]),
        Direction::HigherIsBetter,
        &fixed_on_baseline(),
    );
    assert_eq!(analysis.verdict.verdict, Verdict::Deteriorating);
    let cited: Vec<(Rule, Option<Movement>, usize)> =
        analysis.verdict.signals.iter().map(|signal| (signal.rule, signal.movement, signal.end)).collect();
    assert_eq!(cited, [(Rule::OutsideProcessLimits, Some(Movement::Down), 16)]);
}

#[test]
fn an_improvement_and_a_concern_ending_together_are_no_signal() {
    let analysis = analysed(
        &after_baseline(&[9.0, 9.2, 9.4, 9.6, 9.8, 10.0, 10.2]),
        Direction::HigherIsBetter,
        &spc_only(),
    );
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
    let cited: Vec<Rule> = analysis.verdict.signals.iter().map(|signal| signal.rule).collect();
    assert_eq!(cited, [Rule::SpcShift, Rule::SpcTrend]);
}

#[test]
fn common_cause_variation_is_no_signal() {
    let analysis = analysed(&after_baseline(&[]), Direction::HigherIsBetter, &AnalysisConfig::default());
    assert!(analysis.verdict.run_chart_considered && analysis.verdict.spc_considered);
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
    assert!(analysis.verdict.signals.is_empty());
}

#[test]
fn only_signals_in_the_latest_segment_count() {
    let mut values = after_baseline(&[20.0]);
    values.extend(after_baseline(&[]));
    let mut config = spc_only();
    config.spc.rebase_periods = vec![13];
    let analysis = analysed(&values, Direction::HigherIsBetter, &config);
    assert!(
        analysis
            .spc
            .signals
            .iter()
            .any(|signal| signal.rule == Rule::OutsideProcessLimits && signal.end == 12)
    );
    assert_eq!(analysis.verdict.from_period, Some(13));
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
}

#[test]
fn a_latest_segment_too_short_for_spc_leaves_the_run_chart_to_decide() {
    let values = after_baseline(&[20.0, 21.0, 20.0, 21.0, 20.0, 21.0]);
    let config = AnalysisConfig {
        spc: SpcConfig { rebase_periods: vec![12], ..SpcConfig::default() },
        ..AnalysisConfig::default()
    };
    let analysis = analysed(&values, Direction::HigherIsBetter, &config);
    assert!(analysis.verdict.run_chart_considered && analysis.verdict.spc_considered);
    assert!(analysis.verdict.provisional, "six points since the rebase: trial limits");
    // Median 11 (the 11s sit on it): the 10s are a downward shift ending at period 11, before the rebase;
    // the six points after it are an upward shift, which decides.
    assert_eq!(analysis.verdict.verdict, Verdict::Improving);
    let cited: Vec<(Rule, usize, usize)> =
        analysis.verdict.signals.iter().map(|signal| (signal.rule, signal.start, signal.end)).collect();
    assert_eq!(cited, [(Rule::RunChartShift, 12, 17)]);
}

#[test]
fn assurance_compares_the_target_with_the_limits_on_each_side() {
    // Limits 7.84 and 13.16.
    let chart = spc_chart(&series(&after_baseline(&[])), Direction::HigherIsBetter, &SpcConfig::default());
    let higher = |target| assurance(&chart, Direction::HigherIsBetter, target);
    let lower = |target| assurance(&chart, Direction::LowerIsBetter, target);
    assert_eq!(higher(7.0), Some(Assurance::ConsistentlyPasses));
    assert_eq!(higher(7.83), Some(Assurance::ConsistentlyPasses));
    assert_eq!(higher(7.84), Some(Assurance::Inconsistent), "on the lower limit: hit-or-miss");
    assert_eq!(higher(10.0), Some(Assurance::Inconsistent));
    assert_eq!(higher(13.16), Some(Assurance::Inconsistent), "on the upper limit: hit-or-miss");
    assert_eq!(higher(13.17), Some(Assurance::ConsistentlyFails));
    assert_eq!(higher(14.0), Some(Assurance::ConsistentlyFails));
    assert_eq!(lower(14.0), Some(Assurance::ConsistentlyPasses));
    assert_eq!(lower(13.16), Some(Assurance::Inconsistent));
    assert_eq!(lower(10.0), Some(Assurance::Inconsistent));
    assert_eq!(lower(7.84), Some(Assurance::Inconsistent));
    assert_eq!(lower(7.0), Some(Assurance::ConsistentlyFails));
    assert_eq!(higher(f64::NAN), None);
}

#[test]
fn a_constant_series_is_hit_or_miss_against_a_target_equal_to_its_value() {
    let chart = spc_chart(&series(&[7.0; 12]), Direction::HigherIsBetter, &SpcConfig::default());
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 7.0), Some(Assurance::Inconsistent));
    assert_eq!(assurance(&chart, Direction::LowerIsBetter, 7.0), Some(Assurance::Inconsistent));
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 7.5), Some(Assurance::ConsistentlyFails));
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 6.5), Some(Assurance::ConsistentlyPasses));
}

/// A proportion that reaches 100 %: p̄ = 131/140 = 0.93571…, and with n = 20 the upper limit
/// p̄ + 3·√(p̄(1 − p̄)/20) = 1.1002… is clipped to 1. A target of 1 lies on that limit, so it is
/// hit-or-miss (MDC), not a certain failure, whichever way is better.
#[test]
fn a_target_of_one_on_a_p_chart_clipped_at_one_is_hit_or_miss() {
    let pairs =
        [(18.0, 20.0), (19.0, 20.0), (17.0, 20.0), (20.0, 20.0), (19.0, 20.0), (18.0, 20.0), (20.0, 20.0)];
    let chart = spc_chart(&proportions(&pairs), Direction::HigherIsBetter, &SpcConfig::default());
    assert_close(chart.segments[0].centre, 131.0 / 140.0);
    assert_eq!(chart.points[6].limits.upper, 1.0);
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 1.0), Some(Assurance::Inconsistent));
    assert_eq!(assurance(&chart, Direction::LowerIsBetter, 1.0), Some(Assurance::Inconsistent));
}

/// The mirror image: p̄ = 3/140 = 0.02142…, lower limit p̄ − 3·√(p̄(1 − p̄)/20) = −0.0757… clipped to
/// 0, so a target of 0 is hit-or-miss too.
#[test]
fn a_target_of_zero_on_a_p_chart_clipped_at_zero_is_hit_or_miss() {
    let pairs = [(1.0, 20.0), (0.0, 20.0), (1.0, 20.0), (0.0, 20.0), (0.0, 20.0), (1.0, 20.0), (0.0, 20.0)];
    let chart = spc_chart(&proportions(&pairs), Direction::LowerIsBetter, &SpcConfig::default());
    assert_eq!(chart.points[6].limits.lower, 0.0);
    assert_eq!(assurance(&chart, Direction::LowerIsBetter, 0.0), Some(Assurance::Inconsistent));
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 0.0), Some(Assurance::Inconsistent));
}

#[test]
fn a_p_chart_assures_against_the_latest_points_own_limits() {
    let pairs = [(12.0, 40.0), (18.0, 50.0), (9.0, 30.0), (25.0, 60.0), (14.0, 45.0), (30.0, 80.0)];
    let chart = spc_chart(&proportions(&pairs), Direction::HigherIsBetter, &SpcConfig::default());
    // The latest point (n = 80) has limits 0.19369… to 0.51450…; the first (n = 40) 0.12725… to 0.58095….
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 0.19), Some(Assurance::ConsistentlyPasses));
    assert_eq!(assurance(&chart, Direction::HigherIsBetter, 0.52), Some(Assurance::ConsistentlyFails));
}

#[test]
fn there_is_no_assurance_without_a_target_or_without_points() {
    let analysis = analysed(&after_baseline(&[]), Direction::HigherIsBetter, &AnalysisConfig::default());
    assert_eq!(analysis.assurance, None);
    let empty = spc_chart(&series(&[]), Direction::HigherIsBetter, &SpcConfig::default());
    assert_eq!(assurance(&empty, Direction::HigherIsBetter, 1.0), None);
}

#[test]
fn a_proportion_measure_is_analysed_end_to_end_with_its_exclusions_reported() {
    let numerators = [40.0, 43.0, 41.0, 44.0, 39.0, 42.0, 40.0, 45.0, 41.0, 43.0, 42.0, 40.0, 44.0, 41.0];
    let mut points: Vec<Point> = (0..)
        .zip(numerators)
        .map(|(period, numerator)| Point {
            period,
            measurement: Measurement::Fraction(Fraction { numerator, denominator: 100.0 }),
        })
        .collect();
    points[5].measurement = Measurement::Fraction(Fraction { numerator: 0.0, denominator: 0.0 });
    let spec =
        MeasureSpec { unit: Unit::Proportion, direction: Direction::HigherIsBetter, target: Some(0.9) };
    let analysis = analyse(&points, &spec, &AnalysisConfig::default());
    assert_eq!(analysis.excluded.len(), 1);
    assert_eq!(analysis.excluded[0].reason, ExclusionReason::ZeroDenominator);
    assert_eq!(analysis.spc.points.len(), 13);
    assert_eq!(analysis.run_chart.points.len(), 13);
    // p̄ = 543 / 1300; with n = 100 the upper limit is 0.56564…, well short of a 90% target.
    assert_close(analysis.spc.segments[0].centre, 543.0 / 1300.0);
    assert_close(analysis.spc.points[12].limits.upper, 0.565_645_982_674_811_6);
    assert_eq!(analysis.assurance, Some(Assurance::ConsistentlyFails));
    assert_eq!(analysis.run_chart.median, Some(0.41));
    assert_eq!((analysis.run_chart.useful_observations, analysis.run_chart.runs), (10, 6));
    assert_eq!(analysis.verdict.verdict, Verdict::NoSignal);
}

/// The variation icon reads the latest point: twelve points alternating 10 and 12 (limits 5.68 to
/// 16.32), then 20 (beyond the upper limit) or 2 (beyond the lower), under each direction.
#[test]
fn the_variation_icon_reads_the_latest_point_through_the_direction() {
    let ending = |last: f64| {
        let mut values: Vec<f64> = (0..12).map(|i| if i % 2 == 0 { 10.0 } else { 12.0 }).collect();
        values.push(last);
        values
    };
    let config = AnalysisConfig {
        spc: SpcConfig { baseline_points: Some(12), ..SpcConfig::default() },
        ..AnalysisConfig::default()
    };
    let icon = |values: &[f64], direction| analysed(values, direction, &config).variation;
    assert_eq!(icon(&ending(20.0), Direction::HigherIsBetter), Some(Variation::ImprovingHigh));
    assert_eq!(icon(&ending(20.0), Direction::LowerIsBetter), Some(Variation::ConcerningHigh));
    assert_eq!(icon(&ending(2.0), Direction::HigherIsBetter), Some(Variation::ConcerningLow));
    assert_eq!(icon(&ending(2.0), Direction::LowerIsBetter), Some(Variation::ImprovingLow));
    assert_eq!(icon(&ending(11.0), Direction::HigherIsBetter), Some(Variation::CommonCause));
    assert_eq!(icon(&[], Direction::HigherIsBetter), None);
}
