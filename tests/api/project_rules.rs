//! Who may do what to a project: each lifecycle move by role and institution, sites, the team,
//! commitments and capacity assessments.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::project_fixtures::*;
use crate::{db_test, db_test_with};

fn to(project: &str, status: &str) -> Value {
    json!({ "p": project, "to": status })
}

db_test! {
    async fn the_leads_admins_and_members_submit_and_withdraw(app) {
        for role in [Role::Admin, Role::Member] {
            let s = setup(&app).await;
            let token = app.token(s.bid.college, role).await;

            let submitted = ok(&app, &token, TRANSITION, to(&s.bid.project, "SUBMITTED")).await;
            let withdrawn = ok(&app, &token, TRANSITION, to(&s.bid.project, "WITHDRAWN")).await;

            assert_eq!(submitted["project"]["status"], json!("SUBMITTED"), "{role:?}");
            assert_eq!(withdrawn["project"]["status"], json!("WITHDRAWN"), "{role:?}");
        }
    }
}

db_test! {
    async fn a_draft_is_submitted_only_into_a_programme_and_with_a_site(app) {
        let bid = draft_project(&app, &open_programme(&app).await).await;
        let outside = create_project(&app, &bid.lead_token, None, "Outside any programme").await;
        let host = institution_id(app.institution(InstitutionKind::HostInstitution).await);
        ok(&app, &bid.lead_token, ADD_SITE, json!({ "p": outside, "i": host })).await;

        let no_site = app.graphql(TRANSITION, to(&bid.project, "SUBMITTED"), Some(&bid.lead_token)).await;
        let no_programme = app.graphql(TRANSITION, to(&outside, "SUBMITTED"), Some(&bid.lead_token)).await;

        assert_eq!(problems(payload(&no_site)), problem("input.sites", "NO_ACCEPTED_SITE"), "{no_site}");
        assert_eq!(problems(payload(&no_programme)), problem("input.programmeId", "REQUIRED"), "{no_programme}");
        assert_eq!(status(&app, &bid.lead_token, &bid.project).await, json!("DRAFT"));
        assert_eq!(status(&app, &bid.lead_token, &outside).await, json!("DRAFT"));
    }
}

db_test_with! {
    async fn a_draft_is_not_submitted_once_bidding_has_closed(app) with |_| {};
    {
        let funding = open_programme(&app).await;
        let bid = draft_project(&app, &funding).await;
        invite_site(&app, &bid).await;
        close_programme(&app, &funding).await;

        let closed = app.graphql(TRANSITION, to(&bid.project, "SUBMITTED"), Some(&bid.lead_token)).await;

        assert_eq!(problems(payload(&closed)), problem("input.programmeId", "BIDDING_CLOSED"), "{closed}");
        assert_eq!(status(&app, &bid.lead_token, &bid.project).await, json!("DRAFT"));
    }
}

db_test! {
    async fn the_leads_viewers_and_read_tokens_cannot_move_a_project(app) {
        let s = setup(&app).await;
        let viewer = app.token(s.bid.college, Role::Viewer).await;
        let read = api_token(&app, &s.bid.lead_token, "READ").await;
        let read_write = api_token(&app, &s.bid.lead_token, "READ_WRITE").await;
        let vars = to(&s.bid.project, "SUBMITTED");

        let by_viewer = app.graphql(TRANSITION, vars.clone(), Some(&viewer)).await;
        let (status_code, by_read_token) = app.graphql_status(TRANSITION, vars.clone(), Some(&read)).await;

        assert_eq!(error_code(&by_viewer), "FORBIDDEN");
        assert_eq!(status_code, reqwest::StatusCode::FORBIDDEN);
        assert_eq!(error_code(&by_read_token), "FORBIDDEN");
        assert_eq!(status(&app, &s.bid.lead_token, &s.bid.project).await, json!("DRAFT"));
        let by_script = ok(&app, &read_write, TRANSITION, vars).await;
        assert_eq!(by_script["project"]["status"], json!("SUBMITTED"), "a READ_WRITE token may");
    }
}

db_test! {
    async fn a_host_site_neither_submits_nor_edits_the_leads_fields(app) {
        let s = setup(&app).await;

        let submit = app.graphql(TRANSITION, to(&s.bid.project, "SUBMITTED"), Some(&s.site.token)).await;
        let withdraw = app.graphql(TRANSITION, to(&s.bid.project, "WITHDRAWN"), Some(&s.site.token)).await;
        let edit = app.graphql(UPDATE_PROJECT, json!({ "input": { "id": s.bid.project, "title": "Hijacked" } }), Some(&s.site.token)).await;

        assert_eq!(error_code(&submit), "FORBIDDEN");
        assert_eq!(error_code(&withdraw), "FORBIDDEN");
        assert_eq!(error_code(&edit), "FORBIDDEN");
        let project = &app.graphql(STATUS, json!({ "p": s.bid.project }), Some(&s.bid.lead_token)).await["data"]["project"];
        assert_eq!((&project["title"], &project["status"]), (&json!("Sepsis six"), &json!("DRAFT")));
    }
}

db_test! {
    async fn the_funder_starts_a_funded_project_and_only_the_lead_completes_it(app) {
        let s = setup(&app).await;
        advance(&app, &s, "FUNDED").await;
        let (lead, funder, host) = (&s.bid.lead_token, &s.funding.funder_token, &s.site.token);

        let by_lead = app.graphql(TRANSITION, to(&s.bid.project, "ACTIVE"), Some(lead)).await;
        let by_host = app.graphql(TRANSITION, to(&s.bid.project, "ACTIVE"), Some(host)).await;
        let started = ok(&app, funder, TRANSITION, to(&s.bid.project, "ACTIVE")).await;
        let completed_by_funder = app.graphql(TRANSITION, to(&s.bid.project, "COMPLETED"), Some(funder)).await;
        let completed = ok(&app, lead, TRANSITION, to(&s.bid.project, "COMPLETED")).await;

        assert_eq!(error_code(&by_lead), "FORBIDDEN");
        assert_eq!(error_code(&by_host), "FORBIDDEN");
        assert_eq!(started["project"]["status"], json!("ACTIVE"));
        assert_eq!(error_code(&completed_by_funder), "FORBIDDEN");
        assert_eq!(completed["project"]["status"], json!("COMPLETED"));
    }
}

db_test! {
    async fn funding_is_decided_with_decide_funding_not_transition_project(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;

        for target in ["FUNDED", "DECLINED"] {
            for token in [&s.funding.funder_token, &s.bid.lead_token] {
                let body = app.graphql(TRANSITION, to(&s.bid.project, target), Some(token)).await;
                assert_eq!(problems(payload(&body)), problem("input.to", "INVALID_TRANSITION"), "{body}");
                assert!(payload(&body)["userErrors"][0]["message"].as_str().unwrap().contains("decideFunding"));
            }
        }
        assert_eq!(status(&app, &s.bid.lead_token, &s.bid.project).await, json!("SUBMITTED"));
    }
}

db_test! {
    async fn an_illegal_move_names_the_current_state_and_the_allowed_ones(app) {
        let s = setup(&app).await;
        let lead = &s.bid.lead_token;
        let cases = [
            ("COMPLETED", "DRAFT", vec!["SUBMITTED", "WITHDRAWN"], vec!["FUNDED", "ACTIVE", "DECLINED"]),
            ("ACTIVE", "DRAFT", vec!["SUBMITTED", "WITHDRAWN"], vec!["FUNDED", "COMPLETED", "DECLINED"]),
            ("DRAFT", "DRAFT", vec!["SUBMITTED", "WITHDRAWN"], vec!["FUNDED", "ACTIVE", "COMPLETED"]),
        ];
        for (target, current, allowed, others) in cases {
            let body = app.graphql(TRANSITION, to(&s.bid.project, target), Some(lead)).await;
            assert_eq!(problems(payload(&body)), problem("input.to", "INVALID_TRANSITION"), "{body}");
            let message = payload(&body)["userErrors"][0]["message"].as_str().unwrap();
            assert!(message.contains(current) && allowed.iter().all(|a| message.contains(a)), "{message}");
            assert!(!others.iter().any(|o| message.contains(o)), "{message}");
        }
        ok(&app, lead, TRANSITION, to(&s.bid.project, "WITHDRAWN")).await;
        let body = app.graphql(TRANSITION, to(&s.bid.project, "SUBMITTED"), Some(lead)).await;
        assert_eq!(problems(payload(&body)), problem("input.to", "INVALID_TRANSITION"));
        let message = payload(&body)["userErrors"][0]["message"].as_str().unwrap();
        assert!(message.contains("WITHDRAWN") && message.contains("final"), "{message}");
    }
}

db_test! {
    async fn only_the_funder_decides_funding_and_only_on_a_submitted_project(app) {
        let s = setup(&app).await;
        let decline = json!({ "p": s.bid.project, "decision": "DECLINED" });
        let funder_viewer = app.token(s.funding.funder, Role::Viewer).await;

        let on_draft = app.graphql(DECIDE, decline.clone(), Some(&s.funding.funder_token)).await;
        advance(&app, &s, "SUBMITTED").await;
        let by_lead = app.graphql(DECIDE, decline.clone(), Some(&s.bid.lead_token)).await;
        let by_host = app.graphql(DECIDE, decline.clone(), Some(&s.site.token)).await;
        let by_viewer = app.graphql(DECIDE, decline.clone(), Some(&funder_viewer)).await;

        assert_eq!(problems(payload(&on_draft)), problem("input.projectId", "NOT_FOUND"), "a draft is not the funder's to see: {on_draft}");
        for body in [by_lead, by_host, by_viewer] {
            assert_eq!(error_code(&body), "FORBIDDEN");
        }
        assert_eq!(status(&app, &s.bid.lead_token, &s.bid.project).await, json!("SUBMITTED"));
    }
}

db_test! {
    async fn a_declined_project_is_final(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let (lead, funder) = (&s.bid.lead_token, &s.funding.funder_token);

        let declined = ok(&app, funder, DECIDE, json!({ "p": s.bid.project, "decision": "DECLINED" })).await;

        assert_eq!(declined["project"], json!({ "status": "DECLINED", "budgetAwarded": null }));
        for (token, target) in [(lead, "SUBMITTED"), (lead, "WITHDRAWN"), (funder, "ACTIVE")] {
            let body = app.graphql(TRANSITION, to(&s.bid.project, target), Some(token)).await;
            assert_eq!(problems(payload(&body)), problem("input.to", "INVALID_TRANSITION"), "{target}");
        }
        let fund = app.graphql(DECIDE, json!({ "p": s.bid.project, "decision": "FUNDED", "budget": 1 }), Some(funder)).await;
        assert_eq!(problems(payload(&fund)), problem("input.projectId", "INVALID_TRANSITION"));
        for token in [lead, funder] {
            let project = &app.graphql(STATUS, json!({ "p": s.bid.project }), Some(token)).await["data"]["project"];
            assert_eq!(project["availableTransitions"], json!([]));
            assert_eq!(project["status"], json!("DECLINED"));
        }
    }
}

db_test! {
    async fn available_transitions_list_exactly_what_the_viewer_may_do(app) {
        let s = setup(&app).await;
        springboard_team(&app, &s.bid).await;
        let lead_viewer = app.token(s.bid.college, Role::Viewer).await;
        let funder_viewer = app.token(s.funding.funder, Role::Viewer).await;
        let parties = [&s.bid.lead_token, &lead_viewer, &s.site.token, &s.funding.funder_token, &funder_viewer];
        // Per state: what the lead, its viewer, the host, the funder and its viewer may do.
        let table = [
            // The funder sees the bid from submission on: a draft is not there for it.
            ("DRAFT", [json!(["SUBMITTED", "WITHDRAWN"]), json!([]), json!([]), json!(null), json!(null)]),
            ("SUBMITTED", [json!(["WITHDRAWN"]), json!([]), json!([]), json!(["FUNDED", "DECLINED"]), json!([])]),
            ("FUNDED", [json!(["WITHDRAWN"]), json!([]), json!([]), json!(["ACTIVE"]), json!([])]),
            ("ACTIVE", [json!(["COMPLETED", "WITHDRAWN"]), json!([]), json!([]), json!([]), json!([])]),
            ("COMPLETED", [json!([]), json!([]), json!([]), json!([]), json!([])]),
        ];
        for (state, expected) in table {
            advance(&app, &s, state).await;
            for (token, expected) in parties.iter().zip(expected) {
                let body = app.graphql(STATUS, json!({ "p": s.bid.project }), Some(token)).await;
                assert_eq!(body["data"]["project"]["availableTransitions"], expected, "{state}: {body}");
            }
        }
    }
}

const RESPOND_ANY: &str = "mutation($s: ID!) { respondToProjectSite(input: {siteId: $s, accept: true}) { site { status } userErrors { field code message } } }";

db_test! {
    async fn a_host_answers_for_its_own_site_only(app) {
        let bid = draft_project(&app, &open_programme(&app).await).await;
        let (a, b) = (invite_site(&app, &bid).await, invite_site(&app, &bid).await);
        let outsider = app.token(app.institution(InstitutionKind::HostInstitution).await, Role::Admin).await;

        let by_other_site = app.graphql(RESPOND_ANY, json!({ "s": a.id }), Some(&b.token)).await;
        let by_lead = app.graphql(RESPOND_ANY, json!({ "s": a.id }), Some(&bid.lead_token)).await;
        let by_outsider = app.graphql(RESPOND_ANY, json!({ "s": a.id }), Some(&outsider)).await;
        let missing = app.graphql(RESPOND_ANY, json!({ "s": global_id("ProjectSite", Uuid::now_v7()) }), Some(&outsider)).await;
        let accepted = ok(&app, &a.token, RESPOND, json!({ "s": a.id, "accept": true })).await;
        let declined = ok(&app, &b.token, RESPOND, json!({ "s": b.id, "accept": false })).await;

        assert_eq!(error_code(&by_other_site), "FORBIDDEN", "B sees the project, but A's site is not B's");
        assert_eq!(error_code(&by_lead), "FORBIDDEN");
        assert_eq!(by_outsider, missing, "a site the host cannot see reads as missing");
        assert_eq!(problems(payload(&by_outsider)), problem("input.siteId", "NOT_FOUND"));
        assert_eq!((&accepted["site"]["status"], &declined["site"]["status"]), (&json!("ACCEPTED"), &json!("DECLINED")));
    }
}

db_test! {
    async fn declining_is_final_for_the_host_which_then_no_longer_sees_the_project(app) {
        let bid = draft_project(&app, &open_programme(&app).await).await;
        let site = answered_site(&app, &bid, false).await;

        let changed = app.graphql(RESPOND, json!({ "s": site.id, "accept": true }), Some(&site.token)).await;
        let seen = app.graphql("query($p: ID!) { project(id: $p) { id } }", json!({ "p": bid.project }), Some(&site.token)).await;

        assert_eq!(problems(payload(&changed)), problem("input.siteId", "NOT_FOUND"), "{changed}");
        assert_eq!(seen["data"]["project"], Value::Null);
    }
}

db_test! {
    async fn only_host_institutions_become_sites_and_each_only_once(app) {
        let bid = draft_project(&app, &open_programme(&app).await).await;
        let host = app.institution(InstitutionKind::HostInstitution).await;
        let add = |institution: String| app.graphql(ADD_SITE, json!({ "p": bid.project, "i": institution }), Some(&bid.lead_token));

        for kind in [InstitutionKind::RoyalCollege, InstitutionKind::ProfessionalBody, InstitutionKind::Funder] {
            let body = add(institution_id(app.institution(kind).await)).await;
            assert_eq!(problems(payload(&body)), problem("input.institutionId", "NOT_ELIGIBLE"), "{kind:?}");
        }
        let missing = add(institution_id(Uuid::now_v7())).await;
        let first = add(institution_id(host)).await;
        let again = add(institution_id(host)).await;

        assert_eq!(problems(payload(&missing)), problem("input.institutionId", "NOT_FOUND"));
        assert_eq!(payload(&first)["site"]["status"], json!("INVITED"), "{first}");
        assert_eq!(problems(payload(&again)), problem("input.institutionId", "TAKEN"));
        assert_eq!(count_rows(&app, "project_sites").await, 1);
    }
}

db_test! {
    async fn team_members_come_from_participating_institutions_and_belong_to_them(app) {
        let s = setup(&app).await;
        let declined = answered_site(&app, &s.bid, false).await;
        let outsider = app.institution(InstitutionKind::HostInstitution).await;
        let (college, host) = (institution_id(s.bid.college), institution_id(s.site.host));
        let user = |p: &Person| global_id("User", p.id);
        let (lead_person, host_person) = (app.member(s.bid.college, Role::Member).await, app.member(s.site.host, Role::Viewer).await);
        let outsider_person = app.member(outsider, Role::Member).await;
        let base = json!({ "projectId": s.bid.project, "role": "TEAM_MEMBER", "hoursPerWeek": 2.5 });
        let with = |extra: Value| { let mut input = base.clone(); input.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone()); json!({ "input": input }) };
        let cases = [
            (json!({ "institutionId": college, "userId": user(&lead_person) }), vec![]),
            (json!({ "institutionId": host, "userId": user(&host_person) }), vec![]),
            (json!({ "institutionId": host, "externalName": "Dr Outside" }), vec![]),
            (json!({ "institutionId": institution_id(outsider), "userId": user(&outsider_person) }), problem("input.institutionId", "NOT_ELIGIBLE")),
            (json!({ "institutionId": institution_id(declined.host), "externalName": "X" }), problem("input.institutionId", "NOT_ELIGIBLE")),
            (json!({ "institutionId": college, "userId": user(&host_person) }), problem("input.userId", "NOT_FOUND")),
            (json!({ "institutionId": college, "userId": user(&lead_person), "externalName": "Both" }), problem("input.userId", "INVALID")),
            (json!({ "institutionId": college }), problem("input.userId", "INVALID")),
        ];
        for (extra, expected) in cases {
            let body = app.graphql(ADD_TEAM, with(extra.clone()), Some(&s.bid.lead_token)).await;
            assert_eq!(problems(payload(&body)), expected, "{extra}: {body}");
        }
        let by_host = app.graphql(ADD_TEAM, with(json!({ "institutionId": host, "externalName": "Y" })), Some(&s.site.token)).await;
        assert_eq!(error_code(&by_host), "FORBIDDEN");
        assert_eq!(count_rows(&app, "team_members").await, 3);
    }
}

db_test! {
    async fn colleges_record_commitments_on_projects_they_see_and_hospitals_cannot(app) {
        let s = setup(&app).await;
        let other_college = app.token(app.institution(InstitutionKind::RoyalCollege).await, Role::Admin).await;
        let input = json!({ "input": { "projectId": s.bid.project, "kind": "LEADERSHIP", "description": "Clinical lead time" } });

        let recorded = ok(&app, &s.bid.lead_token, RECORD_COMMITMENT, input.clone()).await;
        let by_host = app.graphql(RECORD_COMMITMENT, input.clone(), Some(&s.site.token)).await;
        let by_funder = app.graphql(RECORD_COMMITMENT, input.clone(), Some(&s.funding.funder_token)).await;
        let unseen = app.graphql(RECORD_COMMITMENT, input, Some(&other_college)).await;

        assert_eq!(recorded["commitment"]["status"], json!("OFFERED"));
        assert_eq!(error_code(&by_host), "FORBIDDEN");
        assert_eq!(error_code(&by_funder), "FORBIDDEN");
        assert_eq!(problems(payload(&unseen)), problem("input.projectId", "NOT_FOUND"));
        let seen = app.graphql("query($p: ID!) { project(id: $p) { commitments { kind } } }", json!({ "p": s.bid.project }), Some(&s.site.token)).await;
        assert_eq!(seen["data"]["project"]["commitments"], json!([{ "kind": "LEADERSHIP" }]));
        assert_eq!(count_rows(&app, "commitments").await, 1);
    }
}

db_test! {
    async fn only_the_funder_assesses_sites_unless_the_programme_lets_the_lead(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder_viewer = app.token(s.funding.funder, Role::Viewer).await;
        let input = |project: &str, host: Uuid| json!({ "input": { "projectId": project, "assessedInstitutionId": institution_id(host), "assessedOn": app.day(0), "dimensions": scores(3) } });

        for token in [&s.bid.lead_token, &s.site.token, &funder_viewer] {
            let body = app.graphql(ASSESS, input(&s.bid.project, s.site.host), Some(token)).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        }
        assert_eq!(count_rows(&app, "capacity_assessments").await, 0);
        ok(&app, &s.funding.funder_token, ASSESS, input(&s.bid.project, s.site.host)).await;

        let lenient = open_programme_with(&app, json!({ "leadMayAssess": true })).await;
        let bid = draft_project(&app, &lenient).await;
        let site = answered_site(&app, &bid, true).await;
        let by_lead = ok(&app, &bid.lead_token, ASSESS, input(&bid.project, site.host)).await;
        let by_host = app.graphql(ASSESS, input(&bid.project, site.host), Some(&site.token)).await;
        assert_eq!(by_lead["assessment"]["status"], json!("DRAFT"));
        assert_eq!(error_code(&by_host), "FORBIDDEN");
        assert_eq!(count_rows(&app, "capacity_assessments").await, 2);
    }
}

db_test! {
    async fn a_submission_needs_all_five_scores_and_then_never_changes(app) {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        let missing_two = vec![
            ("input.dimensions.DATA_INFRASTRUCTURE".to_owned(), "REQUIRED".to_owned()),
            ("input.dimensions.STAFF_TIME".to_owned(), "REQUIRED".to_owned()),
        ];
        let three: Vec<Value> = scores(3).as_array().unwrap()[..3].to_vec();
        let create = json!({ "input": { "projectId": s.bid.project, "assessedInstitutionId": institution_id(s.site.host), "assessedOn": app.day(0), "dimensions": three, "submit": true } });

        let refused = app.graphql(ASSESS, create.clone(), Some(funder)).await;
        assert_eq!(problems(payload(&refused)), missing_two, "{refused}");
        assert_eq!(count_rows(&app, "capacity_assessments").await, 0);
        let mut draft = create;
        draft["input"]["submit"] = json!(false);
        let draft = ok(&app, funder, ASSESS, draft).await["assessment"]["id"].clone();
        let early = app.graphql(UPDATE_ASSESSMENT, json!({ "input": { "id": draft, "submit": true } }), Some(funder)).await;
        assert_eq!(problems(payload(&early)), missing_two);

        let submitted = assess(&app, funder, &s.bid.project, s.site.host, 3, true).await;
        for input in [json!({ "id": submitted, "dimensions": [{ "dimension": "LEADERSHIP", "score": 0 }] }), json!({ "id": submitted, "submit": true })] {
            let body = app.graphql(UPDATE_ASSESSMENT, json!({ "input": input }), Some(funder)).await;
            assert_eq!(problems(payload(&body)), problem("input.id", "IMMUTABLE"), "{body}");
        }
        let stored = app.graphql(ASSESSMENT, json!({ "id": submitted }), Some(funder)).await;
        assert_eq!(stored["data"]["node"], json!({ "status": "SUBMITTED", "dimensions": [{ "score": 3 }, { "score": 3 }, { "score": 3 }, { "score": 3 }, { "score": 3 }] }));
    }
}

const ASSESSMENT: &str =
    "query($id: ID!) { node(id: $id) { ... on CapacityAssessment { status dimensions { score } } } }";

db_test_with! {
    async fn the_funder_completes_a_draft_assessment_and_submits_it(app) with |_| {};
    {
        let s = setup(&app).await;
        advance(&app, &s, "SUBMITTED").await;
        let funder = &s.funding.funder_token;
        let three: Vec<Value> = scores(3).as_array().unwrap()[..3].to_vec();
        let input = json!({ "input": { "projectId": s.bid.project, "assessedInstitutionId": institution_id(s.site.host), "assessedOn": app.day(0), "dimensions": three } });
        let id = ok(&app, funder, ASSESS, input).await["assessment"]["id"].clone();

        let rest: Vec<Value> = scores(2).as_array().unwrap()[3..].to_vec();
        let submitted = app.graphql(UPDATE_ASSESSMENT, json!({ "input": { "id": id, "dimensions": rest, "submit": true } }), Some(funder)).await;

        assert_eq!(problems(payload(&submitted)), vec![], "{submitted}");
        let stored = app.graphql(ASSESSMENT, json!({ "id": id }), Some(funder)).await;
        assert_eq!(stored["data"]["node"], json!({ "status": "SUBMITTED", "dimensions": [{ "score": 3 }, { "score": 3 }, { "score": 3 }, { "score": 2 }, { "score": 2 }] }));
    }
}

db_test_with! {
    async fn a_college_changes_its_own_commitment_and_the_change_is_kept(app) with |_| {};
    {
        let s = setup(&app).await;
        let input = json!({ "input": { "projectId": s.bid.project, "kind": "LEADERSHIP", "description": "Clinical lead time" } });
        let id = ok(&app, &s.bid.lead_token, RECORD_COMMITMENT, input).await["commitment"]["id"].clone();
        let update = "mutation($id: ID!) { updateCommitment(input: {id: $id, description: \"Two days a month\", status: CONFIRMED}) { commitment { status } userErrors { code } } }";

        let by_host = app.graphql(update, json!({ "id": id }), Some(&s.site.token)).await;
        ok(&app, &s.bid.lead_token, update, json!({ "id": id })).await;

        assert_eq!(error_code(&by_host), "FORBIDDEN");
        let stored = app.graphql("query($id: ID!) { node(id: $id) { ... on Commitment { description status } } }", json!({ "id": id }), Some(&s.bid.lead_token)).await;
        assert_eq!(stored["data"]["node"], json!({ "description": "Two days a month", "status": "CONFIRMED" }));
    }
}
