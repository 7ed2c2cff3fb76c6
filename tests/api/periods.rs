//! Periods that have not ended: a row for the current week is kept and flagged, left out of the
//! analysis (and so of the verdict) unless asked for, and "ended" is decided in the time zone of
//! the site's host institution, which its admins set.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde_json::{Value, json};
use springboard::institutions::time_zone;

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::{institution_id, ok, payload, problems};
use crate::results_fixtures::*;

const RECORD: &str = "mutation($input: RecordObservationsInput!) {
  recordObservations(input: $input) { created incomplete userErrors { field code message } }
}";
const SET_ZONE: &str = "mutation($input: UpdateInstitutionInput!) {
  updateInstitution(input: $input) { institution { timeZone } userErrors { field code message } }
}";
const READ: &str = "query($m: ID!, $include: Boolean!) { node(id: $m) { ... on Measure {
  analysis(options: { includeIncomplete: $include }) {
    verdict { verdict }
    spc { points { periodStart incomplete } }
    runChart { points { incomplete } }
    excluded { periodStart reason }
  }
  observations(last: 1) { edges { node { periodStart periodEnded } } }
} } }";

/// A Monday between one and two weeks ahead of the server's clock, and 00:20 that morning in
/// London: already Monday there, still Sunday evening in New York (four or five hours behind),
/// on whatever day the suite runs. The week before that Monday is over in London only.
fn london_monday_morning(app: &TestApp) -> (NaiveDate, DateTime<Utc>) {
    let london = time_zone::DEFAULT;
    let today = time_zone::today_in(london, app.clock.now());
    let monday = today + Duration::days(14 - i64::from(today.weekday().num_days_from_monday()));
    let instant = london
        .from_local_datetime(&monday.and_hms_opt(0, 20, 0).unwrap())
        .single()
        .expect("00:20 is never in a clock change")
        .with_timezone(&Utc);
    let new_york = time_zone::parse("America/New_York", "zone").unwrap();
    assert_eq!(monday.weekday(), Weekday::Mon);
    assert_eq!(time_zone::today_in(new_york, instant).weekday(), Weekday::Sun, "{instant}");
    (monday, instant)
}

/// Twenty weeks to the one starting `last`: steady, then a last week far above the rest.
fn weeks(site: &str, last: NaiveDate) -> Vec<Value> {
    (0..20)
        .map(|w| {
            let period = last - Duration::weeks(w);
            let numerator = if w == 0 { 20.0 } else { 9.0 + (w % 3) as f64 };
            json!({ "site": site, "periodStart": period.to_string(), "numerator": numerator, "denominator": 20.0 })
        })
        .collect()
}

async fn set_zone(app: &TestApp, token: &str, host: uuid::Uuid, zone: &str) -> Value {
    let input = json!({ "id": institution_id(host), "timeZone": zone });
    app.graphql(SET_ZONE, json!({ "input": input }), Some(token)).await
}

async fn read(app: &TestApp, token: &str, measure: &str, include: bool) -> Value {
    let body = app.graphql(READ, json!({ "m": measure, "include": include }), Some(token)).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"].clone()
}

db_test! {
    async fn an_unended_period_is_flagged_and_left_out_of_the_verdict_unless_asked_for(app) {
        let (monday, instant) = london_monday_morning(&app);
        let last_week = (monday - Duration::weeks(1)).to_string();
        app.clock.advance(instant - app.clock.now());
        let a = active_project(&app).await;
        let (lead, host) = (&a.setup.bid.lead_token, a.setup.site.host);
        let zone = set_zone(&app, &a.setup.site.token, host, "America/New_York").await;
        assert_eq!(zone["data"]["updateInstitution"]["institution"]["timeZone"], json!("America/New_York"), "{zone}");

        let input = json!({ "measureId": a.measure, "observations": weeks(&a.setup.site.id, monday - Duration::weeks(1)) });
        let recorded = ok(&app, lead, RECORD, json!({ "input": input })).await;
        assert_eq!(recorded["created"], json!(20));
        assert_eq!(recorded["incomplete"], json!(1), "last week has not ended in New York");

        let left_out = read(&app, lead, &a.measure, false).await;
        let analysis = &left_out["analysis"];
        assert_eq!(analysis["excluded"], json!([{ "periodStart": last_week, "reason": "PERIOD_NOT_ENDED" }]));
        assert_eq!(analysis["spc"]["points"].as_array().unwrap().len(), 19);
        assert_eq!(analysis["verdict"]["verdict"], json!("NO_SIGNAL"), "{analysis}");
        let latest = &left_out["observations"]["edges"][0]["node"];
        assert_eq!(latest, &json!({ "periodStart": last_week, "periodEnded": false }));

        let asked = read(&app, lead, &a.measure, true).await;
        let points = asked["analysis"]["spc"]["points"].as_array().unwrap();
        assert_eq!(points.len(), 20);
        assert_eq!(points[19], json!({ "periodStart": last_week, "incomplete": true }));
        assert!(points[..19].iter().all(|p| p["incomplete"] == json!(false)));
        assert_eq!(asked["analysis"]["runChart"]["points"][19]["incomplete"], json!(true));
        assert_eq!(asked["analysis"]["excluded"], json!([]));
        assert_eq!(asked["analysis"]["verdict"]["verdict"], json!("IMPROVING"), "the half week's false signal");

        // In London the week is over: the same rows, the same instant, a complete series.
        set_zone(&app, &a.setup.site.token, host, "Europe/London").await;
        let london = read(&app, lead, &a.measure, false).await;
        assert_eq!(london["analysis"]["excluded"], json!([]));
        assert_eq!(london["analysis"]["spc"]["points"].as_array().unwrap().len(), 20);
        assert_eq!(london["analysis"]["verdict"]["verdict"], json!("IMPROVING"));
        assert_eq!(london["observations"]["edges"][0]["node"]["periodEnded"], json!(true));
    }
}

db_test! {
    async fn whether_a_period_has_begun_is_asked_in_the_hosts_time_zone(app) {
        let (monday, instant) = london_monday_morning(&app);
        app.clock.advance(instant - app.clock.now());
        let a = active_project(&app).await;
        let (lead, host) = (&a.setup.bid.lead_token, a.setup.site.host);
        let new_week = json!({ "measureId": a.measure, "observations": [
            { "site": a.setup.site.id, "periodStart": monday.to_string(), "numerator": 3.0, "denominator": 20.0 },
        ] });

        set_zone(&app, &a.setup.site.token, host, "America/New_York").await;
        let early = app.graphql(RECORD, json!({ "input": new_week }), Some(lead)).await;
        assert_eq!(
            problems(payload(&early)),
            vec![("input.observations.0.periodStart".to_owned(), "INVALID".to_owned())],
            "Monday has not begun in New York: {early}"
        );

        set_zone(&app, &a.setup.site.token, host, "Europe/London").await;
        let recorded = ok(&app, lead, RECORD, json!({ "input": new_week })).await;
        assert_eq!(recorded["created"], json!(1));
        assert_eq!(recorded["incomplete"], json!(1), "the week has begun in London, and not ended");
    }
}

db_test! {
    async fn a_time_zone_is_an_iana_name_and_only_admins_set_it(app) {
        let a = active_project(&app).await;
        let host = a.setup.site.host;
        for bad in ["", "London", "europe/london", "GMT+25"] {
            let refused = set_zone(&app, &a.setup.site.token, host, bad).await;
            let code = if bad.is_empty() { "REQUIRED" } else { "INVALID" };
            assert_eq!(problems(payload(&refused)), vec![("input.timeZone".to_owned(), code.to_owned())], "{bad}: {refused}");
        }
        let read = "query($id: ID!) { node(id: $id) { ... on Institution { timeZone } } }";
        let body = app.graphql(read, json!({ "id": institution_id(host) }), Some(&a.setup.site.token)).await;
        assert_eq!(body["data"]["node"]["timeZone"], json!("UTC"), "as it was: {body}");

        // Another institution's admin cannot set it: the institution is not theirs.
        let foreign = set_zone(&app, &a.setup.bid.lead_token, host, "UTC").await;
        assert_eq!(problems(payload(&foreign)).len(), 1, "{foreign}");
        let body = app.graphql(read, json!({ "id": institution_id(host) }), Some(&a.setup.site.token)).await;
        assert_eq!(body["data"]["node"]["timeZone"], json!("UTC"));
    }
}
