//! The one place service errors become GraphQL errors. Resolvers call `.gql(ctx)` on query
//! results and `outcome(ctx, …)` on mutation results; never `?` on a foreign error, because
//! async-graphql would turn its `Display` text into the client's message.

use async_graphql::{Context, ErrorExtensions, SimpleObject};

use crate::error::{FieldError, ServiceError, Transient, UserErrorCode, error_chain};
use crate::graphql::context::RequestContext;

/// A problem the client can fix, reported in a mutation payload.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    /// Path to the input field at fault, starting with `input`; empty for the input as a whole.
    pub field: Vec<String>,
    /// A sentence for people.
    pub message: String,
    /// A code for programs.
    pub code: UserErrorCode,
}

impl From<FieldError> for UserError {
    fn from(e: FieldError) -> Self {
        Self { field: e.field, message: e.message, code: e.code }
    }
}

pub mod codes {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const INTERNAL: &str = "INTERNAL";
    pub const GRAPHQL_PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const GRAPHQL_VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The server is at capacity (or its database is unreachable): retry after `Retry-After`.
    pub const SERVICE_UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";
    /// The request did not finish within the server's deadline and was stopped.
    pub const DEADLINE_EXCEEDED: &str = "DEADLINE_EXCEEDED";
    /// The caller's cost budget cannot pay for the request (HTTP 429): retry after `Retry-After`.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// A persisted query's hash this server does not know: send the document with its hash.
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// The server runs only its persisted-query manifest's documents, and this is not one.
    pub const PERSISTED_QUERY_NOT_ALLOWED: &str = "PERSISTED_QUERY_NOT_ALLOWED";
}

fn request_id(ctx: &Context<'_>) -> String {
    ctx.data_opt::<RequestContext>().map(|r| r.request_id.clone()).unwrap_or_default()
}

/// The masked error for anything unexpected; the cause goes to the log, once.
pub fn internal_error(request_id: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!("internal error (request id {request_id})")).extend_with(|_, e| {
        e.set("code", codes::INTERNAL);
        e.set("requestId", request_id);
    })
}

/// A passing database condition, told as such: the HTTP layer answers it with 503 and
/// `Retry-After`, and `extensions.reason` says whether the database was unreachable or the
/// transaction lost a conflict (and was rolled back whole).
pub fn unavailable_error(kind: Transient) -> async_graphql::Error {
    let reason = match kind {
        Transient::Unreachable => "DATABASE_UNREACHABLE",
        Transient::Conflict => "CONFLICT",
    };
    async_graphql::Error::new(
        "the database is unavailable for the moment; retry after the time in Retry-After",
    )
    .extend_with(move |_, e| {
        e.set("code", codes::SERVICE_UNAVAILABLE);
        e.set("reason", reason);
    })
}

pub fn to_graphql(ctx: &Context<'_>, err: ServiceError) -> async_graphql::Error {
    match err {
        ServiceError::Unauthenticated => async_graphql::Error::new("authentication required")
            .extend_with(|_, e| e.set("code", codes::UNAUTHENTICATED)),
        ServiceError::Forbidden(reason) => {
            async_graphql::Error::new(reason).extend_with(|_, e| e.set("code", codes::FORBIDDEN))
        }
        ServiceError::NotFound { .. } => {
            async_graphql::Error::new("not found").extend_with(|_, e| e.set("code", codes::NOT_FOUND))
        }
        ServiceError::Invalid(errors) => {
            // Outside a mutation's payload the path names the field's argument, not `input`.
            let argument = |e: &FieldError| {
                e.field.iter().skip_while(|p| *p == "input").cloned().collect::<Vec<_>>().join(".")
            };
            let message = errors
                .iter()
                .map(|e| format!("{}: {}", argument(e), e.message))
                .collect::<Vec<_>>()
                .join("; ");
            async_graphql::Error::new(message).extend_with(|_, ext| {
                ext.set("code", codes::BAD_USER_INPUT);
                if let Some(first) = errors.first() {
                    ext.set("field", argument(first));
                }
            })
        }
        ServiceError::Unavailable(kind) => unavailable_error(kind),
        ServiceError::Internal(cause) => {
            let id = request_id(ctx);
            let path = ctx.path_node.map(|node| node.to_string_vec().join(".")).unwrap_or_default();
            tracing::error!(error.cause_chain = %error_chain(cause.as_ref()), graphql.path = %path, "request failed");
            internal_error(&id)
        }
    }
}

pub trait GqlResult<T> {
    fn gql(self, ctx: &Context<'_>) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, ServiceError> {
    fn gql(self, ctx: &Context<'_>) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(ctx, e))
    }
}

/// Splits a mutation's result: user-fixable problems become `userErrors`; a missing or hidden
/// object is a `NOT_FOUND` user error on its field; everything else is a top-level error.
pub fn outcome<T>(
    ctx: &Context<'_>,
    result: Result<T, ServiceError>,
) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), Vec::new())),
        Err(ServiceError::Invalid(errors)) => Ok((None, errors.into_iter().map(UserError::from).collect())),
        Err(ServiceError::NotFound { field }) => {
            Ok((None, vec![UserError::from(FieldError::new(field, UserErrorCode::NotFound, "not found"))]))
        }
        Err(other) => Err(to_graphql(ctx, other)),
    }
}
