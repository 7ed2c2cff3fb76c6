//! Charts at plain URLs, for a browser, a spreadsheet or a report to embed:
//! `GET /charts/measures/{measureId}.svg?site={siteId}&variant=SPC|RUN`, with the bearer
//! credential GraphQL takes. The picture is asked of the GraphQL schema, so tenancy, rate limits
//! and costs are the API's own; a measure the caller may not see is 404, as one that does not
//! exist.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::{Request, Variables};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::negotiate::ResponseMedia;
use crate::graphql::errors::codes;

const QUERY: &str = "query Chart($id: ID!, $site: ID, $variant: ChartVariant!) {
  node(id: $id) { ... on Measure { analysis(siteId: $site) { chart(variant: $variant) } } }
}";

#[derive(Deserialize)]
struct ChartParams {
    site: Option<String>,
    variant: Option<String>,
}

fn problem(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

pub async fn measure(req: HttpRequest, file: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(id) = file.strip_suffix(".svg") else {
        return problem(StatusCode::NOT_FOUND, codes::NOT_FOUND, "charts are served as {measureId}.svg");
    };
    let params = match web::Query::<ChartParams>::from_query(req.query_string()) {
        Ok(params) => params.into_inner(),
        Err(_) => {
            return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "parameters are site and variant");
        }
    };
    let variant = match params.variant.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("SPC") => "SPC",
        Some("RUN") => "RUN",
        Some(_) => return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "variant is SPC or RUN"),
    };
    let variables = json!({ "id": id, "site": params.site, "variant": variant });
    let request = Request::new(QUERY).variables(Variables::from_json(variables));
    let response = super::graphql::execute_one(&req, &state, ResponseMedia::Json, request).await;
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
        return problem(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, "the chart could not be read");
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let mut answer = match body.pointer("/data/node/analysis/chart").and_then(Value::as_str) {
        Some(svg) => {
            let mut ok = HttpResponse::Ok();
            ok.content_type("image/svg+xml; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                // An SVG opened on its own is a document: it may run nothing and load nothing.
                .insert_header((
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'",
                ));
            ok.body(svg.to_owned())
        }
        None => {
            let code = body.pointer("/errors/0/extensions/code").and_then(Value::as_str);
            let status = match code {
                None | Some(codes::NOT_FOUND) => StatusCode::NOT_FOUND,
                Some(codes::UNAUTHENTICATED) => StatusCode::UNAUTHORIZED,
                Some(codes::FORBIDDEN) => StatusCode::FORBIDDEN,
                Some(codes::INTERNAL) => StatusCode::INTERNAL_SERVER_ERROR,
                Some(codes::SERVICE_UNAVAILABLE | codes::DEADLINE_EXCEEDED) => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                Some(_) => StatusCode::BAD_REQUEST,
            };
            let body = if code.is_none() {
                json!({ "errors": [{ "message": "no such measure", "extensions": { "code": codes::NOT_FOUND } }] })
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
