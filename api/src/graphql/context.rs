use async_graphql::Context;

use crate::actor::Actor;
use crate::db::Db;
use crate::error::ServiceError;
use crate::graphql::errors::GqlResult;
use crate::identity::AuthConfig;

/// Per-request data every resolver can reach: who is asking, the database handle, and the id
/// that ties logs to the response.
pub struct RequestContext {
    pub actor: Option<Actor>,
    pub db: Db,
    pub request_id: String,
    /// For limits counted per client; `None` when the connection's address is unknown.
    pub client_address: Option<std::net::IpAddr>,
}

pub fn request<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|_| ServiceError::internal(MissingContext("RequestContext")))
        .gql(ctx)
}

/// The actor, or `UNAUTHENTICATED` for a request without credentials.
pub fn actor<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Actor> {
    let request = request(ctx)?;
    crate::actor::require(request.actor.as_ref()).gql(ctx)
}

pub fn auth<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AuthConfig> {
    ctx.data::<std::sync::Arc<AuthConfig>>()
        .map(|a| a.as_ref())
        .map_err(|_| ServiceError::internal(MissingContext("AuthConfig")))
        .gql(ctx)
}

#[derive(Debug, thiserror::Error)]
#[error("{0} missing from the GraphQL context")]
struct MissingContext(&'static str);
