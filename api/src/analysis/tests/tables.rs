use crate::analysis::{RunCountLimits, anhoej_longest_run_limit, anhoej_min_crossings, run_count_limits};

fn limits(lower: usize, upper: usize) -> Option<RunCountLimits> {
    Some(RunCountLimits { lower, upper })
}

/// Every row from 10 to 60 useful observations: (n, lower, upper) from the exact distribution of runs
/// with ⌊n/2⌋ points above the median and ⌈n/2⌉ below, summed in exact fractions (Python's
/// `fractions`): lower is the largest r with P(R ≤ r) ≤ 1/20, upper the smallest r with P(R ≥ r) ≤ 1/20.
#[test]
fn every_row_of_the_run_count_table_is_the_exact_swed_eisenhart_limit() {
    let expected = [
        (10, 3, 9),
        (11, 3, 10),
        (12, 3, 11),
        (13, 4, 11),
        (14, 4, 12),
        (15, 4, 13),
        (16, 5, 13),
        (17, 5, 14),
        (18, 6, 14),
        (19, 6, 15),
        (20, 6, 16),
        (21, 7, 16),
        (22, 7, 17),
        (23, 8, 17),
        (24, 8, 18),
        (25, 9, 18),
        (26, 9, 19),
        (27, 9, 20),
        (28, 10, 20),
        (29, 10, 21),
        (30, 11, 21),
        (31, 11, 22),
        (32, 11, 23),
        (33, 12, 23),
        (34, 12, 24),
        (35, 13, 24),
        (36, 13, 25),
        (37, 14, 25),
        (38, 14, 26),
        (39, 14, 27),
        (40, 15, 27),
        (41, 15, 28),
        (42, 16, 28),
        (43, 16, 29),
        (44, 17, 29),
        (45, 17, 30),
        (46, 17, 31),
        (47, 18, 31),
        (48, 18, 32),
        (49, 19, 32),
        (50, 19, 33),
        (51, 20, 33),
        (52, 20, 34),
        (53, 21, 34),
        (54, 21, 35),
        (55, 21, 36),
        (56, 22, 36),
        (57, 22, 37),
        (58, 23, 37),
        (59, 23, 38),
        (60, 24, 38),
    ];
    for (useful, lower, upper) in expected {
        assert_eq!(run_count_limits(useful), limits(lower, upper), "{useful} useful observations");
    }
}

/// Perla, Provost and Murray (2011), Table 1, the even rows 10, 12, … 60 as published: the computation
/// gives each of them. (Thirteen odd rows as published differ by one run from it: 15, 17, 23, 25, 27, 29,
/// 37, 39, 41, 43, 55, 57 and 59.)
#[test]
fn the_computed_table_gives_every_published_even_row() {
    let published = [
        (3, 9),
        (3, 11),
        (4, 12),
        (5, 13),
        (6, 14),
        (6, 16),
        (7, 17),
        (8, 18),
        (9, 19),
        (10, 20),
        (11, 21),
        (11, 23),
        (12, 24),
        (13, 25),
        (14, 26),
        (15, 27),
        (16, 28),
        (17, 29),
        (17, 31),
        (18, 32),
        (19, 33),
        (20, 34),
        (21, 35),
        (22, 36),
        (23, 37),
        (24, 38),
    ];
    for (row, (lower, upper)) in published.into_iter().enumerate() {
        let useful = 10 + 2 * row;
        assert_eq!(run_count_limits(useful), limits(lower, upper), "{useful} useful observations");
    }
}

#[test]
fn the_run_count_rule_does_not_apply_below_ten_or_beyond_the_table() {
    assert_eq!(run_count_limits(0), None);
    assert_eq!(run_count_limits(9), None);
    assert_eq!(run_count_limits(61), None);
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
