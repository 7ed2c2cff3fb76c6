use chrono::{DateTime, Utc};
use entity::{membership, user};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::actor::Actor;
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::identity::password::{self, Password};
use crate::text;
use crate::users::Email;

pub const MAX_NAME_CHARS: usize = 200;

pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub profession: Option<String>,
    pub password: Password,
    pub is_platform_admin: bool,
}

/// Inserts a user; an email already in use is a `Taken` error on `email_field`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    new: NewUser,
    email_field: &str,
) -> Result<user::Model, ServiceError> {
    let password_hash = password::hash(new.password).await?;
    let model = user::Model {
        id: Uuid::now_v7(),
        email: new.email.into_inner(),
        name: new.name,
        profession: new.profession,
        password_hash,
        is_platform_admin: new.is_platform_admin,
        created_at: now,
        updated_at: now,
    };
    user::Entity::insert(user::ActiveModel {
        id: Set(model.id),
        email: Set(model.email.clone()),
        name: Set(model.name.clone()),
        profession: Set(model.profession.clone()),
        password_hash: Set(model.password_hash.clone()),
        is_platform_admin: Set(model.is_platform_admin),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(conn)
    .await
    .map_err(|e| ServiceError::from_unique_violation(e, email_field, "an account with this email exists"))?;
    Ok(model)
}

pub fn parse_name(raw: &str, field: &str) -> Result<String, crate::error::FieldError> {
    text::required(raw, field, MAX_NAME_CHARS)
}

pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, ServiceError> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(conn).await?)
}

/// A user is visible to themself, to platform admins, and to anyone who shares the actor's
/// active institution with them.
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<Option<user::Model>, ServiceError> {
    if actor.user_id() != Some(id) && !actor.is_platform_admin() {
        let Some(institution) = actor.institution else { return Ok(None) };
        let shares = membership::Entity::find()
            .select_only()
            .column(membership::Column::Id)
            .filter(membership::Column::UserId.eq(id))
            .filter(membership::Column::InstitutionId.eq(institution.id))
            .into_tuple::<Uuid>()
            .one(db.conn())
            .await?;
        if shares.is_none() {
            return Ok(None);
        }
    }
    Ok(user::Entity::find_by_id(id).one(db.conn()).await?)
}

/// Creates a platform admin, for the `create-admin` command.
pub async fn create_platform_admin(
    db: &Db,
    email: &str,
    name: &str,
    password: &str,
) -> Result<user::Model, ServiceError> {
    let mut problems = crate::error::Problems::default();
    let email = problems.take(Email::parse(email, "email"));
    let name = problems.take(parse_name(name, "name"));
    let password = problems.take(Password::parse(password, "password"));
    problems.into_result()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(ServiceError::invalid("", UserErrorCode::Invalid, "invalid input"));
    };
    let txn = db.begin().await?;
    let user = insert(
        &txn,
        db.now(),
        NewUser { email, name, profession: None, password, is_platform_admin: true },
        "email",
    )
    .await?;
    crate::audit::record(
        &txn,
        db.now(),
        crate::audit::service::AuditActor::user(user.id),
        None,
        "user.create_platform_admin",
        crate::audit::Subject { kind: "User", id: user.id },
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}
