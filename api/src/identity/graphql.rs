use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::context::auth;
use crate::graphql::{GlobalId, NodeKind, UserError, actor, outcome, request};
use crate::identity::refresh;
use crate::identity::sessions::{self, Session, SignedIn};
use crate::identity::two_factor_graphql::SignInChallenge;
use crate::users::graphql::User;

/// Credentials for the next requests. Send `accessToken` as `Authorization: Bearer …`; when it
/// expires, trade `refreshToken` for a new pair with `refreshToken`. Each refresh token works
/// once (a second use within a few seconds gets the same new refresh token, for browser tabs
/// that refresh together).
#[derive(SimpleObject)]
pub struct AuthTokens {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    /// Always `Bearer`.
    pub token_type: String,
}

#[derive(SimpleObject)]
pub struct SessionPayload {
    /// Null when a second step is due (`challenge`) or on error.
    pub tokens: Option<AuthTokens>,
    pub user: Option<User>,
    /// The institution the tokens act within.
    pub institution_id: Option<ID>,
    /// `signIn` only: set, instead of `tokens`, when the account signs in with a second factor
    /// (or must enrol one); answer it with `completeSignIn`.
    pub challenge: Option<SignInChallenge>,
    pub user_errors: Vec<UserError>,
}

impl SessionPayload {
    /// A sign-in's outcome: tokens, or the challenge of a second step.
    pub(crate) fn of((signed_in, user_errors): (Option<SignedIn>, Vec<UserError>)) -> Self {
        match signed_in {
            Some(SignedIn::Session(session)) => Self::from(Some(session), user_errors),
            Some(SignedIn::Challenge(challenge)) => {
                Self { challenge: Some(challenge.into()), ..Self::from(None, user_errors) }
            }
            None => Self::from(None, user_errors),
        }
    }

    pub(crate) fn from(session: Option<Session>, user_errors: Vec<UserError>) -> Self {
        match session {
            None => Self { tokens: None, user: None, institution_id: None, challenge: None, user_errors },
            Some(s) => Self {
                tokens: Some(AuthTokens {
                    access_token: s.access_token,
                    access_token_expires_at: s.access_token_expires_at,
                    refresh_token: s.refresh_token,
                    refresh_token_expires_at: s.refresh_token_expires_at,
                    token_type: "Bearer".to_owned(),
                }),
                institution_id: s.institution_id.map(|id| GlobalId::encode(NodeKind::Institution, id)),
                user: Some(User(s.user)),
                challenge: None,
                user_errors,
            },
        }
    }
}

#[derive(InputObject)]
pub struct SignInInput {
    pub email: String,
    /// At most 256 characters, as when a password is set; a longer one is refused
    /// (`INVALID`) without being checked or counted towards the lockout.
    pub password: String,
    /// The institution to act within; by default the one you joined first.
    pub institution_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RefreshTokenInput {
    pub refresh_token: String,
}

#[derive(InputObject)]
pub struct SwitchInstitutionInput {
    pub institution_id: ID,
}

#[derive(InputObject)]
pub struct SignOutInput {
    pub refresh_token: String,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    pub signed_out: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Unknown emails and wrong passwords get the same answer. After repeated failures the email
    /// is locked for a while (`ACCOUNT_LOCKED`). For an account with two-factor sign-in on (or
    /// one that must enrol it), a right password gives `challenge` instead of `tokens`: answer it
    /// with `completeSignIn`.
    async fn sign_in(&self, ctx: &Context<'_>, input: SignInInput) -> async_graphql::Result<SessionPayload> {
        let db = &request(ctx)?.db;
        let result = match input
            .institution_id
            .as_ref()
            .map(|id| GlobalId::require(id, NodeKind::Institution, "institutionId"))
        {
            Some(Err(e)) => Err(e),
            parsed => {
                let institution_id = parsed.and_then(Result::ok);
                let input = sessions::SignIn { email: input.email, password: input.password, institution_id };
                sessions::sign_in(db, auth(ctx)?, input).await
            }
        };
        Ok(SessionPayload::of(outcome(ctx, result)?))
    }

    /// Trades a refresh token for a new pair. Presenting one that was already used signs that
    /// session out everywhere, its access tokens included, unless it comes within a few seconds
    /// of that use (two browser tabs refreshing together): then it gets the same new refresh
    /// token as the first use did.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshTokenInput,
    ) -> async_graphql::Result<SessionPayload> {
        let db = &request(ctx)?.db;
        let (session, user_errors) =
            outcome(ctx, refresh::refresh(db, auth(ctx)?, &input.refresh_token).await)?;
        Ok(SessionPayload::from(session, user_errors))
    }

    /// New tokens acting within another institution you belong to.
    async fn switch_institution(
        &self,
        ctx: &Context<'_>,
        input: SwitchInstitutionInput,
    ) -> async_graphql::Result<SessionPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.institution_id, NodeKind::Institution, "institutionId") {
            Ok(id) => sessions::switch_institution(db, auth(ctx)?, actor, id).await,
            Err(e) => Err(e),
        };
        let (session, user_errors) = outcome(ctx, result)?;
        Ok(SessionPayload::from(session, user_errors))
    }

    /// Ends the session the refresh token belongs to: its refresh tokens and the access tokens
    /// issued with them stop working at once.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        input: SignOutInput,
    ) -> async_graphql::Result<SignOutPayload> {
        let db = &request(ctx)?.db;
        let (done, user_errors) =
            outcome(ctx, sessions::sign_out(db, auth(ctx)?, &input.refresh_token).await)?;
        Ok(SignOutPayload { signed_out: done.is_some(), user_errors })
    }
}
