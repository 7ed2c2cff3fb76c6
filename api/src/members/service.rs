use chrono::{DateTime, Utc};
use entity::institution;
use entity::membership::{self, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Select,
};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::identity::revocation::Revocations;
use crate::identity::revoke;
use crate::paging::{Order, Page, PageRequest, paginate};

/// Memberships an actor may see: those of its active institution, and a person's own.
pub fn visible_to(actor: &Actor) -> Select<membership::Entity> {
    let mut condition = Condition::any();
    if let Some(active) = actor.institution {
        condition = condition.add(membership::Column::InstitutionId.eq(active.id));
    }
    if let Some(user_id) = actor.user_id() {
        condition = condition.add(membership::Column::UserId.eq(user_id));
    }
    // `Condition::any()` with nothing in it is false: an actor with neither sees nothing.
    membership::Entity::find().filter(condition)
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<membership::Model>, ServiceError> {
    Ok(visible_to(actor).filter(membership::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn list_for_institution(
    db: &Db,
    actor: &Actor,
    institution_id: Uuid,
    page: &PageRequest,
) -> Result<Page<membership::Model>, ServiceError> {
    actor.require_acting_in(institution_id)?;
    let query = visible_to(actor).filter(membership::Column::InstitutionId.eq(institution_id));
    paginate(db, query, &Order::created(membership::Column::Id), page).await
}

/// The signed-in person's own memberships, oldest first, for `viewer`; none for an API token.
pub async fn of_user(db: &Db, actor: &Actor) -> Result<Vec<membership::Model>, ServiceError> {
    let Some(user_id) = actor.user_id() else { return Ok(Vec::new()) };
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::Id)
        .all(db.conn())
        .await?)
}

pub async fn insert(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    institution_id: Uuid,
    role: Role,
) -> Result<membership::Model, ServiceError> {
    let model = membership::Model {
        id: Uuid::now_v7(),
        user_id,
        institution_id,
        role,
        created_at: now,
        updated_at: now,
    };
    membership::Entity::insert(membership::ActiveModel {
        id: Set(model.id),
        user_id: Set(user_id),
        institution_id: Set(institution_id),
        role: Set(role),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(conn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ServiceError::invalid(
            "",
            UserErrorCode::AlreadyMember,
            "this person already belongs to the institution",
        ),
        _ => ServiceError::from(e),
    })?;
    Ok(model)
}

/// Serialises changes to an institution's admins: PostgreSQL takes the row lock, SQLite its
/// single write lock, before anything is read, so two admins demoting each other at the same
/// moment cannot both succeed.
async fn lock_institution(conn: &impl ConnectionTrait, institution_id: Uuid) -> Result<(), ServiceError> {
    institution::Entity::update_many()
        .col_expr(institution::Column::UpdatedAt, Expr::col(institution::Column::UpdatedAt))
        .filter(institution::Column::Id.eq(institution_id))
        .exec(conn)
        .await?;
    Ok(())
}

async fn admin_count(conn: &impl ConnectionTrait, institution_id: Uuid) -> Result<u64, ServiceError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::InstitutionId.eq(institution_id))
        .filter(membership::Column::Role.eq(Role::Admin))
        .count(conn)
        .await?)
}

fn last_admin() -> ServiceError {
    ServiceError::invalid(
        "membershipId",
        UserErrorCode::LastAdmin,
        "an institution must keep at least one admin; make someone else admin first",
    )
}

/// Memberships are changed only from within their institution; from anywhere else they do
/// not exist.
fn own_institution(actor: &Actor) -> Result<Uuid, ServiceError> {
    actor.institution_id().map_err(|_| ServiceError::NotFound { field: "membershipId" })
}

/// The membership, if it belongs to the actor's active institution; else `NotFound`.
async fn in_own_institution(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<membership::Model, ServiceError> {
    let institution_id = own_institution(actor)?;
    membership::Entity::find_by_id(id)
        .filter(membership::Column::InstitutionId.eq(institution_id))
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound { field: "membershipId" })
}

pub async fn change_role(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    role: Role,
) -> Result<membership::Model, ServiceError> {
    let txn = db.begin().await?;
    lock_institution(&txn, own_institution(actor)?).await?;
    let current = in_own_institution(&txn, actor, id).await?;
    actor.require_admin()?;
    if current.role == role {
        return Ok(current);
    }
    let mut active: membership::ActiveModel = current.into();
    active.role = Set(role);
    active.updated_at = Set(db.now());
    let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    if admin_count(&txn, updated.institution_id).await? == 0 {
        return Err(last_admin());
    }
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(updated.institution_id),
        "member.change_role",
        Subject { kind: "Membership", id: updated.id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Admins remove anyone; anyone may leave. Never the last admin. The person's sessions within
/// the institution end with the membership, access tokens included, on every replica.
pub async fn remove(
    db: &Db,
    revocations: &Revocations,
    actor: &Actor,
    id: Uuid,
) -> Result<Uuid, ServiceError> {
    let txn = db.begin().await?;
    lock_institution(&txn, own_institution(actor)?).await?;
    let current = in_own_institution(&txn, actor, id).await?;
    if actor.user_id() != Some(current.user_id) {
        actor.require_admin()?;
    }
    membership::Entity::delete_by_id(current.id).exec(&txn).await?;
    if admin_count(&txn, current.institution_id).await? == 0 {
        return Err(last_admin());
    }
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(current.institution_id),
        "member.remove",
        Subject { kind: "Membership", id: current.id },
    )
    .await?;
    txn.commit().await?;
    // The person's refresh tokens are theirs alone under the policies, so the admin's request
    // cannot reach them: ending the sessions is an identity flow (see `db::wall`).
    let system = db.system();
    let sessions = system.begin().await?;
    let families =
        revoke::end_sessions(&sessions, db.now(), current.user_id, Some(current.institution_id), None)
            .await?;
    sessions.commit().await?;
    revocations.deny(&families, db.now()).await;
    Ok(current.id)
}

pub struct VisibleMemberships;

impl crate::scope::Scope for VisibleMemberships {
    type Entity = membership::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<membership::Entity> {
        let _ = today;
        visible_to(actor)
    }
}
