//! Shared setup for the project tests: a funder with an open programme, a royal college's draft
//! bid in it, host sites, assessments and team members, all made through GraphQL with the
//! tokens the real parties would use.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

pub const CREATE_PROGRAMME: &str = "mutation($input: CreateProgrammeInput!) {
  createProgramme(input: $input) { programme { id } userErrors { field code message } }
}";
pub const UPDATE_PROGRAMME: &str = "mutation($input: UpdateProgrammeInput!) {
  updateProgramme(input: $input) { programme { id isBiddingOpen } userErrors { field code message } }
}";
pub const CREATE_PROJECT: &str = "mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id status } userErrors { field code message } }
}";
pub const UPDATE_PROJECT: &str = "mutation($input: UpdateProjectInput!) {
  updateProject(input: $input) { project { id title } userErrors { field code message } }
}";
pub const TRANSITION: &str = "mutation($p: ID!, $to: ProjectStatus!) {
  transitionProject(input: {projectId: $p, to: $to}) { project { status } userErrors { field code message } }
}";
pub const DECIDE: &str = "mutation($p: ID!, $decision: FundingDecision!, $budget: Int) {
  decideFunding(input: {projectId: $p, decision: $decision, awardedBudget: $budget}) { project { status budgetAwarded } userErrors { field code message } }
}";
pub const ADD_SITE: &str = "mutation($p: ID!, $i: ID!) {
  addProjectSite(input: {projectId: $p, institutionId: $i}) { site { id status } userErrors { field code message } }
}";
pub const RESPOND: &str = "mutation($s: ID!, $accept: Boolean!) {
  respondToProjectSite(input: {siteId: $s, accept: $accept}) { site { id status } userErrors { field code message } }
}";
pub const ADD_TEAM: &str = "mutation($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) { teamMember { id role hoursPerWeek } userErrors { field code message } }
}";
pub const UPDATE_TEAM: &str = "mutation($input: UpdateTeamMemberInput!) {
  updateTeamMember(input: $input) { teamMember { id hoursPerWeek endsOn } userErrors { field code message } }
}";
pub const ASSESS: &str = "mutation($input: CreateCapacityAssessmentInput!) {
  createCapacityAssessment(input: $input) { assessment { id status } userErrors { field code message } }
}";
pub const UPDATE_ASSESSMENT: &str = "mutation($input: UpdateCapacityAssessmentInput!) {
  updateCapacityAssessment(input: $input) { assessment { id status dimensions { dimension score } } userErrors { field code message } }
}";
pub const RECORD_COMMITMENT: &str = "mutation($input: RecordCommitmentInput!) {
  recordCommitment(input: $input) { commitment { id kind status } userErrors { field code message } }
}";
pub const STATUS: &str =
    "query($p: ID!) { project(id: $p) { title status availableTransitions sites { id status } } }";

/// A funder and its programme, open for bids today.
pub struct Funding {
    pub funder: Uuid,
    pub funder_token: String,
    pub programme: String,
}

/// A royal college's DRAFT project in a programme; `lead_token` is the college's ADMIN.
pub struct Bid {
    pub college: Uuid,
    pub lead_token: String,
    pub project: String,
}

/// A host institution named as a site of a project; `token` is the host's ADMIN.
pub struct Site {
    pub host: Uuid,
    pub token: String,
    pub id: String,
}

/// A draft project with one accepted site, and the three parties' tokens.
pub struct Setup {
    pub funding: Funding,
    pub bid: Bid,
    pub site: Site,
}

pub fn institution_id(id: Uuid) -> String {
    global_id("Institution", id)
}

/// The single field under `data`: a mutation's payload or a query's root field.
pub fn payload(body: &Value) -> &Value {
    body["data"].as_object().and_then(|d| d.values().next()).unwrap_or_else(|| panic!("no data in {body}"))
}

/// A payload's user errors as `("input.field", "CODE")` pairs.
pub fn problems(payload: &Value) -> Vec<(String, String)> {
    payload["userErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("no userErrors in {payload}"))
        .iter()
        .map(|e| {
            let field: Vec<&str> =
                e["field"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
            (field.join("."), e["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

pub fn problem(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

/// Runs an operation that must succeed: no top-level errors, no user errors. Returns its payload.
pub async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.graphql(query, variables, Some(token)).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    let payload = payload(&body).clone();
    if let Some(errors) = payload.get("userErrors") {
        assert_eq!(errors, &json!([]), "{query}: {payload}");
    }
    payload
}

pub async fn open_programme(app: &TestApp) -> Funding {
    open_programme_with(app, json!({})).await
}

/// A programme open from yesterday to a month ahead, with `criteria` as its funding criteria.
pub async fn open_programme_with(app: &TestApp, criteria: Value) -> Funding {
    let funder = app.institution(InstitutionKind::Funder).await;
    let funder_token = app.token(funder, Role::Admin).await;
    let input = json!({
        "name": "Safer care 2027",
        "objectives": "Measurable improvement in acute care",
        "biddingOpensOn": app.day(-1),
        "biddingClosesOn": app.day(30),
        "fundingCriteria": criteria,
    });
    let created = ok(app, &funder_token, CREATE_PROGRAMME, json!({ "input": input })).await;
    let programme = created["programme"]["id"].as_str().unwrap().to_owned();
    Funding { funder, funder_token, programme }
}

/// The funder moves the bidding window into the past.
pub async fn close_programme(app: &TestApp, funding: &Funding) {
    let input =
        json!({ "id": funding.programme, "biddingOpensOn": app.day(-30), "biddingClosesOn": app.day(-1) });
    let updated = ok(app, &funding.funder_token, UPDATE_PROGRAMME, json!({ "input": input })).await;
    assert_eq!(updated["programme"]["isBiddingOpen"], json!(false));
}

/// A project by the lead token's institution, in `programme` (or outside any); returns its ID.
pub async fn create_project(app: &TestApp, lead_token: &str, programme: Option<&str>, title: &str) -> String {
    let input = json!({
        "programmeId": programme,
        "title": title,
        "aimStatement": "Reduce time to antibiotics below one hour",
        "clinicalArea": "Sepsis",
        "startsOn": app.day(30),
        "endsOn": app.day(400),
        "budgetRequested": 50_000,
    });
    let created = ok(app, lead_token, CREATE_PROJECT, json!({ "input": input })).await;
    created["project"]["id"].as_str().unwrap().to_owned()
}

/// A new royal college's DRAFT project in the programme.
pub async fn draft_project(app: &TestApp, funding: &Funding) -> Bid {
    let college = app.institution(InstitutionKind::RoyalCollege).await;
    let lead_token = app.token(college, Role::Admin).await;
    let project = create_project(app, &lead_token, Some(&funding.programme), "Sepsis six").await;
    Bid { college, lead_token, project }
}

/// A new host institution, named a site by the lead; the host has not answered yet.
pub async fn invite_site(app: &TestApp, bid: &Bid) -> Site {
    let host = app.institution(InstitutionKind::HostInstitution).await;
    let token = app.token(host, Role::Admin).await;
    let variables = json!({ "p": bid.project, "i": institution_id(host) });
    let added = ok(app, &bid.lead_token, ADD_SITE, variables).await;
    Site { host, token, id: added["site"]["id"].as_str().unwrap().to_owned() }
}

/// As `invite_site`, and the host accepts (or declines).
pub async fn answered_site(app: &TestApp, bid: &Bid, accept: bool) -> Site {
    let site = invite_site(app, bid).await;
    ok(app, &site.token, RESPOND, json!({ "s": site.id, "accept": accept })).await;
    site
}

/// A funder, an open programme, a college's draft project and one accepted host site.
pub async fn setup(app: &TestApp) -> Setup {
    let funding = open_programme(app).await;
    let bid = draft_project(app, &funding).await;
    let site = answered_site(app, &bid, true).await;
    Setup { funding, bid, site }
}

/// Five dimension entries, every one scored `score`.
pub fn scores(score: i32) -> Value {
    let dimensions = [
        "PROJECT_MANAGEMENT",
        "LEADERSHIP",
        "MONITORING_AND_EVALUATION",
        "DATA_INFRASTRUCTURE",
        "STAFF_TIME",
    ];
    dimensions.iter().map(|d| json!({ "dimension": d, "score": score })).collect()
}

/// An assessment of `host` for the project by the token's institution, scored `score` on every
/// dimension; returns its ID.
pub async fn assess(
    app: &TestApp,
    token: &str,
    project: &str,
    host: Uuid,
    score: i32,
    submit: bool,
) -> String {
    let input = json!({
        "assessedInstitutionId": institution_id(host),
        "projectId": project,
        "assessedOn": app.day(0),
        "dimensions": scores(score),
        "submit": submit,
    });
    let created = ok(app, token, ASSESS, json!({ "input": input })).await;
    created["assessment"]["id"].as_str().unwrap().to_owned()
}

/// Adds `input` (projectId filled in) to the team; returns the team member's ID.
pub async fn add_team_member(app: &TestApp, lead_token: &str, project: &str, mut input: Value) -> String {
    input["projectId"] = json!(project);
    let added = ok(app, lead_token, ADD_TEAM, json!({ "input": input })).await;
    added["teamMember"]["id"].as_str().unwrap().to_owned()
}

/// External people from the lead meeting the default springboard rule (20 hours a week).
pub async fn springboard_team(app: &TestApp, bid: &Bid) {
    for (role, hours) in [("CLINICAL_LEAD", 5.0), ("PROJECT_MANAGER", 10.0), ("DATA_ANALYST", 5.0)] {
        let input = json!({
            "institutionId": institution_id(bid.college),
            "externalName": format!("External {role}"),
            "role": role,
            "hoursPerWeek": hours,
        });
        add_team_member(app, &bid.lead_token, &bid.project, input).await;
    }
}

pub async fn status(app: &TestApp, token: &str, project: &str) -> Value {
    app.graphql(STATUS, json!({ "p": project }), Some(token)).await["data"]["project"]["status"].clone()
}

/// Moves a set-up project on, by the parties entitled to, until it is `to` (SUBMITTED, FUNDED,
/// ACTIVE or COMPLETED). A bid on its way to funding gets its team before submission (a
/// submitted bid takes no changes) and its assessment after (the funder sees it from then on).
pub async fn advance(app: &TestApp, setup: &Setup, to: &str) {
    let (lead, funder) = (&setup.bid.lead_token, &setup.funding.funder_token);
    let project = &setup.bid.project;
    let path = ["DRAFT", "SUBMITTED", "FUNDED", "ACTIVE", "COMPLETED"];
    let current = status(app, lead, project).await;
    let from = path.iter().position(|s| current == json!(s)).unwrap_or_else(|| panic!("{current}"));
    let target = path.iter().position(|s| *s == to).unwrap();
    for step in &path[from + 1..=target] {
        match *step {
            "SUBMITTED" => {
                if target > 1 {
                    springboard_team(app, &setup.bid).await;
                }
                ok(app, lead, TRANSITION, json!({ "p": project, "to": step })).await;
            }
            "COMPLETED" => {
                ok(app, lead, TRANSITION, json!({ "p": project, "to": step })).await;
            }
            "FUNDED" => {
                assess(app, funder, project, setup.site.host, 3, true).await;
                let variables = json!({ "p": project, "decision": "FUNDED", "budget": 40_000 });
                ok(app, funder, DECIDE, variables).await;
            }
            _ => {
                ok(app, funder, TRANSITION, json!({ "p": project, "to": step })).await;
            }
        }
    }
    assert_eq!(status(app, lead, project).await, json!(to));
}

/// An API token of the admin's institution with `scope` (READ or READ_WRITE); returns the secret.
pub async fn api_token(app: &TestApp, admin_token: &str, scope: &str) -> String {
    let query = "mutation($scope: TokenScope!) { createApiToken(input: {name: \"script\", scope: $scope}) { secret userErrors { code } } }";
    let created = ok(app, admin_token, query, json!({ "scope": scope })).await;
    created["secret"].as_str().unwrap().to_owned()
}

/// A transaction of the test's own that holds the project's row (on SQLite, the database's
/// single write lock), so that a write to the project waits inside the database until the
/// transaction ends: how tests keep a request in flight.
pub async fn hold_project(app: &TestApp, project: &str) -> sea_orm::DatabaseTransaction {
    use sea_orm::ConnectionTrait;
    let txn = app.db.begin().await.unwrap();
    let lock = match app.db.backend() {
        sea_orm::DbBackend::Sqlite => "UPDATE projects SET title = title".to_owned(),
        _ => format!(
            "UPDATE projects SET title = title WHERE id = '{}'",
            crate::loading_fixtures::uuid_of(project)
        ),
    };
    txn.execute_unprepared(&lock).await.unwrap();
    txn
}
