//! What the GraphQL endpoint does about overload: each request is weighed before it runs,
//! admitted or refused at once (`admission`), and stopped at its deadline. Both refusals are a
//! 503 with `Retry-After`, which scripts and load balancers already know to retry later.

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use async_graphql::Request;
use serde_json::json;

use super::AppState;
use super::negotiate::ResponseMedia;
use crate::graphql::errors::codes;
use crate::graphql::execution;

/// Seconds a client is asked to wait before trying again.
pub const RETRY_AFTER_SECS: &str = "1";

/// What the operation a request selects costs, as the complexity limit counts it. The parsed
/// document is kept in the request, so it is parsed once. A document that does not parse or
/// names no operation costs one: it fails before any work.
pub fn cost_of(state: &AppState, request: &mut Request) -> usize {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return 1 };
    let cost = match execution::select(&document, request.operation_name.as_deref()) {
        Ok((_, operation)) => state.costs.of(&document, operation, &request.variables),
        Err(_) => 1,
    };
    request.set_parsed_query(document);
    cost.max(1)
}

fn unavailable(media: ResponseMedia, code: &str, message: &str) -> HttpResponse {
    respond_unavailable(media, json!({ "code": code }), message)
}

fn respond_unavailable(media: ResponseMedia, extensions: serde_json::Value, message: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE)
        .insert_header(("Retry-After", RETRY_AFTER_SECS))
        .content_type(media.content_type())
        .json(json!({ "errors": [{ "message": message, "extensions": extensions }] }))
}

/// The answer when the database cannot be reached before any GraphQL ran (authentication).
pub fn database_unavailable(media: ResponseMedia) -> HttpResponse {
    respond_unavailable(
        media,
        json!({ "code": codes::SERVICE_UNAVAILABLE, "reason": "DATABASE_UNREACHABLE" }),
        "the database is unavailable for the moment; retry after the time in Retry-After",
    )
}

/// The answer when admission control has no room, even after a short wait.
pub fn busy(state: &AppState, media: ResponseMedia) -> HttpResponse {
    state.metrics.admission_refused.inc();
    unavailable(
        media,
        codes::SERVICE_UNAVAILABLE,
        "the server is at capacity; nothing was done, retry after the time in Retry-After",
    )
}

/// Runs `work`, or stops it at the request's deadline (everything it was waiting for,
/// database connections included, is given up, and its open transaction rolls back).
pub async fn within_deadline(
    state: &AppState,
    media: ResponseMedia,
    work: impl Future<Output = HttpResponse>,
) -> HttpResponse {
    match tokio::time::timeout(state.deadline, work).await {
        Ok(response) => response,
        Err(_) => {
            state.metrics.deadline_exceeded.inc();
            let millis = state.deadline.as_millis();
            tracing::warn!(deadline_ms = millis, "request stopped at its deadline");
            let message = format!(
                "the request did not finish within {millis} ms and was stopped; a mutation whose \
                 answer was lost may or may not have taken effect"
            );
            unavailable(media, codes::DEADLINE_EXCEEDED, &message)
        }
    }
}
