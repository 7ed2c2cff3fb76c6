//! Monitoring burden, anticipated before funding: each measure's minutes per site per period,
//! times the sites taking part, times periods a week, in hours a week, split by how the data is
//! collected, beside the team's committed hours and the programme's cap on their share. A
//! measure with no estimate is listed as a gap, never counted as zero, so an unfinished forecast
//! cannot pass for a small one.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::measure::{self, CollectionMethod, MeasureFrequency};
use entity::project::{self};
use entity::project_site::{self, SiteStatus};
use entity::{programme, team_member};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;
use crate::error::{FieldError, ServiceError, UserErrorCode};
use crate::paging;
use crate::programmes::criteria::{DEFAULT_MAX_MONITORING_SHARE, FundingCriteria, SpringboardRule};
use crate::projects::{service as projects, team};
use crate::scope::{Batched, Row, by_rows};

/// Periods a week: 1 weekly, 12/52 monthly, 4/52 quarterly.
pub fn periods_per_week(frequency: MeasureFrequency) -> f64 {
    match frequency {
        MeasureFrequency::Weekly => 1.0,
        MeasureFrequency::Monthly => 12.0 / 52.0,
        MeasureFrequency::Quarterly => 4.0 / 52.0,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MeasureBurden {
    pub measure_id: Uuid,
    pub name: String,
    pub collection_method: Option<CollectionMethod>,
    /// `None` without an estimate.
    pub hours_per_week: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Burden {
    /// Sites that accepted or are invited (not those that declined).
    pub sites: usize,
    /// Measures collected by hand in whole or part (MANUAL_AUDIT, MIXED, or not stated).
    pub manual_hours_per_week: f64,
    pub extracted_hours_per_week: f64,
    pub committed_hours_per_week: f64,
    pub max_share: f64,
    pub measures: Vec<MeasureBurden>,
}

impl Burden {
    pub fn total_hours_per_week(&self) -> f64 {
        self.manual_hours_per_week + self.extracted_hours_per_week
    }

    pub fn cap_hours_per_week(&self) -> f64 {
        self.committed_hours_per_week * self.max_share
    }

    /// Above the cap by more than rounding.
    pub fn above_cap(&self) -> bool {
        self.total_hours_per_week() > self.cap_hours_per_week() + 1e-9
    }

    pub fn without_estimate(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.measures.iter().filter(|m| m.hours_per_week.is_none()).map(|m| m.measure_id)
    }

    /// The readiness evidence this forecast lacks: one `ESTIMATE_MISSING` per measure without
    /// an estimate, placed at the measure.
    pub fn gaps(&self) -> Vec<FieldError> {
        self.measures
            .iter()
            .filter(|m| m.hours_per_week.is_none())
            .map(|m| FieldError {
                field: vec![
                    "measures".into(),
                    crate::ids::global_id(crate::ids::NodeKind::Measure, m.measure_id),
                    "minutesPerSitePerPeriod".into(),
                ],
                code: UserErrorCode::EstimateMissing,
                message: format!(
                    "\"{}\" has no estimate of its collection time: the monitoring burden leaves it out",
                    m.name
                ),
            })
            .collect()
    }
}

/// The forecast for one project's measures at `sites` sites.
pub fn forecast(
    measures: &[&measure::Model],
    sites: usize,
    committed_hours_per_week: f64,
    max_share: f64,
) -> Burden {
    let mut burden = Burden {
        sites,
        manual_hours_per_week: 0.0,
        extracted_hours_per_week: 0.0,
        committed_hours_per_week,
        max_share,
        measures: Vec::with_capacity(measures.len()),
    };
    for measure in measures {
        let hours = measure
            .minutes_per_site_per_period
            .map(|minutes| minutes * sites as f64 * periods_per_week(measure.frequency) / 60.0);
        match (hours, measure.collection_method) {
            (Some(h), Some(CollectionMethod::ExtractedFromSystem)) => burden.extracted_hours_per_week += h,
            (Some(h), _) => burden.manual_hours_per_week += h,
            (None, _) => {}
        }
        burden.measures.push(MeasureBurden {
            measure_id: measure.id,
            name: measure.name.clone(),
            collection_method: measure.collection_method,
            hours_per_week: hours,
        });
    }
    burden
}

/// Sites counted in a forecast: those taking part or still invited.
pub fn counts(site: &project_site::Model) -> bool {
    site.status != SiteStatus::Declined
}

/// The forecast for each of these visible projects, in four statements however many.
pub async fn burdens(
    db: &Db,
    actor: &Actor,
    projects: &[project::Model],
) -> Result<HashMap<Uuid, Burden>, ServiceError> {
    let ids: Vec<Uuid> = projects.iter().map(|p| p.id).collect();
    let programme_ids: Vec<Uuid> = projects.iter().filter_map(|p| p.programme_id).collect();
    let programmes =
        programme::Entity::find().filter(programme::Column::Id.is_in(programme_ids)).all(db.conn()).await?;
    let measures = paging::among(super::service::visible_to(actor), measure::Column::ProjectId, &ids)
        .order_by_asc(measure::Column::Id)
        .all(db.conn())
        .await?;
    let sites = paging::among(projects::visible_sites(actor), project_site::Column::ProjectId, &ids)
        .all(db.conn())
        .await?;
    let team = paging::among(projects::visible_team(actor), team_member::Column::ProjectId, &ids)
        .all(db.conn())
        .await?;
    let today = db.today();
    Ok(projects
        .iter()
        .map(|project| {
            let criteria = project
                .programme_id
                .and_then(|id| programmes.iter().find(|p| p.id == id))
                .map(FundingCriteria::from_model);
            let burden = of_project(project.id, criteria.as_ref(), &measures, &sites, &team, today);
            (project.id, burden)
        })
        .collect())
}

/// One project's forecast from rows loaded for many.
pub fn of_project(
    project_id: Uuid,
    criteria: Option<&FundingCriteria>,
    measures: &[measure::Model],
    sites: &[project_site::Model],
    team: &[team_member::Model],
    today: NaiveDate,
) -> Burden {
    let default_rule = SpringboardRule::default();
    let rule = criteria.map_or(&default_rule, |c| &c.rule);
    let members: Vec<team_member::Model> =
        team.iter().filter(|m| m.project_id == project_id).cloned().collect();
    let committed = team::capacity(rule, &members, today).total_hours;
    let own: Vec<&measure::Model> = measures.iter().filter(|m| m.project_id == project_id).collect();
    let site_count = sites.iter().filter(|s| s.project_id == project_id && counts(s)).count();
    let share = criteria.map_or(DEFAULT_MAX_MONITORING_SHARE, |c| c.rule.max_monitoring_share);
    forecast(&own, site_count, committed, share)
}

/// `burdens` for the GraphQL layer's batches.
pub struct MonitoringBurdens;

impl Batched for MonitoringBurdens {
    type Key = Row<project::Model>;
    type Value = Burden;

    async fn run(
        db: &Db,
        actor: &Actor,
        keys: &[Row<project::Model>],
    ) -> Result<HashMap<Row<project::Model>, Burden>, ServiceError> {
        by_rows(keys, async |projects| burdens(db, actor, &projects).await).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn measure(
        frequency: MeasureFrequency,
        method: Option<CollectionMethod>,
        minutes: Option<f64>,
    ) -> measure::Model {
        let now = Utc::now();
        measure::Model {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            name: "m".into(),
            code: None,
            operational_definition: "d".into(),
            kind: measure::MeasureKind::Process,
            unit: measure::MeasureUnit::Count,
            direction: measure::MeasureDirection::HigherIsBetter,
            frequency,
            baseline: None,
            target: None,
            baseline_until: None,
            rebase_periods: "[]".into(),
            collection_method: method,
            minutes_per_site_per_period: minutes,
            adopted_from_measure_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn hours_a_week_follow_frequency_sites_and_method() {
        let weekly = measure(MeasureFrequency::Weekly, Some(CollectionMethod::ManualAudit), Some(30.0));
        let monthly =
            measure(MeasureFrequency::Monthly, Some(CollectionMethod::ExtractedFromSystem), Some(130.0));
        let quarterly = measure(MeasureFrequency::Quarterly, Some(CollectionMethod::Mixed), Some(390.0));
        let burden = forecast(&[&weekly, &monthly, &quarterly], 2, 15.0, 1.0 / 3.0);
        // Weekly: 30 min × 2 sites = 1 h; quarterly: 390 × 2 × 4/52 / 60 = 1 h (MIXED counts as manual).
        assert!((burden.manual_hours_per_week - 2.0).abs() < 1e-9, "{burden:?}");
        // Monthly: 130 × 2 × 12/52 / 60 = 1 h.
        assert!((burden.extracted_hours_per_week - 1.0).abs() < 1e-9, "{burden:?}");
        assert!((burden.cap_hours_per_week() - 5.0).abs() < 1e-9);
        assert!(!burden.above_cap());
        assert!(
            forecast(&[&weekly, &monthly, &quarterly], 4, 15.0, 1.0 / 3.0).above_cap(),
            "6 h over a 5 h cap"
        );
    }

    #[test]
    fn a_missing_estimate_is_a_gap_not_zero() {
        let estimated = measure(MeasureFrequency::Weekly, None, Some(60.0));
        let unknown = measure(MeasureFrequency::Weekly, Some(CollectionMethod::ManualAudit), None);
        let burden = forecast(&[&estimated, &unknown], 1, 10.0, 0.5);
        assert_eq!(burden.without_estimate().collect::<Vec<_>>(), vec![unknown.id]);
        assert!((burden.total_hours_per_week() - 1.0).abs() < 1e-9, "an unstated method counts as manual");
        assert_eq!(burden.measures[1].hours_per_week, None);
    }
}
