//! Publications as they happen, for subscribers. Every replica learns of every publication by
//! reading what was published lately (one statement a beat, and only while someone listens), so
//! a result published through one replica reaches the subscribers of all of them; each
//! subscriber is then told only of the versions it may see (`results::service::get`, as itself).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::shared_result::{self as result, ResultStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db::Db;
use crate::error::ServiceError;

/// How far back each read looks: a publication whose transaction committed this long after its
/// timestamp is still seen (and one seen before is not announced twice).
const LOOKBACK: chrono::Duration = chrono::Duration::seconds(120);
/// Most publications read per beat; more wait for the next.
const BATCH: u64 = 1_000;
/// Announcements a slow subscriber may fall behind by before it is told it missed some.
const BACKLOG: usize = 1_024;

/// One publication: the version and the instant it was published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Published {
    pub version_id: Uuid,
    pub published_at: DateTime<Utc>,
}

pub struct Publications {
    sender: broadcast::Sender<Published>,
    beat: Duration,
    /// Publications announced within the look-back, by version and publication key.
    announced: Mutex<HashMap<(Uuid, String), DateTime<Utc>>>,
}

impl Publications {
    pub fn new(beat: Duration) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BACKLOG);
        Arc::new(Self { sender, beat, announced: Mutex::default() })
    }

    /// Publications from now on (none from before: a client catches up with
    /// `sharedResults(filter: {publishedAfter})`).
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.sender.subscribe()
    }

    /// Reads what was published lately, every beat while anyone listens, until the process
    /// ends. `db` is the system connection: the read spans tenants, and each subscriber's own
    /// view is applied before it is told anything.
    pub async fn watch(self: Arc<Self>, db: Db) {
        // While nobody listens, `since` follows the clock; the first read after someone starts
        // listening announces nothing published before then (the look-back would otherwise
        // replay the last two minutes to a subscriber that asked for what comes next).
        let mut since = db.now();
        let mut listening = false;
        loop {
            tokio::time::sleep(self.beat).await;
            if self.sender.receiver_count() == 0 {
                since = db.now();
                listening = false;
                self.forget_before(since);
                continue;
            }
            let quiet_until = (!listening).then_some(since);
            match self.read(&db, since, quiet_until).await {
                Ok(latest) => {
                    since = latest.unwrap_or(since).max(since);
                    listening = true;
                }
                Err(err) => {
                    tracing::warn!(error.cause_chain = %crate::error::error_chain(&err), "reading publications failed; retrying")
                }
            }
        }
    }

    /// Announces what was published after `since` minus the look-back and not announced yet,
    /// except what was published by `quiet_until` (only remembered, so never announced later);
    /// returns the latest publication instant read.
    async fn read(
        &self,
        db: &Db,
        since: DateTime<Utc>,
        quiet_until: Option<DateTime<Utc>>,
    ) -> Result<Option<DateTime<Utc>>, ServiceError> {
        let from = (since - LOOKBACK).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let rows: Vec<(Uuid, String, Option<DateTime<Utc>>)> = result::Entity::find()
            .select_only()
            .column(result::Column::Id)
            .column(result::Column::PublicationKey)
            .column(result::Column::PublishedAt)
            .filter(result::Column::Status.eq(ResultStatus::Published))
            .filter(result::Column::PublicationKey.gt(from))
            .order_by_asc(result::Column::PublicationKey)
            .limit(BATCH)
            .into_tuple()
            .all(db.conn())
            .await?;
        let mut latest = None;
        let fresh: Vec<Published> = {
            let mut announced = self.announced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            rows.into_iter()
                .filter_map(|(version_id, key, published_at)| {
                    let published_at = published_at?;
                    latest = Some(published_at);
                    let new = announced.insert((version_id, key), published_at).is_none();
                    let before_listening = quiet_until.is_some_and(|until| published_at <= until);
                    (new && !before_listening).then_some(Published { version_id, published_at })
                })
                .collect()
        };
        for publication in fresh {
            // No receiver left is not an error: the next beat stops reading.
            let _ = self.sender.send(publication);
        }
        self.forget_before(since - LOOKBACK);
        Ok(latest)
    }

    fn forget_before(&self, instant: DateTime<Utc>) {
        let mut announced = self.announced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        announced.retain(|_, at| *at >= instant);
    }
}
