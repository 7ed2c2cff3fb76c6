use chrono::NaiveDate;

use crate::analysis::{
    ExcludedPoint, ExclusionReason, Fraction, Frequency, Measurement, Point, Series, Unit, period_index,
};

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

fn value(period: i64, value: f64) -> Point {
    Point { period, measurement: Measurement::Value(value) }
}

fn fraction(period: i64, numerator: f64, denominator: f64) -> Point {
    Point { period, measurement: Measurement::Fraction(Fraction { numerator, denominator }) }
}

#[test]
fn consecutive_months_and_quarters_have_consecutive_indices_across_a_year_end() {
    let december = period_index(date(2024, 12, 31), Frequency::Monthly);
    assert_eq!(period_index(date(2025, 1, 1), Frequency::Monthly), december + 1);
    assert_eq!(december, 2024 * 12 + 11);
    assert_eq!(period_index(date(2024, 12, 1), Frequency::Monthly), december);
    let fourth_quarter = period_index(date(2024, 10, 1), Frequency::Quarterly);
    assert_eq!(fourth_quarter, 2024 * 4 + 3);
    assert_eq!(period_index(date(2024, 12, 31), Frequency::Quarterly), fourth_quarter);
    assert_eq!(period_index(date(2025, 3, 31), Frequency::Quarterly), fourth_quarter + 1);
}

#[test]
fn a_week_runs_from_monday_to_sunday() {
    // 2025-01-06 is a Monday, 2025-01-12 the Sunday after it.
    let week = period_index(date(2025, 1, 6), Frequency::Weekly);
    assert_eq!(period_index(date(2025, 1, 12), Frequency::Weekly), week);
    assert_eq!(period_index(date(2025, 1, 5), Frequency::Weekly), week - 1);
    assert_eq!(period_index(date(2025, 1, 13), Frequency::Weekly), week + 1);
    // Python: (date(2025, 1, 6).toordinal() - 1) // 7 = 105_608.
    assert_eq!(week, 105_608);
}

#[test]
fn points_are_ordered_by_period_whatever_order_they_arrive_in() {
    let series = Series::new(&[value(3, 30.0), value(1, 10.0), value(2, 20.0)], Unit::Count);
    let periods: Vec<i64> = series.samples().iter().map(|sample| sample.period).collect();
    assert_eq!(periods, [1, 2, 3]);
    assert!(series.excluded().is_empty());
}

#[test]
fn a_second_observation_for_a_period_is_excluded_and_the_first_kept() {
    let series = Series::new(&[value(1, 10.0), value(2, 20.0), value(1, 99.0)], Unit::Count);
    let values: Vec<f64> = series.samples().iter().map(|sample| sample.value).collect();
    assert_eq!(values, [10.0, 20.0]);
    assert_eq!(series.excluded(), [ExcludedPoint { period: 1, reason: ExclusionReason::DuplicatePeriod }]);
}

#[test]
fn unusable_values_are_excluded_with_their_reason() {
    let points = [
        value(0, f64::NAN),
        value(1, f64::INFINITY),
        value(2, 2e15),
        value(3, 5.0),
        fraction(4, 3.0, 0.0),
        fraction(5, 3.0, -4.0),
        fraction(6, 1e15, 1e-300),
    ];
    let series = Series::new(&points, Unit::Rate);
    let reasons: Vec<ExclusionReason> = series.excluded().iter().map(|excluded| excluded.reason).collect();
    assert_eq!(
        reasons,
        [
            ExclusionReason::NotFinite,
            ExclusionReason::NotFinite,
            ExclusionReason::OutOfRange,
            ExclusionReason::ZeroDenominator,
            ExclusionReason::NegativeDenominator,
            ExclusionReason::OutOfRange,
        ]
    );
    assert_eq!(series.samples().len(), 1);
}

#[test]
fn a_rate_recorded_as_a_fraction_is_plotted_as_its_quotient() {
    let series = Series::new(&[fraction(0, 3.0, 1500.0)], Unit::Rate);
    assert_eq!(series.samples()[0].value, 0.002);
}

#[test]
fn a_proportion_needs_a_denominator_and_a_numerator_within_it() {
    let points = [value(0, 0.5), fraction(1, 11.0, 10.0), fraction(2, -1.0, 10.0), fraction(3, 0.0, 0.0)];
    let series = Series::new(&points, Unit::Proportion);
    let reasons: Vec<ExclusionReason> = series.excluded().iter().map(|excluded| excluded.reason).collect();
    assert_eq!(
        reasons,
        [
            ExclusionReason::NoDenominator,
            ExclusionReason::NumeratorOutOfRange,
            ExclusionReason::NumeratorOutOfRange,
            ExclusionReason::ZeroDenominator,
        ]
    );
    assert!(series.samples().is_empty());
}
