//! The funding story end to end: a funder opens a programme; a royal college bids with two host
//! sites; the gate refuses with exact reasons; assessments and the team are completed; the gate
//! passes; the project goes ACTIVE, then COMPLETED.

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

async fn call(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let body = app.graphql(query, variables, Some(token)).await;
    assert!(body.get("errors").is_none(), "{query}: {body}");
    let payload = body["data"].as_object().unwrap().values().next().unwrap().clone();
    if let Some(errors) = payload.get("userErrors") {
        assert_eq!(errors, &json!([]), "{query}: {payload}");
    }
    payload
}

const CREATE_PROGRAMME: &str = "mutation($input: CreateProgrammeInput!) {
  createProgramme(input: $input) { programme { id isBiddingOpen fundingCriteria { maxAssessmentAgeDays minimumWeeklyHours } } userErrors { field code message } }
}";
const CREATE_PROJECT: &str = "mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id status } userErrors { field code message } }
}";
const ADD_SITE: &str = "mutation($p: ID!, $i: ID!) {
  addProjectSite(input: {projectId: $p, institutionId: $i}) { site { id status } userErrors { field code message } }
}";
const RESPOND: &str = "mutation($s: ID!, $lead: ID) {
  respondToProjectSite(input: {siteId: $s, accept: true, siteLeadUserId: $lead}) { site { status siteLead { email } } userErrors { field code message } }
}";
const TRANSITION: &str = "mutation($p: ID!, $to: ProjectStatus!) {
  transitionProject(input: {projectId: $p, to: $to}) { project { status } userErrors { field code message } }
}";
const DECIDE: &str = "mutation($p: ID!, $budget: Int) {
  decideFunding(input: {projectId: $p, decision: FUNDED, awardedBudget: $budget}) { project { status budgetAwarded } userErrors { field code message } }
}";
const ASSESS: &str = "mutation($input: CreateCapacityAssessmentInput!) {
  createCapacityAssessment(input: $input) { assessment { id status } userErrors { field code message } }
}";
const ADD_TEAM: &str = "mutation($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) { teamMember { id role } userErrors { field code message } }
}";
const READINESS: &str = "query($p: ID!) { project(id: $p) {
  status
  fundingReadiness { ready failures { field code message } }
  teamCapacity { meetsRule totalHours missingRoleGroups }
  availableTransitions
} }";

fn scores(all: i32) -> Value {
    json!([
        { "dimension": "PROJECT_MANAGEMENT", "score": all, "evidence": "PMO in place" },
        { "dimension": "LEADERSHIP", "score": all },
        { "dimension": "MONITORING_AND_EVALUATION", "score": all },
        { "dimension": "DATA_INFRASTRUCTURE", "score": all },
        { "dimension": "STAFF_TIME", "score": all },
    ])
}

db_test! {
    async fn a_project_goes_from_bid_to_completion_through_the_funding_gate(app) {
        let today = app.clock.today();
        let funder = app.institution(InstitutionKind::Funder).await;
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let north = app.institution(InstitutionKind::HostInstitution).await;
        let south = app.institution(InstitutionKind::HostInstitution).await;
        let funder_token = app.token(funder, Role::Member).await;
        let college_token = app.token(college, Role::Admin).await;
        let north_token = app.token(north, Role::Admin).await;
        let south_token = app.token(south, Role::Member).await;
        let south_lead = app.member(south, Role::Member).await;

        // The funder opens a programme with one criterion tightened.
        let programme = call(&app, &funder_token, CREATE_PROGRAMME, json!({ "input": {
            "name": "Sepsis improvement 2027",
            "objectives": "Earlier recognition of sepsis in acute admissions",
            "biddingOpensOn": (today - Duration::days(10)).to_string(),
            "biddingClosesOn": (today + Duration::days(30)).to_string(),
            "fundingCriteria": { "minimumScores": [{ "dimension": "MONITORING_AND_EVALUATION", "minimumScore": 3 }] },
        }})).await;
        assert_eq!(programme["programme"]["isBiddingOpen"], json!(true));
        let programme_id = programme["programme"]["id"].clone();

        // A royal college bids, with two host sites.
        let project = call(&app, &college_token, CREATE_PROJECT, json!({ "input": {
            "programmeId": programme_id, "title": "Sepsis six in the ED", "aimStatement": "Raise sepsis-six completion within one hour from 40% to 80% by March",
            "clinicalArea": "Emergency medicine", "budgetRequested": 120000,
        }})).await;
        let project_id = project["project"]["id"].clone();
        assert_eq!(project["project"]["status"], json!("DRAFT"));
        let north_site = call(&app, &college_token, ADD_SITE, json!({ "p": project_id, "i": global_id("Institution", north) })).await;
        let south_site = call(&app, &college_token, ADD_SITE, json!({ "p": project_id, "i": global_id("Institution", south) })).await;
        call(&app, &north_token, RESPOND, json!({ "s": north_site["site"]["id"] })).await;
        let accepted = call(&app, &south_token, RESPOND, json!({ "s": south_site["site"]["id"], "lead": global_id("User", south_lead.id) })).await;
        assert_eq!(accepted["site"]["siteLead"]["email"], json!(south_lead.email));

        // The lead completes the springboard team while the bid is a draft, and submits it.
        let college_member = app.member(college, Role::Member).await;
        let team = [
            json!({ "institutionId": global_id("Institution", college), "userId": global_id("User", college_member.id), "role": "CLINICAL_LEAD", "hoursPerWeek": 4.0 }),
            json!({ "institutionId": global_id("Institution", north), "externalName": "Pat Manager", "role": "PROJECT_MANAGER", "hoursPerWeek": 7.5 }),
            json!({ "institutionId": global_id("Institution", south), "externalName": "Sam Analyst", "role": "DATA_ANALYST", "hoursPerWeek": 4.0 }),
        ];
        for mut member in team {
            member["projectId"] = project_id.clone();
            call(&app, &college_token, ADD_TEAM, json!({ "input": member })).await;
        }

        let submitted = call(&app, &college_token, TRANSITION, json!({ "p": project_id, "to": "SUBMITTED" })).await;
        assert_eq!(submitted["project"]["status"], json!("SUBMITTED"));

        // The gate refuses, naming each site that falls short.
        let refused = app.graphql(DECIDE, json!({ "p": project_id, "budget": 100000 }), Some(&funder_token)).await;
        let payload = &refused["data"]["decideFunding"];
        assert!(payload["project"].is_null());
        assert_eq!(user_error_codes(payload), vec!["ASSESSMENT_MISSING", "ASSESSMENT_MISSING"], "{payload}");
        let north_site_id = north_site["site"]["id"].as_str().unwrap();
        assert_eq!(payload["userErrors"][0]["field"], json!(["sites", north_site_id]));
        // The lead may not read the funder's general assessments of its hosts, so it learns that
        // each site falls short, and not whether an assessment exists.
        let readiness = app.graphql(READINESS, json!({ "p": project_id }), Some(&college_token)).await;
        let told = &readiness["data"]["project"]["fundingReadiness"]["failures"];
        assert_eq!(user_error_codes(&json!({ "userErrors": told })), vec!["CAPACITY_SHORTFALL", "CAPACITY_SHORTFALL"]);
        assert_eq!(told[0]["field"], payload["userErrors"][0]["field"], "the same site");

        // The funder assesses both sites; the south one falls short on one dimension.
        for (site, all) in [(north, 3), (south, 3)] {
            let draft = call(&app, &funder_token, ASSESS, json!({ "input": {
                "assessedInstitutionId": global_id("Institution", site), "projectId": project_id,
                "assessedOn": today.to_string(), "dimensions": scores(all), "submit": true,
            }})).await;
            assert_eq!(draft["assessment"]["status"], json!("SUBMITTED"));
        }
        let weak = json!([
            { "dimension": "PROJECT_MANAGEMENT", "score": 4 }, { "dimension": "LEADERSHIP", "score": 4 },
            { "dimension": "MONITORING_AND_EVALUATION", "score": 2, "evidence": "No analyst in post" },
            { "dimension": "DATA_INFRASTRUCTURE", "score": 3 }, { "dimension": "STAFF_TIME", "score": 3 },
        ]);
        call(&app, &funder_token, ASSESS, json!({ "input": {
            "assessedInstitutionId": global_id("Institution", south), "projectId": project_id,
            "assessedOn": today.to_string(), "dimensions": weak, "submit": true,
        }})).await;

        let readiness = app.graphql(READINESS, json!({ "p": project_id }), Some(&college_token)).await;
        let project_view = &readiness["data"]["project"];
        assert_eq!(project_view["teamCapacity"]["meetsRule"], json!(true), "{readiness}");
        assert_eq!(project_view["teamCapacity"]["totalHours"], json!(15.5));
        let failures = &project_view["fundingReadiness"]["failures"];
        assert_eq!(user_error_codes(&json!({ "userErrors": failures })), vec!["SCORE_BELOW_MINIMUM"]);
        let south_site_id = south_site["site"]["id"].as_str().unwrap();
        assert_eq!(failures[0]["field"], json!(["sites", south_site_id, "MONITORING_AND_EVALUATION"]));
        assert!(failures[0]["message"].as_str().unwrap().contains("scores 2"), "{failures}");

        // A new assessment supersedes the weak one; the gate passes.
        call(&app, &funder_token, ASSESS, json!({ "input": {
            "assessedInstitutionId": global_id("Institution", south), "projectId": project_id,
            "assessedOn": today.to_string(), "dimensions": scores(3), "submit": true,
        }})).await;
        let funded = call(&app, &funder_token, DECIDE, json!({ "p": project_id, "budget": 100000 })).await;
        assert_eq!(funded["project"], json!({ "status": "FUNDED", "budgetAwarded": 100000 }));

        // The funder starts it; the lead completes it.
        let view = app.graphql(READINESS, json!({ "p": project_id }), Some(&funder_token)).await;
        assert_eq!(view["data"]["project"]["availableTransitions"], json!(["ACTIVE"]));
        let active = call(&app, &funder_token, TRANSITION, json!({ "p": project_id, "to": "ACTIVE" })).await;
        assert_eq!(active["project"]["status"], json!("ACTIVE"));
        let view = app.graphql(READINESS, json!({ "p": project_id }), Some(&college_token)).await;
        assert_eq!(view["data"]["project"]["availableTransitions"], json!(["COMPLETED", "WITHDRAWN"]));
        let completed = call(&app, &college_token, TRANSITION, json!({ "p": project_id, "to": "COMPLETED" })).await;
        assert_eq!(completed["project"]["status"], json!("COMPLETED"));

        // Every step left its audit trail in the institution that acted.
        let audit = "{ viewer { institution { auditEvents(last: 50) { edges { node { action } } } } } }";
        let funder_admin = app.token(funder, Role::Admin).await;
        let body = app.graphql(audit, json!({}), Some(&funder_admin)).await;
        let actions: Vec<&str> = body["data"]["viewer"]["institution"]["auditEvents"]["edges"]
            .as_array().unwrap().iter().map(|e| e["node"]["action"].as_str().unwrap()).collect();
        for expected in ["programme.create", "capacity_assessment.create", "capacity_assessment.submit", "project.fund", "project.active"] {
            assert!(actions.contains(&expected), "{expected} in {actions:?}");
        }
    }
}
