//! The leaky bucket, as GCRA (the generic cell rate algorithm) computes it: one number per
//! bucket, its theoretical arrival time (TAT), the instant at which the bucket would be full
//! again if nothing more were spent. Spending `n` points pushes the TAT `n` emission intervals
//! later; a charge is refused when that would put the TAT further ahead of now than the whole
//! bucket takes to refill. One number, so one atomic read-modify-write in Redis (the Lua script
//! in `shared.rs` is this file's `charge` and `refund`, line for line).
//!
//! Times are integer microseconds: exact in Lua's doubles (below 2^53 until the year 2255),
//! and fine enough that a rate of a million points a second still loses nothing.

const MICROS: u128 = 1_000_000;

/// A budget: `burst` points at once, refilled at `per_sec` points a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub burst: u64,
    pub per_sec: u64,
}

impl Policy {
    /// How long `points` take to refill, rounded up.
    pub fn micros_for(&self, points: u64) -> i64 {
        let per_sec = u128::from(self.per_sec.max(1));
        let micros = (u128::from(points) * MICROS).div_ceil(per_sec);
        i64::try_from(micros).unwrap_or(i64::MAX / 4)
    }

    /// How far ahead of now the TAT may lie: the time an empty bucket takes to fill.
    pub fn tolerance(&self) -> i64 {
        self.micros_for(self.burst)
    }

    /// Whole points that refill in `micros`.
    fn points_in(&self, micros: i64) -> u64 {
        let micros = u128::try_from(micros.max(0)).unwrap_or(0);
        u64::try_from(micros * u128::from(self.per_sec) / MICROS).unwrap_or(u64::MAX)
    }

    /// Seconds an empty bucket takes to fill: the window of `RateLimit-Policy`.
    pub fn window_secs(&self) -> u64 {
        self.burst.div_ceil(self.per_sec.max(1)).max(1)
    }
}

/// A bucket after a charge: whether it was allowed, and its TAT (unchanged when refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub allowed: bool,
    pub tat: i64,
}

/// Spends `increment` microseconds' worth of points from a bucket whose TAT is `tat` (`None`:
/// never used or long full), if the bucket holds that much.
pub fn charge(tat: Option<i64>, now: i64, increment: i64, tolerance: i64) -> Step {
    let base = tat.unwrap_or(now).max(now);
    let next = base.saturating_add(increment);
    if next - now <= tolerance {
        Step { allowed: true, tat: next }
    } else {
        Step { allowed: false, tat: base }
    }
}

/// Gives back `decrement` microseconds' worth of points; a bucket is never fuller than full.
pub fn refund(tat: Option<i64>, now: i64, decrement: i64) -> i64 {
    tat.unwrap_or(now).max(now).saturating_sub(decrement).max(now)
}

/// What a client is told about its bucket after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Points left now.
    pub remaining: u64,
    /// Seconds until the bucket is full again.
    pub full_in_secs: u64,
    /// When refused: seconds until the refused charge would fit.
    pub retry_after_secs: Option<u64>,
}

impl Decision {
    /// `debt`: how far the bucket's TAT lies ahead of now, after the charge (or before it,
    /// when refused); `increment`: what the charge asked for.
    pub fn new(policy: &Policy, allowed: bool, debt: i64, increment: i64) -> Self {
        let debt = debt.max(0);
        let tolerance = policy.tolerance();
        let secs = |micros: i64| u64::try_from(micros.max(0)).unwrap_or(0).div_ceil(1_000_000);
        Self {
            allowed,
            remaining: policy.points_in(tolerance - debt).min(policy.burst),
            full_in_secs: secs(debt),
            retry_after_secs: (!allowed).then(|| secs(debt + increment - tolerance).max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy { burst: 1_000, per_sec: 100 };

    fn spend(tat: Option<i64>, now: i64, points: u64) -> (Step, Decision) {
        let increment = POLICY.micros_for(points);
        let step = charge(tat, now, increment, POLICY.tolerance());
        let debt = step.tat - now;
        (step, Decision::new(&POLICY, step.allowed, debt, increment))
    }

    #[test]
    fn a_full_bucket_takes_a_burst_and_refuses_the_point_after_it() {
        let (step, decision) = spend(None, 0, 1_000);
        assert!(step.allowed);
        assert_eq!((decision.remaining, decision.full_in_secs), (0, 10));
        let (refused, decision) = spend(Some(step.tat), 0, 1);
        assert!(!refused.allowed);
        assert_eq!(refused.tat, step.tat, "a refusal spends nothing");
        assert_eq!(decision.retry_after_secs, Some(1));
    }

    #[test]
    fn the_bucket_refills_at_its_rate_and_never_beyond_full() {
        let (step, _) = spend(None, 0, 1_000);
        // Two and a half seconds later, 250 points are back.
        let (_, decision) = spend(Some(step.tat), 2_500_000, 0);
        assert_eq!(decision.remaining, 250);
        let (too_much, decision) = spend(Some(step.tat), 2_500_000, 300);
        assert!(!too_much.allowed);
        assert_eq!(decision.retry_after_secs, Some(1), "50 points more take half a second");
        // A day later the bucket is full, not fuller.
        let (_, decision) = spend(Some(step.tat), 86_400_000_000, 0);
        assert_eq!(decision.remaining, 1_000);
    }

    #[test]
    fn a_refund_gives_points_back_but_never_past_full() {
        let (step, _) = spend(None, 0, 600);
        let tat = refund(Some(step.tat), 0, POLICY.micros_for(500));
        assert_eq!(Decision::new(&POLICY, true, tat, 0).remaining, 900);
        assert_eq!(refund(Some(tat), 0, POLICY.micros_for(5_000)), 0);
    }

    #[test]
    fn the_policy_window_is_the_time_an_empty_bucket_takes_to_fill() {
        assert_eq!(POLICY.window_secs(), 10);
        assert_eq!(Policy { burst: 100_000, per_sec: 2_000 }.window_secs(), 50);
        assert_eq!(Policy { burst: 5, per_sec: 1_000 }.window_secs(), 1);
    }
}
