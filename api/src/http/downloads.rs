//! Files at plain URLs (charts, CSV exports) for a browser, a spreadsheet, a report or a tool
//! that cannot speak GraphQL, with the bearer credential GraphQL takes. Each file is one field
//! asked of the GraphQL schema, so tenancy, rate limits and costs are the API's own; an object the
//! caller may not see is 404, as one that does not exist.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use async_graphql::{Request, Variables};
use serde_json::{Value, json};

use super::AppState;
use super::negotiate::ResponseMedia;
use crate::graphql::errors::codes;

/// One field served as a file.
pub struct Download {
    pub query: &'static str,
    pub variables: Value,
    /// Where the file's text is in the GraphQL response (a JSON pointer).
    pub pointer: &'static str,
    pub content_type: &'static str,
    /// Offered to save as, with `Content-Disposition: attachment`; shown inline without.
    pub file_name: Option<String>,
}

pub fn problem(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn status_of(code: Option<&str>) -> StatusCode {
    match code {
        None | Some(codes::NOT_FOUND) => StatusCode::NOT_FOUND,
        Some(codes::UNAUTHENTICATED) => StatusCode::UNAUTHORIZED,
        Some(codes::FORBIDDEN) => StatusCode::FORBIDDEN,
        Some(codes::INTERNAL) => StatusCode::INTERNAL_SERVER_ERROR,
        Some(codes::SERVICE_UNAVAILABLE | codes::DEADLINE_EXCEEDED) => StatusCode::SERVICE_UNAVAILABLE,
        Some(_) => StatusCode::BAD_REQUEST,
    }
}

pub async fn serve(req: &HttpRequest, state: &AppState, download: Download) -> HttpResponse {
    let request = Request::new(download.query).variables(Variables::from_json(download.variables));
    let response = super::graphql::execute_one(req, state, ResponseMedia::Json, request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let passed_on: Vec<(header::HeaderName, HeaderValue)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("ratelimit"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let Ok(bytes) = actix_web::body::to_bytes(response.into_body()).await else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "the file could not be read");
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let mut answer = match body.pointer(download.pointer).and_then(Value::as_str) {
        Some(text) => {
            let mut ok = HttpResponse::Ok();
            ok.content_type(download.content_type)
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                // A file opened on its own may run nothing and load nothing.
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ));
            if let Some(name) = &download.file_name {
                ok.insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")));
            }
            ok.body(text.to_owned())
        }
        None => {
            let code = body.pointer("/errors/0/extensions/code").and_then(Value::as_str);
            let status = status_of(code);
            let body = if code.is_none() {
                json!({ "errors": [{ "message": "not found", "extensions": { "code": codes::NOT_FOUND } }] })
            } else {
                json!({ "errors": body.get("errors") })
            };
            let mut refused = HttpResponse::build(status);
            if status == StatusCode::UNAUTHORIZED {
                refused.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            refused.content_type("application/json").json(body)
        }
    };
    for (name, value) in passed_on {
        answer.headers_mut().insert(name, value);
    }
    answer
}

/// The ID in a path like `{id}.svg`; `None` for any other name.
pub fn id_with_suffix<'a>(file: &'a str, suffix: &str) -> Option<&'a str> {
    file.strip_suffix(suffix).filter(|id| !id.is_empty())
}

/// The answer to a path that is not `{id}{suffix}`.
pub fn not_a_file(suffix: &str) -> HttpResponse {
    problem(StatusCode::NOT_FOUND, codes::NOT_FOUND, &format!("files here are named {{id}}{suffix}"))
}
