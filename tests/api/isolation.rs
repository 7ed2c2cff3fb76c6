//! Tenancy: nothing of institution B reaches a member of institution A, and a hidden object
//! answers exactly like one that does not exist.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db_test;
use crate::helpers::*;

/// Institution B with a member, an invitation, an API token and audit events; returns the
/// global IDs of each, keyed by type.
async fn populated_institution(app: &TestApp) -> (Uuid, Vec<(&'static str, String)>) {
    let b = app.institution(InstitutionKind::HostInstitution).await;
    let admin = app.person().await;
    let admin_membership = app.join(&admin, b, Role::Admin).await;
    let token = app.sign_in(&admin, Some(b)).await;
    let invited = app
        .graphql(
            "mutation { inviteMember(input: {email: \"b-newcomer@example.org\", role: MEMBER}) { invitation { id } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let api_token = app
        .graphql(
            "mutation { createApiToken(input: {name: \"b script\", scope: READ}) { apiToken { id } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let audit = app
        .graphql(
            "{ viewer { institution { auditEvents(first: 1) { edges { node { id } } } } } }",
            json!({}),
            Some(&token),
        )
        .await;
    let ids = vec![
        ("Institution", global_id("Institution", b)),
        ("User", global_id("User", admin.id)),
        ("Membership", global_id("Membership", admin_membership)),
        ("Invitation", invited["data"]["inviteMember"]["invitation"]["id"].as_str().unwrap().to_owned()),
        ("ApiToken", api_token["data"]["createApiToken"]["apiToken"]["id"].as_str().unwrap().to_owned()),
        (
            "AuditEvent",
            audit["data"]["viewer"]["institution"]["auditEvents"]["edges"][0]["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
    ];
    (b, ids)
}

const NODE: &str = "query($id: ID!) { node(id: $id) { id __typename } }";

db_test! {
    async fn node_lookups_of_another_tenants_objects_read_as_missing(app) {
        let a = app.institution(InstitutionKind::HostInstitution).await;
        let a_admin = app.token(a, Role::Admin).await;
        let (_, b_ids) = populated_institution(&app).await;

        for (kind, id) in b_ids {
            let hidden = app.graphql(NODE, json!({ "id": id }), Some(&a_admin)).await;
            let missing = app.graphql(NODE, json!({ "id": global_id(kind, Uuid::now_v7()) }), Some(&a_admin)).await;
            assert_eq!(hidden, missing, "{kind}");
            assert_eq!(hidden, json!({ "data": { "node": null } }), "{kind}");
        }
    }
}

db_test! {
    async fn lists_show_only_the_actors_own_institution(app) {
        let a = app.institution(InstitutionKind::HostInstitution).await;
        let a_admin = app.token(a, Role::Admin).await;
        let (b, _) = populated_institution(&app).await;

        let body = app.graphql("{ institutions { totalCount edges { node { id } } } }", json!({}), Some(&a_admin)).await;
        assert_eq!(body["data"]["institutions"]["totalCount"], json!(1));
        assert_eq!(body["data"]["institutions"]["edges"][0]["node"]["id"], json!(global_id("Institution", a)));

        let query = "query($id: ID!) { institution(id: $id) { name members { totalCount } } }";
        let hidden = app.graphql(query, json!({ "id": global_id("Institution", b) }), Some(&a_admin)).await;
        let missing = app.graphql(query, json!({ "id": global_id("Institution", Uuid::now_v7()) }), Some(&a_admin)).await;
        assert_eq!(hidden, missing);
        assert_eq!(hidden, json!({ "data": { "institution": null } }));

        let own = "{ viewer { institution { members { totalCount } invitations { totalCount } apiTokens { totalCount } auditEvents { edges { node { action } } } } } }";
        let body = app.graphql(own, json!({}), Some(&a_admin)).await;
        let institution = &body["data"]["viewer"]["institution"];
        assert_eq!(institution["members"]["totalCount"], json!(1));
        assert_eq!(institution["invitations"]["totalCount"], json!(0));
        assert_eq!(institution["apiTokens"]["totalCount"], json!(0));
        let actions: Vec<Value> = institution["auditEvents"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["action"].clone()).collect();
        assert_eq!(actions, vec![json!("session.sign_in")], "only A's own sign-in");
    }
}

db_test! {
    async fn mutations_on_another_tenants_objects_answer_as_for_missing_ones(app) {
        let a = app.institution(InstitutionKind::HostInstitution).await;
        let a_admin = app.token(a, Role::Admin).await;
        let (_, b_ids) = populated_institution(&app).await;
        let id_of = |kind: &str| b_ids.iter().find(|(k, _)| *k == kind).unwrap().1.clone();
        let before = count_rows(&app, "audit_events").await;

        let cases = [
            ("mutation($id: ID!) { changeMemberRole(input: {membershipId: $id, role: VIEWER}) { userErrors { field code message } } }", "Membership"),
            ("mutation($id: ID!) { removeMember(input: {membershipId: $id}) { userErrors { field code message } } }", "Membership"),
            ("mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { userErrors { field code message } } }", "Invitation"),
            ("mutation($id: ID!) { revokeApiToken(input: {apiTokenId: $id}) { userErrors { field code message } } }", "ApiToken"),
            ("mutation($id: ID!) { updateInstitution(input: {id: $id, name: \"Taken over\"}) { userErrors { field code message } } }", "Institution"),
        ];
        for (mutation, kind) in cases {
            let hidden = app.graphql(mutation, json!({ "id": id_of(kind) }), Some(&a_admin)).await;
            let missing = app.graphql(mutation, json!({ "id": global_id(kind, Uuid::now_v7()) }), Some(&a_admin)).await;
            assert_eq!(hidden, missing, "{mutation}");
            let payload = hidden["data"].as_object().unwrap().values().next().unwrap();
            assert_eq!(user_error_codes(payload), vec!["NOT_FOUND"], "{mutation}");
        }
        assert_eq!(count_rows(&app, "audit_events").await, before, "nothing changed, nothing audited");
    }
}

db_test! {
    async fn a_member_of_both_sees_the_other_institutions_data_only_after_switching(app) {
        let a = app.institution(InstitutionKind::RoyalCollege).await;
        let (b, _) = populated_institution(&app).await;
        let person = app.member(a, Role::Admin).await;
        app.join(&person, b, Role::Admin).await;
        let as_a = app.sign_in(&person, Some(a)).await;

        let name = "query($id: ID!) { institution(id: $id) { name } }";
        let body = app.graphql(name, json!({ "id": global_id("Institution", b) }), Some(&as_a)).await;
        assert!(body["data"]["institution"]["name"].is_string(), "a member may see the institution itself: {body}");
        let query = "query($id: ID!) { institution(id: $id) { name members { totalCount } } }";
        let body = app.graphql(query, json!({ "id": global_id("Institution", b) }), Some(&as_a)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
        assert_eq!(body["errors"][0]["path"], json!(["institution", "members"]));
        assert_eq!(body["data"]["institution"], json!(null), "members is non-null, so its error nulls the institution");

        let as_b = app.sign_in(&person, Some(b)).await;
        let body = app.graphql(query, json!({ "id": global_id("Institution", b) }), Some(&as_b)).await;
        assert_eq!(body["data"]["institution"]["members"]["totalCount"], json!(2));
    }
}

db_test! {
    async fn api_tokens_see_only_their_own_institution(app) {
        let a = app.institution(InstitutionKind::HostInstitution).await;
        let a_admin = app.token(a, Role::Admin).await;
        let script = app
            .graphql("mutation { createApiToken(input: {name: \"s\", scope: READ_WRITE}) { secret } }", json!({}), Some(&a_admin))
            .await["data"]["createApiToken"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, b_ids) = populated_institution(&app).await;

        for (kind, id) in b_ids {
            let body = app.graphql(NODE, json!({ "id": id }), Some(&script)).await;
            assert_eq!(body["data"], json!({ "node": null }), "{kind}");
            assert!(body.get("errors").is_none(), "{kind}: {body}");
        }
        let body = app.graphql("{ institutions { totalCount } }", json!({}), Some(&script)).await;
        assert_eq!(body["data"]["institutions"]["totalCount"], json!(1));
    }
}
