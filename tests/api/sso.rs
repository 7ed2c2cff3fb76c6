//! Single sign-on through an institution's OpenID Connect provider, against a provider the test
//! starts itself (discovery, JWKS, token endpoint, real RS256 signatures): a member signs in and
//! a first-timer gets an account; a wrong audience, an expired token, a forged signature, a
//! wrong nonce, a replayed state and a domain not allowed are refused; a rotated key is picked
//! up; an institution that requires single sign-on refuses password sign-ins.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use entity::sso_provider;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::oidc_idp::{CLIENT_ID, CLIENT_SECRET, Signer, TestIdp};

const CONFIGURE: &str = "mutation($input: ConfigureSingleSignOnInput!) {
  configureSingleSignOn(input: $input) {
    singleSignOn { issuer clientId allowedEmailDomains firstTimeRole redirectUri required }
    userErrors { field code message }
  }
}";
const SETTINGS: &str = "query($id: ID!) { singleSignOn(institutionId: $id) { issuer clientId required } }";
const START: &str = "mutation($institution: String!) {
  startSingleSignOn(input: {institution: $institution}) { authorizationUrl state expiresAt userErrors { field code message } }
}";
const COMPLETE: &str = "mutation($state: String!, $code: String!) {
  completeSingleSignOn(input: {state: $state, code: $code}) {
    tokens { accessToken } user { email name } userErrors { field code message }
  }
}";
const WHO: &str = "{ viewer { role user { email } institution { slug } } }";

struct Setup {
    idp: TestIdp,
    institution: uuid::Uuid,
    slug: String,
    admin_token: String,
}

fn settings_input(idp: &TestIdp, institution: uuid::Uuid, required: bool) -> Value {
    json!({
        "institutionId": global_id("Institution", institution),
        "issuer": idp.issuer,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "allowedEmailDomains": ["Example.org"],
        "firstTimeRole": "VIEWER",
        "redirectUri": "https://front.example.org/sso-callback",
        "required": required,
    })
}

async fn setup(app: &TestApp) -> Setup {
    let idp = TestIdp::start().await;
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    let admin_token = app.token(institution, Role::Admin).await;
    let body = app
        .graphql(CONFIGURE, json!({ "input": settings_input(&idp, institution, false) }), Some(&admin_token))
        .await;
    let saved = &body["data"]["configureSingleSignOn"];
    assert_eq!(saved["userErrors"], json!([]), "{body}");
    assert_eq!(saved["singleSignOn"]["allowedEmailDomains"], json!(["example.org"]));
    let slug = app.graphql(WHO, json!({}), Some(&admin_token)).await["data"]["viewer"]["institution"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    Setup { idp, institution, slug, admin_token }
}

/// Starts a sign-in, plays the person at the provider, and completes it.
async fn sign_in_via(
    app: &TestApp,
    setup: &Setup,
    email: &str,
    adjust: impl FnOnce(&mut Value),
    signer: Signer,
) -> Value {
    let started = app.graphql(START, json!({ "institution": setup.slug.to_uppercase() }), None).await;
    let url = started["data"]["startSingleSignOn"]["authorizationUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"));
    assert!(url.starts_with(&format!("{}/authorize?", setup.idp.issuer)), "{url}");
    let (code, state) = setup.idp.authorize(url, email, adjust, signer);
    assert_eq!(state, started["data"]["startSingleSignOn"]["state"].as_str().unwrap());
    let body = app.graphql(COMPLETE, json!({ "state": state, "code": code }), None).await;
    body["data"]["completeSingleSignOn"].clone()
}

db_test! {
    async fn members_and_first_timers_sign_in_through_their_provider(app) {
        let setup = setup(&app).await;
        let shown = app.graphql(SETTINGS, json!({ "id": global_id("Institution", setup.institution) }), Some(&setup.admin_token)).await;
        assert_eq!(shown["data"]["singleSignOn"]["clientId"], json!(CLIENT_ID), "{shown}");
        let stored = sso_provider::Entity::find_by_id(setup.institution).one(app.db.conn()).await.unwrap().unwrap();
        assert!(!stored.sealed_client_secret.contains(CLIENT_SECRET), "the client secret is sealed at rest");

        let member = app.member(setup.institution, Role::Member).await;
        let done = sign_in_via(&app, &setup, &member.email, |_| {}, Signer::Published).await;
        let access = done["tokens"]["accessToken"].as_str().unwrap_or_else(|| panic!("{done}"));
        let who = app.graphql(WHO, json!({}), Some(access)).await;
        assert_eq!(who["data"]["viewer"]["role"], json!("MEMBER"), "an existing member keeps their role");
        assert_eq!(who["data"]["viewer"]["user"]["email"], json!(member.email));

        let done = sign_in_via(&app, &setup, "First.Timer@example.org", |_| {}, Signer::Published).await;
        assert_eq!(done["user"], json!({ "email": "first.timer@example.org", "name": "Pat Example" }), "{done}");
        let who = app.graphql(WHO, json!({}), done["tokens"]["accessToken"].as_str()).await;
        assert_eq!(who["data"]["viewer"]["role"], json!("VIEWER"), "the first-time role");
        // An account made this way has no password anyone knows.
        assert!(app.sign_in_payload("first.timer@example.org", PASSWORD, None).await["tokens"].is_null());

        // The provider rotates its key: the next token is signed with a key id we have not seen.
        setup.idp.rotate();
        let done = sign_in_via(&app, &setup, &member.email, |_| {}, Signer::Published).await;
        assert!(done["tokens"]["accessToken"].is_string(), "after rotation: {done}");
    }
}

db_test! {
    async fn answers_that_do_not_verify_are_refused(app) {
        let setup = setup(&app).await;
        let member = app.member(setup.institution, Role::Member).await;
        let refused = |payload: &Value| -> Vec<String> {
            assert!(payload["tokens"].is_null(), "{payload}");
            user_error_codes(payload)
        };
        let wrong_aud = sign_in_via(&app, &setup, &member.email, |c| c["aud"] = json!("another-client"), Signer::Published).await;
        assert_eq!(refused(&wrong_aud), vec!["SSO_FAILED"]);
        let expired = sign_in_via(&app, &setup, &member.email, |c| {
            c["exp"] = json!(chrono::Utc::now().timestamp() - 120);
        }, Signer::Published).await;
        assert_eq!(refused(&expired), vec!["SSO_FAILED"]);
        let forged = sign_in_via(&app, &setup, &member.email, |_| {}, Signer::Unpublished).await;
        assert_eq!(refused(&forged), vec!["SSO_FAILED"]);
        let wrong_issuer = sign_in_via(&app, &setup, &member.email, |c| c["iss"] = json!("https://elsewhere.example.org"), Signer::Published).await;
        assert_eq!(refused(&wrong_issuer), vec!["SSO_FAILED"]);
        let wrong_nonce = sign_in_via(&app, &setup, &member.email, |c| c["nonce"] = json!("not-this-sign-in"), Signer::Published).await;
        assert_eq!(refused(&wrong_nonce), vec!["SSO_FAILED"]);
        let unverified = sign_in_via(&app, &setup, &member.email, |c| c["email_verified"] = json!(false), Signer::Published).await;
        assert_eq!(refused(&unverified), vec!["SSO_FAILED"]);
        let other_domain = sign_in_via(&app, &setup, "someone@elsewhere.example.net", |_| {}, Signer::Published).await;
        assert_eq!(refused(&other_domain), vec!["NOT_ELIGIBLE"]);
        assert_eq!(
            entity::user::Entity::find().all(app.db.conn()).await.unwrap().iter().filter(|u| u.email.ends_with("example.net")).count(),
            0,
            "no account for a domain not allowed"
        );

        // A callback replayed: its state works once, even when the first use succeeded.
        let started = app.graphql(START, json!({ "institution": setup.slug }), None).await;
        let url = started["data"]["startSingleSignOn"]["authorizationUrl"].as_str().unwrap().to_owned();
        let (code, state) = setup.idp.authorize(&url, &member.email, |_| {}, Signer::Published);
        let first = app.graphql(COMPLETE, json!({ "state": state, "code": code }), None).await;
        assert!(first["data"]["completeSingleSignOn"]["tokens"]["accessToken"].is_string(), "{first}");
        let again = app.graphql(COMPLETE, json!({ "state": state, "code": code }), None).await;
        assert_eq!(user_error_codes(&again["data"]["completeSingleSignOn"]), vec!["INVALID_TOKEN"]);
        // And a sign-in left too long at the provider has expired.
        let started = app.graphql(START, json!({ "institution": setup.slug }), None).await;
        let url = started["data"]["startSingleSignOn"]["authorizationUrl"].as_str().unwrap().to_owned();
        let (code, state) = setup.idp.authorize(&url, &member.email, |_| {}, Signer::Published);
        app.clock.advance(chrono::Duration::minutes(11));
        let late = app.graphql(COMPLETE, json!({ "state": state, "code": code }), None).await;
        assert_eq!(user_error_codes(&late["data"]["completeSingleSignOn"]), vec!["INVALID_TOKEN"]);

        let unknown = app.graphql(START, json!({ "institution": "no-such-institution" }), None).await;
        assert_eq!(user_error_codes(&unknown["data"]["startSingleSignOn"]), vec!["NOT_FOUND"]);
    }
}

db_test! {
    async fn an_institution_that_requires_it_refuses_passwords(app) {
        let setup = setup(&app).await;
        let member = app.member(setup.institution, Role::Member).await;
        let input = settings_input(&setup.idp, setup.institution, true);
        let body = app.graphql(CONFIGURE, json!({ "input": input }), Some(&setup.admin_token)).await;
        assert_eq!(body["data"]["configureSingleSignOn"]["singleSignOn"]["required"], json!(true), "{body}");

        let refused = app.sign_in_payload(&member.email, PASSWORD, None).await;
        assert_eq!(user_error_codes(&refused), vec!["SSO_REQUIRED"], "{refused}");
        let message = refused["userErrors"][0]["message"].as_str().unwrap();
        assert!(message.contains(&format!("\"{}\"", setup.slug)), "the message names the way in: {message}");
        // A wrong password still gets the usual answer: the rule is only told to the owner.
        let wrong = app.sign_in_payload(&member.email, "not the password at all", None).await;
        assert_eq!(user_error_codes(&wrong), vec!["INVALID_CREDENTIALS"]);
        let done = sign_in_via(&app, &setup, &member.email, |_| {}, Signer::Published).await;
        assert!(done["tokens"]["accessToken"].is_string(), "{done}");

        // Someone outside the institution is not affected.
        let outsider = app.member(app.institution(InstitutionKind::Funder).await, Role::Member).await;
        assert!(app.sign_in_payload(&outsider.email, PASSWORD, None).await["tokens"].is_object());
    }
}

db_test! {
    async fn settings_are_checked_and_only_admins_change_them(app) {
        let idp = TestIdp::start().await;
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.token(institution, Role::Admin).await;
        let member = app.token(institution, Role::Member).await;
        let configure = |input: Value, token: String| {
            let app = &app;
            async move { app.graphql(CONFIGURE, json!({ "input": input }), Some(&token)).await }
        };
        let good = settings_input(&idp, institution, false);

        let body = configure(good.clone(), member.clone()).await;
        assert_eq!(error_code(&body), "FORBIDDEN");
        let codes = |body: &Value| user_error_codes(&body["data"]["configureSingleSignOn"]);
        let fields = |body: &Value| -> Vec<Value> {
            body["data"]["configureSingleSignOn"]["userErrors"].as_array().unwrap().iter().map(|e| e["field"].clone()).collect()
        };
        let mut insecure = good.clone();
        insecure["issuer"] = json!("http://idp.example.org");
        assert_eq!(fields(&configure(insecure, admin.clone()).await), vec![json!(["input", "issuer"])]);
        // Longer than the column that keeps it: a user error, not a database error.
        let mut long = good.clone();
        long["issuer"] = json!(format!("https://idp.example.org/{}", "t".repeat(600)));
        long["redirectUri"] = json!(format!("https://front.example.org/{}", "c".repeat(600)));
        assert_eq!(fields(&configure(long, admin.clone()).await), vec![json!(["input", "issuer"]), json!(["input", "redirectUri"])]);
        let mut unreachable = good.clone();
        unreachable["issuer"] = json!("http://127.0.0.1:9/tenant");
        assert_eq!(codes(&configure(unreachable, admin.clone()).await), vec!["INVALID"]);
        let mut mismatched = good.clone();
        mismatched["issuer"] = json!(format!("{}/", idp.issuer.replace("/tenant", "")));
        assert_eq!(codes(&configure(mismatched, admin.clone()).await), vec!["INVALID"]);
        let mut bad = good.clone();
        bad["firstTimeRole"] = json!("ADMIN");
        bad["allowedEmailDomains"] = json!(["not a domain"]);
        bad["clientSecret"] = Value::Null;
        assert_eq!(
            fields(&configure(bad, admin.clone()).await),
            vec![json!(["input", "clientSecret"]), json!(["input", "allowedEmailDomains"]), json!(["input", "firstTimeRole"])]
        );
        let mut locks_out = good.clone();
        locks_out["required"] = json!(true);
        locks_out["allowedEmailDomains"] = json!(["nhs.net"]);
        assert_eq!(codes(&configure(locks_out, admin.clone()).await), vec!["NOT_ALLOWED_IN_STATUS"]);
        assert_eq!(count_rows(&app, "sso_providers").await, 0, "nothing refused was saved");

        assert_eq!(codes(&configure(good.clone(), admin.clone()).await), Vec::<String>::new());
        // Later changes may leave the secret out: the stored one stays.
        let mut no_secret = good.clone();
        no_secret["clientSecret"] = Value::Null;
        assert_eq!(codes(&configure(no_secret, admin.clone()).await), Vec::<String>::new());
        let remove = "mutation($id: ID!) { removeSingleSignOn(input: {institutionId: $id}) { removed userErrors { code } } }";
        let id = global_id("Institution", institution);
        assert_eq!(error_code(&app.graphql(remove, json!({ "id": id }), Some(&member)).await), "FORBIDDEN");
        let removed = app.graphql(remove, json!({ "id": id }), Some(&admin)).await;
        assert_eq!(removed["data"]["removeSingleSignOn"]["removed"], json!(true), "{removed}");
        assert_eq!(count_rows(&app, "sso_providers").await, 0);
    }
}
