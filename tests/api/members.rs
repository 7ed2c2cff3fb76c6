//! Institutions, invitations, roles and the last-admin rule.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;

const INVITE: &str = "mutation($input: InviteMemberInput!) {
  inviteMember(input: $input) { invitationToken invitation { id email role status } userErrors { field code message } }
}";
const ACCEPT: &str = "mutation($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { membership { id role institution { id } user { email } } userErrors { field code message } }
}";
const CHANGE_ROLE: &str = "mutation($id: ID!, $role: Role!) {
  changeMemberRole(input: {membershipId: $id, role: $role}) { membership { role } userErrors { field code message } }
}";
const REMOVE: &str = "mutation($id: ID!) { removeMember(input: {membershipId: $id}) { removedMembershipId userErrors { code } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeInvitation(input: {invitationId: $id}) { invitation { status } userErrors { code } } }";

async fn invite(app: &TestApp, admin: &str, email: &str, role: &str) -> Value {
    let body = app.graphql(INVITE, json!({ "input": { "email": email, "role": role } }), Some(admin)).await;
    body["data"]["inviteMember"].clone()
}

db_test! {
    async fn an_invited_newcomer_creates_an_account_and_joins(app) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let admin = app.token(institution, Role::Admin).await;

        let invited = invite(&app, &admin, "Newcomer@Example.org", "MEMBER").await;
        assert_eq!(invited["invitation"]["email"], json!("newcomer@example.org"));
        assert_eq!(invited["invitation"]["status"], json!("PENDING"));
        let token = invited["invitationToken"].as_str().unwrap();

        let input = json!({ "token": token, "name": "New Comer", "password": "a brand new password" });
        let accepted = app.graphql(ACCEPT, json!({ "input": input }), None).await;
        let membership = &accepted["data"]["acceptInvitation"]["membership"];
        assert_eq!(membership["role"], json!("MEMBER"), "{accepted}");
        assert_eq!(membership["institution"]["id"], json!(global_id("Institution", institution)));

        let payload = app.sign_in_payload("newcomer@example.org", "a brand new password", Some(institution)).await;
        assert!(payload["tokens"]["accessToken"].is_string(), "{payload}");

        let again = app.graphql(ACCEPT, json!({ "input": input }), None).await;
        assert_eq!(user_error_codes(&again["data"]["acceptInvitation"]), vec!["INVALID_TOKEN"]);
    }
}

db_test! {
    async fn an_existing_account_must_be_signed_in_to_accept(app) {
        let college = app.institution(InstitutionKind::RoyalCollege).await;
        let hospital = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(college, Role::Admin).await;
        let person = app.member(hospital, Role::Member).await;
        let token = invite(&app, &admin, &person.email, "VIEWER").await["invitationToken"].as_str().unwrap().to_owned();

        let anonymous = app.graphql(ACCEPT, json!({ "input": { "token": token } }), None).await;
        assert_eq!(user_error_codes(&anonymous["data"]["acceptInvitation"]), vec!["WRONG_ACCOUNT"]);
        let someone_else = app.token(hospital, Role::Member).await;
        let wrong = app.graphql(ACCEPT, json!({ "input": { "token": token } }), Some(&someone_else)).await;
        assert_eq!(user_error_codes(&wrong["data"]["acceptInvitation"]), vec!["WRONG_ACCOUNT"]);

        let signed_in = app.sign_in(&person, Some(hospital)).await;
        let accepted = app.graphql(ACCEPT, json!({ "input": { "token": token } }), Some(&signed_in)).await;
        assert_eq!(accepted["data"]["acceptInvitation"]["membership"]["role"], json!("VIEWER"), "{accepted}");
    }
}

db_test! {
    async fn bad_acceptances_write_nothing(app) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let admin = app.token(institution, Role::Admin).await;
        let token = invite(&app, &admin, "careful@example.org", "MEMBER").await["invitationToken"].as_str().unwrap().to_owned();
        let users_before = count_rows(&app, "users").await;

        let cases = [
            (json!({ "token": token, "name": "Ok Name", "password": "short" }), vec!["INVALID"]),
            (json!({ "token": token, "name": " ", "password": "a long enough password" }), vec!["REQUIRED"]),
            (json!({ "token": token }), vec!["REQUIRED", "INVALID"]),
            (json!({ "token": token, "name": "x".repeat(201), "password": "a long enough password" }), vec!["INVALID"]),
            (json!({ "token": "sbi_garbage", "name": "A", "password": "a long enough password" }), vec!["INVALID_TOKEN"]),
        ];
        for (input, codes) in cases {
            let body = app.graphql(ACCEPT, json!({ "input": input }), None).await;
            assert_eq!(user_error_codes(&body["data"]["acceptInvitation"]), codes, "{input}");
        }
        assert_eq!(count_rows(&app, "users").await, users_before);
        assert_eq!(count_rows(&app, "memberships").await, 1);
    }
}

db_test! {
    async fn a_revoked_invitation_cannot_be_accepted(app) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let admin = app.token(institution, Role::Admin).await;
        let invited = invite(&app, &admin, "late@example.org", "MEMBER").await;
        let revoked = app.graphql(REVOKE, json!({ "id": invited["invitation"]["id"] }), Some(&admin)).await;
        assert_eq!(revoked["data"]["revokeInvitation"]["invitation"]["status"], json!("REVOKED"));

        let input = json!({ "token": invited["invitationToken"], "name": "Late", "password": "a long enough password" });
        let body = app.graphql(ACCEPT, json!({ "input": input }), None).await;
        assert_eq!(user_error_codes(&body["data"]["acceptInvitation"]), vec!["INVALID_TOKEN"]);
    }
}

db_test! {
    async fn only_admins_invite_and_invitations_are_validated(app) {
        let institution = app.institution(InstitutionKind::RoyalCollege).await;
        let admin = app.token(institution, Role::Admin).await;
        let member = app.token(institution, Role::Member).await;
        let existing = app.member(institution, Role::Viewer).await;

        let body = app.graphql(INVITE, json!({ "input": { "email": "x@example.org", "role": "MEMBER" } }), Some(&member)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");

        for (email, code) in [("not-an-email", "INVALID"), ("", "REQUIRED"), (&*format!("{}@example.org", "a".repeat(300)), "INVALID"), (&*existing.email, "ALREADY_MEMBER")] {
            let payload = invite(&app, &admin, email, "MEMBER").await;
            assert_eq!(user_error_codes(&payload), vec![code], "{email}");
            assert!(payload["invitationToken"].is_null());
        }
        assert_eq!(count_rows(&app, "invitations").await, 0);
    }
}

db_test! {
    async fn admins_change_roles_and_the_change_applies_to_live_tokens(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let person = app.person().await;
        let membership = app.join(&person, institution, Role::Viewer).await;
        let their_token = app.sign_in(&person, Some(institution)).await;
        let id = global_id("Membership", membership);

        let body = app.graphql(CHANGE_ROLE, json!({ "id": id, "role": "ADMIN" }), Some(&their_token)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");

        let body = app.graphql(CHANGE_ROLE, json!({ "id": id, "role": "MEMBER" }), Some(&admin)).await;
        assert_eq!(body["data"]["changeMemberRole"]["membership"]["role"], json!("MEMBER"));
        let viewer = app.graphql("{ viewer { role } }", json!({}), Some(&their_token)).await;
        assert_eq!(viewer["data"]["viewer"]["role"], json!("MEMBER"));
    }
}

db_test! {
    async fn the_last_admin_can_be_neither_demoted_nor_removed(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.person().await;
        let membership = global_id("Membership", app.join(&person, institution, Role::Admin).await);
        let admin = app.sign_in(&person, Some(institution)).await;

        let body = app.graphql(CHANGE_ROLE, json!({ "id": membership, "role": "MEMBER" }), Some(&admin)).await;
        assert_eq!(user_error_codes(&body["data"]["changeMemberRole"]), vec!["LAST_ADMIN"]);
        let body = app.graphql(REMOVE, json!({ "id": membership }), Some(&admin)).await;
        assert_eq!(user_error_codes(&body["data"]["removeMember"]), vec!["LAST_ADMIN"]);
        let viewer = app.graphql("{ viewer { role } }", json!({}), Some(&admin)).await;
        assert_eq!(viewer["data"]["viewer"]["role"], json!("ADMIN"), "nothing was changed");

        // With a second admin, the first may step down.
        app.member(institution, Role::Admin).await;
        let body = app.graphql(CHANGE_ROLE, json!({ "id": membership, "role": "MEMBER" }), Some(&admin)).await;
        assert_eq!(body["data"]["changeMemberRole"]["membership"]["role"], json!("MEMBER"), "{body}");
    }
}

db_test! {
    async fn admins_remove_members_and_members_may_leave(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let leaver = app.person().await;
        let leaving = global_id("Membership", app.join(&leaver, institution, Role::Member).await);
        let other = app.person().await;
        let removed = global_id("Membership", app.join(&other, institution, Role::Member).await);
        let leaver_token = app.sign_in(&leaver, Some(institution)).await;

        let body = app.graphql(REMOVE, json!({ "id": removed }), Some(&leaver_token)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
        let body = app.graphql(REMOVE, json!({ "id": leaving }), Some(&leaver_token)).await;
        assert_eq!(body["data"]["removeMember"]["removedMembershipId"], json!(leaving));
        let body = app.graphql(REMOVE, json!({ "id": removed }), Some(&admin)).await;
        assert_eq!(body["data"]["removeMember"]["removedMembershipId"], json!(removed));

        let members = app.graphql("{ viewer { institution { members { totalCount } } } }", json!({}), Some(&admin)).await;
        assert_eq!(members["data"]["viewer"]["institution"]["members"]["totalCount"], json!(1));
    }
}

const CREATE_INSTITUTION: &str = "mutation($input: CreateInstitutionInput!) {
  createInstitution(input: $input) {
    institution { id slug kind nation }
    membership { role }
    invitation { email role }
    invitationToken
    userErrors { field code }
  }
}";

db_test! {
    async fn platform_admins_create_institutions_with_their_first_admin(app) {
        let admin = app.platform_admin().await;
        let token = app.sign_in(&admin, None).await;
        let input = json!({ "name": "Royal College of Tests", "slug": "rct", "kind": "ROYAL_COLLEGE", "nation": "WALES", "firstAdminEmail": "head@rct.example.org" });

        let body = app.graphql(CREATE_INSTITUTION, json!({ "input": input }), Some(&token)).await;
        let created = &body["data"]["createInstitution"];
        assert_eq!(created["institution"]["kind"], json!("ROYAL_COLLEGE"), "{body}");
        assert_eq!(created["invitation"]["role"], json!("ADMIN"));
        assert!(created["invitationToken"].as_str().unwrap().starts_with("sbi_"));

        let again = app.graphql(CREATE_INSTITUTION, json!({ "input": input }), Some(&token)).await;
        assert_eq!(user_error_codes(&again["data"]["createInstitution"]), vec!["TAKEN"]);

        let existing = app.person().await;
        let input = json!({ "name": "Second", "slug": "second", "kind": "FUNDER", "nation": "ENGLAND", "firstAdminEmail": existing.email });
        let body = app.graphql(CREATE_INSTITUTION, json!({ "input": input }), Some(&token)).await;
        assert_eq!(body["data"]["createInstitution"]["membership"]["role"], json!("ADMIN"));
        assert!(body["data"]["createInstitution"]["invitationToken"].is_null());
    }
}

db_test! {
    async fn nobody_else_creates_institutions_and_bad_input_writes_nothing(app) {
        let institution = app.institution(InstitutionKind::Funder).await;
        let admin = app.token(institution, Role::Admin).await;
        let input = json!({ "name": "X", "slug": "xx", "kind": "FUNDER", "nation": "ENGLAND", "firstAdminEmail": "a@example.org" });
        let body = app.graphql(CREATE_INSTITUTION, json!({ "input": input }), Some(&admin)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");

        let platform = app.platform_admin().await;
        let token = app.sign_in(&platform, None).await;
        let input = json!({ "name": " ", "slug": "Bad Slug", "kind": "FUNDER", "nation": "ENGLAND", "firstAdminEmail": "nope" });
        let body = app.graphql(CREATE_INSTITUTION, json!({ "input": input }), Some(&token)).await;
        let errors = &body["data"]["createInstitution"]["userErrors"];
        let fields: Vec<_> = errors.as_array().unwrap().iter().map(|e| e["field"].clone()).collect();
        assert_eq!(fields, vec![json!(["input", "name"]), json!(["input", "slug"]), json!(["input", "firstAdminEmail"])]);
        assert_eq!(count_rows(&app, "institutions").await, 1);
    }
}

db_test! {
    async fn every_mutation_leaves_an_audit_event_for_admins_only(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let member = app.token(institution, Role::Member).await;
        invite(&app, &admin, "audited@example.org", "VIEWER").await;

        let query = "{ viewer { institution { auditEvents(last: 10) { edges { node { action subjectType actor { email } } } } } } }";
        let body = app.graphql(query, json!({}), Some(&admin)).await;
        let actions: Vec<_> = body["data"]["viewer"]["institution"]["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["action"].as_str().unwrap().to_owned())
            .collect();
        assert!(actions.contains(&"invitation.create".to_owned()), "{actions:?}");
        assert!(actions.contains(&"session.sign_in".to_owned()), "{actions:?}");

        let body = app.graphql(query, json!({}), Some(&member)).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
    }
}
