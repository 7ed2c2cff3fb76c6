//! CSV imports as an analyst's files arrive: every problem in one pass by line and by the file's
//! own column; headers in any case and under their aliases; semicolons and decimal commas;
//! several measures in one project file by code or ID; and a template that fills in and imports.

use chrono::Duration;
use entity::institution::InstitutionKind;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::{ok, payload, problems};
use crate::results_fixtures::*;

const IMPORT: &str = "mutation($file: Upload!, $m: ID, $p: ID, $dry: Boolean!) {
  importObservationsCsv(input: {measureId: $m, projectId: $p, file: $file, dryRun: $dry}) {
    recordedCount created dryRun measure { id }
    byMeasure { measure { id } created updated unchanged }
    userErrors { field code message }
  }
}";
const SET_CODE: &str = "mutation($input: UpdateMeasureInput!) {
  updateMeasure(input: $input) { measure { code } userErrors { field code } }
}";

enum Target<'a> {
    Measure(&'a str),
    Project(&'a str),
}

async fn import(app: &TestApp, token: &str, into: Target<'_>, file: Vec<u8>, dry_run: bool) -> Value {
    let (m, p) = match into {
        Target::Measure(id) => (json!(id), Value::Null),
        Target::Project(id) => (Value::Null, json!(id)),
    };
    let operations =
        json!({ "query": IMPORT, "variables": { "file": null, "m": m, "p": p, "dry": dry_run } });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", r#"{"0": ["variables.file"]}"#)
        .part("0", reqwest::multipart::Part::bytes(file).file_name("monthly.csv"));
    let response =
        app.client.post(app.url("/graphql")).bearer_auth(token).multipart(form).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["importObservationsCsv"].clone()
}

db_test! {
    async fn a_file_with_seven_problems_reports_all_seven_by_line_and_the_files_column(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let week = app.last_monday() - Duration::weeks(2);
        let site = &a.setup.site.id;
        let file = format!(
            "Site,Period_Start,Numerator,Denominator,Note\n\
             {site},{week},3,20,fine\n\
             nowhere,{week},3,20,\n\
             {site},{tuesday},3,20,\n\
             {site},01/02/2026,3,20,\n\
             {site},{earlier},NaN,20,\n\
             {site},{earliest},30,20,\n\
             {site},{week},4,20,again\n\
             {site},{week},4\n",
            tuesday = week + Duration::days(1),
            earlier = week - Duration::weeks(1),
            earliest = week - Duration::weeks(2),
        );
        let refused = import(&app, lead, Target::Measure(&a.measure), file.into_bytes(), false).await;
        let expected: Vec<(String, String)> = [
            ("input.file.3.Site", "NOT_FOUND"),
            ("input.file.4.Period_Start", "INVALID"),
            ("input.file.5.Period_Start", "INVALID"),
            ("input.file.6.Numerator", "INVALID"),
            ("input.file.7.Numerator", "INVALID"),
            ("input.file.8.Period_Start", "INVALID"),
            ("input.file.9", "INVALID"),
        ]
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
        assert_eq!(problems(&refused), expected, "{refused}");
        let messages: Vec<&str> = refused["userErrors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
        assert!(messages[0].starts_with("line 3, Site: "), "{messages:?}");
        assert!(messages[3].contains("`NaN` is not a number"), "one error for NaN: {messages:?}");
        assert!(messages[5].contains("the same site and period as line 2"), "{messages:?}");
        assert!(messages[6].contains("3 cells where the header has 5"), "{messages:?}");
        assert_eq!(refused["recordedCount"], json!(0));
        assert_eq!(count_rows(&app, "observations").await, 0, "nothing written while a problem remains");
    }
}

db_test! {
    async fn files_in_any_case_with_aliases_and_semicolons_import(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let slug = slug_of(&app, a.setup.site.host).await;
        let (one, two) = (app.last_monday() - Duration::weeks(2), app.last_monday() - Duration::weeks(1));
        let aliases = format!("SITE,Period Start,NUM,Denom,Comments\n{slug},{one},3,20,\"late, but in\"\n");
        let done = import(&app, lead, Target::Measure(&a.measure), aliases.into_bytes(), false).await;
        assert_eq!((done["created"].clone(), done["userErrors"].clone()), (json!(1), json!([])), "{done}");

        let semicolons = format!("\u{feff}hospital;week;value;numerator;denominator\n{slug};{two};;4;20\n");
        let done = import(&app, lead, Target::Measure(&a.measure), semicolons.into_bytes(), false).await;
        assert_eq!((done["created"].clone(), done["userErrors"].clone()), (json!(1), json!([])), "{done}");
        assert_eq!(count_rows(&app, "observations").await, 2);

        for (file, message) in [
            (Vec::new(), "the file is empty"),
            ([b"site,period_start,value\nH\xf4pital,".as_slice(), two.to_string().as_bytes(), b",1\n"].concat(), "not UTF-8"),
            (b"where,when\nx,y\n".to_vec(), "unknown column `where`"),
        ] {
            let refused = import(&app, lead, Target::Measure(&a.measure), file, false).await;
            let first = refused["userErrors"][0]["message"].as_str().unwrap_or_default();
            assert!(first.contains(message), "{message}: {refused}");
        }
    }
}

db_test! {
    async fn a_project_file_carries_several_measures_named_by_code_or_id(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let second = create_measure(&app, lead, &a.setup.bid.project).await;
        let coded = ok(&app, lead, SET_CODE, json!({ "input": { "id": a.measure, "code": "abx-1h" } })).await;
        assert_eq!(coded["measure"]["code"], json!("ABX-1H"), "codes are kept in upper case");
        let taken = app.graphql(SET_CODE, json!({ "input": { "id": second, "code": "Abx-1H" } }), Some(lead)).await;
        assert_eq!(problems(payload(&taken)), vec![("input.code".to_owned(), "TAKEN".to_owned())]);

        let site = &a.setup.site.id;
        let week = app.last_monday() - Duration::weeks(1);
        let file = format!(
            "measure,site,period_start,numerator,denominator\nabx-1h,{site},{week},3,20\n{second},{site},{week},5,20\nABX-1H,{site},{},4,20\n",
            week - Duration::weeks(1)
        );
        let dry = import(&app, lead, Target::Project(&a.setup.bid.project), file.clone().into_bytes(), true).await;
        assert_eq!(dry["dryRun"], json!(true));
        assert_eq!(count_rows(&app, "observations").await, 0, "a dry run writes nothing");
        let done = import(&app, lead, Target::Project(&a.setup.bid.project), file.into_bytes(), false).await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
        assert_eq!(done["recordedCount"], json!(3));
        assert_eq!(done["measure"], Value::Null, "several measures: no single one");
        assert_eq!(
            done["byMeasure"],
            json!([
                { "measure": { "id": a.measure }, "created": 2, "updated": 0, "unchanged": 0 },
                { "measure": { "id": second }, "created": 1, "updated": 0, "unchanged": 0 },
            ])
        );
        assert_eq!(done["byMeasure"], dry["byMeasure"], "the dry run said the same");

        let unknown = format!("measure,site,period_start,numerator,denominator\nFALLS,{site},{week},1,2\n");
        let refused = import(&app, lead, Target::Project(&a.setup.bid.project), unknown.into_bytes(), false).await;
        assert_eq!(problems(&refused), vec![("input.file.2.measure".to_owned(), "NOT_FOUND".to_owned())]);
        let no_column = format!("site,period_start,numerator,denominator\n{site},{week},1,2\n");
        let refused = import(&app, lead, Target::Project(&a.setup.bid.project), no_column.into_bytes(), false).await;
        assert_eq!(problems(&refused), vec![("input.file.1".to_owned(), "REQUIRED".to_owned())]);
        let other = format!("measure,site,period_start,numerator,denominator\n{second},{site},{week},1,2\n");
        let refused = import(&app, lead, Target::Measure(&a.measure), other.into_bytes(), false).await;
        assert_eq!(problems(&refused), vec![("input.file.2.measure".to_owned(), "NOT_FOUND".to_owned())], "a one-measure file names only its measure");
    }
}

db_test! {
    async fn the_template_fills_in_and_imports_under_the_projects_tenancy(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let second = create_measure(&app, lead, &a.setup.bid.project).await;
        ok(&app, lead, SET_CODE, json!({ "input": { "id": second, "code": "falls" } })).await;
        let path = format!("/export/projects/{}/template.csv", a.setup.bid.project);
        let response = app.client.get(app.url(&path)).bearer_auth(lead).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
        let template = response.text().await.unwrap();
        let lines: Vec<&str> = template.lines().collect();
        assert_eq!(lines[0], "measure,site,period_start,value,numerator,denominator,note");
        assert_eq!(lines.len(), 3, "a row per measure and site: {template}");
        let slug = slug_of(&app, a.setup.site.host).await;
        let last_week = app.last_monday() - Duration::weeks(1);
        assert!(lines.contains(&format!("FALLS,{slug},{last_week},,,,").as_str()), "{template}");
        assert!(lines.contains(&format!("{},{slug},{last_week},,,,", a.measure).as_str()), "{template}");

        let filled: String = lines
            .iter()
            .enumerate()
            .map(|(i, line)| if i == 0 { format!("{line}\n") } else { format!("{},,7,20,\n", line.trim_end_matches(",,,,")) })
            .collect();
        let done = import(&app, lead, Target::Project(&a.setup.bid.project), filled.into_bytes(), false).await;
        assert_eq!((done["created"].clone(), done["userErrors"].clone()), (json!(2), json!([])), "{done}");

        let field = app.graphql("query($p: ID!) { project(id: $p) { observationsCsvTemplate } }", json!({ "p": a.setup.bid.project }), Some(lead)).await;
        assert_eq!(field["data"]["project"]["observationsCsvTemplate"], json!(template), "the URL serves the field");
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let hidden = app.client.get(app.url(&path)).bearer_auth(&outsider).send().await.unwrap();
        assert_eq!(hidden.status(), 404, "another tenant's project is not there");
    }
}

async fn slug_of(app: &TestApp, host: uuid::Uuid) -> String {
    use sea_orm::EntityTrait;
    entity::institution::Entity::find_by_id(host).one(app.db.conn()).await.unwrap().unwrap().slug
}
