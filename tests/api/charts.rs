//! Charts as pictures: the SVG of a live analysis, the same picture at a plain URL under the
//! measure's tenancy, and a published result's chart drawn from its frozen points.

use entity::institution::InstitutionKind;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::results_fixtures::*;

const LIVE_CHART: &str = "query($m: ID!) { node(id: $m) { ... on Measure { analysis {
  spc { points { specialCause } } chart spcChart: chart(variant: SPC) run: chart(variant: RUN)
} } } }";
const FROZEN_CHART: &str = "query($id: ID!) { node(id: $id) { ... on SharedResult {
  measures { frozenAnalysis { points chart } }
} } }";

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

/// Every element opened is closed, in a document that is one `svg` element.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{}", &svg[..80.min(svg.len())]);
    assert!(svg.ends_with("</svg>"));
    let mut open: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("an unclosed tag") + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap().to_owned());
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "left open: {open:?}");
}

async fn get_chart(app: &TestApp, measure: &str, query: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("/charts/measures/{measure}.svg{query}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

db_test! {
    async fn the_analysis_is_drawn_with_one_marker_per_point_coloured_by_its_signal(app) {
        let a = active_project(&app).await;
        stable_then_shift(&app, &a, true).await;
        let lead = &a.setup.bid.lead_token;
        let body = app.graphql(LIVE_CHART, json!({ "m": a.measure }), Some(lead)).await;
        let analysis = &body["data"]["node"]["analysis"];
        let svg = analysis["chart"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(analysis["spcChart"], analysis["chart"], "SPC is the default");
        assert_well_formed(svg);
        let points = analysis["spc"]["points"].as_array().unwrap();
        assert_eq!(count(svg, "class=\"point\""), points.len());
        let improving = points.iter().filter(|p| p["specialCause"] == json!("IMPROVEMENT")).count();
        assert!(improving > 0, "the shift is a signal: {body}");
        assert_eq!(count(svg, "data-tone=\"Improvement\""), improving);
        assert_eq!(count(svg, "fill=\"#41B6E6\""), improving + count(svg, "data-icon=\"IMPROVING_HIGH\""));
        let common = points.iter().filter(|p| p["specialCause"].is_null()).count();
        assert_eq!(count(svg, "data-tone=\"Common\""), common);
        for part in ["class=\"centre\"", "class=\"upper-limit\"", "class=\"lower-limit\"", "Antibiotics within an hour", "data-icon=\"IMPROVING_HIGH\""] {
            assert!(svg.contains(part), "{part} missing");
        }
        // Nothing to fetch or run: the namespace is the only URL, and there is no script or link.
        assert_eq!(count(svg, "http://") + count(svg, "https://"), 1, "only the SVG namespace");
        for part in ["<script", "href", "<image", "@import", "url("] {
            assert!(!svg.contains(part), "{part} in the chart");
        }

        let run = analysis["run"].as_str().unwrap();
        assert_well_formed(run);
        assert!(run.contains("Run chart with its median") && !run.contains("upper-limit"));
        assert!(svg.contains("SPC p-chart, all sites pooled · proportion, %"), "kind, scope and unit");

        // The same picture at a plain URL, under the measure's tenancy.
        let response = get_chart(&app, &a.measure, "", Some(lead)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/svg+xml; charset=utf-8");
        assert!(response.headers().contains_key("ratelimit"), "{:?}", response.headers());
        assert_eq!(response.text().await.unwrap(), svg);
        let response = get_chart(&app, &a.measure, "?variant=run", Some(lead)).await;
        assert_eq!(response.text().await.unwrap(), run);
        // A script's READ token fetches it as a person does.
        let script = crate::project_fixtures::api_token(&app, lead, "READ").await;
        let response = get_chart(&app, &a.measure, "", Some(&script)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), svg);
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        for (measure, query, token, status) in [
            (a.measure.clone(), "", Some(outsider.as_str()), 404),
            (missing("Measure"), "", Some(lead.as_str()), 404),
            (a.setup.bid.project.clone(), "", Some(lead.as_str()), 404),
            (a.measure.clone(), "", None, 401),
            (a.measure.clone(), "?variant=PIE", Some(lead.as_str()), 400),
            (a.measure.clone(), "?site=nonsense", Some(lead.as_str()), 404),
        ] {
            let response = get_chart(&app, &measure, query, token).await;
            assert_eq!(response.status(), status, "{measure}{query}");
            let body: Value = response.json().await.unwrap();
            assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body}");
        }
    }
}

db_test! {
    async fn a_published_result_keeps_its_chart_for_readers_who_cannot_see_the_project(app) {
        let a = active_project(&app).await;
        stable_then_shift(&app, &a, true).await;
        let lead = &a.setup.bid.lead_token;
        let id = draft_result(&app, lead, &a.setup.bid.project, json!({ "visibility": "PLATFORM", "measureIds": [a.measure] })).await;
        publish(&app, lead, &id).await;
        let live = app.graphql(LIVE_CHART, json!({ "m": a.measure }), Some(lead)).await;
        let live = live["data"]["node"]["analysis"]["chart"].as_str().unwrap().to_owned();
        // Later data changes the live chart, not the frozen one.
        record_weeks(&app, lead, &a, 0..1, |_| 2.0).await;

        let (_, outsider) = party(&app, InstitutionKind::ProfessionalBody).await;
        let body = app.graphql(FROZEN_CHART, json!({ "id": id }), Some(&outsider)).await;
        let frozen = &body["data"]["node"]["measures"][0]["frozenAnalysis"];
        let svg = frozen["chart"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert_well_formed(svg);
        assert_eq!(count(svg, "class=\"point\""), frozen["points"].as_u64().unwrap() as usize);
        assert_eq!(svg, live, "drawn from the points as they stood");
    }
}
