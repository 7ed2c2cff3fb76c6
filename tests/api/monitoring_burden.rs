//! Monitoring burden, anticipated before funding: the forecast per frequency, site count and
//! collection method; the funding gate's reason appearing and going as estimates, sites,
//! committed hours and the programme's cap change; a missing estimate named as a gap, not zero.

use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;

const CREATE_MEASURE: &str = "mutation($input: CreateMeasureInput!) {
  createMeasure(input: $input) { measure { id collectionMethod minutesPerSitePerPeriod } userErrors { field code message } }
}";
const UPDATE_MEASURE: &str = "mutation($input: UpdateMeasureInput!) {
  updateMeasure(input: $input) { measure { id minutesPerSitePerPeriod } userErrors { field code message } }
}";
const BURDEN: &str = "query($p: ID!) { project(id: $p) {
  monitoringBurden {
    sites manualHoursPerWeek extractedHoursPerWeek totalHoursPerWeek committedHoursPerWeek
    maxShare capHoursPerWeek aboveCap complete
    measures { measureId measureName collectionMethod hoursPerWeek }
  }
  fundingReadiness { failures { field code message } gaps { field code message } }
} }";

fn measure_input(project: &str, name: &str, frequency: &str, method: &str, minutes: Option<f64>) -> Value {
    json!({
        "projectId": project,
        "name": name,
        "operationalDefinition": "Audited from the notes of every eligible patient",
        "kind": "PROCESS",
        "unit": "COUNT",
        "direction": "HIGHER_IS_BETTER",
        "frequency": frequency,
        "collectionMethod": method,
        "minutesPerSitePerPeriod": minutes,
    })
}

async fn burden(app: &TestApp, setup: &Setup) -> Value {
    let body = app.graphql(BURDEN, json!({ "p": setup.bid.project }), Some(&setup.bid.lead_token)).await;
    body["data"]["project"].clone()
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-6)
}

fn gate_codes(project: &Value) -> Vec<String> {
    user_error_codes(&json!({ "userErrors": project["fundingReadiness"]["failures"] }))
}

db_test! {
    async fn the_forecast_and_the_gate_follow_estimates_sites_hours_and_the_cap(app) {
        let setup = setup(&app).await;
        springboard_team(&app, &setup.bid).await;
        let lead = &setup.bid.lead_token;
        // Weekly, by hand, four hours per site: 4 h a week at one site.
        let audit = measure_input(&setup.bid.project, "Notes audit", "WEEKLY", "MANUAL_AUDIT", Some(240.0));
        ok(&app, lead, CREATE_MEASURE, json!({ "input": audit })).await;
        let extract = measure_input(&setup.bid.project, "EPR extract", "MONTHLY", "EXTRACTED_FROM_SYSTEM", None);
        let created = ok(&app, lead, CREATE_MEASURE, json!({ "input": extract })).await;
        let extract_id = created["measure"]["id"].as_str().unwrap().to_owned();

        let project = burden(&app, &setup).await;
        let b = &project["monitoringBurden"];
        assert_eq!(b["sites"], json!(1), "{project}");
        assert!(close(&b["manualHoursPerWeek"], 4.0) && close(&b["extractedHoursPerWeek"], 0.0), "{b}");
        assert!(close(&b["committedHoursPerWeek"], 20.0) && close(&b["capHoursPerWeek"], 20.0 / 3.0), "{b}");
        assert_eq!((b["aboveCap"].clone(), b["complete"].clone()), (json!(false), json!(false)));
        assert!(b["measures"][1]["hoursPerWeek"].is_null(), "no estimate is a gap, not zero: {b}");
        let gaps = &project["fundingReadiness"]["gaps"];
        assert_eq!(gaps.as_array().map(Vec::len), Some(1), "{gaps}");
        assert_eq!(gaps[0]["code"], json!("ESTIMATE_MISSING"));
        assert_eq!(gaps[0]["field"], json!(["measures", extract_id, "minutesPerSitePerPeriod"]));
        assert!(!gate_codes(&project).contains(&"MONITORING_BURDEN_ABOVE_CAPACITY".to_owned()));

        // A second site doubles it: 8 h against a cap of 6.7 h.
        answered_site(&app, &setup.bid, true).await;
        let project = burden(&app, &setup).await;
        assert!(close(&project["monitoringBurden"]["totalHoursPerWeek"], 8.0), "{project}");
        assert!(gate_codes(&project).contains(&"MONITORING_BURDEN_ABOVE_CAPACITY".to_owned()), "{project}");
        let failure = project["fundingReadiness"]["failures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == json!("MONITORING_BURDEN_ABOVE_CAPACITY"))
            .unwrap()
            .clone();
        let message = failure["message"].as_str().unwrap();
        assert!(message.contains("8.0 hours") && message.contains("6.7 hours") && message.contains("20"), "{message}");

        // The extract gets its estimate: 130 min × 2 sites × 12/52 = 1 h a week, extracted.
        let update = json!({ "id": extract_id, "minutesPerSitePerPeriod": 130.0 });
        ok(&app, lead, UPDATE_MEASURE, json!({ "input": update })).await;
        // More committed time lifts the cap: 30 h → 10 h, above the 9 h forecast.
        let analyst = json!({
            "institutionId": institution_id(setup.bid.college),
            "externalName": "Audit clerk",
            "role": "DATA_ANALYST",
            "hoursPerWeek": 10.0,
        });
        add_team_member(&app, lead, &setup.bid.project, analyst).await;
        let project = burden(&app, &setup).await;
        let b = &project["monitoringBurden"];
        assert!(close(&b["extractedHoursPerWeek"], 1.0) && close(&b["totalHoursPerWeek"], 9.0), "{b}");
        assert!(close(&b["capHoursPerWeek"], 10.0) && b["complete"] == json!(true), "{b}");
        assert!(!gate_codes(&project).contains(&"MONITORING_BURDEN_ABOVE_CAPACITY".to_owned()), "{project}");
        assert_eq!(project["fundingReadiness"]["gaps"], json!([]));

        // The funder tightens the rule to a quarter: 7.5 h, and the reason is back.
        let tighten = json!({ "id": setup.funding.programme, "fundingCriteria": { "maxMonitoringShare": 0.25 } });
        ok(&app, &setup.funding.funder_token, UPDATE_PROGRAMME, json!({ "input": tighten })).await;
        let project = burden(&app, &setup).await;
        assert!(close(&project["monitoringBurden"]["maxShare"], 0.25), "{project}");
        assert!(gate_codes(&project).contains(&"MONITORING_BURDEN_ABOVE_CAPACITY".to_owned()), "{project}");
    }
}

db_test! {
    async fn estimates_and_caps_out_of_range_are_refused(app) {
        let setup = setup(&app).await;
        let lead = &setup.bid.lead_token;
        for minutes in [-5.0, 20_000.0] {
            let input = measure_input(&setup.bid.project, "Audit", "MONTHLY", "MIXED", Some(minutes));
            let body = app.graphql(CREATE_MEASURE, json!({ "input": input }), Some(lead)).await;
            assert_eq!(problems(&body["data"]["createMeasure"]), problem("input.minutesPerSitePerPeriod", "INVALID"), "{body}");
        }
        assert_eq!(count_rows(&app, "measures").await, 0);
        for share in [0.0, 1.5] {
            let input = json!({ "id": setup.funding.programme, "fundingCriteria": { "maxMonitoringShare": share } });
            let body = app.graphql(UPDATE_PROGRAMME, json!({ "input": input }), Some(&setup.funding.funder_token)).await;
            assert_eq!(
                problems(&body["data"]["updateProgramme"]),
                problem("input.criteria.maxMonitoringShare", "INVALID"),
                "{body}"
            );
        }
        // A measure defined without either still works, and is a gap in the evidence.
        let mut bare = measure_input(&setup.bid.project, "Legacy", "QUARTERLY", "MIXED", None);
        bare.as_object_mut().unwrap().remove("collectionMethod");
        let created = ok(&app, lead, CREATE_MEASURE, json!({ "input": bare })).await;
        assert!(created["measure"]["collectionMethod"].is_null(), "{created}");
        let project = burden(&app, &setup).await;
        assert_eq!(project["fundingReadiness"]["gaps"][0]["code"], json!("ESTIMATE_MISSING"), "{project}");
    }
}

db_test! {
    async fn the_demo_shows_a_bid_over_its_burden_cap_and_a_gap(app) {
        let world = springboard::demo::seed(&app.db, &app.address).await.unwrap().unwrap();
        let payload = app.sign_in_payload("admin@improvement-fund.example.org", &world.password, None).await;
        let funder = payload["tokens"]["accessToken"].as_str().unwrap().to_owned();
        let query = "{ projects(filter: {search: \"Delirium\"}) { edges { node {
          monitoringBurden { totalHoursPerWeek capHoursPerWeek aboveCap complete }
          fundingReadiness { failures { code } gaps { code } }
        } } } }";
        let body = app.graphql(query, json!({}), Some(&funder)).await;
        let project = &body["data"]["projects"]["edges"][0]["node"];
        assert!(close(&project["monitoringBurden"]["totalHoursPerWeek"], 6.0), "{body}");
        assert_eq!(project["monitoringBurden"]["aboveCap"], json!(true));
        assert!(gate_codes(project).contains(&"MONITORING_BURDEN_ABOVE_CAPACITY".to_owned()), "{project}");
        assert_eq!(project["fundingReadiness"]["gaps"], json!([{ "code": "ESTIMATE_MISSING" }]));
    }
}
