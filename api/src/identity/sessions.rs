//! Sessions: sign-in, switching institution, sign-out. Refresh-token rotation is in `refresh`,
//! ending sessions in `revoke`.

use chrono::{DateTime, Duration, Utc};
use entity::sign_in_challenge::ChallengeStep;
use entity::{membership, refresh_token, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::challenges::{self, Challenge};
use super::opaque::{self, Kind, Minted};
use super::two_factor::{self, Due};
use super::{AuthConfig, password, revoke, throttle};
use crate::actor::Actor;
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::users::Email;

/// What a successful sign-in or refresh hands out. The refresh token exists only here.
pub struct Session {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user: user::Model,
    pub institution_id: Option<Uuid>,
}

/// What a right password gets: a session, or the second step towards one.
pub enum SignedIn {
    Session(Session),
    Challenge(Challenge),
}

pub struct SignIn {
    pub email: String,
    pub password: String,
    pub institution_id: Option<Uuid>,
}

fn invalid_credentials() -> ServiceError {
    ServiceError::invalid("email", UserErrorCode::InvalidCredentials, "email or password is incorrect")
}

pub(super) fn invalid_refresh_token() -> ServiceError {
    ServiceError::invalid(
        "refreshToken",
        UserErrorCode::InvalidToken,
        "the refresh token is invalid, expired or already used; sign in again",
    )
}

fn locked(until: DateTime<Utc>) -> ServiceError {
    ServiceError::invalid(
        "email",
        UserErrorCode::AccountLocked,
        format!(
            "too many failed sign-ins; try again after {}",
            until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
}

/// Unknown email and wrong password take the same path: one argon2 verification, one failure
/// recorded, the same error.
pub async fn sign_in(db: &Db, auth: &AuthConfig, input: SignIn) -> Result<SignedIn, ServiceError> {
    // Identity flow: it finds the user before anyone is known (see `db::wall`).
    let db = &db.system();
    let email = match Email::parse(&input.email, "email") {
        Ok(email) => email,
        Err(e) if e.code == UserErrorCode::Required => return Err(ServiceError::Invalid(vec![e])),
        Err(_) => return Err(invalid_credentials()),
    };
    password::within_limit(&input.password, "password")?;
    let find = crate::users::service::find_by_email(db.conn(), &email);
    let hash_of: fn(&user::Model) -> &str = |user| &user.password_hash;
    let checked =
        throttle::check_password(db.conn(), db.now(), auth, email.as_str(), &input.password, find, hash_of)
            .await?;
    let user = match checked {
        (throttle::Checked::Verified, Some(user)) => user,
        (throttle::Checked::Locked { until }, _)
        | (throttle::Checked::Wrong { locked_until: Some(until) }, _) => {
            return Err(locked(until));
        }
        _ => {
            tracing::info!("sign-in failed");
            return Err(invalid_credentials());
        }
    };

    let institution_id = match input.institution_id {
        Some(id) => Some(membership_of(db.conn(), user.id, id, "institutionId").await?),
        // With no choice made, the oldest membership; a user can switch later.
        None => membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .order_by_asc(membership::Column::Id)
            .one(db.conn())
            .await?
            .map(|m| m.institution_id),
    };
    if let Some(way_in) = crate::sso::flow::required_for(db.conn(), user.id).await? {
        return Err(ServiceError::invalid("email", UserErrorCode::SsoRequired, way_in));
    }
    conclude(db, auth, user, institution_id).await
}

/// The end of a sign-in whose first factor was right (a password, or the institution's
/// identity provider): a session, or the second step towards one. `db` is the system handle.
pub(crate) async fn conclude(
    db: &Db,
    auth: &AuthConfig,
    user: user::Model,
    institution_id: Option<Uuid>,
) -> Result<SignedIn, ServiceError> {
    let now = db.now();
    let step = match two_factor::due(db.conn(), &user).await? {
        Due::Nothing => None,
        Due::Code => Some(ChallengeStep::Code),
        Due::Enrol => Some(ChallengeStep::Enrol),
    };
    let txn = db.begin().await?;
    let signed_in = match step {
        Some(step) => {
            SignedIn::Challenge(challenges::open(&txn, now, auth, &user, institution_id, step).await?)
        }
        None => SignedIn::Session(start(&txn, now, auth, user, institution_id).await?),
    };
    txn.commit().await?;
    Ok(signed_in)
}

/// A new session family for `user`, audited as a sign-in.
pub(super) async fn start(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    user: user::Model,
    institution_id: Option<Uuid>,
) -> Result<Session, ServiceError> {
    let refresh = opaque::mint(Kind::RefreshToken);
    let session = issue(txn, now, auth, user, institution_id, Uuid::now_v7(), refresh).await?;
    let actor = AuditActor::user(session.user.id);
    let subject = Subject { kind: "User", id: session.user.id };
    audit::record(txn, now, actor, institution_id, "session.sign_in", subject).await?;
    Ok(session)
}

/// A fresh session for another institution the signed-in user belongs to.
pub async fn switch_institution(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    institution_id: Uuid,
) -> Result<Session, ServiceError> {
    let db = &db.system();
    let user_id = actor.require_user()?;
    membership_of(db.conn(), user_id, institution_id, "institutionId").await?;
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    let txn = db.begin().await?;
    let refresh = opaque::mint(Kind::RefreshToken);
    let session = issue(&txn, db.now(), auth, user, Some(institution_id), Uuid::now_v7(), refresh).await?;
    audit::record(
        &txn,
        db.now(),
        actor.into(),
        Some(institution_id),
        "session.switch_institution",
        Subject { kind: "Institution", id: institution_id },
    )
    .await?;
    txn.commit().await?;
    Ok(session)
}

/// Revokes the refresh token's whole family, and the access tokens issued with it.
pub async fn sign_out(db: &Db, auth: &AuthConfig, token: &str) -> Result<(), ServiceError> {
    // Identity flow: it finds the user before anyone is known (see `db::wall`).
    let db = &db.system();
    let (id, secret) = opaque::parse(Kind::RefreshToken, token).ok_or_else(invalid_refresh_token)?;
    let row = refresh_token::Entity::find_by_id(id).one(db.conn()).await?;
    let row = row.filter(|r| opaque::verify(&secret, &r.secret_hash)).ok_or_else(invalid_refresh_token)?;
    let txn = db.begin().await?;
    revoke::revoke_families(&txn, &[row.family_id], db.now()).await?;
    audit::record(
        &txn,
        db.now(),
        AuditActor::user(row.user_id),
        row.institution_id,
        "session.sign_out",
        Subject { kind: "User", id: row.user_id },
    )
    .await?;
    txn.commit().await?;
    auth.revocations.deny(&[row.family_id], db.now()).await;
    Ok(())
}

/// The institution id if the user is a member of it; otherwise `NotFound`, as for an
/// institution that does not exist.
pub(super) async fn membership_of(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    institution_id: Uuid,
    field: &'static str,
) -> Result<Uuid, ServiceError> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::InstitutionId.eq(institution_id))
        .one(conn)
        .await?
        .map(|m| m.institution_id)
        .ok_or(ServiceError::NotFound { field })
}

/// Records `minted` as the family's newest refresh token and signs an access token with it.
pub(super) async fn issue<C: ConnectionTrait + TransactionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    user: user::Model,
    institution_id: Option<Uuid>,
    family_id: Uuid,
    minted: Minted,
) -> Result<Session, ServiceError> {
    let (access_token, access_token_expires_at) = auth
        .keys
        .sign(user.id, institution_id, family_id, now, auth.access_ttl_secs)
        .map_err(ServiceError::internal)?;
    let refresh_token_expires_at = now + Duration::seconds(auth.refresh_ttl_secs);
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(minted.id),
        family_id: Set(family_id),
        user_id: Set(user.id),
        institution_id: Set(institution_id),
        secret_hash: Set(minted.hash),
        expires_at: Set(refresh_token_expires_at),
        used_at: Set(None),
        successor_id: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(Session {
        access_token,
        access_token_expires_at,
        refresh_token: minted.token,
        refresh_token_expires_at,
        user,
        institution_id,
    })
}
