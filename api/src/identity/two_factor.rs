//! Two-factor sign-in for signed-in people: enrol an authenticator, confirm it with a first
//! code, turn it off, replace recovery codes. The second step of a sign-in is in `challenges`.
//! Every code tried, right or wrong, counts against the person's attempt window, before it is
//! checked, on every replica alike.

use chrono::{DateTime, Duration, Utc};
use entity::{membership, sign_in_challenge, totp_factor, user};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, QueryFilter,
    QuerySelect, RelationTrait,
};
use uuid::Uuid;

use super::attempts::{self, Counted, Limit};
use super::{AuthConfig, recovery_codes, totp};
use crate::actor::Actor;
use crate::audit::{self, Subject};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::mail::{MailKind, Outgoing};

/// Shown in authenticator apps beside the account.
pub const ISSUER: &str = "Springboard";

/// What an authenticator app needs: the secret (for typing in) and the URI (for a QR code).
pub struct Enrolment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// The signed-in person's standing, for a settings screen.
pub struct Status {
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: u64,
    pub required: bool,
}

/// What the second step of a sign-in must be, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Nothing,
    Code,
    Enrol,
}

pub(super) enum Checked {
    Totp,
    RecoveryCode,
}

/// Audits the signed-in person's own account event.
async fn record(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
) -> Result<(), ServiceError> {
    let user_id = actor.require_user()?;
    let subject = Subject { kind: "User", id: user_id };
    audit::record(conn, now, actor.into(), actor.institution.map(|i| i.id), action, subject).await
}

pub(super) fn wrong_code(field: &str) -> ServiceError {
    ServiceError::invalid(field, UserErrorCode::InvalidCode, "the code is wrong, expired or already used")
}

/// Platform admins always, and members of any institution that asks for it.
pub async fn required(conn: &impl ConnectionTrait, user: &user::Model) -> Result<bool, ServiceError> {
    if user.is_platform_admin {
        return Ok(true);
    }
    let requiring = membership::Entity::find()
        .join(JoinType::InnerJoin, membership::Relation::Institution.def())
        .filter(membership::Column::UserId.eq(user.id))
        .filter(entity::institution::Column::RequireTwoFactor.eq(true))
        .count(conn)
        .await?;
    Ok(requiring > 0)
}

pub async fn confirmed_factor(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Option<totp_factor::Model>, ServiceError> {
    let factor = totp_factor::Entity::find_by_id(user_id).one(conn).await?;
    Ok(factor.filter(|f| f.confirmed_at.is_some()))
}

pub async fn due(conn: &impl ConnectionTrait, user: &user::Model) -> Result<Due, ServiceError> {
    if confirmed_factor(conn, user.id).await?.is_some() {
        Ok(Due::Code)
    } else if required(conn, user).await? {
        Ok(Due::Enrol)
    } else {
        Ok(Due::Nothing)
    }
}

/// A new secret, sealed into an unconfirmed factor (replacing an earlier unconfirmed one).
pub(super) async fn begin(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    user: &user::Model,
) -> Result<Enrolment, ServiceError> {
    let secret = totp::new_secret();
    let sealed = auth.data_keys.seal(&secret, user.id.as_bytes()).map_err(ServiceError::internal)?;
    let replaced = totp_factor::Entity::insert(totp_factor::ActiveModel {
        user_id: Set(user.id),
        sealed_secret: Set(sealed),
        confirmed_at: Set(None),
        last_step: Set(None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(totp_factor::Column::UserId)
            .update_columns([
                totp_factor::Column::SealedSecret,
                totp_factor::Column::LastStep,
                totp_factor::Column::CreatedAt,
            ])
            // A confirmed authenticator is never replaced this way.
            .action_and_where(Expr::col((totp_factor::Entity, totp_factor::Column::ConfirmedAt)).is_null())
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if replaced == 0 {
        return Err(ServiceError::invalid(
            "",
            UserErrorCode::AlreadyEnabled,
            "two-factor sign-in is already on; turn it off first to enrol another authenticator",
        ));
    }
    Ok(Enrolment {
        secret: totp::base32(&secret),
        otpauth_uri: totp::otpauth_uri(ISSUER, &user.email, &secret),
    })
}

/// Checks `code` against `factor` (an authenticator's code, or with `recovery` one of the
/// person's recovery codes), after counting the attempt. An accepted code is spent: its time
/// step is recorded, conditionally, so that of two concurrent uses only one succeeds.
pub(super) async fn check(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    factor: &totp_factor::Model,
    code: &str,
    recovery: bool,
    field: &str,
) -> Result<Checked, ServiceError> {
    if code.chars().count() > 64 {
        return Err(wrong_code(field));
    }
    let limit = Limit { attempts: auth.two_factor.two_factor_attempts, window: Duration::minutes(15) };
    let key = format!("2fa:user:{}", factor.user_id);
    if let Counted::Refused { until } = attempts::count(conn, now, &key, limit).await? {
        return Err(attempts::too_many(field, "second-factor codes", until));
    }
    if totp::looks_like_code(code) {
        let secret = auth
            .data_keys
            .open(&factor.sealed_secret, factor.user_id.as_bytes())
            .ok_or_else(|| ServiceError::internal(super::sealing::SealError))?;
        let Some(step) = totp::accepted_step(&secret, code, now, factor.last_step) else {
            return Err(wrong_code(field));
        };
        let last = Expr::col((totp_factor::Entity, totp_factor::Column::LastStep));
        let spent = totp_factor::Entity::update_many()
            .col_expr(totp_factor::Column::LastStep, Expr::val(step))
            .filter(totp_factor::Column::UserId.eq(factor.user_id))
            .filter(last.clone().is_null().or(last.lt(step)))
            .exec(conn)
            .await?;
        return if spent.rows_affected == 1 { Ok(Checked::Totp) } else { Err(wrong_code(field)) };
    }
    if recovery && recovery_codes::spend(conn, now, factor.user_id, code).await? {
        return Ok(Checked::RecoveryCode);
    }
    Err(wrong_code(field))
}

pub async fn enrol(db: &Db, auth: &AuthConfig, actor: &Actor) -> Result<Enrolment, ServiceError> {
    let user_id = actor.require_user()?;
    let db = &db.system();
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    begin(db.conn(), db.now(), auth, &user).await
}

/// Turns two-factor sign-in on with a first code from the newly enrolled authenticator, and
/// returns the recovery codes (shown this once).
pub async fn confirm(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let user_id = actor.require_user()?;
    let db = &db.system();
    let now = db.now();
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    let factor = totp_factor::Entity::find_by_id(user_id).one(db.conn()).await?;
    let factor = match factor {
        Some(f) if f.confirmed_at.is_none() => f,
        Some(_) => {
            return Err(ServiceError::invalid(
                "code",
                UserErrorCode::AlreadyEnabled,
                "two-factor sign-in is already on",
            ));
        }
        None => {
            return Err(ServiceError::invalid(
                "code",
                UserErrorCode::NotFound,
                "no authenticator is being enrolled; start with enrolTwoFactor",
            ));
        }
    };
    check(db.conn(), now, auth, &factor, code, false, "code").await?;
    let txn = db.begin().await?;
    let codes = turn_on(&txn, now, user_id).await?;
    record(&txn, now, actor, "two_factor.enable").await?;
    txn.commit().await?;
    notify(auth, &user.email, now, Notice::Enabled);
    Ok(codes)
}

/// Marks the enrolled authenticator confirmed and issues recovery codes.
pub(super) async fn turn_on(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
) -> Result<Vec<String>, ServiceError> {
    totp_factor::Entity::update_many()
        .col_expr(totp_factor::Column::ConfirmedAt, Expr::val(now))
        .filter(totp_factor::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    recovery_codes::replace(conn, now, user_id).await
}

/// Turns two-factor sign-in off, with a code (or a recovery code) as proof; refused where it
/// is required.
pub async fn disable(db: &Db, auth: &AuthConfig, actor: &Actor, code: &str) -> Result<(), ServiceError> {
    let user_id = actor.require_user()?;
    let db = &db.system();
    let now = db.now();
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    let factor = confirmed_factor(db.conn(), user_id).await?.ok_or_else(|| not_on("code"))?;
    if required(db.conn(), &user).await? {
        return Err(ServiceError::invalid(
            "code",
            UserErrorCode::TwoFactorRequired,
            if user.is_platform_admin {
                "platform admins must keep two-factor sign-in on"
            } else {
                "an institution you belong to requires two-factor sign-in"
            },
        ));
    }
    check(db.conn(), now, auth, &factor, code, true, "code").await?;
    let txn = db.begin().await?;
    totp_factor::Entity::delete_by_id(user_id).exec(&txn).await?;
    entity::recovery_code::Entity::delete_many()
        .filter(entity::recovery_code::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    record(&txn, now, actor, "two_factor.disable").await?;
    txn.commit().await?;
    notify(auth, &user.email, now, Notice::Disabled);
    Ok(())
}

/// A fresh set of recovery codes (the old ones stop working), with a code as proof.
pub async fn replace_recovery_codes(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let user_id = actor.require_user()?;
    let db = &db.system();
    let now = db.now();
    let factor = confirmed_factor(db.conn(), user_id).await?.ok_or_else(|| not_on("code"))?;
    check(db.conn(), now, auth, &factor, code, true, "code").await?;
    let txn = db.begin().await?;
    let codes = recovery_codes::replace(&txn, now, user_id).await?;
    record(&txn, now, actor, "two_factor.replace_recovery_codes").await?;
    txn.commit().await?;
    Ok(codes)
}

pub async fn status(db: &Db, actor: &Actor) -> Result<Status, ServiceError> {
    let user_id = actor.require_user()?;
    let db = &db.system();
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    let factor = confirmed_factor(db.conn(), user_id).await?;
    let recovery_codes_left = match factor {
        Some(_) => recovery_codes::left(db.conn(), user_id).await?,
        None => 0,
    };
    Ok(Status {
        enabled_at: factor.and_then(|f| f.confirmed_at),
        recovery_codes_left,
        required: required(db.conn(), &user).await?,
    })
}

/// Challenges that ended a day ago or more go, so the table holds only what can still matter.
pub(super) async fn sweep(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), ServiceError> {
    sign_in_challenge::Entity::delete_many()
        .filter(sign_in_challenge::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(conn)
        .await?;
    Ok(())
}

fn not_on(field: &str) -> ServiceError {
    ServiceError::invalid(field, UserErrorCode::NotFound, "two-factor sign-in is not on")
}

pub(super) fn notify_enabled(auth: &AuthConfig, email: &str, at: DateTime<Utc>) {
    notify(auth, email, at, Notice::Enabled);
}

pub(super) fn notify_recovery_code_used(auth: &AuthConfig, email: &str, at: DateTime<Utc>, left: u64) {
    notify(auth, email, at, Notice::RecoveryCodeUsed { left });
}

enum Notice {
    Enabled,
    Disabled,
    RecoveryCodeUsed { left: u64 },
}

fn notify(auth: &AuthConfig, email: &str, at: DateTime<Utc>, notice: Notice) {
    let when = at.format("%Y-%m-%d %H:%M");
    let (subject, what) = match notice {
        Notice::Enabled => (
            "Two-factor sign-in is on for your Springboard account".to_owned(),
            format!("Two-factor sign-in was turned on for the Springboard account {email} at {when} (UTC)."),
        ),
        Notice::Disabled => (
            "Two-factor sign-in was turned off for your Springboard account".to_owned(),
            format!("Two-factor sign-in was turned off for the Springboard account {email} at {when} (UTC)."),
        ),
        Notice::RecoveryCodeUsed { left } => (
            "A recovery code was used to sign in to Springboard".to_owned(),
            format!(
                "A recovery code was used to sign in to the Springboard account {email} at {when} (UTC); \
                 {left} unused codes are left. If you have lost your authenticator, enrol a new one."
            ),
        ),
    };
    auth.mailer.send(Outgoing {
        kind: MailKind::SecurityNotice,
        to: email.to_owned(),
        subject,
        body: format!(
            "{what}\n\nIf this was not you, reset your password now from the sign-in page and tell your \
             institution's administrator.\n"
        ),
    });
}
