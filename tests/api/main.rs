//! End-to-end tests: the real server on port 0, spoken to over HTTP. Each test gets its own
//! database (a SQLite file, or a PostgreSQL schema when TEST_DATABASE_URL is set) and runs
//! once per backend.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly where setup or a response is not what it expects"
)]

mod helpers;

mod api_tokens;
mod auth_probes;
mod capacity_outcomes;
mod charts;
mod corrections;
mod csv_imports;
mod data_flow;
mod exports;
mod faults;
mod http_spec;
mod idempotency;
mod isolation;
mod limits;
mod links;
mod loader_isolation;
mod loading;
mod loading_fixtures;
mod measures;
mod members;
mod monitoring_burden;
mod oidc_idp;
mod operations;
mod overload;
mod passwords;
mod periods;
mod persisted_queries;
mod project_fixtures;
mod project_input;
mod project_isolation;
mod project_rules;
mod projects_story;
mod rate_limits;
mod refresh_grace;
mod response_order;
mod results;
mod results_fixtures;
mod revocation;
mod row_security;
mod schema;
mod schema_changes;
mod sessions;
mod site_names;
mod smtp_sink;
mod spread;
mod sso;
mod standalone_results;
mod subscriptions;
mod team_time;
mod tenancy_probes;
mod time_travel;
mod tokens;
mod two_factor;
mod write_reports;
