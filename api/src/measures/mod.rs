//! Measures (a project's quality indicators) and their observations: bulk ingestion from
//! scripts, CSV in and out, and analysis on read.

pub mod analysis;
pub mod analysis_graphql;
pub mod burden;
pub mod burden_graphql;
pub mod calendar;
pub mod corrections;
pub mod csv;
pub mod csv_import;
pub mod data_flow;
pub mod data_flow_graphql;
pub mod export;
pub mod graphql;
pub mod import;
pub mod ingest;
pub mod periods;
pub mod rollup;
pub mod scopes;
pub mod service;
pub mod validate;
