//! Sign-in lockout, per lower-cased email, stored in the database so every replica sees it.

use chrono::{DateTime, Duration, Utc};
use entity::sign_in_throttle::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::AuthConfig;
use crate::error::ServiceError;

/// When the email is locked, until when.
pub async fn locked_until(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    email: &str,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let row = sign_in_throttle::Entity::find_by_id(email.to_owned()).one(conn).await?;
    Ok(row.and_then(|r| r.locked_until).filter(|until| *until > now))
}

/// Counts a failure and locks the email once the threshold is reached. Failures older than the
/// lockout period are forgotten first, so a typo a week ago does not count towards today.
pub async fn record_failure(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    email: &str,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let window = Duration::seconds(auth.lockout_secs);
    sign_in_throttle::Entity::delete_many()
        .filter(Column::Email.eq(email))
        .filter(Column::UpdatedAt.lt(now - window))
        .exec(conn)
        .await?;
    sign_in_throttle::Entity::insert(sign_in_throttle::ActiveModel {
        email: Set(email.to_owned()),
        failures: Set(1),
        locked_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(Column::Email)
            .value(Column::Failures, Expr::col((sign_in_throttle::Entity, Column::Failures)).add(1))
            .value(Column::UpdatedAt, Expr::val(now))
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    let failures =
        sign_in_throttle::Entity::find_by_id(email.to_owned()).one(conn).await?.map_or(0, |r| r.failures);
    if failures < auth.lockout_threshold {
        return Ok(None);
    }
    let until = now + window;
    sign_in_throttle::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::val(until))
        .col_expr(Column::Failures, Expr::val(0))
        .filter(Column::Email.eq(email))
        .exec(conn)
        .await?;
    tracing::warn!(auth.lockout_until = %until, "sign-in locked after repeated failures");
    Ok(Some(until))
}

pub async fn clear(conn: &impl ConnectionTrait, email: &str) -> Result<(), ServiceError> {
    sign_in_throttle::Entity::delete_by_id(email.to_owned()).exec(conn).await?;
    Ok(())
}
