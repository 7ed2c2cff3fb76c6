//! API tokens for integration scripts.

pub mod graphql;
pub mod service;
