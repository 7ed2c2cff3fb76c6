//! Shared results that stand on their own: every series behind a published claim (all sites
//! pooled and each site) frozen with its points, limits and signals for readers who cannot see
//! the project; warnings before a claim its measures do not bear out; and a result's history.

use entity::institution::InstitutionKind;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

const PUBLISH_AS_IS: &str = "mutation($id: ID!, $ack: Boolean!) {
  publishSharedResult(input: {id: $id}, acknowledgeWarnings: $ack) {
    sharedResult { id status }
    userErrors { field code message }
    warnings { code message measureId measure { id } measureName verdict }
  }
}";

/// Everything a reader needs to draw a measure's charts, live.
const SERIES: &str = "verdict { verdict provisional signals { rule effect firstPeriod lastPeriod } }
  spc { kind segments { centre limits { upper lower } trial }
        points { periodStart value denominator centre limits { upper lower upperTwoSigma lowerTwoSigma }
                 position specialCause inShift inTrend aboveUpperLimit belowLowerLimit } }
  runChart { median points { periodStart value position inShift } }";

fn frozen_query() -> String {
    format!(
        "query($id: ID!) {{ node(id: $id) {{ ... on SharedResult {{ measures {{ measure {{ id }} frozenAnalysis {{
           verdict limitsMultiplier signals {{ rule effect }}
           pooled {{ institution {{ id }} analysis {{ siteId {SERIES} }} }}
           sites {{ institution {{ id name }} analysis {{ siteId chart {SERIES} }} }}
         }} }} }} }} }}"
    )
}

fn live_query() -> String {
    format!(
        "query($m: ID!, $site: ID) {{ node(id: $m) {{ ... on Measure {{ analysis(siteId: $site) {{ siteId {SERIES} }} }} }} }}"
    )
}

/// The publication's payload, user errors and warnings included.
async fn publish_as_is(app: &TestApp, token: &str, id: &str, acknowledge: bool) -> Value {
    let body = app.graphql(PUBLISH_AS_IS, json!({ "id": id, "ack": acknowledge }), Some(token)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["publishSharedResult"].clone()
}

async fn live(app: &TestApp, token: &str, measure: &str, site: Option<&str>) -> Value {
    let body = app.graphql(&live_query(), json!({ "m": measure, "site": site }), Some(token)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"]["analysis"].clone()
}

async fn frozen(app: &TestApp, token: &str, id: &str) -> Value {
    let body = app.graphql(&frozen_query(), json!({ "id": id }), Some(token)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"]["measures"][0].clone()
}

db_test! {
    async fn a_published_result_holds_every_sites_points_limits_and_signals_for_outsiders(app) {
        // Two accepted sites: the second is assessed once the funder sees the bid.
        let setup = setup(&app).await;
        let second = answered_site(&app, &setup.bid, true).await;
        springboard_team(&app, &setup.bid).await;
        advance(&app, &setup, "SUBMITTED").await;
        assess(&app, &setup.funding.funder_token, &setup.bid.project, second.host, 3, true).await;
        advance(&app, &setup, "ACTIVE").await;
        let lead = setup.bid.lead_token.clone();
        let measure = create_measure(&app, &lead, &setup.bid.project).await;
        let a = Active { setup, measure };
        stable_then_shift(&app, &a, true).await;
        let rows: Vec<Value> = (12..30)
            .map(|w| json!({ "site": second.id, "periodStart": (app.last_monday() - chrono::Duration::weeks(w)).to_string(), "numerator": 10.0 + (w % 4) as f64, "denominator": 20.0 }))
            .collect();
        ok(&app, &lead, RECORD, json!({ "input": { "measureId": a.measure, "observations": rows } })).await;

        let pooled = live(&app, &lead, &a.measure, None).await;
        let first_site = live(&app, &lead, &a.measure, Some(&a.setup.site.id)).await;
        let second_site = live(&app, &lead, &a.measure, Some(&second.id)).await;
        assert_eq!(pooled["verdict"]["verdict"], json!("IMPROVING"), "{pooled}");
        assert_ne!(first_site["spc"]["points"], second_site["spc"]["points"]);

        let id = draft_result(&app, &lead, &a.setup.bid.project, json!({ "measureIds": [a.measure], "visibility": "PLATFORM" })).await;
        let published = publish_as_is(&app, &lead, &id, false).await;
        assert_eq!(published["sharedResult"]["status"], json!("PUBLISHED"), "{published}");
        assert_eq!(published["warnings"], json!([]), "the claim is what the chart shows");

        // Later data moves the live analysis, never the frozen one.
        record_weeks(&app, &lead, &a, 30..34, |_| 2.0).await;
        assert_ne!(live(&app, &lead, &a.measure, None).await["spc"]["points"], pooled["spc"]["points"]);

        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let seen = frozen(&app, &outsider, &id).await;
        assert_eq!(seen["measure"], Value::Null, "an outsider does not see the live measure");
        let analysis = &seen["frozenAnalysis"];
        assert_eq!(analysis["verdict"], json!("IMPROVING"));
        assert_eq!(analysis["limitsMultiplier"], json!("MAKING_DATA_COUNT"));
        assert!(analysis["signals"].as_array().unwrap().iter().any(|s| s["effect"] == json!("IMPROVEMENT")), "{analysis}");
        assert_eq!(analysis["pooled"]["institution"], Value::Null);
        assert_eq!(analysis["pooled"]["analysis"], json!({ "siteId": null, "verdict": pooled["verdict"], "spc": pooled["spc"], "runChart": pooled["runChart"] }));

        let sites = analysis["sites"].as_array().unwrap();
        assert_eq!(sites.len(), 2, "{analysis}");
        for (site, host, live_site) in [(&a.setup.site.id, a.setup.site.host, &first_site), (&second.id, second.host, &second_site)] {
            let entry = sites.iter().find(|s| s["institution"]["id"] == json!(institution_id(host))).unwrap_or_else(|| panic!("{analysis}"));
            assert!(entry["institution"]["name"].is_string());
            let series = &entry["analysis"];
            assert_eq!(series["siteId"], json!(site));
            for field in ["verdict", "spc", "runChart"] {
                assert_eq!(series[field], live_site[field], "{field} of {site}");
            }
            let chart = series["chart"].as_str().unwrap();
            assert!(chart.starts_with("<svg") && chart.contains("SPC p-chart, one site"), "{chart}");
        }
        let names: Vec<&str> = sites.iter().map(|s| s["institution"]["name"].as_str().unwrap()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "sites in the order of their hosts' names");

        // The lead reads the same frozen series; the project's participants too.
        for token in [&lead, &a.setup.site.token, &a.setup.funding.funder_token] {
            assert_eq!(frozen(&app, token, &id).await["frozenAnalysis"], seen["frozenAnalysis"]);
        }
    }
}

db_test! {
    async fn a_claim_its_measures_do_not_bear_out_is_published_only_once_acknowledged(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        stable_then_shift(&app, &a, false).await;
        let project = a.setup.bid.project.clone();

        let id = draft_result(&app, &lead, &project, json!({ "measureIds": [a.measure], "outcome": "IMPROVEMENT" })).await;
        let refused = publish_as_is(&app, &lead, &id, false).await;
        assert_eq!(refused["sharedResult"], Value::Null);
        assert_eq!(problems(&refused), vec![("acknowledgeWarnings".to_owned(), "UNACKNOWLEDGED_WARNINGS".to_owned())]);
        let warnings = refused["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{refused}");
        assert_eq!(warnings[0]["code"], json!("VERDICT_DISAGREES"));
        assert_eq!(warnings[0]["measureId"], json!(a.measure));
        assert_eq!(warnings[0]["measure"]["id"], json!(a.measure));
        assert_eq!(warnings[0]["measureName"], json!("Antibiotics within an hour"));
        assert_eq!(warnings[0]["verdict"], json!("NO_SIGNAL"));
        assert!(warnings[0]["message"].as_str().unwrap().contains("shows no signal"), "{refused}");
        let still = result(&app, &lead, &id).await;
        assert_eq!(still["status"], json!("DRAFT"));
        assert_eq!(still["measures"][0]["frozenAnalysis"], Value::Null, "nothing frozen while refused");

        let published = publish_as_is(&app, &lead, &id, true).await;
        assert_eq!(published["sharedResult"]["status"], json!("PUBLISHED"), "{published}");
        assert_eq!(published["warnings"].as_array().unwrap().len(), 1, "the warnings come back with the publication");
        let audit = "{ viewer { institution { auditEvents(last: 5) { edges { node { action details } } } } } }";
        let body = app.graphql(audit, json!({}), Some(&lead)).await;
        let events = body["data"]["viewer"]["institution"]["auditEvents"]["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
        let publish = events.iter().rev().find(|e| e["node"]["action"] == json!("shared_result.publish")).unwrap();
        let details: Value = serde_json::from_str(publish["node"]["details"].as_str().unwrap()).unwrap();
        assert_eq!(details["acknowledgedWarnings"].as_array().unwrap().len(), 1, "{details}");

        // NO_CHANGE over no signal is what the chart shows; a lesson claims no change at all.
        let no_change = draft_result(&app, &lead, &project, json!({ "measureIds": [a.measure], "outcome": "NO_CHANGE" })).await;
        let plain = publish_as_is(&app, &lead, &no_change, false).await;
        assert_eq!((plain["sharedResult"]["status"].clone(), plain["warnings"].clone()), (json!("PUBLISHED"), json!([])));
        let lesson = draft_result(&app, &lead, &project, json!({ "outcome": "LESSON" })).await;
        let plain = publish_as_is(&app, &lead, &lesson, false).await;
        assert_eq!(plain["warnings"], json!([]), "{plain}");

        let bare = draft_result(&app, &lead, &project, json!({ "outcome": "DETERIORATION" })).await;
        let refused = publish_as_is(&app, &lead, &bare, false).await;
        assert_eq!(refused["warnings"][0]["code"], json!("NO_LINKED_MEASURE"), "{refused}");
        assert_eq!(refused["warnings"][0]["measureId"], Value::Null);
    }
}

const VERSIONS: &str =
    "query($id: ID!) { node(id: $id) { ... on SharedResult { versions { id version status title } } } }";

async fn versions(app: &TestApp, token: &str, id: &str) -> Vec<(String, String)> {
    let body = app.graphql(VERSIONS, json!({ "id": id }), Some(token)).await;
    let Some(list) = body["data"]["node"]["versions"].as_array() else { return Vec::new() };
    list.iter()
        .map(|v| (v["id"].as_str().unwrap().to_owned(), v["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&String, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(id, status)| ((*id).clone(), (*status).to_owned())).collect()
}

db_test! {
    async fn a_results_versions_are_its_history_for_whom_each_publication_reached(app) {
        let a = active_project(&app).await;
        let lead = a.setup.bid.lead_token.clone();
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let project = a.setup.bid.project.clone();
        let v1 = draft_result(&app, &lead, &project, json!({ "outcome": "LESSON", "visibility": "PLATFORM", "title": "First" })).await;
        publish(&app, &lead, &v1).await;
        let v2 = ok(&app, &lead, UPDATE_RESULT, json!({ "input": { "id": v1, "title": "Second" } })).await["sharedResult"]["id"].as_str().unwrap().to_owned();
        assert_eq!(versions(&app, &outsider, &v1).await, pairs(&[(&v1, "PUBLISHED")]), "a draft is the lead's");
        assert_eq!(versions(&app, &lead, &v1).await, pairs(&[(&v1, "PUBLISHED"), (&v2, "DRAFT")]));

        publish(&app, &lead, &v2).await;
        let history = pairs(&[(&v1, "SUPERSEDED"), (&v2, "PUBLISHED")]);
        assert_eq!(versions(&app, &outsider, &v2).await, history);
        assert_eq!(versions(&app, &outsider, &v1).await, history, "the superseded version is still readable");
        assert_eq!(result(&app, &outsider, &v1).await["title"], json!("First"));
        assert_eq!(listed(&app, &outsider, json!(null)).await, vec![v2.clone()], "only the current version is listed");

        // The third version goes to the project only: outsiders keep the history they were shown.
        let v3 = ok(&app, &lead, UPDATE_RESULT, json!({ "input": { "id": v2, "title": "Third", "visibility": "PROJECT" } })).await["sharedResult"]["id"].as_str().unwrap().to_owned();
        publish(&app, &lead, &v3).await;
        let history = pairs(&[(&v1, "SUPERSEDED"), (&v2, "SUPERSEDED")]);
        assert_eq!(versions(&app, &outsider, &v1).await, history);
        assert_eq!(result(&app, &outsider, &v3).await, Value::Null);
        assert_eq!(versions(&app, &a.setup.site.token, &v3).await, pairs(&[(&v1, "SUPERSEDED"), (&v2, "SUPERSEDED"), (&v3, "PUBLISHED")]));

        // A withdrawn version is taken back from everyone but the lead.
        ok(&app, &lead, UNPUBLISH, json!({ "id": v3 })).await;
        assert_eq!(versions(&app, &a.setup.site.token, &v1).await, pairs(&[(&v1, "SUPERSEDED"), (&v2, "SUPERSEDED")]));
        assert_eq!(versions(&app, &lead, &v1).await, pairs(&[(&v1, "SUPERSEDED"), (&v2, "SUPERSEDED"), (&v3, "WITHDRAWN")]));
    }
}
