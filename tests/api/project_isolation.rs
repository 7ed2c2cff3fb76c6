//! Tenancy for projects: an institution not involved in a project finds nothing of it, and
//! every answer about a hidden object equals the answer about a missing one.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::project_fixtures::*;
use crate::{db_test, db_test_with};

/// A project with an accepted site, a team member, a commitment and a submitted assessment;
/// returns the global IDs of each, keyed by type.
async fn populated_project(app: &TestApp) -> (Setup, Vec<(&'static str, String)>) {
    let s = setup(app).await;
    let member = app.member(s.site.host, Role::Member).await;
    let team_input = json!({ "institutionId": institution_id(s.site.host), "userId": global_id("User", member.id), "role": "CLINICAL_LEAD", "hoursPerWeek": 4 });
    let team_member = add_team_member(app, &s.bid.lead_token, &s.bid.project, team_input).await;
    let commitment_input = json!({ "input": { "projectId": s.bid.project, "kind": "LEGITIMACY", "description": "Endorsed by council" } });
    let commitment =
        ok(app, &s.bid.lead_token, RECORD_COMMITMENT, commitment_input).await["commitment"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
    advance(app, &s, "SUBMITTED").await;
    let assessment = assess(app, &s.funding.funder_token, &s.bid.project, s.site.host, 3, true).await;
    let ids = vec![
        ("Project", s.bid.project.clone()),
        ("ProjectSite", s.site.id.clone()),
        ("TeamMember", team_member),
        ("Commitment", commitment),
        ("CapacityAssessment", assessment),
    ];
    (s, ids)
}

/// Admins of a college, a hospital and a funder that have nothing to do with the project.
async fn outsiders(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut tokens = Vec::new();
    for (name, kind) in [
        ("college", InstitutionKind::RoyalCollege),
        ("hospital", InstitutionKind::HostInstitution),
        ("funder", InstitutionKind::Funder),
    ] {
        tokens.push((name, app.token(app.institution(kind).await, Role::Admin).await));
    }
    tokens
}

const NODE: &str = "query($id: ID!) { node(id: $id) { id __typename } }";
const PROGRAMME: &str = "query($id: ID!) { programme(id: $id) { name projects { totalCount } } }";
const PROJECT: &str = "query($id: ID!) { project(id: $id) {
  title sites { id } team { id } assessments { id } commitments { id } programme { id }
} }";

db_test! {
    async fn outsiders_find_nothing_of_a_project_by_list_by_id_or_by_node(app) {
        let (s, ids) = populated_project(&app).await;
        for (kind, id) in &ids {
            let seen = app.graphql(NODE, json!({ "id": id }), Some(&s.bid.lead_token)).await;
            assert_eq!(seen["data"]["node"]["__typename"], json!(kind), "the lead sees its {kind}: {seen}");
        }

        for (who, token) in outsiders(&app).await {
            let listed = app.graphql("{ projects { totalCount edges { node { id } } } }", json!({}), Some(&token)).await;
            assert_eq!(listed, json!({ "data": { "projects": { "totalCount": 0, "edges": [] } } }), "{who}");
            let hidden = app.graphql(PROJECT, json!({ "id": s.bid.project }), Some(&token)).await;
            let missing = app.graphql(PROJECT, json!({ "id": global_id("Project", Uuid::now_v7()) }), Some(&token)).await;
            assert_eq!(hidden, missing, "{who}");
            assert_eq!(hidden, json!({ "data": { "project": null } }), "{who}");
            let programme = app.graphql(PROGRAMME, json!({ "id": s.funding.programme }), Some(&token)).await;
            assert_eq!(programme["data"]["programme"]["projects"]["totalCount"], json!(0), "{who}: open for bids, but not its projects");
            let own = app.graphql("{ myCommitments { id } }", json!({}), Some(&token)).await;
            assert_eq!(own, json!({ "data": { "myCommitments": [] } }), "{who}");

            for (kind, id) in &ids {
                let hidden = app.graphql(NODE, json!({ "id": id }), Some(&token)).await;
                let missing = app.graphql(NODE, json!({ "id": global_id(kind, Uuid::now_v7()) }), Some(&token)).await;
                assert_eq!(hidden, missing, "{who}: {kind}");
                assert_eq!(hidden, json!({ "data": { "node": null } }), "{who}: {kind}");
            }
        }
    }
}

/// Every project mutation that names an object by `$id`, with the kind of that object. `$host`
/// and `$college` are the project's own site and lead, so only the hidden ID differs.
const MUTATIONS: [(&str, &str); 13] = [
    (
        "mutation($id: ID!) { updateProject(input: {id: $id, title: \"Taken over\"}) { project { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!) { transitionProject(input: {projectId: $id, to: WITHDRAWN}) { project { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!) { decideFunding(input: {projectId: $id, decision: DECLINED}) { project { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!, $host: ID!) { addProjectSite(input: {projectId: $id, institutionId: $host}) { site { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!, $college: ID!) { addTeamMember(input: {projectId: $id, institutionId: $college, externalName: \"Mole\", role: TEAM_MEMBER, hoursPerWeek: 1}) { teamMember { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!) { recordCommitment(input: {projectId: $id, kind: LEADERSHIP, description: \"Mole\"}) { commitment { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!, $host: ID!, $today: Date!) { createCapacityAssessment(input: {projectId: $id, assessedInstitutionId: $host, assessedOn: $today}) { assessment { id } userErrors { field code message } } }",
        "Project",
    ),
    (
        "mutation($id: ID!) { respondToProjectSite(input: {siteId: $id, accept: false}) { site { id } userErrors { field code message } } }",
        "ProjectSite",
    ),
    (
        "mutation($id: ID!) { removeProjectSite(input: {siteId: $id}) { removedSiteId userErrors { field code message } } }",
        "ProjectSite",
    ),
    (
        "mutation($id: ID!) { updateTeamMember(input: {teamMemberId: $id, hoursPerWeek: 99}) { teamMember { id } userErrors { field code message } } }",
        "TeamMember",
    ),
    (
        "mutation($id: ID!) { removeTeamMember(input: {teamMemberId: $id}) { removedTeamMemberId userErrors { field code message } } }",
        "TeamMember",
    ),
    (
        "mutation($id: ID!) { updateCommitment(input: {id: $id, status: WITHDRAWN}) { commitment { id } userErrors { field code message } } }",
        "Commitment",
    ),
    (
        "mutation($id: ID!) { updateCapacityAssessment(input: {id: $id, submit: true}) { assessment { id } userErrors { field code message } } }",
        "CapacityAssessment",
    ),
];

const TABLES: [&str; 7] = [
    "projects",
    "project_sites",
    "team_members",
    "commitments",
    "capacity_assessments",
    "programmes",
    "audit_events",
];

async fn row_counts(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in TABLES {
        counts.push(count_rows(app, table).await);
    }
    counts
}

db_test! {
    async fn outsiders_mutations_answer_exactly_as_for_missing_ids(app) {
        let (s, ids) = populated_project(&app).await;
        let id_of = |kind: &str| ids.iter().find(|(k, _)| *k == kind).unwrap().1.clone();
        let outsiders = outsiders(&app).await;
        let before = row_counts(&app).await;

        for (who, token) in &outsiders {
            for (mutation, kind) in MUTATIONS {
                let vars = |id: String| json!({ "id": id, "host": institution_id(s.site.host), "college": institution_id(s.bid.college), "today": app.day(0) });
                let hidden = app.graphql(mutation, vars(id_of(kind)), Some(token)).await;
                let missing = app.graphql(mutation, vars(global_id(kind, Uuid::now_v7())), Some(token)).await;
                assert_eq!(hidden, missing, "{who}: {mutation}");
                let refused = hidden.get("errors").is_some() && error_code(&hidden) == "FORBIDDEN";
                let not_found = !refused && user_error_codes(payload(&hidden)) == vec!["NOT_FOUND"];
                assert!(refused || not_found, "{who}: {mutation}: {hidden}");
            }
        }
        assert_eq!(row_counts(&app).await, before, "nothing changed, nothing audited");
        let project = app.graphql(STATUS, json!({ "p": s.bid.project }), Some(&s.bid.lead_token)).await;
        assert_eq!(project["data"]["project"]["title"], json!("Sepsis six"));
    }
}

db_test_with! {
    async fn a_closed_programme_is_hidden_from_outsiders_like_a_missing_one(app) with |_| {};
    {
        let (s, _) = populated_project(&app).await;
        close_programme(&app, &s.funding).await;
        let update = "mutation($id: ID!) { updateProgramme(input: {id: $id, name: \"Taken over\"}) { programme { id } userErrors { field code message } } }";
        let missing = global_id("Programme", Uuid::now_v7());

        for (who, token) in outsiders(&app).await {
            for query in [PROGRAMME, NODE, update] {
                let hidden = app.graphql(query, json!({ "id": s.funding.programme }), Some(&token)).await;
                let absent = app.graphql(query, json!({ "id": missing }), Some(&token)).await;
                assert_eq!(hidden, absent, "{who}: {query}");
            }
            let body = app.graphql(NODE, json!({ "id": s.funding.programme }), Some(&token)).await;
            assert_eq!(body, json!({ "data": { "node": null } }), "{who}");
        }
        let seen = app.graphql(PROGRAMME, json!({ "id": s.funding.programme }), Some(&s.site.token)).await;
        assert_eq!(seen["data"]["programme"]["name"], json!("Safer care 2027"), "a site still sees it");
    }
}

const ASSESSED: &str = "query($p: ID!) { project(id: $p) { assessments { assessedInstitution { id } } } }";

fn assessed_institutions(body: &Value) -> Vec<String> {
    let list = body["data"]["project"]["assessments"].as_array().unwrap_or_else(|| panic!("{body}"));
    let mut ids: Vec<String> =
        list.iter().map(|a| a["assessedInstitution"]["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

db_test! {
    async fn a_site_sees_its_own_assessments_and_not_another_sites(app) {
        let s = setup(&app).await;
        let other = answered_site(&app, &s.bid, true).await;
        advance(&app, &s, "SUBMITTED").await;
        let own_assessment = assess(&app, &s.funding.funder_token, &s.bid.project, s.site.host, 3, true).await;
        let other_assessment = assess(&app, &s.funding.funder_token, &s.bid.project, other.host, 2, false).await;
        let (a, b) = (institution_id(s.site.host), institution_id(other.host));
        let mut both = vec![a.clone(), b.clone()];
        both.sort();

        let cases = [
            (&s.site.token, vec![a.clone()]),
            (&other.token, vec![b.clone()]),
            (&s.bid.lead_token, both.clone()),
            (&s.funding.funder_token, both),
        ];
        for (token, expected) in cases {
            let body = app.graphql(ASSESSED, json!({ "p": s.bid.project }), Some(token)).await;
            assert_eq!(assessed_institutions(&body), expected, "{body}");
        }
        for (token, hidden) in [(&s.site.token, &other_assessment), (&other.token, &own_assessment)] {
            let body = app.graphql(NODE, json!({ "id": hidden }), Some(token)).await;
            assert_eq!(body, json!({ "data": { "node": null } }));
        }
    }
}

db_test! {
    async fn viewers_and_read_tokens_change_nothing(app) {
        let s = setup(&app).await;
        let new_host = institution_id(app.institution(InstitutionKind::HostInstitution).await);
        let project = &s.bid.project;
        let lead_side = [
            (UPDATE_PROJECT, json!({ "input": { "id": project, "title": "Viewer's title" } })),
            (TRANSITION, json!({ "p": project, "to": "SUBMITTED" })),
            (ADD_SITE, json!({ "p": project, "i": new_host })),
            (ADD_TEAM, json!({ "input": { "projectId": project, "institutionId": institution_id(s.bid.college), "externalName": "V", "role": "TEAM_MEMBER", "hoursPerWeek": 1 } })),
            (RECORD_COMMITMENT, json!({ "input": { "projectId": project, "kind": "LEADERSHIP", "description": "V" } })),
        ];
        let host_side = [(RESPOND, json!({ "s": s.site.id, "accept": false }))];
        let funder_side = [
            (ASSESS, json!({ "input": { "projectId": project, "assessedInstitutionId": institution_id(s.site.host), "assessedOn": app.day(0), "dimensions": scores(4), "submit": true } })),
            (UPDATE_PROGRAMME, json!({ "input": { "id": s.funding.programme, "name": "Viewer's programme" } })),
        ];
        let sides = [
            (s.bid.college, &s.bid.lead_token, lead_side.to_vec()),
            (s.site.host, &s.site.token, host_side.to_vec()),
            (s.funding.funder, &s.funding.funder_token, funder_side.to_vec()),
        ];
        let before = row_counts(&app).await;

        for (institution, admin, mutations) in sides {
            let viewer = app.token(institution, Role::Viewer).await;
            let read = api_token(&app, admin, "READ").await;
            let after_tokens = row_counts(&app).await;
            for (mutation, vars) in &mutations {
                let body = app.graphql(mutation, vars.clone(), Some(&viewer)).await;
                assert_eq!(error_code(&body), "FORBIDDEN", "viewer: {mutation}: {body}");
                let (status, body) = app.graphql_status(mutation, vars.clone(), Some(&read)).await;
                assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "FORBIDDEN"), "READ token: {mutation}");
            }
            assert_eq!(row_counts(&app).await, after_tokens, "nothing written by {mutations:?}");
        }
        assert_eq!(row_counts(&app).await[..6], before[..6]);
        let body = app.graphql(STATUS, json!({ "p": project }), Some(&s.bid.lead_token)).await;
        assert_eq!(body["data"]["project"]["title"], json!("Sepsis six"));
        assert_eq!(body["data"]["project"]["sites"][0]["status"], json!("ACCEPTED"));
    }
}

db_test! {
    async fn a_team_members_email_is_shown_only_within_their_own_institution(app) {
        let s = setup(&app).await;
        let member = app.member(s.site.host, Role::Member).await;
        let team_input = json!({ "institutionId": institution_id(s.site.host), "userId": global_id("User", member.id), "role": "CLINICAL_LEAD", "hoursPerWeek": 4 });
        add_team_member(&app, &s.bid.lead_token, &s.bid.project, team_input).await;
        let query = "query($p: ID!) { project(id: $p) { team { user { name email } } } }";
        let seen = |token: String| {
            let app = &app;
            let project = s.bid.project.clone();
            async move {
                let body = app.graphql(query, json!({ "p": project }), Some(&token)).await;
                body["data"]["project"]["team"][0]["user"].clone()
            }
        };
        let from_the_lead = seen(s.bid.lead_token.clone()).await;
        assert_eq!(from_the_lead["email"], Value::Null, "another institution's person: the name, not the email");
        assert!(from_the_lead["name"].is_string(), "{from_the_lead}");
        let from_their_host = seen(s.site.token.clone()).await;
        assert_eq!(from_their_host["email"], json!(member.email), "a member of the same institution sees it");
        let funder = seen(s.funding.funder_token.clone()).await;
        assert!(funder.is_null() || funder["email"].is_null(), "{funder}");
    }
}
