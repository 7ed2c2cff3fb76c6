use crate::analysis::{RunCountLimits, anhoej_longest_run_limit, anhoej_min_crossings, run_count_limits};

fn limits(lower: usize, upper: usize) -> Option<RunCountLimits> {
    Some(RunCountLimits { lower, upper })
}

#[test]
fn the_run_count_table_gives_the_published_limits() {
    assert_eq!(run_count_limits(10), limits(3, 9));
    assert_eq!(run_count_limits(15), limits(5, 12));
    assert_eq!(run_count_limits(20), limits(6, 16));
    assert_eq!(run_count_limits(27), limits(10, 19));
    assert_eq!(run_count_limits(30), limits(11, 21));
    assert_eq!(run_count_limits(45), limits(17, 30));
    assert_eq!(run_count_limits(60), limits(24, 38));
}

#[test]
fn the_run_count_rule_does_not_apply_below_ten_or_beyond_the_table() {
    assert_eq!(run_count_limits(0), None);
    assert_eq!(run_count_limits(9), None);
    assert_eq!(run_count_limits(61), None);
}

/// Number of arrangements of m points above and m below the median giving exactly `runs` runs.
fn arrangements_with_runs(m: u64, runs: u64) -> u64 {
    fn choose(n: u64, k: u64) -> u64 {
        if k > n {
            return 0;
        }
        (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
    }
    let k = runs / 2;
    if runs.is_multiple_of(2) {
        2 * choose(m - 1, k - 1) * choose(m - 1, k - 1)
    } else {
        2 * choose(m - 1, k - 1) * choose(m - 1, k)
    }
}

#[test]
fn every_even_row_of_the_run_count_table_matches_the_exact_swed_eisenhart_distribution() {
    for useful in (10..=60).step_by(2) {
        let m = useful / 2;
        let total: u64 = (2..=useful).map(|runs| arrangements_with_runs(m, runs)).sum();
        // The published lower limit is the largest r with P(R ≤ r) ≤ 5%; the upper mirrors it.
        let mut cumulative = 0;
        let mut lower = 0;
        for runs in 2..=useful {
            cumulative += arrangements_with_runs(m, runs);
            if 20 * cumulative <= total {
                lower = runs;
            }
        }
        let expected = limits(lower as usize, (useful + 2 - lower) as usize);
        assert_eq!(run_count_limits(useful as usize), expected, "{useful} useful observations");
    }
}

#[test]
fn the_anhoej_longest_run_limit_is_round_log2_n_plus_three() {
    // log2 10 = 3.32, log2 12 = 3.58, log2 24 = 4.58, log2 46 = 5.52, log2 100 = 6.64.
    assert_eq!(anhoej_longest_run_limit(10), 6);
    assert_eq!(anhoej_longest_run_limit(12), 7);
    assert_eq!(anhoej_longest_run_limit(16), 7);
    assert_eq!(anhoej_longest_run_limit(24), 8);
    assert_eq!(anhoej_longest_run_limit(46), 9);
    assert_eq!(anhoej_longest_run_limit(100), 10);
}

#[test]
fn the_anhoej_crossings_limit_is_the_exact_binomial_five_percent_quantile() {
    // Smallest c with P(X ≤ c) ≥ 0.05 for X ~ Binomial(n − 1, ½), from exact fractions.
    let expected = [
        (1, 0),
        (2, 0),
        (10, 2),
        (11, 2),
        (12, 3),
        (14, 4),
        (17, 5),
        (20, 6),
        (24, 8),
        (30, 10),
        (50, 19),
        (100, 41),
        (121, 51),
        (122, 51),
        (123, 52),
        (150, 64),
        (200, 88),
        (500, 231),
        (1000, 474),
    ];
    for (useful, crossings) in expected {
        assert_eq!(anhoej_min_crossings(useful), crossings, "{useful} useful observations");
    }
}

#[test]
fn no_points_need_no_crossings() {
    assert_eq!(anhoej_min_crossings(0), 0);
}

#[test]
fn the_floating_point_quantile_used_beyond_120_trials_agrees_with_the_exact_one_below() {
    use crate::analysis::tables::{exact_binomial_quantile, log_space_binomial_quantile};
    for trials in 0..=120 {
        assert_eq!(log_space_binomial_quantile(trials), exact_binomial_quantile(trials), "{trials} trials");
    }
}
