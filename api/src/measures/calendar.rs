//! Which periods have ended. A period has ended once its last day is over at the site, in its
//! host institution's time zone; until then its rows are incomplete: stored and listed, flagged,
//! and left out of analyses (and so of verdicts) unless a caller asks for them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::measure::MeasureFrequency;
use entity::{institution, observation, project_site};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::ServiceError;
use crate::institutions::time_zone;

/// "Today" at each site, as of one instant.
#[derive(Clone, Debug)]
pub struct Calendar {
    now: DateTime<Utc>,
    zone_of: HashMap<Uuid, Tz>,
}

impl Calendar {
    /// Sites' zones as already known (a site missing from the map is in the default zone).
    pub fn new(now: DateTime<Utc>, zone_of: HashMap<Uuid, Tz>) -> Self {
        Self { now, zone_of }
    }

    /// The zones of these sites' hosts, read in one statement on `conn`.
    pub async fn of_sites(
        conn: &impl ConnectionTrait,
        now: DateTime<Utc>,
        site_ids: &[Uuid],
    ) -> Result<Self, ServiceError> {
        Ok(Self::new(now, zones(conn, site_ids).await?))
    }

    /// The zones of the sites these rows were recorded at.
    pub async fn of_rows<'a>(
        conn: &impl ConnectionTrait,
        now: DateTime<Utc>,
        rows: impl IntoIterator<Item = &'a observation::Model>,
    ) -> Result<Self, ServiceError> {
        let sites = crate::paging::distinct(rows.into_iter().map(|r| r.site_id));
        Self::of_sites(conn, now, &sites).await
    }

    /// The calendar day it is at the site.
    pub fn today_at(&self, site_id: Uuid) -> NaiveDate {
        time_zone::today_in(self.zone_of.get(&site_id).copied().unwrap_or(time_zone::DEFAULT), self.now)
    }

    /// The calendar day it is where no site is known: in the default zone.
    pub fn default_today(&self) -> NaiveDate {
        time_zone::today_in(time_zone::DEFAULT, self.now)
    }

    /// Whether the period starting on `start` is over at the site.
    pub fn has_ended(&self, frequency: MeasureFrequency, site_id: Uuid, start: NaiveDate) -> bool {
        super::periods::has_ended(frequency, start, self.today_at(site_id))
    }

    /// Whether a stored row's period is over at its site.
    pub fn row_has_ended(&self, frequency: MeasureFrequency, row: &observation::Model) -> bool {
        self.has_ended(frequency, row.site_id, row.period_start)
    }
}

/// The time zone of each site's host, in one statement.
async fn zones(conn: &impl ConnectionTrait, site_ids: &[Uuid]) -> Result<HashMap<Uuid, Tz>, ServiceError> {
    if site_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let host = project_site::Entity::belongs_to(institution::Entity)
        .from(project_site::Column::InstitutionId)
        .to(institution::Column::Id)
        .into();
    let zones: Vec<(Uuid, String)> = project_site::Entity::find()
        .select_only()
        .column(project_site::Column::Id)
        .column(institution::Column::TimeZone)
        .join(JoinType::InnerJoin, host)
        .filter(project_site::Column::Id.is_in(site_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(zones.into_iter().map(|(site, zone)| (site, time_zone::of(&zone))).collect())
}

/// Sites' time zones for the GraphQL layer's batches: one statement per request.
pub struct SiteZones;

impl crate::scope::Batched for SiteZones {
    type Key = Uuid;
    type Value = Tz;

    async fn run(
        db: &crate::db::Db,
        _actor: &crate::actor::Actor,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Tz>, ServiceError> {
        zones(db.conn(), keys).await
    }
}
