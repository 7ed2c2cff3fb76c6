//! Observations as CSV at plain URLs, for Excel (Power Query), Power BI and R:
//! `GET /export/measures/{measureId}.csv?site={siteId}&layout=IMPORT|TABLE` and
//! `GET /export/projects/{projectId}.csv` (every measure, as a table), and the file to fill in
//! for an import, `GET /export/projects/{projectId}/template.csv`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::downloads::{self, Download, problem};
use crate::graphql::errors::codes;

const MEASURE: &str = "query MeasureExport($id: ID!, $site: ID, $layout: CsvLayout!) {
  node(id: $id) { ... on Measure { observationsCsv(siteId: $site, layout: $layout) } }
}";
const PROJECT: &str = "query ProjectExport($id: ID!) { project(id: $id) { observationsCsv } }";
const TEMPLATE: &str = "query ProjectTemplate($id: ID!) { project(id: $id) { observationsCsvTemplate } }";
const CSV: &str = "text/csv; charset=utf-8";

#[derive(Deserialize)]
struct MeasureParams {
    site: Option<String>,
    layout: Option<String>,
}

pub async fn measure(req: HttpRequest, file: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(id) = downloads::id_with_suffix(&file, ".csv") else {
        return downloads::not_a_file(".csv");
    };
    let Ok(params) = web::Query::<MeasureParams>::from_query(req.query_string()) else {
        return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "parameters are site and layout");
    };
    let layout = match params.layout.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("IMPORT") => "IMPORT",
        Some("TABLE") => "TABLE",
        Some(_) => return problem(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, "layout is IMPORT or TABLE"),
    };
    let download = Download {
        query: MEASURE,
        variables: json!({ "id": id, "site": params.site, "layout": layout }),
        pointer: "/data/node/observationsCsv",
        content_type: CSV,
        file_name: Some(format!("measure-{id}.csv")),
    };
    downloads::serve(&req, &state, download).await
}

pub async fn project(req: HttpRequest, file: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(id) = downloads::id_with_suffix(&file, ".csv") else {
        return downloads::not_a_file(".csv");
    };
    let download = Download {
        query: PROJECT,
        variables: json!({ "id": id }),
        pointer: "/data/project/observationsCsv",
        content_type: CSV,
        file_name: Some(format!("project-{id}.csv")),
    };
    downloads::serve(&req, &state, download).await
}

pub async fn template(req: HttpRequest, id: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let id = id.into_inner();
    let download = Download {
        query: TEMPLATE,
        variables: json!({ "id": id }),
        pointer: "/data/project/observationsCsvTemplate",
        content_type: CSV,
        file_name: Some(format!("project-{id}-template.csv")),
    };
    downloads::serve(&req, &state, download).await
}
