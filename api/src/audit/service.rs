use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::error::ServiceError;
use crate::paging::{Order, Page, PageRequest, paginate};

/// What an event is about: a type name as clients see it in global IDs, and the row's id.
#[derive(Clone, Copy, Debug)]
pub struct Subject {
    pub kind: &'static str,
    pub id: Uuid,
}

/// Records `action` (e.g. `member.invite`) by `actor` on `subject`, within `institution`.
/// `actor` is `None` for actions taken without credentials (accepting an invitation is made by
/// the invitee, passed as `user_id`).
pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: AuditActor,
    institution_id: Option<Uuid>,
    action: &str,
    subject: Subject,
) -> Result<(), ServiceError> {
    record_with_details(conn, at, actor, institution_id, action, subject, None).await
}

/// `record`, keeping what the action changed (`details`, JSON) with the event.
pub async fn record_with_details(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: AuditActor,
    institution_id: Option<Uuid>,
    action: &str,
    subject: Subject,
    details: Option<serde_json::Value>,
) -> Result<(), ServiceError> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        institution_id: Set(institution_id),
        actor_user_id: Set(actor.user_id),
        actor_token_id: Set(actor.token_id),
        action: Set(action.to_owned()),
        subject_type: Set(subject.kind.to_owned()),
        subject_id: Set(subject.id),
        occurred_at: Set(at),
        details: Set(details.map(|d| d.to_string())),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Clone, Copy, Debug, Default)]
pub struct AuditActor {
    pub user_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
}

impl From<&Actor> for AuditActor {
    fn from(actor: &Actor) -> Self {
        Self { user_id: actor.user_id(), token_id: actor.token_id() }
    }
}

impl AuditActor {
    pub fn user(user_id: Uuid) -> Self {
        Self { user_id: Some(user_id), token_id: None }
    }
}

/// The events an actor may read: its own institution's, and only for its admins.
pub fn visible_to(actor: &Actor) -> Result<Select<audit_event::Entity>, ServiceError> {
    let institution_id = actor.require_admin()?;
    Ok(audit_event::Entity::find().filter(audit_event::Column::InstitutionId.eq(institution_id)))
}

/// An event by id, if the actor may read it; `None` otherwise.
pub async fn get(
    db: &crate::db::Db,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<audit_event::Model>, ServiceError> {
    let Ok(query) = visible_to(actor) else { return Ok(None) };
    Ok(query.filter(audit_event::Column::Id.eq(id)).one(db.conn()).await?)
}

/// An institution's events, oldest first, for admins acting within it.
pub async fn list_for_institution(
    db: &crate::db::Db,
    actor: &Actor,
    institution_id: Uuid,
    page: &PageRequest,
) -> Result<Page<audit_event::Model>, ServiceError> {
    actor.require_acting_in(institution_id)?;
    paginate(db, visible_to(actor)?, &Order::created(audit_event::Column::Id), page).await
}

pub struct VisibleAuditEvents;

impl crate::scope::Scope for VisibleAuditEvents {
    type Entity = audit_event::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<audit_event::Entity> {
        let _ = today;
        // Not an admin: no events at all.
        visible_to(actor)
            .unwrap_or_else(|_| audit_event::Entity::find().filter(audit_event::Column::Id.is_null()))
    }
}
