//! Cost-based rate limits: every API token, and every user within each institution, has a
//! budget of cost points (the numbers the complexity limit counts) that refills over time, as
//! a leaky bucket (`gcra`). An operation is charged its cost before it runs.
//!
//! Budgets live in this process, or in Redis when one is configured so that every replica
//! spends from the same budget. When Redis does not answer, this replica's own budgets decide
//! (fail-soft): refusing everything would turn a cache outage into an API outage, and letting
//! everything through would remove the protection exactly when a replica is under strain;
//! per-replica budgets keep each client to at most N times its budget across N replicas.
//!
//! Anonymous requests have no budget: they can only sign in, refresh, sign out, accept an
//! invitation or introspect. Sign-in is bounded by the per-email lockout in the database,
//! every request by admission control and the complexity limit; a budget per IP address
//! would make every partner behind one NHS trust's NAT (or our own load balancer) share one.

pub mod gcra;
mod shared;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use uuid::Uuid;

pub use gcra::{Decision, Policy};

use crate::actor::{Actor, Principal};
use crate::clock::Clock;
use crate::shared_state::SharedRedis;

/// Whose budget an operation is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    ApiToken(Uuid),
    /// A person acting within an institution (`None`: a platform admin acting in none): each
    /// institution a person belongs to gets its own budget, as its scripts would.
    Member {
        user_id: Uuid,
        institution_id: Option<Uuid>,
    },
}

impl Bucket {
    pub fn of(actor: &Actor) -> Self {
        match actor.principal {
            Principal::ApiToken { token_id, .. } => Self::ApiToken(token_id),
            Principal::User { user_id, .. } => {
                Self::Member { user_id, institution_id: actor.institution.map(|i| i.id) }
            }
        }
    }

    /// The key under the deployment's prefix: ids only, nothing secret.
    fn key(&self) -> String {
        match self {
            Self::ApiToken(id) => format!("rl:token:{}", id.simple()),
            Self::Member { user_id, institution_id: Some(i) } => {
                format!("rl:user:{}:{}", user_id.simple(), i.simple())
            }
            Self::Member { user_id, institution_id: None } => format!("rl:user:{}:-", user_id.simple()),
        }
    }
}

/// Buckets held by this process: the only ones without Redis, the fallback with it.
#[derive(Debug, Default)]
struct LocalBuckets {
    tats: Mutex<HashMap<Bucket, i64>>,
}

/// Past this many buckets, full ones are forgotten (a full bucket and no bucket are the same).
const LOCAL_BUCKETS_BEFORE_SWEEP: usize = 10_000;

impl LocalBuckets {
    fn apply(&self, bucket: Bucket, now: i64, increment: i64, tolerance: i64) -> (bool, i64) {
        let mut tats = self.tats.lock().unwrap_or_else(PoisonError::into_inner);
        if tats.len() >= LOCAL_BUCKETS_BEFORE_SWEEP {
            tats.retain(|_, tat| *tat > now);
        }
        let tat = tats.get(&bucket).copied();
        let (allowed, tat) = if increment >= 0 {
            let step = gcra::charge(tat, now, increment, tolerance);
            (step.allowed, step.tat)
        } else {
            (true, gcra::refund(tat, now, -increment))
        };
        tats.insert(bucket, tat);
        (allowed, tat - now)
    }
}

/// The rate limiter every request goes through.
#[derive(Debug)]
pub struct RateLimits {
    /// `None`: limits are off.
    policy: Option<Policy>,
    local: LocalBuckets,
    shared: Option<Arc<SharedRedis>>,
    clock: Clock,
}

impl RateLimits {
    pub fn new(policy: Option<Policy>, shared: Option<Arc<SharedRedis>>, clock: Clock) -> Self {
        Self { policy, local: LocalBuckets::default(), shared, clock }
    }

    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// Charges `points` to `bucket` if it holds them; `None` when limits are off.
    pub async fn charge(&self, bucket: Bucket, points: u64) -> Option<Decision> {
        let policy = self.policy?;
        let increment = policy.micros_for(points);
        Some(self.apply(&policy, bucket, increment).await)
    }

    /// Gives `points` back to `bucket` (for work that was charged but never done).
    pub async fn refund(&self, bucket: Bucket, points: u64) -> Option<Decision> {
        let policy = self.policy?;
        Some(self.apply(&policy, bucket, -policy.micros_for(points)).await)
    }

    async fn apply(&self, policy: &Policy, bucket: Bucket, increment: i64) -> Decision {
        let now = self.clock.now().timestamp_micros();
        let tolerance = policy.tolerance();
        let shared = match &self.shared {
            Some(redis) => shared::apply(redis, &bucket.key(), now, increment, tolerance).await,
            None => None,
        };
        let (allowed, debt) = shared.unwrap_or_else(|| self.local.apply(bucket, now, increment, tolerance));
        Decision::new(policy, allowed, debt, increment.max(0))
    }
}
