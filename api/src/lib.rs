//! Springboard: a multi-tenant GraphQL API for clinical quality-improvement programmes.
//! The binary in `main.rs` is a thin shell around this library.

// The merged Mutation root nests one resolver future per part; past sixteen parts the
// compiler's default query depth no longer covers its layout.
#![recursion_limit = "256"]

pub mod actor;
pub mod analysis;
pub mod api_tokens;
pub mod assessments;
pub mod audit;
pub mod charts;
pub mod clock;
pub mod commitments;
pub mod db;
pub mod demo;
pub mod error;
pub mod funding;
pub mod graphql;
pub mod http;
pub mod identity;
pub mod ids;
pub mod institutions;
pub mod keys;
pub mod mail;
pub mod measures;
pub mod members;
pub mod paging;
pub mod programmes;
pub mod projects;
pub mod ratelimit;
pub mod results;
pub mod scope;
pub mod settings;
pub mod shared_state;
pub mod sso;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod users;
