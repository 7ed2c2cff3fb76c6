//! Changing a password (signed in) and resetting a forgotten one (by a link sent by email).
//! Either way the new password must pass the password rules, and the sessions that existed
//! before end, their access tokens included: every other session after a change, every
//! session after a reset.

use chrono::{DateTime, Duration, Utc};
use entity::{password_reset, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::attempts::{self, Counted, Limit};
use super::opaque::{self, Kind};
use super::{AuthConfig, password, revoke, throttle};
use crate::actor::Actor;
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};
use crate::mail::{MailKind, Outgoing};
use crate::users::Email;

fn invalid_reset_token() -> ServiceError {
    ServiceError::invalid(
        "token",
        UserErrorCode::InvalidToken,
        "the reset link is invalid, expired or already used; ask for a new one",
    )
}

fn subject(user_id: Uuid) -> Subject {
    Subject { kind: "User", id: user_id }
}

/// Sets `new_password` for the signed-in user after checking `current_password`; every other
/// session of theirs ends. Wrong current passwords count towards the sign-in lockout, so this
/// is no way around it.
pub async fn change(
    db: &Db,
    auth: &AuthConfig,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
) -> Result<usize, ServiceError> {
    let user_id = actor.require_user()?;
    password::within_limit(current_password, "currentPassword")?;
    let db = &db.system();
    let user =
        user::Entity::find_by_id(user_id).one(db.conn()).await?.ok_or(ServiceError::Unauthenticated)?;
    // The account is known already; only the count comes first.
    let find = async { Ok(Some(user.password_hash.clone())) };
    let hash_of: fn(&String) -> &str = String::as_str;
    let (checked, _) =
        throttle::check_password(db.conn(), db.now(), auth, &user.email, current_password, find, hash_of)
            .await?;
    match checked {
        throttle::Checked::Verified => {}
        throttle::Checked::Locked { until } | throttle::Checked::Wrong { locked_until: Some(until) } => {
            return Err(attempts::too_many("currentPassword", "wrong passwords", until));
        }
        throttle::Checked::Wrong { locked_until: None } => {
            return Err(ServiceError::invalid(
                "currentPassword",
                UserErrorCode::InvalidCredentials,
                "is not your password",
            ));
        }
    }
    let new_password = auth
        .password_rules
        .check(new_password, "newPassword", &[&user.email, &user.name])
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    let hash = password::hash(new_password).await?;

    let now = db.now();
    let txn = db.begin().await?;
    set_hash(&txn, now, user.id, hash).await?;
    let keep = match actor.principal {
        crate::actor::Principal::User { session_id, .. } => session_id,
        crate::actor::Principal::ApiToken { .. } => None,
    };
    let families = revoke::end_sessions(&txn, now, user.id, None, keep).await?;
    audit::record(
        &txn,
        now,
        actor.into(),
        actor.institution.map(|i| i.id),
        "password.change",
        subject(user.id),
    )
    .await?;
    txn.commit().await?;
    auth.revocations.deny(&families, now).await;
    notify_changed(auth, &user.email, now);
    Ok(families.len())
}

/// Asks for a reset link for `email`. The answer is the same whether or not an account has
/// that email; only the owner of the mailbox learns more. Limited per email and per client
/// address, both counted before the account is looked up.
pub async fn request_reset(
    db: &Db,
    auth: &AuthConfig,
    email: &str,
    client: Option<std::net::IpAddr>,
) -> Result<(), ServiceError> {
    let db = &db.system();
    let email = Email::parse(email, "email").map_err(|e| ServiceError::Invalid(vec![e]))?;
    let now = db.now();
    let hour = Duration::hours(1);
    let per_email = Limit { attempts: auth.recovery.password_resets_per_email, window: hour };
    let per_client = Limit { attempts: auth.recovery.password_resets_per_client, window: hour };
    if let Some(client) = client
        && let Counted::Refused { until } =
            attempts::count(db.conn(), now, &format!("reset:client:{client}"), per_client).await?
    {
        return Err(attempts::too_many("email", "password resets from this address", until));
    }
    if let Counted::Refused { until } =
        attempts::count(db.conn(), now, &format!("reset:email:{}", email.as_str()), per_email).await?
    {
        return Err(attempts::too_many("email", "password resets for this email", until));
    }
    sweep(db.conn(), now).await?;
    let Some(user) = crate::users::service::find_by_email(db.conn(), &email).await? else {
        tracing::info!("password reset asked for an unknown email");
        return Ok(());
    };
    let minted = opaque::mint(Kind::PasswordReset);
    let ttl = Duration::seconds(auth.recovery.password_reset_ttl_secs);
    let txn = db.begin().await?;
    password_reset::Entity::insert(password_reset::ActiveModel {
        id: Set(minted.id),
        user_id: Set(user.id),
        secret_hash: Set(minted.hash),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    audit::record(&txn, now, AuditActor::user(user.id), None, "password.reset_request", subject(user.id))
        .await?;
    txn.commit().await?;
    let link = auth.mailer.link("reset-password", &minted.token);
    let minutes = ttl.num_minutes();
    auth.mailer.send(Outgoing {
        kind: MailKind::PasswordReset,
        to: user.email.clone(),
        subject: "Reset your Springboard password".into(),
        body: format!(
            "Someone, hopefully you, asked to reset the password of the Springboard account {email}.\n\n\
             To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n\
             The link works once. If you did not ask, ignore this message: your password stays as it is.\n",
            email = user.email,
        ),
    });
    Ok(())
}

/// Sets a new password with a reset token: the token is spent, every session of the user ends,
/// and failed sign-ins are forgotten (a locked-out person has just proved who they are).
pub async fn reset(
    db: &Db,
    auth: &AuthConfig,
    token: &str,
    new_password: &str,
) -> Result<Uuid, ServiceError> {
    let db = &db.system();
    let now = db.now();
    let (id, secret) = opaque::parse(Kind::PasswordReset, token.trim()).ok_or_else(invalid_reset_token)?;
    let row = password_reset::Entity::find_by_id(id).one(db.conn()).await?.ok_or_else(invalid_reset_token)?;
    if !opaque::verify(&secret, &row.secret_hash) || row.used_at.is_some() || row.expires_at <= now {
        return Err(invalid_reset_token());
    }
    let user = user::Entity::find_by_id(row.user_id).one(db.conn()).await?.ok_or_else(invalid_reset_token)?;
    let new_password = auth
        .password_rules
        .check(new_password, "newPassword", &[&user.email, &user.name])
        .map_err(|e| ServiceError::Invalid(vec![e]))?;
    let hash = password::hash(new_password).await?;

    let txn = db.begin().await?;
    // Spent here, conditionally: of two concurrent uses only one finds it unused.
    let spent = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::val(now))
        .filter(password_reset::Column::Id.eq(row.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid_reset_token());
    }
    // Any other link still out there stops working too.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::val(now))
        .filter(password_reset::Column::UserId.eq(user.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    set_hash(&txn, now, user.id, hash).await?;
    let families = revoke::end_sessions(&txn, now, user.id, None, None).await?;
    throttle::clear(&txn, now, &user.email).await?;
    audit::record(&txn, now, AuditActor::user(user.id), None, "password.reset", subject(user.id)).await?;
    txn.commit().await?;
    auth.revocations.deny(&families, now).await;
    notify_changed(auth, &user.email, now);
    Ok(user.id)
}

/// Keeps the counters and tokens to what can still matter: windows that ended, and reset tokens
/// a day past their expiry, go. Both tables stay small (an hour's requests), so this costs little
/// beside the request that triggers it.
async fn sweep(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), ServiceError> {
    attempts::sweep(conn, now).await?;
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(conn)
        .await?;
    Ok(())
}

async fn set_hash(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    hash: String,
) -> Result<(), ServiceError> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::val(hash))
        .col_expr(user::Column::UpdatedAt, Expr::val(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

fn notify_changed(auth: &AuthConfig, email: &str, at: DateTime<Utc>) {
    auth.mailer.send(Outgoing {
        kind: MailKind::SecurityNotice,
        to: email.to_owned(),
        subject: "Your Springboard password was changed".into(),
        body: format!(
            "The password of the Springboard account {email} was changed at {} (UTC), and every \
             other session of the account was signed out.\n\nIf this was not you, reset your password \
             now from the sign-in page and tell your institution's administrator.\n",
            at.format("%Y-%m-%d %H:%M"),
        ),
    });
}
