//! Fixed-window attempt counters in the database, so that every replica counts together: how
//! often a password reset may be asked for per email and per client address, and how many
//! wrong second-factor codes a sign-in may try. One statement counts the attempt and returns
//! the count, so concurrent attempts cannot all slip under the limit.

use chrono::{DateTime, Duration, Utc};
use entity::attempt_window::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::error::{ServiceError, UserErrorCode};

/// At most `attempts` in any `window`, counted per key.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub attempts: i32,
    pub window: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Allowed,
    /// Over the limit until then.
    Refused {
        until: DateTime<Utc>,
    },
}

fn col(column: Column) -> SimpleExpr {
    Expr::col((attempt_window::Entity, column))
}

/// Counts one attempt under `key` (what is limited and for whom: no secrets) and says whether
/// it is within `limit`. A window that has ended starts again at one.
pub async fn count(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    key: &str,
    limit: Limit,
) -> Result<Counted, ServiceError> {
    let ended = col(Column::EndsAt).lte(now);
    let attempts = Expr::case(ended.clone(), Expr::val(1)).finally(col(Column::Attempts).add(1));
    let ends_at = Expr::case(ended, Expr::val(now + limit.window)).finally(col(Column::EndsAt));
    let statement = Query::insert()
        .into_table(attempt_window::Entity)
        .columns([Column::Key, Column::Attempts, Column::EndsAt])
        .values([key.into(), 1.into(), (now + limit.window).into()])
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::column(Column::Key)
                .value(Column::Attempts, attempts)
                .value(Column::EndsAt, ends_at)
                .to_owned(),
        )
        .returning(Query::returning().columns([Column::Attempts, Column::EndsAt]))
        .to_owned();
    let row = conn
        .query_one(&statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the attempt counter returned no row".into()))?;
    let attempts: i32 = row.try_get("", "attempts")?;
    let ends_at: DateTime<Utc> = row.try_get("", "ends_at")?;
    Ok(if attempts > limit.attempts { Counted::Refused { until: ends_at } } else { Counted::Allowed })
}

/// Removes windows that ended before `now`, so the table holds only live counters.
pub async fn sweep(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, ServiceError> {
    let removed = attempt_window::Entity::delete_many().filter(Column::EndsAt.lte(now)).exec(conn).await?;
    Ok(removed.rows_affected)
}

/// The user error for a refused attempt, naming when to try again.
pub fn too_many(field: &str, what: &str, until: DateTime<Utc>) -> ServiceError {
    ServiceError::invalid(
        field,
        UserErrorCode::TooManyAttempts,
        format!(
            "too many {what}; try again after {}",
            until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
    )
}
