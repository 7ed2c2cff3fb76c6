//! The access-token deny-list. An access token names its session family (`sid`: the family of
//! the refresh token it was issued with), so ending a session (sign-out, a reused refresh
//! token, a removed membership, a password change) denies one id per family, kept only until
//! every access token of that family has expired. Checking a token costs a map lookup in this
//! process, plus one Redis round trip when Redis is configured, and no SQL.
//!
//! A family is always revoked in the database first (its refresh tokens' `revoked_at`); this
//! list only carries that news to the access tokens, quickly and to every replica. So when
//! Redis does not answer, a check falls back to the database (`is_revoked_in_database`):
//! slower while Redis is down, but never accepting a token that was revoked, and never
//! refusing every token because a cache is down. A denial that could not reach Redis is
//! kept here and retried in the background until it would have expired anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use entity::refresh_token;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::shared_state::SharedRedis;

/// How often a denial that did not reach Redis is sent again.
const RETRY_EVERY: StdDuration = StdDuration::from_secs(2);

/// What the deny-list says about a session family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Denied,
    NotDenied,
    /// Redis did not answer: ask the database.
    Unknown,
}

#[derive(Debug)]
pub struct Revocations {
    /// Families denied by this process, until when.
    local: Mutex<HashMap<Uuid, DateTime<Utc>>>,
    shared: Option<Arc<SharedRedis>>,
    /// How long an access token issued just before a denial is still accepted: its lifetime
    /// plus the clock skew `jwt::verify` tolerates.
    keep_for: Duration,
}

impl Revocations {
    pub fn new(keep_for: Duration, shared: Option<Arc<SharedRedis>>) -> Self {
        Self { local: Mutex::new(HashMap::new()), shared, keep_for }
    }

    fn key(family: Uuid) -> String {
        format!("deny:sid:{}", family.simple())
    }

    /// Refuses every access token of `families` from now on, on every replica.
    pub async fn deny(&self, families: &[Uuid], now: DateTime<Utc>) {
        if families.is_empty() {
            return;
        }
        let until = now + self.keep_for;
        {
            let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
            local.retain(|_, expires| *expires > now);
            local.extend(families.iter().map(|family| (*family, until)));
        }
        let Some(redis) = &self.shared else { return };
        let millis = u64::try_from(self.keep_for.num_milliseconds()).unwrap_or(0).max(1);
        if publish(redis, families, millis).await {
            return;
        }
        // Other replicas fall back to the database only while *they* cannot reach Redis; one
        // that can would miss this denial. So it is sent until it lands or would have expired.
        tracing::warn!(families = families.len(), "session revocation not yet shared; retrying");
        let (redis, families) = (redis.clone(), families.to_vec());
        let step = u64::try_from(RETRY_EVERY.as_millis()).unwrap_or(2_000);
        tokio::spawn(async move {
            for attempt in 1..=(millis / step).max(1) {
                tokio::time::sleep(RETRY_EVERY).await;
                let left = millis.saturating_sub(attempt * step).max(1);
                if publish(&redis, &families, left).await {
                    tracing::info!(attempt, "session revocation shared");
                    return;
                }
            }
            tracing::error!("session revocation never reached Redis; other replicas relied on expiry");
        });
    }

    /// Whether the family's access tokens are denied.
    pub async fn verdict(&self, family: Uuid, now: DateTime<Utc>) -> Verdict {
        let denied_here = {
            let local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
            local.get(&family).is_some_and(|until| *until > now)
        };
        if denied_here {
            return Verdict::Denied;
        }
        let Some(redis) = &self.shared else { return Verdict::NotDenied };
        let key = redis.key(&Self::key(family));
        let found: Option<bool> = redis
            .run(
                "deny_list",
                |mut conn| async move { redis::cmd("EXISTS").arg(key).query_async(&mut conn).await },
            )
            .await;
        match found {
            Some(true) => Verdict::Denied,
            Some(false) => Verdict::NotDenied,
            None => Verdict::Unknown,
        }
    }
}

async fn publish(redis: &SharedRedis, families: &[Uuid], millis: u64) -> bool {
    let mut pipe = redis::pipe();
    for family in families {
        pipe.cmd("SET").arg(redis.key(&Revocations::key(*family))).arg(1).arg("PX").arg(millis).ignore();
    }
    redis.run("deny_list", |mut conn| async move { pipe.query_async::<()>(&mut conn).await }).await.is_some()
}

/// The fallback when Redis cannot say: a family is revoked when its refresh tokens are.
pub async fn is_revoked_in_database(conn: &impl ConnectionTrait, family: Uuid) -> Result<bool, DbErr> {
    let revoked = refresh_token::Entity::find()
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .count(conn)
        .await?;
    Ok(revoked > 0)
}
