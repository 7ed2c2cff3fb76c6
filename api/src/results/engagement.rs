//! Engagement: how many clinicians, service users and others a project engaged each month, as
//! its lead records it; the programme evaluation totals it.

use chrono::{Datelike, NaiveDate};
use entity::engagement_record::{self as record, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{FieldError, Problems, ServiceError, UserErrorCode};
use crate::projects::changes::{self, Change};
use crate::projects::service::{self as projects, require_lead_writer};

pub const MAX_PEOPLE: i32 = 1_000_000;

pub struct Engagement {
    pub period_start: NaiveDate,
    pub clinicians: i32,
    pub service_users: i32,
    pub others: i32,
}

/// Records (or corrects) a month's engagement for the lead's project.
pub async fn record(
    db: &Db,
    actor: &Actor,
    project_id: Uuid,
    input: Engagement,
) -> Result<record::Model, ServiceError> {
    let project = projects::require(db, actor, project_id, "projectId").await?;
    require_lead_writer(actor, &project)?;
    changes::require(&project, Change::Data(input.period_start), "periodStart")?;
    let mut problems = Problems::default();
    problems.take(crate::text::date(input.period_start, "periodStart"));
    if input.period_start.day() != 1 {
        problems.push(FieldError::new("periodStart", UserErrorCode::Invalid, "a month starts on the 1st"));
    }
    if input.period_start > db.today() {
        problems.push(FieldError::new(
            "periodStart",
            UserErrorCode::Invalid,
            "the month has not started yet",
        ));
    }
    for (value, field) in
        [(input.clinicians, "clinicians"), (input.service_users, "serviceUsers"), (input.others, "others")]
    {
        if !(0..=MAX_PEOPLE).contains(&value) {
            problems.push(FieldError::new(
                field,
                UserErrorCode::Invalid,
                format!("between 0 and {MAX_PEOPLE}"),
            ));
        }
    }
    problems.into_result()?;
    let model = record::Model {
        id: Uuid::now_v7(),
        project_id,
        period_start: input.period_start,
        clinicians: input.clinicians,
        service_users: input.service_users,
        others: input.others,
        recorded_at: db.now(),
    };
    let txn = db.begin().await?;
    record::Entity::insert(record::ActiveModel::from(model.clone()))
        .on_conflict(
            OnConflict::columns([Column::ProjectId, Column::PeriodStart])
                .update_columns([
                    Column::Clinicians,
                    Column::ServiceUsers,
                    Column::Others,
                    Column::RecordedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(project.lead_institution_id),
        "engagement.record",
        Subject { kind: "Project", id: project_id },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Engagement records are visible with their project.
pub fn visible_to(actor: &Actor) -> Select<record::Entity> {
    record::Entity::find().filter(Column::ProjectId.in_subquery(projects::visible_ids(actor)))
}
