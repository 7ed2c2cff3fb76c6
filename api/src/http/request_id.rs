//! One span per request, carrying a request id that is also returned in `x-request-id`, so a
//! client reporting a problem can hand us the id and we can find every log line of it.

use std::time::Instant;

use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub const HEADER: &str = "x-request-id";

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "http.request",
        request.id = %id,
        http.method = %req.method(),
        http.path = %req.path(),
        http.status = tracing::field::Empty,
        http.latency_ms = tracing::field::Empty,
        // Filled in by the GraphQL handler once known.
        graphql.operation = tracing::field::Empty,
        actor.institution = tracing::field::Empty,
        actor.principal = tracing::field::Empty,
    );
    let started = Instant::now();
    async move {
        let mut response = next.call(req).await?;
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(HeaderName::from_static(HEADER), value);
        }
        let span = tracing::Span::current();
        span.record("http.status", response.status().as_u16());
        span.record("http.latency_ms", started.elapsed().as_millis() as u64);
        tracing::info!("request finished");
        Ok(response)
    }
    .instrument(span)
    .await
}
