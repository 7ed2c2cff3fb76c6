//! A response keeps the order of the selection set (GraphQL spec, "Serialized Map Ordering"),
//! including aliases and fields that arrive through fragments. Checked on the raw text: a JSON
//! parser into a map would hide the order.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::json;

use crate::db_test;
use crate::helpers::global_id;

/// The positions of each key, in the order given, in the raw body; fails if one is missing.
fn positions(body: &str, keys: &[&str]) -> Vec<usize> {
    keys.iter()
        .map(|key| body.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {body}")))
        .collect()
}

db_test! {
    async fn a_response_keeps_the_selection_sets_order_with_aliases_and_fragments(app) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let token = app.token(institution, Role::Admin).await;
        let query = "query { viewer { zRole: role ...Who institution { slug ... on Institution { name } id } aRole: role } }
            fragment Who on Viewer { user { profession name email } }";

        for accept in ["application/json", "application/graphql-response+json"] {
            let response = app
                .client
                .post(app.url("/graphql"))
                .bearer_auth(&token)
                .header("accept", accept)
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap();
            let body = response.text().await.unwrap();

            let order = positions(&body, &["zRole", "user", "profession", "name", "email", "institution", "slug", "id", "aRole"]);
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{accept}: {body}");
        }
    }
}

db_test! {
    async fn errors_follow_data_and_keep_their_codes(app) {
        let body = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": "query($p: ID!) { b: __typename project(id: $p) { id } a: __typename }", "variables": { "p": global_id("Project", uuid::Uuid::now_v7()) } }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        let order = positions(&body, &["data", "b", "project", "a", "errors", "code"]);
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{body}");
        assert!(body.contains("\"UNAUTHENTICATED\""), "{body}");
    }
}
