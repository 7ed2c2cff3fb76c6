//! Limits and hostile input: body size, query depth and complexity, page sizes, cursors, IDs and
//! oversized strings. Each is refused with a code a client can act on, never a 500.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Datelike;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::{db_test, db_test_with};

const NODE: &str = "query($id: ID!) { node(id: $id) { id } }";
const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";

/// A query whose deepest field is `depth` levels down: a chain through viewer, memberships,
/// institutions and their members (one per page, so complexity stays small), ending in a scalar.
/// (`__typename` would not do: async-graphql does not count it towards depth.)
fn query_of_depth(depth: usize) -> String {
    // Each field, and a scalar field of the type it returns.
    let start = [("viewer", "role"), ("memberships", "id"), ("institution", "id")];
    let repeating =
        [("members(first: 1)", "totalCount"), ("edges", "cursor"), ("node", "id"), ("institution", "id")];
    let chain: Vec<(&str, &str)> =
        start.into_iter().chain(repeating.into_iter().cycle()).take(depth - 1).collect();
    let mut query = String::from("{ ");
    for (field, _) in &chain {
        query.push_str(field);
        query.push_str(" { ");
    }
    query.push_str(chain.last().map_or("__typename", |(_, scalar)| scalar));
    for _ in 0..=chain.len() {
        query.push_str(" }");
    }
    query
}

async fn admin_token(app: &TestApp) -> String {
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    app.token(institution, Role::Admin).await
}

db_test_with! {
    async fn an_oversized_body_is_a_413_with_a_json_error(app) with |settings| settings.max_body_bytes = 1024;
    {
        let padded = |bytes: usize| json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(bytes) } });

        let small = app.client.post(app.url("/graphql")).json(&padded(100)).send().await.unwrap();
        let large = app.client.post(app.url("/graphql")).json(&padded(4096)).send().await.unwrap();

        assert_eq!(small.status(), StatusCode::OK);
        assert_eq!(large.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = large.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_REQUEST", "{body}");
        assert!(body.get("data").is_none(), "{body}");
    }
}

db_test! {
    async fn a_query_nested_deeper_than_the_limit_is_refused_before_execution(app) {
        let limit = settings("sqlite::memory:").max_query_depth;
        let token = admin_token(&app).await;

        let at_limit = app.graphql(&query_of_depth(limit), json!({}), Some(&token)).await;
        let too_deep = app.graphql(&query_of_depth(limit + 1), json!({}), Some(&token)).await;

        assert!(at_limit.get("errors").is_none(), "{at_limit}");
        assert!(at_limit["data"]["viewer"].is_object(), "{at_limit}");
        assert_eq!(error_code(&too_deep), "GRAPHQL_VALIDATION_FAILED", "{too_deep}");
        assert!(too_deep["errors"][0]["message"].as_str().unwrap().contains("deep"), "{too_deep}");
        assert!(too_deep.get("data").is_none(), "{too_deep}");
    }
}

db_test_with! {
    async fn a_lowered_depth_limit_applies(app) with |settings| settings.max_query_depth = 3;
    {
        let token = admin_token(&app).await;

        let at_limit = app.graphql(&query_of_depth(3), json!({}), Some(&token)).await;
        let too_deep = app.graphql(&query_of_depth(4), json!({}), Some(&token)).await;

        assert!(at_limit.get("errors").is_none(), "{at_limit}");
        assert_eq!(error_code(&too_deep), "GRAPHQL_VALIDATION_FAILED", "{too_deep}");
        assert!(too_deep.get("data").is_none(), "{too_deep}");
    }
}

db_test! {
    async fn a_query_more_complex_than_the_limit_is_refused_before_execution(app) {
        let nested = |page: u32| {
            format!(
                "{{ institutions(first: {page}) {{ edges {{ node {{ members(first: {page}) {{ edges {{ node {{ user {{ email }} }} }} }} }} }} }} }}"
            )
        };
        let token = admin_token(&app).await;

        // 10 × 10 rows cost a few hundred; 100 × 100 cost tens of thousands, over the default 10,000.
        let modest = app.graphql(&nested(10), json!({}), Some(&token)).await;
        let huge = app.graphql(&nested(100), json!({}), Some(&token)).await;

        assert!(modest.get("errors").is_none(), "{modest}");
        assert_eq!(error_code(&huge), "GRAPHQL_VALIDATION_FAILED", "{huge}");
        assert!(huge["errors"][0]["message"].as_str().unwrap().contains("complex"), "{huge}");
        assert!(huge.get("data").is_none(), "{huge}");
    }
}

db_test! {
    async fn bad_page_arguments_are_bad_user_input_never_a_500(app) {
        let token = admin_token(&app).await;
        let cases = [
            ("first: 0", "first"),
            ("first: 101", "first"),
            ("last: -1", "last"),
            ("last: 0", "last"),
            ("first: 5, last: 5", "last"),
            ("after: \"garbage\"", "after"),
            ("after: \"AAAA\"", "after"),
            ("after: \"\"", "after"),
            ("before: \"!!!\"", "before"),
        ];

        for (args, field) in cases {
            let query = format!("{{ institutions({args}) {{ edges {{ cursor }} }} }}");

            let (status, body) = app.graphql_status(&query, json!({}), Some(&token)).await;

            assert_eq!(status, StatusCode::OK, "{args}: {body}");
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{args}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], json!(field), "{args}: {body}");
        }
    }
}

db_test! {
    async fn the_largest_page_and_a_real_cursor_are_accepted(app) {
        let token = admin_token(&app).await;
        let first = app.graphql("{ institutions(first: 100) { edges { cursor } } }", json!({}), Some(&token)).await;
        let cursor = first["data"]["institutions"]["edges"][0]["cursor"].as_str().unwrap();

        let next = app
            .graphql(
                "query($after: String) { institutions(first: 1, after: $after) { edges { cursor } } }",
                json!({ "after": cursor }),
                Some(&token),
            )
            .await;

        assert!(next.get("errors").is_none(), "{next}");
        assert_eq!(next["data"]["institutions"]["edges"], json!([]));
    }
}

db_test! {
    async fn malformed_ids_are_bad_user_input(app) {
        let token = admin_token(&app).await;
        let ids = [
            ("empty", String::new()),
            ("not base64", "!!!".to_owned()),
            ("10 KB", "A".repeat(10 * 1024)),
            ("unknown type", URL_SAFE_NO_PAD.encode("Nope:123")),
            ("unknown type, real uuid", URL_SAFE_NO_PAD.encode(format!("Nope:{}", Uuid::now_v7()))),
            ("known type, bad uuid", URL_SAFE_NO_PAD.encode("Institution:123")),
            ("no separator", URL_SAFE_NO_PAD.encode("Institution")),
        ];

        for (case, id) in ids {
            let (status, body) = app.graphql_status(NODE, json!({ "id": id }), Some(&token)).await;

            assert_eq!(status, StatusCode::OK, "{case}: {body}");
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{case}: {body}");
            assert_eq!(body["data"]["node"], Value::Null, "{case}: {body}");
        }
    }
}

db_test! {
    async fn a_well_formed_id_of_nothing_is_null_without_errors(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let token = app.token(institution, Role::Admin).await;

        for kind in ["Institution", "User", "Membership", "Invitation", "ApiToken", "AuditEvent"] {
            let missing = app.graphql(NODE, json!({ "id": global_id(kind, Uuid::now_v7()) }), Some(&token)).await;

            assert!(missing.get("errors").is_none(), "{kind}: {missing}");
            assert_eq!(missing["data"], json!({ "node": null }), "{kind}");
        }
        let own = global_id("Institution", institution);
        let found = app.graphql(NODE, json!({ "id": own }), Some(&token)).await;
        assert_eq!(found["data"]["node"]["id"], json!(own));
    }
}

db_test! {
    async fn more_than_a_hundred_ids_in_nodes_is_bad_user_input(app) {
        let token = admin_token(&app).await;
        let ids = |n: usize| (0..n).map(|_| global_id("Institution", Uuid::now_v7())).collect::<Vec<_>>();

        let hundred = app.graphql(NODES, json!({ "ids": ids(100) }), Some(&token)).await;
        let (status, too_many) = app.graphql_status(NODES, json!({ "ids": ids(101) }), Some(&token)).await;

        assert!(hundred.get("errors").is_none(), "{hundred}");
        assert_eq!(hundred["data"]["nodes"].as_array().unwrap().len(), 100);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(error_code(&too_many), "BAD_USER_INPUT", "{too_many}");
        assert!(too_many["data"].is_null(), "{too_many}");
    }
}

db_test! {
    async fn huge_strings_in_sign_in_are_refused_not_a_500(app) {
        let huge = "a".repeat(100 * 1024);
        let cases = [
            ("huge email", format!("{huge}@example.org"), PASSWORD.to_owned()),
            ("huge domain", format!("someone@{huge}.org"), PASSWORD.to_owned()),
            ("huge password", "someone@example.org".to_owned(), huge.clone()),
        ];

        for (case, email, password) in cases {
            let variables = json!({ "input": { "email": email, "password": password } });

            let (status, body) = app.graphql_status(SIGN_IN, variables, None).await;

            assert_eq!(status, StatusCode::OK, "{case}");
            let refused_by_user_error =
                body["data"]["signIn"]["userErrors"].as_array().is_some_and(|errors| !errors.is_empty());
            let refused_by_top_level_error = body.get("errors").is_some();
            assert!(refused_by_user_error || refused_by_top_level_error, "{case}: {body}");
            assert!(body["data"]["signIn"]["tokens"].is_null(), "{case}");
            if refused_by_top_level_error {
                assert_ne!(error_code(&body), "INTERNAL", "{case}: {body}");
            }
        }
    }
}

db_test! {
    async fn text_the_database_cannot_store_is_a_user_error_not_a_500(app) {
        let world = springboard::demo::seed(&app.db, &app.address).await.unwrap().unwrap();
        let token = |email: &'static str| {
            let password = world.password.clone();
            let app = &app;
            async move {
                let payload = app.sign_in_payload(email, &password, None).await;
                payload["tokens"]["accessToken"].as_str().unwrap().to_owned()
            }
        };
        let lead = token("admin@royal-college-acute-care.example.org").await;
        let funder = token("admin@improvement-fund.example.org").await;

        for query in [
            r#"{ projects(filter: {search: "a\u0000b"}) { totalCount } }"#,
            r#"{ projects(filter: {clinicalArea: "\u0000"}) { totalCount } }"#,
            r#"{ institutionDirectory(nameContains: "a\u0000") { totalCount } }"#,
            r#"{ sharedResults(filter: {search: "\u0000"}) { totalCount } }"#,
        ] {
            let body = app.graphql(query, json!({}), Some(&lead)).await;
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        }

        let active = app.graphql("{ projects(filter: {statuses: [ACTIVE]}) { edges { node { id measures { id unit } } } } }", json!({}), Some(&lead)).await;
        let project = &active["data"]["projects"]["edges"][0]["node"];
        let continuous = project["measures"].as_array().unwrap().iter().find(|m| m["unit"] == json!("CONTINUOUS")).unwrap();
        let before = count_rows(&app, "observations").await;
        let record = "mutation($m: ID!, $period: Date!) { recordObservations(input: {measureId: $m, observations: [{site: \"northgate-general\", periodStart: $period, value: 3, note: \"a\\u0000b\"}]}) { recordedCount userErrors { field code } } }";
        let last_january = format!("{}-01-01", app.clock.today().year() - 1);
        let body = app.graphql(record, json!({ "m": continuous["id"], "period": last_january }), Some(&lead)).await;
        assert_eq!(body["data"]["recordObservations"]["userErrors"], json!([{ "field": ["input", "observations", "0", "note"], "code": "INVALID" }]), "{body}");
        assert_eq!(count_rows(&app, "observations").await, before);

        let result = "mutation($p: ID!) { createSharedResult(input: {projectId: $p, title: \"t\", summary: \"s\", body: \"a\\u0000b\", outcome: LESSON, visibility: PROJECT}) { userErrors { field code } } }";
        let body = app.graphql(result, json!({ "p": project["id"] }), Some(&lead)).await;
        assert_eq!(body["data"]["createSharedResult"]["userErrors"], json!([{ "field": ["input", "body"], "code": "INVALID" }]), "{body}");

        let roles = ["CLINICAL_LEAD", "PROJECT_MANAGER", "EXECUTIVE_SPONSOR", "DATA_ANALYST", "IMPROVEMENT_ADVISOR", "SERVICE_USER_REPRESENTATIVE", "EVALUATOR", "TEAM_MEMBER"];
        let programme = "mutation($g: [[ProjectRole!]!], $opens: Date!, $closes: Date!) { createProgramme(input: {name: \"x\", objectives: \"y\", biddingOpensOn: $opens, biddingClosesOn: $closes, fundingCriteria: {requiredRoleGroups: $g}}) { userErrors { field code } } }";
        let body = app.graphql(programme, json!({ "g": vec![roles; 20], "opens": app.day(-1), "closes": app.day(30) }), Some(&funder)).await;
        assert_eq!(body["data"]["createProgramme"]["userErrors"], json!([{ "field": ["input", "criteria", "requiredRoleGroups"], "code": "INVALID" }]), "{body}");
    }
}

db_test! {
    async fn dates_the_database_cannot_store_are_a_user_error_not_a_500(app) {
        let funder = app.institution(InstitutionKind::Funder).await;
        let token = app.token(funder, Role::Admin).await;
        let create = "mutation($opens: Date!, $closes: Date!) { createProgramme(input: {name: \"x\", objectives: \"y\", biddingOpensOn: $opens, biddingClosesOn: $closes}) { programme { id } userErrors { field code } } }";

        let body = app.graphql(create, json!({ "opens": "-9000-01-01", "closes": app.day(30) }), Some(&token)).await;

        assert_eq!(body["data"]["createProgramme"]["userErrors"], json!([{ "field": ["input", "biddingOpensOn"], "code": "INVALID" }]), "{body}");
        assert_eq!(count_rows(&app, "programmes").await, 0);
    }
}
