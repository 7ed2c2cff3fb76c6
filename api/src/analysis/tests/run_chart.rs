use super::{assert_close, series, summary};
use crate::analysis::{
    AnhoejLimits, Direction, Effect, Measurement, Movement, Point, Position, Rule, RunChartConfig,
    RunCountLimits, Series, Unit, run_chart,
};

const UP: Option<Movement> = Some(Movement::Up);
const DOWN: Option<Movement> = Some(Movement::Down);

fn chart(values: &[f64]) -> crate::analysis::RunChart {
    run_chart(&series(values), Direction::HigherIsBetter, &RunChartConfig::default())
}

fn with_anhoej(values: &[f64]) -> crate::analysis::RunChart {
    let config = RunChartConfig { anhoej: true, ..RunChartConfig::default() };
    run_chart(&series(values), Direction::HigherIsBetter, &config)
}

#[test]
fn points_on_the_median_are_not_useful_and_do_not_count_as_runs() {
    let chart = chart(&[3.0, 8.0, 5.0, 9.0, 5.0, 2.0, 7.0, 5.0, 1.0, 6.0, 4.0, 5.0, 8.0, 2.0]);
    assert_eq!(chart.median, Some(5.0));
    let on_median: Vec<usize> =
        (0..chart.points.len()).filter(|&i| chart.points[i].position == Position::OnCentre).collect();
    assert_eq!(on_median, [2, 4, 7, 11]);
    assert_eq!(chart.useful_observations, 10);
    assert_eq!(chart.runs, 9);
    assert_eq!(chart.crossings, 8);
    assert_eq!(chart.longest_run, 2);
    // Nine runs is the most the table allows for ten useful observations, so nothing is signalled.
    assert_eq!(chart.run_count_limits, Some(RunCountLimits { lower: 3, upper: 9 }));
    assert!(chart.signals.is_empty());
}

#[test]
fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
    assert_eq!(chart(&[3.0, 1.0, 4.0, 2.0]).median, Some(2.5));
}

#[test]
fn six_useful_points_above_the_median_are_a_shift_even_with_a_point_on_the_median_among_them() {
    let chart = chart(&[2.0, 1.0, 3.0, 2.0, 8.0, 9.0, 5.0, 8.0, 9.0, 7.0, 8.0, 1.0, 3.0]);
    assert_eq!(chart.median, Some(5.0));
    assert_eq!(summary(&chart.signals), [(Rule::RunChartShift, UP, 4, 10)]);
    let in_shift: Vec<usize> = (0..13).filter(|&i| chart.points[i].in_shift).collect();
    assert_eq!(in_shift, [4, 5, 7, 8, 9, 10], "the point on the median is not part of the shift");
    assert_eq!(chart.points[4].signal_effect, Some(Effect::Improvement));
    assert_eq!(chart.points[6].signal_effect, None);
}

#[test]
fn five_useful_points_and_one_on_the_median_are_not_a_shift() {
    let chart = chart(&[9.0, 2.0, 1.0, 3.0, 8.0, 9.0, 5.0, 8.0, 9.0, 7.0, 1.0, 3.0, 2.0]);
    assert_eq!(chart.median, Some(5.0));
    assert_eq!(chart.longest_run, 5);
    assert!(chart.signals.is_empty());
}

#[test]
fn five_points_going_up_are_a_trend() {
    let chart = chart(&[5.0, 3.0, 4.0, 6.0, 7.0, 8.0, 2.0, 5.0]);
    assert_eq!(summary(&chart.signals), [(Rule::RunChartTrend, UP, 1, 5)]);
    assert!(chart.points[1..=5].iter().all(|point| point.in_trend));
}

#[test]
fn four_points_going_up_are_not_a_trend() {
    assert!(chart(&[5.0, 3.0, 4.0, 6.0, 7.0, 2.0, 5.0, 4.0]).signals.is_empty());
}

#[test]
fn a_repeated_value_neither_breaks_nor_extends_a_trend() {
    // 1, 2, 2, 3, 4 is four distinct steps' worth of points: no trend.
    assert!(chart(&[5.0, 1.0, 2.0, 2.0, 3.0, 4.0, 1.0, 5.0]).signals.is_empty());
    // 1, 2, 2, 3, 4, 6 counts five points and covers six.
    let chart = chart(&[5.0, 1.0, 2.0, 2.0, 3.0, 4.0, 6.0, 1.0]);
    assert_eq!(summary(&chart.signals), [(Rule::RunChartTrend, UP, 1, 6)]);
}

#[test]
fn a_fall_and_a_rise_share_their_turning_point_even_when_it_repeats() {
    let chart = chart(&[9.0, 7.0, 5.0, 3.0, 1.0, 1.0, 2.0, 4.0, 6.0, 8.0]);
    assert_eq!(summary(&chart.signals), [(Rule::RunChartTrend, DOWN, 0, 5), (Rule::RunChartTrend, UP, 4, 9)]);
    assert_eq!(chart.signals[0].effect, Effect::Concern);
    assert_eq!(chart.signals[1].effect, Effect::Improvement);
    assert_eq!(chart.points[4].signal_effect, Some(Effect::Neither), "covered by both trends");
}

#[test]
fn too_few_runs_for_twenty_useful_observations_is_a_signal() {
    let values = [1.0, 3.0, 2.0, 4.0, 2.0, 11.0, 13.0, 12.0, 14.0, 12.0];
    let chart = chart(&[values, values].concat());
    assert_eq!(chart.median, Some(7.5));
    assert_eq!((chart.useful_observations, chart.runs), (20, 4));
    assert_eq!(summary(&chart.signals), [(Rule::TooFewRuns, None, 0, 19)]);
    assert_eq!(chart.signals[0].effect, Effect::Neither);
}

#[test]
fn too_many_runs_for_ten_useful_observations_is_a_signal() {
    let chart = chart(&[1.0, 10.0, 2.0, 9.0, 3.0, 8.0, 4.0, 7.0, 5.0, 6.0]);
    assert_eq!(chart.runs, 10);
    assert_eq!(summary(&chart.signals), [(Rule::TooManyRuns, None, 0, 9)]);
}

#[test]
fn a_number_of_runs_within_the_table_limits_is_no_signal() {
    let chart = chart(&[3.0, 7.0, 1.0, 9.0, 8.0, 2.0, 6.0, 10.0, 4.0, 5.0]);
    assert_eq!(chart.runs, 7);
    assert!(chart.signals.is_empty());
}

#[test]
fn the_run_count_rule_does_not_apply_to_fewer_than_ten_useful_observations() {
    // The median is 5, so that point is not useful: eight useful points in eight runs.
    let chart = chart(&[1.0, 10.0, 2.0, 9.0, 3.0, 8.0, 4.0, 7.0, 5.0]);
    assert_eq!((chart.useful_observations, chart.runs), (8, 8));
    assert_eq!(chart.run_count_limits, None);
    assert!(chart.signals.is_empty());
}

#[test]
fn the_anhoej_rules_are_off_unless_asked_for() {
    let values = [1.0, 3.0, 2.0, 4.0, 1.0, 3.0, 2.0, 4.0, 9.0, 11.0, 10.0, 12.0, 9.0, 11.0, 10.0, 12.0];
    let rules: Vec<Rule> = chart(&values).signals.iter().map(|signal| signal.rule).collect();
    assert_eq!(rules, [Rule::RunChartShift, Rule::TooFewRuns, Rule::RunChartShift]);
}

#[test]
fn a_run_longer_than_the_anhoej_limit_and_too_few_crossings_are_signals() {
    let values = [1.0, 3.0, 2.0, 4.0, 1.0, 3.0, 2.0, 4.0, 9.0, 11.0, 10.0, 12.0, 9.0, 11.0, 10.0, 12.0];
    let chart = with_anhoej(&values);
    // Sixteen useful observations: runs longer than round(log2 16) + 3 = 7, or fewer than 4 crossings.
    assert_eq!(chart.anhoej_limits, Some(AnhoejLimits { longest_run: 7, min_crossings: 4 }));
    assert_eq!((chart.longest_run, chart.crossings), (8, 1));
    let anhoej: Vec<_> = summary(&chart.signals)
        .into_iter()
        .filter(|(rule, ..)| matches!(rule, Rule::AnhoejLongestRun | Rule::AnhoejFewCrossings))
        .collect();
    assert_eq!(
        anhoej,
        [
            (Rule::AnhoejLongestRun, DOWN, 0, 7),
            (Rule::AnhoejFewCrossings, None, 0, 15),
            (Rule::AnhoejLongestRun, UP, 8, 15),
        ]
    );
    assert!(chart.points.iter().all(|point| point.in_long_run));
}

#[test]
fn too_few_crossings_can_signal_without_a_long_run() {
    let values = [1.0, 3.0, 2.0, 4.0, 2.0, 11.0, 13.0, 12.0, 14.0, 12.0];
    let chart = with_anhoej(&[values, values].concat());
    assert_eq!(chart.anhoej_limits, Some(AnhoejLimits { longest_run: 7, min_crossings: 6 }));
    assert_eq!((chart.longest_run, chart.crossings), (5, 3));
    let rules: Vec<Rule> = chart.signals.iter().map(|signal| signal.rule).collect();
    assert_eq!(rules, [Rule::TooFewRuns, Rule::AnhoejFewCrossings]);
}

#[test]
fn a_series_crossing_its_median_often_raises_no_anhoej_signal() {
    let chart = with_anhoej(&[1.0, 10.0, 2.0, 9.0, 3.0, 8.0, 4.0, 7.0, 5.0, 6.0]);
    assert_eq!(chart.anhoej_limits, Some(AnhoejLimits { longest_run: 6, min_crossings: 2 }));
    let rules: Vec<Rule> = chart.signals.iter().map(|signal| signal.rule).collect();
    assert_eq!(rules, [Rule::TooManyRuns]);
}

#[test]
fn a_constant_series_has_no_useful_points_and_no_signals() {
    let chart = with_anhoej(&[7.0; 12]);
    assert_eq!(chart.median, Some(7.0));
    assert_eq!((chart.useful_observations, chart.runs, chart.crossings, chart.longest_run), (0, 0, 0, 0));
    assert!(chart.points.iter().all(|point| point.position == Position::OnCentre));
    assert!(chart.signals.is_empty());
}

#[test]
fn no_points_give_no_median_and_no_signals() {
    let chart = chart(&[]);
    assert_eq!(chart.median, None);
    assert!(chart.points.is_empty() && chart.signals.is_empty());
}

#[test]
fn a_missing_period_is_flagged_and_does_not_break_a_shift() {
    let values = [1.0, 2.0, 1.0, 2.0, 1.0, 8.0, 9.0, 8.0, 9.0, 8.0, 9.0, 2.0];
    let periods = [0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13];
    let points: Vec<Point> = values
        .iter()
        .zip(periods)
        .map(|(&value, period)| Point { period, measurement: Measurement::Value(value) })
        .collect();
    let chart =
        run_chart(&Series::new(&points, Unit::Count), Direction::LowerIsBetter, &RunChartConfig::default());
    let after_gap: Vec<usize> = (0..12).filter(|&i| chart.points[i].after_gap).collect();
    assert_eq!(after_gap, [7]);
    assert_eq!(summary(&chart.signals), [(Rule::RunChartShift, UP, 5, 10)]);
    assert_eq!((chart.signals[0].first_period, chart.signals[0].last_period), (5, 12));
    assert_eq!(chart.signals[0].effect, Effect::Concern, "up is bad when lower is better");
}

#[test]
fn a_baseline_median_comes_from_the_first_points_and_judges_all_of_them() {
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0];
    let config = RunChartConfig { baseline_points: Some(5), ..RunChartConfig::default() };
    let chart = run_chart(&series(&values), Direction::HigherIsBetter, &config);
    assert_close(chart.median.unwrap(), 3.0);
    assert_eq!(chart.points.iter().filter(|point| point.in_baseline).count(), 5);
    assert_eq!(chart.useful_observations, 11);
    assert_eq!(
        summary(&chart.signals),
        [(Rule::RunChartTrend, UP, 0, 11), (Rule::TooFewRuns, None, 0, 11), (Rule::RunChartShift, UP, 3, 11)]
    );
}

#[test]
fn each_rule_can_be_switched_off() {
    let values = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0];
    let config =
        RunChartConfig { shift_length: None, trend_length: None, run_count: false, ..Default::default() };
    assert!(run_chart(&series(&values), Direction::HigherIsBetter, &config).signals.is_empty());
}

/// Fifteen useful points, 7 below the median and 8 above, in 4 runs. The exact limits are (4, 13):
/// P(R ≤ 3) = 0.0023 and P(R ≤ 4) = 0.0154, in exact fractions; the published odd row (5, 12) would
/// have called 4 runs too few.
#[test]
fn four_runs_in_fifteen_useful_points_are_within_the_exact_limits() {
    let chart = chart(&[1.0, 2.0, 1.0, 2.0, 8.0, 9.0, 8.0, 9.0, 5.0, 1.0, 2.0, 1.0, 5.0, 8.0, 9.0, 8.0, 9.0]);
    assert_eq!(chart.median, Some(5.0));
    assert_eq!(chart.useful_observations, 15);
    assert_eq!(chart.runs, 4);
    assert_eq!(chart.run_count_limits, Some(RunCountLimits { lower: 4, upper: 13 }));
    assert!(chart.signals.is_empty(), "{:?}", chart.signals);
}
