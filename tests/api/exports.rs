//! Observations as CSV at plain URLs, for tools that cannot speak GraphQL: the import layout and
//! the table layout (value filled in for proportions), one measure or a whole project, under the
//! measure's tenancy and with a script's READ token.

use entity::institution::InstitutionKind;

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::api_token;
use crate::results_fixtures::*;
use serde_json::{Value, json};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

db_test! {
    async fn a_measure_and_a_project_download_as_csv_under_their_tenancy(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        record_weeks(&app, lead, &a, 0..3, |w| 5.0 + w as f64).await;
        let second = create_measure(&app, lead, &a.setup.bid.project).await;
        let rows = json!([{ "site": a.setup.site.id, "periodStart": app.last_monday().to_string(), "numerator": 1, "denominator": 4 }]);
        crate::project_fixtures::ok(&app, lead, RECORD, json!({ "input": { "measureId": second, "observations": rows } })).await;

        let field = app.graphql("query($m: ID!) { node(id: $m) { ... on Measure { observationsCsv } } }", json!({ "m": a.measure }), Some(lead)).await;
        let import = field["data"]["node"]["observationsCsv"].as_str().unwrap().to_owned();
        let response = get(&app, &format!("/export/measures/{}.csv", a.measure), Some(lead)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
        assert_eq!(disposition, format!("attachment; filename=\"measure-{}.csv\"", a.measure));
        assert_eq!(response.text().await.unwrap(), import, "the URL serves the field");
        assert!(import.starts_with("site,period_start,value,numerator,denominator,note\n"));

        let table = get(&app, &format!("/export/measures/{}.csv?layout=table", a.measure), Some(lead)).await.text().await.unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "measure_id,measure,site,period_start,value,numerator,denominator,note");
        assert_eq!(lines.len(), 4, "{table}");
        // Oldest first: the week three back had 7 of 20.
        assert!(lines[1].starts_with(&format!("{},Antibiotics within an hour,", a.measure)), "{}", lines[1]);
        assert!(lines[1].ends_with(",0.35,7,20,"), "value filled in: {}", lines[1]);

        let project = get(&app, &format!("/export/projects/{}.csv", a.setup.bid.project), Some(lead)).await;
        assert_eq!(project.status(), 200);
        let text = project.text().await.unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 4, "both measures: {text}");
        assert!(rows[3].starts_with(&second) && rows[3].ends_with(",0.25,1,4,"), "{text}");

        // `measure(id:)` finds it as `node(id:)` does, and hides it the same way.
        let by_id = "query($m: ID!) { measure(id: $m) { id name } }";
        let found = app.graphql(by_id, json!({ "m": a.measure }), Some(lead)).await;
        assert_eq!(found["data"]["measure"]["name"], json!("Antibiotics within an hour"), "{found}");

        let script = api_token(&app, lead, "READ").await;
        assert_eq!(get(&app, &format!("/export/projects/{}.csv", a.setup.bid.project), Some(&script)).await.text().await.unwrap(), text);
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let hidden = app.graphql(by_id, json!({ "m": a.measure }), Some(&outsider)).await;
        assert_eq!(hidden["data"]["measure"], Value::Null, "{hidden}");
        for (path, token, status) in [
            (format!("/export/measures/{}.csv", a.measure), Some(outsider.as_str()), 404),
            (format!("/export/projects/{}.csv", a.setup.bid.project), Some(outsider.as_str()), 404),
            (format!("/export/measures/{}.csv", missing("Measure")), Some(lead.as_str()), 404),
            (format!("/export/measures/{}.csv", a.measure), None, 401),
            (format!("/export/measures/{}.csv?layout=xml", a.measure), Some(lead.as_str()), 400),
            (format!("/export/measures/{}", a.measure), Some(lead.as_str()), 404),
        ] {
            let response = get(&app, &path, token).await;
            assert_eq!(response.status(), status, "{path}");
            let body: Value = response.json().await.unwrap();
            assert!(body["errors"][0]["extensions"]["code"].is_string(), "{body}");
        }
    }
}
