use chrono::{DateTime, Utc};
use entity::api_token::{self, TokenScope};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{Problems, ServiceError, UserErrorCode};
use crate::identity::opaque::{self, Kind};
use crate::paging::{Order, Page, PageRequest, paginate};
use crate::text;

pub const MAX_NAME_CHARS: usize = 200;

/// Tokens are an institution's secrets: only its admins see them.
pub fn visible_to(actor: &Actor) -> Select<api_token::Entity> {
    let institution_id = actor.require_admin().unwrap_or_default();
    api_token::Entity::find().filter(api_token::Column::InstitutionId.eq(institution_id))
}

pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<api_token::Model>, ServiceError> {
    Ok(visible_to(actor).filter(api_token::Column::Id.eq(id)).one(db.conn()).await?)
}

pub async fn list_for_institution(
    db: &Db,
    actor: &Actor,
    institution_id: Uuid,
    page: &PageRequest,
) -> Result<Page<api_token::Model>, ServiceError> {
    actor.require_acting_in(institution_id)?;
    actor.require_admin()?;
    paginate(db, visible_to(actor), &Order::created(api_token::Column::Id), page).await
}

pub struct NewToken {
    pub name: String,
    pub scope: TokenScope,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token with its secret, which exists only in this value.
pub struct IssuedToken {
    pub token: api_token::Model,
    pub secret: String,
}

pub async fn create(db: &Db, actor: &Actor, input: NewToken) -> Result<IssuedToken, ServiceError> {
    let institution_id = actor.require_admin()?;
    let mut problems = Problems::default();
    let name = problems.take(text::required(&input.name, "name", MAX_NAME_CHARS));
    let now = db.now();
    if input.expires_at.is_some_and(|at| at <= now) {
        problems.push(crate::error::FieldError::new(
            "expiresAt",
            UserErrorCode::Invalid,
            "must be in the future",
        ));
    }
    problems.into_result()?;
    let Some(name) = name else {
        return Err(ServiceError::invalid("name", UserErrorCode::Required, "must not be blank"));
    };
    let minted = opaque::mint(Kind::ApiToken);
    let model = api_token::Model {
        id: minted.id,
        institution_id,
        name,
        scope: input.scope,
        secret_hash: minted.hash,
        created_by: actor.user_id(),
        expires_at: input.expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: now,
    };
    let txn = db.begin().await?;
    api_token::Entity::insert(api_token::ActiveModel::from(model.clone()))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(institution_id),
        "api_token.create",
        Subject { kind: "ApiToken", id: model.id },
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedToken { token: model, secret: minted.token })
}

/// Revoking twice is harmless: the first revocation time is kept.
pub async fn revoke(db: &Db, actor: &Actor, id: Uuid) -> Result<api_token::Model, ServiceError> {
    let current = get(db, actor, id).await?.ok_or(ServiceError::NotFound { field: "apiTokenId" })?;
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let txn = db.begin().await?;
    let mut active: api_token::ActiveModel = current.into();
    active.revoked_at = Set(Some(db.now()));
    let updated = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(updated.institution_id),
        "api_token.revoke",
        Subject { kind: "ApiToken", id: updated.id },
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

pub struct VisibleApiTokens;

impl crate::scope::Scope for VisibleApiTokens {
    type Entity = api_token::Entity;

    fn select(actor: &Actor, today: chrono::NaiveDate) -> sea_orm::Select<api_token::Entity> {
        let _ = today;
        visible_to(actor)
    }
}
