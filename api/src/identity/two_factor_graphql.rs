use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use entity::sign_in_challenge::ChallengeStep;

use crate::graphql::context::auth;
use crate::graphql::{Instant, UserError, actor, outcome, request};
use crate::identity::challenges::{self, Challenge};
use crate::identity::graphql::{AuthTokens, SessionPayload};
use crate::identity::two_factor::{self, Enrolment, Status};
use crate::users::graphql::User;

/// What the second step of a sign-in asks for.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SignInStep {
    /// A six-digit code from the person's authenticator app, or one of their recovery codes.
    Code,
    /// The person must set up an authenticator first (platform admins, and members of an
    /// institution that requires it): show `enrolment`, then send its first code.
    Enrol,
}

/// The second step of a sign-in: answer it with `completeSignIn` before `expiresAt`. Five
/// wrong codes spend it (sign in again).
#[derive(SimpleObject)]
pub struct SignInChallenge {
    /// Single use; send it back as `completeSignIn`'s `challenge`.
    pub token: String,
    /// When the challenge stops working (UTC): five minutes after the password was checked
    /// unless the deployment says otherwise.
    pub expires_at: Instant,
    /// What the second step asks for.
    pub step: SignInStep,
    /// For `ENROL`: the authenticator to set up.
    pub enrolment: Option<TwoFactorEnrolment>,
}

impl From<Challenge> for SignInChallenge {
    fn from(c: Challenge) -> Self {
        Self {
            token: c.token,
            expires_at: c.expires_at.into(),
            step: match c.step {
                ChallengeStep::Code => SignInStep::Code,
                ChallengeStep::Enrol => SignInStep::Enrol,
            },
            enrolment: c.enrolment.map(Into::into),
        }
    }
}

/// An authenticator to set up: show `otpauthUri` as a QR code, with `secret` for typing in.
/// Time-based codes (RFC 6238): SHA-1, six digits, thirty seconds, as every authenticator app
/// expects.
#[derive(SimpleObject)]
pub struct TwoFactorEnrolment {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

impl From<Enrolment> for TwoFactorEnrolment {
    fn from(e: Enrolment) -> Self {
        Self { secret: e.secret, otpauth_uri: e.otpauth_uri }
    }
}

/// The signed-in person's two-factor sign-in.
#[derive(SimpleObject)]
pub struct TwoFactorStatus {
    /// Whether sign-ins ask for a code from an authenticator.
    pub enabled: bool,
    /// When two-factor sign-in was turned on (UTC); null while it is off.
    pub enabled_at: Option<Instant>,
    /// Unused recovery codes; replace them with `replaceRecoveryCodes` before they run out.
    pub recovery_codes_left: i32,
    /// Whether it must stay on (platform admins, and members of an institution that requires it).
    pub required: bool,
}

impl From<Status> for TwoFactorStatus {
    fn from(s: Status) -> Self {
        Self {
            enabled: s.enabled_at.is_some(),
            enabled_at: s.enabled_at.map(Into::into),
            recovery_codes_left: i32::try_from(s.recovery_codes_left).unwrap_or(i32::MAX),
            required: s.required,
        }
    }
}

/// The answer to a sign-in's second step.
#[derive(InputObject)]
pub struct CompleteSignInInput {
    /// `signIn`'s `challenge.token`.
    pub challenge: String,
    /// Six digits from the authenticator (spaces allowed); for a `CODE` step, a recovery code
    /// also works, once.
    pub code: String,
}

/// The outcome of `completeSignIn`: the tokens the sign-in was waiting for.
#[derive(SimpleObject)]
pub struct CompleteSignInPayload {
    /// The new session's tokens; null on error.
    pub tokens: Option<AuthTokens>,
    /// The signed-in person; null on error.
    pub user: Option<User>,
    /// The institution the tokens act within.
    pub institution_id: Option<ID>,
    /// After an `ENROL` step: ten single-use recovery codes, shown this once. Ask the person
    /// to keep them somewhere safe; each signs in once in place of a code.
    pub recovery_codes: Option<Vec<String>>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// A code proving the person holds their authenticator.
#[derive(InputObject)]
pub struct TwoFactorCodeInput {
    /// Six digits from the authenticator (spaces allowed). Where the mutation says so, a
    /// recovery code also works, once.
    pub code: String,
}

/// The outcome of `enrolTwoFactor`.
#[derive(SimpleObject)]
pub struct EnrolTwoFactorPayload {
    /// The authenticator to set up, then confirm with `confirmTwoFactor`; null on error.
    pub enrolment: Option<TwoFactorEnrolment>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The outcome of `confirmTwoFactor` and `replaceRecoveryCodes`: a new set of recovery codes.
#[derive(SimpleObject)]
pub struct RecoveryCodesPayload {
    /// Ten single-use recovery codes, shown this once; any earlier ones stop working.
    pub recovery_codes: Option<Vec<String>>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The outcome of `disableTwoFactor`.
#[derive(SimpleObject)]
pub struct DisableTwoFactorPayload {
    /// True when two-factor sign-in was turned off and its recovery codes deleted.
    pub disabled: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct TwoFactorMutation;

/// Every code tried counts against a window per person (10 per 15 minutes by default) before it
/// is checked (`TOO_MANY_ATTEMPTS` beyond it), and no code is accepted twice.
#[Object]
impl TwoFactorMutation {
    /// The second step of a sign-in whose password was right: trades `signIn`'s challenge and a
    /// code for tokens. For an `ENROL` step, the code comes from the authenticator just set up,
    /// which turns two-factor sign-in on, and the payload carries the recovery codes. No
    /// credentials needed; `INVALID_TOKEN` (challenge), `INVALID_CODE`, `TOO_MANY_ATTEMPTS`.
    async fn complete_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The challenge's token and a code.")] input: CompleteSignInInput,
    ) -> async_graphql::Result<CompleteSignInPayload> {
        let db = &request(ctx)?.db;
        let result = challenges::complete(db, auth(ctx)?, &input.challenge, &input.code).await;
        let (completed, user_errors) = outcome(ctx, result)?;
        let (session, recovery_codes) = match completed {
            Some(c) => (Some(c.session), c.recovery_codes),
            None => (None, None),
        };
        let payload = SessionPayload::from(session, user_errors);
        Ok(CompleteSignInPayload {
            tokens: payload.tokens,
            user: payload.user,
            institution_id: payload.institution_id,
            recovery_codes,
            user_errors: payload.user_errors,
        })
    }

    /// Signed-in people: starts setting up an authenticator (replacing one still being set up).
    /// Nothing changes at sign-in until `confirmTwoFactor`. `ALREADY_ENABLED` if it is on;
    /// `FORBIDDEN` for API tokens.
    async fn enrol_two_factor(&self, ctx: &Context<'_>) -> async_graphql::Result<EnrolTwoFactorPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let (enrolment, user_errors) = outcome(ctx, two_factor::enrol(db, auth(ctx)?, actor).await)?;
        Ok(EnrolTwoFactorPayload { enrolment: enrolment.map(Into::into), user_errors })
    }

    /// Signed-in people: turns two-factor sign-in on with a first code from the authenticator
    /// set up by `enrolTwoFactor`, and returns the recovery codes. An email tells the person.
    /// `NOT_FOUND` if nothing is being set up, `ALREADY_ENABLED`, `INVALID_CODE`,
    /// `TOO_MANY_ATTEMPTS`; `FORBIDDEN` for API tokens.
    async fn confirm_two_factor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A code from the new authenticator (not a recovery code).")]
        input: TwoFactorCodeInput,
    ) -> async_graphql::Result<RecoveryCodesPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = two_factor::confirm(db, auth(ctx)?, actor, &input.code).await;
        let (recovery_codes, user_errors) = outcome(ctx, result)?;
        Ok(RecoveryCodesPayload { recovery_codes, user_errors })
    }

    /// Signed-in people: turns two-factor sign-in off, with a code or a recovery code.
    /// `TWO_FACTOR_REQUIRED` for platform admins and members of an institution that requires
    /// it. An email tells the person. Also `NOT_FOUND` if it is off, `INVALID_CODE`,
    /// `TOO_MANY_ATTEMPTS`; `FORBIDDEN` for API tokens.
    async fn disable_two_factor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A code from the authenticator, or a recovery code.")] input: TwoFactorCodeInput,
    ) -> async_graphql::Result<DisableTwoFactorPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = two_factor::disable(db, auth(ctx)?, actor, &input.code).await;
        let (done, user_errors) = outcome(ctx, result)?;
        Ok(DisableTwoFactorPayload { disabled: done.is_some(), user_errors })
    }

    /// Signed-in people with two-factor on: a new set of recovery codes, with a code or a
    /// recovery code; the earlier codes stop working. `NOT_FOUND` if it is off, `INVALID_CODE`,
    /// `TOO_MANY_ATTEMPTS`; `FORBIDDEN` for API tokens.
    async fn replace_recovery_codes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A code from the authenticator, or a recovery code.")] input: TwoFactorCodeInput,
    ) -> async_graphql::Result<RecoveryCodesPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = two_factor::replace_recovery_codes(db, auth(ctx)?, actor, &input.code).await;
        let (recovery_codes, user_errors) = outcome(ctx, result)?;
        Ok(RecoveryCodesPayload { recovery_codes, user_errors })
    }
}

/// `Viewer.twoFactor`: null for API tokens.
pub async fn viewer_status(ctx: &Context<'_>) -> async_graphql::Result<Option<TwoFactorStatus>> {
    let actor = actor(ctx)?;
    if actor.user_id().is_none() {
        return Ok(None);
    }
    let db = &request(ctx)?.db;
    use crate::graphql::GqlResult;
    Ok(Some(two_factor::status(db, actor).await.gql(ctx)?.into()))
}
