//! A programme with fifty projects, each with something in every nested list (a site, a team
//! member with an account, a commitment, an assessment, a measure with observations, an
//! engagement record), a few published results, and two more programmes: enough rows for a
//! page of five and a page of fifty to differ by ten times while their statement counts must
//! not differ at all.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::project_fixtures::*;
use crate::results_fixtures::{CREATE_MEASURE, CREATE_RESULT, PUBLISH, RECORD};

pub const PROJECTS: usize = 50;
/// Published results; one more is a draft.
pub const RESULTS: usize = 6;

pub struct World {
    pub funder_token: String,
    /// A draft result: nobody but its lead sees it or its links.
    pub draft: String,
    pub college: Uuid,
    pub lead_token: String,
    pub programme: String,
    pub projects: Vec<String>,
    pub measures: Vec<String>,
    pub results: Vec<String>,
    /// A royal college with no part in any of it; the results are shared with it by name.
    pub outsider: Uuid,
    pub outsider_token: String,
}

/// Runs `query` once per set of variables, ten operations to a request (the batch limit), and
/// returns each payload; any error or user error fails the test.
pub async fn each(app: &TestApp, token: &str, query: &str, variables: Vec<Value>) -> Vec<Value> {
    let mut payloads = Vec::with_capacity(variables.len());
    for chunk in variables.chunks(10) {
        let batch: Vec<Value> = chunk.iter().map(|v| json!({ "query": query, "variables": v })).collect();
        let response =
            app.client.post(app.url("/graphql")).bearer_auth(token).json(&batch).send().await.unwrap();
        let bodies: Vec<Value> = response.json().await.unwrap();
        for body in bodies {
            assert!(body.get("errors").is_none(), "{query}: {body}");
            let payload = payload(&body).clone();
            if let Some(errors) = payload.get("userErrors") {
                assert_eq!(errors, &json!([]), "{query}: {payload}");
            }
            payloads.push(payload);
        }
    }
    payloads
}

fn ids(payloads: &[Value], object: &str) -> Vec<String> {
    payloads.iter().map(|p| p[object]["id"].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()).collect()
}

const ENGAGE: &str = "mutation($p: ID!, $period: Date!) {
  recordEngagement(input: {projectId: $p, periodStart: $period, clinicians: 4, serviceUsers: 2, others: 1}) { userErrors { code } }
}";

pub async fn world(app: &TestApp) -> World {
    let funding = open_programme(app).await;
    let college = app.institution(InstitutionKind::RoyalCollege).await;
    let lead_token = app.token(college, Role::Admin).await;
    let host = app.institution(InstitutionKind::HostInstitution).await;
    let host_token = app.token(host, Role::Admin).await;
    let clinician = app.member(host, Role::Member).await;
    let outsider = app.institution(InstitutionKind::RoyalCollege).await;
    let outsider_token = app.token(outsider, Role::Member).await;

    let drafts = (0..PROJECTS)
        .map(|i| {
            json!({ "input": {
                "programmeId": funding.programme, "title": format!("Project {i:02}"),
                "aimStatement": "Reduce harm", "clinicalArea": "Sepsis",
            }})
        })
        .collect();
    let projects = ids(&each(app, &lead_token, CREATE_PROJECT, drafts).await, "project");
    let per_project = |make: &dyn Fn(&String) -> Value| projects.iter().map(make).collect::<Vec<_>>();

    let added =
        each(app, &lead_token, ADD_SITE, per_project(&|p| json!({ "p": p, "i": institution_id(host) })))
            .await;
    let sites = ids(&added, "site");
    let answers = sites.iter().map(|s| json!({ "s": s, "accept": true })).collect();
    each(app, &host_token, RESPOND, answers).await;
    let team = per_project(&|p| {
        json!({ "input": {
            "projectId": p, "institutionId": institution_id(host), "userId": global_id("User", clinician.id),
            "role": "CLINICAL_LEAD", "hoursPerWeek": 6.0,
        }})
    });
    each(app, &lead_token, ADD_TEAM, team).await;
    let commitments = per_project(
        &|p| json!({ "input": { "projectId": p, "kind": "LEADERSHIP", "description": "A sponsor" } }),
    );
    each(app, &lead_token, RECORD_COMMITMENT, commitments).await;
    let endorsement = json!({ "input": { "programmeId": funding.programme, "kind": "LEGITIMACY", "description": "Endorsed" } });
    ok(app, &lead_token, RECORD_COMMITMENT, endorsement).await;
    // Straight to ACTIVE: the funding gate has tests of its own, and this fixture is about reads.
    // The funder sees a project from submission on, so it assesses the sites after.
    set_status(app, &projects, "ACTIVE").await;
    let assessments = per_project(&|p| {
        json!({ "input": {
            "assessedInstitutionId": institution_id(host), "projectId": p, "assessedOn": app.day(0),
            "dimensions": scores(3), "submit": true,
        }})
    });
    let assessments = ids(&each(app, &funding.funder_token, ASSESS, assessments).await, "assessment");
    // As if each had been funded through the gate on that assessment.
    let evidence = projects.iter().zip(&sites).zip(&assessments).map(|((p, s), a)| {
        entity::funding_evidence::ActiveModel {
            id: sea_orm::ActiveValue::Set(Uuid::now_v7()),
            project_id: sea_orm::ActiveValue::Set(uuid_of(p)),
            site_id: sea_orm::ActiveValue::Set(uuid_of(s)),
            assessment_id: sea_orm::ActiveValue::Set(Some(uuid_of(a))),
        }
    });
    entity::funding_evidence::Entity::insert_many(evidence)
        .exec_without_returning(app.db.conn())
        .await
        .unwrap();

    let measures = per_project(&|p| {
        json!({ "input": {
            "projectId": p, "name": "Falls", "operationalDefinition": "Falls per 1,000 bed days",
            "kind": "OUTCOME", "unit": "COUNT", "direction": "LOWER_IS_BETTER", "frequency": "MONTHLY",
        }})
    });
    let measures = ids(&each(app, &lead_token, CREATE_MEASURE, measures).await, "measure");
    let months: Vec<String> = (1..=3).map(|back| month_before(app, back)).collect();
    let observations = measures
        .iter()
        .zip(&sites)
        .map(|(m, s)| {
            let rows: Vec<Value> =
                months.iter().map(|period| json!({ "site": s, "periodStart": period, "value": 4 })).collect();
            json!({ "input": { "measureId": m, "observations": rows } })
        })
        .collect();
    each(app, &lead_token, RECORD, observations).await;
    each(app, &lead_token, ENGAGE, per_project(&|p| json!({ "p": p, "period": months[0] }))).await;

    let drafts = projects
        .iter()
        .zip(&measures)
        .take(RESULTS + 1)
        .map(|(p, m)| {
            json!({ "input": {
                "projectId": p, "title": "Fewer falls", "summary": "Falls halved", "outcome": "IMPROVEMENT",
                "visibility": "PLATFORM", "measureIds": [m], "shareWith": [institution_id(outsider)],
            }})
        })
        .collect();
    let mut results = ids(&each(app, &lead_token, CREATE_RESULT, drafts).await, "sharedResult");
    each(app, &lead_token, PUBLISH, results.iter().map(|r| json!({ "id": r })).collect()).await;
    let draft = results.pop().unwrap();
    ok(app, &lead_token, crate::results_fixtures::UNPUBLISH, json!({ "id": draft })).await;
    // As if every project had adopted the first result, copying its measure.
    entity::project::Entity::update_many()
        .col_expr(entity::project::Column::AdoptedFromResultId, Expr::val(uuid_of(&results[0])))
        .exec(app.db.conn())
        .await
        .unwrap();
    entity::measure::Entity::update_many()
        .col_expr(entity::measure::Column::AdoptedFromMeasureId, Expr::val(uuid_of(&measures[0])))
        .exec(app.db.conn())
        .await
        .unwrap();

    for name in ["Second programme", "Third programme"] {
        let input = json!({ "name": name, "objectives": "More", "biddingOpensOn": app.day(-1), "biddingClosesOn": app.day(30) });
        let created = ok(app, &funding.funder_token, CREATE_PROGRAMME, json!({ "input": input })).await;
        let programme = created["programme"]["id"].as_str().unwrap().to_owned();
        let project = create_project(app, &lead_token, Some(&programme), name).await;
        ok(
            app,
            &lead_token,
            RECORD_COMMITMENT,
            json!({ "input": { "programmeId": programme, "kind": "LEGITIMACY", "description": "Endorsed" } }),
        )
        .await;
        set_status(app, &[project], "SUBMITTED").await;
    }

    World {
        funder_token: funding.funder_token,
        draft,
        college,
        lead_token,
        programme: funding.programme,
        projects,
        measures,
        results,
        outsider,
        outsider_token,
    }
}

async fn set_status(app: &TestApp, projects: &[String], status: &str) {
    entity::project::Entity::update_many()
        .col_expr(entity::project::Column::Status, Expr::val(status))
        .col_expr(entity::project::Column::SubmittedAt, Expr::val(app.clock.now()))
        .filter(entity::project::Column::Id.is_in(projects.iter().map(|p| uuid_of(p))))
        .exec(app.db.conn())
        .await
        .unwrap();
}

/// The UUID inside a global ID.
pub fn uuid_of(global: &str) -> Uuid {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(global).unwrap();
    let text = String::from_utf8(text).unwrap();
    Uuid::parse_str(text.split_once(':').unwrap().1).unwrap()
}

/// The first day of the month `back` months before the server's current one.
fn month_before(app: &TestApp, back: u32) -> String {
    app.this_month().checked_sub_months(chrono::Months::new(back)).unwrap().to_string()
}

/// The statements the server has run, summed over the outcome series, from its own /metrics.
pub async fn statements(app: &TestApp) -> u64 {
    metric(app, "springboard_db_statements_total{").await.expect("a statement counter") as u64
}

/// Runs `query` with `variables` and returns the body and the statements it cost; nothing else
/// may run meanwhile, which a scrape before and after checks.
pub async fn costed(app: &TestApp, token: &str, query: &str, variables: Value) -> (Value, u64) {
    let before = statements(app).await;
    assert_eq!(statements(app).await, before, "a scrape runs no SQL, and nothing runs in the background");
    let body = app.graphql(query, variables, Some(token)).await;
    let after = statements(app).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    (body, after - before)
}
