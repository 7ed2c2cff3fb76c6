//! Spread: adopting a published shared result copies exactly the published definitions of its
//! measures and nothing else; adoptions are counted for every reader of the result and listed
//! only where the reader sees the adopting project; the programme evaluation tells whether
//! adopters improved again only where that reveals nothing the reader cannot see.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;
use crate::results_fixtures::*;

const ADOPT: &str = "mutation($input: AdoptSharedResultInput!) {
  adoptSharedResult(input: $input) { project { id status title aimStatement clinicalArea lead { id } adoptedFrom { id } }
    userErrors { field code message } }
}";
const ADOPTED: &str = "query($p: ID!) { project(id: $p) { adoptedFrom { id title } measures {
  name operationalDefinition kind unit direction frequency baseline target collectionMethod
  minutesPerSitePerPeriod adopted observations(last: 10) { totalCount }
} } }";
const DEFINITIONS: &str = "query($id: ID!) { node(id: $id) { ... on SharedResult {
  measures { measure { id } definition { name operationalDefinition kind unit direction frequency } }
} } }";
const ADOPTIONS: &str = "query($id: ID!) { node(id: $id) { ... on SharedResult {
  adoptions { count projects { id } }
} } }";
const SPREAD: &str = "query($id: ID!) { node(id: $id) { ... on Programme { evaluation {
  spread { result { id } adoptions visibleAdoptions measuring improvedAgain }
} } } }";
const UPDATE_MEASURE: &str = "mutation($input: UpdateMeasureInput!) {
  updateMeasure(input: $input) { measure { id name } userErrors { field code message } }
}";

async fn adopt(app: &TestApp, token: &str, result: &str, extra: Value) -> Value {
    let mut input = json!({ "resultId": result, "clinicalArea": "Emergency medicine" });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    app.graphql(ADOPT, json!({ "input": input }), Some(token)).await["data"]["adoptSharedResult"].clone()
}

async fn adoptions(app: &TestApp, token: &str, result: &str) -> (i64, Vec<String>) {
    let body = app.graphql(ADOPTIONS, json!({ "id": result }), Some(token)).await;
    let found = &body["data"]["node"]["adoptions"];
    let projects = found["projects"].as_array().unwrap_or_else(|| panic!("{body}"));
    (
        found["count"].as_i64().unwrap(),
        projects.iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect(),
    )
}

/// A PLATFORM result of an active project whose measure (baseline, target and burden estimate
/// set) improves; returns the project and the published result's ID.
async fn published_platform_result(app: &TestApp) -> (Active, String) {
    let a = active_project(app).await;
    stable_then_shift(app, &a, true).await;
    let update = json!({ "id": a.measure, "baseline": 0.45, "target": 0.8, "collectionMethod": "MANUAL_AUDIT", "minutesPerSitePerPeriod": 30.0 });
    ok(app, &a.setup.bid.lead_token, UPDATE_MEASURE, json!({ "input": update })).await;
    let id = draft_result(
        app,
        &a.setup.bid.lead_token,
        &a.setup.bid.project,
        json!({ "visibility": "PLATFORM", "measureIds": [a.measure] }),
    )
    .await;
    publish(app, &a.setup.bid.lead_token, &id).await;
    (a, id)
}

db_test! {
    async fn adoption_copies_the_published_definitions_and_nothing_else(app) {
        let (a, result) = published_platform_result(&app).await;
        let lead = &a.setup.bid.lead_token;
        // A later edit of the live measure does not change what was published.
        ok(&app, lead, UPDATE_MEASURE, json!({ "input": { "id": a.measure, "name": "Renamed later" } })).await;
        let (college, adopter) = party(&app, InstitutionKind::RoyalCollege).await;

        let published = app.graphql(DEFINITIONS, json!({ "id": result }), Some(&adopter)).await;
        let linked = &published["data"]["node"]["measures"][0];
        assert!(linked["measure"].is_null(), "the live measure stays hidden: {published}");
        let expected = json!({
            "name": "Antibiotics within an hour", "operationalDefinition": "Audit", "kind": "OUTCOME",
            "unit": "PROPORTION", "direction": "HIGHER_IS_BETTER", "frequency": "WEEKLY",
        });
        assert_eq!(linked["definition"], expected, "{published}");

        let adopted = adopt(&app, &adopter, &result, json!({})).await;
        assert_eq!(user_error_codes(&adopted), Vec::<String>::new(), "{adopted}");
        let project = &adopted["project"];
        assert_eq!(project["status"], json!("DRAFT"));
        assert_eq!(project["title"], json!("Faster antibiotics"), "the result's title by default");
        assert_eq!(project["aimStatement"], json!("Door to needle fell"), "the result's summary by default");
        assert_eq!(project["lead"]["id"], json!(institution_id(college)));
        assert_eq!(project["adoptedFrom"]["id"], json!(result));
        let id = project["id"].as_str().unwrap();

        let body = app.graphql(ADOPTED, json!({ "p": id }), Some(&adopter)).await;
        let measures = body["data"]["project"]["measures"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(measures.len(), 1, "{body}");
        let mut copied = measures[0].clone();
        assert_eq!(copied["observations"]["totalCount"], json!(0), "never observations");
        assert_eq!(copied["adopted"], json!(true));
        for field in ["baseline", "target", "collectionMethod", "minutesPerSitePerPeriod"] {
            assert!(copied[field].is_null(), "{field} is the adopter's to set: {copied}");
        }
        let copied = copied.as_object_mut().unwrap();
        copied.retain(|k, _| expected.get(k).is_some());
        assert_eq!(Value::Object(copied.clone()), expected);

        // The adopter's own title and aim win over the defaults.
        let own = adopt(&app, &adopter, &result, json!({ "title": "Antibiotics at our trusts", "aimStatement": "Within the hour" })).await;
        assert_eq!(own["project"]["title"], json!("Antibiotics at our trusts"), "{own}");
        assert_eq!(own["project"]["aimStatement"], json!("Within the hour"));
    }
}

db_test! {
    async fn a_result_the_adopter_cannot_see_or_that_is_not_published_is_refused(app) {
        let a = active_project(&app).await;
        let lead = &a.setup.bid.lead_token;
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        let hidden = draft_result(&app, lead, &a.setup.bid.project, json!({ "visibility": "PROJECT", "measureIds": [a.measure] })).await;
        publish(&app, lead, &hidden).await;
        let draft = draft_result(&app, lead, &a.setup.bid.project, json!({ "visibility": "PLATFORM" })).await;

        // Hidden, a draft of someone else's, and no such result: the same answer.
        for result in [hidden.clone(), draft.clone(), missing("SharedResult")] {
            let refused = adopt(&app, &outsider, &result, json!({})).await;
            assert_eq!(problems(&refused), problem("input.resultId", "NOT_FOUND"), "{refused}");
        }
        let before = count_rows(&app, "projects").await;
        // The lead sees its own draft: it is told why.
        let refused = adopt(&app, lead, &draft, json!({})).await;
        assert_eq!(problems(&refused), problem("input.resultId", "NOT_ALLOWED_IN_STATUS"), "{refused}");
        // Only colleges and bodies lead projects; a viewer never writes; bad input is the field's.
        let body = app.graphql(ADOPT, json!({ "input": { "resultId": hidden, "clinicalArea": "ED" } }), Some(&a.setup.site.token)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let viewer = app.token(a.setup.bid.college, Role::Viewer).await;
        let body = app.graphql(ADOPT, json!({ "input": { "resultId": hidden, "clinicalArea": "ED" } }), Some(&viewer)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        let blank = adopt(&app, lead, &hidden, json!({ "clinicalArea": "  " })).await;
        assert_eq!(problems(&blank), problem("input.clinicalArea", "REQUIRED"), "{blank}");
        let long = adopt(&app, lead, &hidden, json!({ "title": "x".repeat(301) })).await;
        assert_eq!(user_error_codes(&long), vec!["INVALID"], "{long}");
        let wrong_kind = adopt(&app, lead, &a.setup.bid.project, json!({})).await;
        assert_eq!(problems(&wrong_kind), problem("input.resultId", "INVALID"), "{wrong_kind}");
        assert_eq!(count_rows(&app, "projects").await, before, "nothing written");
    }
}

db_test! {
    async fn adoptions_are_counted_for_every_reader_and_listed_where_the_project_is_visible(app) {
        let (a, result) = published_platform_result(&app).await;
        let lead = &a.setup.bid.lead_token;
        let (_, adopter) = party(&app, InstitutionKind::RoyalCollege).await;
        let (_, bystander) = party(&app, InstitutionKind::ProfessionalBody).await;
        assert_eq!(adoptions(&app, &bystander, &result).await, (0, vec![]));

        let adopted = adopt(&app, &adopter, &result, json!({})).await;
        let project = adopted["project"]["id"].as_str().unwrap().to_owned();
        // A new version of the result: adoptions belong to the result, not to one version.
        let next = ok(&app, lead, UPDATE_RESULT, json!({ "input": { "id": result, "title": "Faster still" } })).await;
        let next = next["sharedResult"]["id"].as_str().unwrap().to_owned();
        publish(&app, lead, &next).await;

        assert_eq!(adoptions(&app, &adopter, &next).await, (1, vec![project.clone()]), "the adopter sees its own");
        assert_eq!(adoptions(&app, lead, &next).await, (1, vec![]), "counted, not listed: a draft of another college");
        assert_eq!(adoptions(&app, &bystander, &next).await, (1, vec![]));

        ok(&app, &adopter, TRANSITION, json!({ "p": project, "to": "WITHDRAWN" })).await;
        assert_eq!(adoptions(&app, &adopter, &next).await, (0, vec![]), "a withdrawn adoption is not counted");
    }
}

async fn spread(app: &TestApp, funder: &str, programme: &str) -> Vec<Value> {
    let body = app.graphql(SPREAD, json!({ "id": programme }), Some(funder)).await;
    body["data"]["node"]["evaluation"]["spread"].as_array().unwrap_or_else(|| panic!("{body}")).clone()
}

db_test! {
    async fn the_evaluation_tells_who_improved_again_only_where_it_reveals_nothing_hidden(app) {
        let (a, result) = published_platform_result(&app).await;
        let funder = &a.setup.funding.funder_token;
        let programme = &a.setup.funding.programme;
        let rows = spread(&app, funder, programme).await;
        assert_eq!(rows, vec![json!({ "result": { "id": result }, "adoptions": 0, "visibleAdoptions": 0, "measuring": 0, "improvedAgain": 0 })]);

        // A college adopts it into the same programme, is funded, and improves again.
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let college_token = app.token(college, Role::Admin).await;
        let adopted = adopt(&app, &college_token, &result, json!({ "programmeId": a.setup.funding.programme })).await;
        let project = adopted["project"]["id"].as_str().unwrap().to_owned();
        let bid = Bid { college, lead_token: college_token.clone(), project: project.clone() };
        let site = answered_site(&app, &bid, true).await;
        let setup = Setup { funding: Funding { funder: a.setup.funding.funder, funder_token: funder.clone(), programme: a.setup.funding.programme.clone() }, bid, site };
        advance(&app, &setup, "ACTIVE").await;
        let body = app.graphql("query($p: ID!) { project(id: $p) { measures { id } } }", json!({ "p": project }), Some(&college_token)).await;
        let copied = body["data"]["project"]["measures"][0]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
        let again = Active { setup, measure: copied };
        stable_then_shift(&app, &again, true).await;
        let rows = spread(&app, funder, programme).await;
        assert_eq!(rows[0], json!({ "result": { "id": result }, "adoptions": 1, "visibleAdoptions": 1, "measuring": 1, "improvedAgain": 1 }));

        // Another college adopts it outside the programme: the funder cannot see that project,
        // so with fewer than five adoptions it learns the count and nothing else.
        let (_, outsider) = party(&app, InstitutionKind::RoyalCollege).await;
        adopt(&app, &outsider, &result, json!({})).await;
        let rows = spread(&app, funder, programme).await;
        assert_eq!(rows[0], json!({ "result": { "id": result }, "adoptions": 2, "visibleAdoptions": 1, "measuring": null, "improvedAgain": null }));
    }
}

db_test! {
    async fn the_demo_shows_a_result_adopted_and_improved_again_and_capacity_against_improvement(app) {
        let world = springboard::demo::seed(&app.db, &app.address).await.unwrap().unwrap();
        let payload = app.sign_in_payload("admin@improvement-fund.example.org", &world.password, None).await;
        let funder = payload["tokens"]["accessToken"].as_str().unwrap().to_owned();
        let query = "{ programmes(first: 1) { edges { node { evaluation {
          spread { result { title adoptions { count projects { title } } } adoptions improvedAgain }
          improvementByCapacity { dimension threshold at { projects } above { projects } unassessed undisclosed }
        } } } } }";
        let body = app.graphql(query, json!({}), Some(&funder)).await;
        let evaluation = &body["data"]["programmes"]["edges"][0]["node"]["evaluation"];
        let spread = evaluation["spread"].as_array().unwrap_or_else(|| panic!("{body}"));
        let adopted: Vec<&Value> = spread.iter().filter(|s| s["adoptions"] != json!(0)).collect();
        assert_eq!(adopted.len(), 1, "{body}");
        assert_eq!(adopted[0]["improvedAgain"], json!(1), "{body}");
        assert_eq!(
            adopted[0]["result"]["adoptions"]["projects"],
            json!([{ "title": "Sepsis six within the hour at Taff Valley" }])
        );
        let table = evaluation["improvementByCapacity"].as_array().unwrap();
        let monitoring = table.iter().find(|r| r["dimension"] == json!("MONITORING_AND_EVALUATION")).unwrap();
        // Both funded projects scored 3 against a minimum of 3: one group of two, size only.
        assert_eq!(monitoring["threshold"], json!(3));
        assert_eq!(monitoring["at"], json!({ "projects": 2 }), "{body}");
        assert_eq!((monitoring["unassessed"].clone(), monitoring["undisclosed"].clone()), (json!(0), json!(0)));
    }
}
