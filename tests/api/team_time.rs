//! Time given against time committed: who may report, what is refused, reported against
//! committed per role and month, and the programme's list of projects short of time for two
//! months running.

use chrono::{Datelike, Months, NaiveDate};
use entity::membership::Role;
use serde_json::{Value, json};

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;

const REPORT: &str = "mutation($m: ID!, $month: Date!, $hours: Float!) {
  reportTeamTime(input: {teamMemberId: $m, month: $month, hours: $hours}) { reported userErrors { field code message } }
}";
const TEAM_TIME: &str = "query($p: ID!) { project(id: $p) { teamTime(months: 3) {
  month committedHours reportedHours share reported byRole { role committedHours reportedHours }
} } }";
const PRESSURE: &str = "query($id: ID!) { node(id: $id) { ... on Programme { evaluation {
  timePressure { projectTitle months lowestShare }
} } } }";

fn month_start(day: NaiveDate, back: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(day.year(), day.month(), 1)
        .unwrap()
        .checked_sub_months(Months::new(back))
        .unwrap()
}

fn days_in(month: NaiveDate) -> f64 {
    (month.checked_add_months(Months::new(1)).unwrap() - month).num_days() as f64
}

async fn report(app: &TestApp, token: &str, member: &str, month: NaiveDate, hours: f64) -> Value {
    let body = app
        .graphql(REPORT, json!({ "m": member, "month": month.to_string(), "hours": hours }), Some(token))
        .await;
    body["data"]["reportTeamTime"].clone()
}

db_test! {
    async fn reported_time_against_committed_and_pressure_for_two_months_running(app) {
        let setup = setup(&app).await;
        let lead = &setup.bid.lead_token;
        let analyst = app.member(setup.bid.college, Role::Member).await;
        let manager = app.member(setup.bid.college, Role::Member).await;
        let add = |person: &Person, role: &str| {
            json!({ "institutionId": institution_id(setup.bid.college), "userId": global_id("User", person.id), "role": role, "hoursPerWeek": 7.0 })
        };
        let analyst_member = add_team_member(&app, lead, &setup.bid.project, add(&analyst, "DATA_ANALYST")).await;
        add_team_member(&app, lead, &setup.bid.project, add(&manager, "PROJECT_MANAGER")).await;
        let analyst_token = app.sign_in(&analyst, Some(setup.bid.college)).await;
        let manager_token = app.sign_in(&manager, Some(setup.bid.college)).await;
        let today = app.clock.today();
        let (earlier, last) = (month_start(today, 2), month_start(today, 1));

        let draft = report(&app, &analyst_token, &analyst_member, last, 10.0).await;
        assert_eq!(user_error_codes(&draft), vec!["NOT_ALLOWED_IN_STATUS"], "{draft}");
        advance(&app, &setup, "FUNDED").await;

        // The member for themself, and the manager for them; a later report replaces one.
        assert_eq!(report(&app, &analyst_token, &analyst_member, earlier, 30.0).await["reported"], json!(true));
        assert_eq!(report(&app, &analyst_token, &analyst_member, earlier, 12.0).await["reported"], json!(true));
        assert_eq!(report(&app, &manager_token, &analyst_member, last, 8.0).await["reported"], json!(true));
        // Nobody else: another member of the lead, the host's admin, a script.
        let colleague = app.token(setup.bid.college, Role::Member).await;
        for token in [colleague, setup.site.token.clone(), api_token(&app, lead, "READ_WRITE").await] {
            let body = app.graphql(REPORT, json!({ "m": analyst_member, "month": last.to_string(), "hours": 1.0 }), Some(&token)).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
        }
        // Bad input.
        let mid_month = last.with_day(15).unwrap();
        assert_eq!(user_error_codes(&report(&app, &analyst_token, &analyst_member, mid_month, 1.0).await), vec!["INVALID"]);
        let next = month_start(today, 0).checked_add_months(Months::new(1)).unwrap();
        assert_eq!(user_error_codes(&report(&app, &analyst_token, &analyst_member, next, 1.0).await), vec!["INVALID"]);
        assert_eq!(user_error_codes(&report(&app, &analyst_token, &analyst_member, last, -1.0).await), vec!["INVALID"]);
        let ancient = NaiveDate::from_ymd_opt(-4000, 1, 1).unwrap();
        assert_eq!(user_error_codes(&report(&app, &analyst_token, &analyst_member, ancient, 1.0).await), vec!["INVALID"]);

        let body = app.graphql(TEAM_TIME, json!({ "p": setup.bid.project }), Some(lead)).await;
        let months = body["data"]["project"]["teamTime"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(months.len(), 3);
        let first = &months[0];
        assert_eq!(first["month"], json!(earlier.to_string()));
        // The default team (5 + 10 + 5 hours a week) and these two (7 each): 34 hours a week.
        let committed = 34.0 * days_in(earlier) / 7.0;
        assert!((first["committedHours"].as_f64().unwrap() - committed).abs() < 1e-6, "{first}");
        assert_eq!(first["reportedHours"].as_f64(), Some(12.0));
        let analysts = first["byRole"].as_array().unwrap().iter().find(|r| r["role"] == json!("DATA_ANALYST")).unwrap();
        assert!((analysts["committedHours"].as_f64().unwrap() - 12.0 * days_in(earlier) / 7.0).abs() < 1e-6, "{analysts}");
        assert_eq!(analysts["reportedHours"].as_f64(), Some(12.0));
        assert_eq!(months[2]["reported"], json!(false), "nobody reported this month yet");

        // Both ended months are far below three quarters: the funder sees the project listed.
        let body = app.graphql(PRESSURE, json!({ "id": setup.funding.programme }), Some(&setup.funding.funder_token)).await;
        let pressure = &body["data"]["node"]["evaluation"]["timePressure"];
        assert_eq!(pressure[0]["months"], json!([earlier.to_string(), last.to_string()]), "{body}");
        let lowest = 8.0 / (34.0 * days_in(last) / 7.0);
        assert!((pressure[0]["lowestShare"].as_f64().unwrap() - lowest.min(12.0 / committed)).abs() < 1e-6, "{pressure}");
    }
}

db_test! {
    async fn the_demo_shows_a_funded_team_short_of_its_time(app) {
        let world = springboard::demo::seed(&app.db, &app.address).await.unwrap().unwrap();
        let payload = app.sign_in_payload("admin@improvement-fund.example.org", &world.password, None).await;
        let funder = payload["tokens"]["accessToken"].as_str().unwrap().to_owned();
        let query = "{ programmes(first: 1) { edges { node { evaluation { timePressure { projectTitle lowestShare } } } } } }";
        let body = app.graphql(query, json!({}), Some(&funder)).await;
        let pressure = &body["data"]["programmes"]["edges"][0]["node"]["evaluation"]["timePressure"];
        assert_eq!(pressure[0]["projectTitle"], json!("Sepsis six within the hour"), "{body}");
        assert!(pressure[0]["lowestShare"].as_f64().unwrap() < 0.75);
    }
}
