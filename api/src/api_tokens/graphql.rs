use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::api_token::{self, TokenScope as DbTokenScope};

use crate::api_tokens::service;
use crate::graphql::{GlobalId, Instant, NodeKind, UserError, actor, outcome, request};
use crate::mirror_enum;
use crate::users::graphql::User;

mirror_enum! {
    /// What an API token may do.
    TokenScope <=> DbTokenScope {
        /// Queries only.
        Read,
        /// Queries and the mutations a MEMBER may make.
        ReadWrite,
    }
}

/// A credential for an integration script: `Authorization: Bearer sbt_…`.
pub struct ApiToken(pub api_token::Model);

/// A credential for an integration script, acting within the institution that made it:
/// `Authorization: Bearer sbt_…`. Only the institution's admins see its tokens; the secret is
/// shown once, by `createApiToken`.
#[Object]
impl ApiToken {
    /// The token's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::ApiToken, self.0.id)
    }
    /// What the token is for, as its creator named it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the token may do.
    async fn scope(&self) -> TokenScope {
        self.0.scope.into()
    }
    /// The token's public beginning, to recognise it in a script's configuration.
    async fn prefix(&self) -> String {
        format!("sbt_{}", self.0.id.simple())
    }
    /// The admin who created the token; null when they cannot be shown to you.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = self.0.created_by else { return Ok(None) };
        let user = crate::graphql::load_one::<crate::users::service::VisibleUsers>(ctx, user_id).await?;
        Ok(user.map(User::from))
    }
    /// When the token was created (UTC).
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When the token stops working (UTC); null if it never expires.
    async fn expires_at(&self) -> Option<Instant> {
        self.0.expires_at.map(Into::into)
    }
    /// To the minute.
    async fn last_used_at(&self) -> Option<Instant> {
        self.0.last_used_at.map(Into::into)
    }
    /// When the token was revoked (UTC), after which it no longer works; null unless revoked.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.revoked_at.map(Into::into)
    }
}

/// The new token's name, scope and expiry.
#[derive(InputObject)]
pub struct CreateApiTokenInput {
    /// What the token is for, e.g. "EPR nightly export".
    pub name: String,
    /// What the token may do: READ (queries only) or READ_WRITE.
    pub scope: TokenScope,
    /// When it stops working; never, if absent.
    pub expires_at: Option<Instant>,
}

/// The outcome of `createApiToken`.
#[derive(SimpleObject)]
pub struct CreateApiTokenPayload {
    /// The new token; null on error.
    pub api_token: Option<ApiToken>,
    /// The bearer secret. Shown once: only a hash is kept.
    pub secret: Option<String>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The token to revoke.
#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    /// The ID of a token of your active institution.
    pub api_token_id: ID,
}

/// The outcome of `revokeApiToken`.
#[derive(SimpleObject)]
pub struct RevokeApiTokenPayload {
    /// The token, now revoked; null on error.
    pub api_token: Option<ApiToken>,
    /// Problems with the input; empty on success.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    /// Admins create tokens for their institution.
    /// Only people with the ADMIN role in the active institution (`FORBIDDEN` otherwise, API
    /// tokens included); `userErrors`: `REQUIRED` or `INVALID` on `name`, `INVALID` on a past
    /// `expiresAt`.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new token's name, scope and expiry.")] input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreateApiTokenPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let new = service::NewToken {
            name: input.name,
            scope: input.scope.into(),
            expires_at: input.expires_at.map(Into::into),
        };
        let (issued, user_errors) = outcome(ctx, service::create(db, actor, new).await)?;
        Ok(CreateApiTokenPayload {
            secret: issued.as_ref().map(|i| i.secret.clone()),
            api_token: issued.map(|i| ApiToken(i.token)),
            user_errors,
        })
    }

    /// Admins revoke a token; it stops working at once.
    /// Revoking it again changes nothing. `userErrors`: `NOT_FOUND` (also for anyone but the
    /// active institution's admins, who alone see its tokens), `INVALID` for a malformed ID.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] input: RevokeApiTokenInput,
    ) -> async_graphql::Result<RevokeApiTokenPayload> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        let result = match GlobalId::require(&input.api_token_id, NodeKind::ApiToken, "apiTokenId") {
            Ok(id) => service::revoke(db, actor, id).await,
            Err(e) => Err(e),
        };
        let (token, user_errors) = outcome(ctx, result)?;
        Ok(RevokeApiTokenPayload { api_token: token.map(ApiToken), user_errors })
    }
}
