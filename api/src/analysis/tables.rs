//! Critical values for the run-chart rules about how often a series crosses its median.

/// The published limits on the number of runs for a given number of useful observations (points not on
/// the median): fewer runs than `lower` is too few, more than `upper` too many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunCountLimits {
    pub lower: usize,
    pub upper: usize,
}

const FIRST_TABULATED: usize = 10;

/// Perla, Provost and Murray (BMJ Qual Saf 2011; 20: 46–51), Table 1, after Swed and Eisenhart (1943): for
/// 10, 11, … 60 useful observations, (lower, upper) limits on the number of runs, each at about a 5% risk
/// of a false signal. The even rows agree with an exact computation for equal halves above and below the
/// median (see the tests); the odd rows are as published, which rounds differently in places.
const RUN_COUNT_TABLE: [(u8, u8); 51] = [
    (3, 9),
    (3, 10),
    (3, 11),
    (4, 11),
    (4, 12),
    (5, 12),
    (5, 13),
    (5, 13),
    (6, 14),
    (6, 15),
    (6, 16),
    (7, 16),
    (7, 17),
    (7, 17),
    (8, 18),
    (8, 18),
    (9, 19),
    (10, 19),
    (10, 20),
    (10, 20),
    (11, 21),
    (11, 22),
    (11, 23),
    (12, 23),
    (12, 24),
    (13, 24),
    (13, 25),
    (13, 25),
    (14, 26),
    (14, 26),
    (15, 27),
    (15, 27),
    (16, 28),
    (16, 28),
    (17, 29),
    (17, 30),
    (17, 31),
    (18, 31),
    (18, 32),
    (19, 32),
    (19, 33),
    (20, 33),
    (20, 34),
    (21, 34),
    (21, 35),
    (22, 35),
    (22, 36),
    (23, 36),
    (23, 37),
    (24, 38),
    (24, 38),
];

/// The limits for `useful_observations`, or `None` outside 10..=60: below 10 the rule has too little to go
/// on, and the published table stops at 60 (the Anhøj rules cover any length).
pub fn run_count_limits(useful_observations: usize) -> Option<RunCountLimits> {
    let row = useful_observations.checked_sub(FIRST_TABULATED)?;
    RUN_COUNT_TABLE
        .get(row)
        .map(|&(lower, upper)| RunCountLimits { lower: lower.into(), upper: upper.into() })
}

/// Anhøj: the longest run (consecutive useful points on one side of the median) expected by chance,
/// round(log2 n) + 3; a longer run signals a shift.
pub fn anhoej_longest_run_limit(useful_observations: usize) -> usize {
    if useful_observations == 0 {
        return 3;
    }
    // log2 of a whole number is never exactly halfway between two integers, so rounding is unambiguous.
    (useful_observations as f64).log2().round() as usize + 3
}

/// Anhøj: the fewest median crossings expected by chance, the lower 5% quantile of Binomial(n − 1, ½) —
/// the smallest c with P(X ≤ c) ≥ 0.05. Fewer crossings than this signal a shift.
pub fn anhoej_min_crossings(useful_observations: usize) -> usize {
    let trials = useful_observations.saturating_sub(1);
    if trials <= EXACT_TRIALS { exact_binomial_quantile(trials) } else { log_space_binomial_quantile(trials) }
}

/// Up to here every term fits in a u128: C(120, 60) · 120 < 2^127, and 20 · 2^120 < 2^128.
const EXACT_TRIALS: usize = 120;

/// In whole numbers: the smallest c with 20 · Σ_{k ≤ c} C(m, k) ≥ 2^m. Equality cannot happen (the left
/// side is a multiple of 5), so there is no rounding question at all.
pub(crate) fn exact_binomial_quantile(trials: usize) -> usize {
    let total: u128 = 1 << trials;
    let mut coefficient: u128 = 1;
    let mut cumulative: u128 = 0;
    for successes in 0..=trials {
        cumulative += coefficient;
        if 20 * cumulative >= total {
            return successes;
        }
        coefficient = coefficient * (trials - successes) as u128 / (successes as u128 + 1);
    }
    trials
}

/// Beyond 120 trials, the same sum in floating point from log-probabilities, which neither overflow nor
/// underflow to a wrong answer: 2^-m vanishes, but the terms that matter near the 5% point do not.
pub(crate) fn log_space_binomial_quantile(trials: usize) -> usize {
    let m = trials as f64;
    let mut log_probability = -m * std::f64::consts::LN_2;
    let mut cumulative = 0.0;
    for successes in 0..=trials {
        cumulative += log_probability.exp();
        if cumulative >= 0.05 {
            return successes;
        }
        let k = successes as f64;
        log_probability += ((m - k) / (k + 1.0)).ln();
    }
    trials
}
