use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::user;

use crate::graphql::{GlobalId, GqlResult, NodeKind, actor, request};
use crate::institutions::graphql::Institution;
use crate::members::graphql::{Membership, Role};

/// A person with an account.
pub struct User(pub user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::User, self.0.id)
    }
    /// Lower-cased; unique across the platform.
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn profession(&self) -> Option<&str> {
        self.0.profession.as_deref()
    }
    /// Platform admins create institutions; they see no tenant data through this flag.
    async fn is_platform_admin(&self) -> bool {
        self.0.is_platform_admin
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Who is asking: the signed-in user (or token) and the institution it acts within.
pub struct Viewer;

#[Object]
impl Viewer {
    /// The signed-in person; null for an API token.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let actor = actor(ctx)?;
        let Some(user_id) = actor.user_id() else { return Ok(None) };
        let db = &request(ctx)?.db;
        Ok(crate::users::service::get(db, actor, user_id).await.gql(ctx)?.map(User))
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
