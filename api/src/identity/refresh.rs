//! Refresh-token rotation. Each use spends the token and issues its successor in the same
//! family. A spent token presented again is either a second browser tab that refreshed at the
//! same moment (within the grace window: it gets the same successor, see `successor`) or a
//! copy (after the window: the whole family is revoked, access tokens included, and its holder
//! must sign in again).

use chrono::Duration;
use entity::{refresh_token, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::opaque::{self, Kind, Minted};
use super::sessions::{Session, invalid_refresh_token, issue, membership_of};
use super::{AuthConfig, revoke, successor};
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::ServiceError;

async fn find(db: &Db, id: Uuid, secret: &str) -> Result<refresh_token::Model, ServiceError> {
    let row = refresh_token::Entity::find_by_id(id).one(db.conn()).await?;
    row.filter(|r| opaque::verify(secret, &r.secret_hash)).ok_or_else(invalid_refresh_token)
}

/// Spends `token` and issues its successor.
pub async fn refresh(db: &Db, auth: &AuthConfig, token: &str) -> Result<Session, ServiceError> {
    // Identity flow: it finds the user before anyone is known (see `db::wall`).
    let db = &db.system();
    let (id, secret) = opaque::parse(Kind::RefreshToken, token).ok_or_else(invalid_refresh_token)?;
    let row = find(db, id, &secret).await?;
    let now = db.now();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(invalid_refresh_token());
    }
    if row.used_at.is_some() {
        return used_again(db, auth, row, &secret).await;
    }
    let successor_secret =
        successor::secret(&auth.keys, row.id, &secret).ok_or_else(|| ServiceError::internal(NoSigningKey))?;
    let successor_id = Uuid::now_v7();
    let successor = Minted {
        id: successor_id,
        token: opaque::assemble(Kind::RefreshToken, successor_id, &successor_secret),
        hash: opaque::digest(&successor_secret),
    };
    let txn = db.begin().await?;
    // Conditional on `used_at IS NULL` so that of two concurrent uses only one spends the
    // token; the other waits for it to commit, then finds its successor.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::val(now))
        .col_expr(refresh_token::Column::SuccessorId, Expr::val(successor.id))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected == 0 {
        txn.rollback().await?;
        let row = find(db, id, &secret).await?;
        return used_again(db, auth, row, &secret).await;
    }
    let user = user::Entity::find_by_id(row.user_id).one(&txn).await?.ok_or_else(invalid_refresh_token)?;
    // The membership may have been removed since sign-in.
    if let Some(institution_id) = row.institution_id {
        membership_of(&txn, user.id, institution_id, "refreshToken")
            .await
            .map_err(|_| invalid_refresh_token())?;
    }
    let session = issue(&txn, now, auth, user, row.institution_id, row.family_id, successor).await?;
    txn.commit().await?;
    Ok(session)
}

#[derive(Debug, thiserror::Error)]
#[error("no JWT signing key to derive a refresh token's successor from")]
struct NoSigningKey;

/// A spent token again: the same successor within the grace window, else the end of the family.
async fn used_again(
    db: &Db,
    auth: &AuthConfig,
    row: refresh_token::Model,
    secret: &str,
) -> Result<Session, ServiceError> {
    let now = db.now();
    let grace = Duration::seconds(auth.refresh_grace_secs);
    match (row.used_at, row.successor_id) {
        (Some(used_at), Some(successor_id)) if row.revoked_at.is_none() && now - used_at < grace => {
            same_successor(db, auth, &row, successor_id, secret).await
        }
        _ if row.revoked_at.is_some() => Err(invalid_refresh_token()),
        _ => {
            let txn = db.begin().await?;
            revoke::revoke_families(&txn, &[row.family_id], now).await?;
            audit::record(
                &txn,
                now,
                AuditActor::user(row.user_id),
                row.institution_id,
                "session.refresh_reuse_detected",
                Subject { kind: "User", id: row.user_id },
            )
            .await?;
            txn.commit().await?;
            auth.revocations.deny(&[row.family_id], now).await;
            tracing::warn!(user.id = %row.user_id, "refresh token reused; session family revoked");
            Err(invalid_refresh_token())
        }
    }
}

/// The successor issued when `used` was spent, recomputed from the secret just presented, with
/// a fresh access token. Nothing is written: the second tab holds what the first one got.
async fn same_successor(
    db: &Db,
    auth: &AuthConfig,
    used: &refresh_token::Model,
    successor_id: Uuid,
    used_secret: &str,
) -> Result<Session, ServiceError> {
    let now = db.now();
    let next = refresh_token::Entity::find_by_id(successor_id).one(db.conn()).await?;
    let next = next.filter(|n| n.revoked_at.is_none()).ok_or_else(invalid_refresh_token)?;
    let secret = successor::recover(&auth.keys, used.id, used_secret, &next.secret_hash)
        .ok_or_else(invalid_refresh_token)?;
    let user =
        user::Entity::find_by_id(used.user_id).one(db.conn()).await?.ok_or_else(invalid_refresh_token)?;
    if let Some(institution_id) = used.institution_id {
        membership_of(db.conn(), user.id, institution_id, "refreshToken")
            .await
            .map_err(|_| invalid_refresh_token())?;
    }
    let (access_token, access_token_expires_at) = auth
        .keys
        .sign(user.id, used.institution_id, used.family_id, now, auth.access_ttl_secs)
        .map_err(ServiceError::internal)?;
    Ok(Session {
        access_token,
        access_token_expires_at,
        refresh_token: opaque::assemble(Kind::RefreshToken, next.id, &secret),
        refresh_token_expires_at: next.expires_at,
        user,
        institution_id: used.institution_id,
    })
}
