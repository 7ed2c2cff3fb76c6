//! Sign-in lockout, per lower-cased email, stored in the database so every replica sees it.
//!
//! Every attempt is counted *before* its password is verified, by one statement that checks
//! the lock, increments and returns; so however many guesses arrive at once, at most the
//! threshold are ever verified. A success forgets the count, but never a lock that a
//! concurrent attempt set meanwhile.

use chrono::{DateTime, Duration, Utc};
use entity::sign_in_throttle::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::AuthConfig;
use crate::error::ServiceError;

/// What the lockout says about one sign-in attempt, before its password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Verify the password; this is the `number`th attempt in the current window.
    Allowed {
        number: i32,
    },
    Locked {
        until: DateTime<Utc>,
    },
}

fn col(column: Column) -> SimpleExpr {
    Expr::col((sign_in_throttle::Entity, column))
}

/// Counts the attempt and reports whether it may go ahead. Failures older than the lockout
/// period, or from before an expired lock, are forgotten first, so a typo a week ago does not
/// count towards today. An attempt beyond the threshold locks the email at once.
pub async fn claim(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    email: &str,
) -> Result<Attempt, ServiceError> {
    let window = Duration::seconds(auth.lockout_secs);
    let locked = col(Column::LockedUntil).gt(now);
    let forgotten = col(Column::LockedUntil).is_not_null().or(col(Column::UpdatedAt).lt(now - window));
    let count = Expr::case(locked.clone(), col(Column::Failures))
        .case(forgotten, Expr::val(1))
        .finally(col(Column::Failures).add(1));
    let lock = Expr::case(locked.clone(), col(Column::LockedUntil))
        .case(Into::<SimpleExpr>::into(count.clone()).gt(auth.lockout_threshold), Expr::val(now + window))
        .finally(Expr::val(Option::<DateTime<Utc>>::None));
    let touched = Expr::case(locked, col(Column::UpdatedAt)).finally(Expr::val(now));
    let statement = Query::insert()
        .into_table(sign_in_throttle::Entity)
        .columns([Column::Email, Column::Failures, Column::LockedUntil, Column::UpdatedAt])
        .values([email.into(), 1.into(), Expr::val(Option::<DateTime<Utc>>::None), now.into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::column(Column::Email)
                .value(Column::Failures, count)
                .value(Column::LockedUntil, lock)
                .value(Column::UpdatedAt, touched)
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Failures, Column::LockedUntil]))
        .to_owned();
    let row = conn
        .query_one(&statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the sign-in counter returned no row".into()))?;
    let number: i32 = row.try_get("", "failures")?;
    let locked_until: Option<DateTime<Utc>> = row.try_get("", "locked_until")?;
    Ok(match locked_until.filter(|until| *until > now) {
        Some(until) => {
            if number > auth.lockout_threshold {
                tracing::warn!(auth.lockout_until = %until, "sign-in locked after repeated failures");
            }
            Attempt::Locked { until }
        }
        None => Attempt::Allowed { number },
    })
}

/// The `number`th attempt failed: at the threshold the email is locked (unless a concurrent
/// attempt locked it already, whose lock stands), and the lock's end is returned.
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    email: &str,
    number: i32,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    if number < auth.lockout_threshold {
        return Ok(None);
    }
    let until = now + Duration::seconds(auth.lockout_secs);
    sign_in_throttle::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::val(until))
        .filter(Column::Email.eq(email))
        .filter(Column::LockedUntil.is_null().or(Column::LockedUntil.lte(now)))
        .exec(conn)
        .await?;
    tracing::warn!(auth.lockout_until = %until, "sign-in locked after repeated failures");
    let current = sign_in_throttle::Entity::find_by_id(email.to_owned()).one(conn).await?;
    Ok(Some(current.and_then(|row| row.locked_until).unwrap_or(until)))
}

/// Forgets the failures after a successful sign-in, unless a concurrent attempt locked the
/// email meanwhile.
pub async fn clear(conn: &impl ConnectionTrait, now: DateTime<Utc>, email: &str) -> Result<(), ServiceError> {
    sign_in_throttle::Entity::delete_many()
        .filter(Column::Email.eq(email))
        .filter(Column::LockedUntil.is_null().or(Column::LockedUntil.lte(now)))
        .exec(conn)
        .await?;
    Ok(())
}

/// What one password check under the lockout found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    Verified,
    /// Wrong (or no such account); `Some` when this failure locked the email.
    Wrong {
        locked_until: Option<DateTime<Utc>>,
    },
    /// Locked before the password was looked at.
    Locked {
        until: DateTime<Utc>,
    },
}

/// Checks `candidate` against the password hash of the account `find` looks up (none: checked
/// against a dummy hash so the answer takes as long) under the lockout for `email`: counted first,
/// before the account is even looked up, so that concurrent guesses are all counted before any
/// success can forget the count; verified only if not locked; the count forgotten on success.
/// Sign-in and a password change share it, so neither is a way around the other's limit. The
/// caller has refused over-long candidates (`password::within_limit`).
pub async fn check_password<T>(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    email: &str,
    candidate: &str,
    find: impl std::future::Future<Output = Result<Option<T>, ServiceError>>,
    hash_of: fn(&T) -> &str,
) -> Result<(Checked, Option<T>), ServiceError> {
    let attempt = match claim(conn, now, auth, email).await? {
        Attempt::Locked { until } => return Ok((Checked::Locked { until }, None)),
        Attempt::Allowed { number } => number,
    };
    let account = find.await?;
    auth.password_checks.inc();
    if super::password::verify(candidate, account.as_ref().map(hash_of)).await? {
        clear(conn, now, email).await?;
        return Ok((Checked::Verified, account));
    }
    let locked_until = record_failure(conn, now, auth, email, attempt).await?;
    Ok((Checked::Wrong { locked_until }, None))
}
