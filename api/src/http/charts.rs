//! Charts at plain URLs: `GET /charts/measures/{measureId}.svg?site={siteId}&variant=SPC|RUN`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::downloads::{self, Download, problem};
use crate::graphql::errors::codes;

const QUERY: &str = "query Chart($id: ID!, $site: ID, $variant: ChartVariant!) {
  node(id: $id) { ... on Measure { analysis(siteId: $site) { chart(variant: $variant) } } }
}";

#[derive(Deserialize)]
struct ChartParams {
    site: Option<String>,
    variant: Option<String>,
}

pub async fn measure(req: HttpRequest, file: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(id) = downloads::id_with_suffix(&file, ".svg") else {
        return downloads::not_a_file(".svg");
    };
    let Ok(params) = web::Query::<ChartParams>::from_query(req.query_string()) else {
        return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "parameters are site and variant");
    };
    let variant = match params.variant.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("SPC") => "SPC",
        Some("RUN") => "RUN",
        Some(_) => return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "variant is SPC or RUN"),
    };
    let download = Download {
        query: QUERY,
        variables: json!({ "id": id, "site": params.site, "variant": variant }),
        pointer: "/data/node/analysis/chart",
        content_type: "image/svg+xml; charset=utf-8",
        file_name: None,
    };
    downloads::serve(&req, &state, download).await
}
