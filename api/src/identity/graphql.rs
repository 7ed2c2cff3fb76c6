use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::graphql::context::auth;
use crate::graphql::{GlobalId, Instant, NodeKind, UserError, actor, outcome, request};
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
    /// A signed JWT naming the person and the institution they act within; send it as
    /// `Authorization: Bearer …`.
    pub access_token: String,
    /// When `accessToken` stops working (UTC): 15 minutes after it was issued unless the
    /// deployment says otherwise.
    pub access_token_expires_at: Instant,
    /// An opaque, single-use secret: trade it with `refreshToken` for a new pair, or pass it to
    /// `signOut`. Keep it out of reach of scripts where you can.
    pub refresh_token: String,
    /// When `refreshToken` stops working (UTC): 30 days after it was issued unless the
    /// deployment says otherwise.
    pub refresh_token_expires_at: Instant,
    /// Always `Bearer`.
    pub token_type: String,
}

/// The outcome of `signIn`, `refreshToken`, `switchInstitution` and `completeSingleSignOn`: new
/// tokens, or (for a sign-in whose account needs a second factor) a `challenge`.
#[derive(SimpleObject)]
pub struct SessionPayload {
    /// Null when a second step is due (`challenge`) or on error.
    pub tokens: Option<AuthTokens>,
    /// The person the tokens are for; null whenever `tokens` is null.
    pub user: Option<User>,
    /// The institution the tokens act within.
    pub institution_id: Option<ID>,
    /// `signIn` only: set, instead of `tokens`, when the account signs in with a second factor
    /// (or must enrol one); answer it with `completeSignIn`.
    pub challenge: Option<SignInChallenge>,
    /// Problems with the input; empty on success.
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
                    access_token_expires_at: s.access_token_expires_at.into(),
                    refresh_token: s.refresh_token,
                    refresh_token_expires_at: s.refresh_token_expires_at.into(),
                    token_type: "Bearer".to_owned(),
                }),
                institution_id: s.institution_id.map(|id| GlobalId::encode(NodeKind::Institution, id)),
                user: Some(User::signed_in(s.user)),
                challenge: None,
                user_errors,
            },
        }
    }
}

/// A password sign-in.
#[derive(InputObject)]
pub struct SignInInput {
    /// The account's email address, compared case-insensitively. Blank is `REQUIRED`; any
    /// other address that is not an account's gets `INVALID_CREDENTIALS`, as a wrong password does.
    pub email: String,
    /// At most 256 characters, as when a password is set; a longer one is refused
    /// (`INVALID`) without being checked or counted towards the lockout.
    pub password: String,
    /// The institution to act within; by default the one you joined first.
    pub institution_id: Option<ID>,
}

/// The refresh token to trade for a new pair.
#[derive(InputObject)]
pub struct RefreshTokenInput {
    /// The session's latest refresh token (`AuthTokens.refreshToken`).
    pub refresh_token: String,
}

/// The institution to act within next.
#[derive(InputObject)]
pub struct SwitchInstitutionInput {
    /// The ID of an institution the signed-in person belongs to (`viewer.memberships`);
    /// `NOT_FOUND` for any other.
    pub institution_id: ID,
}

/// The session to end.
#[derive(InputObject)]
pub struct SignOutInput {
    /// A refresh token the session was given, spent or not.
    pub refresh_token: String,
}

/// The outcome of `signOut`.
#[derive(SimpleObject)]
pub struct SignOutPayload {
    /// True when the session was ended.
    pub signed_out: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Unknown emails and wrong passwords get the same answer. After repeated failures the email
    /// is locked for a while (`ACCOUNT_LOCKED`). For an account with two-factor sign-in on (or
    /// one that must enrol it), a right password gives `challenge` instead of `tokens`: answer it
    /// with `completeSignIn`. No credentials needed; other `userErrors`: `INVALID_CREDENTIALS`,
    /// `SSO_REQUIRED` (one of the account's institutions requires single sign-on), `NOT_FOUND` for an
    /// `institutionId` the account does not belong to, `REQUIRED`, `INVALID`.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The email, password and, optionally, the institution to act within.")]
        input: SignInInput,
    ) -> async_graphql::Result<SessionPayload> {
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
    /// token as the first use did. No access token needed; `INVALID_TOKEN` for a refresh token
    /// that is unknown, expired, revoked or reused, or whose membership has ended.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The refresh token to trade.")] input: RefreshTokenInput,
    ) -> async_graphql::Result<SessionPayload> {
        let db = &request(ctx)?.db;
        let (session, user_errors) =
            outcome(ctx, refresh::refresh(db, auth(ctx)?, &input.refresh_token).await)?;
        Ok(SessionPayload::from(session, user_errors))
    }

    /// New tokens acting within another institution you belong to, in a new session; the
    /// current one goes on. Signed-in people only (`FORBIDDEN` for API tokens); `NOT_FOUND` for
    /// an institution you do not belong to, `INVALID` for a malformed ID.
    async fn switch_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution to act within.")] input: SwitchInstitutionInput,
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
    /// issued with them stop working at once. No access token needed; `INVALID_TOKEN` for a
    /// refresh token that is not one the server issued.
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A refresh token of the session to end.")] input: SignOutInput,
    ) -> async_graphql::Result<SignOutPayload> {
        let db = &request(ctx)?.db;
        let (done, user_errors) =
            outcome(ctx, sessions::sign_out(db, auth(ctx)?, &input.refresh_token).await)?;
        Ok(SignOutPayload { signed_out: done.is_some(), user_errors })
    }
}
