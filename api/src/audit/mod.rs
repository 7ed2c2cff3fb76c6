//! The audit trail: every mutation writes one event in the same transaction as its change.

pub mod graphql;
pub mod service;

pub use service::{Subject, record, record_with_details};
