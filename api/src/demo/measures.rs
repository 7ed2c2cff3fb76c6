//! Two years of monthly monitoring data for the demo's active project: a real improvement, a
//! deterioration and plain noise, so the analysis has something to show. The noise is a fixed
//! pseudo-random sequence, so every demo shows the same charts.

use chrono::{Datelike, Months, NaiveDate};
use entity::measure::{CollectionMethod, MeasureDirection, MeasureFrequency, MeasureKind, MeasureUnit};
use uuid::Uuid;

use super::DemoWorld;
use crate::db::Db;
use crate::error::ServiceError;
use crate::measures::ingest;
use crate::measures::service::{self as measures, MeasureForm};
use crate::measures::validate::RawRow;

const MONTHS: u32 = 24;

/// A small linear congruential generator: reproducible noise in [-1, 1].
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// The first days of the 24 whole months before `today`'s.
fn months(today: NaiveDate) -> Vec<NaiveDate> {
    let this_month = today.with_day(1).unwrap_or(today);
    (1..=MONTHS).rev().filter_map(|back| this_month.checked_sub_months(Months::new(back))).collect()
}

struct SeriesShape {
    site: &'static str,
    /// Level before and after the change, which happens halfway.
    before: f64,
    after: f64,
    noise: f64,
    seed: u64,
}

/// Returns the measures created: the sepsis bundle, 30-day mortality, time to antibiotics.
pub async fn seed(
    db: &Db,
    world: &DemoWorld,
    project_id: Uuid,
    lead: &str,
) -> Result<[Uuid; 3], ServiceError> {
    let (_, lead) = world.actor(lead)?;
    // How each is collected and what it costs a site each month, for the monitoring burden.
    let measure = |(code, name): (&str, &str),
                   definition: &str,
                   kind,
                   unit,
                   direction,
                   baseline,
                   target,
                   (method, minutes)| {
        MeasureForm {
            name: Some(name.into()),
            code: Some(code.into()),
            operational_definition: Some(definition.into()),
            kind: Some(kind),
            unit: Some(unit),
            direction: Some(direction),
            frequency: Some(MeasureFrequency::Monthly),
            baseline: Some(baseline),
            target: Some(target),
            collection_method: Some(method),
            minutes_per_site_per_period: Some(minutes),
            ..Default::default()
        }
    };
    let bundle = measures::create(db, &lead, project_id, measure(
        ("SEPSIS6", "Sepsis six completed within one hour"),
        "Adults with suspected sepsis in the ED (numerator: all six elements within 60 minutes of triage; denominator: all such adults)",
        MeasureKind::Process,
        MeasureUnit::Proportion,
        MeasureDirection::HigherIsBetter,
        0.45,
        0.8,
        (CollectionMethod::ManualAudit, 90.0),
    ))
    .await?;
    record_proportions(
        db,
        &lead,
        bundle.id,
        60.0,
        &[
            SeriesShape { site: "northgate-general", before: 0.45, after: 0.74, noise: 0.06, seed: 1 },
            SeriesShape { site: "clydeside-university", before: 0.5, after: 0.5, noise: 0.07, seed: 2 },
        ],
    )
    .await?;

    let mortality = measures::create(
        db,
        &lead,
        project_id,
        measure(
            ("MORT30", "30-day mortality after sepsis admission"),
            "Deaths within 30 days of admission among adults admitted with sepsis",
            MeasureKind::Outcome,
            MeasureUnit::Proportion,
            MeasureDirection::LowerIsBetter,
            0.18,
            0.12,
            (CollectionMethod::ExtractedFromSystem, 20.0),
        ),
    )
    .await?;
    record_proportions(
        db,
        &lead,
        mortality.id,
        40.0,
        &[
            SeriesShape { site: "northgate-general", before: 0.19, after: 0.11, noise: 0.03, seed: 3 },
            SeriesShape { site: "clydeside-university", before: 0.17, after: 0.17, noise: 0.03, seed: 4 },
        ],
    )
    .await?;

    let antibiotics = measures::create(
        db,
        &lead,
        project_id,
        measure(
            ("ABX-MINUTES", "Median minutes from triage to antibiotics"),
            "Median, per month, of minutes from ED triage to first antibiotic dose for suspected sepsis",
            MeasureKind::Process,
            MeasureUnit::Continuous,
            MeasureDirection::LowerIsBetter,
            75.0,
            60.0,
            (CollectionMethod::Mixed, 45.0),
        ),
    )
    .await?;
    record_values(
        db,
        &lead,
        antibiotics.id,
        &[
            SeriesShape { site: "northgate-general", before: 74.0, after: 74.0, noise: 6.0, seed: 5 },
            SeriesShape { site: "clydeside-university", before: 70.0, after: 92.0, noise: 5.0, seed: 6 },
        ],
    )
    .await?;
    let measures = [bundle.id, mortality.id, antibiotics.id];
    arrival_history(db, &measures).await?;
    Ok(measures)
}

/// Two years arrive in one seed; give them the history the data-flow figures should show:
/// Northgate's rows came from its EPR through an integration token three days after each month
/// ended, Clydeside's were typed in by hand about four weeks after.
async fn arrival_history(db: &Db, measures: &[Uuid]) -> Result<(), ServiceError> {
    use entity::observation::{self, Arrival};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let sites = entity::project_site::Entity::find().all(db.conn()).await?;
    let institutions = entity::institution::Entity::find().all(db.conn()).await?;
    let slug_of = |site_id: Uuid| {
        let site = sites.iter().find(|s| s.id == site_id)?;
        institutions.iter().find(|i| i.id == site.institution_id).map(|i| i.slug.as_str())
    };
    let rows = observation::Entity::find()
        .filter(observation::Column::MeasureId.is_in(measures.iter().copied()))
        .all(db.conn())
        .await?;
    let txn = db.begin().await?;
    for row in rows {
        let (arrival, days_after) = match slug_of(row.site_id) {
            Some("northgate-general") => (Arrival::IntegrationToken, 3),
            _ => (Arrival::BulkEntry, 27),
        };
        let Some(end) =
            crate::measures::periods::next(entity::measure::MeasureFrequency::Monthly, row.period_start)
        else {
            continue;
        };
        let Some(arrived) =
            end.and_hms_opt(10, 0, 0).map(|t| t.and_utc() + chrono::Duration::days(days_after))
        else {
            continue;
        };
        // Only the past: the current month's row stays as recorded now.
        let first = arrived.min(row.recorded_at);
        observation::Entity::update(observation::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(row.id),
            first_recorded_at: sea_orm::ActiveValue::Set(Some(first)),
            arrival: sea_orm::ActiveValue::Set(arrival),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// An adopted copy of the sepsis bundle measure, at `site`: from 40% to 70% halfway.
pub async fn improve_again(
    db: &Db,
    actor: &crate::actor::Actor,
    measure_id: Uuid,
    site: &'static str,
) -> Result<(), ServiceError> {
    let shape = SeriesShape { site, before: 0.4, after: 0.7, noise: 0.06, seed: 7 };
    record_proportions(db, actor, measure_id, 50.0, &[shape]).await
}

fn level(shape: &SeriesShape, month: usize) -> f64 {
    if month < (MONTHS / 2) as usize { shape.before } else { shape.after }
}

async fn record_proportions(
    db: &Db,
    actor: &crate::actor::Actor,
    measure_id: Uuid,
    patients: f64,
    shapes: &[SeriesShape],
) -> Result<(), ServiceError> {
    let mut rows = Vec::new();
    for shape in shapes {
        let mut noise = Noise(shape.seed);
        for (index, month) in months(db.today()).into_iter().enumerate() {
            let denominator = (patients + 10.0 * noise.next()).round();
            let rate = (level(shape, index) + shape.noise * noise.next()).clamp(0.0, 1.0);
            rows.push(row(shape.site, month, None, Some((rate * denominator).round()), Some(denominator)));
        }
    }
    ingest::record(db, actor, measure_id, rows, ingest::Mode::Write).await.map(|_| ())
}

async fn record_values(
    db: &Db,
    actor: &crate::actor::Actor,
    measure_id: Uuid,
    shapes: &[SeriesShape],
) -> Result<(), ServiceError> {
    let mut rows = Vec::new();
    for shape in shapes {
        let mut noise = Noise(shape.seed);
        for (index, month) in months(db.today()).into_iter().enumerate() {
            let value = (level(shape, index) + shape.noise * noise.next()).round();
            rows.push(row(shape.site, month, Some(value), None, None));
        }
    }
    ingest::record(db, actor, measure_id, rows, ingest::Mode::Write).await.map(|_| ())
}

fn row(
    site: &str,
    month: NaiveDate,
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
) -> RawRow {
    RawRow {
        site: site.into(),
        period_start: Ok(month),
        value,
        numerator,
        denominator,
        note: None,
        unreadable: false,
    }
}
