use async_graphql::{Context, ID, Object};
use entity::user;

use crate::graphql::{GlobalId, GqlResult, Instant, NodeKind, actor, request};
use crate::institutions::graphql::Institution;
use crate::members::graphql::{Membership, Role};

/// A person with an account.
pub struct User {
    model: user::Model,
    /// The person who just signed in (a session's payload): their own email, whoever asks.
    own: bool,
}

impl From<user::Model> for User {
    fn from(model: user::Model) -> Self {
        Self { model, own: false }
    }
}

impl User {
    /// The person a sign-in, a completed second factor or an accepted invitation is for.
    pub fn signed_in(model: user::Model) -> Self {
        Self { model, own: true }
    }
}

/// A person with an account. You see yourself, the members of the institution you act within,
/// and the people named on what you may see (project teams and site leads; for admins, the people
/// behind their institution's invitations, API tokens and audit events); platform admins see
/// everyone.
#[Object]
impl User {
    /// The user's global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::User, self.model.id)
    }
    /// The email address, lower-cased and unique across the platform. Shown to the person
    /// themself, to people acting within an institution the person belongs to, and to platform
    /// admins; null for everyone else (people met through another institution's project, and API
    /// tokens).
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        if self.own {
            return Ok(Some(&self.model.email));
        }
        let shown = crate::graphql::compute::<crate::users::service::EmailsShown>(ctx, self.model.id).await?;
        Ok(shown.unwrap_or(false).then_some(self.model.email.as_str()))
    }
    /// The person's name as given when the account was made (at most 200 characters).
    async fn name(&self) -> &str {
        &self.model.name
    }
    /// The person's profession as they gave it; null if they gave none.
    async fn profession(&self) -> Option<&str> {
        self.model.profession.as_deref()
    }
    /// Platform admins create institutions; they see no tenant data through this flag.
    async fn is_platform_admin(&self) -> bool {
        self.model.is_platform_admin
    }
    /// When the account was created (UTC).
    async fn created_at(&self) -> Instant {
        self.model.created_at.into()
    }
}

/// Who is asking: the signed-in user (or token) and the institution it acts within.
pub struct Viewer;

/// Who is asking: the signed-in person (or API token) and the institution it acts within.
#[Object]
impl Viewer {
    /// The signed-in person; null for an API token.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let actor = actor(ctx)?;
        let Some(user_id) = actor.user_id() else { return Ok(None) };
        let db = &request(ctx)?.db;
        Ok(crate::users::service::get(db, actor, user_id).await.gql(ctx)?.map(User::from))
    }
    /// The institution this token acts within.
    async fn institution(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Institution>> {
        let actor = actor(ctx)?;
        let Some(active) = actor.institution else { return Ok(None) };
        let db = &request(ctx)?.db;
        Ok(crate::institutions::service::get(db, actor, active.id).await.gql(ctx)?.map(Institution))
    }
    /// The signed-in person's two-factor sign-in; null for an API token.
    async fn two_factor(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::identity::two_factor_graphql::TwoFactorStatus>> {
        crate::identity::two_factor_graphql::viewer_status(ctx).await
    }
    /// The role within that institution. For API tokens: VIEWER for READ, MEMBER for READ_WRITE.
    async fn role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Role>> {
        Ok(actor(ctx)?.institution.map(|i| i.role.into()))
    }
    /// Set when the request uses an API token.
    async fn token_scope(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::api_tokens::graphql::TokenScope>> {
        Ok(match actor(ctx)?.principal {
            crate::actor::Principal::ApiToken { scope, .. } => Some(scope.into()),
            crate::actor::Principal::User { .. } => None,
        })
    }
    /// Every institution the person belongs to; switch with `switchInstitution`.
    async fn memberships(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Membership>> {
        let (actor, db) = (actor(ctx)?, &request(ctx)?.db);
        Ok(crate::members::service::of_user(db, actor)
            .await
            .gql(ctx)?
            .into_iter()
            .map(Membership::of)
            .collect())
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller. Fails with UNAUTHENTICATED without credentials.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        actor(ctx)?;
        Ok(Viewer)
    }
}
