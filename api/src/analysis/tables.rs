//! Critical values for the run-chart rules about how often a series crosses its median.

/// Limits on the number of runs for a given number of useful observations (points not on the median):
/// fewer runs than `lower` is too few, more than `upper` too many.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunCountLimits {
    pub lower: usize,
    pub upper: usize,
}

const FIRST_TABULATED: usize = 10;
const LAST_TABULATED: usize = 60;

/// The limits for `useful_observations`, or `None` outside 10..=60: below 10 the rule has too little to go
/// on, and Perla, Provost and Murray's table (BMJ Qual Saf 2011; 20: 46–51, Table 1) stops at 60 (the
/// Anhøj rules cover any length).
///
/// Computed, not copied: the exact distribution of the number of runs R among n₁ points above and n₂
/// below the median, all orders equally likely (Swed and Eisenhart, 1943), with n₁ = ⌊n/2⌋ and
/// n₂ = ⌈n/2⌉. `lower` is the largest r with P(R ≤ r) ≤ 5 %, `upper` the smallest r with
/// P(R ≥ r) ≤ 5 %. That convention gives every even row of the published table; the published odd rows
/// differ from it in 13 places, where the table's rounding moved a limit by one run.
pub fn run_count_limits(useful_observations: usize) -> Option<RunCountLimits> {
    if !(FIRST_TABULATED..=LAST_TABULATED).contains(&useful_observations) {
        return None;
    }
    let above = useful_observations / 2;
    let below = useful_observations - above;
    let ways: Vec<u128> =
        (0..=useful_observations).map(|runs| orders_with_runs(above, below, runs)).collect();
    let total: u128 = ways.iter().sum();
    // P ≤ 5 % exactly, in whole numbers: 20 · ways ≤ total.
    let within_five_percent = |ways: u128| 20 * ways <= total;
    let mut lower = 0;
    let mut cumulative = 0;
    for (runs, count) in ways.iter().enumerate() {
        cumulative += count;
        if within_five_percent(cumulative) {
            lower = runs;
        }
    }
    let mut upper = useful_observations + 1;
    let mut cumulative = 0;
    for (runs, count) in ways.iter().enumerate().rev() {
        cumulative += count;
        if within_five_percent(cumulative) {
            upper = runs;
        }
    }
    Some(RunCountLimits { lower, upper })
}

/// How many orders of `above` points above and `below` points below the median make exactly `runs`
/// runs: 2k runs alternate k blocks of each side (either side first); 2k + 1 runs have k + 1 blocks of
/// one side and k of the other. Splitting n points into j non-empty blocks can be done C(n − 1, j − 1)
/// ways.
fn orders_with_runs(above: usize, below: usize, runs: usize) -> u128 {
    let blocks = |points: usize, count: usize| -> u128 {
        match (points, count) {
            (0, _) | (_, 0) => u128::from(points == count),
            _ => choose(points - 1, count - 1),
        }
    };
    let k = runs / 2;
    if runs < 2 {
        0
    } else if runs.is_multiple_of(2) {
        2 * blocks(above, k) * blocks(below, k)
    } else {
        blocks(above, k + 1) * blocks(below, k) + blocks(above, k) * blocks(below, k + 1)
    }
}

/// C(n, k) in whole numbers; every value needed here (n ≤ 59) fits many times over in a u128.
fn choose(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    (0..k.min(n - k)).fold(1u128, |acc, i| acc * (n - i) as u128 / (i as u128 + 1))
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
