//! The rules that depend on "today" or "now", run with the server's clock years ahead and years
//! back, and moved during the test: nothing may hold only on the day the suite was written.

use chrono::{Datelike, Duration};
use entity::institution::InstitutionKind;
use entity::membership::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;

const YEARS_AHEAD: i64 = 9;
const YEARS_BACK: i64 = -7;

fn move_years(app: &TestApp, years: i64) {
    app.clock.advance(Duration::days(365 * years));
}

const READINESS: &str = "query($p: ID!) { project(id: $p) { fundingReadiness { ready failures { code } } } }";
const OPEN: &str = "query($p: ID!) { programme(id: $p) { isBiddingOpen } }";
const VIEWER: &str = "{ viewer { user { email } } }";

/// Bidding windows, assessment dates and assessment age, all judged by the server's today.
async fn funding_rules(app: &TestApp) {
    let funding = open_programme(app).await;
    let funder_person = app.member(funding.funder, Role::Admin).await;
    let open = app.graphql(OPEN, json!({ "p": funding.programme }), Some(&funding.funder_token)).await;
    assert_eq!(open["data"]["programme"]["isBiddingOpen"], json!(true), "{open}");
    let bid = draft_project(app, &funding).await;
    let site = answered_site(app, &bid, true).await;

    springboard_team(app, &bid).await;
    ok(app, &bid.lead_token, TRANSITION, json!({ "p": bid.project, "to": "SUBMITTED" })).await;
    let tomorrow = json!({ "input": {
        "assessedInstitutionId": institution_id(site.host), "projectId": bid.project,
        "assessedOn": app.day(1), "dimensions": scores(3), "submit": true,
    }});
    let refused = app.graphql(ASSESS, tomorrow, Some(&funding.funder_token)).await;
    assert_eq!(problems(payload(&refused)), problem("input.assessedOn", "INVALID"));
    assess(app, &funding.funder_token, &bid.project, site.host, 3, true).await;
    let ready = app.graphql(READINESS, json!({ "p": bid.project }), Some(&funding.funder_token)).await;
    assert_eq!(ready["data"]["project"]["fundingReadiness"], json!({ "ready": true, "failures": [] }));

    close_programme(app, &funding).await;
    // The college still sees the programme through its bid, but may not bid again.
    let input = json!({ "programmeId": funding.programme, "title": "Too late", "aimStatement": "a", "clinicalArea": "b" });
    let late = app.graphql(CREATE_PROJECT, json!({ "input": input }), Some(&bid.lead_token)).await;
    assert_eq!(problems(payload(&late)), problem("input.programmeId", "BIDDING_CLOSED"));

    // A year on, the assessment is older than the programme's 365 days.
    app.clock.advance(Duration::days(366));
    let funder = app.sign_in(&funder_person, Some(funding.funder)).await;
    let stale = app.graphql(READINESS, json!({ "p": bid.project }), Some(&funder)).await;
    assert_eq!(
        stale["data"]["project"]["fundingReadiness"],
        json!({ "ready": false, "failures": [{ "code": "ASSESSMENT_EXPIRED" }] }),
        "{stale}"
    );
}

db_test! {
    async fn funding_rules_hold_years_ahead(app) {
        move_years(&app, YEARS_AHEAD);
        funding_rules(&app).await;
    }
}

db_test! {
    async fn funding_rules_hold_years_back(app) {
        move_years(&app, YEARS_BACK);
        funding_rules(&app).await;
    }
}

/// Lockout windows, access and refresh token lifetimes, API token expiry and invitation expiry,
/// each crossed by moving the clock rather than by waiting.
async fn credential_lifetimes(app: &TestApp) {
    let institution = app.institution(InstitutionKind::HostInstitution).await;
    let person = app.member(institution, Role::Admin).await;

    for _ in 0..5 {
        app.sign_in_payload(&person.email, "not the password", None).await;
    }
    let locked = app.sign_in_payload(&person.email, PASSWORD, None).await;
    assert_eq!(user_error_codes(&locked), vec!["ACCOUNT_LOCKED"]);
    app.clock.advance(Duration::minutes(16));
    let signed_in = app.sign_in_payload(&person.email, PASSWORD, Some(institution)).await;
    assert_eq!(user_error_codes(&signed_in), Vec::<String>::new(), "the lock ends after 15 minutes");
    let access = signed_in["tokens"]["accessToken"].as_str().unwrap().to_owned();
    let refresh = signed_in["tokens"]["refreshToken"].as_str().unwrap().to_owned();

    let api_token = "mutation($at: DateTime) { createApiToken(input: {name: \"script\", scope: READ, expiresAt: $at}) { secret userErrors { code } } }";
    let past =
        app.graphql(api_token, json!({ "at": app.clock.now() - Duration::hours(1) }), Some(&access)).await;
    assert_eq!(user_error_codes(&past["data"]["createApiToken"]), vec!["INVALID"]);
    let created = ok(app, &access, api_token, json!({ "at": app.clock.now() + Duration::days(1) })).await;
    let script = created["secret"].as_str().unwrap().to_owned();
    let invite = "mutation { inviteMember(input: {email: \"later@example.org\", role: MEMBER}) { invitationToken userErrors { code } } }";
    let invited = ok(app, &access, invite, json!({})).await;
    let invitation = invited["invitationToken"].as_str().unwrap().to_owned();

    app.clock.advance(Duration::minutes(14));
    assert_eq!(app.graphql_status(VIEWER, json!({}), Some(&access)).await.0, StatusCode::OK);
    app.clock.advance(Duration::minutes(2));
    assert_eq!(
        app.graphql_status(VIEWER, json!({}), Some(&access)).await.0,
        StatusCode::UNAUTHORIZED,
        "access tokens live 15 minutes"
    );
    assert_eq!(app.graphql_status(VIEWER, json!({}), Some(&script)).await.0, StatusCode::OK);

    app.clock.advance(Duration::days(8));
    assert_eq!(
        app.graphql_status(VIEWER, json!({}), Some(&script)).await.0,
        StatusCode::UNAUTHORIZED,
        "the API token expired after a day"
    );
    let accept = "mutation($t: String!) { acceptInvitation(input: {token: $t, name: \"Later\", password: \"a long enough password\"}) { userErrors { code } } }";
    let late = app.graphql(accept, json!({ "t": invitation }), None).await;
    assert_eq!(
        user_error_codes(&late["data"]["acceptInvitation"]),
        vec!["INVALID_TOKEN"],
        "invitations last 7 days"
    );
    let refreshed = refresh_with(app, &refresh).await;
    assert_eq!(user_error_codes(&refreshed), Vec::<String>::new(), "refresh tokens last 30 days");
    let newer = refreshed["tokens"]["refreshToken"].as_str().unwrap().to_owned();

    app.clock.advance(Duration::days(31));
    assert_eq!(user_error_codes(&refresh_with(app, &newer).await), vec!["INVALID_TOKEN"]);
}

async fn refresh_with(app: &TestApp, token: &str) -> Value {
    let query = "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { tokens { refreshToken } userErrors { code } } }";
    app.graphql(query, json!({ "t": token }), None).await["data"]["refreshToken"].clone()
}

db_test! {
    async fn credential_lifetimes_hold_years_ahead(app) {
        move_years(&app, YEARS_AHEAD);
        credential_lifetimes(&app).await;
    }
}

db_test! {
    async fn credential_lifetimes_hold_years_back(app) {
        move_years(&app, YEARS_BACK);
        credential_lifetimes(&app).await;
    }
}

const CREATE_MEASURE: &str = "mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { measure { id } userErrors { code } } }";
const RECORD: &str = "mutation($m: ID!, $site: String!, $period: Date!) { recordObservations(input: {measureId: $m, observations: [{site: $site, periodStart: $period, value: 4}]}) { recordedCount userErrors { field code } } }";
const CAPACITY: &str = "query($p: ID!) { project(id: $p) { teamCapacity { totalHours } } }";

/// Future periods, engagement months and team members whose time has ended.
async fn monitoring_rules(app: &TestApp) {
    let setup = setup(app).await;
    advance(app, &setup, "ACTIVE").await;
    let lead = &setup.bid.lead_token;
    let input = json!({
        "projectId": setup.bid.project, "name": "Falls", "operationalDefinition": "Falls per ward",
        "kind": "OUTCOME", "unit": "COUNT", "direction": "LOWER_IS_BETTER", "frequency": "MONTHLY",
    });
    let measure = ok(app, lead, CREATE_MEASURE, json!({ "input": input })).await["measure"]["id"].clone();
    let this_month = app.this_month();
    let next_month = (this_month + Duration::days(32)).with_day(1).unwrap().to_string();
    let last_month = (this_month - Duration::days(1)).with_day(1).unwrap().to_string();
    let site = setup.site.id.clone();

    let future =
        app.graphql(RECORD, json!({ "m": measure, "site": site, "period": next_month }), Some(lead)).await;
    assert_eq!(
        future["data"]["recordObservations"]["userErrors"],
        json!([{ "field": ["input", "observations", "0", "periodStart"], "code": "INVALID" }]),
        "{future}"
    );
    let past = ok(app, lead, RECORD, json!({ "m": measure, "site": site, "period": last_month })).await;
    assert_eq!(past["recordedCount"], json!(1));

    let engagement = "mutation($p: ID!, $period: Date!) { recordEngagement(input: {projectId: $p, periodStart: $period, clinicians: 3, serviceUsers: 1, others: 0}) { userErrors { field code } } }";
    let ahead =
        app.graphql(engagement, json!({ "p": setup.bid.project, "period": next_month }), Some(lead)).await;
    assert_eq!(
        ahead["data"]["recordEngagement"]["userErrors"][0]["field"],
        json!(["input", "periodStart"]),
        "{ahead}"
    );
    ok(app, lead, engagement, json!({ "p": setup.bid.project, "period": last_month })).await;

    let temporary = json!({
        "institutionId": institution_id(setup.bid.college), "externalName": "Locum analyst",
        "role": "DATA_ANALYST", "hoursPerWeek": 4.0, "endsOn": app.day(10),
    });
    add_team_member(app, lead, &setup.bid.project, temporary).await;
    let before = app.graphql(CAPACITY, json!({ "p": setup.bid.project }), Some(lead)).await;
    assert_eq!(before["data"]["project"]["teamCapacity"]["totalHours"], json!(24.0), "{before}");
    let lead_person = app.member(setup.bid.college, Role::Member).await;
    app.clock.advance(Duration::days(11));
    let lead = app.sign_in(&lead_person, Some(setup.bid.college)).await;
    let after = app.graphql(CAPACITY, json!({ "p": setup.bid.project }), Some(&lead)).await;
    assert_eq!(after["data"]["project"]["teamCapacity"]["totalHours"], json!(20.0), "{after}");
}

db_test! {
    async fn monitoring_rules_hold_years_ahead(app) {
        move_years(&app, YEARS_AHEAD);
        monitoring_rules(&app).await;
    }
}

db_test! {
    async fn monitoring_rules_hold_years_back(app) {
        move_years(&app, YEARS_BACK);
        monitoring_rules(&app).await;
    }
}
