//! Data flow, measured from what arrives: per measure and site, the periods expected since the
//! measure started against those recorded (completeness), the median days from a period's end
//! to its first recording (timeliness), and the share of observations that arrived from systems
//! through integration tokens (integration). Rolled up per project and per programme by pooling
//! the same counts. "First recorded" survives corrections: a re-send changes the values and
//! `recorded_at`, never `first_recorded_at` or how the row first arrived.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::measure;
use entity::observation::{self, Arrival};
use entity::project::{self};
use entity::project_site::{self, SiteStatus};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::periods;
use crate::actor::Actor;
use crate::analysis::period_index;
use crate::db::Db;
use crate::error::ServiceError;
use crate::paging;
use crate::projects::service as projects;
use crate::scope::{Batched, Row, by_rows};

/// Counts behind the figures, so that roll-ups pool them rather than average averages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flow {
    pub expected_periods: u64,
    /// Expected periods that have an observation.
    pub recorded_periods: u64,
    /// Days from each recorded complete period's end to its first recording (0 if recorded
    /// before the period ended).
    pub lags_days: Vec<i64>,
    pub arrivals: HashMap<Arrival, u64>,
}

impl Flow {
    pub fn completeness(&self) -> Option<f64> {
        (self.expected_periods > 0).then(|| self.recorded_periods as f64 / self.expected_periods as f64)
    }

    pub fn median_days_to_first_record(&self) -> Option<f64> {
        let mut lags = self.lags_days.clone();
        if lags.is_empty() {
            return None;
        }
        lags.sort_unstable();
        let mid = lags.len() / 2;
        Some(if lags.len() % 2 == 1 { lags[mid] as f64 } else { (lags[mid - 1] + lags[mid]) as f64 / 2.0 })
    }

    pub fn observations(&self) -> u64 {
        self.arrivals.values().sum()
    }

    pub fn integration_share(&self) -> Option<f64> {
        let total = self.observations();
        (total > 0).then(|| {
            self.arrivals.get(&Arrival::IntegrationToken).copied().unwrap_or_default() as f64 / total as f64
        })
    }

    pub fn add(&mut self, other: &Flow) {
        self.expected_periods += other.expected_periods;
        self.recorded_periods += other.recorded_periods;
        self.lags_days.extend_from_slice(&other.lags_days);
        for (arrival, n) in &other.arrivals {
            *self.arrivals.entry(*arrival).or_default() += n;
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SiteFlow {
    pub site_id: Uuid,
    pub flow: Flow,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MeasureFlow {
    pub measure_id: Uuid,
    pub name: String,
    pub flow: Flow,
    pub sites: Vec<SiteFlow>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProjectFlow {
    pub flow: Flow,
    pub measures: Vec<MeasureFlow>,
}

/// The observation columns the figures need.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrived {
    pub measure_id: Uuid,
    pub site_id: Uuid,
    pub period_start: NaiveDate,
    pub first_recorded_on: NaiveDate,
    pub arrival: Arrival,
}

/// One measure's flow at `sites` on `today`. It starts at the period of its creation, or of its
/// earliest observation if that is earlier (history loaded afterwards); the last period expected
/// is the last one that has ended.
pub fn of_measure(
    measure: &measure::Model,
    sites: &[Uuid],
    rows: &[&Arrived],
    today: NaiveDate,
) -> MeasureFlow {
    let frequency = super::periods::analysis_frequency(measure.frequency);
    let created = period_index(measure.created_at.date_naive(), frequency);
    let first = rows
        .iter()
        .map(|r| period_index(r.period_start, frequency))
        .min()
        .map_or(created, |f| f.min(created));
    let last = period_index(today, frequency) - 1;
    let expected = u64::try_from(last - first + 1).unwrap_or(0);
    let mut all = Flow::default();
    let mut by_site = Vec::with_capacity(sites.len());
    for site in sites {
        let mut flow = Flow { expected_periods: expected, ..Flow::default() };
        for row in rows.iter().filter(|r| r.site_id == *site) {
            *flow.arrivals.entry(row.arrival).or_default() += 1;
            let index = period_index(row.period_start, frequency);
            if (first..=last).contains(&index) {
                flow.recorded_periods += 1;
                if let Some(end) = periods::next(measure.frequency, row.period_start) {
                    flow.lags_days.push((row.first_recorded_on - end).num_days().max(0));
                }
            }
        }
        all.add(&flow);
        by_site.push(SiteFlow { site_id: *site, flow });
    }
    MeasureFlow { measure_id: measure.id, name: measure.name.clone(), flow: all, sites: by_site }
}

/// The flow of each of these visible projects, in three statements however many.
pub async fn flows(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<HashMap<Uuid, ProjectFlow>, ServiceError> {
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let measures = paging::among(super::service::visible_to(actor), measure::Column::ProjectId, &ids)
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?;
    let sites = paging::among(projects::visible_sites(actor), project_site::Column::ProjectId, &ids)
        .filter(project_site::Column::Status.eq(SiteStatus::Accepted))
        .order_by_asc(project_site::Column::Id)
        .all(db.conn())
        .await?;
    let measure_ids: Vec<Uuid> = measures.iter().map(|m| m.id).collect();
    let rows: Vec<Arrived> = paging::among(
        super::service::current_observations(actor),
        observation::Column::MeasureId,
        &measure_ids,
    )
    .all(db.conn())
    .await?
    .into_iter()
    .map(|o| Arrived {
        measure_id: o.measure_id,
        site_id: o.site_id,
        period_start: o.period_start,
        first_recorded_on: o.first_recorded_at.unwrap_or(o.recorded_at).date_naive(),
        arrival: o.arrival,
    })
    .collect();
    let today = db.today();
    Ok(projects
        .iter()
        .map(|project| {
            let site_ids: Vec<Uuid> =
                sites.iter().filter(|s| s.project_id == project.id).map(|s| s.id).collect();
            let mut out = ProjectFlow::default();
            for measure in measures.iter().filter(|m| m.project_id == project.id) {
                let own: Vec<&Arrived> = rows.iter().filter(|r| r.measure_id == measure.id).collect();
                let flow = of_measure(measure, &site_ids, &own, today);
                out.flow.add(&flow.flow);
                out.measures.push(flow);
            }
            (project.id, out)
        })
        .collect())
}

/// `flows` for the GraphQL layer's batches.
pub struct DataFlows;

impl Batched for DataFlows {
    type Key = Row<project::Model>;
    type Value = std::sync::Arc<ProjectFlow>;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<project::Model>],
    ) -> Result<HashMap<Row<project::Model>, std::sync::Arc<ProjectFlow>>, ServiceError> {
        let found = by_rows(keys, async |projects| flows(db, actor, &projects).await).await?;
        Ok(found.into_iter().map(|(k, v)| (k, std::sync::Arc::new(v))).collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use entity::measure::MeasureFrequency;

    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn monthly(created: NaiveDate) -> measure::Model {
        let at = Utc.from_utc_datetime(&created.and_hms_opt(9, 0, 0).unwrap());
        measure::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            name: "m".into(),
            code: None,
            operational_definition: "d".into(),
            kind: measure::MeasureKind::Process,
            unit: measure::MeasureUnit::Count,
            direction: measure::MeasureDirection::HigherIsBetter,
            frequency: MeasureFrequency::Monthly,
            baseline: None,
            target: None,
            baseline_until: None,
            rebase_periods: "[]".into(),
            collection_method: None,
            minutes_per_site_per_period: None,
            adopted_from_measure_id: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn completeness_timeliness_and_integration_on_a_known_history() {
        // Created mid-January; on 15 April, January to March have ended: three periods a site.
        let measure = monthly(day(2026, 1, 15));
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let row = |site, period, first, arrival| Arrived {
            measure_id: measure.id,
            site_id: site,
            period_start: period,
            first_recorded_on: first,
            arrival,
        };
        let rows = [
            row(a, day(2026, 1, 1), day(2026, 2, 3), Arrival::IntegrationToken),
            row(a, day(2026, 2, 1), day(2026, 3, 2), Arrival::IntegrationToken),
            row(a, day(2026, 3, 1), day(2026, 4, 1), Arrival::IntegrationToken),
            row(b, day(2026, 1, 1), day(2026, 3, 12), Arrival::SingleEntry),
            // The current month, not yet ended: counted as arrived, not as an expected period.
            row(b, day(2026, 4, 1), day(2026, 4, 10), Arrival::SingleEntry),
        ];
        let refs: Vec<&Arrived> = rows.iter().collect();
        let flow = of_measure(&measure, &[a, b], &refs, day(2026, 4, 15));
        assert_eq!((flow.flow.expected_periods, flow.flow.recorded_periods), (6, 4));
        assert_eq!(flow.flow.completeness(), Some(4.0 / 6.0));
        // Lags 2, 1, 0 (site a) and 39 (site b): median (1 + 2) / 2.
        assert_eq!(flow.flow.median_days_to_first_record(), Some(1.5));
        assert_eq!(flow.flow.integration_share(), Some(3.0 / 5.0));
        assert_eq!(flow.sites[1].flow.completeness(), Some(1.0 / 3.0));
        assert_eq!(flow.sites[0].flow.median_days_to_first_record(), Some(1.0));
    }

    #[test]
    fn history_loaded_later_moves_the_start_back_and_nothing_is_expected_before_a_period_ends() {
        let measure = monthly(day(2026, 3, 20));
        let site = Uuid::now_v7();
        let old = Arrived {
            measure_id: measure.id,
            site_id: site,
            period_start: day(2025, 12, 1),
            first_recorded_on: day(2026, 3, 21),
            arrival: Arrival::CsvUpload,
        };
        let flow = of_measure(&measure, &[site], &[&old], day(2026, 4, 2));
        // December to March.
        assert_eq!(flow.flow.expected_periods, 4);
        let fresh = of_measure(&monthly(day(2026, 4, 1)), &[site], &[], day(2026, 4, 2));
        assert_eq!((fresh.flow.expected_periods, fresh.flow.completeness()), (0, None));
    }
}
