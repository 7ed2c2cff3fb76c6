//! Whatever goes in, every number that comes out is finite.

use crate::analysis::{
    Analysis, AnalysisConfig, Direction, Fraction, MAX_MAGNITUDE, MeasureSpec, Measurement, Point,
    RunChartConfig, SpcConfig, Unit, analyse,
};

/// A small linear congruential generator: deterministic, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[self.next() as usize % choices.len()]
    }
}

fn value(random: &mut Lcg) -> f64 {
    let awkward =
        [0.0, -0.0, 1e-300, -1e-300, MAX_MAGNITUDE, -MAX_MAGNITUDE, f64::NAN, f64::INFINITY, 0.1, 7.0];
    if random.next().is_multiple_of(4) { random.pick(&awkward) } else { (random.next() % 1000) as f64 / 10.0 }
}

fn assert_finite(analysis: &Analysis) {
    let mut numbers: Vec<f64> = analysis.run_chart.median.into_iter().collect();
    numbers.extend(analysis.run_chart.points.iter().map(|point| point.value));
    for point in &analysis.spc.points {
        let limits = point.limits;
        numbers.extend([point.value, point.centre, limits.lower, limits.upper]);
        numbers.extend([limits.lower_two_sigma, limits.upper_two_sigma]);
        numbers.extend(point.moving_range.into_iter().chain(point.denominator));
    }
    for segment in &analysis.spc.segments {
        numbers.push(segment.centre);
        numbers.extend(segment.mean_moving_range);
    }
    assert!(numbers.iter().all(|number| number.is_finite()), "{analysis:#?}");
}

#[test]
fn no_nan_or_infinity_escapes_whatever_the_input() {
    let mut random = Lcg(20_250_101);
    for _ in 0..400 {
        let unit = random.pick(&[Unit::Proportion, Unit::Rate, Unit::Count, Unit::Continuous]);
        let length = random.next() % 40;
        let points: Vec<Point> = (0..length)
            .map(|_| {
                let period = (random.next() % 60) as i64 - 10;
                let measurement = if random.next().is_multiple_of(2) {
                    Measurement::Value(value(&mut random))
                } else {
                    let denominator = value(&mut random);
                    let numerator = value(&mut random).min(denominator.abs());
                    Measurement::Fraction(Fraction { numerator, denominator })
                };
                Point { period, measurement }
            })
            .collect();
        let config = AnalysisConfig {
            run_chart: RunChartConfig {
                baseline_points: random.pick(&[None, Some(0), Some(1), Some(5), Some(100)]),
                anhoej: true,
                ..RunChartConfig::default()
            },
            spc: SpcConfig {
                baseline_points: random.pick(&[None, Some(0), Some(1), Some(5), Some(100)]),
                baseline_until: random.pick(&[None, Some(-5), Some(0), Some(10), Some(30), Some(200)]),
                rebase_periods: vec![random.pick(&[-20, 5, 20, 70])],
                screen_moving_ranges: random.pick(&[false, true]),
                ..SpcConfig::default()
            },
            ..AnalysisConfig::default()
        };
        let direction = random.pick(&[Direction::HigherIsBetter, Direction::LowerIsBetter]);
        let spec = MeasureSpec { unit, direction, target: Some(value(&mut random)) };
        assert_finite(&analyse(&points, &spec, &config));
    }
}

#[test]
fn a_single_point_has_trial_limits_at_its_own_value_and_no_signal() {
    use crate::analysis::{run_chart, spc_chart};
    let series = super::series(&[42.0]);
    let chart = spc_chart(&series, Direction::HigherIsBetter, &SpcConfig::default());
    let segment = chart.segments[0];
    assert!(segment.trial);
    assert_eq!((segment.centre, segment.mean_moving_range), (42.0, Some(0.0)));
    assert_eq!((chart.points[0].limits.lower, chart.points[0].limits.upper), (42.0, 42.0));
    assert!(chart.signals.is_empty());
    let run_chart = run_chart(&series, Direction::HigherIsBetter, &RunChartConfig::default());
    assert_eq!(run_chart.median, Some(42.0));
    assert!(run_chart.signals.is_empty());
}

#[test]
fn no_points_give_an_empty_spc_chart() {
    let chart =
        crate::analysis::spc_chart(&super::series(&[]), Direction::HigherIsBetter, &SpcConfig::default());
    assert!(chart.points.is_empty() && chart.segments.is_empty() && chart.signals.is_empty());
}
