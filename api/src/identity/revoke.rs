//! Ending sessions: in the database first (the refresh tokens of a family are revoked, so the
//! family cannot be refreshed), then on the deny-list (`Revocations::deny`, after the
//! transaction commits), so that its access tokens are refused from then on, on every replica.

use chrono::{DateTime, Utc};
use entity::refresh_token::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::revocation::Revocations;
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::ServiceError;

/// Revokes every refresh token of `families`.
pub async fn revoke_families(
    conn: &impl ConnectionTrait,
    families: &[Uuid],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if families.is_empty() {
        return Ok(());
    }
    refresh_token::Entity::update_many()
        .col_expr(Column::RevokedAt, Expr::val(now))
        .filter(Column::FamilyId.is_in(families.iter().copied()))
        .filter(Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the user's live sessions (those acting within `institution`, or all of them) but
/// `keep`, in the database, within the caller's transaction, and returns their families: hand
/// them to `Revocations::deny` once that transaction has committed.
///
/// A family is live while it has a refresh token that is neither revoked nor expired; every
/// access token still valid was issued with such a token (refresh tokens outlive access tokens
/// by far), so these families cover every access token still in use.
pub async fn end_sessions(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    user_id: Uuid,
    institution: Option<Uuid>,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, ServiceError> {
    let mut live = refresh_token::Entity::find()
        .select_only()
        .column(Column::FamilyId)
        .distinct()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now));
    if let Some(institution_id) = institution {
        live = live.filter(Column::InstitutionId.eq(institution_id));
    }
    if let Some(kept) = keep {
        live = live.filter(Column::FamilyId.ne(kept));
    }
    let families: Vec<Uuid> = live.into_tuple().all(conn).await?;
    revoke_families(conn, &families, now).await?;
    Ok(families)
}

/// Signs the user out everywhere: every refresh token and every access token of theirs stops
/// working at once, on every replica. For a password change or reset, or an account that must
/// be shut out; audited as `session.end_all`. Returns how many sessions were ended.
pub async fn end_every_session(
    db: &Db,
    revocations: &Revocations,
    user_id: Uuid,
) -> Result<usize, ServiceError> {
    // Identity flow: a person's sessions, whoever asks (see `db::wall`).
    let db = &db.system();
    let now = db.now();
    let txn = db.begin().await?;
    let families = end_sessions(&txn, now, user_id, None, None).await?;
    let subject = Subject { kind: "User", id: user_id };
    audit::record(&txn, now, AuditActor::user(user_id), None, "session.end_all", subject).await?;
    txn.commit().await?;
    revocations.deny(&families, now).await;
    Ok(families.len())
}
