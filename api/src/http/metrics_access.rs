//! Who may read `/metrics`. It names every tenant's operations, so the public address serves it
//! only to a caller with the configured bearer token; a private address (a listener of its own,
//! on an interface only the operator's scraper reaches) serves it to anyone there.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AppState, metrics};
use crate::settings::Secret;

pub enum MetricsAccess {
    /// The public address, with this bearer token.
    Token(Secret),
    /// Only the private listener; the public address has no `/metrics`.
    Private,
    /// Neither was configured: nowhere.
    Closed,
}

/// `GET /metrics` on the public address.
pub async fn public(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    match &state.metrics_access {
        MetricsAccess::Token(expected) if presented(&req).is_some_and(|token| same(token, expected)) => {
            metrics::render(state).await
        }
        MetricsAccess::Token(_) => HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\"")))
            .body("/metrics needs the bearer token configured in SPRINGBOARD_METRICS_TOKEN\n"),
        MetricsAccess::Private => {
            HttpResponse::NotFound().body("/metrics is served on the address in SPRINGBOARD_METRICS_BIND\n")
        }
        MetricsAccess::Closed => HttpResponse::NotFound()
            .body("/metrics is off: set SPRINGBOARD_METRICS_TOKEN or SPRINGBOARD_METRICS_BIND\n"),
    }
}

fn presented(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim)
}

/// Compared as digests, in constant time: neither the token's bytes nor its length leak.
fn same(presented: &str, expected: &Secret) -> bool {
    let digest = |text: &str| Sha256::digest(text.as_bytes());
    digest(presented).ct_eq(&digest(expected.expose())).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_matches() {
        let expected = Secret::new("a-long-scrape-token");
        assert!(same("a-long-scrape-token", &expected));
        assert!(!same("a-long-scrape-toke", &expected));
        assert!(!same("", &expected));
    }
}
