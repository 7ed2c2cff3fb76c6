//! `Authorization: Bearer …` to `Actor`. A JWT names a user and an institution; the role is read
//! from the database on every request so that a changed role or a removed member takes effect
//! at once, not when the token expires. A token whose session was ended (sign-out, reuse, a
//! password change) is refused through the deny-list, before any SQL.

use chrono::Duration;
use entity::api_token::{self, TokenScope};
use entity::membership::{self, Role};
use entity::user;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, JoinType, Query};
use sea_orm::{ActiveValue::Set, EntityTrait, FromQueryResult};

use super::AuthConfig;
use super::opaque::{self, Kind};
use super::revocation::{self, Verdict};
use crate::actor::{ActiveInstitution, Actor, Principal};
use crate::db::Db;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header must be `Bearer <token>`")]
    MalformedHeader,
    #[error("the token is invalid, expired or revoked")]
    InvalidToken,
    #[error("authentication failed unexpectedly")]
    Internal(#[from] sea_orm::DbErr),
}

/// Last-use times are written at most this often per token, to keep reads cheap.
const LAST_USED_GRANULARITY_SECS: i64 = 60;

pub async fn authenticate(
    db: &Db,
    auth: &AuthConfig,
    header: Option<&str>,
) -> Result<Option<Actor>, AuthError> {
    let Some(header) = header else { return Ok(None) };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::MalformedHeader)?;
    if opaque::looks_like(Kind::ApiToken, token) {
        api_token_actor(db, token).await.map(Some)
    } else {
        jwt_actor(db, auth, token).await.map(Some)
    }
}

/// What a request needs of the signed-in user, read in one statement: the role comes from the
/// membership now, not from the token, and the password hash is never read.
#[derive(Debug, FromQueryResult)]
struct Standing {
    is_platform_admin: bool,
    role: Option<Role>,
}

async fn jwt_actor(db: &Db, auth: &AuthConfig, token: &str) -> Result<Actor, AuthError> {
    let claims = auth.keys.verify(token, db.now(), auth.access_ttl_secs).ok_or(AuthError::InvalidToken)?;
    let revoked = match auth.revocations.verdict(claims.sid, db.now()).await {
        Verdict::Denied => true,
        Verdict::NotDenied => false,
        Verdict::Unknown => revocation::is_revoked_in_database(db.conn(), claims.sid).await?,
    };
    if revoked {
        return Err(AuthError::InvalidToken);
    }
    let mut query = Query::select();
    query
        .column((user::Entity, user::Column::IsPlatformAdmin))
        .from(user::Entity)
        .and_where(Expr::col((user::Entity, user::Column::Id)).eq(claims.sub));
    match claims.inst {
        Some(institution_id) => query.column((membership::Entity, membership::Column::Role)).join(
            JoinType::LeftJoin,
            membership::Entity,
            Condition::all()
                .add(
                    Expr::col((membership::Entity, membership::Column::UserId))
                        .equals((user::Entity, user::Column::Id)),
                )
                .add(Expr::col((membership::Entity, membership::Column::InstitutionId)).eq(institution_id)),
        ),
        None => query.expr_as(Expr::val(Option::<String>::None), Alias::new("role")),
    };
    let standing = Standing::find_by_statement(db.backend().build(&query))
        .one(db.conn())
        .await?
        .ok_or(AuthError::InvalidToken)?;
    let institution = match (claims.inst, standing.role) {
        (None, _) => None,
        (Some(id), Some(role)) => Some(ActiveInstitution { id, role }),
        // The membership was removed since the token was issued.
        (Some(_), None) => return Err(AuthError::InvalidToken),
    };
    Ok(Actor {
        principal: Principal::User {
            user_id: claims.sub,
            is_platform_admin: standing.is_platform_admin,
            session_id: Some(claims.sid),
        },
        institution,
    })
}

async fn api_token_actor(db: &Db, token: &str) -> Result<Actor, AuthError> {
    let (id, secret) = opaque::parse(Kind::ApiToken, token).ok_or(AuthError::InvalidToken)?;
    let row = api_token::Entity::find_by_id(id).one(db.conn()).await?;
    // Hash even when the id is unknown so both paths cost the same.
    let stored = row.as_ref().map(|r| r.secret_hash.as_slice()).unwrap_or(&[0u8; 32]);
    let secret_ok = opaque::verify(&secret, stored);
    let row = row.filter(|_| secret_ok).ok_or(AuthError::InvalidToken)?;
    let now = db.now();
    if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
        return Err(AuthError::InvalidToken);
    }
    if row.last_used_at.is_none_or(|at| now - at > Duration::seconds(LAST_USED_GRANULARITY_SECS)) {
        api_token::Entity::update(api_token::ActiveModel {
            id: Set(row.id),
            last_used_at: Set(Some(now)),
            ..Default::default()
        })
        .exec(db.conn())
        .await?;
    }
    // A token acts with the powers of the role its scope corresponds to, never an admin's.
    let role = match row.scope {
        TokenScope::Read => Role::Viewer,
        TokenScope::ReadWrite => Role::Member,
    };
    Ok(Actor {
        principal: Principal::ApiToken { token_id: row.id, scope: row.scope },
        institution: Some(ActiveInstitution { id: row.institution_id, role }),
    })
}
