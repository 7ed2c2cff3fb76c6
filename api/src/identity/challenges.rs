//! The second step of a sign-in. A right password for an account with an authenticator (or
//! one that must enrol) opens a challenge instead of a session: a single-use secret that lives
//! a few minutes and survives a few wrong codes. `complete` trades it and a code for the same
//! session a password alone would have given.

use chrono::{DateTime, Duration, Utc};
use entity::sign_in_challenge::{self, ChallengeStep};
use entity::{totp_factor, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::opaque::{self, Kind};
use super::sessions::{self, Session};
use super::two_factor::{self, Checked, Enrolment};
use super::{AuthConfig, recovery_codes};
use crate::audit::{self, Subject, service::AuditActor};
use crate::db::Db;
use crate::error::{ServiceError, UserErrorCode};

/// Wrong codes one challenge survives; after them, sign in again.
pub const MAX_WRONG_CODES: i32 = 5;

/// What `signIn` hands out instead of tokens when a second step is due.
pub struct Challenge {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub step: ChallengeStep,
    /// For `Enrol`: the authenticator to set up before answering.
    pub enrolment: Option<Enrolment>,
}

/// A completed second step: the session, and the recovery codes when it enrolled.
pub struct Completed {
    pub session: Session,
    pub recovery_codes: Option<Vec<String>>,
}

fn invalid_challenge() -> ServiceError {
    ServiceError::invalid(
        "challenge",
        UserErrorCode::InvalidToken,
        "the sign-in challenge is invalid, expired or already used; sign in again",
    )
}

pub(super) async fn open(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    auth: &AuthConfig,
    user: &user::Model,
    institution_id: Option<Uuid>,
    step: ChallengeStep,
) -> Result<Challenge, ServiceError> {
    two_factor::sweep(conn, now).await?;
    let enrolment = match step {
        ChallengeStep::Enrol => Some(two_factor::begin(conn, now, auth, user).await?),
        ChallengeStep::Code => None,
    };
    let minted = opaque::mint(Kind::SignInChallenge);
    let expires_at = now + Duration::seconds(auth.two_factor.two_factor_challenge_ttl_secs);
    sign_in_challenge::Entity::insert(sign_in_challenge::ActiveModel {
        id: Set(minted.id),
        user_id: Set(user.id),
        institution_id: Set(institution_id),
        secret_hash: Set(minted.hash),
        step: Set(step),
        failed_codes: Set(0),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(Challenge { token: minted.token, expires_at, step, enrolment })
}

/// Answers a challenge with a code from the authenticator or, for `Code` challenges, a
/// recovery code. An enrolment challenge's first code turns two-factor sign-in on.
pub async fn complete(
    db: &Db,
    auth: &AuthConfig,
    token: &str,
    code: &str,
) -> Result<Completed, ServiceError> {
    // Identity flow: no one is signed in yet (see `db::wall`).
    let db = &db.system();
    let now = db.now();
    let (id, secret) = opaque::parse(Kind::SignInChallenge, token.trim()).ok_or_else(invalid_challenge)?;
    let challenge =
        sign_in_challenge::Entity::find_by_id(id).one(db.conn()).await?.ok_or_else(invalid_challenge)?;
    let live =
        challenge.used_at.is_none() && challenge.expires_at > now && challenge.failed_codes < MAX_WRONG_CODES;
    if !opaque::verify(&secret, &challenge.secret_hash) || !live {
        return Err(invalid_challenge());
    }
    let user =
        user::Entity::find_by_id(challenge.user_id).one(db.conn()).await?.ok_or_else(invalid_challenge)?;
    let factor = totp_factor::Entity::find_by_id(user.id).one(db.conn()).await?;
    let factor = factor
        .filter(|f| f.confirmed_at.is_some() == (challenge.step == ChallengeStep::Code))
        .ok_or_else(invalid_challenge)?;
    let recovery = challenge.step == ChallengeStep::Code;
    let checked = match two_factor::check(db.conn(), now, auth, &factor, code, recovery, "code").await {
        Ok(checked) => checked,
        Err(e) => {
            count_wrong(db.conn(), challenge.id).await?;
            return Err(e);
        }
    };

    let txn = db.begin().await?;
    // Spent here, conditionally: of two concurrent answers only one finds it unused.
    let spent = sign_in_challenge::Entity::update_many()
        .col_expr(sign_in_challenge::Column::UsedAt, Expr::val(now))
        .filter(sign_in_challenge::Column::Id.eq(challenge.id))
        .filter(sign_in_challenge::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid_challenge());
    }
    let recovery_codes = match challenge.step {
        ChallengeStep::Enrol => {
            let codes = two_factor::turn_on(&txn, now, user.id).await?;
            let actor = AuditActor::user(user.id);
            let subject = Subject { kind: "User", id: user.id };
            audit::record(&txn, now, actor, challenge.institution_id, "two_factor.enable", subject).await?;
            Some(codes)
        }
        ChallengeStep::Code => None,
    };
    let codes_left = match checked {
        Checked::RecoveryCode => {
            let actor = AuditActor::user(user.id);
            let subject = Subject { kind: "User", id: user.id };
            let action = "two_factor.recovery_code_used";
            audit::record(&txn, now, actor, challenge.institution_id, action, subject).await?;
            Some(recovery_codes::left(&txn, user.id).await?)
        }
        Checked::Totp => None,
    };
    let email = user.email.clone();
    let session = sessions::start(&txn, now, auth, user, challenge.institution_id).await?;
    txn.commit().await?;
    if recovery_codes.is_some() {
        two_factor::notify_enabled(auth, &email, now);
    }
    if let Some(left) = codes_left {
        two_factor::notify_recovery_code_used(auth, &email, now, left);
    }
    Ok(Completed { session, recovery_codes })
}

async fn count_wrong(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), ServiceError> {
    let failed = Expr::col((sign_in_challenge::Entity, sign_in_challenge::Column::FailedCodes));
    sign_in_challenge::Entity::update_many()
        .col_expr(sign_in_challenge::Column::FailedCodes, failed.add(1))
        .filter(sign_in_challenge::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
