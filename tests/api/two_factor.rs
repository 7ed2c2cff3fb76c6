//! Two-factor sign-in (TOTP): enrolling and confirming an authenticator, the challenge a right
//! password opens, wrong and replayed codes, recovery codes used twice, the attempt limits, an
//! institution that requires it, platform admins who always need it, and the security notices.

use chrono::Duration;
use entity::institution::InstitutionKind;
use entity::membership::Role;
use entity::{audit_event, recovery_code, totp_factor, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use springboard::identity::totp;

use crate::helpers::*;
use crate::{db_test, mail_test};

const ENROL: &str =
    "mutation { enrolTwoFactor { enrolment { secret otpauthUri } userErrors { field code message } } }";
const CONFIRM: &str = "mutation($code: String!) {
  confirmTwoFactor(input: {code: $code}) { recoveryCodes userErrors { field code message } }
}";
const DISABLE: &str = "mutation($code: String!) {
  disableTwoFactor(input: {code: $code}) { disabled userErrors { field code message } }
}";
const REPLACE_CODES: &str = "mutation($code: String!) {
  replaceRecoveryCodes(input: {code: $code}) { recoveryCodes userErrors { field code message } }
}";
const STATUS: &str = "{ viewer { twoFactor { enabled enabledAt recoveryCodesLeft required } } }";
const REQUIRE: &str = "mutation($id: ID!, $require: Boolean!) {
  updateInstitution(input: {id: $id, requireTwoFactor: $require}) {
    institution { requireTwoFactor } userErrors { field code message }
  }
}";

/// Base32 as authenticator apps read it.
fn decode_base32(text: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.chars() {
        let value = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).expect("base32") as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

async fn complete(app: &TestApp, challenge: &str, code: &str) -> Value {
    let body = app
        .graphql(COMPLETE_SIGN_IN, json!({ "input": { "challenge": challenge, "code": code } }), None)
        .await;
    body["data"]["completeSignIn"].clone()
}

const SIGN_IN_TWO_STEPS: &str = "mutation($email: String!, $password: String!) {
  signIn(input: {email: $email, password: $password}) {
    tokens { accessToken }
    challenge { token step expiresAt enrolment { secret otpauthUri } }
    userErrors { field code message }
  }
}";

async fn challenge_for(app: &TestApp, person: &Person) -> (String, Value) {
    let variables = json!({ "email": person.email, "password": PASSWORD });
    let payload = app.graphql(SIGN_IN_TWO_STEPS, variables, None).await["data"]["signIn"].clone();
    assert!(payload["tokens"].is_null(), "no tokens before the second step: {payload}");
    let challenge = payload["challenge"].clone();
    (challenge["token"].as_str().unwrap_or_else(|| panic!("a challenge: {payload}")).to_owned(), challenge)
}

/// Enrols and confirms an authenticator for a signed-in person; returns its secret and the
/// recovery codes.
async fn turn_on(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>) {
    let body = app.graphql(ENROL, json!({}), Some(token)).await;
    let secret = decode_base32(body["data"]["enrolTwoFactor"]["enrolment"]["secret"].as_str().unwrap());
    let body = app.graphql(CONFIRM, json!({ "code": app.totp_code(&secret, 0) }), Some(token)).await;
    let codes =
        body["data"]["confirmTwoFactor"]["recoveryCodes"].as_array().unwrap_or_else(|| panic!("{body}"));
    (secret, codes.iter().map(|c| c.as_str().unwrap().to_owned()).collect())
}

db_test! {
    async fn enrolling_confirming_and_signing_in_with_a_code(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let token = app.sign_in(&person, None).await;

        let body = app.graphql(ENROL, json!({}), Some(&token)).await;
        let enrolment = &body["data"]["enrolTwoFactor"]["enrolment"];
        let secret = decode_base32(enrolment["secret"].as_str().unwrap());
        assert_eq!(secret.len(), 20);
        let uri = enrolment["otpauthUri"].as_str().unwrap();
        assert!(uri.starts_with("otpauth://totp/Springboard:"), "{uri}");
        assert!(uri.contains(&format!("secret={}", enrolment["secret"].as_str().unwrap())), "{uri}");
        // Not on until confirmed: a password alone still signs in.
        assert!(app.sign_in_payload(&person.email, PASSWORD, None).await["tokens"].is_object());

        let wrong = app.graphql(CONFIRM, json!({ "code": "000000" }), Some(&token)).await;
        let expected_wrong = if app.totp_code(&secret, 0) == "000000" { vec![] } else { vec!["INVALID_CODE"] };
        assert_eq!(user_error_codes(&wrong["data"]["confirmTwoFactor"]), expected_wrong);
        let code = app.totp_code(&secret, 0);
        let body = app.graphql(CONFIRM, json!({ "code": format!("{} {}", &code[..3], &code[3..]) }), Some(&token)).await;
        let codes = body["data"]["confirmTwoFactor"]["recoveryCodes"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(codes.len(), 10);
        let status = app.graphql(STATUS, json!({}), Some(&token)).await;
        let status = &status["data"]["viewer"]["twoFactor"];
        assert_eq!((status["enabled"].clone(), status["recoveryCodesLeft"].clone()), (json!(true), json!(10)));
        assert_eq!(status["required"], json!(false));
        let again = app.graphql(ENROL, json!({}), Some(&token)).await;
        assert_eq!(user_error_codes(&again["data"]["enrolTwoFactor"]), vec!["ALREADY_ENABLED"]);

        // Now a password opens a challenge; the code used to confirm cannot be replayed.
        let (challenge, shown) = challenge_for(&app, &person).await;
        assert_eq!(shown["step"], json!("CODE"));
        assert!(shown["enrolment"].is_null());
        assert_eq!(user_error_codes(&complete(&app, &challenge, &code).await), vec!["INVALID_CODE"]);
        let next = app.totp_code(&secret, 1);
        let done = complete(&app, &challenge, &next).await;
        let access = done["tokens"]["accessToken"].as_str().unwrap_or_else(|| panic!("{done}"));
        assert_eq!(app.graphql(STATUS, json!({}), Some(access)).await["data"]["viewer"]["twoFactor"]["enabled"], json!(true));
        assert!(done["recoveryCodes"].is_null());
        // Spent: neither the challenge nor the code works again.
        assert_eq!(user_error_codes(&complete(&app, &challenge, &next).await), vec!["INVALID_TOKEN"]);
        let (second, _) = challenge_for(&app, &person).await;
        assert_eq!(user_error_codes(&complete(&app, &second, &next).await), vec!["INVALID_CODE"]);
    }
}

db_test! {
    async fn recovery_codes_work_once_and_are_replaced(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let token = app.sign_in(&person, None).await;
        let (secret, codes) = turn_on(&app, &token).await;

        let (challenge, _) = challenge_for(&app, &person).await;
        let typed = codes[0].to_uppercase().replace('-', " ");
        let done = complete(&app, &challenge, &typed).await;
        assert!(done["tokens"]["accessToken"].is_string(), "{done}");
        let (challenge, _) = challenge_for(&app, &person).await;
        assert_eq!(user_error_codes(&complete(&app, &challenge, &codes[0]).await), vec!["INVALID_CODE"]);
        let status = app.graphql(STATUS, json!({}), Some(&token)).await;
        assert_eq!(status["data"]["viewer"]["twoFactor"]["recoveryCodesLeft"], json!(9));

        let body = app.graphql(REPLACE_CODES, json!({ "code": app.totp_code(&secret, 1) }), Some(&token)).await;
        let fresh = body["data"]["replaceRecoveryCodes"]["recoveryCodes"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(fresh.len(), 10);
        let (challenge, _) = challenge_for(&app, &person).await;
        assert_eq!(user_error_codes(&complete(&app, &challenge, &codes[1]).await), vec!["INVALID_CODE"], "old codes end");
        let done = complete(&app, &challenge, fresh[0].as_str().unwrap()).await;
        assert!(done["tokens"]["accessToken"].is_string(), "{done}");

        let stored = recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(person.id))
            .count(app.db.conn())
            .await
            .unwrap();
        assert_eq!(stored, 10, "only the latest set is kept");
    }
}

db_test! {
    async fn challenges_expire_and_wrong_codes_are_limited(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let token = app.sign_in(&person, None).await;
        let (secret, _) = turn_on(&app, &token).await;
        // Codes that no step near now produces.
        let valid: Vec<String> = (-2..=3).map(|steps| app.totp_code(&secret, steps)).collect();
        let wrongs: Vec<String> =
            (0..20u32).map(|n| format!("{:06}", n * 49_999 + 7)).filter(|c| !valid.contains(c)).take(9).collect();
        let wrong = |n: usize| wrongs[n].clone();

        // Five wrong codes spend a challenge: the right one no longer helps.
        let (challenge, _) = challenge_for(&app, &person).await;
        for n in 0..5 {
            assert_eq!(user_error_codes(&complete(&app, &challenge, &wrong(n)).await), vec!["INVALID_CODE"]);
        }
        let after = complete(&app, &challenge, &app.totp_code(&secret, 1)).await;
        assert_eq!(user_error_codes(&after), vec!["INVALID_TOKEN"]);

        // Across challenges, ten codes per 15 minutes (the one that confirmed the authenticator
        // counts too): the eleventh, even a right one, is refused until the window ends.
        let (challenge, _) = challenge_for(&app, &person).await;
        for n in 5..9 {
            assert_eq!(user_error_codes(&complete(&app, &challenge, &wrong(n)).await), vec!["INVALID_CODE"]);
        }
        let limited = complete(&app, &challenge, &app.totp_code(&secret, 1)).await;
        assert_eq!(user_error_codes(&limited), vec!["TOO_MANY_ATTEMPTS"], "{limited}");

        app.clock.advance(Duration::minutes(16));
        // A challenge lives five minutes.
        let (stale, _) = challenge_for(&app, &person).await;
        app.clock.advance(Duration::seconds(301));
        assert_eq!(user_error_codes(&complete(&app, &stale, &app.totp_code(&secret, 0)).await), vec!["INVALID_TOKEN"]);
        let (challenge, _) = challenge_for(&app, &person).await;
        assert!(complete(&app, &challenge, &app.totp_code(&secret, 0)).await["tokens"].is_object());
    }
}

db_test! {
    async fn an_institution_can_require_a_second_factor(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let admin = app.member(institution, Role::Admin).await;
        let admin_token = app.sign_in(&admin, Some(institution)).await;
        let id = global_id("Institution", institution);
        let member = app.member(institution, Role::Member).await;
        let member_token = app.sign_in(&member, Some(institution)).await;

        let refused = app.graphql(REQUIRE, json!({ "id": id, "require": true }), Some(&member_token)).await;
        assert_eq!(error_code(&refused), "FORBIDDEN");
        let unprotected = app.graphql(REQUIRE, json!({ "id": id, "require": true }), Some(&admin_token)).await;
        assert_eq!(user_error_codes(&unprotected["data"]["updateInstitution"]), vec!["NOT_ALLOWED_IN_STATUS"]);
        turn_on(&app, &admin_token).await;
        let body = app.graphql(REQUIRE, json!({ "id": id, "require": true }), Some(&admin_token)).await;
        assert_eq!(body["data"]["updateInstitution"]["institution"]["requireTwoFactor"], json!(true), "{body}");

        // The member's next sign-in enrols them: no tokens until the first code.
        let (challenge, shown) = challenge_for(&app, &member).await;
        assert_eq!(shown["step"], json!("ENROL"));
        let secret = decode_base32(shown["enrolment"]["secret"].as_str().unwrap());
        let done = complete(&app, &challenge, &app.totp_code(&secret, 0)).await;
        assert_eq!(done["recoveryCodes"].as_array().map(Vec::len), Some(10), "{done}");
        let access = done["tokens"]["accessToken"].as_str().unwrap().to_owned();
        let status = app.graphql(STATUS, json!({}), Some(&access)).await;
        assert_eq!(status["data"]["viewer"]["twoFactor"]["required"], json!(true));
        let disable = app.graphql(DISABLE, json!({ "code": app.totp_code(&secret, 1) }), Some(&access)).await;
        assert_eq!(user_error_codes(&disable["data"]["disableTwoFactor"]), vec!["TWO_FACTOR_REQUIRED"]);
        let (next, shown) = challenge_for(&app, &member).await;
        assert_eq!(shown["step"], json!("CODE"));
        assert!(complete(&app, &next, &app.totp_code(&secret, 1)).await["tokens"].is_object());

        let audited = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("institution.require_two_factor"))
            .filter(audit_event::Column::InstitutionId.eq(institution))
            .count(app.db.conn())
            .await
            .unwrap();
        assert_eq!(audited, 1);
    }
}

db_test! {
    async fn platform_admins_always_need_a_second_factor(app) {
        let admin = app.platform_admin().await;
        let (challenge, shown) = challenge_for(&app, &admin).await;
        assert_eq!(shown["step"], json!("CODE"));
        let secret = admin.totp_secret.clone().unwrap();
        let access = complete(&app, &challenge, &app.totp_code(&secret, 0)).await["tokens"]["accessToken"]
            .as_str().unwrap().to_owned();
        let disable = app.graphql(DISABLE, json!({ "code": app.totp_code(&secret, 1) }), Some(&access)).await;
        assert_eq!(user_error_codes(&disable["data"]["disableTwoFactor"]), vec!["TWO_FACTOR_REQUIRED"]);

        // One made without an authenticator enrols at first sign-in.
        let bare = app.person().await;
        user::Entity::update_many()
            .col_expr(user::Column::IsPlatformAdmin, Expr::value(true))
            .filter(user::Column::Id.eq(bare.id))
            .exec(app.db.conn())
            .await
            .unwrap();
        let (_, shown) = challenge_for(&app, &bare).await;
        assert_eq!(shown["step"], json!("ENROL"));
    }
}

db_test! {
    async fn turning_it_off_and_what_is_stored(app) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let token = app.sign_in(&person, None).await;
        let (secret, _) = turn_on(&app, &token).await;

        let sealed = totp_factor::Entity::find_by_id(person.id).one(app.db.conn()).await.unwrap().unwrap().sealed_secret;
        assert!(!sealed.contains(&totp::base32(&secret)), "the secret is sealed at rest");
        let codes = recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(person.id))
            .all(app.db.conn())
            .await
            .unwrap();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|row| row.code_hash.len() == 32), "recovery codes are kept as SHA-256");

        let wrong = app.graphql(DISABLE, json!({ "code": "12345" }), Some(&token)).await;
        assert_eq!(user_error_codes(&wrong["data"]["disableTwoFactor"]), vec!["INVALID_CODE"]);
        let body = app.graphql(DISABLE, json!({ "code": app.totp_code(&secret, 1) }), Some(&token)).await;
        assert_eq!(body["data"]["disableTwoFactor"]["disabled"], json!(true), "{body}");
        assert!(app.sign_in_payload(&person.email, PASSWORD, None).await["tokens"].is_object());
        assert_eq!(count_rows(&app, "recovery_codes").await, 0);

        // API tokens have no second factor to manage.
        let admin = app.token(institution, Role::Admin).await;
        let create = "mutation { createApiToken(input: {name: \"EPR export\", scope: READ_WRITE}) { secret } }";
        let created = app.graphql(create, json!({}), Some(&admin)).await;
        let script = created["data"]["createApiToken"]["secret"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
        let body = app.graphql(ENROL, json!({}), Some(&script)).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    }
}

mail_test! {
    async fn turning_it_on_and_off_is_told_by_email(app, sink) {
        let institution = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(institution, Role::Member).await;
        let token = app.sign_in(&person, None).await;
        let (secret, _) = turn_on(&app, &token).await;
        let notice = sink.next(std::time::Duration::from_secs(10)).await.expect("the notice of two-factor on");
        assert!(notice.contains("Subject: Two-factor sign-in is on"), "{notice}");
        assert!(notice.contains(&format!("To: {}", person.email)), "{notice}");
        app.graphql(DISABLE, json!({ "code": app.totp_code(&secret, 1) }), Some(&token)).await;
        let notice = sink.next(std::time::Duration::from_secs(10)).await.expect("the notice of two-factor off");
        assert!(notice.contains("Subject: Two-factor sign-in was turned off"), "{notice}");
    }
}
