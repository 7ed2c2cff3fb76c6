//! Nested reads cost a fixed number of SQL statements, counted by the server itself in
//! /metrics: a page of fifty projects costs what a page of five does, for every nested field of
//! Project, Programme, Measure and SharedResult.

use serde_json::{Value, json};

use crate::loading_fixtures::*;
use crate::{db_test, db_test_with};

/// The partner front end's list: projects, their measures, the latest 24 observations of each.
const NESTED: &str = "query($n: Int!) { projects(first: $n) { edges { node { title measures { name
  observations(last: 24) { edges { node { periodStart value } } } } } } } }";

/// The most statements a nested list may cost: authentication, the page, and a batch for each
/// level below it (and, on PostgreSQL, the one that names the actor to row level security).
const MAX_STATEMENTS: u64 = 6;

fn observations(body: &Value) -> usize {
    body["data"]["projects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["node"]["measures"].as_array().unwrap())
        .map(|m| m["observations"]["edges"].as_array().unwrap().len())
        .sum()
}

db_test! {
    async fn the_nested_list_costs_the_same_few_statements_for_five_projects_and_fifty(app) {
        let w = world(&app).await;

        let (five, small) = costed(&app, &w.funder_token, NESTED, json!({ "n": 5 })).await;
        let (fifty, large) = costed(&app, &w.funder_token, NESTED, json!({ "n": 50 })).await;

        assert_eq!((observations(&five), observations(&fifty)), (5 * 3, 50 * 3), "{fifty}");
        assert_eq!(small, large, "5 projects: {small} statements; 50 projects: {large}");
        assert!(large <= MAX_STATEMENTS + app.scoping_statements(), "{large} statements");
    }
}

/// Nested fields of Project, each asked alone on pages of 5 and 50 projects: the bound of a
/// list (`true`) or only the same count at both sizes (a derived field that reads several
/// tables).
const PROJECT_FIELDS: [(&str, &str, bool); 22] = [
    ("sites", "sites { status institution { name } project { title } }", true),
    ("team", "team { role user { name } institution { name } }", true),
    ("commitments", "commitments { kind institution { name } project { title } programme { name } }", true),
    (
        "assessments",
        "assessments { status assessedInstitution { name } assessorInstitution { name } project { title } }",
        true,
    ),
    ("measures", "measures { name project { title } }", true),
    ("engagement", "engagement { clinicians }", true),
    ("lead", "lead { name }", true),
    ("programme", "programme { name }", true),
    (
        "observations",
        "measures { observations(last: 24) { totalCount pageInfo { hasPreviousPage } edges { node { value periodEnded } } } }",
        true,
    ),
    // A link per row beside the list: one more batch, the same at any page size.
    ("observationSites", "measures { observations(last: 24) { edges { node { site { status } } } } }", false),
    ("analysis", "measures { analysis { verdict { verdict } spc { points { value } } } }", true),
    ("observationsCsv", "measures { observationsCsv }", true),
    ("teamCapacity", "teamCapacity { totalHours }", true),
    ("availableTransitions", "availableTransitions", true),
    ("improvement", "improvement { measures improving }", true),
    (
        "fundingReadiness",
        "fundingReadiness { ready failures { code } shortfalls { code dimension site { status } institution { name } } gaps { code } }",
        false,
    ),
    (
        "monitoringBurden",
        "monitoringBurden { totalHoursPerWeek measures { measureName hoursPerWeek measure { name } } }",
        false,
    ),
    (
        "dataFlow",
        "dataFlow { flow { completeness } measures { measure { name } sites { site { status } flow { integrationShare } } } }",
        false,
    ),
    ("teamTime", "teamTime(months: 3) { committedHours reportedHours byRole { role } }", true),
    ("adoptedFrom", "adoptedFrom { title adoptions { count projects { title } } }", true),
    ("projectCsv", "observationsCsv", true),
    ("projectTemplate", "observationsCsvTemplate", true),
];

db_test_with! {
    // Fifty projects' CSV exports are over the default complexity limit on purpose; the
    // statement count is what this test is about.
    async fn every_nested_field_of_a_project_costs_the_same_at_five_projects_and_fifty(app) with |s| s.max_query_complexity = 100_000;
    {
        let w = world(&app).await;
        for (name, selection, is_list) in PROJECT_FIELDS {
            let query = format!("query($n: Int!) {{ projects(first: $n) {{ edges {{ node {{ id {selection} }} }} }} }}");
            let (five, small) = costed(&app, &w.funder_token, &query, json!({ "n": 5 })).await;
            let (fifty, large) = costed(&app, &w.funder_token, &query, json!({ "n": 50 })).await;
            let first = &fifty["data"]["projects"]["edges"][49]["node"];
            assert!(first.as_object().is_some_and(|o| o.len() == 2 && !o.values().any(Value::is_null)), "{name}: {first}");
            assert_eq!(five["data"]["projects"]["edges"][0]["node"].as_object().map(|o| o.len()), Some(2));
            assert_eq!(small, large, "{name}: 5 projects {small} statements, 50 projects {large}");
            if is_list {
                assert!(large <= MAX_STATEMENTS + app.scoping_statements(), "{name}: {large} statements");
            }
        }
    }
}

const PROGRAMME_FIELDS: [(&str, &str); 4] = [
    ("projects", "projects(first: 10) { totalCount edges { node { title lead { name } } } }"),
    ("commitments", "commitments { kind institution { name } }"),
    ("improvement", "improvement { fundedProjects projectsShowingImprovement }"),
    (
        "evaluation",
        "evaluation { projectsByStatus { status count } engagement { clinicians project { title } } publishedResults { title } dataFlow { flow { completeness } projects { project { title } flow { integrationShare } } } timePressure { months project { title } } spread { adoptions improvedAgain result { title } } improvementByCapacity { dimension above { projects improvementRate } unassessed } }",
    ),
];

db_test! {
    async fn every_nested_field_of_a_programme_costs_the_same_for_one_programme_and_three(app) {
        let w = world(&app).await;
        for (name, selection) in PROGRAMME_FIELDS {
            let query = format!("query($n: Int!) {{ programmes(first: $n) {{ edges {{ node {{ id {selection} }} }} }} }}");
            let (one, small) = costed(&app, &w.funder_token, &query, json!({ "n": 1 })).await;
            let (three, large) = costed(&app, &w.funder_token, &query, json!({ "n": 3 })).await;
            assert_eq!(three["data"]["programmes"]["edges"].as_array().map(Vec::len), Some(3), "{name}: {three}");
            assert!(!one["data"]["programmes"]["edges"][0]["node"][name].is_null(), "{name}: {one}");
            assert_eq!(small, large, "{name}: 1 programme {small} statements, 3 programmes {large}");
            if name != "evaluation" {
                assert!(large <= MAX_STATEMENTS + app.scoping_statements(), "{name}: {large} statements");
            }
        }
        let projects = "{ programmes(first: 1) { edges { node { projects(first: 50) { totalCount edges { node { id } } } } } } }";
        let (body, _) = costed(&app, &w.funder_token, projects, json!({})).await;
        let page = &body["data"]["programmes"]["edges"][0]["node"]["projects"];
        assert_eq!((page["totalCount"].as_i64(), page["edges"].as_array().map(Vec::len)), (Some(50), Some(50)));
    }
}

const RESULT_FIELDS: [(&str, &str); 8] = [
    ("measures", "measures { measure { name } definition { name kind } frozenAnalysis { verdict points } }"),
    (
        "measures",
        "measures { frozenAnalysis { pooled { analysis { verdict { verdict } spc { points { value } } } }
           sites { institution { name } analysis { siteId spc { points { value limits { upper } } } } } } }",
    ),
    ("versions", "versions { id status }"),
    ("adoptions", "adoptions { count projects { title } }"),
    ("sharedWith", "sharedWith { name }"),
    ("project", "project { title }"),
    ("projectTitle", "projectTitle"),
    ("projectLead", "projectLead { name }"),
];

db_test! {
    async fn every_nested_field_of_a_shared_result_costs_the_same_for_two_results_and_six(app) {
        let w = world(&app).await;
        for (name, selection) in RESULT_FIELDS {
            let query = format!("query($n: Int!) {{ sharedResults(first: $n) {{ edges {{ node {{ id {selection} }} }} }} }}");
            let (two, small) = costed(&app, &w.lead_token, &query, json!({ "n": 2 })).await;
            let (six, large) = costed(&app, &w.lead_token, &query, json!({ "n": RESULTS })).await;
            let edges = six["data"]["sharedResults"]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), RESULTS, "{name}: {six}");
            assert!(!edges[RESULTS - 1]["node"][name].is_null(), "{name}: {six}");
            assert!(!two["data"]["sharedResults"]["edges"][1]["node"][name].is_null(), "{name}: {two}");
            assert_eq!(small, large, "{name}: 2 results {small} statements, 6 results {large}");
            assert!(large <= MAX_STATEMENTS + app.scoping_statements(), "{name}: {large} statements");
        }
    }
}

db_test! {
    async fn many_nodes_by_id_cost_one_statement_per_kind(app) {
        let w = world(&app).await;
        let query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
        let mut ids: Vec<&String> = w.projects.iter().take(20).collect();
        ids.extend(w.measures.iter().take(20));
        let (body, cost) = costed(&app, &w.funder_token, query, json!({ "ids": ids })).await;
        assert_eq!(body["data"]["nodes"].as_array().unwrap().iter().filter(|n| !n.is_null()).count(), 40);
        assert!(cost <= 3 + app.scoping_statements(), "authentication and one batch per kind, not {cost} statements");
    }
}
