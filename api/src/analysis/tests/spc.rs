use super::{after_baseline, assert_close, proportions, series, summary};
use crate::analysis::{
    ChartKind, Direction, Effect, ExcludedPoint, ExclusionReason, Limits, LimitsScale, Movement, Rule,
    SpcChart, SpcConfig, spc_chart,
};

const UP: Option<Movement> = Some(Movement::Up);
const DOWN: Option<Movement> = Some(Movement::Down);

fn chart(values: &[f64]) -> SpcChart {
    spc_chart(&series(values), Direction::HigherIsBetter, &SpcConfig::default())
}

/// Limits fixed on the twelve-point baseline shared by the rule examples.
fn on_baseline(rest: &[f64]) -> SpcChart {
    let config = SpcConfig { baseline_points: Some(12), ..SpcConfig::default() };
    spc_chart(&series(&after_baseline(rest)), Direction::HigherIsBetter, &config)
}

#[track_caller]
fn assert_limits(actual: Limits, lower: f64, upper: f64, lower_two_sigma: f64, upper_two_sigma: f64) {
    assert_close(actual.lower, lower);
    assert_close(actual.upper, upper);
    assert_close(actual.lower_two_sigma, lower_two_sigma);
    assert_close(actual.upper_two_sigma, upper_two_sigma);
}

#[test]
fn an_xmr_chart_has_the_mean_the_mean_moving_range_and_limits_worked_by_hand() {
    let chart = chart(&[10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0]);
    assert_eq!(chart.kind, ChartKind::Xmr);
    let segment = chart.segments[0];
    // Mean 100 / 8; moving ranges 2, 1, 2, 1, 2, 1, 2 average 11 / 7; 2.66 × 11 / 7 = 4.18.
    assert_close(segment.centre, 12.5);
    assert_close(segment.mean_moving_range.unwrap(), 11.0 / 7.0);
    assert_limits(segment.limits.unwrap(), 8.32, 16.68, 9.713_333_333_333_333, 15.286_666_666_666_667);
    assert_eq!(chart.points[0].moving_range, None);
    assert_eq!(chart.points[1].moving_range, Some(2.0));
    assert!(segment.trial, "eight points give trial limits");
    assert!(chart.signals.is_empty());
}

#[test]
fn limits_from_twelve_points_are_no_longer_trial() {
    assert!(!chart(&after_baseline(&[])).segments[0].trial);
    assert!(chart(&after_baseline(&[])[..11]).segments[0].trial);
}

#[test]
fn a_p_chart_has_limits_for_each_denominator() {
    let chart = spc_chart(
        &proportions(&[(12.0, 40.0), (18.0, 50.0), (9.0, 30.0), (25.0, 60.0), (14.0, 45.0), (30.0, 80.0)]),
        Direction::HigherIsBetter,
        &SpcConfig::default(),
    );
    assert_eq!(chart.kind, ChartKind::P);
    // p̄ = 108 / 305; limits p̄ ± 3·√(p̄(1 − p̄)/n), two-sigma lines with 2.
    assert_close(chart.segments[0].centre, 108.0 / 305.0);
    assert_eq!(chart.segments[0].limits, None);
    let expected = [
        (0.127_249_600_204_533_58, 0.580_947_121_106_941_8, 0.202_865_853_688_268_3, 0.505_330_867_623_207_1),
        (0.151_198_661_063_554_4, 0.556_998_060_247_921, 0.218_831_894_260_948_82, 0.489_364_827_050_526_53),
        (
            0.092_155_974_832_066_45,
            0.616_040_746_479_408_9,
            0.179_470_103_439_956_84,
            0.528_726_617_871_518_5,
        ),
        (
            0.168_877_123_359_636_78,
            0.539_319_597_951_838_6,
            0.230_617_535_791_670_4,
            0.477_579_185_519_804_94,
        ),
        (
            0.140_223_298_230_658_88,
            0.567_973_423_080_816_4,
            0.211_514_985_705_685_14,
            0.496_681_735_605_790_2,
        ),
        (
            0.193_692_063_836_928_55,
            0.514_504_657_474_546_9,
            0.247_160_829_443_198_28,
            0.461_035_891_868_277_1,
        ),
    ];
    for (point, (lower, upper, lower_two_sigma, upper_two_sigma)) in chart.points.iter().zip(expected) {
        assert_limits(point.limits, lower, upper, lower_two_sigma, upper_two_sigma);
    }
    assert_close(chart.points[3].value, 25.0 / 60.0);
    assert_eq!(chart.points[3].denominator, Some(60.0));
    assert!(chart.signals.is_empty());
}

#[test]
fn p_chart_limits_are_clipped_to_zero_and_one() {
    let low = spc_chart(
        &proportions(&[(0.0, 10.0), (1.0, 10.0), (0.0, 10.0), (0.0, 10.0)]),
        Direction::HigherIsBetter,
        &SpcConfig::default(),
    );
    // p̄ = 0.025: 0.025 − 3 × 0.049371 < 0.
    assert_limits(low.points[0].limits, 0.0, 0.173_113_132_435_986_22, 0.0, 0.123_742_088_290_657_5);
    let high = spc_chart(
        &proportions(&[(10.0, 10.0), (9.0, 10.0), (10.0, 10.0), (10.0, 10.0)]),
        Direction::HigherIsBetter,
        &SpcConfig::default(),
    );
    assert_close(high.points[0].limits.upper, 1.0);
    assert_close(high.points[0].limits.lower, 0.826_886_867_564_013_7);
}

#[test]
fn zero_denominators_are_excluded_from_the_p_chart_and_reported() {
    let series = proportions(&[(3.0, 10.0), (0.0, 0.0), (5.0, 10.0)]);
    assert_eq!(series.excluded(), [ExcludedPoint { period: 1, reason: ExclusionReason::ZeroDenominator }]);
    let chart = spc_chart(&series, Direction::HigherIsBetter, &SpcConfig::default());
    assert_eq!(chart.points.len(), 2);
    assert_close(chart.segments[0].centre, 0.4);
    assert!(chart.points[1].after_gap, "the excluded period is a gap in the chart");
}

#[test]
fn a_constant_series_has_limits_equal_to_its_mean_and_no_signal() {
    let chart = chart(&[7.0; 15]);
    assert_eq!(chart.segments[0].mean_moving_range, Some(0.0));
    assert_limits(chart.points[14].limits, 7.0, 7.0, 7.0, 7.0);
    assert!(chart.signals.is_empty());
    assert!(chart.points.iter().all(|point| point.special_cause.is_none()));
}

#[test]
fn a_point_beyond_a_process_limit_is_special_cause() {
    let chart = on_baseline(&[20.0]);
    assert_limits(chart.points[12].limits, 7.84, 13.16, 8.726_666_666_666_667, 12.273_333_333_333_333);
    assert_eq!(summary(&chart.signals), [(Rule::OutsideProcessLimits, UP, 12, 12)]);
    assert!(chart.points[12].above_upper_limit);
    assert_eq!(chart.points[12].special_cause, Some(Effect::Improvement));
}

#[test]
fn a_point_within_the_limits_is_not() {
    let chart = on_baseline(&[12.0]);
    assert!(chart.signals.is_empty());
    assert!(!chart.points[12].above_upper_limit);
}

#[test]
fn seven_points_above_the_mean_are_a_shift() {
    let chart = on_baseline(&[10.8, 10.9, 10.8, 10.9, 10.8, 10.9, 10.8]);
    assert_eq!(summary(&chart.signals), [(Rule::SpcShift, UP, 12, 18)]);
    assert!(chart.points[12..].iter().all(|point| point.in_shift));
}

#[test]
fn six_points_above_the_mean_are_not() {
    assert!(on_baseline(&[10.8, 10.9, 10.8, 10.9, 10.8, 10.9]).signals.is_empty());
}

#[test]
fn a_point_exactly_on_the_mean_breaks_a_shift() {
    let chart = on_baseline(&[10.8, 10.9, 10.8, 10.5, 10.9, 10.8, 10.9, 10.8]);
    assert!(chart.signals.is_empty());
}

#[test]
fn seven_points_each_higher_than_the_last_are_a_trend() {
    let chart = on_baseline(&[9.0, 9.2, 9.4, 9.6, 9.8, 10.0, 10.2]);
    // The rise stays below the mean, so with the last baseline point it is also a downward shift.
    assert_eq!(summary(&chart.signals), [(Rule::SpcShift, DOWN, 11, 18), (Rule::SpcTrend, UP, 12, 18)]);
    assert_eq!(chart.points[15].special_cause, Some(Effect::Neither), "the two signals disagree");
}

#[test]
fn an_equal_neighbour_breaks_a_trend() {
    let chart = on_baseline(&[9.0, 9.2, 9.4, 9.4, 9.6, 9.8, 10.0, 10.2]);
    assert_eq!(summary(&chart.signals), [(Rule::SpcShift, DOWN, 11, 19)]);
}

#[test]
fn two_of_three_points_beyond_the_upper_two_sigma_line_are_special_cause() {
    let chart = on_baseline(&[12.5, 10.6, 12.6]);
    assert_eq!(summary(&chart.signals), [(Rule::TwoOfThreeBeyondTwoSigma, UP, 12, 14)]);
    let flagged: Vec<bool> = chart.points[12..].iter().map(|point| point.in_two_of_three).collect();
    assert_eq!(flagged, [true, false, true]);
    assert_eq!(chart.points[13].special_cause, None);
}

#[test]
fn a_point_beyond_the_process_limit_counts_towards_two_of_three() {
    let chart = on_baseline(&[12.5, 10.6, 13.5]);
    assert_eq!(
        summary(&chart.signals),
        [(Rule::TwoOfThreeBeyondTwoSigma, UP, 12, 14), (Rule::OutsideProcessLimits, UP, 14, 14)]
    );
}

#[test]
fn two_points_beyond_two_sigma_but_not_within_three_are_not_two_of_three() {
    assert!(on_baseline(&[12.5, 10.6, 10.4, 12.6]).signals.is_empty());
}

#[test]
fn two_points_beyond_opposite_two_sigma_lines_are_not_two_of_three() {
    assert!(on_baseline(&[12.5, 8.5, 10.6]).signals.is_empty());
}

#[test]
fn rule_lengths_are_configurable_and_each_rule_can_be_switched_off() {
    let shifted = after_baseline(&[10.8, 10.9, 10.8, 10.9, 10.8, 10.9, 10.8]);
    let longer = SpcConfig { baseline_points: Some(12), shift_length: Some(8), ..SpcConfig::default() };
    assert!(spc_chart(&series(&shifted), Direction::HigherIsBetter, &longer).signals.is_empty());
    let shorter = SpcConfig { baseline_points: Some(12), shift_length: Some(6), ..SpcConfig::default() };
    let signals = spc_chart(
        &series(&after_baseline(&[10.8, 10.9, 10.8, 10.9, 10.8, 10.9])),
        Direction::HigherIsBetter,
        &shorter,
    )
    .signals;
    assert_eq!(summary(&signals), [(Rule::SpcShift, UP, 12, 17)]);

    let everything = after_baseline(&[9.0, 9.2, 9.4, 9.6, 9.8, 10.0, 10.2, 12.5, 10.6, 12.6, 20.0]);
    let none = SpcConfig {
        outside_limits: false,
        shift_length: None,
        trend_length: None,
        two_of_three: false,
        baseline_points: Some(12),
        ..SpcConfig::default()
    };
    let chart = spc_chart(&series(&everything), Direction::HigherIsBetter, &none);
    assert!(chart.signals.is_empty());
    assert!(chart.points[22].above_upper_limit, "the flag still says where the point lies");
}

#[test]
fn limits_fixed_on_a_baseline_apply_to_every_later_point() {
    let config = SpcConfig { baseline_points: Some(8), ..SpcConfig::default() };
    let values = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 15.0, 30.0, 31.0];
    let chart = spc_chart(&series(&values), Direction::HigherIsBetter, &config);
    assert_eq!(chart.segments[0].baseline_points, 8);
    assert_close(chart.segments[0].centre, 12.5);
    for point in &chart.points {
        assert_limits(point.limits, 8.32, 16.68, 9.713_333_333_333_333, 15.286_666_666_666_667);
    }
    assert_eq!(chart.points.iter().filter(|point| point.in_baseline).count(), 8);
    assert_eq!(
        summary(&chart.signals),
        [
            (Rule::OutsideProcessLimits, UP, 8, 8),
            (Rule::TwoOfThreeBeyondTwoSigma, UP, 8, 9),
            (Rule::OutsideProcessLimits, UP, 9, 9),
        ]
    );
}

#[test]
fn a_rebase_starts_a_segment_with_its_own_limits() {
    let values: Vec<f64> =
        after_baseline(&[21.0, 20.0, 21.0, 20.0, 21.0, 20.0, 21.0, 20.0, 21.0, 20.0, 21.0, 20.0]);
    let config = SpcConfig { rebase_periods: vec![12], ..SpcConfig::default() };
    let chart = spc_chart(&series(&values), Direction::HigherIsBetter, &config);
    assert_eq!(chart.segments.len(), 2);
    assert_eq!((chart.segments[1].start, chart.segments[1].first_period), (12, 12));
    assert_close(chart.segments[0].centre, 10.5);
    assert_close(chart.segments[1].centre, 20.5);
    assert_limits(
        chart.segments[1].limits.unwrap(),
        17.84,
        23.16,
        18.726_666_666_666_667,
        22.273_333_333_333_333,
    );
    assert_eq!(chart.points[12].moving_range, None, "a moving range never spans a rebase");
    assert_eq!(chart.points[12].segment, 1);
    assert!(chart.signals.is_empty());
    // Without the rebase the step up is a shift.
    let unbroken = spc_chart(&series(&values), Direction::HigherIsBetter, &SpcConfig::default());
    assert!(unbroken.signals.iter().any(|signal| signal.rule == Rule::SpcShift));
}

#[test]
fn a_rebase_with_no_points_after_it_opens_no_segment() {
    let config = SpcConfig { rebase_periods: vec![-5, 100], ..SpcConfig::default() };
    let chart = spc_chart(&series(&[1.0, 2.0, 3.0]), Direction::HigherIsBetter, &config);
    assert_eq!(chart.segments.len(), 1);
}

#[test]
fn signals_are_read_through_the_measure_direction() {
    let values = after_baseline(&[20.0]);
    let config = SpcConfig { baseline_points: Some(12), ..SpcConfig::default() };
    let higher = spc_chart(&series(&values), Direction::HigherIsBetter, &config);
    let lower = spc_chart(&series(&values), Direction::LowerIsBetter, &config);
    assert_eq!(higher.signals[0].effect, Effect::Improvement);
    assert_eq!(lower.signals[0].effect, Effect::Concern);
}

/// A baseline date with a rebase after it: the first segment is fixed on its first six points (up to
/// period 5); the second, from period 12, is not the baseline's business and computes its own mean and
/// limits from all twelve of its points, which are then firm, not trial. By hand: segment one's
/// baseline 10, 12, 10, 12, 10, 12 has mean 11 and mean moving range 2; segment two's points
/// 30, 32, … 40, 42 have mean 36.
#[test]
fn a_baseline_date_fixes_only_the_segment_that_holds_it() {
    let values = [
        10.0, 12.0, 10.0, 12.0, 10.0, 12.0, 20.0, 22.0, 20.0, 22.0, 20.0, 22.0, //
        30.0, 32.0, 30.0, 32.0, 30.0, 32.0, 40.0, 42.0, 40.0, 42.0, 40.0, 42.0,
    ];
    let config = SpcConfig { baseline_until: Some(5), rebase_periods: vec![12], ..SpcConfig::default() };
    let chart = spc_chart(&series(&values), Direction::HigherIsBetter, &config);
    assert_eq!(chart.segments.len(), 2);
    assert_eq!(chart.segments[0].baseline_points, 6);
    assert_close(chart.segments[0].centre, 11.0);
    assert!(chart.segments[0].trial);
    assert_eq!(chart.segments[1].baseline_points, 12);
    assert_close(chart.segments[1].centre, 36.0);
    assert!(!chart.segments[1].trial, "twelve points of its own: firm limits");
    assert!(chart.points[12..].iter().all(|point| point.in_baseline));
}

/// A baseline date after the first rebase: the first segment lies wholly inside the baseline (all its
/// points), the second holds the date (its points up to it), the third computes its own.
#[test]
fn a_baseline_date_spanning_segments_uses_each_segments_share() {
    let values = [5.0, 6.0, 5.0, 6.0, 9.0, 10.0, 9.0, 10.0, 20.0, 21.0, 20.0, 21.0];
    let config = SpcConfig { baseline_until: Some(5), rebase_periods: vec![4, 8], ..SpcConfig::default() };
    let chart = spc_chart(&series(&values), Direction::HigherIsBetter, &config);
    let baselines: Vec<usize> = chart.segments.iter().map(|segment| segment.baseline_points).collect();
    assert_eq!(baselines, [4, 2, 4]);
    assert_close(chart.segments[1].centre, 9.5);
    assert_close(chart.segments[2].centre, 20.5);
}

/// Twelve baseline points alternating 9.5 and 10.5: mean 10, every moving range 1. Making Data Count's
/// upper limit is 10 + 2.66 = 12.66; the textbook's 10 + 3 / 1.128 = 12.659574…. A 13th point at
/// 12.6598 lies between them: inside by the first, beyond by the second.
#[test]
fn a_point_between_the_two_scales_limits_is_classified_by_the_chosen_one() {
    let mut values: Vec<f64> = (0..12).map(|i| if i % 2 == 0 { 9.5 } else { 10.5 }).collect();
    values.push(12.6598);
    let chart = |scale| {
        let config = SpcConfig { baseline_points: Some(12), limits_scale: scale, ..SpcConfig::default() };
        spc_chart(&series(&values), Direction::HigherIsBetter, &config)
    };
    let mdc = chart(LimitsScale::MakingDataCount);
    assert_close(mdc.points[12].limits.upper, 12.66);
    assert!(!mdc.points[12].above_upper_limit);
    assert!(mdc.signals.iter().all(|signal| signal.rule != Rule::OutsideProcessLimits));
    assert_eq!(mdc.limits_scale, LimitsScale::MakingDataCount);

    let textbook = chart(LimitsScale::Textbook);
    assert_close(textbook.points[12].limits.upper, 10.0 + 3.0 / 1.128);
    assert!(textbook.points[12].above_upper_limit);
    assert!(
        textbook.signals.iter().any(|signal| signal.rule == Rule::OutsideProcessLimits && signal.end == 12)
    );
}

/// Baseline 10, 11, 10, 11, 10, 11, 10, 30, 10, 11, 10, 11 (mean 145 / 12 = 12.083…): moving ranges
/// 1 ×6, 20, 20, 1 ×3, mean 49 / 11 = 4.4545…. Screening's cut is 3.267 × 4.4545… = 14.553…, so both
/// 20s go and the mean moving range is 1: the upper limit falls from 12.083… + 11.849… = 23.93… to
/// 12.083… + 2.66 = 14.743…, and a 13th point at 14.9 is beyond it only when screened.
#[test]
fn screening_leaves_outlying_moving_ranges_out_of_the_limits_and_says_which() {
    let values = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 30.0, 10.0, 11.0, 10.0, 11.0, 14.9];
    let chart = |screen| {
        let config =
            SpcConfig { baseline_points: Some(12), screen_moving_ranges: screen, ..SpcConfig::default() };
        spc_chart(&series(&values), Direction::HigherIsBetter, &config)
    };
    let kept = chart(false);
    assert_close(kept.segments[0].mean_moving_range.unwrap(), 49.0 / 11.0);
    assert!(!kept.points[12].above_upper_limit);
    assert!(kept.points.iter().all(|point| !point.moving_range_screened_out));
    assert!(!kept.moving_ranges_screened);

    let screened = chart(true);
    assert_close(screened.segments[0].centre, 145.0 / 12.0);
    assert_close(screened.segments[0].mean_moving_range.unwrap(), 1.0);
    assert_close(screened.points[12].limits.upper, 145.0 / 12.0 + 2.66);
    assert!(screened.points[12].above_upper_limit);
    let left_out: Vec<usize> =
        (0..values.len()).filter(|&i| screened.points[i].moving_range_screened_out).collect();
    assert_eq!(left_out, [7, 8]);
    assert!(screened.moving_ranges_screened);
}

/// One-sigma lines: a third of the way to the limits on an XmR chart (10, 12 alternating: mean 11,
/// mean moving range 2, limits ± 5.32, one sigma ± 1.77333…), and p̄ ± √(p̄(1 − p̄)/n) on a p-chart
/// (p̄ = 131/140, n = 20: σ = 0.0548420…).
#[test]
fn one_sigma_lines_sit_a_third_of_the_way_to_the_limits() {
    let values: Vec<f64> = (0..12).map(|i| if i % 2 == 0 { 10.0 } else { 12.0 }).collect();
    let xmr = spc_chart(&series(&values), Direction::HigherIsBetter, &SpcConfig::default());
    assert_close(xmr.points[0].limits.upper_one_sigma, 11.0 + 5.32 / 3.0);
    assert_close(xmr.points[0].limits.lower_one_sigma, 11.0 - 5.32 / 3.0);

    let pairs =
        [(18.0, 20.0), (19.0, 20.0), (17.0, 20.0), (20.0, 20.0), (19.0, 20.0), (18.0, 20.0), (20.0, 20.0)];
    let p = spc_chart(&proportions(&pairs), Direction::HigherIsBetter, &SpcConfig::default());
    let centre: f64 = 131.0 / 140.0;
    let sigma = (centre * (1.0 - centre) / 20.0).sqrt();
    assert_close(sigma, 0.054_842_073_823_155_97);
    assert_close(p.points[6].limits.upper_one_sigma, centre + sigma);
    assert_close(p.points[6].limits.lower_one_sigma, centre - sigma);
}
