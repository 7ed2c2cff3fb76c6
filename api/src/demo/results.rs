//! The demo's shared results, one at each visibility, one shared explicitly, one still a draft,
//! and six months of engagement records. Returns the platform-wide one, which another body adopts.

use chrono::{Datelike, Months};
use entity::shared_result::{ResultOutcome, ResultVisibility};
use uuid::Uuid;

use super::DemoWorld;
use crate::db::Db;
use crate::error::ServiceError;
use crate::results::BarrierTag;
use crate::results::engagement::{self, Engagement};
use crate::results::service::{self as results, ResultForm};

pub async fn seed(
    db: &Db,
    world: &DemoWorld,
    project_id: Uuid,
    lead: &str,
    measures: [Uuid; 3],
) -> Result<Uuid, ServiceError> {
    let (_, lead) = world.actor(lead)?;
    let [bundle, mortality, antibiotics] = measures;
    let taff = world.actor("taff-valley")?.0;
    let form = |title: &str,
                summary: &str,
                outcome,
                visibility,
                tags: Vec<BarrierTag>,
                measures: Vec<Uuid>,
                share_with: Vec<Uuid>| {
        ResultForm {
            title: Some(title.into()),
            summary: Some(summary.into()),
            body: Some(format!("## {title}\n\n{summary}\n\nSee the linked measures for the charts.")),
            outcome: Some(outcome),
            barrier_tags: Some(tags),
            visibility: Some(visibility),
            measure_ids: Some(measures),
            share_with: Some(share_with),
        }
    };
    let published = [
        form(
            "Sepsis six within the hour rose from 45% to 74% at Northgate",
            "A triage prompt in the ED system and a sepsis trolley in resus sustained a shift within three months.",
            ResultOutcome::Improvement,
            ResultVisibility::Platform,
            vec![BarrierTag::TimePressure, BarrierTag::ItIntegration],
            vec![bundle],
            vec![],
        ),
        form(
            "30-day sepsis mortality fell at Northgate",
            "Mortality after sepsis admission shifted below its baseline mean after the bundle took hold.",
            ResultOutcome::Improvement,
            ResultVisibility::Programme,
            vec![],
            vec![mortality],
            vec![],
        ),
        form(
            "Antibiotic timing worsened at Clydeside under winter pressure",
            "Minutes to antibiotics rose through the winter as ED occupancy peaked; the lesson is to protect the sepsis pathway first.",
            ResultOutcome::Lesson,
            ResultVisibility::Project,
            vec![BarrierTag::TimePressure, BarrierTag::Engagement],
            vec![antibiotics],
            vec![taff],
        ),
    ];
    let mut platform_result = None;
    for form in published {
        let draft = results::create(db, &lead, project_id, form).await?;
        // The demo's claims are what its charts show: a warning here means the seed is wrong.
        let publication = results::publish(db, &lead, draft.id, false).await?;
        let Ok(published) = publication.outcome else {
            let said: Vec<String> = publication.warnings.into_iter().map(|w| w.message).collect();
            return Err(ServiceError::internal(std::io::Error::other(said.join("; "))));
        };
        platform_result.get_or_insert(published.id);
    }
    results::create(db, &lead, project_id, form(
        "Manual audit data took a day a week",
        "Monthly audits of sepsis notes took a data analyst a day a week until extraction from the EPR was automated.",
        ResultOutcome::Lesson,
        ResultVisibility::Programme,
        vec![BarrierTag::DataCollectionBurden, BarrierTag::ItIntegration],
        vec![],
        vec![],
    ))
    .await?;

    let today = db.today();
    let this_month = today.with_day(1).unwrap_or(today);
    for back in 1..=6u32 {
        let Some(period_start) = this_month.checked_sub_months(Months::new(back)) else { continue };
        let n = i32::try_from(back).unwrap_or_default();
        engagement::record(
            db,
            &lead,
            project_id,
            Engagement { period_start, clinicians: 20 + n, service_users: 3, others: 5 + n },
        )
        .await?;
    }
    // The first, published to every institution, is the one another body adopts.
    platform_result
        .ok_or_else(|| ServiceError::internal(std::io::Error::other("no demo result was published")))
}
