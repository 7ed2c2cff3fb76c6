use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::graphql::context::auth;
use crate::graphql::{UserError, actor, outcome, request};
use crate::identity::passwords;

/// The current password and the new one.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password the person signs in with now (at most 256 characters).
    pub current_password: String,
    /// At least 15 characters unless the deployment says otherwise (the error names the
    /// number), at most 256; not a common or breached password, nor one built from your email
    /// or name (`WEAK_PASSWORD`). No other composition rules.
    pub new_password: String,
}

/// The outcome of `changePassword`.
#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    /// True when the new password is set.
    pub changed: bool,
    /// How many other sessions were signed out; null on error.
    pub sessions_ended: Option<i32>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The email of the account whose password is forgotten.
#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    /// The account's email address, compared case-insensitively; blank is `REQUIRED`, a
    /// malformed address `INVALID`.
    pub email: String,
}

/// The outcome of `requestPasswordReset`; it never says whether the email has an account.
#[derive(SimpleObject)]
pub struct RequestPasswordResetPayload {
    /// True whenever the request was taken, whether or not an account has that email.
    pub accepted: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The emailed reset token and the new password.
#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The `token` parameter of the emailed link (`sbp_…`).
    pub token: String,
    /// The same rules as `changePassword`'s `newPassword`.
    pub new_password: String,
}

/// The outcome of `resetPassword`.
#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    /// True once the password is set; sign in with it next.
    pub reset: bool,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct PasswordMutation;

#[Object]
impl PasswordMutation {
    /// Sets a new password for the signed-in person (not for API tokens: `FORBIDDEN`). Every
    /// other session of theirs is signed out at once, its access tokens included; this one
    /// stays. A wrong `currentPassword` is `INVALID_CREDENTIALS` and counts towards the same
    /// lockout as sign-in (`TOO_MANY_ATTEMPTS` when locked). A notice goes to the account's
    /// email. A new password that breaks the rules is `INVALID` or `WEAK_PASSWORD`.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The current password and the new one.")] input: ChangePasswordInput,
    ) -> async_graphql::Result<ChangePasswordPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result =
            passwords::change(db, auth(ctx)?, actor, &input.current_password, &input.new_password).await;
        let (ended, user_errors) = outcome(ctx, result)?;
        Ok(ChangePasswordPayload {
            changed: ended.is_some(),
            sessions_ended: ended.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
            user_errors,
        })
    }

    /// Emails a single-use link to reset the password, valid for 30 minutes unless the
    /// deployment says otherwise: `<front end>/reset-password?token=…`; the front end's page
    /// then calls `resetPassword`. No credentials needed. The answer is the same whether or not
    /// an account has the email. Limited per email and per client address per hour
    /// (`TOO_MANY_ATTEMPTS`, naming when to try again).
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email.")] input: RequestPasswordResetInput,
    ) -> async_graphql::Result<RequestPasswordResetPayload> {
        let request = request(ctx)?;
        let result =
            passwords::request_reset(&request.db, auth(ctx)?, &input.email, request.client_address).await;
        let (done, user_errors) = outcome(ctx, result)?;
        Ok(RequestPasswordResetPayload { accepted: done.is_some(), user_errors })
    }

    /// Sets a new password with the emailed token. The token works once and only until it
    /// expires (`INVALID_TOKEN` otherwise, as for any other token); every session of the
    /// account is signed out, other reset links stop working, and a sign-in lockout is lifted.
    /// No credentials needed; a new password that breaks the rules is `INVALID` or `WEAK_PASSWORD`.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The emailed token and the new password.")] input: ResetPasswordInput,
    ) -> async_graphql::Result<ResetPasswordPayload> {
        let db = &request(ctx)?.db;
        let result = passwords::reset(db, auth(ctx)?, &input.token, &input.new_password).await;
        let (done, user_errors) = outcome(ctx, result)?;
        Ok(ResetPasswordPayload { reset: done.is_some(), user_errors })
    }
}
