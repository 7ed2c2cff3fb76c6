//! Schema migrations. Each one runs on PostgreSQL and on SQLite, so column types stay portable:
//! enums are length-limited strings, UUIDs and timestamps use sea-query's portable types.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_institutions;
mod m20261125_000002_create_users;
mod m20261125_000003_create_memberships;
mod m20261125_000004_create_invitations;
mod m20261125_000005_create_api_tokens;
mod m20261125_000006_create_refresh_tokens;
mod m20261125_000007_create_sign_in_throttles;
mod m20261125_000008_create_audit_events;
mod m20261125_000009_create_programmes;
mod m20261125_000010_create_projects;
mod m20261125_000011_create_project_sites;
mod m20261125_000012_create_team_members;
mod m20261125_000013_create_commitments;
mod m20261125_000014_create_capacity_assessments;
mod m20261125_000015_create_measures;
mod m20261125_000016_create_observations;
mod m20261125_000017_create_shared_results;
mod m20261204_000018_index_observations_by_period;
mod m20261204_000019_record_project_submission;
mod m20261204_000020_create_idempotency_keys;
mod m20261204_000021_record_result_programme;
mod m20261204_000022_row_level_security;
mod m20261204_000023_remember_refresh_successors;
mod m20261204_000024_probe_measure_visibility;
mod m20261204_000025_create_password_resets;
mod m20261204_000026_create_second_factors;
mod m20261204_000027_create_single_sign_on;
mod m20261204_000028_record_monitoring_burden;
mod m20261204_000029_record_observation_arrival;
mod m20261204_000030_create_time_reports;
mod m20261205_000031_record_adoption;
pub mod m20261205_000032_record_funding_evidence;
mod m20261205_000033_record_corrections;
mod m20261205_000034_record_time_zones;
mod m20261205_000035_record_measure_codes;
mod m20261205_000036_freeze_result_series;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_institutions::Migration),
            Box::new(m20261125_000002_create_users::Migration),
            Box::new(m20261125_000003_create_memberships::Migration),
            Box::new(m20261125_000004_create_invitations::Migration),
            Box::new(m20261125_000005_create_api_tokens::Migration),
            Box::new(m20261125_000006_create_refresh_tokens::Migration),
            Box::new(m20261125_000007_create_sign_in_throttles::Migration),
            Box::new(m20261125_000008_create_audit_events::Migration),
            Box::new(m20261125_000009_create_programmes::Migration),
            Box::new(m20261125_000010_create_projects::Migration),
            Box::new(m20261125_000011_create_project_sites::Migration),
            Box::new(m20261125_000012_create_team_members::Migration),
            Box::new(m20261125_000013_create_commitments::Migration),
            Box::new(m20261125_000014_create_capacity_assessments::Migration),
            Box::new(m20261125_000015_create_measures::Migration),
            Box::new(m20261125_000016_create_observations::Migration),
            Box::new(m20261125_000017_create_shared_results::Migration),
            Box::new(m20261204_000018_index_observations_by_period::Migration),
            Box::new(m20261204_000019_record_project_submission::Migration),
            Box::new(m20261204_000020_create_idempotency_keys::Migration),
            Box::new(m20261204_000021_record_result_programme::Migration),
            Box::new(m20261204_000022_row_level_security::Migration),
            Box::new(m20261204_000023_remember_refresh_successors::Migration),
            Box::new(m20261204_000024_probe_measure_visibility::Migration),
            Box::new(m20261204_000025_create_password_resets::Migration),
            Box::new(m20261204_000026_create_second_factors::Migration),
            Box::new(m20261204_000027_create_single_sign_on::Migration),
            Box::new(m20261204_000028_record_monitoring_burden::Migration),
            Box::new(m20261204_000029_record_observation_arrival::Migration),
            Box::new(m20261204_000030_create_time_reports::Migration),
            Box::new(m20261205_000031_record_adoption::Migration),
            Box::new(m20261205_000032_record_funding_evidence::Migration),
            Box::new(m20261205_000033_record_corrections::Migration),
            Box::new(m20261205_000034_record_time_zones::Migration),
            Box::new(m20261205_000035_record_measure_codes::Migration),
            Box::new(m20261205_000036_freeze_result_series::Migration),
        ]
    }
}
