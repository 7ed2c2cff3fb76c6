//! The DataLoader proof: a page of projects with every nested list costs a bounded number of SQL
//! statements (a batch per loader and depth) whatever the page size, counted by the server
//! itself in /metrics.

use entity::institution::InstitutionKind;
use entity::membership::Role;
use serde_json::json;

use crate::db_test;
use crate::helpers::*;
use crate::project_fixtures::*;

const PAGE: &str = "query($n: Int!) { projects(first: $n) { edges { node {
  title
  sites { institution { name } }
  team { user { email } institution { name } }
  commitments { kind }
  assessments { dimensions { score } }
  programme { name }
  lead { name }
  teamCapacity { totalHours }
} } } }";

/// The statements the server has run, summed over the outcome series.
async fn statements(app: &TestApp) -> u64 {
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let samples: Vec<f64> = text
        .lines()
        .filter(|line| line.starts_with("springboard_db_statements_total{"))
        .map(|line| line.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(!samples.is_empty(), "no statement counter in {text}");
    samples.iter().sum::<f64>() as u64
}

/// `count` more projects led by the bid's college, each with its own host site, a team member
/// from that host, a commitment and an assessment.
async fn furnish(app: &TestApp, funding: &Funding, bid: &Bid, count: usize) {
    for i in 0..count {
        let project =
            create_project(app, &bid.lead_token, Some(&funding.programme), &format!("Project {i}")).await;
        let host = app.institution(InstitutionKind::HostInstitution).await;
        let person = app.member(host, Role::Member).await;
        ok(app, &bid.lead_token, ADD_SITE, json!({ "p": project, "i": institution_id(host) })).await;
        let team = json!({ "institutionId": institution_id(host), "userId": global_id("User", person.id), "role": "PROJECT_MANAGER", "hoursPerWeek": 7.5 });
        add_team_member(app, &bid.lead_token, &project, team).await;
        let commitment = json!({ "input": { "projectId": project, "kind": "PROFESSIONAL_TRAINING", "description": "QI training" } });
        ok(app, &bid.lead_token, RECORD_COMMITMENT, commitment).await;
        assess(app, &funding.funder_token, &project, host, 3, true).await;
    }
}

/// The same page with no nested fields: authentication and the page itself, no loader.
const PLAIN: &str = "query($n: Int!) { projects(first: $n) { edges { node { title } } } }";

/// The most batches `PAGE` can cost beyond `PLAIN`, whatever the page size: a DataLoader batches
/// keys for a moment, so a loader asked at two depths (or again after an await) may run twice.
/// programmes: `programme`, `teamCapacity` (2); institutions: `lead`, `sites.institution`,
/// `team.institution` (3); team: `team`, `teamCapacity` (2); sites, commitments, assessments,
/// users (1 each).
const MAX_LOADER_BATCHES: u64 = 11;

/// Statements run by one request of `query` for `n` projects.
async fn cost(app: &TestApp, token: &str, query: &str, n: usize) -> u64 {
    let before = statements(app).await;
    assert_eq!(statements(app).await, before, "a scrape runs no SQL, and nothing runs in the background");
    let body = app.graphql(query, json!({ "n": n }), Some(token)).await;
    let after = statements(app).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["projects"]["edges"].as_array().map(Vec::len), Some(n));
    after - before
}

/// Statements run by one `projects(first: n)` request with every nested list, checking the page
/// came back whole.
async fn cost_of_page(app: &TestApp, token: &str, n: usize) -> u64 {
    let before = statements(app).await;
    let body = app.graphql(PAGE, json!({ "n": n }), Some(token)).await;
    let after = statements(app).await;

    assert!(body.get("errors").is_none(), "{body}");
    let edges = body["data"]["projects"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), n);
    for edge in edges {
        let node = &edge["node"];
        for list in ["sites", "team", "commitments", "assessments"] {
            assert_eq!(node[list].as_array().map(Vec::len), Some(1), "{list}: {node}");
        }
        assert!(
            node["team"][0]["user"]["email"].is_string()
                && node["sites"][0]["institution"]["name"].is_string(),
            "{node}"
        );
        assert_eq!(node["assessments"][0]["dimensions"].as_array().unwrap().len(), 5);
        assert!([&node["programme"]["name"], &node["lead"]["name"]].iter().all(|v| v.is_string()), "{node}");
        assert_eq!(node["teamCapacity"]["totalHours"], json!(7.5));
    }
    after - before
}

const RUNS: usize = 5;

/// Statements for the plain and the full page of 3 projects, then of 15, `RUNS` times each.
async fn measure(app: &TestApp) -> [(Vec<u64>, Vec<u64>); 2] {
    let funding = open_programme(app).await;
    let college = app.institution(InstitutionKind::RoyalCollege).await;
    let bid = Bid { college, lead_token: app.token(college, Role::Admin).await, project: String::new() };
    let mut results = Vec::new();
    for (more, n) in [(3, 3), (12, 15)] {
        furnish(app, &funding, &bid, more).await;
        let (mut plain, mut full) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            plain.push(cost(app, &bid.lead_token, PLAIN, n).await);
            full.push(cost_of_page(app, &bid.lead_token, n).await);
        }
        println!(
            "{:?}: SQL statements for projects(first: {n}): plain {plain:?}, with every nested list {full:?}",
            app.db.backend()
        );
        results.push((plain, full));
    }
    [results.remove(0), results.remove(0)]
}

db_test! {
    async fn a_page_of_projects_costs_a_bounded_number_of_statements_at_any_size(app) {
        let [(plain_small, full_small), (plain_large, full_large)] = measure(&app).await;

        let plain = plain_small[0];
        assert!(plain_small.iter().chain(&plain_large).all(|n| *n == plain), "{plain_small:?} {plain_large:?}");
        for full in full_small.iter().chain(&full_large) {
            assert!(*full > plain && full - plain <= MAX_LOADER_BATCHES, "{full} statements: {full_small:?} {full_large:?}");
        }
    }
}
